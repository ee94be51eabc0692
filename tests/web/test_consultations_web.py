"""Consultation pages on a real node: publishing in Lima time, answering and changing answers, refusals shown next to
the field, comments in the section's thread, organization positions, the summary's SVG charts, the export checked
field by field, versions with their difference, and the overdue marker on the home page until the council answers."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account, Role
from deliberate.clock import FrozenClock
from deliberate.consultations import service as consultations
from deliberate.organizations import service as orgs
from tests.conftest import Node, Visitor, cheap_passwords
from tests.web.support import NodeWorld, shown, shown_count

# 5 March 2026, 10:00 in Lima: the consultation below is open.
OPEN = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
CLOSED = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
OVERDUE = datetime(2026, 4, 17, 15, 0, tzinfo=UTC)  # three days after the deadline (14 April, 18:00 in Lima)
PASSWORD = "clave-segura-123"


def publish_form(**extra: str) -> dict[str, str]:
    return {
        "title": "Ordenanza de mercados",
        "summary": "Cambios al horario y la limpieza de los mercados.",
        "opens_at": "2026-03-01T08:00",
        "closes_at": "2026-03-15T18:00",
        "answer_due_at": "",
        "audience": "everyone",
        "ask_stances": "1",
        "document": "## Horario\nDe 6:00 a 18:00.\n\n## Limpieza\nCada puesto limpia su frente.\n",
        "questions": "single: ¿Qué día prefiere para la feria?\nSábado\nDomingo\n\n"
        "multiple: ¿Qué servicios faltan?\nAgua\nBaños\nLuz\n\ntext: ¿Algo más?",
        **extra,
    }


@dataclass
class World(NodeWorld):
    clock: FrozenClock
    made: dict[str, Account]
    people: dict[str, Visitor]
    slug: str
    org: str


PEOPLE: list[tuple[str, str, tuple[Role, ...]]] = [
    ("member", "vecina", ()), ("resident", "residente", ()), ("org_admin", "dirigenta", ()),
    ("official", "funcionaria", ()), ("operator", "operador", ("operator",)),
]  # fmt: skip
ROLES = ("anonymous", *(role for role, _, _ in PEOPLE))


async def build_world(node_factory: Any) -> World:
    clock = FrozenClock(OPEN)
    node: Node = await node_factory("ves", clock=clock)
    made: dict[str, Account] = {}
    conn = await node.connect()
    try:
        async with conn.transaction():
            for _, username, roles in PEOPLE:
                made[username] = await accounts.register_account(
                    conn, clock=clock, passwords=cheap_passwords(),
                    data={"username": username, "password": PASSWORD, "password_confirm": PASSWORD}, roles=roles,
                )  # fmt: skip
            await consultations.appoint_official(
                conn, clock=clock, actor=made["operador"], username="funcionaria",
                data={"name": "Ana Quispe", "office": "Gerencia de Desarrollo Económico"},
            )  # fmt: skip
            made["funcionaria"] = await accounts.access_account_by_username(conn, "funcionaria")
            await conn.execute(
                "INSERT INTO resident_verification (account_id, verified_by, verified_at) VALUES ($1, $2, $3)",
                made["residente"].id, made["funcionaria"].id, OPEN,
            )  # fmt: skip
            org = await orgs.create_organization(
                conn, clock=clock, actor=made["dirigenta"],
                data={"name": "Comedor Santa Rosa", "kind": "comedor_popular", "registry_number": "R-1"},
            )  # fmt: skip
            published = await consultations.publish_consultation(
                conn, clock=clock, actor=made["funcionaria"], data=publish_form()
            )
    finally:
        await conn.close()
    people: dict[str, Visitor] = {"anonymous": await node.visitor()}
    for role, username, _ in PEOPLE:
        visitor = await node.visitor()
        assert (await visitor.login(username, PASSWORD)).status == 200
        people[role] = visitor
    return World(node, clock, made, people, published.slug, org.slug)


@pytest.fixture
async def world(node_factory: Any) -> World:
    return await build_world(node_factory)


async def test_an_official_publishes_in_lima_time_and_the_page_shows_the_office(world: World) -> None:
    official = world.people["official"]
    response = await official.submit("/consultations", publish_form(title="Plan de veredas"),
                                     form_page="/consultations/new")  # fmt: skip
    assert response.status == 200 and response.url.path == "/c/plan-de-veredas", official.last_html
    page = official.last_html
    assert "Plan de veredas" in page and "1. Horario" in page and "2. Limpieza" in page
    assert "Ana Quispe, Gerencia de Desarrollo Económico" in page
    assert "15/03/2026 18:00" in page  # shown in Lima time, as typed
    closes = await world.run(lambda conn: conn.fetchval(
        "SELECT closes_at FROM consultation WHERE slug = 'plan-de-veredas'"))  # fmt: skip
    assert closes == datetime(2026, 3, 15, 23, 0, tzinfo=UTC)


async def test_a_wrong_publish_form_shows_each_message_next_to_its_field_and_keeps_nothing(world: World) -> None:
    official = world.people["official"]
    before = await world.count("consultation"), await world.count("forum")
    response = await official.submit(
        "/consultations", publish_form(title="Otra", closes_at="2026-02-01T08:00", document="", audience="nadie"),
        form_page="/consultations/new",
    )  # fmt: skip
    page = official.last_html
    assert response.status == 400
    for field in ("closes_at", "document", "audience"):
        assert f'id="{field}-error"' in page
    assert shown("The closing date must come after the opening date.") in page
    assert 'value="Otra"' in page  # what was typed stays
    assert (await world.count("consultation"), await world.count("forum")) == before


async def test_the_json_client_gets_a_problem_with_every_field(world: World) -> None:
    official = world.people["official"]
    token = await official.csrf("/consultations/new")
    response = await official.session.post(
        official.url("/consultations"), data={**publish_form(title=""), "csrf_token": token},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    problem = await response.json(content_type=None)
    assert response.status == 400 and response.content_type == "application/problem+json"
    assert [e["field"] for e in problem["errors"]] == ["title"]


async def test_a_member_answers_and_finds_the_answers_when_coming_back(world: World) -> None:
    member = world.people["member"]
    path = f"/c/{world.slug}/respond"
    answers = {"stance_1": "favor", "reason_1": "Más horas", "stance_2": "contra", "q_1": "2", "q_2_1": "1",
               "q_2_3": "1", "multiple_q": "2", "q_3": "Nada más", "show_name": "1"}  # fmt: skip
    response = await member.submit(path, answers)
    assert response.status == 200 and response.url.path == f"/c/{world.slug}"
    assert shown("Your answers were saved. You can change them until the consultation closes.") in member.last_html
    await member.get(path)
    page = member.last_html
    for checked in ('name="stance_1" value="favor" checked', 'name="stance_2" value="contra" checked',
                    'name="q_1" value="2" checked', 'name="q_2_1" value="1" checked', 'name="q_2_3" value="1" checked',
                    'name="show_name" value="1" checked'):  # fmt: skip
        assert checked in page
    assert 'name="q_2_2" value="1" checked' not in page and "Más horas" in page and "Nada más" in page
    await member.submit(path, {"stance_1": "neutral", "multiple_q": "2"})
    await member.get(path)
    assert 'name="stance_1" value="neutral" checked' in member.last_html
    rows = await world.run(lambda conn: conn.fetch("SELECT stance FROM consultation_stance ORDER BY section_id"))
    assert [r["stance"] for r in rows] == ["neutral", "contra"]
    assert await world.count("consultation_answer") == 2  # the multiple-choice answer was withdrawn


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"stance_1": "a favor"}, "stance_1", "Please choose in favour, neutral or against."),
        ({"stance_7": "favor"}, "stance_7", "This consultation has no section with that number."),
        ({"q_1": "9"}, "q_1", "This answer does not fit the question. Please choose one of the options shown."),
    ],
)  # fmt: skip
async def test_an_answer_in_the_wrong_format_is_shown_next_to_the_field(
    world: World, data: dict[str, str], field: str, message: str
) -> None:
    member = world.people["member"]
    response = await member.submit(f"/c/{world.slug}/respond", {"stance_2": "favor", **data})
    assert response.status == 400
    page = member.last_html
    if field.startswith("stance_7"):
        assert shown(message) in page  # there is no field for a section that does not exist: said at the top
    else:
        assert f'id="{field}-error"' in page and shown(message) in page
    assert await world.count("consultation_stance") == 0


async def test_answering_after_closing_is_refused_with_a_message_and_nothing_changes(world: World) -> None:
    member = world.people["member"]
    await member.get(f"/c/{world.slug}/respond")
    world.clock.current = CLOSED
    token = await member.csrf(f"/c/{world.slug}")
    response = await member.session.post(member.url(f"/c/{world.slug}/respond"),
                                         data={"stance_1": "favor", "csrf_token": token})  # fmt: skip
    assert response.status == 409
    assert shown("This consultation is closed. Answers can no longer be given or changed.") in await response.text()
    assert await world.count("consultation_participant") == 0


async def test_a_comment_lands_in_the_sections_thread_where_moderation_works(world: World) -> None:
    member = world.people["member"]
    response = await member.submit(f"/c/{world.slug}/sections/2/comments", {"body": "¿Y los **ambulantes**?"},
                                   form_page=f"/c/{world.slug}")  # fmt: skip
    assert response.status == 200 and response.url.path.startswith("/t/")
    assert "<strong>ambulantes</strong>" in member.last_html
    await member.get(f"/c/{world.slug}")
    assert shown_count("%(num)s comment", "%(num)s comments", 1) in member.last_html
    empty = await member.submit(f"/c/{world.slug}/sections/1/comments", {"body": "  "}, form_page=f"/c/{world.slug}")
    assert empty.status == 400 and 'id="comment-1-error"' in member.last_html


async def test_an_organization_position_is_shown_apart_once_approved(world: World) -> None:
    admin = world.people["org_admin"]
    response = await admin.submit(f"/c/{world.slug}/positions", {"organization": world.org,
                                                                 "body": "El comedor está **a favor**."},
                                  form_page=f"/c/{world.slug}")  # fmt: skip
    assert response.status == 200
    page = admin.last_html
    positions = page[page.index('id="positions"') :]
    assert "Comedor Santa Rosa" in positions and "<strong>a favor</strong>" in positions


async def test_the_summary_draws_inline_svg_bars_without_any_style_attribute(world: World) -> None:
    for role, stance in (("member", "favor"), ("resident", "favor"), ("org_admin", "contra")):
        await world.people[role].submit(f"/c/{world.slug}/respond", {"stance_1": stance, "q_1": "1"})
    visitor = world.people["anonymous"]
    response = await visitor.get(f"/c/{world.slug}/summary")
    page = visitor.last_html
    assert response.status == 200 and "<svg" in page and "<rect" in page
    assert "style=" not in page and "<script" not in page
    assert "script-src" in response.headers["Content-Security-Policy"]
    assert shown_count("%(num)s participant", "%(num)s participants", 3) in page
    # Section 1: two in favour, one against; on a 300-unit bar, 200 and 100.
    assert 'width="200"' in page and 'width="100"' in page


async def test_the_export_gives_every_field_and_names_only_who_allowed_it(world: World) -> None:
    await world.people["member"].submit(f"/c/{world.slug}/respond", {
        "stance_1": "favor", "reason_1": "Bien, \"claro\"", "q_1": "2", "q_2_1": "1", "q_2_3": "1", "q_3": "Nada",
        "show_name": "1"})  # fmt: skip
    world.clock.current = OPEN.replace(hour=16)
    await world.people["resident"].submit(f"/c/{world.slug}/respond", {"stance_2": "contra", "q_1": "1"})
    visitor = world.people["anonymous"]
    response = await visitor.get(f"/c/{world.slug}/export.json")
    body = await response.json()
    assert response.status == 200
    assert body["consultation"] == {
        "slug": world.slug, "version": 1, "title": "Ordenanza de mercados",
        "opens_at": "2026-03-01T08:00:00-05:00", "closes_at": "2026-03-15T18:00:00-05:00",
    }  # fmt: skip
    assert body["sections"] == [{"number": 1, "heading": "Horario"}, {"number": 2, "heading": "Limpieza"}]
    assert body["questions"][1] == {"number": 2, "kind": "multiple", "prompt": "¿Qué servicios faltan?",
                                    "options": ["Agua", "Baños", "Luz"]}  # fmt: skip
    first, second = body["responses"]
    assert first == {
        "participant": 1, "username": "vecina", "name": "vecina",
        "first_answered_at": "2026-03-05T10:00:00-05:00", "last_answered_at": "2026-03-05T10:00:00-05:00",
        "stances": {"1": {"stance": "favor", "reason": 'Bien, "claro"'}},
        "answers": {"1": "Domingo", "2": "Agua | Luz", "3": "Nada"},
    }  # fmt: skip
    assert second == {
        "participant": 2, "username": None, "name": None,
        "first_answered_at": "2026-03-05T11:00:00-05:00", "last_answered_at": "2026-03-05T11:00:00-05:00",
        "stances": {"2": {"stance": "contra", "reason": ""}}, "answers": {"1": "Sábado"},
    }  # fmt: skip
    response = await visitor.get(f"/c/{world.slug}/export.csv")
    assert response.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == ["participant", "username", "name", "first_answered_at", "last_answered_at",
                       "section_1_stance", "section_1_reason", "section_2_stance", "section_2_reason",
                       "question_1", "question_2", "question_3"]  # fmt: skip
    assert rows[1] == ["1", "vecina", "vecina", "2026-03-05T10:00:00-05:00", "2026-03-05T10:00:00-05:00", "favor",
                       'Bien, "claro"', "", "", "Domingo", "Agua | Luz", "Nada"]  # fmt: skip
    assert rows[2] == ["2", "", "", "2026-03-05T11:00:00-05:00", "2026-03-05T11:00:00-05:00", "", "", "contra", "",
                       "Sábado", "", ""]  # fmt: skip
    assert "residente" not in await (await visitor.get(f"/c/{world.slug}/export.csv")).text()


async def test_a_new_version_is_published_and_its_difference_shown(world: World) -> None:
    official = world.people["official"]
    await official.get(f"/c/{world.slug}/edit")
    assert "De 6:00 a 18:00." in official.last_html and 'value="2026-03-15T18:00"' in official.last_html
    form = publish_form(document="## Horario\nDe 6:00 a 20:00.\n\n## Limpieza\nCada puesto limpia su frente.\n")
    response = await official.submit(f"/c/{world.slug}/edit", form)
    assert response.status == 200 and response.url.path == f"/c/{world.slug}/versions"
    page = official.last_html
    assert "<del>18:00.</del><ins>20:00.</ins>" in page and "style=" not in page
    await official.get(f"/c/{world.slug}/versions/1")
    assert "De 6:00 a 18:00." in official.last_html


async def test_the_home_page_lists_an_overdue_consultation_until_the_council_answers(world: World) -> None:
    visitor = world.people["anonymous"]
    world.clock.current = CLOSED
    await visitor.get("/")
    assert world.slug not in visitor.last_html
    world.clock.current = OVERDUE
    await visitor.get("/")
    assert f'href="/c/{world.slug}"' in visitor.last_html
    assert shown_count("%(num)s day overdue", "%(num)s days overdue", 3) in visitor.last_html
    await visitor.get(f"/c/{world.slug}")
    assert shown("Closed · no answer yet") in visitor.last_html
    official = world.people["official"]
    response = await official.submit(f"/c/{world.slug}/answer", {
        "general": "Gracias por participar.", "changes": "Se amplía el horario.", "reply_1": "Se acepta."})  # fmt: skip
    assert response.status == 200 and response.url.path == f"/c/{world.slug}"
    assert "Gracias por participar." in official.last_html and "Se acepta." in official.last_html
    await visitor.get("/")
    assert world.slug not in visitor.last_html
    again = await official.submit(f"/c/{world.slug}/answer", {"general": "Otra vez"})
    assert again.status == 409
    assert shown("The council has already published its answer to this consultation.") in official.last_html


async def test_an_empty_council_answer_is_refused_next_to_the_field(world: World) -> None:
    await world.people["member"].submit(f"/c/{world.slug}/respond", {"stance_2": "contra"})
    world.clock.current = CLOSED
    official = world.people["official"]
    await official.get(f"/c/{world.slug}/answer")
    assert f"2. Limpieza: {shown('In favour')} 0 · {shown('Neutral')} 0 · {shown('Against')} 1" in official.last_html
    response = await official.submit(f"/c/{world.slug}/answer", {"general": " ", "reply_2": "Bien"})
    assert response.status == 400 and 'id="general-error"' in official.last_html and "Bien" in official.last_html
    assert await world.count("consultation_council_answer") == 0


async def test_a_verified_residents_consultation_tells_others_why_they_cannot_answer(world: World) -> None:
    published = await world.run(lambda conn: consultations.publish_consultation(
        conn, clock=world.clock, actor=world.made["funcionaria"],
        data=publish_form(title="Solo residentes", audience="verified_residents")))  # fmt: skip
    slug = published.slug
    member = world.people["member"]
    await member.get(f"/c/{slug}")
    message = shown("Only verified residents of the district can take part in this consultation.")
    assert message in member.last_html and f"/c/{slug}/respond" not in member.last_html
    response = await member.submit(f"/c/{slug}/respond", {"stance_1": "favor"}, form_page=f"/c/{slug}")
    assert response.status == 403 and message in member.last_html
    assert await world.count("consultation_stance") == 0


async def test_every_consultation_page_fits_a_prepaid_phone_and_needs_no_script(world: World) -> None:
    """Under 30 KB of HTML and CSS once compressed, no script and no style attribute, for every role's view."""
    world.clock.current = CLOSED
    await world.run(lambda conn: consultations.publish_update(
        conn, clock=world.clock, actor=world.made["funcionaria"], slug=world.slug,
        data={"body": "Revisamos."}))  # fmt: skip
    official = world.people["official"]
    css = len(gzip.compress(await (await official.get("/static/style.css")).read()))
    paths = ["/", "/consultations", "/consultations/new", f"/c/{world.slug}", f"/c/{world.slug}/summary",
             f"/c/{world.slug}/answer", f"/c/{world.slug}/edit", f"/c/{world.slug}/versions"]  # fmt: skip
    for path in paths:
        response = await official.get(path)
        assert response.status == 200, path
        page = official.last_html
        assert len(gzip.compress(page.encode())) + css < 30 * 1024, path
        assert "<script" not in page and " style=" not in page, path
    await official.get(f"/c/{world.slug}")
    updates = official.last_html[official.last_html.index('id="updates"') :]
    assert "Ana Quispe, Gerencia de Desarrollo Económico" in updates and "Revisamos." in updates


async def test_an_operator_names_an_official_from_the_officials_page(world: World) -> None:
    operator = world.people["operator"]
    await operator.get("/consultations/officials")
    assert "Ana Quispe" in operator.last_html and "Gerencia de Desarrollo Económico" in operator.last_html
    response = await operator.submit(
        "/consultations/officials", {"username": "nadie", "name": "Pepe", "office": "Alcaldía"}
    )
    assert response.status == 404 and 'id="username-error"' in operator.last_html
    response = await operator.submit(
        "/consultations/officials", {"username": "vecina", "name": "Rosa Huamán", "office": ""}
    )
    assert (
        response.status == 400
        and 'id="office-error"' in operator.last_html
        and 'value="Rosa Huamán"' in operator.last_html
    )
    assert await world.count("official") == 1
    office = "Subgerencia de Participación Vecinal"
    response = await operator.submit(
        "/consultations/officials", {"username": "vecina", "name": "Rosa Huamán", "office": office}
    )
    assert response.status == 200 and "Rosa Huamán</strong>, Subgerencia de Participación Vecinal" in operator.last_html
    # The new official publishes at once (the role is read from the database on every request).
    await world.people["member"].get("/consultations/new")
    assert world.people["member"].last_html.count('name="document"') == 1
    for role in ("member", "official"):
        assert (await world.people[role].get("/consultations/officials")).status == 403


async def test_a_typed_formula_cannot_run_when_the_export_is_opened_in_a_spreadsheet(world: World) -> None:
    typed = {"q_3": '=HYPERLINK("http://x")', "stance_1": "favor", "reason_1": "@SUM(A1)"}
    await world.people["member"].submit(f"/c/{world.slug}/respond", typed)
    visitor = world.people["anonymous"]
    rows = list(csv.reader(io.StringIO(await (await visitor.get(f"/c/{world.slug}/export.csv")).text())))
    assert rows[1][6] == "'@SUM(A1)" and rows[1][-1] == '\'=HYPERLINK("http://x")'
    # The JSON export is data, not a spreadsheet: it keeps the text exactly as typed.
    body = await (await visitor.get(f"/c/{world.slug}/export.json")).json()
    assert body["responses"][0]["answers"]["3"] == '=HYPERLINK("http://x")'

"""Participatory-budget pages on a real node: the list, opening a process, the process page, proposing, reviewing,
follow-up and the officials' resident verification, each form's refusals shown next to the field, and who may do
what (anonymous, member, official, operator)."""

from __future__ import annotations

import gzip
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account, Role
from deliberate.budgets import service as budgets
from deliberate.budgets.model import BudgetProcess
from deliberate.clock import FrozenClock
from tests.conftest import Node, Visitor, cheap_passwords
from tests.web.support import NodeWorld, shown

START = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
PASSWORD = "clave-segura-123"
ROLES = ("anonymous", "member", "official", "operator")


@dataclass
class World(NodeWorld):
    clock: FrozenClock
    made: dict[str, Account]
    people: dict[str, Visitor]
    process: BudgetProcess


def process_form(**extra: str) -> dict[str, str]:
    return {
        "title": "Presupuesto Participativo 2027",
        "description": "Obras para el distrito.",
        "zones": "Zona Norte; 300 000\nZona Sur; 200000",
        "total_amount": "",
        "ballot_rule": "approval",
        "max_choices": "3",
        "points": "",
        "min_share": "",
        "counting_rule": "mes",
        "min_votes": "",
        "completion": "add1",
        "satisfaction": "cost",
        "tie_break": "equalshares",
        "tie_seed": "semilla-publica-2027",
        # Lima time, as a datetime-local input sends it.
        "proposals_open_at": "2026-03-02T09:00",
        "review_starts_at": "2026-03-11T09:00",
        "voting_opens_at": "2026-03-21T09:00",
        "voting_closes_at": "2026-03-31T18:00",
        "implementation_starts_at": "2026-05-01T00:00",
        **extra,
    }


async def build_world(node_factory: Any) -> World:
    clock = FrozenClock(START)
    node: Node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    made: dict[str, Account] = {}
    try:
        async with conn.transaction():
            to_register: list[tuple[str, tuple[Role, ...]]] = [
                ("vecina", ()), ("funcionaria", ("official",)), ("operador", ("operator",))
            ]  # fmt: skip
            for username, roles in to_register:
                made[username] = await accounts.register_account(
                    conn, clock=clock, passwords=cheap_passwords(),
                    data={"username": username, "password": PASSWORD, "password_confirm": PASSWORD}, roles=roles,
                )  # fmt: skip
            process = await budgets.create_process(conn, clock=clock, actor=made["funcionaria"], data=process_form())
    finally:
        await conn.close()
    people: dict[str, Visitor] = {"anonymous": await node.visitor()}
    for role, username in [("member", "vecina"), ("official", "funcionaria"), ("operator", "operador")]:
        visitor = await node.visitor()
        assert (await visitor.login(username, PASSWORD)).status == 200
        people[role] = visitor
    return World(node, clock, made, people, process)


@pytest.fixture
async def world(node_factory: Any) -> World:
    return await build_world(node_factory)


def in_proposals(world: World) -> None:
    world.clock.current = world.process.proposals_open_at + timedelta(hours=1)


async def propose(world: World, who: str = "vecina", **extra: str) -> int:
    in_proposals(world)
    data = {"title": "Losa deportiva", "description": "Cancha con luz.", "location": "Jr. Los Pinos 3",
            "zone_id": str(world.process.zones[0].id), "estimated_cost": "85000", **extra}  # fmt: skip
    project = await world.run(
        lambda conn: budgets.propose_project(
            conn, clock=world.clock, actor=world.made[who], slug=world.process.slug, data=data
        )
    )
    return int(project.id)


async def publish_results(world: World) -> None:
    """What the voting pages do when they publish (theirs to test); enough to open the follow-up."""

    async def mark(conn: Any) -> None:
        await conn.execute(
            """UPDATE budget_process SET results_published_at = $2, results_published_by = $3, chain_head = 'h',
               chain_signature = 's', chain_public_key = 'k' WHERE id = $1""",
            world.process.id,
            world.process.voting_closes_at,
            world.made["funcionaria"].id,
        )

    await world.run(mark)
    world.clock.current = world.process.voting_closes_at + timedelta(days=1)


def error_of(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown next to {field}"
    return match[1]


# The list and the process page


async def test_the_list_shows_processes_newest_first_with_their_phase(world: World) -> None:
    await world.run(
        lambda conn: budgets.create_process(
            conn, clock=world.clock, actor=world.made["operador"], data=process_form(title="Presupuesto 2028")
        )
    )
    visitor = world.people["anonymous"]
    response = await visitor.get("/budgets")
    assert response.status == 200
    page = visitor.last_html
    assert page.index("Presupuesto 2028") < page.index("Presupuesto Participativo 2027")
    assert shown("Not open yet") in page and "S/ 500 000,00" in page
    assert 'href="/budgets/new"' not in page
    await world.people["official"].get("/budgets")
    assert 'href="/budgets/new"' in world.people["official"].last_html
    await visitor.get("/")
    assert 'href="/budgets"' in visitor.last_html  # in the main navigation


async def test_the_process_page_shows_calendar_zones_rules_and_projects(world: World) -> None:
    project_id = await propose(world)
    visitor = world.people["anonymous"]
    assert (await visitor.get(f"/b/{world.process.slug}")).status == 200
    page = visitor.last_html
    assert "Zona Norte" in page and "S/ 300 000,00" in page and "S/ 200 000,00" in page
    current = re.search(r'<li aria-current="step">\s*<strong>(.*?)</strong>', page)
    assert current and current[1] == shown("Proposals")
    assert "02/03/2026 09:00" in page  # Lima time, as typed
    assert shown("Each voter marks the projects they support, up to %(k)s.", k=3) in page
    assert "semilla-publica-2027" in page
    assert f'href="/b/{world.process.slug}/p/{project_id}"' in page and "S/ 85 000,00" in page
    assert shown("not reviewed yet") in page
    assert f'href="/b/{world.process.slug}/projects/new"' in page
    assert 'id="voting"' in page  # the spot for the voting pages' links
    world.clock.current = world.process.review_starts_at
    await visitor.get(f"/b/{world.process.slug}")
    assert f'href="/b/{world.process.slug}/projects/new"' not in visitor.last_html
    assert (await visitor.get("/b/no-existe")).status == 404


# Opening a process


async def test_an_official_opens_a_process_through_the_form(world: World) -> None:
    official = world.people["official"]
    response = await official.submit("/budgets", process_form(title="Presupuesto Juvenil"), form_page="/budgets/new")
    assert response.status == 200 and response.url.path == "/b/presupuesto-juvenil"
    assert "Presupuesto Juvenil" in official.last_html
    assert await world.count("budget_process") == 2 and await world.count("forum") == 2


async def test_a_bad_process_form_shows_each_error_next_to_its_field_and_keeps_what_was_typed(world: World) -> None:
    official = world.people["official"]
    data = process_form(title="Presupuesto Malo", zones="Zona Norte 300000", review_starts_at="2026-01-01T00:00",
                        points="5")  # fmt: skip
    response = await official.submit("/budgets", data, form_page="/budgets/new")
    assert response.status == 400
    page = official.last_html
    assert shown('Line %(line)s: write the zone, a semicolon and its amount, like "Zona A; 150000".', line=1) in (
        error_of(page, "zones")
    )
    assert shown("The phases must follow each other: proposals, review, voting, results, implementation.") in (
        error_of(page, "review_starts_at")
    )
    assert shown("The chosen rule does not use this value. Please leave it empty.") in error_of(page, "points")
    assert "Zona Norte 300000</textarea>" in page and 'value="Presupuesto Malo"' in page
    assert await world.count("budget_process") == 1


async def test_a_json_client_gets_a_problem_listing_the_fields(world: World) -> None:
    official = world.people["official"]
    token = await official.csrf("/budgets/new")
    response = await official.session.post(
        official.url("/budgets"), data={**process_form(max_choices=""), "csrf_token": token},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert response.status == 400 and response.content_type == "application/problem+json"
    body = await response.json()
    assert [e["field"] for e in body["errors"]] == ["max_choices"]


# Changing an open process


async def test_an_official_moves_a_date_still_to_come_and_the_passed_ones_are_shown_not_offered(world: World) -> None:
    in_proposals(world)
    official = world.people["official"]
    assert (await official.get(f"/b/{world.process.slug}")).status == 200
    assert f'href="/b/{world.process.slug}/edit"' in official.last_html
    assert (await official.get(f"/b/{world.process.slug}/edit")).status == 200
    page = official.last_html
    assert 'type="hidden" name="proposals_open_at" value="2026-03-02T09:00"' in page  # passed: shown, not offered
    assert 'id="review_starts_at"' in page and 'value="2026-03-11T09:00"' in page
    form = _change_form(review_starts_at="2026-03-14T09:00", title="Presupuesto Participativo 2027 (ampliado)")
    response = await official.submit(f"/b/{world.process.slug}/edit", form, form_page=f"/b/{world.process.slug}/edit")
    assert response.status == 200 and response.url.path == f"/b/{world.process.slug}"
    assert "Presupuesto Participativo 2027 (ampliado)" in official.last_html
    changed = await world.run(lambda conn: budgets.get_process(conn, world.process.slug))
    assert changed.review_starts_at == datetime(2026, 3, 14, 14, 0, tzinfo=UTC)  # 09:00 in Lima
    assert changed.proposals_open_at == world.process.proposals_open_at
    member = world.people["member"]
    assert (await member.get(f"/b/{world.process.slug}")).status == 200 and "/edit" not in member.last_html


async def test_moving_a_passed_date_or_into_the_past_is_shown_next_to_the_date_and_changes_nothing(
    world: World,
) -> None:
    in_proposals(world)
    official = world.people["official"]
    form = _change_form(proposals_open_at="2026-03-03T09:00", voting_opens_at="2026-03-01T09:00", title="Otro")
    response = await official.submit(f"/b/{world.process.slug}/edit", form, form_page=f"/b/{world.process.slug}/edit")
    assert response.status == 400
    page = official.last_html
    assert shown("This date has passed, so it can no longer change.") in error_of(page, "proposals_open_at")
    assert shown("Please choose a date that has not passed yet.") in error_of(page, "voting_opens_at")
    assert 'value="Otro"' in page  # what was typed stays
    assert await world.run(lambda conn: budgets.get_process(conn, world.process.slug)) == world.process


# The JSON API


async def test_the_api_lists_processes_and_gives_each_with_its_rules_zones_and_projects(world: World) -> None:
    project_id = await propose(world)
    anonymous = world.people["anonymous"]
    listed = await anonymous.session.get(anonymous.url("/api/v1/budgets"))
    assert listed.status == 200
    page = await listed.json()
    assert [p["slug"] for p in page["items"]] == [world.process.slug] and page["next"] is None
    assert page["items"][0]["phase"] == "proposals" and page["items"][0]["total_amount"] == "500000.00"
    got = await anonymous.session.get(anonymous.url(f"/api/v1/budgets/{world.process.slug}"))
    process = await got.json()
    assert (process["ballot_rule"], process["max_choices"], process["counting_rule"], process["completion"]) == (
        "approval", 3, "mes", "add1")  # fmt: skip
    assert process["tie_seed"] == "semilla-publica-2027"
    assert [(z["name"], z["amount"]) for z in process["zones"]] == [
        ("Zona Norte", "300000.00"),
        ("Zona Sur", "200000.00"),
    ]
    projects = await (
        await anonymous.session.get(anonymous.url(f"/api/v1/budgets/{world.process.slug}/projects"))
    ).json()
    [project] = projects["items"]
    assert (project["id"], project["title"], project["estimated_cost"], project["feasible"]) == (
        project_id, "Losa deportiva", "85000.00", None)  # fmt: skip
    assert project["proposed_by"] == "vecina" and project["url"].endswith(f"/b/{world.process.slug}/p/{project_id}")
    missing = await anonymous.session.get(anonymous.url("/api/v1/budgets/no-existe"))
    assert missing.status == 404 and missing.content_type == "application/problem+json"


# Proposing


async def test_a_member_proposes_a_project_through_the_form(world: World) -> None:
    in_proposals(world)
    member = world.people["member"]
    path = f"/b/{world.process.slug}/projects"
    data = {"title": "Parque infantil", "description": "Juegos para niños.\r\n\r\nCon <b>sombra</b>\r\ny bancas.",
            "location": "Av. Central 100",
            "zone_id": str(world.process.zones[1].id), "estimated_cost": "S/ 45 000,50"}  # fmt: skip
    response = await member.submit(path, data, form_page=f"{path}/new")
    assert response.status == 200 and re.fullmatch(rf"/b/{world.process.slug}/p/\d+", response.url.path)
    page = member.last_html
    assert "Parque infantil" in page and "S/ 45 000,50" in page and "Av. Central 100" in page
    assert 'href="/u/vecina"' in page and shown("Not reviewed yet.") in page
    # Paragraphs and line breaks as typed; nothing typed becomes markup.
    paragraphs = '<p class="prose">Juegos para niños.</p><p class="prose">Con &lt;b&gt;sombra&lt;/b&gt;<br>y bancas.'
    assert paragraphs in page
    thread = re.search(r'href="/t/(\d+)"', page)
    assert thread
    await member.get(f"/t/{thread[1]}")
    # The thread links back to the project with the node's address, so the link works from other nodes too.
    assert f'href="{world.node.base_url}{response.url.path}"' in member.last_html


async def test_a_cost_above_the_zone_amount_is_shown_next_to_the_cost(world: World) -> None:
    in_proposals(world)
    member = world.people["member"]
    path = f"/b/{world.process.slug}/projects"
    data = {"title": "Coliseo", "zone_id": str(world.process.zones[1].id), "estimated_cost": "200 000,01"}
    response = await member.submit(path, data, form_page=f"{path}/new")
    assert response.status == 400
    assert shown("The cost cannot be more than the amount of the zone.") in error_of(member.last_html, "estimated_cost")
    assert 'value="Coliseo"' in member.last_html
    assert await world.count("budget_project") == 0


async def test_proposing_outside_the_proposal_phase_is_refused_with_a_page(world: World) -> None:
    member = world.people["member"]
    path = f"/b/{world.process.slug}/projects"
    assert (await member.get(f"{path}/new")).status == 409  # not open yet
    in_proposals(world)
    token = await member.csrf(f"{path}/new")
    world.clock.current = world.process.review_starts_at
    response = await member.session.post(
        member.url(path), data={"title": "Tarde", "zone_id": str(world.process.zones[0].id),
                                "estimated_cost": "10", "csrf_token": token},
    )  # fmt: skip
    assert response.status == 409
    assert shown("Projects can only be proposed while the proposal phase is open.") in await response.text()
    assert await world.count("budget_project") == 0


# Review and follow-up


async def test_an_official_reviews_and_corrects_in_public(world: World) -> None:
    project_id = await propose(world)
    official = world.people["official"]
    path = f"/b/{world.process.slug}/p/{project_id}"
    response = await official.submit(f"{path}/review", {"feasible": "yes", "reason": "Terreno municipal.",
                                                        "final_cost": "90 000"}, form_page=path)  # fmt: skip
    assert response.status == 200 and response.url.path == path
    assert "Terreno municipal." in official.last_html and "S/ 90 000,00" in official.last_html
    await official.submit(f"{path}/review", {"feasible": "no", "reason": "Es zona de riesgo.", "final_cost": ""},
                          form_page=path)  # fmt: skip
    anonymous = world.people["anonymous"]
    await anonymous.get(path)
    page = anonymous.last_html
    assert "Es zona de riesgo." in page and shown("Earlier decisions") in page and "Terreno municipal." in page
    assert f'action="{path}/review"' not in page  # the form is for officials only


async def test_a_review_without_a_reason_is_shown_next_to_the_reason(world: World) -> None:
    project_id = await propose(world)
    official = world.people["official"]
    path = f"/b/{world.process.slug}/p/{project_id}"
    response = await official.submit(f"{path}/review", {"feasible": "yes", "reason": " ", "final_cost": "1000"},
                                     form_page=path)  # fmt: skip
    assert response.status == 400
    assert shown("Please write the reason for the decision. Everyone can read it.") in (
        error_of(official.last_html, "reason")
    )
    response = await official.submit(f"{path}/review", {"feasible": "yes", "reason": "Bien.", "final_cost": ""},
                                     form_page=path)  # fmt: skip
    assert shown("Please enter the final cost of a feasible project.") in error_of(official.last_html, "final_cost")
    assert (await world.count("budget_project")) == 1
    conn = await world.node.connect()
    try:
        assert await conn.fetchval("SELECT reviewed_at FROM budget_project") is None
    finally:
        await conn.close()


async def test_an_official_posts_the_follow_up_after_results(world: World) -> None:
    project_id = await propose(world)
    official = world.people["official"]
    path = f"/b/{world.process.slug}/p/{project_id}"
    await official.get(path)
    assert f'action="{path}/follow-up"' not in official.last_html
    await publish_results(world)
    response = await official.submit(f"{path}/follow-up", {"status": "", "note": ""}, form_page=path)
    assert response.status == 400 and error_of(official.last_html, "status")
    response = await official.submit(f"{path}/follow-up", {"status": "in_progress", "note": "Obra adjudicada."},
                                     form_page=path)  # fmt: skip
    assert response.status == 200
    await world.people["anonymous"].get(path)
    assert shown("In progress") in world.people["anonymous"].last_html
    assert "Obra adjudicada." in world.people["anonymous"].last_html


# Resident verification


async def test_officials_verify_residents_and_see_it_on_the_member_page(world: World) -> None:
    official = world.people["official"]
    response = await official.submit("/admin/residents", {"username": "vecina", "place": "Centro TIC Pachacámac",
                                                           "action": "verify"})  # fmt: skip
    assert response.status == 200 and response.url.path == "/admin/residents"
    assert "@vecina" in official.last_html and "Centro TIC Pachacámac" in official.last_html
    await official.get("/u/vecina")
    assert shown("verified resident") in official.last_html
    for role in ("anonymous", "member"):
        await world.people[role].get("/u/vecina")
        assert shown("verified resident") not in world.people[role].last_html
    response = await official.submit("/admin/residents", {"username": "vecina", "action": "unverify"})
    assert response.status == 200 and await world.count("resident_verification") == 0


async def test_verifying_an_unknown_member_is_shown_next_to_the_username(world: World) -> None:
    official = world.people["official"]
    response = await official.submit("/admin/residents", {"username": "nadie", "place": "", "action": "verify"})
    assert response.status == 404
    assert shown("There is no member with that username on this node.") in error_of(official.last_html, "username")
    response = await official.submit("/admin/residents", {"username": "funcionaria", "action": "verify"})
    assert response.status == 403
    assert shown("Another official or operator must verify you as a resident.") in (
        error_of(official.last_html, "username")
    )
    assert await world.count("resident_verification") == 0


# Who may do what


def _change_form(**extra: str) -> dict[str, str]:
    fields = ("title", "description", "proposals_open_at", "review_starts_at", "voting_opens_at", "voting_closes_at",
              "implementation_starts_at")  # fmt: skip
    return {name: process_form()[name] for name in fields} | extra


def _post(path: Callable[[World], str], data: Callable[[World], dict[str, str]]) -> Any:
    async def attempt(world: World, visitor: Visitor) -> Any:
        return await visitor.submit(path(world), data(world), form_page="/login")  # a page with a token

    return attempt


def _get(path: Callable[[World], str]) -> Any:
    async def attempt(world: World, visitor: Visitor) -> Any:
        return await visitor.get(path(world))

    return attempt


async def _nothing(world: World) -> None:
    return None


async def _with_project(world: World) -> None:
    world.process = await world.run(lambda conn: budgets.get_process(conn, world.process.slug))
    setattr(world, "project_id", await propose(world))  # noqa: B010 - a test-only attribute


async def _with_results(world: World) -> None:
    await _with_project(world)
    await publish_results(world)


def _project(world: World) -> str:
    return f"/b/{world.process.slug}/p/{getattr(world, 'project_id')}"  # noqa: B009


async def _with_verified_resident(world: World) -> None:
    await world.run(
        lambda conn: budgets.verify_resident(conn, clock=world.clock, actor=world.made["operador"], username="vecina")
    )


STAFF = {"official", "operator"}
EVERYONE_SIGNED_IN = {"member", "official", "operator"}
# action: (setup, attempt, roles allowed, table whose rows a refusal must leave alone)
ACTIONS: dict[str, tuple[Any, Any, set[str], str]] = {
    "see the form to open a process": (_nothing, _get(lambda w: "/budgets/new"), STAFF, "budget_process"),
    "open a process": (
        _nothing, _post(lambda w: "/budgets", lambda w: process_form(title=f"Presupuesto {id(w)}")), STAFF,
        "budget_process",
    ),
    "see the form to propose": (
        _with_project, _get(lambda w: f"/b/{w.process.slug}/projects/new"), EVERYONE_SIGNED_IN, "budget_project",
    ),
    "propose a project": (
        _with_project,
        _post(lambda w: f"/b/{w.process.slug}/projects",
              lambda w: {"title": "Otra obra", "zone_id": str(w.process.zones[0].id), "estimated_cost": "1000"}),
        EVERYONE_SIGNED_IN, "budget_project",
    ),
    "review a project": (
        _with_project, _post(lambda w: f"{_project(w)}/review", lambda w: {"feasible": "no", "reason": "No."}), STAFF,
        "budget_project WHERE reviewed_at IS NOT NULL",
    ),
    "post the follow-up": (
        _with_results, _post(lambda w: f"{_project(w)}/follow-up", lambda w: {"status": "done", "note": ""}), STAFF,
        "budget_project WHERE implementation_status IS NOT NULL",
    ),
    "see the form to change a process": (
        _nothing, _get(lambda w: f"/b/{w.process.slug}/edit"), STAFF, "budget_process",
    ),
    "change a process": (
        _nothing, _post(lambda w: f"/b/{w.process.slug}/edit", lambda w: _change_form(title=f"Cambiado {id(w)}")),
        STAFF, "budget_process WHERE title LIKE 'Cambiado%'",
    ),
    "see the residents page": (_nothing, _get(lambda w: "/admin/residents"), STAFF, "resident_verification"),
    "verify a resident": (
        _nothing, _post(lambda w: "/admin/residents", lambda w: {"username": "vecina", "action": "verify"}), STAFF,
        "resident_verification",
    ),
    "withdraw a verification": (
        _with_verified_resident,
        _post(lambda w: "/admin/residents", lambda w: {"username": "vecina", "action": "unverify"}),
        STAFF,
        "resident_verification",
    ),
}  # fmt: skip


async def outcome(response: Any) -> str:
    if response.url.path == "/login":
        return "login"
    return "allowed" if response.status == 200 else f"refused {response.status}"


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_each_action_is_allowed_exactly_to_the_roles_that_may_do_it(node_factory: Any, action: str) -> None:
    world = await build_world(node_factory)
    setup, attempt, allowed, table = ACTIONS[action]
    await setup(world)
    results = {}
    for role in sorted(ROLES, key=lambda r: r in allowed):  # refused roles first: they must change nothing
        if role in allowed:
            await setup(world)  # each allowed role acts on a target of its own (a verification to withdraw…)
        before = await world.count(table)
        results[role] = await outcome(await attempt(world, world.people[role]))
        if role not in allowed:
            assert await world.count(table) == before, (role, action)
    expected = {
        role: "allowed" if role in allowed else ("login" if role == "anonymous" else "refused 403") for role in ROLES
    }
    assert results == expected


async def test_budget_pages_fit_a_prepaid_phone_and_need_no_script(world: World) -> None:
    project_id = await propose(world)
    css = await (await world.people["anonymous"].get("/static/style.css")).read()
    css_size = len(gzip.compress(css))
    pages = {
        "anonymous": ["/budgets", f"/b/{world.process.slug}", f"/b/{world.process.slug}/p/{project_id}"],
        "official": ["/budgets/new", f"/b/{world.process.slug}/projects/new", "/admin/residents",
                     f"/b/{world.process.slug}/p/{project_id}"],
    }  # fmt: skip
    for role, paths in pages.items():
        visitor = world.people[role]
        for path in paths:
            assert (await visitor.get(path)).status == 200, path
            assert "<script" not in visitor.last_html and "style=" not in visitor.last_html, path
            assert len(gzip.compress(visitor.last_html.encode())) + css_size < 30 * 1024, path


async def test_the_list_pages_older_processes_with_a_cursor(world: World) -> None:
    async def open_many(conn: Any) -> None:
        for number in range(30):
            world.clock.advance(minutes=1)
            await budgets.create_process(
                conn, clock=world.clock, actor=world.made["operador"], data=process_form(title=f"Proceso {number:02}")
            )

    await world.run(open_many)
    visitor = world.people["anonymous"]
    await visitor.get("/budgets")
    first = visitor.last_html
    assert "Proceso 29" in first and "Proceso 00" in first and "Presupuesto Participativo 2027" not in first
    older = re.search(r'href="(/budgets\?before=[^"]+)"', first)
    assert older
    assert (await visitor.get(html.unescape(older[1]))).status == 200
    assert "Presupuesto Participativo 2027" in visitor.last_html and "Proceso 00" not in visitor.last_html
    assert (await visitor.get("/budgets?before=ayer_x")).status == 404

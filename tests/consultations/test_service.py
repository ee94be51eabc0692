"""Consultation rules through the service, on a real database: publishing, versions, answering, positions, the
council's answer, tallies and the export. Every refusal is checked to leave every table as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from deliberate import errors
from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import FrozenClock
from deliberate.consultations import service as consultations
from deliberate.forums import service as forums
from deliberate.moderation import service as moderation
from deliberate.validation import LIMA, InvalidFields
from tests.db.test_organizations_service import found, member

DOCUMENT = """## Horario de mercados
Los mercados abrirán de **6:00** a 18:00.

## Limpieza
Cada puesto limpia su frente.
"""
QUESTIONS = """single: ¿Qué día prefiere para la feria?
Sábado
Domingo

multiple: ¿Qué servicios faltan?
Agua
Baños
Luz

text: ¿Algo más?"""


def draft(**changes: str) -> dict[str, str]:
    data = {
        "title": "Ordenanza de mercados",
        "summary": "Cambios al horario y la limpieza de los mercados.",
        "opens_at": "2026-03-01T08:00",
        "closes_at": "2026-03-15T18:00",
        "audience": "everyone",
        "ask_stances": "1",
        "document": DOCUMENT,
        "questions": QUESTIONS,
    }
    return data | changes


TABLES = (
    "consultation", "consultation_section", "consultation_question", "consultation_option", "consultation_participant",
    "consultation_stance", "consultation_answer", "consultation_position", "consultation_council_answer",
    "consultation_section_reply", "consultation_update", "official", "forum", "thread", "post", "domain_event",
)  # fmt: skip


async def snapshot(db: asyncpg.Connection) -> dict[str, Any]:
    """Every row count a refusal could change, and the answers themselves."""
    counts: dict[str, Any] = {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}  # noqa: S608
    counts["rows"] = await db.fetch("SELECT * FROM consultation_stance ORDER BY section_id, account_id")
    counts["answers"] = await db.fetch("SELECT * FROM consultation_answer ORDER BY question_id, account_id")
    return counts


async def setup(db: asyncpg.Connection, clock: FrozenClock, **changes: str) -> tuple[Account, Account, str]:
    operator = await member(db, "operadora", "operator")
    await member(db, "funcionaria")
    office = "Gerencia de Desarrollo Económico"
    await consultations.appoint_official(
        db, clock=clock, actor=operator, username="funcionaria", data={"name": "Ana Quispe", "office": office}
    )
    official = await accounts.access_account_by_username(db, "funcionaria")  # now with the role
    rosa = await member(db, "rosa")
    published = await consultations.publish_consultation(db, clock=clock, actor=official, data=draft(**changes))
    return official, rosa, published.slug


def opened() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 5, 15, 0, tzinfo=UTC))


async def test_an_official_publishes_sections_questions_and_a_comment_thread_per_section(
    db: asyncpg.Connection,
) -> None:
    clock = opened()
    _, _, slug = await setup(db, clock)
    document = await consultations.access_consultation(db, slug)
    c = document.consultation
    assert (c.slug, c.version, c.publisher_name, c.publisher_office) == (
        "ordenanza-de-mercados", 1, "Ana Quispe", "Gerencia de Desarrollo Económico")  # fmt: skip
    # Typed in Lima time (UTC-5), stored as the same instant.
    assert c.opens_at == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert c.closes_at.astimezone(LIMA).hour == 18
    assert c.answer_due_at == c.closes_at + timedelta(days=30)
    assert [(s.number, s.heading) for s in document.sections] == [(1, "Horario de mercados"), (2, "Limpieza")]
    assert "<strong>6:00</strong>" in document.sections[0].html
    assert [(q.kind, [o.label for o in q.options]) for q in document.questions] == [
        ("single", ["Sábado", "Domingo"]), ("multiple", ["Agua", "Baños", "Luz"]), ("text", [])]  # fmt: skip
    threads = await db.fetch(
        "SELECT t.title, t.forum_id FROM thread t JOIN consultation_section s ON s.thread_id = t.id ORDER BY s.number"
    )
    assert [t["title"] for t in threads] == ["1. Horario de mercados", "2. Limpieza"]
    assert {t["forum_id"] for t in threads} == {c.forum_id}


async def test_a_given_answer_deadline_is_kept(db: asyncpg.Connection) -> None:
    clock = opened()
    _, _, slug = await setup(db, clock, answer_due_at="2026-04-01")
    c = (await consultations.access_consultation(db, slug)).consultation
    assert c.answer_due_at == datetime(2026, 4, 1, 5, 0, tzinfo=UTC)  # midnight in Lima


async def test_a_member_who_is_not_an_official_cannot_publish(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, _ = await setup(db, clock)
    before = await snapshot(db)
    with pytest.raises(errors.OfficialsOnly):
        await consultations.publish_consultation(db, clock=clock, actor=rosa, data=draft(title="Otra consulta"))
    with pytest.raises(errors.Unauthenticated):
        await consultations.publish_consultation(db, clock=clock, actor=None, data=draft(title="Otra consulta"))
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"closes_at": "2026-02-01T08:00"}, "closes_at"),
        ({"opens_at": "mañana"}, "opens_at"),
        ({"answer_due_at": "2026-03-10"}, "answer_due_at"),
        ({"audience": "todos"}, "audience"),
        ({"document": ""}, "document"),
        ({"document": "texto sin título\n## Uno\nx"}, "document"),
        ({"questions": "pregunta: ¿qué?"}, "questions"),
        ({"questions": "single: ¿Sí o no?\nSí"}, "questions"),
    ],
)  # fmt: skip
async def test_a_malformed_consultation_is_refused_per_field(
    db: asyncpg.Connection, changes: dict[str, str], field: str
) -> None:
    clock = opened()
    official, _, _ = await setup(db, clock)
    before = await snapshot(db)
    with pytest.raises(InvalidFields) as caught:
        await consultations.publish_consultation(db, clock=clock, actor=official, data=draft(**changes))
    assert field in [e.field for e in caught.value.errors]
    assert await snapshot(db) == before


async def test_a_participant_answers_and_changes_the_answer_until_closing(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={
        "stance_1": "favor", "reason_1": "Más horas", "stance_2": "contra", "q_1": "2", "q_2_1": "1", "q_2_3": "1",
        "multiple_q": "2", "q_3": "Gracias", "show_name": "1"})  # fmt: skip
    clock.advance(hours=1)
    second = {"stance_1": "neutral", "reason_1": "", "stance_2": "", "q_1": "1", "q_2_2": "1", "multiple_q": "2"}
    mine = await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data=second)
    document = await consultations.access_consultation(db, slug)
    s1, _ = document.sections
    q1, q2, q3 = document.questions
    assert mine.stances == {s1.id: ("neutral", "")}
    assert mine.choices == {q1.id: (q1.options[0].id,), q2.id: (q2.options[1].id,)}
    assert mine.texts == {q3.id: "Gracias"}  # untouched: not on the second form
    assert await db.fetchval("SELECT count(*) FROM consultation_stance") == 1
    assert await db.fetchval("SELECT count(*) FROM consultation_participant") == 1
    assert not mine.show_name  # the second form did not tick the box


async def test_answering_after_closing_or_before_opening_is_refused_and_changes_nothing(
    db: asyncpg.Connection,
) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "favor"})
    before = await snapshot(db)
    clock.current = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)  # 18:00 in Lima: closed
    with pytest.raises(errors.ConsultationClosed):
        await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "contra"})
    with pytest.raises(errors.ConsultationClosed):
        await consultations.comment_on_section(db, clock=clock, actor=rosa, slug=slug, number=1, data={"body": "x"})
    clock.current = datetime(2026, 2, 1, tzinfo=UTC)
    with pytest.raises(errors.ConsultationNotOpen):
        await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "contra"})
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        ({"stance_9": "favor"}, errors.NoSuchSection, "stance_9"),
        ({"reason_0": "x"}, errors.NoSuchSection, "reason_0"),
        ({"stance_1": "a favor"}, errors.AnswerWrongFormat, "stance_1"),
        ({"q_1": "3"}, errors.AnswerWrongFormat, "q_1"),
        ({"q_1": "Sábado"}, errors.AnswerWrongFormat, "q_1"),
        ({"q_1_1": "1"}, errors.AnswerWrongFormat, "q_1"),
        ({"q_2": "1"}, errors.AnswerWrongFormat, "q_2"),
        ({"q_2_7": "1"}, errors.AnswerWrongFormat, "q_2"),
        ({"q_3_1": "1"}, errors.AnswerWrongFormat, "q_3"),
        ({"q_4": "x"}, errors.AnswerWrongFormat, "q_4"),
        ({"q_3": "x" * 5001}, errors.InvalidInput, "q_3"),
    ],
)  # fmt: skip
async def test_an_answer_in_the_wrong_format_is_refused_and_changes_nothing(
    db: asyncpg.Connection, data: dict[str, str], error: type[Exception], field: str
) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_2": "favor", "q_3": "antes"})
    before = await snapshot(db)
    with pytest.raises(InvalidFields) as caught:
        await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_2": "contra", **data})
    (only,) = caught.value.errors
    assert isinstance(only, error) and only.field == field
    assert await snapshot(db) == before


async def test_an_empty_first_response_is_refused(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    with pytest.raises(errors.InvalidInput):
        await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"show_name": "1"})
    assert await db.fetchval("SELECT count(*) FROM consultation_participant") == 0


async def test_the_audience_decides_who_may_answer(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock, audience="verified_residents")
    before = await snapshot(db)
    with pytest.raises(errors.NotInAudience):
        await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "favor"})
    with pytest.raises(errors.NotInAudience):
        await consultations.comment_on_section(db, clock=clock, actor=rosa, slug=slug, number=1, data={"body": "x"})
    assert await snapshot(db) == before
    await db.execute(
        "INSERT INTO resident_verification (account_id, verified_by, verified_at) VALUES ($1, $2, now())",
        rosa.id, official.id,
    )  # fmt: skip
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "favor"})

    orgs_only = await consultations.publish_consultation(
        db, clock=clock, actor=official, data=draft(title="Solo organizaciones", audience="organizations")
    )
    with pytest.raises(errors.NotInAudience):
        await consultations.respond(db, clock=clock, actor=rosa, slug=orgs_only.slug, data={"stance_1": "favor"})
    await found(db, rosa)
    await consultations.respond(db, clock=clock, actor=rosa, slug=orgs_only.slug, data={"stance_1": "favor"})


async def test_a_comment_is_a_reply_in_the_sections_thread(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    post = await consultations.comment_on_section(db, clock=clock, actor=rosa, slug=slug, number=2,
                                                  data={"body": "¿Y los ambulantes?"})  # fmt: skip
    document = await consultations.access_consultation(db, slug)
    assert post.thread_id == document.sections[1].thread_id
    assert [s.comment_count for s in document.sections] == [0, 1]
    with pytest.raises(errors.NoSuchSection):
        await consultations.comment_on_section(db, clock=clock, actor=rosa, slug=slug, number=3, data={"body": "x"})


async def test_a_new_version_keeps_the_old_text_and_shows_the_difference(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock)
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "favor"})
    changed = DOCUMENT.replace("18:00", "20:00").replace("Cada puesto limpia su frente.", "La municipalidad limpia.")
    newer = await consultations.publish_new_version(db, clock=clock, actor=official, slug=slug,
                                                    data=draft(document=changed))  # fmt: skip
    assert (newer.slug, newer.version) == (slug, 2)
    assert (await consultations.access_consultation(db, slug)).consultation.id == newer.id
    old = await consultations.access_consultation(db, slug, version=1)
    assert "18:00" in old.sections[0].source and old.consultation.superseded_at is not None
    diff = await consultations.version_diff(db, slug, 2)
    assert [number for number, _, _ in diff.sections] == [1, 2]
    assert "<del>18:00.</del><ins>20:00.</ins>" in diff.sections[0][2]
    assert "style" not in diff.sections[1][2]
    # The stance was on section 1, which changed: it stays with version 1.
    assert (await consultations.summary(db, slug)).participants == 0
    with pytest.raises(errors.OfficialsOnly):
        await consultations.publish_new_version(db, clock=clock, actor=rosa, slug=slug, data=draft())
    clock.current = datetime(2026, 3, 16, tzinfo=UTC)
    before = await snapshot(db)
    with pytest.raises(errors.ConsultationClosed):
        await consultations.publish_new_version(db, clock=clock, actor=official, slug=slug, data=draft())
    assert await snapshot(db) == before


async def test_an_organization_position_shows_once_an_admin_approves_it(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock)
    org = await found(db, rosa)
    lucho = await member(db, "lucho")
    await db.execute("INSERT INTO organization_member (organization_id, account_id, role, joined_at) "
                     "VALUES ($1, $2, 'member', now())", org.id, lucho.id)  # fmt: skip
    position = await consultations.submit_position(
        db, clock=clock, actor=lucho, slug=slug, organization_slug=org.slug, data={"body": "Estamos **a favor**."}
    )
    assert position.approved_at is None
    with pytest.raises(errors.NotOrganizationAdmin):
        await consultations.approve_position(db, clock=clock, actor=lucho, position_id=position.id)
    with pytest.raises(errors.PermissionDenied):
        await consultations.submit_position(db, clock=clock, actor=official, slug=slug, organization_slug=org.slug,
                                            data={"body": "Intruso"})  # fmt: skip
    await consultations.approve_position(db, clock=clock, actor=rosa, position_id=position.id)
    (shown,) = await consultations.positions(db, (await consultations.access_consultation(db, slug)).consultation)
    assert shown.approved_at is not None and "<strong>a favor</strong>" in shown.html
    assert (await consultations.summary(db, slug)).organizations == 1


async def test_the_council_answers_once_after_closing_and_the_overdue_marker_goes(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock)
    answer = {"general": "Gracias por participar.", "changes": "Se amplía el horario.", "reply_2": "Se mantiene."}
    before = await snapshot(db)
    with pytest.raises(errors.ConsultationStillOpen):
        await consultations.publish_answer(db, clock=clock, actor=official, slug=slug, data=answer)
    clock.current = datetime(2026, 4, 20, tzinfo=UTC)  # closed on 15 March, due on 14 April
    c = (await consultations.access_consultation(db, slug)).consultation
    assert c.state(clock.now()) == "awaiting_answer" and c.days_overdue(clock.now()) == 5
    assert [o.slug for o in await consultations.overdue_consultations(db, clock=clock)] == [slug]
    with pytest.raises(errors.OfficialsOnly):
        await consultations.publish_answer(db, clock=clock, actor=rosa, slug=slug, data=answer)
    with pytest.raises(InvalidFields):
        await consultations.publish_answer(db, clock=clock, actor=official, slug=slug, data={**answer, "reply_7": "x"})
    with pytest.raises(InvalidFields):
        await consultations.publish_answer(db, clock=clock, actor=official, slug=slug, data={"general": " "})
    assert await snapshot(db) == before
    await consultations.publish_answer(db, clock=clock, actor=official, slug=slug, data=answer)
    document = await consultations.access_consultation(db, slug)
    assert document.consultation.days_overdue(clock.now()) == 0
    assert await consultations.overdue_consultations(db, clock=clock) == []
    given = await consultations.council_answer(db, document.consultation)
    assert given is not None
    assert given.answered_by_office == "Gerencia de Desarrollo Económico"
    assert given.section_replies == {document.sections[1].id: "<p>Se mantiene.</p>\n"}
    with pytest.raises(errors.ConsultationAlreadyAnswered):
        await consultations.publish_answer(db, clock=clock, actor=official, slug=slug, data=answer)
    # The answer also opens a thread in the comment forum, so its followers (here or elsewhere) are told.
    opened_thread = await db.fetchrow(
        "SELECT t.id, t.title FROM thread t WHERE t.forum_id = $1 AND t.title LIKE 'Respuesta del concejo%'",
        document.consultation.forum_id,
    )
    page = await forums.thread_page(db, thread_id=opened_thread["id"], viewer=None)
    assert opened_thread["title"] == "Respuesta del concejo: Ordenanza de mercados"
    assert "Gracias por participar." in page.posts[0].html and "Se amplía el horario." in page.posts[0].html
    assert "<strong>2. Limpieza</strong>" in page.posts[0].html and "Se mantiene." in page.posts[0].html


async def test_interim_updates_are_for_officials(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock)
    with pytest.raises(errors.OfficialsOnly):
        await consultations.publish_update(db, clock=clock, actor=rosa, slug=slug, data={"body": "Hola"})
    await consultations.publish_update(
        db, clock=clock, actor=official, slug=slug, data={"body": "Revisamos 40 aportes."}
    )
    c = (await consultations.access_consultation(db, slug)).consultation
    (update,) = await consultations.updates(db, c)
    assert update.published_by_name == "Ana Quispe" and "40 aportes" in update.html
    title = await db.fetchval("SELECT title FROM thread WHERE forum_id = $1 ORDER BY id DESC LIMIT 1", c.forum_id)
    assert title == "Novedad del concejo: Ordenanza de mercados"


async def test_only_operators_appoint_officials(db: asyncpg.Connection) -> None:
    clock = opened()
    rosa = await member(db, "rosa")
    await member(db, "pepe")
    with pytest.raises(errors.NotOperator):
        await consultations.appoint_official(db, clock=clock, actor=rosa, username="pepe",
                                             data={"name": "Pepe", "office": "Alcaldía"})  # fmt: skip
    with pytest.raises(InvalidFields):
        await consultations.appoint_official(db, clock=clock, actor=None, username="pepe", data={"name": "Pepe"})
    assert await db.fetchval("SELECT count(*) FROM official") == 0
    official = await consultations.appoint_official(db, clock=clock, actor=None, username="pepe",
                                                    data={"name": "Pepe Ramos", "office": "Alcaldía"})  # fmt: skip
    assert official.office == "Alcaldía"
    assert "official" in await db.fetchval("SELECT roles FROM account WHERE username = 'pepe'")


async def test_the_summary_counts_stances_choices_and_participants(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    others = [await member(db, name) for name in ("ana", "beto")]
    for person, stance, single, boxes in [(rosa, "favor", "1", ("1", "2")), (others[0], "favor", "2", ("2",)),
                                          (others[1], "contra", "2", ())]:  # fmt: skip
        data = {"stance_1": stance, "q_1": single, "multiple_q": "2", **{f"q_2_{b}": "1" for b in boxes}}
        await consultations.respond(db, clock=clock, actor=person, slug=slug, data=data)
    result = await consultations.summary(db, slug)
    assert result.participants == 3
    assert [t.counts for t in result.sections] == [{"favor": 2, "neutral": 0, "contra": 1},
                                                   {"favor": 0, "neutral": 0, "contra": 0}]  # fmt: skip
    q1, q2, q3 = result.questions
    assert list(q1.counts.values()) == [1, 2] and list(q2.counts.values()) == [1, 2, 0] and q3.text_count == 0


async def test_the_export_names_only_those_who_allowed_it(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    ana = await member(db, "ana")
    given = {"stance_1": "favor", "reason_1": "Bien", "q_2_1": "1", "q_2_3": "1", "q_3": "Nada", "show_name": "on"}
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data=given)
    clock.advance(minutes=5)
    await consultations.respond(db, clock=clock, actor=ana, slug=slug, data={"stance_2": "contra", "q_1": "1"})
    _, rows = await consultations.export(db, slug)
    first, second = rows
    assert (first.participant, first.username, first.name) == (1, "rosa", "rosa")
    assert first.stances == {1: ("favor", "Bien")} and first.answers == {2: "Agua | Luz", 3: "Nada"}
    assert (second.participant, second.username, second.name) == (2, None, None)
    assert second.stances == {2: ("contra", "")} and second.answers == {1: "Sábado"}
    assert second.first_answered_at - first.first_answered_at == timedelta(minutes=5)


async def test_answers_to_what_a_new_version_left_unchanged_carry_over(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock)
    given = {"stance_1": "favor", "reason_1": "Bien", "stance_2": "contra", "q_1": "2", "q_2_1": "1", "q_2_3": "1",
             "q_3": "Nada", "show_name": "1"}  # fmt: skip
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data=given)
    changed_questions = QUESTIONS.replace("Luz", "Electricidad")
    await consultations.publish_new_version(
        db, clock=clock, actor=official, slug=slug,
        data=draft(document=DOCUMENT.replace("18:00", "20:00"), questions=changed_questions),
    )  # fmt: skip
    document = await consultations.access_consultation(db, slug)
    s1, s2 = document.sections
    q1, q2, q3 = document.questions
    mine = await consultations.my_response(db, document.consultation, rosa)
    assert mine.show_name
    assert mine.stances == {s2.id: ("contra", "")}  # section 1 changed: its stance stays with version 1
    assert mine.choices == {q1.id: (q1.options[1].id,)}  # question 2's options changed
    assert mine.texts == {q3.id: "Nada"}
    assert s1.id not in mine.stances and q2.id not in mine.choices
    assert (await consultations.summary(db, slug)).participants == 1


async def test_a_comment_is_reported_and_hidden_like_any_forum_post(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    moderator = await member(db, "moderadora", "moderator")
    ana = await member(db, "ana")
    comment = await consultations.comment_on_section(db, clock=clock, actor=rosa, slug=slug, number=1,
                                                     data={"body": "Insulto"})  # fmt: skip
    await moderation.report_post(db, clock=clock, actor=ana, post_id=comment.id,
                                 data={"reason": "insult", "text": "Ofende"})  # fmt: skip
    queue = await moderation.moderation_queue(db, clock=clock, actor=moderator)
    assert comment.id in [item.post_id for item in queue.reported]
    await moderation.hide_post(db, clock=clock, actor=moderator, post_id=comment.id, reason="Insulta a una vecina")
    page = await forums.thread_page(db, thread_id=comment.thread_id, viewer=None)
    assert [p.hidden_reason for p in page.posts if p.id == comment.id] == ["Insulta a una vecina"]
    log = await moderation.public_log(db)
    assert any(action.reason == "Insulta a una vecina" for action in log.actions)

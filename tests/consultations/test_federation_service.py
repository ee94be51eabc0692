"""Consultations across districts, through the service on a real database: who counts in the summary, and the copy
of another node's consultation (what it takes from its home node, what a member here may do with it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from deliberate import errors
from deliberate.clock import FrozenClock
from deliberate.consultations import service as consultations
from deliberate.consultations.model import Consultation
from deliberate.consultations.service import Copy, CopyQuestion, CopySection
from deliberate.forums import queries as forum_queries
from tests.consultations.test_service import opened, setup
from tests.db.test_organizations_service import member

HOME = "https://ves.example"


async def test_with_counting_residents_only_their_stances_count_and_both_numbers_are_kept(
    db: asyncpg.Connection,
) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock, counting="residents")
    visitor = await member(db, "visitante")
    await db.execute("INSERT INTO resident_verification (account_id, verified_by, verified_at) VALUES ($1, $2, now())",
                     rosa.id, official.id)  # fmt: skip
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "favor"})
    await consultations.respond(db, clock=clock, actor=visitor, slug=slug, data={"stance_1": "contra"})
    result = await consultations.summary(db, slug)
    assert result.participants == 2 and result.residents == 1
    first, second = result.sections
    assert first.counts == {"favor": 1, "neutral": 0, "contra": 0}
    assert first.everyone == {"favor": 1, "neutral": 0, "contra": 1}
    assert second.everyone is None  # nobody took a stance there: the two counts agree, one is shown
    counts = consultations.published_counts(result)
    assert counts["stances"]["1"] == first.counts and counts["everyone"] == {"1": first.everyone}


async def test_counting_everyone_is_the_default_and_shows_one_number(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    await consultations.respond(db, clock=clock, actor=rosa, slug=slug, data={"stance_1": "favor"})
    result = await consultations.summary(db, slug)
    assert result.residents is None and result.sections[0].everyone is None
    assert result.sections[0].counts["favor"] == 1


async def test_an_unknown_counting_is_refused(db: asyncpg.Connection) -> None:
    clock = opened()
    with pytest.raises(errors.InvalidInput):
        await setup(db, clock, counting="somos-todos")
    assert await db.fetchval("SELECT count(*) FROM consultation") == 0


def _copy(**changes: object) -> Copy:
    at = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    base = Copy(
        ap_id=f"{HOME}/c/plan", slug="plan", version=1, title="Plan de veredas", summary="Veredas",
        opens_at=at, closes_at=at + timedelta(days=10), answer_due_at=at + timedelta(days=40),
        audience="everyone", counting="residents", ask_stances=True, publisher_name="Ana Quispe",
        publisher_office="Gerencia", sections=(CopySection(1, "Sector 1", "Avenida **principal**", f"{HOME}/t/1"),),
        questions=(CopyQuestion(1, "single", "¿Material?", ("Concreto", "Adoquín")),),
        counts={"participants": 4, "organizations": 0, "residents": 3, "stances": {"1": {"favor": 2}},
                "everyone": {"1": {"favor": 3}}, "choices": {"1": {"2": 4}}, "texts": {}},
        updates=(), answer=None,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


async def _receive(db: asyncpg.Connection, clock: FrozenClock, copy: Copy) -> Consultation:
    """The copy as the federation layer hands it over: from the shadow account of the official, in the mirrored
    forum of the consultation's Group."""
    publisher_id = await db.fetchval("SELECT id FROM account WHERE username = 'anaquispe'")
    if publisher_id is None:
        publisher_id = (await member(db, "anaquispe")).id
    forum = await db.fetchval("SELECT id FROM forum WHERE ap_id IS NOT NULL")
    if forum is None:
        forum = await forum_queries.insert_forum(
            db, slug="consulta-plan@ves.example", name="Consulta: Plan", description="", organization_id=None,
            visibility="public", created_by=publisher_id, now=clock.now(), ap_id=f"{HOME}/f/consulta-plan",
            origin="ves.example",
        )  # fmt: skip
    return await consultations.receive_copy(db, clock=clock, publisher_id=publisher_id, origin="ves.example",
                                            forum_id=forum, copy=copy)  # fmt: skip


async def test_a_copy_shows_the_home_nodes_counts_and_renders_its_markdown_here(db: asyncpg.Connection) -> None:
    clock = opened()
    copy = await _receive(db, clock, _copy())
    assert copy.remote and copy.slug == "plan@ves.example" and copy.publisher_name == "Ana Quispe"
    document = await consultations.access_consultation(db, copy.slug)
    assert document.sections[0].html.strip() == "<p>Avenida <strong>principal</strong></p>"
    assert document.sections[0].thread_id is None  # the home node's thread has not arrived here
    result = await consultations.summary(db, copy.slug)
    assert result.participants == 4 and result.residents == 3
    assert result.sections[0].counts == {"favor": 2, "neutral": 0, "contra": 0}
    assert result.sections[0].everyone == {"favor": 3, "neutral": 0, "contra": 0}
    assert list(result.questions[0].counts.values()) == [0, 4]


async def test_a_copy_takes_newer_versions_the_answer_once_and_ignores_late_older_messages(
    db: asyncpg.Connection,
) -> None:
    clock = opened()
    await _receive(db, clock, _copy())
    sections = (CopySection(1, "Sector 1", "Avenida y rampas", f"{HOME}/t/5"),)
    updates = (("Revisamos", clock.now()),)
    second = await _receive(db, clock, _copy(version=2, sections=sections, updates=updates))
    assert second.version == 2 and await db.fetchval("SELECT count(*) FROM consultation") == 2
    late = await _receive(db, clock, _copy(version=1, title="Título viejo"))
    assert late.version == 2 and late.title == "Plan de veredas"
    answered = _copy(version=2, sections=sections, updates=updates,
                     answer=("Se **harán**", "", {1: "En marzo"}, clock.now()))  # fmt: skip
    copy = await _receive(db, clock, answered)
    assert copy.answered_at == clock.now()
    again = replace(answered, answer=("Otra respuesta", "", {}, clock.now() + timedelta(days=1)))
    await _receive(db, clock, again)  # the council answers once: a second answer changes nothing
    answer = await consultations.council_answer(db, copy)
    assert answer is not None and "<strong>harán</strong>" in answer.general_html
    assert [html.strip() for html in answer.section_replies.values()] == ["<p>En marzo</p>"]
    assert [u.html.strip() for u in await consultations.updates(db, copy)] == ["<p>Revisamos</p>"]
    # The home node's list of updates is the list: one it no longer sends is gone here too.
    await _receive(db, clock, replace(again, updates=()))
    assert await consultations.updates(db, copy) == []


async def test_on_a_copy_only_everyone_audiences_take_answers_and_the_council_here_cannot_act(
    db: asyncpg.Connection,
) -> None:
    clock = FrozenClock(datetime(2026, 3, 5, 15, 0, tzinfo=UTC))
    official, rosa, _ = await setup(db, clock)
    copy = await _receive(db, clock, _copy(audience="verified_residents"))
    await db.execute("INSERT INTO resident_verification (account_id, verified_by, verified_at) VALUES ($1, $2, now())",
                     rosa.id, official.id)  # fmt: skip
    with pytest.raises(errors.NotInAudience) as refused:
        await consultations.respond(db, clock=clock, actor=rosa, slug=copy.slug, data={"stance_1": "favor"})
    assert "members of other districts cannot" in refused.value.message  # verified here is not verified there
    for action in (consultations.publish_update, consultations.publish_answer):
        with pytest.raises(errors.NotFound):
            await action(db, clock=clock, actor=official, slug=copy.slug, data={"body": "x", "general": "x"})
    open_copy = await _receive(db, clock, _copy(ap_id=f"{HOME}/c/otra", slug="otra", audience="everyone"))
    await consultations.respond(db, clock=clock, actor=rosa, slug=open_copy.slug, data={"stance_1": "favor"})
    shared = await consultations.response_of(db, open_copy.id, rosa.id)
    assert shared is not None and list(shared[1].stances.values()) == [("favor", "")]
    with pytest.raises(errors.NotFound):  # the answers are exported by the consultation's node, all of them
        await consultations.export(db, open_copy.slug)

"""A section's comment thread is an ordinary forum thread, so a reply can reach it by the thread page, the API or
another server as well as by the consultation's own form. Whichever way it comes, the consultation's terms apply:
replies only while it is open, and only from its audience (forums.add_reply_rule)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from deliberate import errors
from deliberate.consultations import service as consultations
from deliberate.forums import service as forums
from tests.consultations.test_service import opened, setup, snapshot


async def _section_thread(db: asyncpg.Connection, slug: str, number: int = 1) -> int:
    section = (await consultations.access_consultation(db, slug)).sections[number - 1]
    assert section.thread_id is not None
    return section.thread_id


async def test_a_reply_on_the_thread_page_is_taken_while_open_and_refused_once_closed(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    thread_id = await _section_thread(db, slug)
    taken = await forums.reply(db, clock=clock, actor=rosa, thread_id=thread_id, data={"body": "Más horas, por favor"})
    assert taken.thread_id == thread_id
    before = await snapshot(db)
    posts = await db.fetchval("SELECT count(*) FROM post")
    clock.current = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)  # 18:00 in Lima: closed
    with pytest.raises(errors.ConsultationClosed):
        await forums.reply(db, clock=clock, actor=rosa, thread_id=thread_id, data={"body": "Tarde"})
    clock.current = datetime(2026, 2, 1, tzinfo=UTC)  # before it opened
    with pytest.raises(errors.ConsultationNotOpen):
        await forums.reply(db, clock=clock, actor=rosa, thread_id=thread_id, data={"body": "Temprano"})
    assert await snapshot(db) == before and await db.fetchval("SELECT count(*) FROM post") == posts


async def test_a_reply_on_the_thread_page_respects_the_audience(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock, audience="verified_residents")
    thread_id = await _section_thread(db, slug)
    posts = await db.fetchval("SELECT count(*) FROM post")
    with pytest.raises(errors.NotInAudience):
        await forums.reply(db, clock=clock, actor=rosa, thread_id=thread_id, data={"body": "No soy residente"})
    assert await db.fetchval("SELECT count(*) FROM post") == posts
    await db.execute(
        "INSERT INTO resident_verification (account_id, verified_by, verified_at) VALUES ($1, $2, now())",
        rosa.id, official.id,
    )  # fmt: skip
    await forums.reply(db, clock=clock, actor=rosa, thread_id=thread_id, data={"body": "Ahora sí"})
    assert await db.fetchval("SELECT count(*) FROM post") == posts + 1


async def test_threads_outside_sections_are_not_touched(db: asyncpg.Connection) -> None:
    clock = opened()
    official, rosa, slug = await setup(db, clock)
    forum = await forums.forum_by_id(db, (await consultations.access_consultation(db, slug)).consultation.forum_id)
    thread = await forums.start_thread(db, clock=clock, actor=official, forum_slug=forum.slug,
                                       data={"title": "Avance", "body": "Un avance"})  # fmt: skip
    clock.current = datetime(2026, 3, 20, tzinfo=UTC)  # closed: replies to an update are still a conversation
    await forums.reply(db, clock=clock, actor=rosa, thread_id=thread.id, data={"body": "Gracias"})

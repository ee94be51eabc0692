"""A forum's threads are ordered by their last post that readers see: a blocked server's replies do not lift them."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from deliberate.clock import FrozenClock
from deliberate.forums import service as forums
from tests.db.test_forums_service import setup
from tests.db.test_organizations_service import member


async def test_a_reply_from_a_blocked_server_does_not_keep_its_thread_on_top(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    clock = FrozenClock()
    pedro = await member(db, "pedro")
    water = await forums.start_thread(db, clock=clock, actor=rosa, forum_slug=slug,
                                      data={"title": "Agua", "body": "No hay agua"})  # fmt: skip
    clock.advance(minutes=1)
    light = await forums.start_thread(db, clock=clock, actor=rosa, forum_slug=slug,
                                      data={"title": "Luz", "body": "No hay luz"})  # fmt: skip
    clock.advance(minutes=1)
    await forums.reply(db, clock=clock, actor=pedro, thread_id=water.id, data={"body": "Compren en mi web"})
    # pedro stands for a person of another server: his reply came from there.
    await db.execute("INSERT INTO instance (host, first_seen_at) VALUES ('spam.example', now())")
    await db.execute("UPDATE account SET origin = 'spam.example' WHERE id = $1", pedro.id)

    async def listed(before: tuple[datetime, int] | None = None, limit: int = 30) -> list[tuple[str, datetime]]:
        forum = await forums.access_forum(db, slug, viewer=None)
        threads = await forums.forum_threads(db, forum=forum, before=before, limit=limit)
        return [(thread.title, thread.last_post_at) for thread in threads]

    assert await listed() == [("Agua", water.created_at + timedelta(minutes=2)), ("Luz", light.created_at)]

    await db.execute("UPDATE instance SET blocked_at = now() WHERE host = 'spam.example'")
    assert await listed() == [("Luz", light.created_at), ("Agua", water.created_at)]
    # The next page starts after the last one shown, in the same order.
    (first,) = await listed(limit=1)
    assert await listed(before=(first[1], light.id), limit=1) == [("Agua", water.created_at)]

    await db.execute("UPDATE instance SET blocked_at = NULL WHERE host = 'spam.example'")
    assert await listed() == [("Agua", water.created_at + timedelta(minutes=2)), ("Luz", light.created_at)]

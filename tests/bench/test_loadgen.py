"""The bulk generator keeps by construction what the services keep row by row, so the benchmarks measure a forum
the node itself could have made. Runs with the benchmarks (the generator exists for them), on a small plan."""

from __future__ import annotations

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.clock import FrozenClock
from deliberate.forums import service as forums
from deliberate.runtime.loadgen import Plan
from tests.bench.conftest import NOW, load_plan

PLAN = Plan(members=300, posts=3_000)


async def _loaded(database: str, db: asyncpg.Connection) -> None:
    report = await load_plan(database, PLAN)
    assert (report.members, report.posts) == (PLAN.members, PLAN.posts)
    assert report.threads == await db.fetchval("SELECT count(*) FROM thread")


async def test_generated_threads_count_their_posts_and_end_at_their_last_one(
    database: str, db: asyncpg.Connection
) -> None:
    await _loaded(database, db)
    wrong = await db.fetchval(
        """
        SELECT count(*) FROM thread t
        JOIN (SELECT thread_id, count(*) AS n, min(created_at) AS first, max(created_at) AS last
              FROM post GROUP BY thread_id) p ON p.thread_id = t.id
        WHERE t.post_count <> p.n OR t.last_post_at <> p.last OR t.created_at <> p.first
        """
    )
    assert wrong == 0
    assert await db.fetchval("SELECT count(*) FROM thread WHERE post_count > 50") >= 1


async def test_generated_replies_quote_an_earlier_post_of_the_same_thread(
    database: str, db: asyncpg.Connection
) -> None:
    await _loaded(database, db)
    replies, wrong = await db.fetchrow(
        """
        SELECT count(*), count(*) FILTER (WHERE q.thread_id <> p.thread_id OR q.id >= p.id)
        FROM post p JOIN post q ON q.id = p.reply_to_id
        """
    )
    assert replies > 0 and wrong == 0


async def test_generated_posts_are_searchable_and_ids_follow_time(database: str, db: asyncpg.Connection) -> None:
    await _loaded(database, db)
    assert await db.fetchval("SELECT count(*) FROM post WHERE search IS NULL") == 0
    assert await db.fetchval("SELECT count(*) FROM post WHERE search @@ websearch_to_tsquery('es_unaccent', 'loma')")
    out_of_order = await db.fetchval(
        "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back FROM post) s WHERE back"
    )
    assert out_of_order == 0


async def test_the_node_keeps_inserting_after_a_load(database: str, db: asyncpg.Connection) -> None:
    await _loaded(database, db)
    author = await accounts.find_account(db, await db.fetchval("SELECT min(id) FROM account"))
    thread_id = await db.fetchval("SELECT id FROM thread ORDER BY id DESC LIMIT 1")
    newest = await db.fetchval("SELECT max(id) FROM post")
    async with db.transaction():
        post = await forums.reply(
            db, clock=FrozenClock(NOW), actor=author, thread_id=thread_id, data={"body": "Una respuesta nueva."}
        )
    assert post.id > newest

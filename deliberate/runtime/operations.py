"""Operators' commands that act on a node's federation: the standalone worker, the delivery queue per peer,
blocking and allowing servers, and key rotation. Called by `deliberate/cli.py`; each opens the node's database
(embedded servers are reached through the running node's runtime file, or started for the command).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import asyncpg

from deliberate.clock import SystemClock
from deliberate.db.pool import connect, create_pool
from deliberate.errors import InvalidInput
from deliberate.peers import service as peers
from deliberate.runtime.node import migrate_database, node_services
from deliberate.settings import Settings


@contextlib.asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[tuple[Settings, asyncpg.Connection]]:
    async with node_services(settings) as live:
        await migrate_database(live.database_url)
        conn = await connect(live.database_url)
        try:
            yield live, conn
        finally:
            await conn.close()


async def run_worker(settings: Settings, *, stop: asyncio.Event) -> None:
    """Only the background work (outbox, deliveries, inbox processing), for a process of its own."""
    from redis.asyncio import Redis

    from federation.runtime import federation
    from web.handlers.live import publish

    async with node_services(settings) as live:
        await migrate_database(live.database_url)
        pool = await create_pool(live.database_url, size=live.db_pool_size)
        redis = Redis.from_url(live.redis_url)

        async def post_added(thread_id: int, post_id: int) -> None:
            # Replies from peers stored here reach readers of the thread on every web process (web/handlers/live.py).
            await publish(redis, live.base_url, thread_id=thread_id, post_id=post_id)

        try:
            async with federation(live, pool, SystemClock(), run_worker=True, on_post_added=post_added):
                print(f"federation worker for {live.base_url} is running", flush=True)
                await stop.wait()
        finally:
            await redis.aclose()
            await pool.close()


async def status(settings: Settings) -> int:
    async with _database(settings) as (_, conn):
        rows = await peers.status(conn, as_admin=True, clock=SystemClock())
        backlog = await peers.inbox_waiting(conn, as_admin=True)
    if not rows:
        print("this node has not talked to any other server yet")
        return 0
    print(f"{'server':<32} {'pending':>7} {'failed':>6} {'fails':>5}  state            last error")
    for row in rows:
        state = ("blocked" if row.blocked else "unavailable" if row.unavailable
                 else f"paused→{row.paused_until:%H:%M}" if row.paused_until else "ok")  # fmt: skip
        print(f"{row.host:<32} {row.pending:>7} {row.failed:>6} {row.consecutive_failures:>5}  {state:<16} "
              f"{(row.last_error or '')[:60]}")  # fmt: skip
    if backlog.waiting:
        when = f", next at {backlog.next_at:%Y-%m-%d %H:%M} UTC" if backlog.next_at else ""
        print(f"received activities waiting to be retried: {backlog.waiting}{when}; last error: "
              f"{(backlog.last_error or '')[:80]}")  # fmt: skip
    return 0


async def block(settings: Settings, host: str, reason: str, *, blocked: bool) -> int:
    clock = SystemClock()
    try:  # checked before the database is opened; stored as the web form stores it (lower case)
        host = peers.check_host(host)
    except InvalidInput:
        print(f"{host!r} is not a server's host name (write it as example.org, without https:// or a path)",
              file=sys.stderr)  # fmt: skip
        return 2
    async with _database(settings) as (_, conn), conn.transaction():
        if blocked:
            await peers.block_instance(conn, clock=clock, actor=None, host=host, reason=reason)
        else:
            await peers.unblock_instance(conn, clock=clock, actor=None, host=host)
    print(f"{host} is {'blocked' if blocked else 'no longer blocked'}")
    return 0


async def allow(settings: Settings, host: str, *, allowed: bool) -> int:
    try:
        host = peers.check_host(host)
    except InvalidInput:
        print(f"{host!r} is not a server's host name (write it as example.org, without https:// or a path)",
              file=sys.stderr)  # fmt: skip
        return 2
    async with _database(settings) as (_, conn), conn.transaction():
        await peers.allow_instance(conn, clock=SystemClock(), host=host, allowed=allowed)
    print(f"{host} is {'allowed' if allowed else 'no longer allowed'} (used in allow-list mode)")
    return 0


async def rotate_key(settings: Settings, target: str) -> int:
    from federation.rotation import rotate

    async with _database(settings) as (live, conn), conn.transaction():
        told = await rotate(conn, base_url=live.base_url, node_name=live.node_name, clock=SystemClock(),
                            target=target)  # fmt: skip
    print(f"new keys for {target}; an Update is queued for {told} inboxes")
    if target == "node":
        print("restart the node's processes so fetches are signed with the new node key")
    return 0

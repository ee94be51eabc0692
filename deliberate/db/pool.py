"""The PostgreSQL connection pool: built by the composition root, passed down, never global."""

from __future__ import annotations

import json

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects and go in from them, everywhere.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool connections never carry session state (no LISTEN, advisory locks, SET or cursors outside a transaction:
    migrations take their advisory lock on a connection of their own), so asyncpg's default reset on every release
    (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`, one round trip) is pure cost: measured at
    about a fifth of the CPU of an inbox request. A transaction left open is still rolled back by the pool."""


async def create_pool(dsn: str, *, size: int) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=size,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"timezone": "UTC", "application_name": "deliberate"},
        command_timeout=60,
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection set up like the pool's (for commands, seeding and tests)."""
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC", "application_name": "deliberate"})
    await _init_connection(conn)
    return conn

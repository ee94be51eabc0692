"""Migrations: ordered, recorded, idempotent, serialised, and refused when the database is newer than the code."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from deliberate.db.migrate import available_migrations, migrate, pending_migrations
from deliberate.errors import MigrationError
from tests.conftest import Servers


@pytest.fixture
async def empty_database(servers: Servers) -> str:
    admin = await asyncpg.connect(servers.dsn("postgres"))
    name = f"empty_{next(servers.counter)}"
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    return servers.dsn(name)


async def test_migrations_are_numbered_without_gaps() -> None:
    versions = [m.version for m in available_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_an_empty_database_is_migrated_and_recorded_in_the_ledger(empty_database: str) -> None:
    conn = await asyncpg.connect(empty_database)
    applied = await migrate(conn)
    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    ledger = await conn.fetch("SELECT version, name FROM schema_migration ORDER BY version")
    assert [(r["version"], r["name"]) for r in ledger] == [(m.version, m.name) for m in applied]
    assert await migrate(conn) == []  # a second run has nothing to do
    await conn.close()


async def test_concurrent_runners_apply_each_migration_once(empty_database: str) -> None:
    conns = [await asyncpg.connect(empty_database) for _ in range(3)]
    results = await asyncio.gather(*(migrate(c) for c in conns))
    assert sorted(len(r) for r in results) == [0, 0, len(available_migrations())]
    count = await conns[0].fetchval("SELECT count(*) FROM schema_migration")
    assert count == len(available_migrations())
    for c in conns:
        await c.close()


async def test_a_database_newer_than_the_code_is_refused(db: asyncpg.Connection) -> None:
    await db.execute("INSERT INTO schema_migration (version, name) VALUES (9999, 'from_the_future')")
    with pytest.raises(MigrationError, match="newer than the code"):
        await pending_migrations(db)
    with pytest.raises(MigrationError):
        await migrate(db)


async def test_a_failing_migration_leaves_nothing_half_applied(empty_database: str, monkeypatch) -> None:
    from deliberate.db import migrate as module

    broken = module.Migration(1, "broken", "CREATE TABLE half (id int); SELECT * FROM no_such_table;")
    monkeypatch.setattr(module, "available_migrations", lambda: [broken])
    conn = await asyncpg.connect(empty_database)
    with pytest.raises(asyncpg.UndefinedTableError):
        await module.migrate(conn)
    assert await conn.fetchval("SELECT to_regclass('half')") is None
    assert await conn.fetchval("SELECT count(*) FROM schema_migration") == 0
    await conn.close()

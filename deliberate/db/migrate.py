"""Forward-only schema migrations: numbered SQL files shipped in `deliberate/db/migrations/`.

`NNNN_name.sql` files are applied in number order, each in its own transaction, and recorded in the
`schema_migration` ledger in that same transaction, so a crash leaves either the whole file applied or none of it.
A session-level advisory lock serialises concurrent runners (two web processes starting at once): the second waits,
then finds nothing pending. A database whose ledger knows a version this code does not is newer than the code:
every entry point refuses it rather than run old rules against a new schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from deliberate.errors import MigrationError

# Any constant works; this one spells "deli" in ASCII so it is recognisable in pg_locks.
ADVISORY_LOCK_KEY = 0x64656C69
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migration (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    folder = resources.files("deliberate.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


async def applied_versions(conn: asyncpg.Connection) -> set[int]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL")
    if not exists:
        return set()
    return {row["version"] for row in await conn.fetch("SELECT version FROM schema_migration")}


async def pending_migrations(conn: asyncpg.Connection) -> list[Migration]:
    """Migrations not yet applied; raises MigrationError when the database is newer than this code."""
    applied = await applied_versions(conn)
    known = available_migrations()
    unknown = applied - {m.version for m in known}
    if unknown:
        raise MigrationError(
            message=f"The database has migrations {sorted(unknown)} that this version of deliberate does not "
            "know: it is newer than the code. Install the newer version instead of starting this one."
        )
    return [m for m in known if m.version not in applied]


async def migrate(conn: asyncpg.Connection) -> list[Migration]:
    """Apply every pending migration; returns what was applied. Safe to call from several processes at once."""
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await conn.execute(_LEDGER)
        todo = await pending_migrations(conn)
        for migration in todo:
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
        return todo
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)

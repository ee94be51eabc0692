"""A backup taken while a participatory budget's voting is open must not link voters to their ballots.

In the database each cast appends one row to the voter roll and one to the ballot box, so their physical order is the
order of casting, and a plain pg_dump would write row N of each next to the other's row N. `deliberate backup` writes
those two tables sorted by keys that say nothing about time (`deliberate/runtime/backup.py`). Here voters cast in an
order unlike their account order, the node is backed up and restored into an empty database, and the restored tables
hold the same rows in the sorted order."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import asyncpg

from deliberate.budgets import voting
from deliberate.clock import FrozenClock
from deliberate.db.pool import connect
from tests.budgets.voting_support import voting_process
from tests.conftest import TEMPLATE_DB, Servers
from tests.runtime.test_backup import PASSPHRASE, deliberate_here

VOTERS = 12
CAST_ORDER = [5, 11, 0, 7, 3, 9, 1, 10, 6, 2, 8, 4]  # not the order the accounts were made in


async def _database(servers: Servers, *, template: str | None) -> str:
    admin = await asyncpg.connect(servers.dsn("postgres"))
    name = f"bs_{next(servers.counter)}_{secrets.token_hex(3)}"
    await admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    await admin.close()
    return servers.dsn(name)


async def _vote(dsn: str) -> tuple[list[int], list[bytes]]:
    """Voters cast in CAST_ORDER; the accounts and the receipt hashes in the order of casting."""
    conn = await connect(dsn)
    try:
        setup = await voting_process(conn, FrozenClock(), residents=VOTERS)
        projects = [p.id for p in setup.projects]
        accounts, hashes = [], []
        for n, i in enumerate(CAST_ORDER):
            voter = setup.residents[i]
            chosen = [projects[k] for k in range(len(projects)) if (n + 1) >> k & 1] or projects[:1]
            async with conn.transaction():
                receipt = await voting.cast_ballot(conn, clock=setup.clock, actor=voter, slug=setup.process.slug,
                                                   zone_id=None, choices=chosen)  # fmt: skip
            accounts.append(voter.id)
            hashes.append(voting.receipt_hash(receipt.code))
        return accounts, hashes
    finally:
        await conn.close()


async def _physical(dsn: str) -> tuple[list[int], list[bytes], set[tuple[object, ...]], set[tuple[object, ...]]]:
    """The roll's accounts and the box's receipt hashes in physical (ctid) order, as pg_dump reads them, and every
    row of each."""
    conn = await asyncpg.connect(dsn)
    try:
        roll = [r["account_id"] for r in await conn.fetch("SELECT account_id FROM budget_voter ORDER BY ctid")]
        box = [
            bytes(r["receipt_hash"]) for r in await conn.fetch("SELECT receipt_hash FROM budget_ballot ORDER BY ctid")
        ]
        roll_rows = {tuple(r.values()) for r in await conn.fetch("SELECT * FROM budget_voter")}
        box_rows = {
            tuple(r.values())
            for r in await conn.fetch("SELECT id, zone_id, receipt_hash, choices::text FROM budget_ballot")
        }
        return roll, box, roll_rows, box_rows
    finally:
        await conn.close()


def test_a_backup_during_voting_keeps_the_roll_and_the_box_in_unrelated_orders(
    servers: Servers, tmp_path: Path
) -> None:
    source = asyncio.run(_database(servers, template=TEMPLATE_DB))
    cast_accounts, cast_hashes = asyncio.run(_vote(source))
    roll, box, roll_rows, box_rows = asyncio.run(_physical(source))
    # What a plain dump of the live tables would show: both in the order of casting, row N beside row N.
    assert roll == cast_accounts and box == cast_hashes

    file = tmp_path / "votando.backup"
    env = {"DELIBERATE_DATABASE_URL": source, "DELIBERATE_REDIS_URL": servers.redis.url(0),
           "DELIBERATE_SECRET_KEY": "s" * 40, "DELIBERATE_BACKUP_PASSPHRASE": PASSPHRASE}  # fmt: skip
    # The commands' own `main`, in this process: what is checked is the file they write and read, not the process.
    made = deliberate_here("backup", str(file), env=env)
    assert made.returncode == 0, made.stderr
    target = asyncio.run(_database(servers, template=None))
    restored = deliberate_here("restore", str(file), "--data-dir", str(tmp_path / "restored"),
                          env=env | {"DELIBERATE_DATABASE_URL": target})  # fmt: skip
    assert restored.returncode == 0, restored.stderr

    roll_after, box_after, roll_rows_after, box_rows_after = asyncio.run(_physical(target))
    assert roll_rows_after == roll_rows and box_rows_after == box_rows, "every vote is restored, once"
    assert roll_after == sorted(cast_accounts), "the roll comes back in account order"
    assert box_after == sorted(cast_hashes), "the box comes back in receipt-hash order"
    assert roll_after != cast_accounts and box_after != cast_hashes

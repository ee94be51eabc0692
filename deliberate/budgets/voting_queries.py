"""SQL for the voter roll, the ballot box, the published ballot chain and the published results.

The only module that writes budget_voter, budget_ballot, budget_chain_entry, budget_result and the results columns of
budget_process. No query here ever joins the roll with the box: there is nothing to join them on, and the shape of
these functions keeps it that way (see `voting.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def share_lock_process(conn: asyncpg.Connection, process_id: int) -> None:
    """Many voters may cast at once (FOR SHARE does not block them); publishing takes FOR UPDATE and so waits for
    every cast in flight, and every later cast waits for publishing and then sees voting closed."""
    await conn.execute("SELECT 1 FROM budget_process WHERE id = $1 FOR SHARE", process_id)


async def update_lock_process(conn: asyncpg.Connection, process_id: int) -> None:
    await conn.execute("SELECT 1 FROM budget_process WHERE id = $1 FOR UPDATE", process_id)


async def is_results_published(conn: asyncpg.Connection, process_id: int) -> bool:
    published: bool = await conn.fetchval(
        "SELECT results_published_at IS NOT NULL FROM budget_process WHERE id = $1", process_id
    )
    return published


async def insert_voter(
    conn: asyncpg.Connection,
    *,
    process_id: int,
    account_id: int,
    zone_id: int,
    channel: str,
    roll_tag: bytes,
    polling_table: str | None = None,
    entered_by: int | None = None,
) -> bool:
    """Put the voter on the roll; False when they already are (the primary key decides, even under a race)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO budget_voter (process_id, account_id, zone_id, channel, roll_tag, polling_table, entered_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (process_id, account_id) DO NOTHING
        RETURNING true
        """,
        process_id,
        account_id,
        zone_id,
        channel,
        roll_tag,
        polling_table,
        entered_by,
    )
    return bool(inserted)


async def get_voter(conn: asyncpg.Connection, *, process_id: int, account_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        SELECT zone_id, channel, roll_tag, polling_table
        FROM budget_voter WHERE process_id = $1 AND account_id = $2
        """,
        process_id,
        account_id,
    )
    return row


async def insert_ballot(
    conn: asyncpg.Connection, *, process_id: int, zone_id: int, receipt_hash: bytes, choices: Any
) -> None:
    await conn.execute(
        "INSERT INTO budget_ballot (process_id, zone_id, receipt_hash, choices) VALUES ($1, $2, $3, $4)",
        process_id,
        zone_id,
        receipt_hash,
        choices,
    )


async def insert_ballots(
    conn: asyncpg.Connection, *, process_id: int, zone_id: int, ballots: list[tuple[bytes, Any]]
) -> None:
    """Many ballots at once (an imported file): each as (receipt_hash, choices)."""
    await conn.executemany(
        "INSERT INTO budget_ballot (process_id, zone_id, receipt_hash, choices) VALUES ($1, $2, $3, $4)",
        [(process_id, zone_id, receipt, choices) for receipt, choices in ballots],
    )


async def replace_ballot_choices(
    conn: asyncpg.Connection, *, process_id: int, receipt_hash: bytes, choices: Any
) -> bool:
    status: str = await conn.execute(
        "UPDATE budget_ballot SET choices = $3 WHERE process_id = $1 AND receipt_hash = $2",
        process_id,
        receipt_hash,
        choices,
    )
    return status.endswith(" 1")


async def get_ballot_by_receipt(
    conn: asyncpg.Connection, *, process_id: int, receipt_hash: bytes
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT zone_id, choices FROM budget_ballot WHERE process_id = $1 AND receipt_hash = $2",
        process_id,
        receipt_hash,
    )
    return row


async def count_roll_and_box(conn: asyncpg.Connection, process_id: int) -> tuple[int, int]:
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM budget_voter WHERE process_id = $1) AS roll,
               (SELECT count(*) FROM budget_ballot WHERE process_id = $1) AS box
        """,
        process_id,
    )
    assert row is not None
    return int(row["roll"]), int(row["box"])


async def paper_register(conn: asyncpg.Connection, process_id: int) -> list[asyncpg.Record]:
    """Paper entries per polling table and official (counts from the roll only: no choices, no voters)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT v.polling_table, a.username AS entered_by, count(*) AS ballots
        FROM budget_voter v JOIN account a ON a.id = v.entered_by
        WHERE v.process_id = $1 AND v.channel = 'paper'
        GROUP BY v.polling_table, a.username ORDER BY v.polling_table, a.username
        """,
        process_id,
    )
    return rows


async def list_ballots_by_receipt(conn: asyncpg.Connection, process_id: int) -> list[asyncpg.Record]:
    """The whole box in receipt-hash order: an order that says nothing about when anyone voted."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT zone_id, receipt_hash, choices FROM budget_ballot WHERE process_id = $1 ORDER BY receipt_hash",
        process_id,
    )
    return rows


async def rewrite_roll_and_box(conn: asyncpg.Connection, process_id: int) -> None:
    """Rewrite both tables' rows of the process in an order unrelated to time, in this (the publishing) transaction.

    A cast wrote its roll row and its ballot row in one transaction, so both carried the same transaction id (xmin)
    and sat at matching places in insertion order. Deleting and inserting them again, the roll by account and the box
    by receipt hash, gives every row the publishing transaction's id and a new physical place; the old versions are
    dead tuples that the next VACUUM removes (see `voting.py` for what remains)."""
    await conn.execute(
        """
        WITH gone AS (DELETE FROM budget_voter WHERE process_id = $1 RETURNING *)
        INSERT INTO budget_voter (process_id, account_id, zone_id, channel, roll_tag, polling_table, entered_by)
        SELECT process_id, account_id, zone_id, channel, roll_tag, polling_table, entered_by
        FROM gone ORDER BY account_id
        """,
        process_id,
    )
    await conn.execute(
        """
        WITH gone AS (DELETE FROM budget_ballot WHERE process_id = $1 RETURNING *)
        INSERT INTO budget_ballot (id, process_id, zone_id, receipt_hash, choices)
        SELECT gen_random_uuid(), process_id, zone_id, receipt_hash, choices
        FROM gone ORDER BY receipt_hash
        """,
        process_id,
    )


async def insert_chain_entries(conn: asyncpg.Connection, process_id: int, entries: list[tuple[Any, ...]]) -> None:
    """Entries as (position, zone_id, receipt_hash, choices, entry_hash)."""
    await conn.executemany(
        """
        INSERT INTO budget_chain_entry (process_id, position, zone_id, receipt_hash, choices, entry_hash)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        [(process_id, *entry) for entry in entries],
    )


async def list_chain_entries(conn: asyncpg.Connection, process_id: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT position, zone_id, receipt_hash, choices, entry_hash
        FROM budget_chain_entry WHERE process_id = $1 ORDER BY position
        """,
        process_id,
    )
    return rows


async def insert_results(conn: asyncpg.Connection, process_id: int, rows: list[tuple[Any, ...]]) -> None:
    """Rows as (project_id, zone_id, selected, pick_order, votes, explanation)."""
    await conn.executemany(
        """
        INSERT INTO budget_result (process_id, project_id, zone_id, selected, pick_order, votes, explanation)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        [(process_id, *row) for row in rows],
    )


async def list_results(conn: asyncpg.Connection, process_id: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT r.project_id, r.zone_id, r.selected, r.pick_order, r.votes, r.explanation,
               p.title, p.external_id, COALESCE(p.final_cost, p.estimated_cost) AS cost
        FROM budget_result r JOIN budget_project p ON p.id = r.project_id
        WHERE r.process_id = $1
        ORDER BY r.zone_id, r.pick_order NULLS LAST, r.votes DESC, r.project_id
        """,
        process_id,
    )
    return rows


async def mark_published(
    conn: asyncpg.Connection,
    process_id: int,
    *,
    by: int,
    now: datetime,
    chain_head: str,
    chain_signature: str,
    chain_public_key: str,
) -> bool:
    status: str = await conn.execute(
        """
        UPDATE budget_process
        SET results_published_at = $3, results_published_by = $2, chain_head = $4, chain_signature = $5,
            chain_public_key = $6
        WHERE id = $1 AND results_published_at IS NULL
        """,
        process_id,
        by,
        now,
        chain_head,
        chain_signature,
        chain_public_key,
    )
    return status.endswith(" 1")

"""Domain events: the durable record of every effect other parts of the system (or other nodes) react to.

A service records an event in the same transaction as the change it describes, so the outbox worker can never miss
a change nor publish one that was rolled back. Events are append-only and ordered by id.
"""

from __future__ import annotations

from typing import Any

import asyncpg


async def record_event(conn: asyncpg.Connection, kind: str, payload: dict[str, Any]) -> int:
    """Append an event; call inside the transaction that makes the change."""
    event_id: int = await conn.fetchval(
        "INSERT INTO domain_event (kind, payload) VALUES ($1, $2) RETURNING id", kind, payload
    )
    return event_id

"""SQL for the node's keys. The only module that writes `node_key`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.node.model import NodeKeys


async def get_node_keys(conn: asyncpg.Connection) -> NodeKeys | None:
    row = await conn.fetchrow("SELECT rsa_private_pem, ed25519_private_pem, created_at FROM node_key WHERE id = 1")
    return NodeKeys(**dict(row)) if row else None


async def insert_node_keys_if_absent(
    conn: asyncpg.Connection, *, rsa_private_pem: str, ed25519_private_pem: str, now: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO node_key (id, rsa_private_pem, ed25519_private_pem, created_at)
        VALUES (1, $1, $2, $3)
        ON CONFLICT (id) DO NOTHING
        """,
        rsa_private_pem,
        ed25519_private_pem,
        now,
    )

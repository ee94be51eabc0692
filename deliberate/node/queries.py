"""SQL for the node's keys. The only module that writes `node_key`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.node.model import ActorKeys, NodeKeys


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


async def get_actor_keys(conn: asyncpg.Connection, *, kind: str, actor_id: int) -> ActorKeys | None:
    row = await conn.fetchrow(
        "SELECT rsa_private_pem, ed25519_private_pem FROM actor_key WHERE actor_kind = $1 AND actor_id = $2",
        kind,
        actor_id,
    )
    return ActorKeys(**dict(row)) if row else None


async def insert_actor_keys_if_absent(
    conn: asyncpg.Connection, *, kind: str, actor_id: int, rsa_private_pem: str, ed25519_private_pem: str,
    now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        """
        INSERT INTO actor_key (actor_kind, actor_id, rsa_private_pem, ed25519_private_pem, created_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (actor_kind, actor_id) DO NOTHING
        """,
        kind,
        actor_id,
        rsa_private_pem,
        ed25519_private_pem,
        now,
    )


async def count_usage(conn: asyncpg.Connection, *, month_ago: datetime, halfyear_ago: datetime) -> dict[str, int]:
    """Counts for NodeInfo: accounts, accounts that posted lately, posts not deleted."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM account) AS users_total,
               (SELECT count(DISTINCT author_id) FROM post WHERE created_at > $1) AS active_month,
               (SELECT count(DISTINCT author_id) FROM post WHERE created_at > $2) AS active_halfyear,
               (SELECT count(*) FROM post WHERE deleted_at IS NULL) AS local_posts
        """,
        month_ago,
        halfyear_ago,
    )
    return {key: int(value) for key, value in dict(row).items()}


async def replace_node_keys(conn: asyncpg.Connection, *, rsa_private_pem: str, ed25519_private_pem: str,
                            now: datetime) -> None:  # fmt: skip
    await conn.execute(
        "UPDATE node_key SET rsa_private_pem = $1, ed25519_private_pem = $2, created_at = $3 WHERE id = 1",
        rsa_private_pem, ed25519_private_pem, now,
    )  # fmt: skip


async def replace_actor_keys(
    conn: asyncpg.Connection, *, kind: str, actor_id: int, rsa_private_pem: str, ed25519_private_pem: str,
    now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        """
        INSERT INTO actor_key (actor_kind, actor_id, rsa_private_pem, ed25519_private_pem, created_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (actor_kind, actor_id) DO UPDATE SET
            rsa_private_pem = EXCLUDED.rsa_private_pem, ed25519_private_pem = EXCLUDED.ed25519_private_pem,
            created_at = EXCLUDED.created_at
        """,
        kind, actor_id, rsa_private_pem, ed25519_private_pem, now,
    )  # fmt: skip

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
    """Counts for NodeInfo, of this node's own people and posts only (NodeInfo 2.1 `usage`: users "registered on this
    server", `localPosts` "made by users that are registered on this server"): accounts not deleted, those of them
    who posted lately, and the posts not deleted that were written here (also those a deleted account left behind
    under the shared anonymous author). The shadow accounts of other servers' authors and the copies of their posts
    (`account.origin` set) are for their own servers to count."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM account WHERE origin IS NULL AND deleted_at IS NULL) AS users_total,
               (SELECT count(DISTINCT p.author_id) FROM post p JOIN account a ON a.id = p.author_id
                WHERE p.created_at > $1 AND a.origin IS NULL AND a.deleted_at IS NULL) AS active_month,
               (SELECT count(DISTINCT p.author_id) FROM post p JOIN account a ON a.id = p.author_id
                WHERE p.created_at > $2 AND a.origin IS NULL AND a.deleted_at IS NULL) AS active_halfyear,
               (SELECT count(*) FROM post p JOIN account a ON a.id = p.author_id
                WHERE p.deleted_at IS NULL AND a.origin IS NULL) AS local_posts
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

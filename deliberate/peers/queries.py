"""SQL for instances, remote actors, follows, the inbox ledger, the outbox cursor and the delivery queue.

Deliveries and inbox items are claimed the way the e-mail queue is: `FOR UPDATE SKIP LOCKED` inside a short
transaction that also pushes the row's next attempt forward (a lease), committed before any network traffic. A
worker killed mid-batch loses nothing: its rows come due again when the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from deliberate.peers.model import (
    ActorFields,
    Delivery,
    InboxBacklog,
    InboxItem,
    Instance,
    PeerStatus,
    Recipient,
    RemoteActor,
)

_INSTANCE = """host, blocked_at, block_reason, allowed_at, consecutive_failures, failing_since, paused_until,
               unavailable, last_error"""
_ACTOR = """id, uri, host, type, preferred_username, name, inbox, shared_inbox, outbox, key_id, public_key_pem,
            assertion_keys, fetched_at, account_id, forum_id"""


async def ensure_instance(conn: asyncpg.Connection, host: str, *, now: datetime) -> Instance:
    row = await conn.fetchrow(
        f"""
        WITH inserted AS (
            INSERT INTO instance (host, first_seen_at) VALUES ($1, $2) ON CONFLICT (host) DO NOTHING
            RETURNING {_INSTANCE}
        )
        SELECT {_INSTANCE} FROM inserted UNION ALL SELECT {_INSTANCE} FROM instance WHERE host = $1
        """,
        host,
        now,
    )
    return Instance(**dict(row))


async def get_instance(conn: asyncpg.Connection, host: str) -> Instance | None:
    row = await conn.fetchrow(f"SELECT {_INSTANCE} FROM instance WHERE host = $1", host)
    return Instance(**dict(row)) if row else None


async def set_blocked(conn: asyncpg.Connection, host: str, *, blocked_at: datetime | None, reason: str) -> None:
    await conn.execute(
        "UPDATE instance SET blocked_at = $2, block_reason = $3 WHERE host = $1", host, blocked_at, reason
    )


async def set_allowed(conn: asyncpg.Connection, host: str, *, allowed_at: datetime | None) -> None:
    await conn.execute("UPDATE instance SET allowed_at = $2 WHERE host = $1", host, allowed_at)


async def save_health(
    conn: asyncpg.Connection, host: str, *, consecutive_failures: int, failing_since: datetime | None,
    paused_until: datetime | None, unavailable: bool, last_error: str | None,
) -> None:  # fmt: skip
    await conn.execute(
        """
        UPDATE instance SET consecutive_failures = $2, failing_since = $3, paused_until = $4, unavailable = $5,
                            last_error = coalesce($6, last_error)
        WHERE host = $1
        """,
        host, consecutive_failures, failing_since, paused_until, unavailable, last_error,
    )  # fmt: skip


async def upsert_remote_actor(conn: asyncpg.Connection, fields: ActorFields, *, now: datetime) -> RemoteActor:
    row = await conn.fetchrow(
        f"""
        INSERT INTO remote_actor (uri, host, type, preferred_username, name, inbox, shared_inbox, outbox, key_id,
                                  public_key_pem, assertion_keys, fetched_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (uri) DO UPDATE SET
            type = EXCLUDED.type, preferred_username = EXCLUDED.preferred_username, name = EXCLUDED.name,
            inbox = EXCLUDED.inbox, shared_inbox = EXCLUDED.shared_inbox, outbox = EXCLUDED.outbox,
            key_id = EXCLUDED.key_id, public_key_pem = EXCLUDED.public_key_pem,
            assertion_keys = EXCLUDED.assertion_keys, fetched_at = EXCLUDED.fetched_at
        RETURNING {_ACTOR}
        """,
        fields.uri, fields.host, fields.type, fields.preferred_username, fields.name, fields.inbox,
        fields.shared_inbox, fields.outbox, fields.key_id, fields.public_key_pem, fields.assertion_keys, now,
    )  # fmt: skip
    return RemoteActor(**dict(row))


async def get_remote_actor(conn: asyncpg.Connection, *, uri: str) -> RemoteActor | None:
    row = await conn.fetchrow(f"SELECT {_ACTOR} FROM remote_actor WHERE uri = $1", uri)
    return RemoteActor(**dict(row)) if row else None


async def get_remote_actor_by_id(conn: asyncpg.Connection, remote_actor_id: int) -> RemoteActor | None:
    row = await conn.fetchrow(f"SELECT {_ACTOR} FROM remote_actor WHERE id = $1", remote_actor_id)
    return RemoteActor(**dict(row)) if row else None


async def get_remote_actor_by_forum(conn: asyncpg.Connection, forum_id: int) -> RemoteActor | None:
    row = await conn.fetchrow(f"SELECT {_ACTOR} FROM remote_actor WHERE forum_id = $1", forum_id)
    return RemoteActor(**dict(row)) if row else None


async def get_remote_actor_by_handle(conn: asyncpg.Connection, handle: str) -> RemoteActor | None:
    """The remote actor whose shadow account here is named `handle` (NAME@HOST, as `/u/NAME@HOST` shows it)."""
    row = await conn.fetchrow(
        f"""
        SELECT {_ACTOR} FROM remote_actor
        WHERE account_id = (SELECT id FROM account WHERE lower(username) = lower($1) AND origin IS NOT NULL)
        """,
        handle,
    )
    return RemoteActor(**dict(row)) if row else None


async def get_remote_actor_by_account(conn: asyncpg.Connection, account_id: int) -> RemoteActor | None:
    row = await conn.fetchrow(f"SELECT {_ACTOR} FROM remote_actor WHERE account_id = $1", account_id)
    return RemoteActor(**dict(row)) if row else None


async def lock_remote_actor_account(conn: asyncpg.Connection, remote_actor_id: int) -> int | None:
    """The actor's shadow account, its row locked until the transaction ends (so its account is made once)."""
    account_id: int | None = await conn.fetchval(
        "SELECT account_id FROM remote_actor WHERE id = $1 FOR UPDATE", remote_actor_id
    )
    return account_id


async def insert_shadow_account(
    conn: asyncpg.Connection, *, remote_actor_id: int, username: str, display_name: str | None, origin: str,
    now: datetime,
) -> int | None:  # fmt: skip
    """The local account a remote author's posts and reactions hang from, named `username`; its password can never
    match. None when an account (another actor's) already has that name: the caller tries another name, since an
    actor's account is never shared (`remote_actor.account_id` is unique)."""
    account_id: int | None = await conn.fetchval(
        """
        WITH account_row AS (
            INSERT INTO account (username, display_name, password_hash, created_at, password_changed_at, origin)
            VALUES ($1, $2, '!remote', $3, $3, $4)
            ON CONFLICT (lower(username)) DO NOTHING
            RETURNING id
        )
        UPDATE remote_actor SET account_id = account_row.id FROM account_row WHERE remote_actor.id = $5
        RETURNING remote_actor.account_id
        """,
        username, (display_name or "")[:80] or None, now, origin, remote_actor_id,
    )  # fmt: skip
    return account_id


async def link_forum(conn: asyncpg.Connection, remote_actor_id: int, forum_id: int) -> None:
    await conn.execute("UPDATE remote_actor SET forum_id = $2 WHERE id = $1", remote_actor_id, forum_id)


async def add_follower(
    conn: asyncpg.Connection, *, actor_kind: str, actor_id: int, remote_actor_id: int, follow_id: str, now: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO follower (actor_kind, actor_id, remote_actor_id, follow_id, created_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (actor_kind, actor_id, remote_actor_id) DO UPDATE SET follow_id = EXCLUDED.follow_id
        """,
        actor_kind, actor_id, remote_actor_id, follow_id, now,
    )  # fmt: skip


async def remove_follower(conn: asyncpg.Connection, *, actor_kind: str, actor_id: int, remote_actor_id: int) -> bool:
    status: str = await conn.execute(
        "DELETE FROM follower WHERE actor_kind = $1 AND actor_id = $2 AND remote_actor_id = $3",
        actor_kind, actor_id, remote_actor_id,
    )  # fmt: skip
    return status != "DELETE 0"


async def forget_deleted_actor(conn: asyncpg.Connection, remote_actor_id: int, *, now: datetime) -> None:
    """A remote person deleted their account: they follow nothing here any more, the node no longer follows them
    (nothing to undo: there is nobody left to tell), and their shadow account (if they ever posted or reacted here,
    or members here followed them) is marked deleted with its display name cleared; their posts stay as their
    origin left them (it sends a Delete for each post it removes)."""
    await conn.execute("DELETE FROM follower WHERE remote_actor_id = $1", remote_actor_id)
    await conn.execute("DELETE FROM following WHERE remote_actor_id = $1", remote_actor_id)
    await conn.execute(
        """
        UPDATE account SET deleted_at = $2, display_name = NULL
        WHERE id = (SELECT account_id FROM remote_actor WHERE id = $1) AND deleted_at IS NULL
        """,
        remote_actor_id,
        now,
    )


async def keep_as_tombstone(conn: asyncpg.Connection, remote_actor_id: int) -> None:
    """The actor is what its server now serves in its place, an AS2 Tombstone (Lemmy answers so for a deleted
    community). A later fetch that finds the actor again (its server restored it) stores its real type again."""
    await conn.execute("UPDATE remote_actor SET type = 'Tombstone' WHERE id = $1", remote_actor_id)


async def restore_shadow_account(conn: asyncpg.Connection, remote_actor_id: int, *, display_name: str | None) -> None:
    """The actor's server restored it (a Group's deletion undone): the shadow account `forget_deleted_actor` marked
    deleted is live again, under its name as the server now gives it."""
    await conn.execute(
        """
        UPDATE account SET deleted_at = NULL, display_name = $2
        WHERE id = (SELECT account_id FROM remote_actor WHERE id = $1) AND deleted_at IS NOT NULL
        """,
        remote_actor_id,
        (display_name or "")[:80] or None,
    )


async def first_subscriber_of_forum(conn: asyncpg.Connection, forum_id: int) -> int | None:
    """The account that has followed the forum the longest; None when nobody follows it."""
    account_id: int | None = await conn.fetchval(
        """
        SELECT account_id FROM subscription WHERE target_kind = 'forum' AND target_id = $1
        ORDER BY created_at, account_id LIMIT 1
        """,
        forum_id,
    )
    return account_id


async def follower_inboxes(conn: asyncpg.Connection, *, actor_kind: str, actor_id: int) -> list[Recipient]:
    """One inbox per server where possible: followers sharing a shared inbox get one delivery."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT coalesce(ra.shared_inbox, ra.inbox) AS inbox, ra.host
        FROM follower f JOIN remote_actor ra ON ra.id = f.remote_actor_id
        JOIN instance i ON i.host = ra.host
        WHERE f.actor_kind = $1 AND f.actor_id = $2 AND i.blocked_at IS NULL
        """,
        actor_kind,
        actor_id,
    )
    return [Recipient(row["inbox"], row["host"]) for row in rows]


async def count_followers(conn: asyncpg.Connection, *, actor_kind: str, actor_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM follower WHERE actor_kind = $1 AND actor_id = $2", actor_kind, actor_id
    )
    return count


async def upsert_following(
    conn: asyncpg.Connection, *, remote_actor_id: int, follow_id: str, requested_by: int | None, now: datetime
) -> str:
    """Record our Follow; returns the follow id in force (an earlier pending or accepted one is kept, so `follow_id`
    comes back only when this call made the row or replaced a rejected one: then a Follow must be sent)."""
    follow: str = await conn.fetchval(
        """
        INSERT INTO following (remote_actor_id, follow_id, state, requested_by, created_at)
        VALUES ($1, $2, 'pending', $3, $4)
        ON CONFLICT (remote_actor_id) DO UPDATE SET
            follow_id = CASE WHEN following.state = 'rejected' THEN EXCLUDED.follow_id ELSE following.follow_id END,
            state = CASE WHEN following.state = 'rejected' THEN 'pending' ELSE following.state END
        RETURNING follow_id
        """,
        remote_actor_id, follow_id, requested_by, now,
    )  # fmt: skip
    return follow


async def following_state(conn: asyncpg.Connection, remote_actor_id: int) -> str | None:
    state: str | None = await conn.fetchval("SELECT state FROM following WHERE remote_actor_id = $1", remote_actor_id)
    return state


async def lock_following(conn: asyncpg.Connection, remote_actor_id: int) -> tuple[int, str, str] | None:
    """(remote actor id, its uri, our follow id) of the node's Follow of a remote actor, the row locked until the
    transaction ends; None when the node does not follow it."""
    row = await conn.fetchrow(
        """
        SELECT f.remote_actor_id, ra.uri, f.follow_id
        FROM following f JOIN remote_actor ra ON ra.id = f.remote_actor_id
        WHERE f.remote_actor_id = $1
        FOR UPDATE OF f
        """,
        remote_actor_id,
    )
    return None if row is None else (row["remote_actor_id"], row["uri"], row["follow_id"])


async def delete_following(conn: asyncpg.Connection, remote_actor_id: int) -> None:
    await conn.execute("DELETE FROM following WHERE remote_actor_id = $1", remote_actor_id)


async def drop_pending_undo_of_follow(conn: asyncpg.Connection, *, inbox: str, host: str, followed_uri: str) -> int:
    """Delete the node's Undo of its Follow of `followed_uri` while it still waits in the queue (never delivered, or
    retrying); how many rows went. Only the node's own rows to that one inbox are read, so the body's JSON is parsed
    for a handful of rows at most (`delivery_host_idx`)."""
    status: str = await conn.execute(
        """
        DELETE FROM delivery
        WHERE host = $1 AND state = 'pending' AND inbox = $2 AND signer_kind = 'application'
          AND convert_from(body, 'UTF8')::jsonb @> jsonb_build_object(
                'type', 'Undo', 'object', jsonb_build_object('type', 'Follow', 'object', $3::text))
        """,
        host, inbox, followed_uri,
    )  # fmt: skip
    return int(status.split()[-1])


async def drop_pending_follow(conn: asyncpg.Connection, *, inbox: str, host: str, follow_id: str) -> int:
    """Delete the node's Follow `follow_id` while it still waits in the queue (never delivered, or retrying); how
    many rows went. The Follow is its own activity (its id is the delivery's activity_id), so no body is read."""
    status: str = await conn.execute(
        """
        DELETE FROM delivery
        WHERE host = $1 AND state = 'pending' AND inbox = $2 AND signer_kind = 'application' AND activity_id = $3
        """,
        host, inbox, follow_id,
    )  # fmt: skip
    return int(status.split()[-1])


async def reject_following_by_id(conn: asyncpg.Connection, *, host: str, follow_id: str, now: datetime) -> bool:
    """A Reject naming our Follow by id, of a Group on `host`: the answer of that Group's server."""
    status: str = await conn.execute(
        """
        UPDATE following f SET state = 'rejected', answered_at = $3
        FROM remote_actor ra
        WHERE ra.id = f.remote_actor_id AND ra.host = $1 AND f.follow_id = $2
        """,
        host, follow_id, now,
    )  # fmt: skip
    return status != "UPDATE 0"


async def answer_following(
    conn: asyncpg.Connection, *, remote_actor_id: int, follow_id: str | None, state: str, now: datetime
) -> bool:
    """Accept or Reject of our Follow; an answer naming another follow id than ours is ignored."""
    status: str = await conn.execute(
        """
        UPDATE following SET state = $3, answered_at = $4
        WHERE remote_actor_id = $1 AND ($2::text IS NULL OR follow_id = $2)
        """,
        remote_actor_id, follow_id, state, now,
    )  # fmt: skip
    return status != "UPDATE 0"


async def insert_inbox_activity(
    conn: asyncpg.Connection, *, activity_id: str, actor_uri: str, type_: str, body: dict[str, Any], now: datetime
) -> int | None:
    """Store an accepted activity; None when this id was already received (a retry or a replay)."""
    row_id: int | None = await conn.fetchval(
        """
        INSERT INTO inbox_activity (activity_id, actor_uri, type, body, received_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (activity_id) DO NOTHING RETURNING id
        """,
        activity_id, actor_uri, type_, body, now,
    )  # fmt: skip
    return row_id


async def claim_inbox(conn: asyncpg.Connection, *, limit: int) -> list[InboxItem]:
    """Due rows only: new ones, and failed ones whose retry time has come (`release_due_inbox`)."""
    rows = await conn.fetch(
        """
        SELECT id, activity_id, actor_uri, type, body, attempts FROM inbox_activity
        WHERE processed_at IS NULL AND next_attempt_at IS NULL
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
        """,
        limit,
    )
    return [InboxItem(**dict(row)) for row in rows]


async def finish_inbox(conn: asyncpg.Connection, item_id: int, *, now: datetime, error: str | None) -> None:
    await conn.execute(
        """
        UPDATE inbox_activity SET processed_at = $2, error = $3, attempts = attempts + 1, next_attempt_at = NULL
        WHERE id = $1
        """,
        item_id, now, error,
    )  # fmt: skip


async def retry_inbox(conn: asyncpg.Connection, item_id: int, *, error: str) -> None:
    """An attempt failed for a reason that may pass: the row waits ('infinity') until `schedule_inbox_retry` gives
    it a time, so it is not claimed again in the meantime."""
    await conn.execute(
        """
        UPDATE inbox_activity SET attempts = attempts + 1, error = $2, next_attempt_at = 'infinity'
        WHERE id = $1
        """,
        item_id, error[:500],
    )  # fmt: skip


async def claim_unscheduled_inbox(conn: asyncpg.Connection, *, limit: int) -> list[tuple[int, int, str | None]]:
    """(id, attempts, error) of failed rows that have no retry time yet, locked for this transaction."""
    rows = await conn.fetch(
        """
        SELECT id, attempts, error FROM inbox_activity
        WHERE processed_at IS NULL AND next_attempt_at = 'infinity'
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
        """,
        limit,
    )
    return [(row["id"], row["attempts"], row["error"]) for row in rows]


async def schedule_inbox_retry(conn: asyncpg.Connection, item_id: int, *, at: datetime) -> None:
    await conn.execute("UPDATE inbox_activity SET next_attempt_at = $2 WHERE id = $1", item_id, at)


async def give_up_inbox(conn: asyncpg.Connection, item_id: int, *, now: datetime, error: str) -> None:
    await conn.execute(
        "UPDATE inbox_activity SET processed_at = $2, error = $3, next_attempt_at = NULL WHERE id = $1",
        item_id, now, error[:500],
    )  # fmt: skip


async def release_due_inbox(conn: asyncpg.Connection, *, now: datetime) -> int:
    """Failed rows whose retry time has come are due again; how many."""
    status: str = await conn.execute(
        """
        UPDATE inbox_activity SET next_attempt_at = NULL
        WHERE id IN (
            SELECT id FROM inbox_activity
            WHERE processed_at IS NULL AND next_attempt_at <= $1
            FOR UPDATE SKIP LOCKED
        )
        """,
        now,
    )
    return int(status.split()[-1])


async def inbox_waiting(conn: asyncpg.Connection) -> InboxBacklog:
    """Received activities waiting to be retried: how many, the earliest next attempt, the latest failure's error."""
    row = await conn.fetchrow(
        """
        SELECT count(*) AS waiting, min(next_attempt_at) FILTER (WHERE next_attempt_at <> 'infinity') AS next_at,
               (SELECT error FROM inbox_activity WHERE processed_at IS NULL AND next_attempt_at IS NOT NULL
                ORDER BY id DESC LIMIT 1) AS last_error
        FROM inbox_activity WHERE processed_at IS NULL AND next_attempt_at IS NOT NULL
        """
    )
    return InboxBacklog(**dict(row))


async def lock_outbox_cursor(conn: asyncpg.Connection) -> int | None:
    """The last translated event id, locked for this transaction; None when another process holds it."""
    last: int | None = await conn.fetchval(
        "SELECT last_event_id FROM outbox_cursor WHERE singleton FOR UPDATE SKIP LOCKED"
    )
    return last


async def events_after(conn: asyncpg.Connection, last_id: int, *, limit: int) -> list[tuple[int, str, dict[str, Any]]]:
    rows = await conn.fetch(
        "SELECT id, kind, payload FROM domain_event WHERE id > $1 ORDER BY id LIMIT $2", last_id, limit
    )
    return [(row["id"], row["kind"], row["payload"]) for row in rows]


async def set_outbox_cursor(conn: asyncpg.Connection, last_id: int) -> None:
    await conn.execute("UPDATE outbox_cursor SET last_event_id = $1 WHERE singleton", last_id)


async def insert_delivery(
    conn: asyncpg.Connection, *, activity_id: str, recipient: Recipient, body: bytes, signer_kind: str,
    signer_id: int, now: datetime, despite_block: bool = False,
) -> None:  # fmt: skip
    await conn.execute(
        """
        INSERT INTO delivery (activity_id, inbox, host, body, signer_kind, signer_id, next_attempt_at, created_at,
                              despite_block)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)
        ON CONFLICT (activity_id, inbox) DO NOTHING
        """,
        activity_id, recipient.inbox, recipient.host, body, signer_kind, signer_id, now, despite_block,
    )  # fmt: skip


async def claim_deliveries(
    conn: asyncpg.Connection, *, now: datetime, lease: timedelta, limit: int, allowlist: bool = False
) -> list[Delivery]:
    """Due deliveries to hosts we send to: not blocked and, in allow-list mode, allowed (a block notice,
    `despite_block`, goes all the same), nor paused or unavailable. The others stay pending, unattempted."""
    rows = await conn.fetch(
        """
        UPDATE delivery d SET next_attempt_at = $1 + $2::interval, attempts = d.attempts + 1
        WHERE d.id IN (
            SELECT d2.id FROM delivery d2 JOIN instance i ON i.host = d2.host
            WHERE d2.state = 'pending' AND d2.next_attempt_at <= $1
              AND (d2.despite_block OR (i.blocked_at IS NULL AND (NOT $4 OR i.allowed_at IS NOT NULL)))
              AND NOT i.unavailable
              AND (i.paused_until IS NULL OR i.paused_until <= $1)
            ORDER BY d2.next_attempt_at, d2.id LIMIT $3
            FOR UPDATE OF d2 SKIP LOCKED
        )
        RETURNING d.id, d.activity_id, d.inbox, d.host, d.body, d.signer_kind, d.signer_id, d.attempts,
                  (SELECT rfc9421 FROM instance WHERE host = d.host) AS rfc9421
        """,
        now, lease, limit, allowlist,
    )  # fmt: skip
    return [Delivery(**dict(row)) for row in rows]


async def delivered(conn: asyncpg.Connection, delivery: Delivery, *, now: datetime) -> None:
    await conn.execute("DELETE FROM delivery WHERE id = $1", delivery.id)
    await conn.execute(
        "UPDATE instance SET last_delivery_at = $2, delivered_count = delivered_count + 1 WHERE host = $1",
        delivery.host, now,
    )  # fmt: skip


async def reschedule_delivery(conn: asyncpg.Connection, delivery_id: int, *, at: datetime, error: str) -> None:
    await conn.execute(
        "UPDATE delivery SET next_attempt_at = $2, last_error = $3 WHERE id = $1", delivery_id, at, error[:500]
    )


async def fail_delivery(conn: asyncpg.Connection, delivery_id: int, *, error: str) -> None:
    await conn.execute("UPDATE delivery SET state = 'failed', last_error = $2 WHERE id = $1", delivery_id, error[:500])


async def wake_host(conn: asyncpg.Connection, host: str, *, now: datetime) -> None:
    """The host is back: its pending deliveries are due now instead of at their backed-off time."""
    await conn.execute(
        "UPDATE delivery SET next_attempt_at = $2 WHERE host = $1 AND state = 'pending' AND next_attempt_at > $2",
        host, now,
    )  # fmt: skip


async def peer_status(conn: asyncpg.Connection, *, now: datetime | None) -> list[PeerStatus]:
    """One line per known server. `last_error` is the instance's, which every recorded attempt that failed or was
    refused overwrites: the latest error, not one picked among every row's (old failed rows included). A pause that
    ended before `now` (None: PostgreSQL's now()) is no pause."""
    rows = await conn.fetch(
        """
        SELECT i.host,
               count(d.id) FILTER (WHERE d.state = 'pending') AS pending,
               count(d.id) FILTER (WHERE d.state = 'failed') AS failed,
               i.consecutive_failures,
               CASE WHEN i.paused_until > coalesce($1, now()) THEN i.paused_until END AS paused_until,
               i.unavailable, i.blocked_at IS NOT NULL AS blocked,
               i.last_error, i.last_delivery_at, i.delivered_count
        FROM instance i LEFT JOIN delivery d ON d.host = i.host
        GROUP BY i.host ORDER BY i.host
        """,
        now,
    )
    return [PeerStatus(**dict(row)) for row in rows]


async def known_inboxes(conn: asyncpg.Connection) -> list[Recipient]:
    """One inbox per known server that is not blocked (its shared inbox where it has one)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (ra.host) coalesce(ra.shared_inbox, ra.inbox) AS inbox, ra.host
        FROM remote_actor ra JOIN instance i ON i.host = ra.host
        WHERE i.blocked_at IS NULL
        ORDER BY ra.host, (ra.shared_inbox IS NULL), ra.id
        """
    )
    return [Recipient(row["inbox"], row["host"]) for row in rows]


async def inbox_of_host(conn: asyncpg.Connection, host: str) -> Recipient | None:
    row = await conn.fetchrow(
        """
        SELECT coalesce(shared_inbox, inbox) AS inbox, host FROM remote_actor WHERE host = $1
        ORDER BY (shared_inbox IS NULL), id LIMIT 1
        """,
        host,
    )
    return Recipient(row["inbox"], row["host"]) if row else None


async def mark_blocked_by(conn: asyncpg.Connection, host: str) -> None:
    await conn.execute(
        "UPDATE instance SET unavailable = true, last_error = 'this server told us it blocked us' WHERE host = $1", host
    )


async def set_rfc9421(conn: asyncpg.Connection, host: str, accepted: bool) -> None:
    await conn.execute("UPDATE instance SET rfc9421 = $2 WHERE host = $1 AND rfc9421 <> $2", host, accepted)


async def host_and_actor(conn: asyncpg.Connection, host: str, uri: str) -> tuple[Instance | None, RemoteActor | None]:
    """The instance and the cached actor in one round trip (the inbox asks for both on every request)."""
    row = await conn.fetchrow(
        f"""
        SELECT {", ".join(f"i.{c.strip()}" for c in _INSTANCE.split(","))},
               {", ".join(f"ra.{c.strip()} AS ra_{c.strip()}" for c in _ACTOR.split(","))}
        FROM instance i LEFT JOIN remote_actor ra ON ra.uri = $2
        WHERE i.host = $1
        """,
        host,
        uri,
    )
    if row is None:
        return None, None
    values = dict(row)
    actor = {name[3:]: values.pop(name) for name in list(values) if name.startswith("ra_")}
    return Instance(**values), RemoteActor(**actor) if actor["id"] is not None else None


async def receive_and_revive(
    conn: asyncpg.Connection, *, host: str, activity_id: str, actor_uri: str, type_: str, body: dict[str, Any],
    now: datetime,
) -> int | None:  # fmt: skip
    """Store an accepted activity once and, when its host was failing or unavailable to us, mark it healthy and make
    its waiting deliveries due: one statement, so the common case costs one round trip."""
    row_id: int | None = await conn.fetchval(
        """
        WITH revived AS (
            UPDATE instance SET consecutive_failures = 0, failing_since = NULL, paused_until = NULL,
                                unavailable = false
            WHERE host = $1 AND (unavailable OR consecutive_failures > 0)
            RETURNING host
        ), woken AS (
            UPDATE delivery SET next_attempt_at = $6
            WHERE host IN (SELECT host FROM revived) AND state = 'pending' AND next_attempt_at > $6
        )
        INSERT INTO inbox_activity (activity_id, actor_uri, type, body, received_at) VALUES ($2, $3, $4, $5, $6)
        ON CONFLICT (activity_id) DO NOTHING RETURNING id
        """,
        host, activity_id, actor_uri, type_, body, now,
    )  # fmt: skip
    return row_id


async def insert_deliveries(
    conn: asyncpg.Connection, *, activity_id: str, recipients: list[Recipient], body: bytes, signer_kind: str,
    signer_id: int, now: datetime,
) -> None:  # fmt: skip
    """One row per recipient in two statements whatever their number (a fan-out to a forum's followers)."""
    inboxes, hosts = [r.inbox for r in recipients], [r.host for r in recipients]
    await conn.execute(
        """
        INSERT INTO instance (host, first_seen_at) SELECT DISTINCT h, $2::timestamptz FROM unnest($1::text[]) AS h
        ON CONFLICT (host) DO NOTHING
        """,
        hosts, now,
    )  # fmt: skip
    await conn.execute(
        """
        INSERT INTO delivery (activity_id, inbox, host, body, signer_kind, signer_id, next_attempt_at, created_at)
        SELECT $1, r.inbox, r.host, $4, $5, $6, $7, $7 FROM unnest($2::text[], $3::text[]) AS r(inbox, host)
        ON CONFLICT (activity_id, inbox) DO NOTHING
        """,
        activity_id, inboxes, hosts, body, signer_kind, signer_id, now,
    )  # fmt: skip


async def receive_many(
    conn: asyncpg.Connection, *, hosts: list[str], activity_ids: list[str], actor_uris: list[str], types: list[str],
    bodies: list[str], now: datetime, allowlist: bool,
) -> list[tuple[bool, int | None]]:  # fmt: skip
    """Store accepted activities from concurrent requests in one statement, each only if its host is still heard
    (not blocked; in allow-list mode, allowed) at this moment, so a block takes effect at once whatever a process
    has cached. Hosts that were failing are healthy again and their waiting deliveries due, as `receive_and_revive`.
    `bodies` are the JSON texts as received. One (heard, new row id or None) per input, in order."""
    rows = await conn.fetch(
        """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                          WITH ORDINALITY AS r(host, activity_id, actor_uri, type, body, n)
        ), heard AS (
            SELECT input.* FROM input JOIN instance i ON i.host = input.host
            WHERE i.blocked_at IS NULL AND (NOT $7 OR i.allowed_at IS NOT NULL)
        ), revived AS (
            UPDATE instance SET consecutive_failures = 0, failing_since = NULL, paused_until = NULL,
                                unavailable = false
            WHERE host IN (SELECT host FROM heard) AND (unavailable OR consecutive_failures > 0)
            RETURNING host
        ), woken AS (
            UPDATE delivery SET next_attempt_at = $6
            WHERE host IN (SELECT host FROM revived) AND state = 'pending' AND next_attempt_at > $6
        ), stored AS (
            INSERT INTO inbox_activity (activity_id, actor_uri, type, body, received_at)
            SELECT activity_id, actor_uri, type, body::jsonb, $6 FROM heard ORDER BY n
            ON CONFLICT (activity_id) DO NOTHING RETURNING id, activity_id
        )
        SELECT input.n, heard.n IS NOT NULL AS heard, stored.id
        FROM input LEFT JOIN heard ON heard.n = input.n LEFT JOIN stored ON stored.activity_id = input.activity_id
        ORDER BY input.n
        """,
        hosts, activity_ids, actor_uris, types, bodies, now, allowlist,
    )  # fmt: skip
    return [(row["heard"], row["id"]) for row in rows]

"""SQL for subscriptions and notifications. The only module that writes those tables."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.notifications.model import EmailJob, Notification


async def subscribe(conn: asyncpg.Connection, account_id: int, *, kind: str, target_id: int, now: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO subscription (account_id, target_kind, target_id, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT DO NOTHING
        """,
        account_id,
        kind,
        target_id,
        now,
    )


async def unsubscribe(conn: asyncpg.Connection, account_id: int, *, kind: str, target_id: int) -> None:
    await conn.execute(
        "DELETE FROM subscription WHERE account_id = $1 AND target_kind = $2 AND target_id = $3",
        account_id,
        kind,
        target_id,
    )


async def delete_subscriptions_to(conn: asyncpg.Connection, kind: str, target_id: int) -> int:
    """Every member's subscription to one target; how many there were."""
    status: str = await conn.execute(
        "DELETE FROM subscription WHERE target_kind = $1 AND target_id = $2", kind, target_id
    )
    return int(status.split()[-1])


async def has_subscribers(conn: asyncpg.Connection, kind: str, target_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM subscription WHERE target_kind = $1 AND target_id = $2)", kind, target_id
    )
    return found


async def is_subscribed(conn: asyncpg.Connection, account_id: int, *, kind: str, target_id: int) -> bool:
    found: bool = await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM subscription
                       WHERE account_id = $1 AND target_kind = $2 AND target_id = $3)
        """,
        account_id,
        kind,
        target_id,
    )
    return found


async def fan_out(
    conn: asyncpg.Connection,
    *,
    kind: str,
    post_id: int,
    thread_id: int,
    forum_id: int,
    organization_ids: list[int],
    members_only_organization: int | None,
    actor_id: int,
    now: datetime,
) -> int:
    """One notification per follower of the thread, forum or organizations (or of the author, when members here
    follow them on their own server), in one statement; returns how many.

    In a members-only forum only members of its organization are notified: a former member who still follows the
    thread must not read it through their notifications.
    """
    result: str = await conn.execute(
        """
        INSERT INTO notification (account_id, kind, thread_id, post_id, actor_id, created_at, email_state,
                                  email_next_at)
        SELECT DISTINCT s.account_id, $1::text, $3::bigint, $2::bigint, $7::bigint, $8::timestamptz,
               CASE WHEN a.email_notifications AND a.email IS NOT NULL THEN 'pending' ELSE 'none' END,
               CASE WHEN a.email_notifications AND a.email IS NOT NULL THEN $8::timestamptz END
        FROM subscription s
        JOIN account a ON a.id = s.account_id
        WHERE ((s.target_kind = 'thread' AND s.target_id = $3::bigint)
            OR (s.target_kind = 'forum' AND s.target_id = $4::bigint)
            OR (s.target_kind = 'organization' AND s.target_id = ANY ($5::bigint[]))
            -- the author is a person or organization of another server, followed from here
            OR (s.target_kind = 'remote_actor'
                AND s.target_id IN (SELECT ra.id FROM remote_actor ra WHERE ra.account_id = $7::bigint)))
          AND s.account_id <> $7::bigint
          AND ($6::bigint IS NULL OR EXISTS (
                SELECT 1 FROM organization_member m WHERE m.organization_id = $6 AND m.account_id = s.account_id))
        ON CONFLICT (account_id, post_id) DO NOTHING
        """,
        kind,
        post_id,
        thread_id,
        forum_id,
        organization_ids,
        members_only_organization,
        actor_id,
        now,
    )
    return int(result.split()[-1])


async def fan_out_remote(
    conn: asyncpg.Connection, *, remote_actor_id: int, actor_id: int, title: str, url: str, now: datetime
) -> int:
    """One `remote_post` notification per member following a remote actor, for a post of theirs that has no copy
    here; once per member and post address. E-mailed, like any notice, to members who asked for e-mail."""
    result: str = await conn.execute(
        """
        INSERT INTO notification (account_id, kind, actor_id, created_at, title, url, email_state, email_next_at)
        SELECT s.account_id, 'remote_post', $2::bigint, $5::timestamptz, $3::text, $4::text,
               CASE WHEN a.email_notifications AND a.email IS NOT NULL THEN 'pending' ELSE 'none' END,
               CASE WHEN a.email_notifications AND a.email IS NOT NULL THEN $5::timestamptz END
        FROM subscription s
        JOIN account a ON a.id = s.account_id
        WHERE s.target_kind = 'remote_actor' AND s.target_id = $1::bigint
        ON CONFLICT (account_id, url) WHERE kind = 'remote_post' DO NOTHING
        """,
        remote_actor_id, actor_id, title, url, now,
    )  # fmt: skip
    return int(result.split()[-1])


# A post made in an organization's name shows the organization, never the member who wrote it. A remote_post has
# no thread nor post here: its own title and address.
_NOTE = """n.id, n.kind, n.thread_id, coalesce(t.title, n.title) AS thread_title, n.post_id,
           CASE WHEN o.id IS NULL THEN a.username END AS actor_username, o.name AS as_organization_name,
           n.created_at, n.read_at,
           CASE WHEN n.kind = 'remote_post' THEN coalesce(a.display_name, a.username) END AS actor_name, n.url"""


async def list_notifications(
    conn: asyncpg.Connection, account_id: int, *, before_id: int | None, limit: int
) -> list[Notification]:
    rows = await conn.fetch(
        f"""
        SELECT {_NOTE}
        FROM notification n
        LEFT JOIN thread t ON t.id = n.thread_id
        JOIN account a ON a.id = n.actor_id
        LEFT JOIN post p ON p.id = n.post_id
        LEFT JOIN organization o ON o.id = p.as_organization_id
        WHERE n.account_id = $1 AND ($2::bigint IS NULL OR n.id < $2)
        ORDER BY n.id DESC
        LIMIT $3
        """,
        account_id,
        before_id,
        limit,
    )
    return [Notification(**dict(row)) for row in rows]


async def count_unread(conn: asyncpg.Connection, account_id: int) -> int:
    value: int = await conn.fetchval(
        "SELECT count(*) FROM notification WHERE account_id = $1 AND read_at IS NULL", account_id
    )
    return value


async def mark_read(conn: asyncpg.Connection, account_id: int, *, up_to_id: int | None, now: datetime) -> None:
    await conn.execute(
        """
        UPDATE notification SET read_at = $3
        WHERE account_id = $1 AND read_at IS NULL AND ($2::bigint IS NULL OR id <= $2)
        """,
        account_id,
        up_to_id,
        now,
    )


async def set_email_notifications(conn: asyncpg.Connection, account_id: int, *, enabled: bool) -> None:
    await conn.execute("UPDATE account SET email_notifications = $2 WHERE id = $1", account_id, enabled)


async def get_email_notifications(conn: asyncpg.Connection, account_id: int) -> bool:
    value: bool = await conn.fetchval("SELECT email_notifications FROM account WHERE id = $1", account_id)
    return bool(value)


async def claim_email_jobs(
    conn: asyncpg.Connection, *, now: datetime, lease_until: datetime, limit: int
) -> list[EmailJob]:
    """Lease due e-mails to this sender until `lease_until`, in one statement (SKIP LOCKED: two senders never take
    the same row). The lease is committed before any SMTP traffic; a sender that dies lets it expire, and the
    e-mail is tried again (at least once, never lost)."""
    rows = await conn.fetch(
        """
        WITH due AS (
            SELECT id FROM notification
            WHERE email_state = 'pending' AND email_next_at <= $1
            ORDER BY email_next_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED
        ), leased AS (
            UPDATE notification n SET email_next_at = $2 FROM due WHERE n.id = due.id
            RETURNING n.id, n.account_id, n.kind, n.thread_id, n.post_id, n.actor_id, n.email_attempts, n.title,
                      n.url
        )
        SELECT l.id AS notification_id, r.email, r.username, l.kind, l.thread_id,
               coalesce(t.title, l.title) AS thread_title, l.post_id, a.username AS actor_username,
               l.email_attempts AS attempts,
               CASE WHEN l.kind = 'remote_post' THEN coalesce(a.display_name, a.username) END AS actor_name, l.url
        FROM leased l
        JOIN account r ON r.id = l.account_id
        JOIN account a ON a.id = l.actor_id
        LEFT JOIN thread t ON t.id = l.thread_id  -- a remote_post has no thread here
        """,
        now,
        lease_until,
        limit,
    )
    return [EmailJob(**dict(row)) for row in rows]


async def record_email_outcome(
    conn: asyncpg.Connection, notification_id: int, *, sent: bool, retry_at: datetime | None
) -> None:
    await conn.execute(
        """
        UPDATE notification
        SET email_state = CASE WHEN $2 THEN 'sent' WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
            email_attempts = email_attempts + 1,
            email_next_at = $3
        WHERE id = $1
        """,
        notification_id,
        sent,
        retry_at,
    )

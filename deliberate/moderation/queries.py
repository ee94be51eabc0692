"""SQL for reports, the moderation log and appeals. The only module that writes those tables.

The log is keyset-paginated on the action id, newest first; a page and its appeals are one query. The forums
service writes its lock and unlock entries through `insert_action` here, so the log has one writer.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.moderation.model import Action, Appeal, Report, ReportedPost

_ACTION = """m.id, m.kind, m.actor_id, actor.username AS actor_username, m.account_id,
             affected.username AS account_username, m.post_id, coalesce(m.thread_id, p.thread_id) AS thread_id,
             CASE WHEN f.visibility = 'public' THEN t.title END AS thread_title, m.suspended_until, m.reason,
             m.created_at,
             ap.id AS appeal_id, appellant.username AS appellant_username, ap.text AS appeal_text,
             ap.created_at AS appeal_created_at, ap.answer, answerer.username AS answered_by_username,
             ap.answered_at, ap.outcome"""
_ACTION_FROM = """moderation_action m
    JOIN account actor ON actor.id = m.actor_id
    LEFT JOIN account affected ON affected.id = m.account_id
    LEFT JOIN post p ON p.id = m.post_id
    LEFT JOIN thread t ON t.id = coalesce(m.thread_id, p.thread_id)
    LEFT JOIN forum f ON f.id = t.forum_id
    LEFT JOIN appeal ap ON ap.action_id = m.id
    LEFT JOIN account appellant ON appellant.id = ap.appellant_id
    LEFT JOIN account answerer ON answerer.id = ap.answered_by"""


def _action(row: asyncpg.Record) -> Action:
    appeal = None
    if row["appeal_id"] is not None:
        appeal = Appeal(
            id=row["appeal_id"],
            action_id=row["id"],
            appellant_username=row["appellant_username"],
            text=row["appeal_text"],
            created_at=row["appeal_created_at"],
            answer=row["answer"],
            answered_by_username=row["answered_by_username"],
            answered_at=row["answered_at"],
            outcome=row["outcome"],
        )
    return Action(
        id=row["id"],
        kind=row["kind"],
        actor_id=row["actor_id"],
        actor_username=row["actor_username"],
        account_id=row["account_id"],
        account_username=row["account_username"],
        post_id=row["post_id"],
        thread_id=row["thread_id"],
        thread_title=row["thread_title"],
        suspended_until=row["suspended_until"],
        reason=row["reason"],
        created_at=row["created_at"],
        appeal=appeal,
    )


async def insert_action(
    conn: asyncpg.Connection,
    *,
    actor_id: int,
    kind: str,
    reason: str,
    now: datetime,
    post_id: int | None = None,
    thread_id: int | None = None,
    account_id: int | None = None,
    suspended_until: datetime | None = None,
) -> int:
    action_id: int = await conn.fetchval(
        """
        INSERT INTO moderation_action (actor_id, kind, post_id, thread_id, account_id, suspended_until, reason,
                                       created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id
        """,
        actor_id,
        kind,
        post_id,
        thread_id,
        account_id,
        suspended_until,
        reason,
        now,
    )
    return action_id


async def get_action(conn: asyncpg.Connection, action_id: int) -> Action | None:
    row = await conn.fetchrow(f"SELECT {_ACTION} FROM {_ACTION_FROM} WHERE m.id = $1", action_id)
    return _action(row) if row else None


async def list_actions(conn: asyncpg.Connection, *, before_id: int | None, limit: int) -> list[Action]:
    rows = await conn.fetch(
        f"""
        SELECT {_ACTION} FROM {_ACTION_FROM}
        WHERE $1::bigint IS NULL OR m.id < $1
        ORDER BY m.id DESC
        LIMIT $2
        """,
        before_id,
        limit,
    )
    return [_action(row) for row in rows]


async def list_actions_on_post(conn: asyncpg.Connection, post_id: int) -> list[Action]:
    rows = await conn.fetch(
        f"SELECT {_ACTION} FROM {_ACTION_FROM} WHERE m.post_id = $1 ORDER BY m.id DESC LIMIT 50", post_id
    )
    return [_action(row) for row in rows]


async def get_latest_appealable_action_on_post(conn: asyncpg.Connection, post_id: int) -> int | None:
    action_id: int | None = await conn.fetchval(
        "SELECT max(id) FROM moderation_action WHERE post_id = $1 AND kind = 'hide_post'", post_id
    )
    return action_id


async def insert_report(
    conn: asyncpg.Connection, *, post_id: int, reporter_id: int, reason: str, text: str, now: datetime
) -> int | None:
    """The new report's id; None when this person already has an open report on the post."""
    report_id: int | None = await conn.fetchval(
        """
        INSERT INTO report (post_id, reporter_id, reason, text, created_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (post_id, reporter_id) WHERE resolved_at IS NULL DO NOTHING
        RETURNING id
        """,
        post_id,
        reporter_id,
        reason,
        text,
        now,
    )
    return report_id


async def resolve_reports(
    conn: asyncpg.Connection, post_id: int, *, by: int, resolution: str, action_id: int, now: datetime
) -> int:
    """Close every open report on the post; returns how many were open."""
    closed = await conn.fetch(
        """
        UPDATE report SET resolved_at = $2, resolved_by = $3, resolution = $4, action_id = $5
        WHERE post_id = $1 AND resolved_at IS NULL
        RETURNING id
        """,
        post_id,
        now,
        by,
        resolution,
        action_id,
    )
    return len(closed)


_REPORTED = """r.id, r.post_id, r.reason, r.text, r.created_at, p.thread_id, t.title AS thread_title,
               f.slug AS forum_slug, a.username AS author_username, p.source, p.hidden_at, p.deleted_at"""
_REPORTED_FROM = """report r
    JOIN post p ON p.id = r.post_id
    JOIN thread t ON t.id = p.thread_id
    JOIN forum f ON f.id = t.forum_id
    JOIN account a ON a.id = p.author_id"""


def _reported_posts(rows: list[asyncpg.Record]) -> list[ReportedPost]:
    """Group report rows (ordered by post) into one entry per post, in the order of each post's first report."""
    grouped: dict[int, tuple[asyncpg.Record, list[Report]]] = {}
    for row in rows:
        report = Report(
            id=row["id"], post_id=row["post_id"], reason=row["reason"], text=row["text"], created_at=row["created_at"]
        )
        grouped.setdefault(row["post_id"], (row, []))[1].append(report)
    posts = [
        ReportedPost(
            post_id=first["post_id"],
            thread_id=first["thread_id"],
            thread_title=first["thread_title"],
            forum_slug=first["forum_slug"],
            author_username=first["author_username"],
            source=first["source"],
            hidden_at=first["hidden_at"],
            deleted_at=first["deleted_at"],
            reports=tuple(reports),
        )
        for first, reports in grouped.values()
    ]
    return sorted(posts, key=lambda post: post.reports[0].id)


async def list_open_reports(
    conn: asyncpg.Connection, *, account_id: int, everywhere: bool, limit: int
) -> list[ReportedPost]:
    """Open reports the account may act on: in every forum it can read (a node moderator: public forums and those
    of its own organizations), or in forums of organizations it administers. A members-only forum stays private to
    its organization, from node moderators too."""
    rows = await conn.fetch(
        f"""
        SELECT {_REPORTED} FROM {_REPORTED_FROM}
        LEFT JOIN organization_member m ON m.organization_id = f.organization_id AND m.account_id = $1
        WHERE r.resolved_at IS NULL
          AND (($2 AND (f.visibility = 'public' OR m.account_id IS NOT NULL)) OR m.role IN ('owner', 'admin'))
        ORDER BY r.id
        LIMIT $3
        """,
        account_id,
        everywhere,
        limit,
    )
    return _reported_posts(rows)


async def list_open_reports_on_post(conn: asyncpg.Connection, post_id: int) -> list[Report]:
    rows = await conn.fetch(
        """
        SELECT id, post_id, reason, text, created_at FROM report
        WHERE post_id = $1 AND resolved_at IS NULL
        ORDER BY id
        """,
        post_id,
    )
    return [Report(**dict(row)) for row in rows]


async def administers_any_organization(conn: asyncpg.Connection, account_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM organization_member WHERE account_id = $1 AND role IN ('owner', 'admin'))",
        account_id,
    )
    return found


async def insert_appeal(
    conn: asyncpg.Connection, *, action_id: int, appellant_id: int, text: str, now: datetime
) -> int | None:
    """The new appeal's id; None when the action was already appealed."""
    appeal_id: int | None = await conn.fetchval(
        """
        INSERT INTO appeal (action_id, appellant_id, text, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (action_id) DO NOTHING
        RETURNING id
        """,
        action_id,
        appellant_id,
        text,
        now,
    )
    return appeal_id


async def get_action_id_of_appeal(conn: asyncpg.Connection, appeal_id: int) -> int | None:
    action_id: int | None = await conn.fetchval("SELECT action_id FROM appeal WHERE id = $1", appeal_id)
    return action_id


async def answer_appeal(
    conn: asyncpg.Connection, appeal_id: int, *, by: int, answer: str, outcome: str, now: datetime
) -> bool:
    """Record the answer; False when the appeal was already answered (the first answer stands)."""
    answered = await conn.fetchval(
        """
        UPDATE appeal SET answer = $2, outcome = $3, answered_by = $4, answered_at = $5
        WHERE id = $1 AND answered_at IS NULL
        RETURNING true
        """,
        appeal_id,
        answer,
        outcome,
        by,
        now,
    )
    return bool(answered)


async def list_pending_appeals(conn: asyncpg.Connection, *, limit: int) -> list[Action]:
    rows = await conn.fetch(
        f"""
        SELECT {_ACTION} FROM {_ACTION_FROM}
        WHERE ap.id IS NOT NULL AND ap.answered_at IS NULL
        ORDER BY ap.id
        LIMIT $1
        """,
        limit,
    )
    return [_action(row) for row in rows]


async def other_moderator_exists(conn: asyncpg.Connection, account_id: int, *, now: datetime) -> bool:
    """Whether a moderator other than this account (and not suspended) could answer instead."""
    found: bool = await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM account
                       WHERE 'moderator' = ANY (roles) AND id <> $1
                         AND (suspended_until IS NULL OR suspended_until <= $2))
        """,
        account_id,
        now,
    )
    return found


async def lock_account(conn: asyncpg.Connection, account_id: int) -> None:
    """Order suspension changes to one account: taken before reading its suspension and changing it."""
    await conn.execute("SELECT 1 FROM account WHERE id = $1 FOR UPDATE", account_id)


async def get_report_reason(conn: asyncpg.Connection, report_id: int) -> tuple[str, str, int] | None:
    """(reason, text, post id) of a report."""
    row = await conn.fetchrow("SELECT reason, text, post_id FROM report WHERE id = $1", report_id)
    return (row["reason"], row["text"], row["post_id"]) if row else None

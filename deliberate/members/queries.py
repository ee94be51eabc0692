"""SQL for members' data: the export (reads across every area's tables), the erasure of an account, and the
operators' overview.

Erasing an account touches tables other areas own (subscriptions, notifications, reactions, tokens…). It is kept
here, in one place, on purpose: a right to cancellation that forgot a table would be a quiet lie, and this module
is the one list of everything the node holds about a person. The ballot box (budget_ballot) is never read: ballots
are not linked to voters, so there is nothing of a member's in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from deliberate.members.model import AccountStanding, OwnedOrganization, UnverifiedOrganization

# One section per kind of data, each a JSON array (or object) built by PostgreSQL in one round trip. Never the
# password hash, never token hashes, never private keys, never budget_ballot.
_SECTIONS: dict[str, str] = {
    "account": """
        SELECT to_jsonb(x) FROM (
            SELECT id, username, display_name, email, phone, roles, created_at, password_changed_at,
                   suspended_until, email_notifications, deleted_at
            FROM account WHERE id = $1) x""",
    "organizations": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.joined_at), '[]') FROM (
            SELECT o.slug, o.name, m.role, m.listed, m.joined_at
            FROM organization_member m JOIN organization o ON o.id = m.organization_id
            WHERE m.account_id = $1) x""",
    "membership_requests": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') FROM (
            SELECT o.slug AS organization, r.direction, r.message, r.created_at
            FROM membership_request r JOIN organization o ON o.id = r.organization_id
            WHERE r.account_id = $1) x""",
    "organizations_founded": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') FROM (
            SELECT slug, name, created_at FROM organization WHERE created_by = $1) x""",
    "forums_created": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') FROM (
            SELECT slug, name, created_at FROM forum WHERE created_by = $1 AND ap_id IS NULL) x""",
    "threads_started": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT t.id, t.title, f.slug AS forum, t.created_at, o.slug AS as_organization
            FROM thread t JOIN forum f ON f.id = t.forum_id LEFT JOIN organization o ON o.id = t.as_organization_id
            WHERE t.author_id = $1) x""",
    "posts": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT p.id, p.thread_id, p.reply_to_id, o.slug AS as_organization, p.source, p.created_at,
                   p.edited_at, p.deleted_at, p.hidden_at, p.hidden_reason,
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('revision', r.revision, 'source', r.source,
                                                                 'replaced_at', r.replaced_at)
                                              ORDER BY r.revision), '[]')
                    FROM post_revision r WHERE r.post_id = p.id) AS revisions
            FROM post p LEFT JOIN organization o ON o.id = p.as_organization_id
            WHERE p.author_id = $1) x""",
    "reactions": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') FROM (
            SELECT post_id, kind, created_at FROM reaction WHERE account_id = $1) x""",
    "subscriptions": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') FROM (
            SELECT s.target_kind, s.target_id, ra.uri AS remote_actor, s.created_at
            FROM subscription s
            LEFT JOIN remote_actor ra ON s.target_kind = 'remote_actor' AND ra.id = s.target_id
            WHERE s.account_id = $1) x""",
    # A remote_post has no thread or post here: its title and its address on its server say what it was.
    "notifications": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT id, kind, thread_id, post_id, title, url, created_at, read_at
            FROM notification WHERE account_id = $1) x""",
    "reports_made": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT id, post_id, reason, text, created_at, resolved_at, resolution
            FROM report WHERE reporter_id = $1) x""",
    "moderation_decisions_about_you": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT a.id, a.kind, a.post_id, a.thread_id, a.suspended_until, a.reason, a.created_at
            FROM moderation_action a
            WHERE a.account_id = $1
               OR a.post_id IN (SELECT id FROM post WHERE author_id = $1)) x""",
    "moderation_decisions_you_made": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT id, kind, post_id, thread_id, reason, created_at FROM moderation_action WHERE actor_id = $1) x""",
    "appeals": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT id, action_id, text, created_at, answer, answered_at, outcome
            FROM appeal WHERE appellant_id = $1) x""",
    "api_tokens": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') FROM (
            SELECT name, created_at, last_used_at, revoked_at FROM api_token WHERE account_id = $1) x""",
    "resident_verification": """
        SELECT to_jsonb(x) FROM (
            SELECT verified_at, place FROM resident_verification WHERE account_id = $1) x""",
    "budget_projects_proposed": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM (
            SELECT p.id, b.slug AS process, z.name AS zone, p.title, p.description, p.location, p.estimated_cost,
                   p.created_at, p.feasible, p.review_reason
            FROM budget_project p JOIN budget_process b ON b.id = p.process_id JOIN budget_zone z ON z.id = p.zone_id
            WHERE p.proposed_by = $1) x""",
    "official": """
        SELECT to_jsonb(x) FROM (SELECT name, office, appointed_at FROM official WHERE account_id = $1) x""",
    "consultations_taken_part_in": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.first_answered_at), '[]') FROM (
            SELECT c.slug AS consultation, c.version, p.show_name, p.first_answered_at, p.last_answered_at
            FROM consultation_participant p JOIN consultation c ON c.id = p.consultation_id
            WHERE p.account_id = $1) x""",
    "consultation_stances": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.answered_at), '[]') FROM (
            SELECT c.slug AS consultation, c.version, s.number AS section, t.stance, t.reason, t.answered_at
            FROM consultation_stance t JOIN consultation_section s ON s.id = t.section_id
            JOIN consultation c ON c.id = s.consultation_id
            WHERE t.account_id = $1) x""",
    "consultation_answers": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.answered_at), '[]') FROM (
            SELECT c.slug AS consultation, c.version, q.number AS question, q.prompt,
                   (SELECT coalesce(jsonb_agg(o.label ORDER BY o.number), '[]')
                    FROM consultation_option o WHERE o.id = ANY (a.option_ids)) AS chosen, a.text, a.answered_at
            FROM consultation_answer a JOIN consultation_question q ON q.id = a.question_id
            JOIN consultation c ON c.id = q.consultation_id
            WHERE a.account_id = $1) x""",
    "consultation_positions_submitted": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.submitted_at), '[]') FROM (
            SELECT c.slug AS consultation, o.slug AS organization, p.source, p.submitted_at, p.approved_at
            FROM consultation_position p JOIN consultation c ON c.id = p.consultation_id
            JOIN organization o ON o.id = p.organization_id
            WHERE p.submitted_by = $1) x""",
    # Whether they are on a voter roll, and how they were entered: never which ballot is theirs (none is).
    "budget_voter_rolls": """
        SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.process), '[]') FROM (
            SELECT b.slug AS process, b.title, z.name AS zone, v.channel, v.polling_table
            FROM budget_voter v JOIN budget_process b ON b.id = v.process_id JOIN budget_zone z ON z.id = v.zone_id
            WHERE v.account_id = $1) x""",
}

_EXPORT = "SELECT jsonb_build_object(" + ", ".join(f"'{name}', ({sql})" for name, sql in _SECTIONS.items()) + ")"


async def export_member_data(conn: asyncpg.Connection, account_id: int) -> dict[str, Any]:
    data: dict[str, Any] = await conn.fetchval(_EXPORT, account_id)
    return data


async def get_account_standing(conn: asyncpg.Connection, username: str) -> AccountStanding | None:
    """Whether the account named `username` (a member here, or another server's person as `name@host`) is deleted,
    whether its server is blocked here, and whether it is the shared anonymous author."""
    row = await conn.fetchrow(
        """
        SELECT a.username, a.deleted_at, a.origin,
               EXISTS (SELECT 1 FROM instance i WHERE i.host = a.origin AND i.blocked_at IS NOT NULL) AS origin_blocked,
               EXISTS (SELECT 1 FROM anonymous_author x WHERE x.account_id = a.id) AS shared_author
        FROM account a WHERE lower(a.username) = lower($1)
        """,
        username,
    )
    return AccountStanding(**dict(row)) if row else None


async def lock_live_account(conn: asyncpg.Connection, account_id: int) -> tuple[str, str] | None:
    """(username, password hash) of an account that is not deleted, locked for this transaction."""
    row = await conn.fetchrow(
        "SELECT username, password_hash FROM account WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", account_id
    )
    return (row["username"], row["password_hash"]) if row else None


async def list_owned_organizations(conn: asyncpg.Connection, account_id: int) -> list[OwnedOrganization]:
    """Organizations the account owns, with how many other owners each has; the rows are locked, as the
    organizations service locks them for every membership change."""
    rows = await conn.fetch(
        """
        SELECT o.slug, o.name,
               (SELECT count(*) FROM organization_member x
                WHERE x.organization_id = o.id AND x.role = 'owner' AND x.account_id <> $1) AS other_owners
        FROM organization o JOIN organization_member m ON m.organization_id = o.id
        WHERE m.account_id = $1 AND m.role = 'owner'
        ORDER BY lower(o.name)
        FOR UPDATE OF o
        """,
        account_id,
    )
    return [OwnedOrganization(**dict(row)) for row in rows]


async def list_live_posts(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM post WHERE author_id = $1 AND deleted_at IS NULL ORDER BY id FOR UPDATE", account_id
    )
    return [row["id"] for row in rows]


async def anonymous_author_id(conn: asyncpg.Connection, *, now: datetime) -> int:
    """The shared author of posts left behind anonymously, created the first time (under a lock, once)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('deliberate.anonymous_author'))")
    found: int | None = await conn.fetchval("SELECT account_id FROM anonymous_author")
    if found is not None:
        return found
    # Named like a member so every page shows it as one; a member who already took the name keeps it.
    taken = {
        row["u"]
        for row in await conn.fetch(
            "SELECT lower(username) AS u FROM account WHERE lower(username) LIKE 'cuenta-eliminada%'"
        )
    }
    name, suffix = "cuenta-eliminada", 2
    while name in taken:
        name, suffix = f"cuenta-eliminada-{suffix}", suffix + 1
    account_id: int = await conn.fetchval(
        """
        INSERT INTO account (username, display_name, password_hash, roles, created_at, password_changed_at, deleted_at)
        VALUES ($1, 'cuenta eliminada', '!', ARRAY['member'], $2, $2, $2)
        RETURNING id
        """,
        name,
        now,
    )
    await conn.execute("INSERT INTO anonymous_author (account_id) VALUES ($1)", account_id)
    return account_id


async def hand_posts_to(conn: asyncpg.Connection, account_id: int, *, new_author_id: int) -> int:
    """Posts written by `account_id` now belong to `new_author_id`; their text (and its history) is kept."""
    status: str = await conn.execute("UPDATE post SET author_id = $2 WHERE author_id = $1", account_id, new_author_id)
    return int(status.split()[-1])


async def hand_notifications_to(conn: asyncpg.Connection, account_id: int, *, new_author_id: int) -> None:
    """Other members' notices about what `account_id` wrote name the anonymous author from now on."""
    await conn.execute("UPDATE notification SET actor_id = $2 WHERE actor_id = $1", account_id, new_author_id)


async def hand_proposals_to(conn: asyncpg.Connection, account_id: int, *, new_author_id: int) -> None:
    """Budget projects stay (they are the district's, and may have been voted on) under the anonymous author."""
    await conn.execute("UPDATE budget_project SET proposed_by = $2 WHERE proposed_by = $1", account_id, new_author_id)


async def hand_threads_to(conn: asyncpg.Connection, account_id: int, *, new_author_id: int) -> None:
    """Threads started by `account_id` are listed under `new_author_id` (their titles stay, as for a deleted post)."""
    await conn.execute("UPDATE thread SET author_id = $2 WHERE author_id = $1", account_id, new_author_id)


async def erase_account(conn: asyncpg.Connection, account_id: int, *, now: datetime) -> None:
    """Everything personal goes; the row stays (the username is reserved) with a password no one can match.

    Kept: moderation decisions and reports' outcomes (the public log), budget voter rolls (they prove turnout, and
    hold no ballot), consultation answers (counted, no longer shown
    with the name), an official's public record (who published what as the council), the actor's keys (peers
    verify the Delete with them)."""
    for statement in (
        "DELETE FROM subscription WHERE account_id = $1",
        "DELETE FROM notification WHERE account_id = $1",
        "DELETE FROM reaction WHERE account_id = $1",
        "DELETE FROM membership_request WHERE account_id = $1",
        "DELETE FROM organization_member WHERE account_id = $1",
        "DELETE FROM api_token WHERE account_id = $1",
        "DELETE FROM resident_verification WHERE account_id = $1",
    ):
        await conn.execute(statement, account_id)
    # Consultation answers stay counted, as ballots do, but the name is never shown with them again.
    await conn.execute("UPDATE consultation_participant SET show_name = false WHERE account_id = $1", account_id)
    await conn.execute(
        """
        UPDATE account
        SET display_name = NULL, email = NULL, phone = NULL, password_hash = '!', roles = ARRAY['member'],
            email_notifications = false, password_changed_at = $2, deleted_at = $2
        WHERE id = $1
        """,
        account_id,
        now,
    )


# The operators' overview


async def list_unverified_organizations(conn: asyncpg.Connection, *, limit: int) -> list[UnverifiedOrganization]:
    """Organizations not yet verified, those that gave a register number first (only they can be verified)."""
    rows = await conn.fetch(
        """
        SELECT slug, name, registry_number, created_at FROM organization
        WHERE verified_at IS NULL
        ORDER BY registry_number IS NULL, created_at
        LIMIT $1
        """,
        limit,
    )
    return [UnverifiedOrganization(**dict(row)) for row in rows]


async def count_verified_residents(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval("SELECT count(*) FROM resident_verification")
    return value


async def count_open_reports(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval("SELECT count(DISTINCT post_id) FROM report WHERE resolved_at IS NULL")
    return value


async def count_open_appeals(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval("SELECT count(*) FROM appeal WHERE answered_at IS NULL")
    return value


async def database_size(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval("SELECT pg_database_size(current_database())")
    return value


async def last_backup_at(conn: asyncpg.Connection) -> datetime | None:
    """When the last backup finished (`deliberate backup` records each one in node_backup, migration 0014); None
    when none was ever made, or on a database that predates that record."""
    if not await conn.fetchval("SELECT to_regclass('public.node_backup') IS NOT NULL"):
        return None
    value: datetime | None = await conn.fetchval("SELECT max(finished_at) FROM node_backup")
    return value

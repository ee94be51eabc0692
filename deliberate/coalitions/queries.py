"""SQL for coalitions, their members, statements, signatures and endorsements. The only module that writes them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from deliberate.coalitions.model import Coalition, CoalitionMember, Endorsement, Signature, Statement

_COALITION = """c.id, c.slug, c.name, c.purpose, c.charter, c.threshold, c.founding_organization_id,
    o.slug AS founding_organization_slug, o.name AS founding_organization_name, c.forum_id, f.slug AS forum_slug,
    c.origin, c.ap_id, c.created_at,
    (SELECT count(*) FROM coalition_member m WHERE m.coalition_id = c.id AND m.state = 'member') AS member_count"""
_FROM_COALITION = """coalition c LEFT JOIN organization o ON o.id = c.founding_organization_id
    LEFT JOIN forum f ON f.id = c.forum_id"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def insert_coalition(
    conn: asyncpg.Connection,
    *,
    slug: str,
    name: str,
    purpose: str,
    charter: str,
    threshold: str,
    founding_organization_id: int,
    created_by: int,
    now: datetime,
) -> int:
    coalition_id: int = await conn.fetchval(
        """
        INSERT INTO coalition (slug, name, purpose, charter, threshold, founding_organization_id, created_by,
                               created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id
        """,
        slug,
        name,
        purpose,
        charter,
        threshold,
        founding_organization_id,
        created_by,
        now,
    )
    return coalition_id


async def set_forum(conn: asyncpg.Connection, coalition_id: int, forum_id: int) -> None:
    await conn.execute("UPDATE coalition SET forum_id = $2 WHERE id = $1", coalition_id, forum_id)


async def slug_exists(conn: asyncpg.Connection, slug: str) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM coalition WHERE slug = $1)", slug)
    return found


async def name_exists(conn: asyncpg.Connection, name: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM coalition WHERE lower(name) = lower($1) AND origin IS NULL)", name
    )
    return found


async def get_coalition(conn: asyncpg.Connection, slug: str, *, for_update: bool = False) -> Coalition | None:
    if for_update:
        # The aggregate root is locked first: memberships, signatures and the threshold are checked under it.
        await conn.execute("SELECT 1 FROM coalition WHERE slug = $1 FOR UPDATE", slug)
    row = await conn.fetchrow(f"SELECT {_COALITION} FROM {_FROM_COALITION} WHERE c.slug = $1", slug)
    return Coalition(**dict(row)) if row else None


async def get_coalition_by_id(conn: asyncpg.Connection, coalition_id: int) -> Coalition | None:
    row = await conn.fetchrow(f"SELECT {_COALITION} FROM {_FROM_COALITION} WHERE c.id = $1", coalition_id)
    return Coalition(**dict(row)) if row else None


async def list_coalitions(conn: asyncpg.Connection, *, limit: int) -> list[Coalition]:
    rows = await conn.fetch(f"SELECT {_COALITION} FROM {_FROM_COALITION} ORDER BY lower(c.name) LIMIT $1", limit)
    return [Coalition(**dict(row)) for row in rows]


async def list_coalitions_of_organization(conn: asyncpg.Connection, organization_id: int) -> list[Coalition]:
    rows = await conn.fetch(
        f"""
        SELECT {_COALITION} FROM {_FROM_COALITION}
        WHERE EXISTS (SELECT 1 FROM coalition_member m WHERE m.coalition_id = c.id AND m.organization_id = $1
                      AND m.state IN ('member', 'invited'))
        ORDER BY lower(c.name)
        """,
        organization_id,
    )
    return [Coalition(**dict(row)) for row in rows]


_MEMBER = """m.id, m.coalition_id, m.organization_id, m.remote_actor_id,
    coalesce(o.slug, r.uri) AS slug, coalesce(o.name, r.name, r.preferred_username, r.uri) AS name,
    r.host, r.uri AS actor_uri, m.state, m.invited_at, m.joined_at, m.answered_at, m.ended_at"""
_FROM_MEMBER = """coalition_member m LEFT JOIN organization o ON o.id = m.organization_id
    LEFT JOIN remote_actor r ON r.id = m.remote_actor_id"""


async def insert_member(
    conn: asyncpg.Connection,
    coalition_id: int,
    *,
    organization_id: int | None,
    remote_actor_id: int | None,
    state: str,
    invited_by: int | None,
    now: datetime,
) -> int:
    member_id: int = await conn.fetchval(
        """
        INSERT INTO coalition_member (coalition_id, organization_id, remote_actor_id, state, invited_at, invited_by,
                                      joined_at, answered_at)
        VALUES ($1, $2, $3, $4::text, $5::timestamptz, $6, CASE WHEN $4 = 'member' THEN $5::timestamptz END,
                CASE WHEN $4 = 'member' THEN $5::timestamptz END)
        RETURNING id
        """,
        coalition_id,
        organization_id,
        remote_actor_id,
        state,
        now,
        invited_by,
    )
    return member_id


async def reinvite(conn: asyncpg.Connection, member_id: int, *, invited_by: int | None, now: datetime) -> None:
    """A declined or departed organization invited again: the old dates give way, domain_event keeps them."""
    await conn.execute(
        """
        UPDATE coalition_member SET state = 'invited', invited_at = $2, invited_by = $3, answered_at = NULL,
            answered_by = NULL, ended_at = NULL, ended_by = NULL, joined_at = NULL, acceptance = NULL
        WHERE id = $1
        """,
        member_id,
        now,
        invited_by,
    )
    await conn.execute("DELETE FROM coalition_removal_vote WHERE target_member_id = $1", member_id)


async def answer_invitation(
    conn: asyncpg.Connection,
    member_id: int,
    *,
    accepted: bool,
    by: int | None,
    now: datetime,
    acceptance: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        """
        UPDATE coalition_member SET state = CASE WHEN $2::boolean THEN 'member' ELSE 'declined' END,
            answered_at = $4::timestamptz, answered_by = $3, joined_at = CASE WHEN $2 THEN $4::timestamptz END,
            acceptance = $5
        WHERE id = $1
        """,
        member_id,
        accepted,
        by,
        now,
        acceptance,
    )


async def end_membership(
    conn: asyncpg.Connection, member_id: int, *, state: str, by: int | None, now: datetime
) -> None:
    await conn.execute(
        "UPDATE coalition_member SET state = $2, ended_at = $4, ended_by = $3 WHERE id = $1", member_id, state, by, now
    )
    await conn.execute("DELETE FROM coalition_removal_vote WHERE target_member_id = $1", member_id)


async def get_member(conn: asyncpg.Connection, member_id: int) -> CoalitionMember | None:
    row = await conn.fetchrow(f"SELECT {_MEMBER} FROM {_FROM_MEMBER} WHERE m.id = $1", member_id)
    return CoalitionMember(**dict(row)) if row else None


async def find_member(
    conn: asyncpg.Connection,
    coalition_id: int,
    *,
    organization_id: int | None = None,
    remote_actor_id: int | None = None,
) -> CoalitionMember | None:
    row = await conn.fetchrow(
        f"""
        SELECT {_MEMBER} FROM {_FROM_MEMBER}
        WHERE m.coalition_id = $1 AND (m.organization_id = $2 OR m.remote_actor_id = $3)
        """,
        coalition_id,
        organization_id,
        remote_actor_id,
    )
    return CoalitionMember(**dict(row)) if row else None


async def list_members(conn: asyncpg.Connection, coalition_id: int) -> list[CoalitionMember]:
    rows = await conn.fetch(
        f"""
        SELECT {_MEMBER} FROM {_FROM_MEMBER} WHERE m.coalition_id = $1
        ORDER BY CASE m.state WHEN 'member' THEN 0 WHEN 'invited' THEN 1 ELSE 2 END, m.invited_at, m.id
        """,
        coalition_id,
    )
    return [CoalitionMember(**dict(row)) for row in rows]


async def count_active_members(conn: asyncpg.Connection, coalition_id: int) -> int:
    value: int = await conn.fetchval(
        "SELECT count(*) FROM coalition_member WHERE coalition_id = $1 AND state = 'member'", coalition_id
    )
    return value


async def invitations_for(conn: asyncpg.Connection, organization_ids: list[int]) -> list[tuple[Coalition, str]]:
    """Pending invitations to any of these organizations: the coalition and the invited organization's slug."""
    rows = await conn.fetch(
        f"""
        SELECT {_COALITION}, io.slug AS invited_slug
        FROM coalition_member m JOIN organization io ON io.id = m.organization_id
        JOIN {_FROM_COALITION} ON c.id = m.coalition_id
        WHERE m.organization_id = ANY($1::bigint[]) AND m.state = 'invited'
        ORDER BY m.invited_at
        """,
        organization_ids,
    )
    result = []
    for row in rows:
        data = dict(row)
        invited = data.pop("invited_slug")
        result.append((Coalition(**data), invited))
    return result


async def insert_removal_vote(
    conn: asyncpg.Connection, target_member_id: int, voter_member_id: int, *, by: int | None, now: datetime
) -> bool:
    inserted = await conn.fetchval(
        """
        INSERT INTO coalition_removal_vote (target_member_id, voter_member_id, voted_by, voted_at)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true
        """,
        target_member_id,
        voter_member_id,
        by,
        now,
    )
    return bool(inserted)


async def count_removal_votes(conn: asyncpg.Connection, target_member_id: int) -> int:
    """Votes from organizations that are still members."""
    value: int = await conn.fetchval(
        """
        SELECT count(*) FROM coalition_removal_vote v JOIN coalition_member m ON m.id = v.voter_member_id
        WHERE v.target_member_id = $1 AND m.state = 'member'
        """,
        target_member_id,
    )
    return value


_STATEMENT = """s.id, s.coalition_id, s.title, s.body, s.drafted_by_member_id, s.created_at, s.updated_at,
    s.document, s.published_at, s.ap_id"""


async def insert_statement(
    conn: asyncpg.Connection,
    coalition_id: int,
    *,
    title: str,
    body: str,
    member_id: int,
    drafted_by: int | None,
    now: datetime,
) -> int:
    statement_id: int = await conn.fetchval(
        """
        INSERT INTO coalition_statement (coalition_id, title, body, drafted_by_member_id, drafted_by, created_at,
                                         updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $6)
        RETURNING id
        """,
        coalition_id,
        title,
        body,
        member_id,
        drafted_by,
        now,
    )
    return statement_id


async def update_statement_text(
    conn: asyncpg.Connection, statement_id: int, *, title: str, body: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE coalition_statement SET title = $2, body = $3, updated_at = $4 WHERE id = $1 AND document IS NULL",
        statement_id,
        title,
        body,
        now,
    )


async def freeze_statement(conn: asyncpg.Connection, statement_id: int, document: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE coalition_statement SET document = $2 WHERE id = $1 AND document IS NULL",
        statement_id,
        document,
    )


async def publish_statement(conn: asyncpg.Connection, statement_id: int, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE coalition_statement SET published_at = $2 WHERE id = $1 AND published_at IS NULL", statement_id, now
    )


def _statement(row: asyncpg.Record, signatures: tuple[Signature, ...]) -> Statement:
    data = dict(row)
    data["document"] = _json(data["document"])
    return Statement(**data, signatures=signatures)


_SIGNATURE = """g.statement_id, g.member_id, coalesce(o.name, r.name, r.preferred_username, r.uri) AS organization_name,
    coalesce(o.slug, r.uri) AS organization_slug, r.host, g.signed_at, g.proof"""
_FROM_SIGNATURE = """coalition_signature g JOIN coalition_member m ON m.id = g.member_id
    LEFT JOIN organization o ON o.id = m.organization_id LEFT JOIN remote_actor r ON r.id = m.remote_actor_id"""


def _signature(row: asyncpg.Record) -> Signature:
    data = dict(row)
    data["proof"] = _json(data["proof"])
    return Signature(**data)


async def _signatures(conn: asyncpg.Connection, statement_ids: list[int]) -> dict[int, tuple[Signature, ...]]:
    rows = await conn.fetch(
        f"""
        SELECT {_SIGNATURE} FROM {_FROM_SIGNATURE}
        WHERE g.statement_id = ANY($1::bigint[]) ORDER BY g.signed_at, g.member_id
        """,
        statement_ids,
    )
    found: dict[int, list[Signature]] = {}
    for row in rows:
        found.setdefault(row["statement_id"], []).append(_signature(row))
    return {key: tuple(value) for key, value in found.items()}


async def get_statement(conn: asyncpg.Connection, statement_id: int, *, for_update: bool = False) -> Statement | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_STATEMENT} FROM coalition_statement s WHERE s.id = $1{lock}", statement_id)
    if row is None:
        return None
    return _statement(row, (await _signatures(conn, [statement_id])).get(statement_id, ()))


async def list_statements(conn: asyncpg.Connection, coalition_id: int) -> list[Statement]:
    rows = await conn.fetch(
        f"SELECT {_STATEMENT} FROM coalition_statement s WHERE s.coalition_id = $1 ORDER BY s.id DESC", coalition_id
    )
    signatures = await _signatures(conn, [row["id"] for row in rows])
    return [_statement(row, signatures.get(row["id"], ())) for row in rows]


async def insert_signature(
    conn: asyncpg.Connection,
    statement_id: int,
    member_id: int,
    *,
    by: int | None,
    proof: dict[str, Any],
    now: datetime,
) -> bool:
    inserted = await conn.fetchval(
        """
        INSERT INTO coalition_signature (statement_id, member_id, signed_by, signed_at, proof)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true
        """,
        statement_id,
        member_id,
        by,
        now,
        proof,
    )
    return bool(inserted)


async def count_member_signatures(conn: asyncpg.Connection, statement_id: int) -> int:
    """Signatures of organizations that are members now (one that left no longer counts toward the threshold)."""
    value: int = await conn.fetchval(
        """
        SELECT count(*) FROM coalition_signature g JOIN coalition_member m ON m.id = g.member_id
        WHERE g.statement_id = $1 AND m.state = 'member'
        """,
        statement_id,
    )
    return value


_ENDORSEMENT = """e.id, e.coalition_id, c.slug AS coalition_slug, c.name AS coalition_name, e.statement_id,
    s.title AS statement_title, e.budget_project_id, e.consultation_id, e.target_url,
    coalesce(p.title, k.title) AS target_title, e.created_at"""
_FROM_ENDORSEMENT = """coalition_endorsement e JOIN coalition c ON c.id = e.coalition_id
    JOIN coalition_statement s ON s.id = e.statement_id
    LEFT JOIN budget_project p ON p.id = e.budget_project_id LEFT JOIN consultation k ON k.id = e.consultation_id"""


async def insert_endorsement(
    conn: asyncpg.Connection,
    coalition_id: int,
    statement_id: int,
    *,
    budget_project_id: int | None,
    consultation_id: int | None,
    target_url: str | None,
    member_id: int | None,
    by: int | None,
    now: datetime,
) -> int | None:
    """None when the coalition already endorsed that target."""
    endorsement_id: int | None = await conn.fetchval(
        """
        INSERT INTO coalition_endorsement (coalition_id, statement_id, budget_project_id, consultation_id,
                                           target_url, endorsed_by_member_id, endorsed_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id
        """,
        coalition_id,
        statement_id,
        budget_project_id,
        consultation_id,
        target_url,
        member_id,
        by,
        now,
    )
    return endorsement_id


async def _with_signers(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[Endorsement]:
    signatures = await _signatures(conn, [row["statement_id"] for row in rows])
    return [
        Endorsement(
            **dict(row),
            signers=tuple(signature.organization_name for signature in signatures.get(row["statement_id"], ())),
        )
        for row in rows
    ]


async def list_endorsements(conn: asyncpg.Connection, coalition_id: int) -> list[Endorsement]:
    rows = await conn.fetch(
        f"SELECT {_ENDORSEMENT} FROM {_FROM_ENDORSEMENT} WHERE e.coalition_id = $1 ORDER BY e.id DESC", coalition_id
    )
    return await _with_signers(conn, rows)


async def endorsements_of_project(conn: asyncpg.Connection, project_id: int) -> list[Endorsement]:
    rows = await conn.fetch(
        f"SELECT {_ENDORSEMENT} FROM {_FROM_ENDORSEMENT} WHERE e.budget_project_id = $1 ORDER BY e.id", project_id
    )
    return await _with_signers(conn, rows)


async def endorsements_of_consultation(conn: asyncpg.Connection, consultation_id: int) -> list[Endorsement]:
    rows = await conn.fetch(
        f"SELECT {_ENDORSEMENT} FROM {_FROM_ENDORSEMENT} WHERE e.consultation_id = $1 ORDER BY e.id", consultation_id
    )
    return await _with_signers(conn, rows)


async def budget_project_exists(conn: asyncpg.Connection, project_id: int) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM budget_project WHERE id = $1)", project_id)
    return found


async def current_consultation_id(conn: asyncpg.Connection, slug: str) -> int | None:
    """The current (not superseded) version of a published consultation."""
    value: int | None = await conn.fetchval(
        "SELECT id FROM consultation WHERE slug = $1 AND superseded_at IS NULL ORDER BY version DESC LIMIT 1", slug
    )
    return value


async def count_rows(conn: asyncpg.Connection) -> dict[str, int]:
    """Row counts of every coalition table, for checking that a refusal changed nothing."""
    tables = (
        "coalition", "coalition_member", "coalition_removal_vote", "coalition_statement", "coalition_signature",
        "coalition_endorsement",
    )  # fmt: skip
    return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in tables}


async def get_coalition_by_ap_id(conn: asyncpg.Connection, ap_id: str) -> Coalition | None:
    row = await conn.fetchrow(f"SELECT {_COALITION} FROM {_FROM_COALITION} WHERE c.ap_id = $1", ap_id)
    return Coalition(**dict(row)) if row else None


async def get_coalition_by_forum(conn: asyncpg.Connection, forum_id: int) -> Coalition | None:
    row = await conn.fetchrow(f"SELECT {_COALITION} FROM {_FROM_COALITION} WHERE c.forum_id = $1", forum_id)
    return Coalition(**dict(row)) if row else None


async def founding_actor_id(conn: asyncpg.Connection, coalition_id: int) -> int | None:
    value: int | None = await conn.fetchval(
        "SELECT founding_remote_actor_id FROM coalition WHERE id = $1", coalition_id
    )
    return value


async def insert_remote_coalition(
    conn: asyncpg.Connection,
    *,
    slug: str,
    name: str,
    purpose: str,
    charter: str,
    threshold: str,
    founding_remote_actor_id: int,
    origin: str,
    ap_id: str,
    now: datetime,
) -> int:
    coalition_id: int = await conn.fetchval(
        """
        INSERT INTO coalition (slug, name, purpose, charter, threshold, founding_remote_actor_id, origin, ap_id,
                               created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (ap_id) DO UPDATE SET name = excluded.name, purpose = excluded.purpose,
            charter = excluded.charter, threshold = excluded.threshold
        RETURNING id
        """,
        slug,
        name,
        purpose,
        charter,
        threshold,
        founding_remote_actor_id,
        origin,
        ap_id,
        now,
    )
    return coalition_id


async def get_statement_by_ap_id(conn: asyncpg.Connection, ap_id: str) -> Statement | None:
    statement_id = await conn.fetchval("SELECT id FROM coalition_statement WHERE ap_id = $1", ap_id)
    return await get_statement(conn, statement_id) if statement_id is not None else None


async def insert_remote_statement(
    conn: asyncpg.Connection,
    coalition_id: int,
    *,
    ap_id: str,
    title: str,
    body: str,
    document: dict[str, Any],
    now: datetime,
) -> int:
    statement_id: int = await conn.fetchval(
        """
        INSERT INTO coalition_statement (coalition_id, title, body, created_at, updated_at, document, ap_id)
        VALUES ($1, $2, $3, $4, $4, $5, $6)
        RETURNING id
        """,
        coalition_id,
        title,
        body,
        now,
        document,
        ap_id,
    )
    return statement_id


async def set_state(conn: asyncpg.Connection, member_id: int, *, state: str, now: datetime) -> None:
    """The state a coalition's host reports for a member, on a node holding a copy."""
    await conn.execute(
        """
        UPDATE coalition_member SET state = $2::text,
            joined_at = CASE WHEN $2 = 'member' THEN coalesce(joined_at, $3::timestamptz) ELSE joined_at END,
            answered_at = coalesce(answered_at, $3::timestamptz),
            ended_at = CASE WHEN $2 IN ('left', 'removed') THEN coalesce(ended_at, $3::timestamptz) END
        WHERE id = $1
        """,
        member_id,
        state,
        now,
    )

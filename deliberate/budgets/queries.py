"""SQL for budget processes, zones, projects and resident verification: the only module that writes those tables.

The voter roll, ballot box, chain and results tables are written by the voting module, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import asyncpg

from deliberate.budgets.model import BudgetProcess, BudgetProject, ResidentVerification, Zone

_PROCESS = """p.id, p.slug, p.title, p.description, p.total_amount, p.ballot_rule, p.max_choices, p.min_share, p.points,
    p.counting_rule, p.min_votes, p.completion, p.satisfaction, p.tie_break, p.tie_seed, p.proposals_open_at,
    p.review_starts_at, p.voting_opens_at, p.voting_closes_at, p.implementation_starts_at, p.origin, p.created_by,
    p.created_at, p.results_published_at, p.results_published_by, p.chain_head, p.chain_signature, p.chain_public_key,
    p.forum_id"""

_ZONE = "z.id, z.process_id, z.name, z.amount, z.position"

_PROJECT = """j.id, j.process_id, j.zone_id, j.title, j.description, j.location, j.estimated_cost, j.proposed_by,
    j.as_organization_id, j.created_at, j.feasible, j.review_reason, j.final_cost, j.reviewed_by, j.reviewed_at,
    j.thread_id, j.external_id, j.implementation_status, j.implementation_note, j.implementation_updated_at,
    a.username AS proposed_by_username, o.slug AS as_organization_slug, o.name AS as_organization_name"""
_PROJECT_FROM = """budget_project j
    JOIN account a ON a.id = j.proposed_by
    LEFT JOIN organization o ON o.id = j.as_organization_id"""


def _zone(row: asyncpg.Record) -> Zone:
    return Zone(**dict(row))


def _project(row: asyncpg.Record) -> BudgetProject:
    return BudgetProject(**dict(row))


async def _with_zones(conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]) -> list[BudgetProcess]:
    """Processes with their zones, in two queries whatever the number of processes."""
    if not rows:
        return []
    zone_rows = await conn.fetch(
        f"SELECT {_ZONE} FROM budget_zone z WHERE z.process_id = ANY($1::bigint[]) ORDER BY z.process_id, z.position",
        [row["id"] for row in rows],
    )
    zones: dict[int, list[Zone]] = {}
    for zone_row in zone_rows:
        zones.setdefault(zone_row["process_id"], []).append(_zone(zone_row))
    return [BudgetProcess(**dict(row), zones=tuple(zones.get(row["id"], ()))) for row in rows]


async def insert_process(
    conn: asyncpg.Connection,
    *,
    slug: str,
    title: str,
    description: str,
    total_amount: Decimal,
    ballot_rule: str,
    max_choices: int | None,
    min_share: Decimal | None,
    points: int | None,
    counting_rule: str,
    min_votes: int | None,
    completion: str,
    satisfaction: str,
    tie_break: str,
    tie_seed: str,
    proposals_open_at: datetime,
    review_starts_at: datetime,
    voting_opens_at: datetime,
    voting_closes_at: datetime,
    implementation_starts_at: datetime | None,
    origin: str,
    created_by: int,
    now: datetime,
) -> int:
    process_id: int = await conn.fetchval(
        """
        INSERT INTO budget_process (slug, title, description, total_amount, ballot_rule, max_choices, min_share,
            points, counting_rule, min_votes, completion, satisfaction, tie_break, tie_seed, proposals_open_at,
            review_starts_at, voting_opens_at, voting_closes_at, implementation_starts_at, origin, created_by,
            created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
        RETURNING id
        """,
        slug,
        title,
        description,
        total_amount,
        ballot_rule,
        max_choices,
        min_share,
        points,
        counting_rule,
        min_votes,
        completion,
        satisfaction,
        tie_break,
        tie_seed,
        proposals_open_at,
        review_starts_at,
        voting_opens_at,
        voting_closes_at,
        implementation_starts_at,
        origin,
        created_by,
        now,
    )
    return process_id


async def insert_zone(conn: asyncpg.Connection, *, process_id: int, name: str, amount: Decimal, position: int) -> int:
    zone_id: int = await conn.fetchval(
        "INSERT INTO budget_zone (process_id, name, amount, position) VALUES ($1, $2, $3, $4) RETURNING id",
        process_id,
        name,
        amount,
        position,
    )
    return zone_id


async def update_process_text_and_calendar(
    conn: asyncpg.Connection, process_id: int, *, title: str, description: str, proposals_open_at: datetime,
    review_starts_at: datetime, voting_opens_at: datetime, voting_closes_at: datetime,
    implementation_starts_at: datetime | None,
) -> None:  # fmt: skip
    await conn.execute(
        """
        UPDATE budget_process
        SET title = $2, description = $3, proposals_open_at = $4, review_starts_at = $5, voting_opens_at = $6,
            voting_closes_at = $7, implementation_starts_at = $8
        WHERE id = $1
        """,
        process_id, title, description, proposals_open_at, review_starts_at, voting_opens_at, voting_closes_at,
        implementation_starts_at,
    )  # fmt: skip


async def set_process_forum(conn: asyncpg.Connection, process_id: int, *, forum_id: int) -> None:
    await conn.execute("UPDATE budget_process SET forum_id = $2 WHERE id = $1", process_id, forum_id)


async def process_slug_exists(conn: asyncpg.Connection, slug: str) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM budget_process WHERE slug = $1)", slug)
    return found


async def get_process_by_slug(conn: asyncpg.Connection, slug: str) -> BudgetProcess | None:
    row = await conn.fetchrow(f"SELECT {_PROCESS} FROM budget_process p WHERE p.slug = $1", slug)
    found = await _with_zones(conn, [row] if row else [])
    return found[0] if found else None


async def get_process_by_id(
    conn: asyncpg.Connection, process_id: int, *, for_update: bool = False
) -> BudgetProcess | None:
    lock = "FOR UPDATE OF p" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_PROCESS} FROM budget_process p WHERE p.id = $1 {lock}", process_id)
    found = await _with_zones(conn, [row] if row else [])
    return found[0] if found else None


async def list_processes(
    conn: asyncpg.Connection, *, before: tuple[datetime, int] | None, limit: int
) -> list[BudgetProcess]:
    """Newest first, keyset-paginated by (created_at, id)."""
    rows = await conn.fetch(
        f"""
        SELECT {_PROCESS} FROM budget_process p
        WHERE $1::timestamptz IS NULL OR (p.created_at, p.id) < ($1, $2)
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $3
        """,
        before[0] if before else None,
        before[1] if before else None,
        limit,
    )
    return await _with_zones(conn, rows)


async def insert_project(
    conn: asyncpg.Connection,
    *,
    process_id: int,
    zone_id: int,
    title: str,
    description: str,
    location: str,
    estimated_cost: Decimal,
    proposed_by: int,
    as_organization_id: int | None,
    now: datetime,
    external_id: str | None = None,
) -> int:
    project_id: int = await conn.fetchval(
        """
        INSERT INTO budget_project (process_id, zone_id, title, description, location, estimated_cost, proposed_by,
            as_organization_id, created_at, external_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING id
        """,
        process_id,
        zone_id,
        title,
        description,
        location,
        estimated_cost,
        proposed_by,
        as_organization_id,
        now,
        external_id,
    )
    return project_id


async def set_project_thread(conn: asyncpg.Connection, project_id: int, *, thread_id: int) -> None:
    await conn.execute("UPDATE budget_project SET thread_id = $2 WHERE id = $1", project_id, thread_id)


async def get_project(
    conn: asyncpg.Connection, process_id: int, project_id: int, *, for_update: bool = False
) -> BudgetProject | None:
    lock = "FOR UPDATE OF j" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_PROJECT} FROM {_PROJECT_FROM} WHERE j.process_id = $1 AND j.id = $2 {lock}", process_id, project_id
    )
    return _project(row) if row else None


async def list_projects(
    conn: asyncpg.Connection, process_id: int, *, zone_id: int | None, feasible_only: bool
) -> list[BudgetProject]:
    rows = await conn.fetch(
        f"""
        SELECT {_PROJECT} FROM {_PROJECT_FROM}
        WHERE j.process_id = $1 AND ($2::bigint IS NULL OR j.zone_id = $2) AND (NOT $3 OR j.feasible IS TRUE)
        ORDER BY j.zone_id, j.id
        """,
        process_id,
        zone_id,
        feasible_only,
    )
    return [_project(row) for row in rows]


async def update_review(
    conn: asyncpg.Connection,
    project_id: int,
    *,
    feasible: bool,
    reason: str | None,
    final_cost: Decimal | None,
    by: int,
    now: datetime,
) -> None:
    await conn.execute(
        """
        UPDATE budget_project SET feasible = $2, review_reason = $3, final_cost = $4, reviewed_by = $5, reviewed_at = $6
        WHERE id = $1
        """,
        project_id,
        feasible,
        reason,
        final_cost,
        by,
        now,
    )


async def update_implementation(
    conn: asyncpg.Connection, project_id: int, *, status: str, note: str, now: datetime
) -> None:
    await conn.execute(
        """
        UPDATE budget_project SET implementation_status = $2, implementation_note = $3, implementation_updated_at = $4
        WHERE id = $1
        """,
        project_id,
        status,
        note,
        now,
    )


async def list_project_events(conn: asyncpg.Connection, project_id: int, kinds: Sequence[str]) -> list[asyncpg.Record]:
    """The domain events about one project, oldest first (its public review and follow-up history)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT e.id, e.kind, e.payload, e.created_at, a.username AS by_username
        FROM domain_event e LEFT JOIN account a ON a.id = (e.payload->>'by')::bigint
        WHERE e.kind = ANY($2::text[]) AND e.payload->>'project_id' = $1::text
        ORDER BY e.id
        """,
        str(project_id),
        list(kinds),
    )
    return rows


async def upsert_verification(conn: asyncpg.Connection, *, account_id: int, by: int, place: str, now: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO resident_verification (account_id, verified_by, verified_at, place) VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id) DO UPDATE SET verified_by = $2, verified_at = $3, place = $4
        """,
        account_id,
        by,
        now,
        place,
    )


async def delete_verification(conn: asyncpg.Connection, account_id: int) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM resident_verification WHERE account_id = $1 RETURNING account_id", account_id
    )
    return deleted is not None


_VERIFICATION = (
    """v.account_id, a.username, v.verified_by, b.username AS verified_by_username, v.verified_at, v.place"""
)
_VERIFICATION_FROM = """resident_verification v JOIN account a ON a.id = v.account_id
    JOIN account b ON b.id = v.verified_by"""


async def get_verification(conn: asyncpg.Connection, account_id: int) -> ResidentVerification | None:
    row = await conn.fetchrow(f"SELECT {_VERIFICATION} FROM {_VERIFICATION_FROM} WHERE v.account_id = $1", account_id)
    return ResidentVerification(**dict(row)) if row else None


async def is_verified(conn: asyncpg.Connection, account_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM resident_verification WHERE account_id = $1)", account_id
    )
    return found


async def list_recent_verifications(conn: asyncpg.Connection, *, limit: int) -> list[ResidentVerification]:
    rows = await conn.fetch(
        f"SELECT {_VERIFICATION} FROM {_VERIFICATION_FROM} ORDER BY v.verified_at DESC, v.account_id LIMIT $1", limit
    )
    return [ResidentVerification(**dict(row)) for row in rows]

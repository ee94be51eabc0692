"""SQL for organizations, their members and pending requests. The only module that writes those tables."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.organizations.model import Membership, Organization, PendingRequest

_ORG = """o.id, o.slug, o.name, o.kind, o.zone, o.description, o.registry_number, o.created_at, o.verified_at,
          (SELECT count(*) FROM organization_member m WHERE m.organization_id = o.id) AS member_count"""


def _organization(row: asyncpg.Record) -> Organization:
    return Organization(**dict(row))


def _membership(row: asyncpg.Record) -> Membership:
    return Membership(**dict(row))


async def insert_organization(
    conn: asyncpg.Connection,
    *,
    slug: str,
    name: str,
    kind: str,
    zone: str | None,
    description: str,
    registry_number: str | None,
    created_by: int,
    now: datetime,
) -> int:
    org_id: int = await conn.fetchval(
        """
        INSERT INTO organization (slug, name, kind, zone, description, registry_number, created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id
        """,
        slug,
        name,
        kind,
        zone,
        description,
        registry_number,
        created_by,
        now,
    )
    return org_id


async def slug_exists(conn: asyncpg.Connection, slug: str) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM organization WHERE slug = $1)", slug)
    return found


async def name_exists(conn: asyncpg.Connection, name: str) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM organization WHERE lower(name) = lower($1))", name)
    return found


async def get_organization_by_slug(
    conn: asyncpg.Connection, slug: str, *, for_update: bool = False
) -> Organization | None:
    if for_update:
        # Lock the aggregate root first: membership rules (the last owner) are checked under this lock.
        await conn.execute("SELECT 1 FROM organization WHERE slug = $1 FOR UPDATE", slug)
    row = await conn.fetchrow(f"SELECT {_ORG} FROM organization o WHERE o.slug = $1", slug)
    return _organization(row) if row else None


async def get_organization_by_id(conn: asyncpg.Connection, organization_id: int) -> Organization | None:
    row = await conn.fetchrow(f"SELECT {_ORG} FROM organization o WHERE o.id = $1", organization_id)
    return _organization(row) if row else None


async def list_organizations(conn: asyncpg.Connection, *, after_name: str | None, limit: int) -> list[Organization]:
    """Alphabetical, keyset-paginated by lower(name) (unique), so any page costs the same."""
    rows = await conn.fetch(
        f"""
        SELECT {_ORG} FROM organization o
        WHERE $1::text IS NULL OR lower(o.name) > lower($1)
        ORDER BY lower(o.name)
        LIMIT $2
        """,
        after_name,
        limit,
    )
    return [_organization(row) for row in rows]


async def set_verified(conn: asyncpg.Connection, org_id: int, *, by: int | None, now: datetime | None) -> None:
    await conn.execute("UPDATE organization SET verified_at = $2, verified_by = $3 WHERE id = $1", org_id, now, by)


_MEMBER = """m.organization_id, m.account_id, a.username, a.display_name, m.role, m.listed, m.joined_at"""


async def insert_member(conn: asyncpg.Connection, org_id: int, account_id: int, *, role: str, now: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO organization_member (organization_id, account_id, role, joined_at)
        VALUES ($1, $2, $3, $4)
        """,
        org_id,
        account_id,
        role,
        now,
    )


async def get_membership(conn: asyncpg.Connection, org_id: int, account_id: int) -> Membership | None:
    row = await conn.fetchrow(
        f"""
        SELECT {_MEMBER} FROM organization_member m JOIN account a ON a.id = m.account_id
        WHERE m.organization_id = $1 AND m.account_id = $2
        """,
        org_id,
        account_id,
    )
    return _membership(row) if row else None


async def list_members(conn: asyncpg.Connection, org_id: int, *, listed_only: bool) -> list[Membership]:
    rows = await conn.fetch(
        f"""
        SELECT {_MEMBER} FROM organization_member m JOIN account a ON a.id = m.account_id
        WHERE m.organization_id = $1 AND (m.listed OR NOT $2)
        ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, lower(a.username)
        """,
        org_id,
        listed_only,
    )
    return [_membership(row) for row in rows]


async def count_owners(conn: asyncpg.Connection, org_id: int) -> int:
    value: int = await conn.fetchval(
        "SELECT count(*) FROM organization_member WHERE organization_id = $1 AND role = 'owner'", org_id
    )
    return value


async def update_member_role(conn: asyncpg.Connection, org_id: int, account_id: int, *, role: str) -> None:
    await conn.execute(
        "UPDATE organization_member SET role = $3 WHERE organization_id = $1 AND account_id = $2",
        org_id,
        account_id,
        role,
    )


async def update_member_listed(conn: asyncpg.Connection, org_id: int, account_id: int, *, listed: bool) -> None:
    await conn.execute(
        "UPDATE organization_member SET listed = $3 WHERE organization_id = $1 AND account_id = $2",
        org_id,
        account_id,
        listed,
    )


async def delete_member(conn: asyncpg.Connection, org_id: int, account_id: int) -> None:
    await conn.execute(
        "DELETE FROM organization_member WHERE organization_id = $1 AND account_id = $2", org_id, account_id
    )


async def insert_request(
    conn: asyncpg.Connection,
    org_id: int,
    account_id: int,
    *,
    direction: str,
    invited_by: int | None,
    message: str,
    now: datetime,
) -> bool:
    """False when a request or invitation is already pending for this pair."""
    inserted = await conn.fetchval(
        """
        INSERT INTO membership_request (organization_id, account_id, direction, invited_by, message, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (organization_id, account_id) DO NOTHING
        RETURNING true
        """,
        org_id,
        account_id,
        direction,
        invited_by,
        message,
        now,
    )
    return bool(inserted)


async def take_request(
    conn: asyncpg.Connection, org_id: int, account_id: int, *, direction: str
) -> PendingRequest | None:
    """Remove and return the pending request of that direction, if there is one."""
    row = await conn.fetchrow(
        """
        WITH taken AS (
            DELETE FROM membership_request
            WHERE organization_id = $1 AND account_id = $2 AND direction = $3
            RETURNING organization_id, account_id, direction, message, created_at
        )
        SELECT t.organization_id, t.account_id, a.username, t.direction, t.message, t.created_at
        FROM taken t JOIN account a ON a.id = t.account_id
        """,
        org_id,
        account_id,
        direction,
    )
    return PendingRequest(**dict(row)) if row else None


async def list_requests(conn: asyncpg.Connection, org_id: int) -> list[PendingRequest]:
    rows = await conn.fetch(
        """
        SELECT r.organization_id, r.account_id, a.username, r.direction, r.message, r.created_at
        FROM membership_request r JOIN account a ON a.id = r.account_id
        WHERE r.organization_id = $1
        ORDER BY r.created_at
        """,
        org_id,
    )
    return [PendingRequest(**dict(row)) for row in rows]


async def has_request(conn: asyncpg.Connection, org_id: int, account_id: int, *, direction: str) -> bool:
    found: bool = await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM membership_request
                       WHERE organization_id = $1 AND account_id = $2 AND direction = $3)
        """,
        org_id,
        account_id,
        direction,
    )
    return found


async def list_administered(conn: asyncpg.Connection, account_id: int) -> list[Organization]:
    rows = await conn.fetch(
        f"""
        SELECT {_ORG} FROM organization o
        JOIN organization_member m ON m.organization_id = o.id
        WHERE m.account_id = $1 AND m.role IN ('owner', 'admin')
        ORDER BY lower(o.name)
        """,
        account_id,
    )
    return [_organization(row) for row in rows]


async def list_listed_memberships(conn: asyncpg.Connection, account_id: int) -> list[Organization]:
    """Organizations a member chose to be listed in, for their public page."""
    rows = await conn.fetch(
        f"""
        SELECT {_ORG} FROM organization o
        JOIN organization_member m ON m.organization_id = o.id
        WHERE m.account_id = $1 AND m.listed
        ORDER BY lower(o.name)
        """,
        account_id,
    )
    return [_organization(row) for row in rows]

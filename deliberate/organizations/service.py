"""Organization use cases: founding, joining, inviting, leaving, roles, verification.

Each function takes the caller's transaction and the acting account, checks the rules, writes through `queries`, and
records a domain event. Membership changes lock the organization row first (`for_update`), so two admins acting at
once cannot, for example, both step down and leave the organization without an owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    AlreadyMember,
    InvalidInput,
    LastOwner,
    NotFound,
    NotOperator,
    NotOrganizationAdmin,
    OrganizationNameTaken,
    RequestAlreadyPending,
)
from deliberate.events import record_event
from deliberate.organizations import queries
from deliberate.organizations.model import (
    ADMIN_ROLES,
    Membership,
    Organization,
    OrganizationForm,
    PendingRequest,
    free_slug,
)
from deliberate.validation import InvalidFields, parse


async def create_organization(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, data: Mapping[str, Any]
) -> Organization:
    """Found an organization; the founder becomes its owner. It starts unverified."""
    accounts.check_can_act(actor, clock)
    form = parse(OrganizationForm, data)
    if await queries.name_exists(conn, form.name):
        raise InvalidFields([OrganizationNameTaken(field="name")])
    slug = await free_slug(form.name, lambda candidate: queries.slug_exists(conn, candidate))
    now = clock.now()
    try:
        async with conn.transaction():
            org_id = await queries.insert_organization(
                conn,
                slug=slug,
                name=form.name,
                kind=form.kind,
                zone=form.zone,
                description=form.description,
                registry_number=form.registry_number,
                created_by=actor.id,
                now=now,
            )
    except asyncpg.UniqueViolationError:
        raise InvalidFields([OrganizationNameTaken(field="name")]) from None
    await queries.insert_member(conn, org_id, actor.id, role="owner", now=now)
    await record_event(conn, "organization_created", {"organization_id": org_id, "by": actor.id})
    return await access_organization(conn, slug)


async def access_organization(conn: asyncpg.Connection, slug: str, *, for_update: bool = False) -> Organization:
    org = await queries.get_organization_by_slug(conn, slug, for_update=for_update)
    if org is None:
        raise NotFound()
    return org


async def access_organization_by_id(conn: asyncpg.Connection, organization_id: int) -> Organization:
    org = await queries.get_organization_by_id(conn, organization_id)
    if org is None:
        raise NotFound()
    return org


async def list_organizations(
    conn: asyncpg.Connection, *, after_name: str | None = None, limit: int = 50
) -> list[Organization]:
    return await queries.list_organizations(conn, after_name=after_name, limit=min(max(limit, 1), 100))


async def membership_of(conn: asyncpg.Connection, org: Organization, account: Account | None) -> Membership | None:
    if account is None:
        return None
    return await queries.get_membership(conn, org.id, account.id)


async def members_visible_to(conn: asyncpg.Connection, org: Organization, viewer: Account | None) -> list[Membership]:
    """Members see every member; everyone else sees those who chose to be listed."""
    is_member = await membership_of(conn, org, viewer) is not None
    return await queries.list_members(conn, org.id, listed_only=not is_member)


async def has_invitation(conn: asyncpg.Connection, org: Organization, account: Account) -> bool:
    return await queries.has_request(conn, org.id, account.id, direction="invitation")


async def _require_admin(conn: asyncpg.Connection, org: Organization, actor: Account) -> Membership:
    membership = await queries.get_membership(conn, org.id, actor.id)
    if membership is None or membership.role not in ADMIN_ROLES:
        raise NotOrganizationAdmin()
    return membership


async def pending_requests(conn: asyncpg.Connection, *, actor: Account, slug: str) -> list[PendingRequest]:
    org = await access_organization(conn, slug)
    await _require_admin(conn, org, actor)
    return await queries.list_requests(conn, org.id)


async def request_to_join(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, message: str = ""
) -> None:
    accounts.check_can_act(actor, clock)
    org = await access_organization(conn, slug, for_update=True)
    if await queries.get_membership(conn, org.id, actor.id) is not None:
        raise AlreadyMember()
    if len(message) > 1000:
        raise InvalidInput(field="message")
    invitation = await queries.take_request(conn, org.id, actor.id, direction="invitation")
    if invitation is not None:
        # Asking to join an organization that already invited you is accepting the invitation.
        await _add_member(conn, clock, org, actor.id, via="invitation")
        return
    if not await queries.insert_request(
        conn, org.id, actor.id, direction="request", invited_by=None, message=message.strip(), now=clock.now()
    ):
        raise RequestAlreadyPending()
    await record_event(conn, "membership_requested", {"organization_id": org.id, "account_id": actor.id})


async def invite_member(conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, username: str) -> None:
    accounts.check_can_act(actor, clock)
    org = await access_organization(conn, slug, for_update=True)
    await _require_admin(conn, org, actor)
    invitee = await accounts.access_member_by_username(conn, username)
    if await queries.get_membership(conn, org.id, invitee.id) is not None:
        raise AlreadyMember(field="username")
    request = await queries.take_request(conn, org.id, invitee.id, direction="request")
    if request is not None:
        # They had asked already: inviting them is approving their request.
        await _add_member(conn, clock, org, invitee.id, via="request")
        return
    if not await queries.insert_request(
        conn, org.id, invitee.id, direction="invitation", invited_by=actor.id, message="", now=clock.now()
    ):
        raise RequestAlreadyPending(field="username")
    await record_event(conn, "member_invited", {"organization_id": org.id, "account_id": invitee.id, "by": actor.id})


async def accept_invitation(conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str) -> None:
    accounts.check_can_act(actor, clock)
    org = await access_organization(conn, slug, for_update=True)
    if await queries.take_request(conn, org.id, actor.id, direction="invitation") is None:
        raise NotFound()
    await _add_member(conn, clock, org, actor.id, via="invitation")


async def decline_invitation(conn: asyncpg.Connection, *, actor: Account, slug: str) -> None:
    org = await access_organization(conn, slug, for_update=True)
    if await queries.take_request(conn, org.id, actor.id, direction="invitation") is None:
        raise NotFound()
    await record_event(conn, "invitation_declined", {"organization_id": org.id, "account_id": actor.id})


async def approve_request(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, account_id: int
) -> None:
    org = await access_organization(conn, slug, for_update=True)
    await _require_admin(conn, org, actor)
    if await queries.take_request(conn, org.id, account_id, direction="request") is None:
        raise NotFound()
    await _add_member(conn, clock, org, account_id, via="request", by=actor.id)


async def reject_request(conn: asyncpg.Connection, *, actor: Account, slug: str, account_id: int) -> None:
    org = await access_organization(conn, slug, for_update=True)
    await _require_admin(conn, org, actor)
    if await queries.take_request(conn, org.id, account_id, direction="request") is None:
        raise NotFound()
    await record_event(
        conn, "membership_rejected", {"organization_id": org.id, "account_id": account_id, "by": actor.id}
    )


async def _add_member(
    conn: asyncpg.Connection, clock: Clock, org: Organization, account_id: int, *, via: str, by: int | None = None
) -> None:
    await queries.insert_member(conn, org.id, account_id, role="member", now=clock.now())
    await record_event(
        conn, "member_joined", {"organization_id": org.id, "account_id": account_id, "via": via, "by": by}
    )


async def leave_organization(conn: asyncpg.Connection, *, actor: Account, slug: str) -> None:
    org = await access_organization(conn, slug, for_update=True)
    membership = await queries.get_membership(conn, org.id, actor.id)
    if membership is None:
        raise NotFound()
    if membership.role == "owner" and await queries.count_owners(conn, org.id) == 1:
        raise LastOwner()
    await queries.delete_member(conn, org.id, actor.id)
    await record_event(conn, "member_left", {"organization_id": org.id, "account_id": actor.id})


async def remove_member(conn: asyncpg.Connection, *, actor: Account, slug: str, account_id: int) -> None:
    """An admin removes a member; only an owner may remove an admin or another owner."""
    org = await access_organization(conn, slug, for_update=True)
    acting = await _require_admin(conn, org, actor)
    target = await queries.get_membership(conn, org.id, account_id)
    if target is None:
        raise NotFound()
    if target.role in ADMIN_ROLES and acting.role != "owner":
        raise NotOrganizationAdmin()
    if target.role == "owner" and await queries.count_owners(conn, org.id) == 1:
        raise LastOwner()
    await queries.delete_member(conn, org.id, account_id)
    await record_event(conn, "member_removed", {"organization_id": org.id, "account_id": account_id, "by": actor.id})


async def change_member_role(
    conn: asyncpg.Connection, *, actor: Account, slug: str, account_id: int, role: str
) -> None:
    """Only owners change roles; the last owner cannot step down."""
    if role not in ("owner", "admin", "member"):
        raise InvalidInput(field="role")
    org = await access_organization(conn, slug, for_update=True)
    acting = await _require_admin(conn, org, actor)
    if acting.role != "owner":
        raise NotOrganizationAdmin()
    target = await queries.get_membership(conn, org.id, account_id)
    if target is None:
        raise NotFound()
    if target.role == "owner" and role != "owner" and await queries.count_owners(conn, org.id) == 1:
        raise LastOwner()
    await queries.update_member_role(conn, org.id, account_id, role=role)
    await record_event(conn, "member_role_changed", {"organization_id": org.id, "account_id": account_id, "role": role})


async def set_listing(conn: asyncpg.Connection, *, actor: Account, slug: str, listed: bool) -> None:
    """A member's own choice to appear, or not, in the public member list."""
    org = await access_organization(conn, slug)
    if await queries.get_membership(conn, org.id, actor.id) is None:
        raise NotFound()
    await queries.update_member_listed(conn, org.id, actor.id, listed=listed)


async def verify_organization(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, verified: bool = True
) -> Organization:
    """An operator confirms (or withdraws) that the organization is in the municipal register."""
    if not actor.has_role("operator"):
        raise NotOperator()
    org = await access_organization(conn, slug, for_update=True)
    if verified and org.registry_number is None:
        raise InvalidInput(
            field="registry_number",
            message=N_("The organization has no register number yet, so it cannot be verified."),
        )
    await queries.set_verified(conn, org.id, by=actor.id if verified else None, now=clock.now() if verified else None)
    await record_event(
        conn, "organization_verified" if verified else "organization_unverified",
        {"organization_id": org.id, "by": actor.id},
    )  # fmt: skip
    return await access_organization(conn, slug)


async def organizations_administered_by(conn: asyncpg.Connection, account: Account | None) -> list[Organization]:
    """Organizations `account` may speak for (and whose posts' real authors it may see)."""
    if account is None:
        return []
    return await queries.list_administered(conn, account.id)


async def public_memberships(conn: asyncpg.Connection, account: Account) -> list[Organization]:
    """The organizations `account` appears in publicly (their own listing choice is respected)."""
    return await queries.list_listed_memberships(conn, account.id)

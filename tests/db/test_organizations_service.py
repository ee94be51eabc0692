"""Organization rules through the service, on a real database."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from deliberate import errors
from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import FrozenClock
from deliberate.organizations import service as orgs
from deliberate.validation import InvalidFields
from tests.conftest import cheap_passwords

CLOCK = FrozenClock()
PASSWORDS = cheap_passwords()


async def member(db: asyncpg.Connection, username: str, *roles: str) -> Account:
    account = await accounts.register_account(
        db,
        clock=CLOCK,
        passwords=PASSWORDS,
        data={"username": username, "password": "clave-segura-123", "password_confirm": "clave-segura-123"},
        roles=tuple(roles),  # type: ignore[arg-type]
    )
    return account


async def found(db: asyncpg.Connection, founder: Account, name: str = "Comedor Popular Santa Rosa", **extra: str):  # type: ignore[no-untyped-def]
    data = {"name": name, "kind": "comedor_popular", "zone": "Sector 3", "registry_number": "RUOS-0123", **extra}
    return await orgs.create_organization(db, clock=CLOCK, actor=founder, data=data)


async def test_the_founder_owns_a_new_unverified_organization(db: asyncpg.Connection) -> None:
    rosa = await member(db, "rosa")
    org = await found(db, rosa, "Comedor Popular «Santa Rosa» Ñaña")
    assert org.slug == "comedor-popular-santa-rosa-nana" and not org.verified and org.member_count == 1
    (owner,) = await orgs.members_visible_to(db, org, None)
    assert owner.username == "rosa" and owner.role == "owner"


async def test_names_are_unique_and_slugs_never_collide(db: asyncpg.Connection) -> None:
    rosa = await member(db, "rosa")
    await found(db, rosa, "Vaso de Leche Las Flores")
    with pytest.raises(InvalidFields) as caught:
        await found(db, rosa, "vaso de leche las flores")
    assert caught.value.errors[0].code == "organization_name_taken"
    other = await found(db, rosa, "Vaso de Leche: Las Flores!")
    assert other.slug == "vaso-de-leche-las-flores-2"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "ab", "kind": "otra"}, "name"),
        ({"name": "Club", "kind": "club"}, "kind"),
        ({"name": "Club", "kind": "otra", "registry_number": "<script>"}, "registry_number"),
        ({"name": "Club", "kind": "otra", "description": "x" * 5001}, "description"),
    ],
)
async def test_bad_organization_input_changes_nothing(db: asyncpg.Connection, data: dict[str, str], field: str) -> None:
    rosa = await member(db, "rosa")
    with pytest.raises(InvalidFields) as caught:
        await orgs.create_organization(db, clock=CLOCK, actor=rosa, data=data)
    assert field in [e.field for e in caught.value.errors]
    assert await db.fetchval("SELECT count(*) FROM organization") == 0


async def test_a_request_to_join_is_approved_by_an_admin_only(db: asyncpg.Connection) -> None:
    rosa, juan, luis = await member(db, "rosa"), await member(db, "juan"), await member(db, "luis")
    org = await found(db, rosa)
    await orgs.request_to_join(db, clock=CLOCK, actor=juan, slug=org.slug, message="Vivo en el sector 3")
    with pytest.raises(errors.RequestAlreadyPending):
        await orgs.request_to_join(db, clock=CLOCK, actor=juan, slug=org.slug)
    with pytest.raises(errors.NotOrganizationAdmin):
        await orgs.approve_request(db, clock=CLOCK, actor=luis, slug=org.slug, account_id=juan.id)
    (pending,) = await orgs.pending_requests(db, actor=rosa, slug=org.slug)
    assert pending.username == "juan" and pending.message == "Vivo en el sector 3"
    await orgs.approve_request(db, clock=CLOCK, actor=rosa, slug=org.slug, account_id=juan.id)
    with pytest.raises(errors.AlreadyMember):
        await orgs.request_to_join(db, clock=CLOCK, actor=juan, slug=org.slug)
    assert [m.username for m in await orgs.members_visible_to(db, org, None)] == ["rosa", "juan"]


async def test_an_invitation_is_accepted_by_the_invited_person(db: asyncpg.Connection) -> None:
    rosa, juan = await member(db, "rosa"), await member(db, "juan")
    org = await found(db, rosa)
    await orgs.invite_member(db, clock=CLOCK, actor=rosa, slug=org.slug, username="JUAN")
    with pytest.raises(errors.NotFound):
        await orgs.invite_member(db, clock=CLOCK, actor=rosa, slug=org.slug, username="nadie")
    await orgs.accept_invitation(db, clock=CLOCK, actor=juan, slug=org.slug)
    with pytest.raises(errors.NotFound):
        await orgs.accept_invitation(db, clock=CLOCK, actor=juan, slug=org.slug)  # only once
    membership = await orgs.membership_of(db, org, juan)
    assert membership is not None and membership.role == "member"


async def test_the_last_owner_cannot_leave_or_step_down(db: asyncpg.Connection) -> None:
    rosa, juan = await member(db, "rosa"), await member(db, "juan")
    org = await found(db, rosa)
    with pytest.raises(errors.LastOwner):
        await orgs.leave_organization(db, actor=rosa, slug=org.slug)
    await orgs.invite_member(db, clock=CLOCK, actor=rosa, slug=org.slug, username="juan")
    await orgs.accept_invitation(db, clock=CLOCK, actor=juan, slug=org.slug)
    with pytest.raises(errors.LastOwner):
        await orgs.change_member_role(db, actor=rosa, slug=org.slug, account_id=rosa.id, role="member")
    await orgs.change_member_role(db, actor=rosa, slug=org.slug, account_id=juan.id, role="owner")
    await orgs.leave_organization(db, actor=rosa, slug=org.slug)
    assert [(m.username, m.role) for m in await orgs.members_visible_to(db, org, juan)] == [("juan", "owner")]


async def test_admins_remove_members_but_only_owners_remove_admins(db: asyncpg.Connection) -> None:
    rosa, juan, luis = await member(db, "rosa"), await member(db, "juan"), await member(db, "luis")
    org = await found(db, rosa)
    for person in (juan, luis):
        await orgs.invite_member(db, clock=CLOCK, actor=rosa, slug=org.slug, username=person.username)
        await orgs.accept_invitation(db, clock=CLOCK, actor=person, slug=org.slug)
    await orgs.change_member_role(db, actor=rosa, slug=org.slug, account_id=juan.id, role="admin")
    with pytest.raises(errors.NotOrganizationAdmin):
        await orgs.remove_member(db, actor=luis, slug=org.slug, account_id=juan.id)
    with pytest.raises(errors.NotOrganizationAdmin):
        await orgs.remove_member(db, actor=juan, slug=org.slug, account_id=rosa.id)
    await orgs.remove_member(db, actor=juan, slug=org.slug, account_id=luis.id)
    assert await orgs.membership_of(db, org, luis) is None


async def test_unlisted_members_are_seen_only_by_fellow_members(db: asyncpg.Connection) -> None:
    rosa, juan, visitor = await member(db, "rosa"), await member(db, "juan"), await member(db, "visita")
    org = await found(db, rosa)
    await orgs.invite_member(db, clock=CLOCK, actor=rosa, slug=org.slug, username="juan")
    await orgs.accept_invitation(db, clock=CLOCK, actor=juan, slug=org.slug)
    await orgs.set_listing(db, actor=juan, slug=org.slug, listed=False)
    assert [m.username for m in await orgs.members_visible_to(db, org, visitor)] == ["rosa"]
    assert [m.username for m in await orgs.members_visible_to(db, org, None)] == ["rosa"]
    assert [m.username for m in await orgs.members_visible_to(db, org, rosa)] == ["rosa", "juan"]


async def test_only_operators_verify_and_only_registered_organizations(db: asyncpg.Connection) -> None:
    rosa, operator = await member(db, "rosa"), await member(db, "operador", "operator")
    org = await found(db, rosa)
    with pytest.raises(errors.NotOperator):
        await orgs.verify_organization(db, clock=CLOCK, actor=rosa, slug=org.slug)
    verified = await orgs.verify_organization(db, clock=CLOCK, actor=operator, slug=org.slug)
    assert verified.verified
    unregistered = await found(db, rosa, "Club Juvenil Nuevo", registry_number="")
    with pytest.raises(errors.InvalidInput):
        await orgs.verify_organization(db, clock=CLOCK, actor=operator, slug=unregistered.slug)


async def test_two_owners_stepping_down_at_once_leave_one_owner(database: str) -> None:
    from deliberate.db.pool import connect

    setup = await connect(database)
    rosa, juan = await member(setup, "rosa"), await member(setup, "juan")
    org = await found(setup, rosa)
    await orgs.invite_member(setup, clock=CLOCK, actor=rosa, slug=org.slug, username="juan")
    await orgs.accept_invitation(setup, clock=CLOCK, actor=juan, slug=org.slug)
    await orgs.change_member_role(setup, actor=rosa, slug=org.slug, account_id=juan.id, role="owner")

    async def leave(actor: Account) -> str:
        conn = await connect(database)
        try:
            async with conn.transaction():
                await orgs.leave_organization(conn, actor=actor, slug=org.slug)
            return "left"
        except errors.LastOwner:
            return "refused"
        finally:
            await conn.close()

    outcomes = await asyncio.gather(leave(rosa), leave(juan))
    assert sorted(outcomes) == ["left", "refused"]
    assert await setup.fetchval("SELECT count(*) FROM organization_member WHERE role = 'owner'") == 1
    await setup.close()

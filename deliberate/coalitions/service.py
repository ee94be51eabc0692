"""Coalition use cases: founding, inviting, answering, leaving, removing, statements and their signatures, and
endorsements.

Each function takes the caller's transaction and the acting account, checks the rules, writes through `queries` and
records a domain event. Only an organization's admins act for it. Every change locks the coalition row first, so two
organizations signing at once cannot both miss (or both trigger) the publication threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import Clock
from deliberate.coalitions import queries
from deliberate.coalitions.model import (
    Coalition,
    CoalitionForm,
    CoalitionMember,
    Endorsement,
    Prover,
    Statement,
    StatementForm,
    required,
)
from deliberate.errors import (
    AlreadyEndorsed,
    AlreadyInCoalition,
    CoalitionHostedElsewhere,
    CoalitionNameTaken,
    InvalidInput,
    NotCoalitionMember,
    NotFound,
    NotOrganizationAdmin,
    RemovalAlreadyAsked,
    StatementAlreadySigned,
    StatementNotPublished,
    StatementSigned,
)
from deliberate.events import record_event
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from deliberate.organizations.model import Organization, free_slug
from deliberate.validation import InvalidFields, parse


@dataclass(frozen=True)
class CoalitionPage:
    coalition: Coalition
    members: list[CoalitionMember]
    statements: list[Statement]
    endorsements: list[Endorsement]


async def _admin_org(conn: asyncpg.Connection, actor: Account, organization_slug: str) -> Organization:
    """The organization `actor` speaks for; refused unless they are one of its admins."""
    org = await orgs.access_organization(conn, organization_slug)
    membership = await orgs.membership_of(conn, org, actor)
    if membership is None or not membership.is_admin:
        raise NotOrganizationAdmin(field="organization")
    return org


async def _active_member(conn: asyncpg.Connection, coalition: Coalition, org: Organization) -> CoalitionMember:
    member = await queries.find_member(conn, coalition.id, organization_id=org.id)
    if member is None or not member.active:
        raise NotCoalitionMember(field="organization")
    return member


def _local(coalition: Coalition) -> None:
    if coalition.remote:
        raise CoalitionHostedElsewhere()


async def access_coalition(conn: asyncpg.Connection, slug: str, *, for_update: bool = False) -> Coalition:
    coalition = await queries.get_coalition(conn, slug, for_update=for_update)
    if coalition is None:
        raise NotFound()
    return coalition


async def access_coalition_by_id(conn: asyncpg.Connection, coalition_id: int) -> Coalition:
    coalition = await queries.get_coalition_by_id(conn, coalition_id)
    if coalition is None:
        raise NotFound()
    return coalition


async def list_coalitions(conn: asyncpg.Connection, *, limit: int = 100) -> list[Coalition]:
    return await queries.list_coalitions(conn, limit=min(max(limit, 1), 200))


async def coalition_page(conn: asyncpg.Connection, slug: str) -> CoalitionPage:
    coalition = await access_coalition(conn, slug)
    return CoalitionPage(
        coalition=coalition,
        members=await queries.list_members(conn, coalition.id),
        statements=await queries.list_statements(conn, coalition.id),
        endorsements=await queries.list_endorsements(conn, coalition.id),
    )


async def create_coalition(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, organization_slug: str, data: Mapping[str, Any]
) -> Coalition:
    """An organization's admin founds a coalition; the organization is its first member, and it gets a forum."""
    accounts.check_can_act(actor, clock)
    org = await _admin_org(conn, actor, organization_slug)
    form = parse(CoalitionForm, data)
    if await queries.name_exists(conn, form.name):
        raise InvalidFields([CoalitionNameTaken(field="name")])
    slug = await free_slug(form.name, lambda candidate: queries.slug_exists(conn, candidate))
    now = clock.now()
    try:
        async with conn.transaction():
            coalition_id = await queries.insert_coalition(
                conn,
                slug=slug,
                name=form.name,
                purpose=form.purpose,
                charter=form.charter,
                threshold=form.threshold,
                founding_organization_id=org.id,
                created_by=actor.id,
                now=now,
            )
    except asyncpg.UniqueViolationError:
        raise InvalidFields([CoalitionNameTaken(field="name")]) from None
    await queries.insert_member(
        conn, coalition_id, organization_id=org.id, remote_actor_id=None, state="member", invited_by=actor.id, now=now
    )
    forum = await forums.open_public_forum(
        conn, clock=clock, created_by=actor, name=f"Coalición {form.name}", description=form.purpose
    )
    await queries.set_forum(conn, coalition_id, forum.id)
    await record_event(
        conn, "coalition_founded", {"coalition_id": coalition_id, "organization_id": org.id, "by": actor.id}
    )
    return await access_coalition(conn, slug)


async def _invite(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account,
    slug: str,
    organization_slug: str,
    invitee_organization_id: int | None,
    invitee_remote_actor_id: int | None,
) -> CoalitionMember:
    accounts.check_can_act(actor, clock)
    coalition = await access_coalition(conn, slug, for_update=True)
    _local(coalition)
    inviter = await _admin_org(conn, actor, organization_slug)
    await _active_member(conn, coalition, inviter)
    existing = await queries.find_member(
        conn, coalition.id, organization_id=invitee_organization_id, remote_actor_id=invitee_remote_actor_id
    )
    now = clock.now()
    if existing is not None and existing.state in ("member", "invited"):
        raise AlreadyInCoalition(field="invitee")
    if existing is not None:
        await queries.reinvite(conn, existing.id, invited_by=actor.id, now=now)
        member_id = existing.id
    else:
        member_id = await queries.insert_member(
            conn,
            coalition.id,
            organization_id=invitee_organization_id,
            remote_actor_id=invitee_remote_actor_id,
            state="invited",
            invited_by=actor.id,
            now=now,
        )
    await record_event(
        conn,
        "coalition_member_invited",
        {
            "coalition_id": coalition.id,
            "member_id": member_id,
            "organization_id": invitee_organization_id,
            "remote_actor_id": invitee_remote_actor_id,
            "by": actor.id,
        },
    )
    member = await queries.get_member(conn, member_id)
    assert member is not None
    return member


async def invite_organization(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, organization_slug: str, invitee_slug: str
) -> CoalitionMember:
    """An admin of a member organization invites an organization of this node."""
    try:
        invitee = await orgs.access_organization(conn, invitee_slug)
    except NotFound:
        raise NotFound(field="invitee") from None
    return await _invite(
        conn, clock=clock, actor=actor, slug=slug, organization_slug=organization_slug,
        invitee_organization_id=invitee.id, invitee_remote_actor_id=None,
    )  # fmt: skip


async def invite_remote_organization(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, organization_slug: str, remote_actor_id: int
) -> CoalitionMember:
    """The same for an organization of another node, already resolved to a remote actor by the caller."""
    return await _invite(
        conn, clock=clock, actor=actor, slug=slug, organization_slug=organization_slug,
        invitee_organization_id=None, invitee_remote_actor_id=remote_actor_id,
    )  # fmt: skip


async def pending_invitations(conn: asyncpg.Connection, actor: Account | None) -> list[tuple[Coalition, str]]:
    """Invitations waiting for an answer from organizations `actor` administers: (coalition, organization slug)."""
    administered = await orgs.organizations_administered_by(conn, actor)
    if not administered:
        return []
    return await queries.invitations_for(conn, [org.id for org in administered])


async def answer_invitation(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, organization_slug: str, accept: bool
) -> CoalitionMember:
    accounts.check_can_act(actor, clock)
    coalition = await access_coalition(conn, slug, for_update=True)
    org = await _admin_org(conn, actor, organization_slug)
    member = await queries.find_member(conn, coalition.id, organization_id=org.id)
    if member is None or member.state != "invited":
        raise NotFound()
    await queries.answer_invitation(conn, member.id, accepted=accept, by=actor.id, now=clock.now())
    await record_event(
        conn,
        "coalition_member_joined" if accept else "coalition_invitation_declined",
        {"coalition_id": coalition.id, "member_id": member.id, "organization_id": org.id, "by": actor.id},
    )
    answered = await queries.get_member(conn, member.id)
    assert answered is not None
    return answered


async def leave_coalition(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, organization_slug: str
) -> None:
    """The organization leaves; its past signatures stay on the statements they signed."""
    coalition = await access_coalition(conn, slug, for_update=True)
    org = await _admin_org(conn, actor, organization_slug)
    member = await _active_member(conn, coalition, org)
    await queries.end_membership(conn, member.id, state="left", by=actor.id, now=clock.now())
    await record_event(
        conn,
        "coalition_member_left",
        {"coalition_id": coalition.id, "member_id": member.id, "organization_id": org.id, "by": actor.id},
    )
    await _recount(conn, clock, coalition)


async def ask_removal(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, organization_slug: str, member_id: int
) -> bool:
    """A member organization agrees to remove another; the removal happens once the charter's threshold of the
    other members agrees. True when this agreement completed it."""
    accounts.check_can_act(actor, clock)
    coalition = await access_coalition(conn, slug, for_update=True)
    _local(coalition)
    org = await _admin_org(conn, actor, organization_slug)
    voter = await _active_member(conn, coalition, org)
    target = await queries.get_member(conn, member_id)
    if target is None or target.coalition_id != coalition.id or not target.active:
        raise NotFound()
    if target.id == voter.id:
        raise InvalidInput(field="member_id")
    now = clock.now()
    if not await queries.insert_removal_vote(conn, target.id, voter.id, by=actor.id, now=now):
        raise RemovalAlreadyAsked()
    await record_event(
        conn,
        "coalition_removal_asked",
        {"coalition_id": coalition.id, "member_id": target.id, "voter_member_id": voter.id, "by": actor.id},
    )
    others = await queries.count_active_members(conn, coalition.id) - 1
    if await queries.count_removal_votes(conn, target.id) < required(coalition.threshold, others):
        return False
    await queries.end_membership(conn, target.id, state="removed", by=actor.id, now=now)
    await record_event(
        conn,
        "coalition_member_removed",
        {"coalition_id": coalition.id, "member_id": target.id, "organization_id": target.organization_id,
         "remote_actor_id": target.remote_actor_id, "by": actor.id},
    )  # fmt: skip
    await _recount(conn, clock, coalition)
    return True


async def draft_statement(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account,
    slug: str,
    organization_slug: str,
    data: Mapping[str, Any],
) -> Statement:
    accounts.check_can_act(actor, clock)
    coalition = await access_coalition(conn, slug, for_update=True)
    _local(coalition)
    org = await _admin_org(conn, actor, organization_slug)
    member = await _active_member(conn, coalition, org)
    form = parse(StatementForm, data)
    statement_id = await queries.insert_statement(
        conn, coalition.id, title=form.title, body=form.body, member_id=member.id, drafted_by=actor.id, now=clock.now()
    )
    await record_event(
        conn,
        "coalition_statement_drafted",
        {"coalition_id": coalition.id, "statement_id": statement_id, "member_id": member.id, "by": actor.id},
    )
    return await access_statement(conn, coalition, statement_id)


async def access_statement(conn: asyncpg.Connection, coalition: Coalition, statement_id: int) -> Statement:
    statement = await queries.get_statement(conn, statement_id)
    if statement is None or statement.coalition_id != coalition.id:
        raise NotFound()
    return statement


async def edit_statement(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account,
    slug: str,
    statement_id: int,
    organization_slug: str,
    data: Mapping[str, Any],
) -> Statement:
    """Only the drafting organization changes a draft, and only until its first signature."""
    accounts.check_can_act(actor, clock)
    coalition = await access_coalition(conn, slug, for_update=True)
    org = await _admin_org(conn, actor, organization_slug)
    member = await _active_member(conn, coalition, org)
    statement = await access_statement(conn, coalition, statement_id)
    if statement.drafted_by_member_id != member.id:
        raise NotCoalitionMember(field="organization")
    if statement.frozen:
        raise StatementSigned()
    form = parse(StatementForm, data)
    await queries.update_statement_text(conn, statement.id, title=form.title, body=form.body, now=clock.now())
    await record_event(
        conn, "coalition_statement_edited", {"coalition_id": coalition.id, "statement_id": statement.id, "by": actor.id}
    )
    return await access_statement(conn, coalition, statement.id)


async def sign_statement(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account,
    slug: str,
    statement_id: int,
    organization_slug: str,
    prover: Prover,
) -> Statement:
    """An admin approves the statement for their organization: the node adds the organization's proof. The first
    signature fixes the document; the statement is published when the charter's threshold is reached."""
    accounts.check_can_act(actor, clock)
    coalition = await access_coalition(conn, slug, for_update=True)
    org = await _admin_org(conn, actor, organization_slug)
    member = await _active_member(conn, coalition, org)
    statement = await access_statement(conn, coalition, statement_id)
    if any(signature.member_id == member.id for signature in statement.signatures):
        raise StatementAlreadySigned()
    document = statement.document
    if document is None:
        members = [m for m in await queries.list_members(conn, coalition.id) if m.active]
        document = await prover.document(coalition, statement, members)
        await queries.freeze_statement(conn, statement.id, document)
    proof = await prover.prove(document, org.id)
    await queries.insert_signature(conn, statement.id, member.id, by=actor.id, proof=proof, now=clock.now())
    await record_event(
        conn,
        "coalition_statement_signed",
        {"coalition_id": coalition.id, "statement_id": statement.id, "member_id": member.id,
         "organization_id": org.id, "by": actor.id},
    )  # fmt: skip
    await _publish_if_reached(conn, clock, coalition, statement)
    return await access_statement(conn, coalition, statement.id)


async def accept_remote_signature(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    coalition_id: int,
    statement_id: int,
    remote_actor_id: int,
    proof: dict[str, Any],
) -> Statement:
    """A member organization of another node signed: its proof was checked against its key by the caller."""
    coalition = await access_coalition_by_id(conn, coalition_id)
    coalition = await access_coalition(conn, coalition.slug, for_update=True)
    member = await queries.find_member(conn, coalition.id, remote_actor_id=remote_actor_id)
    if member is None or not member.active:
        raise NotCoalitionMember()
    statement = await access_statement(conn, coalition, statement_id)
    if statement.document is None:
        raise StatementNotPublished()
    if not await queries.insert_signature(conn, statement.id, member.id, by=None, proof=proof, now=clock.now()):
        raise StatementAlreadySigned()
    await record_event(
        conn,
        "coalition_statement_signed",
        {"coalition_id": coalition.id, "statement_id": statement.id, "member_id": member.id,
         "remote_actor_id": remote_actor_id, "by": None},
    )  # fmt: skip
    await _publish_if_reached(conn, clock, coalition, statement)
    return await access_statement(conn, coalition, statement.id)


async def _publish_if_reached(
    conn: asyncpg.Connection, clock: Clock, coalition: Coalition, statement: Statement
) -> None:
    if statement.published or coalition.remote:
        return
    members = await queries.count_active_members(conn, coalition.id)
    if await queries.count_member_signatures(conn, statement.id) >= required(coalition.threshold, members):
        await queries.publish_statement(conn, statement.id, now=clock.now())
        await record_event(
            conn, "coalition_statement_published", {"coalition_id": coalition.id, "statement_id": statement.id}
        )


async def _recount(conn: asyncpg.Connection, clock: Clock, coalition: Coalition) -> None:
    """After a member leaves or is removed, fewer signatures may be enough: publish what now reaches the threshold."""
    for statement in await queries.list_statements(conn, coalition.id):
        if statement.frozen and not statement.published:
            await _publish_if_reached(conn, clock, coalition, statement)


def signed_document(statement: Statement) -> dict[str, Any]:
    """The statement as anyone can check it: its fixed document with one proof per signing organization."""
    if statement.document is None:
        raise NotFound()
    return {**statement.document, "proof": [signature.proof for signature in statement.signatures]}


async def endorse(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account,
    slug: str,
    organization_slug: str,
    statement_id: int,
    budget_project_id: int | None = None,
    consultation_slug: str | None = None,
    target_url: str | None = None,
) -> Endorsement:
    """Put a published statement forward as the coalition's position on a budget project or a consultation of this
    node, or on something of another node (its URL)."""
    accounts.check_can_act(actor, clock)
    coalition = await access_coalition(conn, slug, for_update=True)
    org = await _admin_org(conn, actor, organization_slug)
    member = await _active_member(conn, coalition, org)
    statement = await access_statement(conn, coalition, statement_id)
    if not statement.published:
        raise StatementNotPublished(field="statement_id")
    if sum(value is not None for value in (budget_project_id, consultation_slug, target_url)) != 1:
        raise InvalidInput(field="target")
    consultation_id = None
    if budget_project_id is not None and not await queries.budget_project_exists(conn, budget_project_id):
        raise NotFound(field="target")
    if consultation_slug is not None:
        consultation_id = await queries.current_consultation_id(conn, consultation_slug)
        if consultation_id is None:
            raise NotFound(field="target")
    if target_url is not None and (not target_url.startswith(("https://", "http://")) or len(target_url) > 2000):
        raise InvalidInput(field="target")
    endorsement_id = await queries.insert_endorsement(
        conn, coalition.id, statement.id, budget_project_id=budget_project_id, consultation_id=consultation_id,
        target_url=target_url, member_id=member.id, by=actor.id, now=clock.now(),
    )  # fmt: skip
    if endorsement_id is None:
        raise AlreadyEndorsed(field="target")
    await record_event(
        conn,
        "coalition_endorsed",
        {"coalition_id": coalition.id, "endorsement_id": endorsement_id, "statement_id": statement.id,
         "by": actor.id},
    )  # fmt: skip
    (endorsement,) = [e for e in await queries.list_endorsements(conn, coalition.id) if e.id == endorsement_id]
    return endorsement


async def endorsements_of_project(conn: asyncpg.Connection, project_id: int) -> list[Endorsement]:
    return await queries.endorsements_of_project(conn, project_id)


async def endorsements_of_consultation(conn: asyncpg.Connection, consultation_id: int) -> list[Endorsement]:
    return await queries.endorsements_of_consultation(conn, consultation_id)


async def coalitions_of_organization(conn: asyncpg.Connection, organization: Organization) -> list[Coalition]:
    return await queries.list_coalitions_of_organization(conn, organization.id)


# What other nodes tell this one. The federation layer has checked the HTTP signature (the activity comes from
# its actor) and every proof against the signer's key before calling these.


async def coalition_by_ap_id(conn: asyncpg.Connection, ap_id: str) -> Coalition | None:
    return await queries.get_coalition_by_ap_id(conn, ap_id)


async def coalition_of_forum(conn: asyncpg.Connection, forum_id: int) -> Coalition | None:
    return await queries.get_coalition_by_forum(conn, forum_id)


async def founding_actor_of(conn: asyncpg.Connection, coalition: Coalition) -> int | None:
    """The remote actor (the coalition's Group) of a coalition hosted elsewhere."""
    return await queries.founding_actor_id(conn, coalition.id)


async def receive_invitation(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    group_actor_id: int,
    group_uri: str,
    origin: str,
    slug: str,
    data: Mapping[str, Any],
    organization_slug: str,
) -> CoalitionMember:
    """A coalition of another node invites an organization of this one: keep a copy of the coalition and the
    pending invitation, for the organization's admins to answer."""
    form = parse(CoalitionForm, data)
    org = await orgs.access_organization(conn, organization_slug)
    now = clock.now()
    coalition_id = await queries.insert_remote_coalition(
        conn, slug=slug[:300], name=form.name, purpose=form.purpose, charter=form.charter, threshold=form.threshold,
        founding_remote_actor_id=group_actor_id, origin=origin, ap_id=group_uri, now=now,
    )  # fmt: skip
    coalition = await access_coalition_by_id(conn, coalition_id)
    coalition = await access_coalition(conn, coalition.slug, for_update=True)
    existing = await queries.find_member(conn, coalition.id, organization_id=org.id)
    if existing is not None and existing.state in ("member", "invited"):
        return existing
    if existing is not None:
        await queries.reinvite(conn, existing.id, invited_by=None, now=now)
        member_id = existing.id
    else:
        member_id = await queries.insert_member(
            conn, coalition.id, organization_id=org.id, remote_actor_id=None, state="invited", invited_by=None,
            now=now,
        )  # fmt: skip
    await record_event(
        conn,
        "coalition_member_invited",
        {"coalition_id": coalition.id, "member_id": member_id, "organization_id": org.id, "remote_actor_id": None,
         "by": None},
    )  # fmt: skip
    member = await queries.get_member(conn, member_id)
    assert member is not None
    return member


async def receive_answer(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    coalition: Coalition,
    remote_actor_id: int,
    accepted: bool,
    acceptance: dict[str, Any] | None,
) -> None:
    """An invited organization of another node accepted (its signed acceptance is kept) or declined."""
    coalition = await access_coalition(conn, coalition.slug, for_update=True)
    _local(coalition)
    member = await queries.find_member(conn, coalition.id, remote_actor_id=remote_actor_id)
    if member is None or member.state != "invited":
        raise NotFound()
    await queries.answer_invitation(
        conn, member.id, accepted=accepted, by=None, now=clock.now(), acceptance=acceptance if accepted else None
    )
    await record_event(
        conn,
        "coalition_member_joined" if accepted else "coalition_invitation_declined",
        {"coalition_id": coalition.id, "member_id": member.id, "remote_actor_id": remote_actor_id, "by": None},
    )


async def receive_leave(conn: asyncpg.Connection, *, clock: Clock, coalition: Coalition, remote_actor_id: int) -> None:
    coalition = await access_coalition(conn, coalition.slug, for_update=True)
    member = await queries.find_member(conn, coalition.id, remote_actor_id=remote_actor_id)
    if member is None or not member.active:
        raise NotCoalitionMember()
    await queries.end_membership(conn, member.id, state="left", by=None, now=clock.now())
    await record_event(
        conn,
        "coalition_member_left",
        {"coalition_id": coalition.id, "member_id": member.id, "remote_actor_id": remote_actor_id, "by": None},
    )
    await _recount(conn, clock, coalition)


async def known_member(
    conn: asyncpg.Connection, *, clock: Clock, coalition: Coalition, remote_actor_id: int
) -> CoalitionMember:
    """On a node that holds a copy of the coalition: an organization of a third node its host says is a member."""
    member = await queries.find_member(conn, coalition.id, remote_actor_id=remote_actor_id)
    if member is None:
        member_id = await queries.insert_member(
            conn, coalition.id, organization_id=None, remote_actor_id=remote_actor_id, state="member",
            invited_by=None, now=clock.now(),
        )  # fmt: skip
        member = await queries.get_member(conn, member_id)
        assert member is not None
    return member


async def receive_statement(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    coalition: Coalition,
    ap_id: str,
    document: dict[str, Any],
    title: str,
    body: str,
    signatures: list[tuple[int, dict[str, Any]]],
    published: bool,
) -> Statement:
    """The coalition's host sends a statement (fixed at its first signature) with the proofs it has so far."""
    if not coalition.remote:
        raise CoalitionHostedElsewhere()
    coalition = await access_coalition(conn, coalition.slug, for_update=True)
    statement = await queries.get_statement_by_ap_id(conn, ap_id)
    now = clock.now()
    if statement is None:
        form = parse(StatementForm, {"title": title[:200], "body": body[:20000]})
        statement_id = await queries.insert_remote_statement(
            conn, coalition.id, ap_id=ap_id, title=form.title, body=form.body, document=document, now=now
        )
        statement = await access_statement(conn, coalition, statement_id)
    elif statement.coalition_id != coalition.id or statement.document != document:
        raise StatementSigned()  # a signed document never changes: this is not the statement we hold
    for member_id, proof in signatures:
        await queries.insert_signature(conn, statement.id, member_id, by=None, proof=proof, now=now)
    if published and not statement.published:
        await queries.publish_statement(conn, statement.id, now=now)
        await record_event(
            conn, "coalition_statement_published", {"coalition_id": coalition.id, "statement_id": statement.id}
        )
    return await access_statement(conn, coalition, statement.id)


async def receive_endorsement(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    coalition: Coalition,
    statement: Statement,
    budget_project_id: int | None,
    consultation_slug: str | None,
    ap_id: str,
) -> None:
    """A coalition of another node puts its published statement forward on a project or consultation of ours."""
    if not statement.published:
        raise StatementNotPublished()
    consultation_id = None
    if budget_project_id is not None and not await queries.budget_project_exists(conn, budget_project_id):
        raise NotFound()
    if consultation_slug is not None:
        consultation_id = await queries.current_consultation_id(conn, consultation_slug)
        if consultation_id is None:
            raise NotFound()
    endorsement_id = await queries.insert_endorsement(
        conn, coalition.id, statement.id, budget_project_id=budget_project_id, consultation_id=consultation_id,
        target_url=None, member_id=None, by=None, now=clock.now(),
    )  # fmt: skip
    if endorsement_id is not None:
        await record_event(
            conn, "coalition_endorsed",
            {"coalition_id": coalition.id, "endorsement_id": endorsement_id, "statement_id": statement.id,
             "by": None, "ap_id": ap_id},
        )  # fmt: skip


async def receive_member_state(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    coalition: Coalition,
    organization_slug: str | None = None,
    remote_actor_id: int | None = None,
    state: str,
) -> None:
    """On a node holding a copy of a coalition: a member's state as its host says (joined, left, removed)."""
    if not coalition.remote:
        raise CoalitionHostedElsewhere()
    if state not in ("member", "left", "removed"):
        raise InvalidInput(field="state")
    coalition = await access_coalition(conn, coalition.slug, for_update=True)
    if organization_slug is not None:
        org = await orgs.access_organization(conn, organization_slug)
        member = await queries.find_member(conn, coalition.id, organization_id=org.id)
        if member is None or member.state == "declined" or (member.state == "invited" and state != "member"):
            return  # the host's word about an organization here that never joined: nothing to show
    elif remote_actor_id is not None:
        member = await queries.find_member(conn, coalition.id, remote_actor_id=remote_actor_id)
        if member is None:
            if state != "member":
                return
            member = await known_member(conn, clock=clock, coalition=coalition, remote_actor_id=remote_actor_id)
    else:
        raise InvalidInput(field="member")
    if member.state == state:
        return
    await queries.set_state(conn, member.id, state=state, now=clock.now())
    await record_event(
        conn,
        "coalition_member_state_received",
        {"coalition_id": coalition.id, "member_id": member.id, "state": state},
    )

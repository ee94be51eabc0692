"""Budget use cases: opening a process, verifying residents, proposing projects, their public review and follow-up.

Who may do what:
- Officials (account role 'official') and operators open processes, verify residents, review projects and post the
  implementation follow-up. Nobody verifies themselves: a verification stands for another person's check.
- Any member who can act proposes projects during the PROPOSALS phase, in their own name or in the name of an
  organization they administer (as in the forums' "speak for").
- Reviews are open during REVIEW (and already during PROPOSALS) and may be corrected until voting opens; each
  decision is a domain event, so the full history of a project's review is public.

Every write records a domain event in the caller's transaction. Writes that depend on the phase lock the process row
first (`lock_process`), so they are ordered with anything else that changes the process (publication of results).
The voting half of the area (ballots, roll, chain, results) lives in its own modules and builds on the read
functions here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.budgets import queries
from deliberate.budgets.model import (
    CALENDAR,
    WHOLE_DISTRICT,
    BudgetProcess,
    BudgetProject,
    FollowUpForm,
    Phase,
    ProcessChangeForm,
    ProcessForm,
    ProjectForm,
    ResidentVerification,
    ReviewForm,
    ReviewRecord,
    VerificationForm,
    ZoneLine,
    ZoneLineError,
    parse_zone_lines,
)
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    BadZoneLines,
    CalendarOutOfOrder,
    CostAboveZoneAmount,
    DateInThePast,
    DatePassed,
    DomainError,
    FinalCostRequired,
    FollowUpNotOpen,
    InvalidInput,
    NotFound,
    NotOfficial,
    NotOrganizationAdmin,
    NotVerifiedResident,
    OwnVerification,
    ProposalsClosed,
    ResultsAlreadyPublished,
    ReviewClosed,
    ReviewReasonRequired,
    RuleSettingMissing,
    RuleSettingNotUsed,
    TotalNotSumOfZones,
)
from deliberate.events import record_event
from deliberate.forums import service as forums
from deliberate.organizations import service as organizations
from deliberate.organizations.model import free_slug
from deliberate.validation import InvalidFields, parse

PROCESSES_PER_PAGE = 30
REVIEW_EVENT = "budget_project_reviewed"
FOLLOW_UP_EVENT = "budget_project_followed_up"


def _random_seed() -> str:
    return secrets.token_hex(8)


def _as_written(message: str) -> str:
    return message


# Texts the node writes for people (a forum's description, the first post of a project's thread) are stored and
# travel to other nodes as they are: the forum is a federated Group actor whose summary peers show, and the post is
# signed with its author's key. They cannot be translated for each reader, so they are written once in the node's
# language (`Settings.default_language`): the caller passes `node_text`, that language's gettext. Without one (a
# script, a test) they stay in the message ids' English.
NodeText = Callable[[str], str]


# Reading (the voting half builds on these)


async def get_process(conn: asyncpg.Connection, slug: str) -> BudgetProcess:
    process = await queries.get_process_by_slug(conn, slug)
    if process is None:
        raise NotFound()
    return process


async def get_process_by_id(conn: asyncpg.Connection, process_id: int) -> BudgetProcess:
    process = await queries.get_process_by_id(conn, process_id)
    if process is None:
        raise NotFound()
    return process


async def lock_process(conn: asyncpg.Connection, process_id: int) -> BudgetProcess:
    """The process, its row locked until the caller's transaction ends (SELECT … FOR UPDATE)."""
    process = await queries.get_process_by_id(conn, process_id, for_update=True)
    if process is None:
        raise NotFound()
    return process


async def list_processes(
    conn: asyncpg.Connection, *, before: tuple[datetime, int] | None = None, limit: int = PROCESSES_PER_PAGE
) -> list[BudgetProcess]:
    """Newest first."""
    return await queries.list_processes(conn, before=before, limit=min(max(limit, 1), 100))


async def list_projects(
    conn: asyncpg.Connection, process_id: int, *, zone_id: int | None = None, feasible_only: bool = False
) -> list[BudgetProject]:
    """The process's projects by zone then id; `feasible_only` keeps those reviewed feasible (the ballot's)."""
    return await queries.list_projects(conn, process_id, zone_id=zone_id, feasible_only=feasible_only)


async def get_project(conn: asyncpg.Connection, process_id: int, project_id: int) -> BudgetProject:
    project = await queries.get_project(conn, process_id, project_id)
    if project is None:
        raise NotFound()
    return project


async def is_verified_resident(conn: asyncpg.Connection, account_id: int) -> bool:
    return await queries.is_verified(conn, account_id)


def is_official(account: Account | None) -> bool:
    return account is not None and (account.has_role("official") or account.has_role("operator"))


def check_official(actor: Account | None, clock: Clock) -> Account:
    """The signed-in, unsuspended official or operator about to act; raises otherwise."""
    account = accounts.check_can_act(actor, clock)
    if not is_official(account):
        raise NotOfficial()
    return account


# Opening a process


async def create_process(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account,
    data: Mapping[str, Any],
    origin: str = "local",
    random_seed: Callable[[], str] = _random_seed,
    node_text: NodeText = _as_written,
) -> BudgetProcess:
    """Open a process with its zones and calendar, and (for a local process) its public discussion forum.

    Zones come as lines "Name; amount"; without any, one zone for the whole district holds the total. With zones, the
    total is their sum. Settings a rule needs are required and settings it does not use are refused, as the table's
    CHECKs say; the calendar must run forward."""
    check_official(actor, clock)
    form = parse(ProcessForm, data)
    errors: list[DomainError] = []
    zones, total = _zones_and_total(form, errors)
    _check_rule_settings(form, errors)
    _check_calendar(form, errors)
    if errors:
        raise InvalidFields(errors)
    slug = await free_slug(form.title, lambda candidate: queries.process_slug_exists(conn, candidate))
    now = clock.now()
    process_id = await queries.insert_process(
        conn,
        slug=slug,
        title=form.title,
        description=form.description,
        total_amount=total,
        ballot_rule=form.ballot_rule,
        max_choices=form.max_choices,
        min_share=form.min_share,
        points=form.points,
        counting_rule=form.counting_rule,
        min_votes=form.min_votes,
        completion=form.completion,
        satisfaction=form.satisfaction,
        tie_break=form.tie_break,
        tie_seed=form.tie_seed or random_seed(),
        proposals_open_at=form.proposals_open_at,
        review_starts_at=form.review_starts_at,
        voting_opens_at=form.voting_opens_at,
        voting_closes_at=form.voting_closes_at,
        implementation_starts_at=form.implementation_starts_at,
        origin=origin,
        created_by=actor.id,
        now=now,
    )
    for position, zone in enumerate(zones, start=1):
        await queries.insert_zone(conn, process_id=process_id, name=zone.name, amount=zone.amount, position=position)
    if origin == "local":
        # Stored and federated as it is (see NodeText): in the node's language.
        about = N_("Discussion of the projects of the participatory budget «%(title)s».")
        forum = await forums.open_public_forum(
            conn,
            clock=clock,
            created_by=actor,
            name=form.title,
            description=node_text(about) % {"title": form.title},
            listed=False,  # reached from the process's page, not among the district's categories
        )
        await queries.set_process_forum(conn, process_id, forum_id=forum.id)
    await record_event(
        conn, "budget_process_created", {"process_id": process_id, "slug": slug, "by": actor.id, "origin": origin}
    )
    return await get_process_by_id(conn, process_id)


def _zones_and_total(form: ProcessForm, errors: list[DomainError]) -> tuple[list[ZoneLine], Decimal]:
    try:
        zones = parse_zone_lines(form.zones)
    except ZoneLineError as error:
        errors.append(BadZoneLines(field="zones", message=error.message, **error.params))
        return [], form.total_amount or Decimal("0.00")
    if not zones:
        if form.total_amount is None:
            errors.append(
                InvalidInput(
                    field="total_amount", message=N_("Please enter the total, or list the zones with their amounts.")
                )
            )
            return [], Decimal("0.00")
        return [ZoneLine(WHOLE_DISTRICT, form.total_amount)], form.total_amount
    total = sum((zone.amount for zone in zones), Decimal("0.00"))
    if form.total_amount is not None and form.total_amount != total:
        errors.append(TotalNotSumOfZones(field="total_amount"))
    return zones, total


def _check_rule_settings(form: ProcessForm, errors: list[DomainError]) -> None:
    """Each ballot and counting rule with the settings it needs, and nothing it would silently ignore."""

    def need(field: str, needed: bool, value: object) -> None:
        if needed and value is None:
            errors.append(RuleSettingMissing(field=field))
        elif not needed and value is not None and field not in _OPTIONAL[form.ballot_rule]:
            errors.append(RuleSettingNotUsed(field=field))

    # Approval and ranking ballots are "up to k projects"; cumulative ballots spread points (on at most k projects
    # when k is set); knapsack ballots are bounded by the budget, optionally with a minimum share of it.
    need("max_choices", form.ballot_rule in ("approval", "ordinal"), form.max_choices)
    need("points", form.ballot_rule == "cumulative", form.points)
    need("min_share", False, form.min_share)
    need("min_votes", form.counting_rule == "greedy-threshold", form.min_votes)
    if form.counting_rule != "mes" and form.completion != "none":
        errors.append(RuleSettingNotUsed(field="completion"))


_OPTIONAL: dict[str, frozenset[str]] = {
    "approval": frozenset(),
    "ordinal": frozenset(),
    "cumulative": frozenset({"max_choices"}),
    "knapsack": frozenset({"min_share"}),
}


def _check_calendar(form: ProcessForm | ProcessChangeForm, errors: list[DomainError]) -> None:
    """proposals ≤ review ≤ voting opens < voting closes ≤ implementation; the later date is the one marked."""
    if form.review_starts_at < form.proposals_open_at:
        errors.append(CalendarOutOfOrder(field="review_starts_at"))
    if form.voting_opens_at < form.review_starts_at:
        errors.append(CalendarOutOfOrder(field="voting_opens_at"))
    if form.voting_closes_at <= form.voting_opens_at:
        errors.append(CalendarOutOfOrder(field="voting_closes_at"))
    if form.implementation_starts_at is not None and form.implementation_starts_at < form.voting_closes_at:
        errors.append(CalendarOutOfOrder(field="implementation_starts_at"))


# Changing an open process


async def change_process(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, data: Mapping[str, Any]
) -> BudgetProcess:
    """An official corrects the title or the description, or moves a date still to come (a longer proposal phase,
    a later vote), until the results are published. A date that has passed stays as it was: people acted on it. A
    date still to come may not move into the past, and the calendar must still run forward. The money, the ballot,
    the count and the seed stay as published: changing them after people proposed or voted would change the
    process they took part in."""
    check_official(actor, clock)
    process = await get_process(conn, slug)
    process = await lock_process(conn, process.id)
    if process.results_published_at is not None:
        raise ResultsAlreadyPublished()
    form = parse(ProcessChangeForm, data)
    now = clock.now()
    errors: list[DomainError] = []
    kept: dict[str, datetime | None] = {}
    passed = process.passed_dates(now)
    for name in CALENDAR:
        before, after = getattr(process, name), getattr(form, name)
        if name in passed:
            # Passed: the form sends it back as shown, to the minute; anything else is an attempt to move it.
            if after is None or abs(after - before) >= timedelta(minutes=1):
                errors.append(DatePassed(field=name))
            kept[name] = before
        elif after is not None and after != before and after < now:
            errors.append(DateInThePast(field=name))
    form = form.model_copy(update=kept)
    if not errors:  # the order of dates that cannot stand as typed would say nothing more
        _check_calendar(form, errors)
    if errors:
        raise InvalidFields(errors)
    changed = [name for name in ("title", "description", *CALENDAR) if getattr(process, name) != getattr(form, name)]
    if not changed:
        return process
    await queries.update_process_text_and_calendar(
        conn, process.id, title=form.title, description=form.description, proposals_open_at=form.proposals_open_at,
        review_starts_at=form.review_starts_at, voting_opens_at=form.voting_opens_at,
        voting_closes_at=form.voting_closes_at, implementation_starts_at=form.implementation_starts_at,
    )  # fmt: skip
    await record_event(conn, "budget_process_changed", {"process_id": process.id, "by": actor.id, "fields": changed})
    return await get_process_by_id(conn, process.id)


# Resident verification


async def verify_resident(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, username: str, place: str = ""
) -> ResidentVerification:
    """Record that `actor` checked in person that `username` lives in the district. Only who and when (and where)
    are kept: never the document number that was shown. Verifying again updates who, when and where."""
    check_official(actor, clock)
    form = parse(VerificationForm, {"username": username, "place": place})
    member = await accounts.access_member_by_username(conn, form.username)
    if member.id == actor.id:
        raise OwnVerification(field="username")
    await queries.upsert_verification(conn, account_id=member.id, by=actor.id, place=form.place, now=clock.now())
    await record_event(conn, "resident_verified", {"account_id": member.id, "by": actor.id})
    verification = await queries.get_verification(conn, member.id)
    assert verification is not None
    return verification


async def unverify_resident(conn: asyncpg.Connection, *, clock: Clock, actor: Account, username: str) -> None:
    check_official(actor, clock)
    member = await accounts.access_account_by_username(conn, username)
    if not await queries.delete_verification(conn, member.id):
        raise NotVerifiedResident(field="username")
    await record_event(conn, "resident_unverified", {"account_id": member.id, "by": actor.id})


async def resident_verification(
    conn: asyncpg.Connection, *, viewer: Account | None, account_id: int
) -> ResidentVerification | None:
    """What officials see on a member's page; nobody else is told (NotOfficial)."""
    if not is_official(viewer):
        raise NotOfficial()
    return await queries.get_verification(conn, account_id)


async def recent_verifications(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, limit: int = 50
) -> list[ResidentVerification]:
    check_official(actor, clock)
    return await queries.list_recent_verifications(conn, limit=min(max(limit, 1), 200))


# Proposing


async def propose_project(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account | None,
    slug: str,
    data: Mapping[str, Any],
    as_organization: str | None = None,
    link_base: str = "",
    node_text: NodeText = _as_written,
) -> BudgetProject:
    """A member proposes a project while proposals are open; it gets its discussion thread in the process's forum,
    whose first post links back to the project (under `link_base`, the node's public URL, so the link still works
    where the forum is read from another node). Locks the process row: the phase check and the insert are ordered
    with any change to the process."""
    author = accounts.check_can_act(actor, clock)
    found = await get_process(conn, slug)
    process = await lock_process(conn, found.id)
    if process.phase(clock.now()) is not Phase.PROPOSALS:
        raise ProposalsClosed()
    form = parse(ProjectForm, data)
    zone = process.zone(form.zone_id)
    if zone is None:
        raise InvalidFields([InvalidInput(field="zone_id", message=N_("Please choose one of the options."))])
    if form.estimated_cost > zone.amount:
        raise InvalidFields([CostAboveZoneAmount(field="estimated_cost")])
    org_id: int | None = None
    if as_organization:
        administered = await organizations.organizations_administered_by(conn, author)
        org = next((o for o in administered if o.slug == as_organization), None)
        if org is None:
            raise NotOrganizationAdmin(field="as_organization")
        org_id = org.id
    project_id = await queries.insert_project(
        conn,
        process_id=process.id,
        zone_id=zone.id,
        title=form.title,
        description=form.description,
        location=form.location,
        estimated_cost=form.estimated_cost,
        proposed_by=author.id,
        as_organization_id=org_id,
        now=clock.now(),
    )
    if process.forum_id is not None:
        forum = await forums.forum_by_id(conn, process.forum_id)
        # A signed, federated post (see NodeText): in the node's language.
        about = N_("Proposal for the participatory budget «%(title)s»: [see the project, its cost and its review]"
                   "(%(link)s)")  # fmt: skip
        about = node_text(about) % {"title": process.title, "link": f"{link_base}/b/{process.slug}/p/{project_id}"}
        body = f"{form.description or form.title}\n\n{about}"
        thread = await forums.start_thread(
            conn,
            clock=clock,
            actor=author,
            forum_slug=forum.slug,
            data={"title": form.title, "body": body},
            as_organization=as_organization or None,
        )
        await queries.set_project_thread(conn, project_id, thread_id=thread.id)
    await record_event(
        conn,
        "budget_project_proposed",
        {"process_id": process.id, "project_id": project_id, "by": author.id, "organization_id": org_id},
    )
    return await get_project(conn, process.id, project_id)


# Review and follow-up


async def review_project(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, project_id: int, data: Mapping[str, Any]
) -> BudgetProject:
    """An official decides in public whether a project is feasible, with a written reason either way and, when it
    is, the final cost (at most the zone's amount). Open during PROPOSALS and REVIEW; a decision can be corrected
    until voting opens, and each one stays in the public history."""
    check_official(actor, clock)
    found = await get_process(conn, slug)
    process = await lock_process(conn, found.id)
    if process.phase(clock.now()) not in (Phase.PROPOSALS, Phase.REVIEW):
        raise ReviewClosed()
    project = await queries.get_project(conn, process.id, project_id, for_update=True)
    if project is None:
        raise NotFound()
    form = _parse_review(data)
    feasible = form.feasible == "yes"
    final_cost = form.final_cost if feasible else None
    zone = process.zone(project.zone_id)
    if feasible and final_cost is None:
        raise InvalidFields([FinalCostRequired(field="final_cost")])
    if final_cost is not None and zone is not None and final_cost > zone.amount:
        raise InvalidFields([CostAboveZoneAmount(field="final_cost")])
    now = clock.now()
    await queries.update_review(
        conn, project.id, feasible=feasible, reason=form.reason, final_cost=final_cost, by=actor.id, now=now
    )
    await record_event(
        conn,
        REVIEW_EVENT,
        {
            "process_id": process.id,
            "project_id": project.id,
            "by": actor.id,
            "feasible": feasible,
            "reason": form.reason,
            "final_cost": str(final_cost) if final_cost is not None else None,
            "at": now.isoformat(),
            "correction": project.reviewed,
        },
    )
    return await get_project(conn, process.id, project.id)


def _parse_review(data: Mapping[str, Any]) -> ReviewForm:
    """The review form, with the reason's absence reported in words that say why it matters."""
    try:
        return parse(ReviewForm, data)
    except InvalidFields as error:
        error.errors = [
            ReviewReasonRequired(field="reason") if e.field == "reason" and "required" in e.message else e
            for e in error.errors
        ]
        raise


async def review_history(conn: asyncpg.Connection, project_id: int) -> list[ReviewRecord]:
    """Every review decision on a project, oldest first, from the domain events (public)."""
    rows = await queries.list_project_events(conn, project_id, [REVIEW_EVENT])
    return [
        ReviewRecord(
            feasible=bool(row["payload"]["feasible"]),
            reason=str(row["payload"]["reason"]),
            final_cost=Decimal(row["payload"]["final_cost"]) if row["payload"].get("final_cost") else None,
            by_username=row["by_username"] or "",
            at=datetime.fromisoformat(row["payload"]["at"]) if row["payload"].get("at") else row["created_at"],
        )
        for row in rows
    ]


async def follow_up_project(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, slug: str, project_id: int, data: Mapping[str, Any]
) -> BudgetProject:
    """An official posts how a project's implementation goes (planned, in progress, done, cancelled) with a note,
    once the results are published."""
    check_official(actor, clock)
    found = await get_process(conn, slug)
    process = await lock_process(conn, found.id)
    if process.phase(clock.now()) not in (Phase.RESULTS, Phase.IMPLEMENTATION):
        raise FollowUpNotOpen()
    project = await queries.get_project(conn, process.id, project_id, for_update=True)
    if project is None:
        raise NotFound()
    form = parse(FollowUpForm, data)
    now = clock.now()
    await queries.update_implementation(conn, project.id, status=form.status, note=form.note, now=now)
    await record_event(
        conn,
        FOLLOW_UP_EVENT,
        {
            "process_id": process.id,
            "project_id": project.id,
            "by": actor.id,
            "status": form.status,
            "note": form.note,
            "at": now.isoformat(),
        },
    )
    return await get_project(conn, process.id, project.id)

"""Budget processes, proposals, their public review, follow-up and resident verification, through the service on a
real database. Every refusal is checked to leave the data as it was."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from deliberate import errors
from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.budgets import service as budgets
from deliberate.budgets.model import BudgetProcess, Phase, parse_soles
from deliberate.clock import FrozenClock
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from deliberate.runtime.sample import DISTRICTS, seed
from deliberate.validation import InvalidFields
from tests.conftest import cheap_passwords

PASSWORDS = cheap_passwords()
START = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # noon in Lima


def calendar(start: datetime = START) -> dict[str, str]:
    """Proposals open a day after `start`, review after 10 days, voting from day 20 to day 30."""
    return {
        "proposals_open_at": (start + timedelta(days=1)).isoformat(),
        "review_starts_at": (start + timedelta(days=10)).isoformat(),
        "voting_opens_at": (start + timedelta(days=20)).isoformat(),
        "voting_closes_at": (start + timedelta(days=30)).isoformat(),
        "implementation_starts_at": (start + timedelta(days=60)).isoformat(),
    }


def process_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Presupuesto Participativo 2027",
        "description": "Obras para el distrito.",
        "zones": "Zona Norte; 300 000\nZona Sur; 200000,50",
        "ballot_rule": "approval",
        "max_choices": "3",
        "counting_rule": "mes",
        "completion": "add1",
        "tie_seed": "semilla-publica-2027",
        **calendar(),
    }
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}


async def member(db: asyncpg.Connection, username: str, *roles: str) -> Account:
    return await accounts.register_account(
        db,
        clock=FrozenClock(START),
        passwords=PASSWORDS,
        data={"username": username, "password": "clave-segura-123", "password_confirm": "clave-segura-123"},
        roles=tuple(roles),  # type: ignore[arg-type]
    )


async def counts(db: asyncpg.Connection) -> tuple[int, ...]:
    """Rows in every table these use cases write, and the events: a refusal must change none of them."""
    row = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM budget_process), (SELECT count(*) FROM budget_zone),
               (SELECT count(*) FROM budget_project), (SELECT count(*) FROM resident_verification),
               (SELECT count(*) FROM forum), (SELECT count(*) FROM thread), (SELECT count(*) FROM domain_event),
               (SELECT count(*) FROM budget_project WHERE reviewed_at IS NOT NULL),
               (SELECT count(*) FROM budget_project WHERE implementation_status IS NOT NULL)
        """
    )
    return tuple(row)


async def refused(db: asyncpg.Connection, call: Any, error: type[errors.DomainError]) -> errors.DomainError:
    """Run `call` in a transaction that must fail with `error` and change nothing."""
    before = await counts(db)
    with pytest.raises(error) as caught:
        async with db.transaction():
            await call()
    assert await counts(db) == before
    return caught.value


def field_codes(error: errors.DomainError) -> dict[str | None, str]:
    assert isinstance(error, InvalidFields)
    return {e.field: e.code for e in error.errors}


async def open_process(db: asyncpg.Connection, official: Account, clock: FrozenClock, **extra: Any) -> BudgetProcess:
    async with db.transaction():
        return await budgets.create_process(db, clock=clock, actor=official, data=process_data(**extra))


# Opening a process


async def test_an_official_opens_a_process_with_zones_a_forum_and_the_total_as_their_sum(
    db: asyncpg.Connection,
) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    process = await open_process(db, ana, clock)
    assert process.slug == "presupuesto-participativo-2027"
    assert process.total_amount == Decimal("500000.50")
    assert [(z.name, z.amount, z.position) for z in process.zones] == [
        ("Zona Norte", Decimal("300000.00"), 1),
        ("Zona Sur", Decimal("200000.50"), 2),
    ]
    assert process.created_by == ana.id and process.origin == "local" and process.tie_seed == "semilla-publica-2027"
    assert process.forum_id is not None
    forum = await forums.forum_by_id(db, process.forum_id)
    assert forum.visibility == "public" and forum.organization_id is None
    assert await budgets.get_process(db, process.slug) == process
    kinds = [r["kind"] for r in await db.fetch("SELECT kind FROM domain_event ORDER BY id")]
    assert kinds[-2:] == ["forum_created", "budget_process_created"]


async def test_without_zones_one_zone_holds_the_whole_total(db: asyncpg.Connection) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    process = await open_process(db, ana, clock, zones="", total_amount="S/ 1 234 567,89")
    assert process.total_amount == Decimal("1234567.89")
    assert [(z.name, z.amount) for z in process.zones] == [("Todo el distrito", Decimal("1234567.89"))]
    assert not process.zoned


async def test_an_operator_may_open_a_process_and_a_tie_seed_is_drawn_when_none_is_given(
    db: asyncpg.Connection,
) -> None:
    clock = FrozenClock(START)
    olga = await member(db, "olga", "operator")
    process = await open_process(db, olga, clock, tie_seed="")
    assert 8 <= len(process.tie_seed) <= 64


async def test_an_imported_process_gets_no_forum_and_says_where_it_came_from(db: asyncpg.Connection) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    forums_before = await db.fetchval("SELECT count(*) FROM forum")
    async with db.transaction():
        process = await budgets.create_process(db, clock=clock, actor=ana, data=process_data(), origin="imported")
    assert process.origin == "imported" and process.forum_id is None
    assert await db.fetchval("SELECT count(*) FROM forum") == forums_before


async def test_slugs_never_collide(db: asyncpg.Connection) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    first = await open_process(db, ana, clock)
    second = await open_process(db, ana, clock)
    assert second.slug == f"{first.slug}-2"
    listed = await budgets.list_processes(db)
    assert [p.slug for p in listed] == [second.slug, first.slug]


@pytest.mark.parametrize("roles", [(), ("moderator",)])
async def test_only_officials_and_operators_open_processes(db: asyncpg.Connection, roles: tuple[str, ...]) -> None:
    clock = FrozenClock(START)
    pepe = await member(db, "pepe", *roles)
    await refused(
        db, lambda: budgets.create_process(db, clock=clock, actor=pepe, data=process_data()), errors.NotOfficial
    )


async def test_a_suspended_official_cannot_open_a_process(db: asyncpg.Connection) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    await db.execute("UPDATE account SET suspended_until = $2 WHERE id = $1", ana.id, START + timedelta(days=3))
    ana = await accounts.access_account(db, ana.id)
    await refused(
        db, lambda: budgets.create_process(db, clock=clock, actor=ana, data=process_data()), errors.AccountSuspended
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"review_starts_at": "2026-02-01"}, {"review_starts_at": "calendar_out_of_order"}),
        ({"voting_opens_at": "2026-03-05T10:00"}, {"voting_opens_at": "calendar_out_of_order"}),
        (
            {"voting_closes_at": calendar()["voting_opens_at"]},
            {"voting_closes_at": "calendar_out_of_order"},
        ),
        ({"implementation_starts_at": "2026-03-20"}, {"implementation_starts_at": "calendar_out_of_order"}),
        ({"voting_closes_at": "el 5 de abril"}, {"voting_closes_at": "invalid_input"}),
        ({"zones": "Zona Norte 300000"}, {"zones": "bad_zone_lines"}),
        ({"zones": "Zona Norte; trescientos"}, {"zones": "bad_zone_lines"}),
        ({"zones": "Zona Norte; 0"}, {"zones": "bad_zone_lines"}),
        ({"zones": "Zona Norte; 100\nzona norte; 200"}, {"zones": "bad_zone_lines"}),
        ({"zones": "Zona Norte; 100,1234"}, {"zones": "bad_zone_lines"}),
        ({"zones": "", "total_amount": None}, {"total_amount": "invalid_input"}),
        ({"zones": "", "total_amount": "-5"}, {"total_amount": "invalid_input"}),
        ({"total_amount": "100"}, {"total_amount": "total_not_sum_of_zones"}),
        ({"max_choices": None}, {"max_choices": "rule_setting_missing"}),
        ({"points": "10"}, {"points": "rule_setting_not_used"}),
        ({"min_share": "0.5"}, {"min_share": "rule_setting_not_used"}),
        ({"ballot_rule": "cumulative", "max_choices": None}, {"points": "rule_setting_missing"}),
        ({"ballot_rule": "knapsack"}, {"max_choices": "rule_setting_not_used"}),
        ({"counting_rule": "greedy-threshold", "completion": None}, {"min_votes": "rule_setting_missing"}),
        ({"counting_rule": "greedy"}, {"completion": "rule_setting_not_used"}),
        ({"min_votes": "3"}, {"min_votes": "rule_setting_not_used"}),
        ({"ballot_rule": "plurality"}, {"ballot_rule": "invalid_input"}),
        ({"title": "P"}, {"title": "invalid_input"}),
    ],
)
async def test_bad_process_forms_are_refused_field_by_field_and_change_nothing(
    db: asyncpg.Connection, extra: dict[str, Any], expected: dict[str, str]
) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    error = await refused(
        db,
        lambda: budgets.create_process(db, clock=clock, actor=ana, data=process_data(**extra)),
        errors.InvalidInput,
    )
    assert field_codes(error) == expected


async def test_every_wrong_setting_is_reported_at_once(db: asyncpg.Connection) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    data = process_data(zones="Zona; x", max_choices=None, review_starts_at="2026-01-01", points="4")
    error = await refused(db, lambda: budgets.create_process(db, clock=clock, actor=ana, data=data), InvalidFields)
    assert set(field_codes(error)) == {"zones", "max_choices", "review_starts_at", "points"}


@pytest.mark.parametrize(
    ("extra", "check"),
    [
        ({"ballot_rule": "cumulative", "max_choices": None, "points": "10"}, ("points", 10)),
        ({"ballot_rule": "knapsack", "max_choices": None, "min_share": "75%"}, ("min_share", Decimal("0.75"))),
        (
            {"counting_rule": "greedy-threshold", "completion": None, "min_votes": "25"},
            ("min_votes", 25),
        ),
        ({"ballot_rule": "ordinal", "max_choices": "5"}, ("max_choices", 5)),
    ],
)
async def test_each_rule_keeps_the_settings_it_uses(
    db: asyncpg.Connection, extra: dict[str, Any], check: tuple[str, object]
) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    process = await open_process(db, ana, clock, **extra)
    assert getattr(process, check[0]) == check[1]


def test_amounts_typed_by_people_are_read_exactly() -> None:
    assert parse_soles("S/ 1 234,50") == Decimal("1234.50")
    assert parse_soles("1,234.50") == Decimal("1234.50")
    assert parse_soles("2.500,75") == Decimal("2500.75")
    assert parse_soles("150,000") == Decimal("150000")
    assert parse_soles("0,1") == Decimal("0.1")
    assert parse_soles("diez") == "diez"
    assert parse_soles("100,1234") == "100,1234"


# The calendar


async def test_the_phase_follows_the_calendar_and_the_publication_of_results(db: asyncpg.Connection) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    process = await open_process(db, ana, clock)
    assert process.phase(START) is Phase.UPCOMING
    assert process.phase(process.proposals_open_at) is Phase.PROPOSALS
    assert process.phase(process.review_starts_at) is Phase.REVIEW
    assert process.phase(process.voting_opens_at) is Phase.VOTING
    assert process.phase(process.voting_closes_at - timedelta(seconds=1)) is Phase.VOTING
    assert process.phase(process.voting_closes_at) is Phase.COUNTING
    assert process.phase(START + timedelta(days=365)) is Phase.COUNTING  # nothing published yet
    published = await publish(db, process, ana)
    assert published.phase(process.voting_closes_at) is Phase.RESULTS
    assert published.phase(START + timedelta(days=60)) is Phase.IMPLEMENTATION


async def publish(db: asyncpg.Connection, process: BudgetProcess, official: Account) -> BudgetProcess:
    """Mark results published as the voting half does (it owns that step); enough for the phase."""
    await db.execute(
        """UPDATE budget_process SET results_published_at = voting_closes_at, results_published_by = $2,
           chain_head = 'head', chain_signature = 'sig', chain_public_key = 'key' WHERE id = $1""",
        process.id,
        official.id,
    )
    return await budgets.get_process(db, process.slug)


async def test_lock_process_holds_the_row_until_the_transaction_ends(db: asyncpg.Connection, database: str) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    process = await open_process(db, ana, clock)
    other = await asyncpg.connect(database)
    try:
        async with db.transaction():
            locked = await budgets.lock_process(db, process.id)
            assert locked.id == process.id
            with pytest.raises(asyncpg.LockNotAvailableError):
                await other.execute("SELECT 1 FROM budget_process WHERE id = $1 FOR UPDATE NOWAIT", process.id)
        await other.execute("SELECT 1 FROM budget_process WHERE id = $1 FOR UPDATE NOWAIT", process.id)
    finally:
        await other.close()
    with pytest.raises(errors.NotFound):
        await budgets.lock_process(db, 999999)
    with pytest.raises(errors.NotFound):
        await budgets.get_process(db, "no-existe")


# Proposing


def project_data(process: BudgetProcess, zone: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Losa deportiva en Villa María",
        "description": "Cancha de fulbito con iluminación.",
        "location": "Jr. Los Pinos cuadra 3",
        "zone_id": str(process.zones[zone].id),
        "estimated_cost": "S/ 85 000",
        **extra,
    }


async def propose(
    db: asyncpg.Connection, clock: FrozenClock, actor: Account, process: BudgetProcess, **extra: Any
) -> Any:
    as_organization = extra.pop("as_organization", None)
    async with db.transaction():
        return await budgets.propose_project(
            db, clock=clock, actor=actor, slug=process.slug, data=project_data(process, **extra),
            as_organization=as_organization,
        )  # fmt: skip


async def in_proposals(db: asyncpg.Connection) -> tuple[FrozenClock, Account, BudgetProcess]:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    process = await open_process(db, ana, clock)
    clock.current = process.proposals_open_at + timedelta(hours=1)
    return clock, ana, process


async def test_a_member_proposes_a_project_with_its_discussion_thread(db: asyncpg.Connection) -> None:
    clock, _, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    project = await propose(db, clock, rosa, process)
    assert project.title == "Losa deportiva en Villa María" and project.zone_id == process.zones[0].id
    assert project.estimated_cost == Decimal("85000.00") and project.cost == Decimal("85000.00")
    assert project.proposed_by == rosa.id and project.proposed_by_username == "rosa"
    assert project.as_organization_id is None and project.feasible is None and not project.reviewed
    assert project.thread_id is not None
    page = await forums.thread_page(db, thread_id=project.thread_id, viewer=None)
    assert page.forum.id == process.forum_id and page.thread.title == project.title
    assert f'href="/b/{process.slug}/p/{project.id}"' in page.posts[0].html
    assert [p.id for p in await budgets.list_projects(db, process.id)] == [project.id]
    event = await db.fetchrow("SELECT payload FROM domain_event WHERE kind = 'budget_project_proposed'")
    assert event["payload"]["project_id"] == project.id


async def test_an_organization_admin_proposes_in_its_name_and_a_plain_member_cannot(db: asyncpg.Connection) -> None:
    clock, _, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    juan = await member(db, "juan")
    org = await orgs.create_organization(
        db, clock=clock, actor=rosa, data={"name": "Comedor Santa Rosa", "kind": "comedor_popular"}
    )
    async with db.transaction():
        await orgs.request_to_join(db, clock=clock, actor=juan, slug=org.slug)
        await orgs.approve_request(db, clock=clock, actor=rosa, slug=org.slug, account_id=juan.id)
    project = await propose(db, clock, rosa, process, as_organization=org.slug)
    assert project.as_organization_id == org.id and project.as_organization_name == "Comedor Santa Rosa"
    assert project.thread_id is not None
    _, thread = await forums.access_thread(db, project.thread_id, viewer=None)
    assert thread.as_organization_id == org.id
    error = await refused(db, lambda: propose(db, clock, juan, process, as_organization=org.slug),
                          errors.NotOrganizationAdmin)  # fmt: skip
    assert error.field == "as_organization"


@pytest.mark.parametrize(
    ("moment", "error"),
    [
        (lambda p: p.proposals_open_at - timedelta(seconds=1), errors.ProposalsClosed),
        (lambda p: p.review_starts_at, errors.ProposalsClosed),
        (lambda p: p.voting_opens_at, errors.ProposalsClosed),
    ],
)
async def test_proposing_outside_the_proposal_phase_is_refused(
    db: asyncpg.Connection, moment: Any, error: type[errors.DomainError]
) -> None:
    clock, _, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    clock.current = moment(process)
    await refused(db, lambda: propose(db, clock, rosa, process), error)


async def test_anonymous_and_suspended_members_cannot_propose(db: asyncpg.Connection) -> None:
    clock, _, process = await in_proposals(db)
    await refused(
        db,
        lambda: budgets.propose_project(db, clock=clock, actor=None, slug=process.slug, data=project_data(process)),
        errors.Unauthenticated,
    )
    rosa = await member(db, "rosa")
    await db.execute("UPDATE account SET suspended_until = $2 WHERE id = $1", rosa.id, clock.now() + timedelta(days=1))
    rosa = await accounts.access_account(db, rosa.id)
    await refused(db, lambda: propose(db, clock, rosa, process), errors.AccountSuspended)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"estimated_cost": "300 000,01"}, {"estimated_cost": "cost_above_zone_amount"}),
        ({"estimated_cost": "-1"}, {"estimated_cost": "invalid_input"}),
        ({"estimated_cost": "mucho"}, {"estimated_cost": "invalid_input"}),
        ({"estimated_cost": "10,555"}, None),  # 10 555 soles: groups of thousands, accepted
        ({"estimated_cost": "10.5551"}, {"estimated_cost": "invalid_input"}),
        ({"zone_id": "999999"}, {"zone_id": "invalid_input"}),
        ({"zone_id": "norte"}, {"zone_id": "invalid_input"}),
        ({"title": "ab"}, {"title": "invalid_input"}),
        ({"location": "x" * 301}, {"location": "invalid_input"}),
    ],
)
async def test_bad_proposals_are_refused_and_change_nothing(
    db: asyncpg.Connection, extra: dict[str, Any], expected: dict[str, str] | None
) -> None:
    clock, _, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    if expected is None:
        project = await propose(db, clock, rosa, process, **extra)
        assert project.estimated_cost == Decimal("10555.00")
        return
    error = await refused(db, lambda: propose(db, clock, rosa, process, **extra), errors.InvalidInput)
    assert field_codes(error) == expected


async def test_a_cost_equal_to_the_zone_amount_is_accepted_and_zero_too(db: asyncpg.Connection) -> None:
    clock, _, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    full = await propose(db, clock, rosa, process, zone=1, estimated_cost="200000,50")
    free = await propose(db, clock, rosa, process, estimated_cost="0")
    assert full.estimated_cost == Decimal("200000.50") and free.estimated_cost == Decimal("0.00")
    assert [p.id for p in await budgets.list_projects(db, process.id, zone_id=process.zones[1].id)] == [full.id]


# Review


async def test_an_official_reviews_a_project_in_public_and_may_correct_it_until_voting(
    db: asyncpg.Connection,
) -> None:
    clock, ana, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    project = await propose(db, clock, rosa, process)
    clock.current = process.review_starts_at
    async with db.transaction():
        reviewed = await budgets.review_project(
            db, clock=clock, actor=ana, slug=process.slug, project_id=project.id,
            data={"feasible": "yes", "reason": "El terreno es municipal.", "final_cost": "92 500"},
        )  # fmt: skip
    assert reviewed.feasible is True and reviewed.final_cost == Decimal("92500.00")
    assert reviewed.cost == Decimal("92500.00") and reviewed.reviewed_by == ana.id
    assert [p.id for p in await budgets.list_projects(db, process.id, feasible_only=True)] == [project.id]
    clock.advance(days=1)
    async with db.transaction():
        corrected = await budgets.review_project(
            db, clock=clock, actor=ana, slug=process.slug, project_id=project.id,
            data={"feasible": "no", "reason": "El terreno es de un privado.", "final_cost": "92 500"},
        )  # fmt: skip
    assert corrected.feasible is False and corrected.final_cost is None and corrected.cost == Decimal("85000.00")
    assert await budgets.list_projects(db, process.id, feasible_only=True) == []
    history = await budgets.review_history(db, project.id)
    assert [(h.feasible, h.reason, h.final_cost, h.by_username) for h in history] == [
        (True, "El terreno es municipal.", Decimal("92500.00"), "ana"),
        (False, "El terreno es de un privado.", None, "ana"),
    ]
    assert history[1].at == clock.now()


async def test_officials_may_review_during_proposals_but_not_once_voting_opens(db: asyncpg.Connection) -> None:
    clock, ana, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    project = await propose(db, clock, rosa, process)
    review = {"feasible": "no", "reason": "Fuera del distrito."}
    async with db.transaction():
        early = await budgets.review_project(
            db, clock=clock, actor=ana, slug=process.slug, project_id=project.id, data=review
        )
    assert early.feasible is False
    clock.current = process.voting_opens_at
    await refused(
        db,
        lambda: budgets.review_project(
            db, clock=clock, actor=ana, slug=process.slug, project_id=project.id, data=review
        ),
        errors.ReviewClosed,
    )


@pytest.mark.parametrize(
    ("data", "error", "expected"),
    [
        ({"feasible": "yes", "final_cost": "1000"}, errors.InvalidInput, {"reason": "review_reason_required"}),
        ({"feasible": "no", "reason": "   "}, errors.InvalidInput, {"reason": "review_reason_required"}),
        ({"feasible": "yes", "reason": "Viable."}, errors.InvalidInput, {"final_cost": "final_cost_required"}),
        (
            {"feasible": "yes", "reason": "Viable.", "final_cost": "300000,01"},
            errors.InvalidInput,
            {"final_cost": "cost_above_zone_amount"},
        ),
        ({"feasible": "quizas", "reason": "Ya veremos."}, errors.InvalidInput, {"feasible": "invalid_input"}),
    ],
)
async def test_bad_reviews_are_refused_and_change_nothing(
    db: asyncpg.Connection, data: dict[str, str], error: type[errors.DomainError], expected: dict[str, str]
) -> None:
    clock, ana, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    project = await propose(db, clock, rosa, process)
    caught = await refused(
        db,
        lambda: budgets.review_project(db, clock=clock, actor=ana, slug=process.slug, project_id=project.id, data=data),
        error,
    )
    assert field_codes(caught) == expected


@pytest.mark.parametrize("roles", [(), ("moderator",)])
async def test_only_officials_review(db: asyncpg.Connection, roles: tuple[str, ...]) -> None:
    clock, _, process = await in_proposals(db)
    rosa = await member(db, "rosa", *roles)
    project = await propose(db, clock, rosa, process)
    await refused(
        db,
        lambda: budgets.review_project(
            db,
            clock=clock,
            actor=rosa,
            slug=process.slug,
            project_id=project.id,
            data={"feasible": "no", "reason": "Mío."},
        ),
        errors.NotOfficial,
    )


async def test_a_project_of_another_process_is_not_found(db: asyncpg.Connection) -> None:
    clock, ana, process = await in_proposals(db)
    other = await open_process(db, ana, FrozenClock(START), title="Otro presupuesto")
    project = await propose(db, clock, ana, process)
    await refused(
        db,
        lambda: budgets.review_project(
            db, clock=clock, actor=ana, slug=other.slug, project_id=project.id, data={"feasible": "no", "reason": "No."}
        ),
        errors.NotFound,
    )


# Implementation follow-up


async def test_follow_up_is_posted_by_officials_only_after_results(db: asyncpg.Connection) -> None:
    clock, ana, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    project = await propose(db, clock, rosa, process)
    follow = {"status": "in_progress", "note": "Obra adjudicada."}

    def call(actor: Account) -> Any:
        return budgets.follow_up_project(
            db, clock=clock, actor=actor, slug=process.slug, project_id=project.id, data=follow
        )

    clock.current = process.voting_closes_at + timedelta(days=1)
    await refused(db, lambda: call(ana), errors.FollowUpNotOpen)  # counted, not yet published
    await publish(db, process, ana)
    await refused(db, lambda: call(rosa), errors.NotOfficial)
    follow = {"status": "finished", "note": ""}
    caught = await refused(db, lambda: call(ana), errors.InvalidInput)
    assert field_codes(caught) == {"status": "invalid_input"}
    follow = {"status": "in_progress", "note": "Obra adjudicada."}
    async with db.transaction():
        updated = await call(ana)
    assert updated.implementation_status == "in_progress" and updated.implementation_note == "Obra adjudicada."
    assert updated.implementation_updated_at == clock.now()
    event = await db.fetchrow("SELECT payload FROM domain_event WHERE kind = 'budget_project_followed_up'")
    assert event["payload"]["status"] == "in_progress" and event["payload"]["by"] == ana.id


# Resident verification


async def test_an_official_verifies_a_resident_recording_who_when_and_where_but_no_document(
    db: asyncpg.Connection,
) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    rosa = await member(db, "rosa")
    assert not await budgets.is_verified_resident(db, rosa.id)
    async with db.transaction():
        verification = await budgets.verify_resident(
            db, clock=clock, actor=ana, username="rosa", place="Centro TIC Pachacámac"
        )
    assert (verification.account_id, verification.verified_by, verification.verified_at, verification.place) == (
        rosa.id, ana.id, START, "Centro TIC Pachacámac",
    )  # fmt: skip
    assert await budgets.is_verified_resident(db, rosa.id)
    columns = {r["column_name"] for r in await db.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'resident_verification'"
    )}  # fmt: skip
    assert columns == {"account_id", "verified_by", "verified_at", "place"}
    recent = await budgets.recent_verifications(db, clock=clock, actor=ana)
    assert [(v.username, v.verified_by_username) for v in recent] == [("rosa", "ana")]
    shown = await budgets.resident_verification(db, viewer=ana, account_id=rosa.id)
    assert shown is not None and shown.place == "Centro TIC Pachacámac"
    with pytest.raises(errors.NotOfficial):
        await budgets.resident_verification(db, viewer=rosa, account_id=rosa.id)
    async with db.transaction():
        await budgets.unverify_resident(db, clock=clock, actor=ana, username="rosa")
    assert not await budgets.is_verified_resident(db, rosa.id)
    kinds = [
        r["kind"] for r in await db.fetch("SELECT kind FROM domain_event WHERE kind LIKE 'resident_%' ORDER BY id")
    ]
    assert kinds == ["resident_verified", "resident_unverified"]


async def test_verification_refusals_change_nothing(db: asyncpg.Connection) -> None:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    olga = await member(db, "olga", "operator")
    rosa = await member(db, "rosa")
    await refused(db, lambda: budgets.verify_resident(db, clock=clock, actor=rosa, username="ana"), errors.NotOfficial)
    own = await refused(
        db, lambda: budgets.verify_resident(db, clock=clock, actor=ana, username="ana"), errors.OwnVerification
    )
    assert own.field == "username"
    missing = await refused(
        db, lambda: budgets.verify_resident(db, clock=clock, actor=ana, username="nadie"), errors.NotFound
    )
    assert missing.field == "username"
    await refused(
        db, lambda: budgets.verify_resident(db, clock=clock, actor=ana, username="rosa", place="x" * 121),
        errors.InvalidInput,
    )  # fmt: skip
    await refused(
        db, lambda: budgets.unverify_resident(db, clock=clock, actor=olga, username="rosa"), errors.NotVerifiedResident
    )
    async with db.transaction():
        await budgets.verify_resident(db, clock=clock, actor=olga, username="ana")  # operators verify officials
    await refused(
        db, lambda: budgets.unverify_resident(db, clock=clock, actor=rosa, username="ana"), errors.NotOfficial
    )
    with pytest.raises(errors.NotOfficial):
        await budgets.recent_verifications(db, clock=clock, actor=rosa)


# Demo content


@pytest.mark.parametrize("district", DISTRICTS, ids=lambda d: d.slug)
async def test_each_demo_node_gets_a_budget_open_for_proposals_with_projects(
    db: asyncpg.Connection, district: Any
) -> None:
    clock = FrozenClock(START)
    async with db.transaction():
        assert await seed(db, district, clock=clock, passwords=PASSWORDS)
    (process,) = await budgets.list_processes(db)
    assert process.phase(clock.now()) is Phase.PROPOSALS and len(process.zones) >= 2
    projects = await budgets.list_projects(db, process.id)
    assert len(projects) >= 2 and all(p.thread_id is not None for p in projects)
    assert all(p.cost <= process.zone(p.zone_id).amount for p in projects)  # type: ignore[union-attr]


async def test_a_proposal_waits_for_a_change_to_the_process_and_then_sees_the_new_phase(
    db: asyncpg.Connection, database: str
) -> None:
    """A change to the process row (here, proposals closed early) is ordered before a racing proposal, which then
    sees the new calendar. A plain UPDATE does not block the project's foreign key: only the service's lock does."""
    clock, _, process = await in_proposals(db)
    rosa = await member(db, "rosa")
    other = await asyncpg.connect(database)
    try:
        holder = other.transaction()
        await holder.start()
        await other.execute("UPDATE budget_process SET review_starts_at = $2 WHERE id = $1", process.id, clock.now())
        proposal = asyncio.create_task(propose(db, clock, rosa, process))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not await other.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock')",
            db.get_server_pid(),
        ):
            assert loop.time() < deadline, "the proposal never waited for the process row"
            await asyncio.sleep(0.01)
        assert not proposal.done()
        await holder.commit()
        with pytest.raises(errors.ProposalsClosed):
            await asyncio.wait_for(proposal, 10)
    finally:
        await other.close()
    assert await db.fetchval("SELECT count(*) FROM budget_project") == 0

"""Setting up a budget process in its voting phase through the real services: an official, reviewed projects,
verified residents. Used by the voting, publishing and exchange tests and by the web tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.budgets import publishing, voting
from deliberate.budgets import service as budgets
from deliberate.budgets.model import BudgetProcess, BudgetProject
from deliberate.clock import FrozenClock
from tests.conftest import Node, Visitor, cheap_passwords

PASSWORD = "clave-segura-123"


async def make_account(conn: asyncpg.Connection, clock: FrozenClock, username: str, *roles: str) -> Account:
    return await accounts.register_account(
        conn,
        clock=clock,
        passwords=cheap_passwords(),
        data={"username": username, "password": PASSWORD, "password_confirm": PASSWORD},
        roles=tuple(roles) or ("member",),  # type: ignore[arg-type]
    )


@dataclass
class VotingSetup:
    clock: FrozenClock
    official: Account
    process: BudgetProcess
    projects: list[BudgetProject]
    residents: list[Account] = field(default_factory=list)

    def zone_projects(self, zone_id: int) -> list[BudgetProject]:
        return [p for p in self.projects if p.zone_id == zone_id]


async def voting_process(
    conn: asyncpg.Connection,
    clock: FrozenClock,
    *,
    costs: list[int] | None = None,
    zones: str = "",
    total: str = "100000",
    residents: int = 3,
    prefix: str = "v",
    **rule: Any,
) -> VotingSetup:
    """A process with one project per cost (all feasible, spread over the zones), in its voting phase at `clock`."""
    official = await make_account(conn, clock, f"{prefix}oficial", "official")
    start = clock.now()
    settings: dict[str, Any] = {"ballot_rule": "approval", "max_choices": "3", "counting_rule": "greedy"} | rule
    data = {
        "title": f"Presupuesto participativo {prefix} 2027",
        "description": "Obras para el distrito.",
        "total_amount": "" if zones else total,
        "zones": zones,
        "proposals_open_at": (start + timedelta(hours=1)).isoformat(),
        "review_starts_at": (start + timedelta(days=2)).isoformat(),
        "voting_opens_at": (start + timedelta(days=4)).isoformat(),
        "voting_closes_at": (start + timedelta(days=6)).isoformat(),
        "tie_seed": "semilla-publica-1",
    } | settings
    process = await budgets.create_process(conn, clock=clock, actor=official, data=data)
    clock.advance(hours=2)
    proposer = await make_account(conn, clock, f"{prefix}vecina")
    projects = []
    for i, cost in enumerate(costs or [30000, 40000, 50000]):
        zone = process.zones[i % len(process.zones)]
        project = await budgets.propose_project(
            conn,
            clock=clock,
            actor=proposer,
            slug=process.slug,
            data={"title": f"Proyecto {i + 1}", "zone_id": str(zone.id), "estimated_cost": str(cost)},
        )
        projects.append(project)
    clock.advance(days=2)
    reviewed = []
    for project in projects:
        reviewed.append(
            await budgets.review_project(
                conn,
                clock=clock,
                actor=official,
                slug=process.slug,
                project_id=project.id,
                data={"feasible": "yes", "reason": "Viable.", "final_cost": str(project.estimated_cost)},
            )
        )
    setup = VotingSetup(clock, official, process, reviewed)
    for i in range(residents):
        setup.residents.append(await verified_resident(conn, setup, f"{prefix}residente{i}"))
    clock.advance(days=2, minutes=1)
    setup.process = await budgets.get_process(conn, process.slug)
    return setup


async def verified_resident(conn: asyncpg.Connection, setup: VotingSetup, username: str) -> Account:
    account = await make_account(conn, setup.clock, username)
    await budgets.verify_resident(conn, clock=setup.clock, actor=setup.official, username=username, place="Centro TIC")
    return account


def close_voting(setup: VotingSetup) -> None:
    setup.clock.current = setup.process.voting_closes_at + timedelta(minutes=1)


def soles(value: str) -> Decimal:
    return Decimal(value)


async def vote_and_publish(
    conn: asyncpg.Connection, setup: VotingSetup, ballots: list[Any], zones: list[int | None] | None = None
) -> None:
    """Each resident in turn casts the ballot of the same rank (in the zone of the same rank, if given), then voting
    closes and the official publishes the results."""
    async with conn.transaction():
        for n, (resident, choices) in enumerate(zip(setup.residents, ballots, strict=True)):
            await voting.cast_ballot(conn, clock=setup.clock, actor=resident, slug=setup.process.slug,
                                     zone_id=zones[n] if zones else None, choices=choices)  # fmt: skip
    close_voting(setup)
    async with conn.transaction():
        await publishing.publish_results(conn, clock=setup.clock, actor=setup.official, slug=setup.process.slug)


async def voting_process_on(node: Node, clock: FrozenClock, **rule: Any) -> VotingSetup:
    """`voting_process` in a running node's database."""
    conn = await node.connect()
    try:
        return await voting_process(conn, clock, **rule)
    finally:
        await conn.close()


async def signed_in(node: Node, username: str) -> Visitor:
    """A browser-less visitor of the node, signed in as one of the setup's people."""
    visitor = await node.visitor()
    response = await visitor.login(username, PASSWORD)
    assert response.status == 200, visitor.last_html
    return visitor

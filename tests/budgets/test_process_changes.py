"""Changing an open process (`budgets.change_process`): the title, the description and the dates still to come, until
the results are published. Passed dates stay, dates still to come cannot move into the past, the calendar keeps its
order, and everything else (money, ballot, count, seed) stays as published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from deliberate import errors
from deliberate.budgets import service as budgets
from deliberate.budgets.model import BudgetProcess
from deliberate.clock import FrozenClock
from deliberate.validation import InvalidFields
from tests.budgets.test_processes import START, calendar, field_codes, member, open_process, refused


def _change(process: BudgetProcess, **extra: Any) -> dict[str, Any]:
    data = {"title": process.title, "description": process.description, **calendar(), **extra}
    return {key: value for key, value in data.items() if value is not None}


async def _opened(db: asyncpg.Connection) -> tuple[Any, FrozenClock, BudgetProcess]:
    clock = FrozenClock(START)
    ana = await member(db, "ana", "official")
    process = await open_process(db, ana, clock)
    clock.current = process.proposals_open_at + timedelta(days=2)  # proposals open
    return ana, clock, process


async def test_an_official_changes_the_words_and_a_date_still_to_come(db: asyncpg.Connection) -> None:
    ana, clock, process = await _opened(db)
    later = process.review_starts_at + timedelta(days=3)
    async with db.transaction():
        changed = await budgets.change_process(db, clock=clock, actor=ana, slug=process.slug, data=_change(
            process, title="Presupuesto 2027 (ampliado)", description="Más días para proponer.",
            review_starts_at=later.isoformat()))  # fmt: skip
    assert (changed.title, changed.description, changed.review_starts_at) == (
        "Presupuesto 2027 (ampliado)", "Más días para proponer.", later)  # fmt: skip
    assert changed.slug == process.slug and changed.total_amount == process.total_amount
    assert changed.tie_seed == process.tie_seed and changed.counting_rule == process.counting_rule
    event = await db.fetchrow("SELECT kind, payload FROM domain_event ORDER BY id DESC LIMIT 1")
    assert event["kind"] == "budget_process_changed"
    assert event["payload"]["fields"] == ["title", "description", "review_starts_at"]


async def test_a_passed_date_stays_a_future_date_cannot_move_into_the_past_and_the_order_holds(
    db: asyncpg.Connection,
) -> None:
    ana, clock, process = await _opened(db)

    def attempt(**extra: Any) -> Any:
        return lambda: budgets.change_process(db, clock=clock, actor=ana, slug=process.slug,
                                              data=_change(process, **extra))  # fmt: skip

    moved = (process.proposals_open_at + timedelta(hours=2)).isoformat()
    assert field_codes(await refused(db, attempt(proposals_open_at=moved), InvalidFields)) == {
        "proposals_open_at": "date_passed"}  # fmt: skip
    past = (clock.now() - timedelta(hours=1)).isoformat()
    assert field_codes(await refused(db, attempt(review_starts_at=past), InvalidFields)) == {
        "review_starts_at": "date_in_the_past"}  # fmt: skip
    early = (process.review_starts_at - timedelta(days=1)).isoformat()
    out_of_order = attempt(voting_opens_at=early)
    assert field_codes(await refused(db, out_of_order, InvalidFields)) == {
        "voting_opens_at": "calendar_out_of_order"}  # fmt: skip
    assert await budgets.get_process(db, process.slug) == process


async def test_only_officials_change_a_process_and_never_after_its_results(db: asyncpg.Connection) -> None:
    ana, clock, process = await _opened(db)
    pepe = await member(db, "pepe")
    change = _change(process, title="Otro título")
    await refused(db, lambda: budgets.change_process(db, clock=clock, actor=pepe, slug=process.slug, data=change),
                  errors.NotOfficial)  # fmt: skip
    await db.execute(
        """UPDATE budget_process SET results_published_at = $2, results_published_by = $3, chain_head = 'h',
           chain_signature = 's', chain_public_key = 'k' WHERE id = $1""",
        process.id, process.voting_closes_at, ana.id,
    )  # fmt: skip
    clock.current = process.voting_closes_at + timedelta(days=1)
    with pytest.raises(errors.ResultsAlreadyPublished):
        await budgets.change_process(db, clock=clock, actor=ana, slug=process.slug, data=change)
    assert (await budgets.get_process(db, process.slug)).title == process.title

"""Why each project was or was not funded: the data behind the results page, read off a finished count.

For a project funded by Equal Shares: the round, the price per unit of satisfaction, and the shares its supporters paid
(how many voters paid each amount: those who could paid the price times their satisfaction, the others all they had
left, possibly nothing). A free project Equal Shares left out under cost satisfaction is not unaffordable: it satisfies
no one under that rule, and says so (`FREE_NO_SATISFACTION`). For a supported project it did not fund: after how many
funded projects its supporters held less money between them than its cost, and how much they held then. For a greedy
walk: the project's place in the order, its satisfaction per unit of cost and the money left when its turn came. Amounts
are exact, in the election's currency. Standard library only; it reads the counting engine's integers and never decides
anything itself.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING

from deliberate.budgets.counting_classes import Histograms, Profile
from deliberate.budgets.counting_mes import Run
from deliberate.budgets.counting_model import (
    EqualSharesStep,
    GreedyStep,
    Method,
    Outcome,
    ProjectResult,
    Reason,
    Rule,
    Satisfaction,
    Share,
)

if TYPE_CHECKING:
    from deliberate.budgets.counting import Tally


WalkStep = tuple[int, tuple[int, int] | None, tuple[int, int], bool]  # a greedy walk's step, as `GreedyStep` takes it


def explain(
    tally: Tally,
    rule: Rule,
    selected: list[int],
    greedy_steps: dict[int, WalkStep],
    mes: tuple[Profile, Histograms, Run] | None = None,
) -> Outcome:
    """The outcome of a count: `selected` in pick order, the greedy walk's steps and, for Equal Shares, the run
    that decided (with the profile and histograms it used). The winners and their cost are set at once; each
    project's result is made when `Outcome.projects` is first read (a recount or `--json` winners never read it)."""
    run = mes[2] if mes is not None else None
    voter_budget = None
    if run is not None:
        budget = tally.election.budget  # budget / voters + extra units, made as one Fraction
        voter_budget = Fraction(
            budget.numerator + run.extra_units * budget.denominator * tally.voters, budget.denominator * tally.voters
        )
    return Outcome(
        rule=rule,
        budget=tally.election.budget,
        voters=tally.voters,
        selected=tuple(tally.ids[q] for q in selected),
        total_cost=Fraction(sum(tally.int_costs[q] for q in selected), tally.money_scale),
        results=_Once(partial(_results, tally, rule, selected, greedy_steps, mes)),
        voter_budget=voter_budget,
        increments=run.extra_units if run is not None else 0,
    )


class _Once:
    """`make()` called at the first call only, and forgotten then: it holds the count's working state (histograms can
    be large), which the results no longer need."""

    def __init__(self, make: Callable[[], tuple[ProjectResult, ...]]) -> None:
        self._make: Callable[[], tuple[ProjectResult, ...]] | None = make
        self._made: tuple[ProjectResult, ...] = ()

    def __call__(self) -> tuple[ProjectResult, ...]:
        if self._make is not None:
            self._made, self._make = self._make(), None
        return self._made


def _results(
    tally: Tally,
    rule: Rule,
    selected: list[int],
    walk: dict[int, WalkStep],
    mes: tuple[Profile, Histograms, Run] | None,
) -> tuple[ProjectResult, ...]:
    pick = {q: place for place, q in enumerate(selected, start=1)}
    by_equal_shares = set(mes[2].funded) if mes is not None else set()
    steps = _Steps(tally, *mes) if mes is not None else None
    results = []
    for q, project in enumerate(tally.projects):
        funded = q in pick
        walked = walk.get(q)
        greedy = GreedyStep(*walked) if walked is not None else None
        if funded:
            if q in by_equal_shares:
                reason = Reason.EQUAL_SHARES
            elif greedy is None or greedy.density_ratio is None:  # funded before any walk, or first in it: free
                reason = Reason.FREE
            else:
                reason = Reason.GREEDY
        elif rule.method is Method.GREEDY_THRESHOLD and greedy is None:
            reason = Reason.BELOW_THRESHOLD
        elif not tally.votes[q]:
            reason = Reason.NO_SUPPORT
        elif not tally.int_costs[q] and rule.method is Method.MES and rule.satisfaction is Satisfaction.COST:
            reason = Reason.FREE_NO_SATISFACTION  # not "unaffordable": its supporters never had to pay anything
        elif greedy is not None:
            reason = Reason.DID_NOT_FIT
        else:
            reason = Reason.UNAFFORDABLE
        results.append(
            ProjectResult(
                project_id=project.project_id,
                cost=project.cost,
                votes=tally.votes[q],
                score=tally.score[q],
                funded=funded,
                pick=pick.get(q),
                reason=reason,
                explained=partial(steps.get, q) if steps is not None else None,
                greedy=greedy,
            )
        )
    return tuple(results)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused during a count and while an explanation is worked out: both allocate millions
    of short-lived tuples and make no reference cycles, so the collector would only walk them, and the count's kept
    histograms, again and again (13% of Add1 on Warszawa 2026; 3.6 s for the explanation read after it). Neither
    holds a lock and everything is freed by reference counting; the collector resumes afterwards if it was on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Steps:
    """Every project's Equal Shares step, worked out at the first question about any of them."""

    def __init__(self, tally: Tally, profile: Profile, histograms: Histograms, run: Run) -> None:
        self._count: tuple[Tally, Profile, Histograms, Run] | None = (tally, profile, histograms, run)
        self._steps: dict[int, EqualSharesStep] = {}

    def get(self, q: int) -> EqualSharesStep | None:
        if self._count is not None:
            with collector_paused():
                self._steps = _equal_shares_steps(*self._count)
            self._count = None  # the count's working state is no longer needed
        return self._steps.get(q)


def _equal_shares_steps(tally: Tally, profile: Profile, histograms: Histograms, run: Run) -> dict[int, EqualSharesStep]:
    scale = Fraction(1, profile.unit)  # scaled money back to the currency
    steps: dict[int, EqualSharesStep] = {}
    for number, played in enumerate(run.rounds, start=1):
        q = played.project
        theta = Fraction(*played.theta) * tally.point_scale * scale  # money per (unscaled) point
        price = theta / tally.costs[q] if tally.rule.satisfaction is Satisfaction.COST else theta
        # Voters grouped by what they paid in integers first (all they had, or points at the price per point), then
        # turned into amounts: far fewer Fractions than supporters.
        by_points: Counter[int] = Counter()
        all_they_had: Counter[int] = Counter()
        if played.entries is None:  # every supporter paid the price per point
            histogram = histograms.get(run.funded[: number - 1], run.masks[:number], q)
            for (_, points), weight in histogram.items():
                by_points[points] += weight
        else:
            entries, poor = played.entries, played.poor
            if profile.point_lcm == 1:  # approval entries: (value, weight, class), one point each
                for value, weight, _ in entries[:poor]:
                    all_they_had[value] += weight
                by_points[1] += sum(weight for _, weight, _ in entries[poor:])
            else:
                for _, value, _, weight, _ in entries[:poor]:
                    all_they_had[value] += weight
                for _, _, points, weight, _ in entries[poor:]:
                    by_points[points] += weight
        per_point = Fraction(*played.theta) * scale
        paid: Counter[Fraction] = Counter()
        for value, weight in all_they_had.items():
            paid[Fraction(value, played.den) * scale] += weight
        for points, weight in by_points.items():
            paid[per_point * points] += weight
        broke = tally.votes[q] - sum(paid.values())  # supporters with nothing left paid nothing
        if broke:
            paid[Fraction(0)] += broke
        shares = tuple(Share(amount, voters) for amount, voters in sorted(paid.items(), reverse=True))
        steps[q] = EqualSharesStep(number, price, shares, None, None)
    for q in range(len(tally.ids)):
        if q in steps or not profile.supporters[q] or profile.costs[q] == 0:
            continue
        after, money = _unaffordable_after(profile, histograms, run, q, tally.votes[q])
        steps[q] = EqualSharesStep(None, None, (), after, money * scale)
    return steps


def _unaffordable_after(
    profile: Profile, histograms: Histograms, run: Run, q: int, supporters: int
) -> tuple[int, Fraction]:
    """The first number of funded projects after which q's `supporters` (how many voters) held less than its cost
    (MES stops only when that holds for every project), and the (scaled) money they held then. One pass: each round,
    q's supporters who also supported the funded project lose what they paid."""
    dens, budget = run.dens, run.budget
    money = supporters * budget[0][0]  # over dens[0]
    t = 0
    while t < len(run.funded) and money >= profile.costs[q] * dens[t]:
        funded, mask = run.funded[t], run.masks[t]
        den = dens[t + 1]
        money *= den // dens[t]
        for ballot_bits, weight, _, bit in histograms.supporting_both(q, funded):
            cls = ballot_bits & mask
            held, kept = budget.get(cls), budget.get(cls | bit)
            before = held[0] * (den // dens[held[1]]) if held is not None else 0
            after = kept[0] * (den // dens[kept[1]]) if kept is not None else 0
            money -= weight * (before - after)
        t += 1
    return t, Fraction(money, dens[t])

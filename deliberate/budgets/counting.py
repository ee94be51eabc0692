"""Counting a participatory budget: one pure function, `count(election, rule)`, for the live count, the
`deliberate pb tally` command and anyone recounting the published ballots.

The rules are defined in `../shared/pb/README.md` and follow pabutools 1.2.3 decision for decision (the reference
results were computed with it):
* greedy: projects in decreasing order of total satisfaction per unit of cost (free projects that satisfy someone
  first, projects that satisfy no one last); each is funded if it still fits in the money left (skip, never stop).
  Under cost satisfaction a free project satisfies no one (its cost times the points is 0): pabutools' reading.
  `greedy-threshold` first sets aside projects scoring fewer points than the election's minimum.
* Method of Equal Shares (`counting_mes.py`), optionally completed: `greedy` continues with the money left; `add1`
  reruns MES with every voter's money raised by one currency unit at a time until the outcome is exhaustive (no
  supported project still fits), or returns the previous outcome once a rerun overspends; `add1-greedy` then completes
  with greedy; `add1-until-infeasible` keeps raising past exhaustive outcomes and returns the last one that does not
  overspend. Free projects that satisfy someone are funded first, as pabutools does.
* Ties: `TieBreak.ID` favours the smallest project id as a string (pabutools); `TieBreak.EQUALSHARES` the lowest cost,
  then the most votes, then a lot drawn from a published seed (`counting_model.lot`).

Arithmetic is exact: `Fraction` at the edges, integers inside; no float ever takes part in a decision. Add1 does not
rerun MES for every unit: a certificate (see `counting_mes.py`) proves when a range of budgets all fund the same
projects, so the range is skipped. The explanation of each project (`ProjectResult`) is assembled by
`counting_explain.py`. Standard library only; no I/O.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from fractions import Fraction
from math import lcm
from typing import cast

from deliberate.budgets.counting_classes import BallotIndex, Histograms, Profile
from deliberate.budgets.counting_explain import WalkStep, explain
from deliberate.budgets.counting_mes import Run, run_mes
from deliberate.budgets.counting_model import (
    Completion,
    Election,
    Method,
    Number,
    Outcome,
    Rule,
    Satisfaction,
    TieBreak,
    lot,
    merge_ballots,
)

WholePoints = list[list[tuple[int, int]]]  # per distinct ballot: (project index, whole points)
ADD1 = (Completion.ADD1, Completion.ADD1_GREEDY, Completion.ADD1_UNTIL_INFEASIBLE)


class Prepared:
    """The election checked, its identical ballots merged and its project ids turned into positions, once: what every
    rule counts from, whatever the rule. `count` prepares an `Election` itself; a caller counting one election under
    several rules (or timing the rules alone, as pabutools is timed on a profile built beforehand) prepares it once."""

    def __init__(self, election: Election) -> None:
        _check(election)
        self.election = election
        self.projects = election.projects
        self.ids = [p.project_id for p in self.projects]
        self.costs = [p.cost for p in self.projects]
        # Money in whole units: every cost and the budget times `money_scale` are integers.
        self.money_scale = lcm(election.budget.denominator, *(c.denominator for c in self.costs))
        self.int_costs = [int(c * self.money_scale) for c in self.costs]
        self.int_budget = int(election.budget * self.money_scale)
        index = {project_id: i for i, project_id in enumerate(self.ids)}
        self.ballots = merge_ballots(election.ballots)
        self.weights = [b.weight for b in self.ballots]
        self.voters = sum(self.weights)
        try:
            given = [[(index[pid], v) for pid, v in b.points] for b in self.ballots]
        except KeyError as unknown:
            raise ValueError(f"a ballot names project {unknown.args[0]!r}, which the election does not list") from None
        values = {v for items in given for _, v in items}  # the distinct point values: a handful
        if any(v <= 0 for v in values):
            raise ValueError("a ballot gives a project no points or negative points")
        # Points become whole numbers (scaling every ballot alike changes no decision of any rule).
        denominators = {v.denominator for v in values if type(v) is not int}
        self.point_scale = lcm(1, *denominators)
        self.points: WholePoints
        if not denominators:  # whole points already (approval, choose-1, rankings, most cumulative ballots)
            self.points = cast(WholePoints, given)
            self.approval = values <= {1}
        else:
            scale = self.point_scale
            self.points = [[(q, int(v * scale)) for q, v in items] for items in given]
            self.approval = False
        self.index = BallotIndex.of(len(self.ids), self.weights, self.points, approval=self.approval)


def prepare(election: Election) -> Prepared:
    """`election` checked, merged and indexed (raises ValueError on an inconsistent election)."""
    return Prepared(election)


class Tally:
    """A prepared election tallied for one rule: per project its votes, points and satisfaction, in exact numbers."""

    def __init__(self, prepared: Prepared, rule: Rule) -> None:
        self.election, self.rule = prepared.election, rule
        self.projects, self.ids, self.costs = prepared.projects, prepared.ids, prepared.costs
        self.money_scale, self.int_costs, self.int_budget = (
            prepared.money_scale,
            prepared.int_costs,
            prepared.int_budget,
        )
        self.ballots, self.points, self.point_scale = prepared.ballots, prepared.points, prepared.point_scale
        self.weights, self.voters, self.index = prepared.weights, prepared.voters, prepared.index
        # Votes and points per project were counted once, when the election was indexed.
        self.votes = prepared.index.votes
        scaled_score = prepared.index.total_points
        point_scale = self.point_scale
        self.scaled_score = scaled_score  # points times `point_scale`
        self.score: list[Number] = (
            list(scaled_score) if point_scale == 1 else [_exact(Fraction(s, point_scale)) for s in scaled_score]
        )
        if rule.tie_break is TieBreak.ID:
            self.tie_key: list[tuple[object, ...]] = [(pid,) for pid in self.ids]
        else:
            self.tie_key = [
                (c, -v, lot(rule.seed, pid)) for c, v, pid in zip(self.costs, self.votes, self.ids, strict=True)
            ]

    def greedy_order(self, eligible: Sequence[int]) -> list[tuple[int, tuple[int, int] | None]]:
        """Projects with their satisfaction per unit of cost as (numerator, denominator) (None: free and supported,
        so first), best first. In integers: under cost satisfaction a project's density is its score, under
        cardinality its score over its cost; the sort key is the density times 2^k, floored, with k large enough
        that two different densities never share a key (they differ by at least 1 / (d1 d2))."""
        cost_sat = self.rule.satisfaction is Satisfaction.COST
        scores, costs, point_scale = self.scaled_score, self.int_costs, self.point_scale
        dense: list[tuple[int, tuple[int, int] | None]] = []
        for q in eligible:
            if not scores[q] or (cost_sat and not costs[q]):
                dense.append((q, (0, 1)))  # satisfies no one (a free project under cost satisfaction neither)
            elif not costs[q]:
                dense.append((q, None))
            elif cost_sat:
                dense.append((q, (scores[q], point_scale)))
            else:
                dense.append((q, (scores[q] * self.money_scale, point_scale * costs[q])))
        shift = 2 * max((d[1].bit_length() for _, d in dense if d is not None), default=1) + 1
        tie_key = self.tie_key

        def key(item: tuple[int, tuple[int, int] | None]) -> tuple[bool, int, tuple[object, ...]]:
            q, d = item
            return (d is not None, 0 if d is None else -((d[0] << shift) // d[1]), tie_key[q])

        return sorted(dense, key=key)

    def greedy(self, selected: list[int], eligible: Sequence[int]) -> dict[int, WalkStep]:
        """Walk the greedy order from `selected`, funding what fits; returns each walked project's step as (place,
        density, money left, funded), made into a `GreedyStep` only when the project's result is read."""
        costs, scale = self.int_costs, self.money_scale
        money = self.int_budget - sum(costs[q] for q in selected)
        steps = {}
        taken = set(selected)
        order = [(q, d) for q, d in self.greedy_order(eligible) if q not in taken]
        for position, (q, dense) in enumerate(order, start=1):
            fits = costs[q] <= money
            steps[q] = (position, dense, (money, scale), fits)
            if fits:
                selected.append(q)
                money -= costs[q]
        return steps

    def profile(self) -> Profile:
        costs = self.int_costs
        factor = costs if self.rule.satisfaction is Satisfaction.COST else [1] * len(costs)
        return Profile(
            costs, self.int_budget, self.money_scale, self.weights, self.points, factor, self.tie_key, self.index
        )


def _exact(value: Fraction) -> Number:
    return value.numerator if value.denominator == 1 else value


def _check(election: Election) -> None:
    if election.budget < 0:
        raise ValueError("the budget is negative")
    ids = [p.project_id for p in election.projects]
    if len(set(ids)) != len(ids):
        raise ValueError("two projects share an id")
    for project in election.projects:
        if project.cost < 0:
            raise ValueError(f"project {project.project_id!r} has a negative cost")
    if any(ballot.weight < 1 for ballot in election.ballots):
        raise ValueError("a ballot weighs less than one voter")
    # What each ballot names and gives is checked where the ballots are turned into positions (`Prepared`).


def count(election: Election | Prepared, rule: Rule) -> Outcome:
    """Count `election` under `rule`: the funded projects in the order picked and why each project was or was not
    funded. Raises ValueError on an inconsistent election (the pabulib parser refuses those files earlier)."""
    # The cycle collector paused as `collector_paused` does, without a generator's cost (a count can take 50 µs).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _count(election if isinstance(election, Prepared) else Prepared(election), rule)
    finally:
        if was_enabled:
            gc.enable()


def _count(prepared: Prepared, rule: Rule) -> Outcome:
    tally = Tally(prepared, rule)
    everyone = range(len(tally.ids))
    selected: list[int] = []
    greedy_steps: dict[int, WalkStep] = {}
    mes: tuple[Profile, Histograms, Run] | None = None
    if rule.method is not Method.MES:
        eligible = [q for q in everyone if rule.method is Method.GREEDY or _meets_threshold(tally, q)]
        greedy_steps = tally.greedy(selected, eligible)
    else:
        cost_sat = rule.satisfaction is Satisfaction.COST
        # Free projects that satisfy someone come first. Under cost satisfaction a free project satisfies no one
        # (its cost times the points is 0), so, as in pabutools, only a greedy completion funds it, among the last.
        free = [q for q in everyone if tally.int_costs[q] == 0 and tally.votes[q] and not cost_sat]
        selected.extend(sorted(free, key=tally.tie_key.__getitem__))
        if tally.voters:
            profile = tally.profile()
            histograms = Histograms(profile)
            if rule.completion in ADD1:
                run = _add1(profile, histograms, until_infeasible=rule.completion is Completion.ADD1_UNTIL_INFEASIBLE)
            else:
                run = run_mes(profile, histograms, 0, alone=True)
            selected.extend(run.funded)
            mes = (profile, histograms, run)
        if rule.completion in (Completion.GREEDY, Completion.ADD1_GREEDY):
            greedy_steps = tally.greedy(selected, everyone)
    return explain(tally, rule, selected, greedy_steps, mes)


def _meets_threshold(tally: Tally, q: int) -> bool:
    minimum = tally.rule.min_score
    return minimum is None or tally.score[q] >= minimum


def _add1(profile: Profile, histograms: Histograms, *, until_infeasible: bool) -> Run:
    if all(len(items) <= 1 for items in profile.ballots):
        return _add1_disjoint(profile, histograms, until_infeasible=until_infeasible)
    return _add1_stepwise(profile, histograms, until_infeasible=until_infeasible)


def _add1_disjoint(profile: Profile, histograms: Histograms, *, until_infeasible: bool) -> Run:
    """Add1 when no voter supports two projects (choose-1 ballots, Wrocław's): no supporter ever pays for another
    project, so a run at k extra units funds exactly the projects whose supporters hold their cost at the start,
    votes × (budget / n + k) >= cost. The funded set only changes at those thresholds, so Add1 jumps from one to the
    next, checks the same stopping conditions as the unit-by-unit loop at each, and runs MES once, at the number of
    units the loop would have stopped at (its order, shares and budget are that run's)."""
    n, budget, unit, costs = profile.voters, profile.budget, profile.unit, profile.costs
    candidates = [q for q in range(len(costs)) if costs[q] > 0 and profile.supporters[q]]
    weights = profile.weights
    threshold = {}
    for q in candidates:
        votes = sum(weights[ballot] for ballot, _ in profile.supporters[q])
        lacking = costs[q] * n - votes * budget  # votes * (budget + k * unit * n) >= costs[q] * n
        threshold[q] = max(0, -(-lacking // (votes * unit * n)))
    for k in sorted(set(threshold.values()) | {0}):
        funded = [q for q in candidates if threshold[q] <= k]
        spent = sum(costs[q] for q in funded)
        if spent > budget:
            return run_mes(profile, histograms, k - 1)  # the rerun overspends: the outcome one unit below
        if len(funded) == len(candidates):
            return run_mes(profile, histograms, k)
        chosen = set(funded)
        if not until_infeasible and not any(q not in chosen and costs[q] <= budget - spent for q in candidates):
            return run_mes(profile, histograms, k)  # exhaustive
    raise AssertionError("the last threshold funds every candidate")


def _add1_stepwise(profile: Profile, histograms: Histograms, *, until_infeasible: bool) -> Run:
    """MES with every voter's money raised one unit at a time (see the module docstring), skipping ranges of budgets
    a certificate proves to fund the same projects: from the last run at k units, try k + step; on success jump
    there and double the step, on failure fall back to one unit (a run at k + 1 is needed anyway)."""
    candidates = [q for q in range(len(profile.costs)) if profile.costs[q] > 0 and profile.supporters[q]]
    run = run_mes(profile, histograms, 0)
    step = 1
    while True:
        funded = set(run.funded)
        left = profile.budget - sum(profile.costs[q] for q in funded)
        if len(funded) == len(candidates):
            # Nothing left to fund. This ends every loop: once each voter alone holds the cost of all the
            # candidates, MES funds them all, if a rerun has not overspent before.
            return run
        if not until_infeasible and not any(q not in funded and profile.costs[q] <= left for q in candidates):
            return run  # exhaustive
        trial = run_mes(profile, histograms, run.extra_units + step, follow=run, give_up=step > 1)
        if trial.certified:
            run, step = trial, step * 2
        elif step > 1:
            step = 1
        elif sum(profile.costs[q] for q in trial.funded) > profile.budget:
            return run  # the rerun overspends: keep the previous outcome
        else:
            run = trial

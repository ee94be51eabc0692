"""Differential tests: on generated small elections, every variant picks what pabutools 1.2.3 (the reference
implementation, a test-only dependency) picks, in the same order.

The elections are drawn from fixed seeds (no flakiness) in the shapes where counting code goes wrong: many voters
with identical ballots, exact ties, free projects, projects nobody supports, fractional budgets and costs, a single
voter, a single project; with approval, choose-1, cumulative and ordinal ballots (pabutools reads an ordinal ballot
through the points `len(ranking) - position`, exactly as `../shared/pb/README.md` defines).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from pabutools.election import (
    Additive_Cardinal_Sat,
    AdditiveSatisfaction,
    ApprovalBallot,
    ApprovalProfile,
    Cardinality_Sat,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
)
from pabutools.election import Project as PabuProject
from pabutools.fractions import frac
from pabutools.rules import exhaustion_by_budget_increase, greedy_utilitarian_welfare, method_of_equal_shares

from deliberate.budgets.counting import count
from deliberate.budgets.counting_model import Ballot, Completion, Election, Method, Project, Rule, Satisfaction

SHAPES = ("identical", "ties", "free", "unsupported", "fractional", "one_voter", "one_project", "mixed", "larger")
KINDS = ("approval", "choose-1", "cumulative", "ordinal")
VARIANTS = (
    "greedy_cost", "greedy_card", "greedy_threshold", "greedy_threshold_card",
    "mes_cost", "mes_cost_greedy", "mes_cost_add1", "mes_cost_add1_greedy", "mes_cost_add1_until_infeasible",
    "mes_card", "mes_card_greedy", "mes_card_add1", "mes_card_add1_greedy", "mes_card_add1_until_infeasible",
)  # fmt: skip


@dataclass
class Generated:
    kind: str
    budget: Fraction
    costs: dict[str, Fraction]
    ballots: list[tuple[list[str], list[int], int]]  # (projects, points, how many voters cast it)

    def election(self) -> Election:
        made = []
        for chosen, points, weight in self.ballots:
            if self.kind == "cumulative":
                made.append(Ballot.cumulative(zip(chosen, points, strict=True), weight))
            elif self.kind == "ordinal":
                made.append(Ballot.ranking(chosen, weight))
            else:
                made.append(Ballot.approval(chosen, weight))
        return Election(self.budget, tuple(Project(p, c) for p, c in self.costs.items()), tuple(made))

    def score(self, project: str) -> int:
        total = 0
        for chosen, points, weight in self.ballots:
            if project in chosen:
                place = chosen.index(project)
                total += weight * {"cumulative": points[place], "ordinal": len(chosen) - place}.get(self.kind, 1)
        return total


def generate(seed: int, shape: str, kind: str) -> Generated:
    rng = random.Random(f"{seed}-{shape}-{kind}")
    count_projects = 1 if shape == "one_project" else rng.randint(8, 12) if shape == "larger" else rng.randint(2, 7)
    ids = [f"p{i}" for i in rng.sample(range(1, 14), count_projects)]  # "p10" sorts before "p2" as a string
    cost_pool = [Fraction(rng.choice([10, 20, 20, 30, 40, 60]))] * 2 if shape == "ties" else None
    costs = {}
    for project in ids:
        if cost_pool:
            costs[project] = rng.choice(cost_pool)
        elif shape == "fractional":
            costs[project] = Fraction(rng.randint(5, 90), rng.choice([1, 2, 3, 4, 100]))
        else:
            costs[project] = Fraction(rng.randint(1, 12) * 5)
        if shape == "free" and rng.random() < 0.4:
            costs[project] = Fraction(0)
    supported = ids if shape != "unsupported" else ids[: max(1, len(ids) - rng.randint(1, 2))]
    patterns = 1 if shape == "one_voter" else rng.randint(1, {"identical": 3, "larger": 40}.get(shape, 8))
    ballots = []
    for _ in range(patterns):
        size = 1 if kind == "choose-1" else rng.randint(0 if shape == "mixed" else 1, len(supported))
        chosen = rng.sample(supported, min(size, len(supported)))
        points = [rng.randint(1, 4) for _ in chosen]
        weight = 1 if shape == "one_voter" else rng.randint(1, 12 if shape == "identical" else 3)
        ballots.append((chosen, points, weight))
    budget = Fraction(sum(costs.values()) * rng.randint(25, 80), 100)
    if shape == "fractional":
        budget += Fraction(rng.randint(1, 99), rng.choice([3, 7, 100]))
    return Generated(kind, budget, costs, ballots)


class CumulativeCostSat(AdditiveSatisfaction):  # type: ignore[misc]
    """Points times cost: the cost satisfaction of `../shared/pb/README.md` for points ballots."""

    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(instance, profile, ballot, lambda _i, _p, b, project, _v: b.get(project, 0) * project.cost)


def pabutools_selects(generated: Generated, variant: str) -> list[str]:
    projects = {p: PabuProject(p, frac(c.numerator, c.denominator)) for p, c in generated.costs.items()}
    ballots = []
    for chosen, points, weight in generated.ballots:
        for _ in range(weight):
            if generated.kind in ("approval", "choose-1"):
                ballots.append(ApprovalBallot([projects[p] for p in chosen]))
            elif generated.kind == "cumulative":
                ballots.append(CumulativeBallot({projects[p]: pt for p, pt in zip(chosen, points, strict=True)}))
            else:
                ballots.append(CumulativeBallot({projects[p]: len(chosen) - i for i, p in enumerate(chosen)}))
    approval = generated.kind in ("approval", "choose-1")
    profile = ApprovalProfile(ballots) if approval else CumulativeProfile(ballots)
    budget = frac(generated.budget.numerator, generated.budget.denominator)
    instance = Instance(projects.values(), budget_limit=budget)
    cost_sat = Cost_Sat if approval else CumulativeCostSat
    card_sat = Cardinality_Sat if approval else Additive_Cardinal_Sat
    sat = card_sat if "_card" in variant else cost_sat
    if variant.startswith("greedy"):
        if variant.startswith("greedy_threshold"):
            threshold = _threshold(generated)
            instance = Instance([projects[p] for p in projects if generated.score(p) >= threshold], budget_limit=budget)
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
        return [p.name for p in outcome]
    if variant.endswith("add1_until_infeasible"):
        # As `tests/bench/pb_support.py`: every voter's money raised one unit at a time (the total by the number of
        # voters), past exhaustive outcomes, until a rerun overspends.
        outcome = exhaustion_by_budget_increase(instance, profile, method_of_equal_shares,
                                                rule_params={"sat_class": sat}, exhaustive_stop=False,
                                                budget_step=len(ballots))  # fmt: skip
        return [p.name for p in outcome]
    increment = 1 if "add1" in variant else None
    outcome = method_of_equal_shares(instance, profile, sat_class=sat, voter_budget_increment=increment)
    if variant.endswith("greedy"):
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=sat, initial_budget_allocation=outcome)
    return [p.name for p in outcome]


def _threshold(generated: Generated) -> int:
    scores = sorted(generated.score(p) for p in generated.costs)
    return scores[len(scores) // 2]


def deliberate_selects(generated: Generated, variant: str) -> list[str]:
    satisfaction = Satisfaction.CARDINALITY if "_card" in variant else Satisfaction.COST
    if variant.startswith("greedy_threshold"):
        rule = Rule(Method.GREEDY_THRESHOLD, satisfaction, min_score=Fraction(_threshold(generated)))
    elif variant.startswith("greedy"):
        rule = Rule(Method.GREEDY, satisfaction)
    else:
        completion = variant.removeprefix("mes_cost").removeprefix("mes_card").removeprefix("_").replace("_", "-")
        rule = Rule(Method.MES, satisfaction, Completion(completion or "none"))
    return list(count(generated.election(), rule).selected)


def _free_first_as_a_set(selected: list[str], generated: Generated) -> tuple[frozenset[str], list[str]]:
    """pabutools funds free projects first in the order of a Python set; compare those as a set."""
    lead = 0
    while lead < len(selected) and generated.costs[selected[lead]] == 0:
        lead += 1
    return frozenset(selected[:lead]), selected[lead:]


CASES = [(seed, shape, kind) for shape in SHAPES for kind in KINDS for seed in range(10)]


@pytest.mark.parametrize(("seed", "shape", "kind"), CASES, ids=[f"{s}-{k}-{n}" for n, s, k in CASES])
def test_every_variant_picks_what_pabutools_picks(seed: int, shape: str, kind: str) -> None:
    generated = generate(seed, shape, kind)
    for variant in VARIANTS:
        ours, theirs = deliberate_selects(generated, variant), pabutools_selects(generated, variant)
        if variant.startswith("mes"):
            assert _free_first_as_a_set(ours, generated) == _free_first_as_a_set(theirs, generated), variant
        else:
            assert ours == theirs, variant


def test_the_generated_elections_cover_every_shape_the_issue_names() -> None:
    drawn = [generate(seed, shape, kind) for seed, shape, kind in CASES]
    assert any(any(w >= 5 for *_, w in g.ballots) for g in drawn)  # many identical ballots
    assert any(0 in g.costs.values() for g in drawn)  # free projects
    assert any(set(g.costs) - {p for chosen, *_ in g.ballots for p in chosen} for g in drawn)  # nobody supports
    assert any(g.budget.denominator > 1 for g in drawn)  # fractional budgets
    assert any(sum(w for *_, w in g.ballots) == 1 for g in drawn)  # one voter
    assert any(len(g.costs) == 1 for g in drawn)  # one project
    assert any(len(set(g.costs.values())) < len(g.costs) for g in drawn)  # equal costs, for exact ties

"""Add1 on choose-1 ballots jumps from one affordability threshold to the next instead of rerunning Equal Shares
unit by unit (`counting._add1_disjoint`). It must stop exactly where the unit-by-unit loop stops, with the same run:
checked here on seeded random elections against `_add1_stepwise`, including cumulative ballots that give their one
project several points, projects nobody supports, free projects and overspending reruns."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from deliberate.budgets import counting
from deliberate.budgets.counting import Prepared, Tally
from deliberate.budgets.counting_model import Ballot, Completion, Election, Method, Project, Rule, Satisfaction


def _election(rng: random.Random) -> Election:
    projects = tuple(
        Project(f"p{i}", Fraction(rng.choice([0, 1, 5, 10, 25, 40, 60, 100]))) for i in range(rng.randint(1, 9))
    )
    ballots = []
    for _ in range(rng.randint(1, 40)):
        chosen = rng.choice(projects).project_id
        if rng.random() < 0.3:
            ballots.append(Ballot.cumulative({chosen: rng.randint(1, 4)}, rng.randint(1, 3)))
        else:
            ballots.append(Ballot.approval([chosen], rng.randint(1, 3)))
    return Election(Fraction(rng.choice([50, 100, 150, 333])), projects, tuple(ballots))


@pytest.mark.parametrize("seed", range(300))
def test_jumping_between_thresholds_stops_where_the_unit_by_unit_loop_stops(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    election = _election(rng)
    completion = rng.choice([Completion.ADD1, Completion.ADD1_GREEDY, Completion.ADD1_UNTIL_INFEASIBLE])
    rule = Rule(Method.MES, rng.choice(list(Satisfaction)), completion)
    tally = Tally(Prepared(election), rule)
    assert all(len(items) <= 1 for items in tally.points)
    jumped = counting.count(election, rule)
    with monkeypatch.context() as patched:
        patched.setattr(counting, "_add1_disjoint", counting._add1_stepwise)
        stepped = counting.count(election, rule)
    assert (jumped.selected, jumped.increments, jumped.voter_budget) == (
        stepped.selected,
        stepped.increments,
        stepped.voter_budget,
    )
    assert jumped == stepped  # every project's explanation too: the same shares, the same rounds


def test_a_voter_supporting_two_projects_takes_the_unit_by_unit_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    election = Election(
        Fraction(100),
        (Project("a", Fraction(60)), Project("b", Fraction(60))),
        (Ballot.approval(["a", "b"], 3), Ballot.approval(["a"], 2)),
    )
    taken: list[str] = []
    monkeypatch.setattr(counting, "_add1_disjoint", lambda *a, **k: taken.append("jump"))
    outcome = counting.count(election, Rule(Method.MES, completion=Completion.ADD1))
    assert taken == [] and outcome.selected

"""A single Equal Shares run reads its supporters' ballots directly instead of building the histograms an Add1 rerun
would read again (`run_mes(..., alone=True)`), and orders prices by an integer rank, comparing exactly only among
equal ranks. Both must decide exactly as the histogram path does: checked here on seeded random elections with
approval and points ballots, shared supporters, equal prices and free projects."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from deliberate.budgets.counting import Prepared, Tally
from deliberate.budgets.counting_classes import Histograms
from deliberate.budgets.counting_mes import run_mes
from deliberate.budgets.counting_model import Ballot, Election, Method, Project, Rule, Satisfaction, TieBreak


def _election(rng: random.Random) -> Election:
    projects = tuple(
        Project(f"p{i}", Fraction(rng.choice([0, 7, 10, 10, 25, 40, 60, 100]))) for i in range(rng.randint(2, 10))
    )
    ids = [p.project_id for p in projects]
    points = rng.random() < 0.5
    ballots = []
    for _ in range(rng.randint(1, 50)):
        chosen = rng.sample(ids, rng.randint(1, min(4, len(ids))))
        weight = rng.randint(1, 3)
        if points:
            ballots.append(Ballot.cumulative({pid: rng.randint(1, 3) for pid in chosen}, weight))
        else:
            ballots.append(Ballot.approval(chosen, weight))
    return Election(Fraction(rng.choice([50, 100, 150, 333])), projects, tuple(ballots))


@pytest.mark.parametrize("seed", range(300))
def test_a_single_run_reading_ballots_directly_decides_as_the_histograms_do(seed: int) -> None:
    rng = random.Random(seed)
    rule = Rule(Method.MES, rng.choice(list(Satisfaction)), tie_break=rng.choice(list(TieBreak)), seed="s")
    tally = Tally(Prepared(_election(rng)), rule)
    if not tally.voters:
        return
    profile = tally.profile()
    direct = run_mes(profile, Histograms(profile), 0, alone=True)
    counted = run_mes(profile, Histograms(profile), 0)
    assert direct.funded == counted.funded
    assert [Fraction(*r.price) for r in direct.rounds] == [Fraction(*r.price) for r in counted.rounds]
    assert [(r.theta, r.den) for r in direct.rounds] == [(r.theta, r.den) for r in counted.rounds]
    assert (direct.budget, direct.dens, direct.masks) == (counted.budget, counted.dens, counted.masks)

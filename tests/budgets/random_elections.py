"""Seeded random elections for the tests that check a fast path of Equal Shares against a plain one: a handful of
projects with small, often equal costs and approval or cumulative ballots sharing supporters, so that equal prices,
ties, poor supporters and unaffordable projects come up often."""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction

from deliberate.budgets.counting import Prepared, Tally
from deliberate.budgets.counting_classes import Profile
from deliberate.budgets.counting_model import Ballot, Election, Method, Project, Rule, Satisfaction, TieBreak

COSTS = (0, 7, 10, 10, 25, 40, 60, 100)
BUDGETS = (50, 100, 150, 333)


def random_election(
    rng: random.Random,
    *,
    costs: Sequence[int] = COSTS,
    projects: tuple[int, int] = (2, 10),
    ballots: tuple[int, int] = (1, 50),
) -> Election:
    """Between `projects` projects costing one of `costs` each and between `ballots` ballots (weights 1–3), each
    naming up to four projects: all approval ballots, or all cumulative with 1–3 points per project."""
    listed = tuple(Project(f"p{i}", Fraction(rng.choice(costs))) for i in range(rng.randint(*projects)))
    ids = [p.project_id for p in listed]
    points = rng.random() < 0.5
    made = []
    for _ in range(rng.randint(*ballots)):
        chosen = rng.sample(ids, rng.randint(1, min(4, len(ids))))
        weight = rng.randint(1, 3)
        if points:
            made.append(Ballot.cumulative({pid: rng.randint(1, 3) for pid in chosen}, weight))
        else:
            made.append(Ballot.approval(chosen, weight))
    return Election(Fraction(rng.choice(BUDGETS)), listed, tuple(made))


def random_mes_rule(rng: random.Random) -> Rule:
    """Equal Shares with a random satisfaction and tie-break."""
    return Rule(Method.MES, rng.choice(list(Satisfaction)), tie_break=rng.choice(list(TieBreak)), seed="s")


def seeded_profile(seed: int) -> tuple[random.Random, Profile | None]:
    """The generator seeded with `seed` and the profile of the Equal Shares count it draws (None: nobody voted), the
    generator left to draw more from."""
    rng = random.Random(seed)
    rule = random_mes_rule(rng)
    tally = Tally(Prepared(random_election(rng)), rule)
    return rng, tally.profile() if tally.voters else None

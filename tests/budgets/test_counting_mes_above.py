"""The certificate of an Add1 rerun asks of each competitor whether its price is above the earlier winner's
(`_MesRun.above`), in one pass over its supporters' classes and without sorting them. It must answer exactly as the
exact price does, keep a bound no higher than that price, and drop a project exactly when its supporters cannot
afford it: checked here round by round on seeded random elections, approval and points ballots, at prices equal to,
just below and just above each candidate's own and the other candidates' prices."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from deliberate.budgets.counting import Prepared, Tally
from deliberate.budgets.counting_classes import Histograms, Profile
from deliberate.budgets.counting_mes import _MesRun, run_mes
from tests.budgets.random_elections import COSTS, random_election, random_mes_rule


def _replayed(profile: Profile, histograms: Histograms, extra: int, winners: list[int]) -> _MesRun:
    run = _MesRun(profile, histograms, extra, None, direct=False)
    for winner in winners:
        assert run.price(winner) is not None
        run.fund(winner)
    return run


@pytest.mark.parametrize("seed", range(200))
def test_a_price_shown_above_a_threshold_without_sorting_is_above_it_exactly(seed: int) -> None:
    rng = random.Random(seed)
    rule = random_mes_rule(rng)
    tally = Tally(Prepared(random_election(rng, costs=COSTS[1:], projects=(7, 7), ballots=(3, 40))), rule)
    profile = tally.profile()
    histograms = Histograms(profile)
    extra = rng.choice([0, 0, 1, 3])
    funded = run_mes(profile, histograms, extra).funded
    for t in range(len(funded) + 1):
        exact = _replayed(profile, histograms, extra, funded[:t])
        prices = {q: exact.price(q) for q in list(exact.candidates)}
        known = [Fraction(p.numerator, p.denominator) for p in prices.values() if p is not None]
        thresholds = {x + d for x in known for d in (Fraction(0), Fraction(-1, 997), Fraction(1, 997))}
        thresholds |= {Fraction(1, 1000), Fraction(1000)}
        for q, price in prices.items():
            for x in sorted(thresholds):
                run = _replayed(profile, histograms, extra, funded[:t])
                shown = run.above(q, x.numerator, x.denominator)
                if price is None:
                    assert shown and q not in run.candidates  # unaffordable: dropped, whatever the price asked
                    continue
                exact_price = Fraction(price.numerator, price.denominator)
                assert shown == (exact_price > x)
                assert q in run.candidates
                _, numerator, denominator, _ = run.bound[q]
                assert Fraction(numerator, denominator) <= exact_price  # still a lower bound of the price

"""A single Equal Shares run on a small election: it sorts a project's supporters only when some of them pay all they
have, and once a project was found unaffordable in a round it sums the next projects' money before making entries
(`_MesRun._short_direct`). Checked round by round on seeded random elections against prices worked out voter by
voter in `Fraction`s, and against the money each project's supporters hold."""

from __future__ import annotations

from fractions import Fraction

import pytest

from deliberate.budgets.counting_classes import BallotIndex, Histograms, Profile
from deliberate.budgets.counting_mes import _MesRun
from tests.budgets.random_elections import seeded_profile


def _money(run: _MesRun, q: int) -> list[tuple[Fraction, int, int]]:
    """(money, points, weight) of each of q's supporting ballots that still has money, in `Fraction`s."""
    mask, den = run.masks[-1], run.dens[-1]
    held = []
    for bits, points, weight in run.profile.rows[q]:
        kept = run.budget.get(bits & mask)
        if kept is not None:
            held.append((Fraction(kept[0] * run.mults[kept[1]], den), points, weight))
    return held


def _price(profile: Profile, q: int, held: list[tuple[Fraction, int, int]]) -> Fraction | None:
    """The least price per unit of satisfaction at which q's supporters cover its cost, each paying the price times
    their satisfaction or all they have (None if all they have is not enough)."""
    cost = Fraction(profile.costs[q])
    if sum(money * weight for money, _, weight in held) < cost:
        return None
    paid, points_left = Fraction(0), sum(points * weight for _, points, weight in held)
    for money, points, weight in sorted(held, key=lambda h: h[0] / h[1]):
        per_point = (cost - paid) / points_left
        if money >= per_point * points:
            return per_point / profile.factor[q]
        paid += money * weight
        points_left -= points * weight
    raise AssertionError("the supporters hold the cost, so the last of them pays in part")


@pytest.mark.parametrize("seed", range(300))
def test_a_single_run_prices_and_drops_as_counted_voter_by_voter(seed: int) -> None:
    rng, profile = seeded_profile(seed)
    if profile is None:
        return
    run = _MesRun(profile, Histograms(profile), 0, None, direct=True)
    while True:
        for q in list(run.candidates):
            held = _money(run, q)
            target = profile.costs[q] * run.dens[-1]
            candidates = list(run.candidates)
            short = run._short_direct(q, target)
            assert short is (sum(money * weight for money, _, weight in held) * run.dens[-1] < target)
            run.candidates = candidates  # `_short_direct` drops q: put it back for the price below
            run.dropping = rng.random() < 0.5  # either way of pricing must give the same answer
            expected = _price(profile, q, held)
            priced = run.price(q)
            if expected is None:
                assert priced is None
                assert q not in run.candidates
            else:
                assert priced is not None
                assert Fraction(priced.numerator, priced.denominator) == expected
                assert priced.theta is not None
                numerator, denominator = priced.theta
                paying = priced.entries[priced.poor :]
                assert all(entry[0] * denominator >= numerator * profile.point_lcm for entry in paying)
        run.dropping = False
        winner = run.cheapest()
        if winner is None:
            break
        run.fund(winner)
    assert not run.candidates or all(run.price(q) is None for q in list(run.candidates))


def test_the_index_keeps_what_a_direct_run_reads_per_ballot() -> None:
    weights = [1, 2, 3]
    ballots = [[(0, 2), (1, 3)], [(0, 3)], [(1, 1), (2, 4)]]
    index = BallotIndex.of(3, weights, ballots)
    assert index.per_point == {1: 12, 2: 6, 3: 4, 4: 3}
    for q in range(3):
        assert index.point_rows[q] == [(b, p, w, w * p, 12 // p) for b, p, w in index.rows[q]]
    approval = BallotIndex.of(3, weights, [[(0, 1)], [(0, 1), (1, 1)], [(2, 1)]])
    assert (approval.per_point, approval.point_rows) == ({1: 1}, [])

"""A single Equal Shares run reads its supporters' ballots directly instead of building the histograms an Add1 rerun
would read again (`run_mes(..., alone=True)`), and orders prices by an integer rank, comparing exactly only among
equal ranks. Both must decide exactly as the histogram path does: checked here on seeded random elections with
approval and points ballots, shared supporters, equal prices and free projects."""

from __future__ import annotations

from fractions import Fraction

import pytest

from deliberate.budgets.counting_classes import Histograms
from deliberate.budgets.counting_mes import run_mes
from tests.budgets.random_elections import seeded_profile


@pytest.mark.parametrize("seed", range(300))
def test_a_single_run_reading_ballots_directly_decides_as_the_histograms_do(seed: int) -> None:
    _, profile = seeded_profile(seed)
    if profile is None:
        return
    direct = run_mes(profile, Histograms(profile), 0, alone=True)
    counted = run_mes(profile, Histograms(profile), 0)
    assert direct.funded == counted.funded
    assert [Fraction(*r.price) for r in direct.rounds] == [Fraction(*r.price) for r in counted.rounds]
    assert [(r.theta, r.den) for r in direct.rounds] == [(r.theta, r.den) for r in counted.rounds]
    assert (direct.budget, direct.dens, direct.masks) == (counted.budget, counted.dens, counted.masks)

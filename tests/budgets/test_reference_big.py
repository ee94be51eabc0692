"""Every variant on the three largest instances matches the reference results (see test_reference_results.py).

Add1 is the expensive completion, so each Add1 run is counted once, with the greedy completion: its picks begin with
exactly the Add1 outcome (the projects Equal Shares funded), which is checked against `mes_<sat>_add1`, and the whole
list against `mes_<sat>_add1_greedy`. Every other instance runs the Add1 variants on their own.
"""

from __future__ import annotations

import pytest

from deliberate.budgets.counting import count
from deliberate.budgets.counting_model import Reason
from tests.budgets.conftest import BIG, REFERENCE, load, rule_for

pytestmark = pytest.mark.big_election


@pytest.mark.parametrize(
    ("instance", "variant"),
    [(i, v) for i in BIG for v in REFERENCE[i]["results"] if "add1" not in v],
)
def test_the_variant_picks_the_reference_projects_in_order(instance: str, variant: str) -> None:
    pb, election = load(instance)
    assert list(count(election, rule_for(variant, pb)).selected) == REFERENCE[instance]["results"][variant]["selected"]


@pytest.mark.parametrize("instance", BIG)
@pytest.mark.parametrize("satisfaction", ["cost", "card"])
def test_add1_and_add1_with_greedy_pick_the_reference_projects_in_order(instance: str, satisfaction: str) -> None:
    pb, election = load(instance)
    results = REFERENCE[instance]["results"]
    outcome = count(election, rule_for(f"mes_{satisfaction}_add1_greedy", pb))
    by_equal_shares = [p for p in outcome.selected if outcome.result(p).reason is not Reason.GREEDY]
    assert by_equal_shares == results[f"mes_{satisfaction}_add1"]["selected"]
    assert list(outcome.selected) == results[f"mes_{satisfaction}_add1_greedy"]["selected"]

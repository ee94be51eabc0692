"""Every counting variant on every real election in `../shared/pb/instances` picks exactly the projects of
`../shared/pb/reference-results.json`, in the same order (computed with pabutools 1.2.3, or for the runs pabutools
could not finish, by an independent exact implementation). The three city-wide elections live in their own files
(`test_reference_big_*.py`) so that pytest-xdist spreads them over workers."""

from __future__ import annotations

import pytest

from deliberate.budgets.counting import count
from tests.budgets.conftest import BIG, REFERENCE, load, rule_for

CASES = [
    (instance, variant) for instance, data in REFERENCE.items() if instance not in BIG for variant in data["results"]
]


@pytest.mark.parametrize(("instance", "variant"), CASES, ids=[f"{i}-{v}" for i, v in CASES])
def test_the_variant_picks_the_reference_projects_in_order(instance: str, variant: str) -> None:
    pb, election = load(instance)
    outcome = count(election, rule_for(variant, pb))
    assert list(outcome.selected) == REFERENCE[instance]["results"][variant]["selected"]
    assert outcome.total_cost <= pb.budget
    assert outcome.rule.name == variant


def test_every_instance_has_a_reference_for_every_variant_the_readme_defines() -> None:
    base = {f"{m}_{s}{c}" for m in ("greedy",) for s in ("cost", "card") for c in ("",)}
    base |= {f"mes_{s}{c}" for s in ("cost", "card") for c in ("", "_greedy", "_add1", "_add1_greedy")}
    for instance, data in REFERENCE.items():
        assert base <= set(data["results"]), instance
        pb, _ = load(instance)
        assert ("greedy_threshold" in data["results"]) == (pb.min_project_score is not None)

"""Shared helpers for the participatory-budget tests: the real elections in `../shared/pb` (read in place, never
copied), parsed once per test process, and the rule for each variant name of `reference-results.json`."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from deliberate.budgets.counting_model import Completion, Election, Method, Rule, Satisfaction
from deliberate.budgets.pabulib import PbFile, read_pabulib
from tests.conftest import SHARED

PB = SHARED / "pb"
REFERENCE: dict[str, Any] = json.loads((PB / "reference-results.json").read_text(encoding="utf-8"))["instances"]
BIG = ("Poland_Warszawa_2026", "Poland_Krakow_2024", "Poland_Lodz_2022")  # 60,000 to 90,000 voters each


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "big_election: counts a city-wide election (Warszawa 2026, Kraków 2024, Łódź 2022); seconds per test, "
        "still part of make test",
    )


@cache
def load(instance: str) -> tuple[PbFile, Election]:
    pb = read_pabulib(PB / REFERENCE[instance]["file"])
    return pb, pb.election()


def rule_for(variant: str, pb: PbFile) -> Rule:
    """The rule a variant name stands for: `greedy_cost`, `greedy_threshold`, `mes_card_add1_greedy`, …"""
    satisfaction = Satisfaction.CARDINALITY if "_card" in variant else Satisfaction.COST
    if variant.startswith("greedy_threshold"):
        return Rule(Method.GREEDY_THRESHOLD, satisfaction, min_score=pb.min_project_score)
    if variant.startswith("greedy"):
        return Rule(Method.GREEDY, satisfaction)
    completion = variant.removeprefix("mes_").removeprefix("cost").removeprefix("card").removeprefix("_")
    return Rule(Method.MES, satisfaction, Completion(completion.replace("_", "-") or "none"))

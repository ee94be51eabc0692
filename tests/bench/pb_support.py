"""The pabutools side of the participatory-budget benchmark (`test_budget_bench.py`): the same election, read once by
our parser, handed to pabutools 1.2.3 as a multiprofile (identical ballots merged, as the figures in
`../shared/pb/README.md` assume), and each reference variant run the way pabutools spells it.

Both sides receive the same parsed ballots: approval and choose-1 files as approval ballots, cumulative files as
their points, ordinal files as the points `len(ranking) - position` (`Ballot.ranking`). Cost satisfaction on points
ballots is points × cost, a satisfaction pabutools does not ship, so it is defined here on its
`AdditiveSatisfaction`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pabutools.election import (  # type: ignore[import-untyped]
    Additive_Cardinal_Sat,
    AdditiveSatisfaction,
    ApprovalMultiProfile,
    Cardinality_Sat,
    Cost_Sat,
    CumulativeMultiProfile,
    FrozenApprovalBallot,
    FrozenCumulativeBallot,
    Instance,
)
from pabutools.election import Project as PabuProject
from pabutools.fractions import frac  # type: ignore[import-untyped]
from pabutools.rules import (  # type: ignore[import-untyped]
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

from deliberate.budgets.counting_model import Election, merge_ballots
from deliberate.budgets.pabulib import PbFile


class PointsCostSat(AdditiveSatisfaction):  # type: ignore[misc]
    """Points times cost: the cost satisfaction of `../shared/pb/README.md` for cumulative and ordinal ballots."""

    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(instance, profile, ballot, lambda _i, _p, b, project, _v: b.get(project, 0) * project.cost)


@dataclass
class PabuElection:
    instance: Instance
    profile: Any  # ApprovalMultiProfile | CumulativeMultiProfile
    approval: bool
    voters: int
    projects: dict[str, PabuProject]
    # The instance without the projects under the file's minimum score (greedy-threshold), made with the profile and
    # outside the clock: our side reads each project's score from `prepare`, outside the clock too.
    above_threshold: Instance | None = None

    def sat_class(self, variant: str) -> Any:
        if "_card" in variant:
            return Cardinality_Sat if self.approval else Additive_Cardinal_Sat
        return Cost_Sat if self.approval else PointsCostSat


def to_pabutools(pb: PbFile, election: Election) -> PabuElection:
    """The election as pabutools objects: an `Instance` and a multiprofile of the merged ballots."""
    projects = {
        p.project_id: PabuProject(p.project_id, frac(p.cost.numerator, p.cost.denominator)) for p in election.projects
    }
    budget = _frac(election.budget)
    instance = Instance(projects.values(), budget_limit=budget)
    approval = pb.vote_type in ("approval", "choose-1")
    profile: Any
    if approval:
        profile = ApprovalMultiProfile(instance=instance, ballot_validation=False)
    else:
        profile = CumulativeMultiProfile(instance=instance, ballot_validation=False)
    voters = 0
    for ballot in merge_ballots(election.ballots):
        if approval:
            frozen: Any = FrozenApprovalBallot([projects[pid] for pid, _ in ballot.points])
        else:
            frozen = FrozenCumulativeBallot({projects[pid]: _frac(points) for pid, points in ballot.points})
        profile[frozen] = profile.get(frozen, 0) + ballot.weight
        voters += ballot.weight
    pabu = PabuElection(instance, profile, approval, voters, projects)
    if pb.min_project_score is not None:
        minimum = _frac(pb.min_project_score)
        kept = [p for p in instance if _score(pabu, p) >= minimum]
        pabu.above_threshold = Instance(kept, budget_limit=instance.budget_limit)
    return pabu


def _frac(value: Any) -> Any:
    return frac(value.numerator, value.denominator)


def pabutools_select(variant: str, pabu: PabuElection, pb: PbFile, start: list[Any] | None = None) -> list[Any]:
    """The projects (pabutools objects) pabutools funds under `variant`, in its order. For a variant ending in
    `_greedy` after Equal Shares, `start` may give the Equal Shares outcome already computed (the variant without
    `_greedy`): only the greedy completion then runs."""
    sat = pabu.sat_class(variant)
    instance, profile = pabu.instance, pabu.profile
    if variant.startswith("greedy_threshold"):
        filtered = pabu.above_threshold if pabu.above_threshold is not None else instance
        return list(greedy_utilitarian_welfare(filtered, profile, sat_class=sat))
    if variant.startswith("greedy"):
        return list(greedy_utilitarian_welfare(instance, profile, sat_class=sat))
    if variant.endswith("add1_until_infeasible"):
        # Raise every voter's money one unit at a time (the total by the number of voters) past exhaustive outcomes.
        outcome = exhaustion_by_budget_increase(
            instance, profile, method_of_equal_shares, rule_params={"sat_class": sat}, exhaustive_stop=False,
            budget_step=pabu.voters,
        )  # fmt: skip
        return list(outcome)
    if start is not None:
        outcome = start
    else:
        increment = 1 if "add1" in variant else None
        outcome = method_of_equal_shares(instance, profile, sat_class=sat, voter_budget_increment=increment)
    if variant.endswith("greedy"):
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=sat, initial_budget_allocation=outcome)
    return list(outcome)


def _score(pabu: PabuElection, project: PabuProject) -> Any:
    total = 0
    for ballot, weight in pabu.profile.items():
        if project in ballot:
            total += weight * (1 if pabu.approval else ballot[project])
    return total

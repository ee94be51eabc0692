"""Voters counted by class for the Method of Equal Shares (`counting_mes.py`).

Voters who gave the same points to every project funded so far hold exactly the same money: a payment depends only
on the money a voter had and the points they gave. They form one *class*, named by a bit mask of the (project,
points) pairs they gave to the funded projects, and a project's supporters are counted as a histogram over (class,
points): after a few rounds far shorter than the list of ballots. A class depends only on the *set* of funded
projects, never on the money nor on the order they were funded in, so `Histograms` keeps the histograms across runs:
when Add1 reruns MES with more money per voter, or two projects swap places, nothing is recounted; a histogram for a
new set is derived from a smaller set's through the ballots that support both the new project and the counted one.

Standard library only; holds no money, only who is in which class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

Histogram = dict[tuple[int, int], int]  # (class mask, points for the project) -> weight


@dataclass
class BallotIndex:
    """Who supports what, whatever the rule: per project its supporting ballots and total points, and a bit per
    distinct (project, points) pair. Built once per election (`counting.Prepared`), shared by every count of it."""

    supporters: list[list[tuple[int, int]]]  # per project: (ballot, points)
    total_points: list[int]  # per project: the points all its supporters gave
    bits: dict[tuple[int, int], int]  # (project, points) -> its bit
    project_bits: list[int]  # per project: all its (project, points) bits
    ballot_bits: list[int]  # per ballot: the bits of its (project, points) pairs
    point_lcm: int
    point_weights: list[dict[int, int]]  # per project: points given -> how many voters gave them
    rows: list[list[tuple[int, int, int]]]  # per project: (ballot bits, points, weight) of each supporting ballot
    votes: list[int]  # per project: how many voters gave it any points
    per_point: dict[int, int] = field(default_factory=dict)  # points given -> point_lcm // points
    # Per project, on points ballots (not approval): (ballot bits, points, weight, weight × points, point_lcm // points)
    # of each supporting ballot, what a run pricing from the ballots directly reads (`counting_mes._MesRun.price`).
    point_rows: list[list[tuple[int, int, int, int, int]]] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        projects: int,
        weights: Sequence[int],
        ballots: Sequence[Sequence[tuple[int, int]]],
        *,
        approval: bool | None = None,
    ) -> BallotIndex:
        """The index of `ballots` (per distinct ballot: (project, whole points > 0)); `approval` says whether every
        point is 1, if the caller knows (the loop is then about twice as fast)."""
        if approval is None:
            approval = all(points == 1 for items in ballots for _, points in items)
        supporters: list[list[tuple[int, int]]] = [[] for _ in range(projects)]
        bits: dict[tuple[int, int], int] = {}
        ballot_bits = []
        if approval:  # a bit per project, given in order of first appearance
            bit_of = [0] * projects
            for ballot, items in enumerate(ballots):
                mask = 0
                for project, _ in items:
                    supporters[project].append((ballot, 1))
                    bit = bit_of[project]
                    if not bit:
                        bit = bit_of[project] = bits[(project, 1)] = 1 << len(bits)
                    mask |= bit
                ballot_bits.append(mask)
            project_bits = bit_of
            votes = [sum(weights[b] for b, _ in mine) for mine in supporters]
            total_points = list(votes)
            point_weights = [{1: v} if v else {} for v in votes]
        else:
            project_bits = [0] * projects
            total_points = [0] * projects
            point_weights = [{} for _ in range(projects)]
            for ballot, items in enumerate(ballots):
                mask = 0
                weight = weights[ballot]
                for pair in items:  # (project, points): a bit per distinct pair, in order of first appearance
                    project, points = pair
                    supporters[project].append((ballot, points))
                    given = point_weights[project]
                    given[points] = given.get(points, 0) + weight
                    found = bits.get(pair)
                    if found is None:
                        found = bits[pair] = 1 << len(bits)
                    mask |= found
                    total_points[project] += weight * points
                ballot_bits.append(mask)
            for (project, _), bit in bits.items():
                project_bits[project] |= bit
            votes = [sum(given.values()) for given in point_weights]
        point_lcm = lcm(1, *{points for _, points in bits})
        rows = [[(ballot_bits[b], points, weights[b]) for b, points in mine] for mine in supporters]
        per_point = {points: point_lcm // points for _, points in bits}
        point_rows = (
            []
            if point_lcm == 1
            else [[(b, p, w, w * p, per_point[p]) for b, p, w in mine] for mine in rows]  # per project
        )
        return cls(
            supporters,
            total_points,
            bits,
            project_bits,
            ballot_bits,
            point_lcm,
            point_weights,
            rows,
            votes,
            per_point,
            point_rows,
        )


@dataclass
class Profile:
    """The election in integers: the input of every run, whatever the per-voter budget."""

    costs: list[int]  # scaled so that every cost and the budget are integers
    budget: int
    unit: int  # one currency unit, scaled
    weights: list[int]  # per distinct ballot
    ballots: list[list[tuple[int, int]]]  # per distinct ballot: (project, whole points > 0)
    factor: list[int]  # satisfaction per point: the cost (cost satisfaction) or 1 (cardinality)
    tie_key: list[tuple[object, ...]]  # the smaller wins a tie
    index: BallotIndex | None = None  # built here when not given
    voters: int = 0
    supporters: list[list[tuple[int, int]]] = field(default_factory=list)  # per project: (ballot, points)
    point_lcm: int = 1
    total_points: list[int] = field(default_factory=list)  # per project: the points all its supporters gave
    bits: dict[tuple[int, int], int] = field(default_factory=dict)  # (project, points) -> its bit
    project_bits: list[int] = field(default_factory=list)  # per project: all its (project, points) bits
    ballot_bits: list[int] = field(default_factory=list)  # per ballot: the bits of its (project, points) pairs
    point_weights: list[dict[int, int]] = field(default_factory=list)  # per project: points -> voters giving them
    rows: list[list[tuple[int, int, int]]] = field(default_factory=list)  # per project: (bits, points, weight)
    votes: list[int] = field(default_factory=list)  # per project: how many voters gave it any points
    per_point: dict[int, int] = field(default_factory=dict)  # points given -> point_lcm // points
    point_rows: list[list[tuple[int, int, int, int, int]]] = field(default_factory=list)  # see `BallotIndex`

    def __post_init__(self) -> None:
        self.voters = sum(self.weights)
        index = self.index or BallotIndex.of(len(self.costs), self.weights, self.ballots)
        self.supporters, self.total_points, self.bits = index.supporters, index.total_points, index.bits
        self.project_bits, self.ballot_bits, self.point_lcm = index.project_bits, index.ballot_bits, index.point_lcm
        self.point_weights, self.rows, self.votes = index.point_weights, index.rows, index.votes
        self.per_point, self.point_rows = index.per_point, index.point_rows  # made once per election

    def voter_budget(self, extra_units: int) -> Fraction:
        return Fraction(self.budget, self.voters) + extra_units * self.unit


class Histograms:
    """Each project's supporters as a histogram over (class, points), per set of funded projects (a mask of their
    bits), kept across runs."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._cache: dict[tuple[int, int], Histogram] = {}
        self._both: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
        self._points_of: dict[int, dict[int, int]] = {}

    def cached(self, mask: int, project: int) -> Histogram | None:
        """The histogram of `project` at `mask` if one was made before (by this run or an earlier one)."""
        return self._cache.get((mask, project))

    def get(self, funded: Sequence[int], masks: Sequence[int], project: int) -> Histogram:
        """`masks[k]` is the mask of the first k projects of `funded`; the histogram is for all of them."""
        t = len(funded)
        cached = self._cache.get((masks[t], project))
        if cached is not None:
            return cached
        start = next((k for k in range(t - 1, -1, -1) if (masks[k], project) in self._cache), None)
        if start is not None:
            work = sum(len(self.supporting_both(project, funded[k])) for k in range(start, t))
            if work < len(self.profile.supporters[project]):
                histogram = dict(self._cache[(masks[start], project)])
                for k in range(start, t):
                    self._add(histogram, masks[k], project, funded[k])
                self._cache[(masks[t], project)] = histogram
                return histogram
        mask = masks[t]
        if mask == 0:  # nothing funded yet: every supporter is in the one class, by the points they gave
            histogram = {(0, points): weight for points, weight in self.profile.point_weights[project].items()}
            self._cache[(0, project)] = histogram
            return histogram
        histogram = {}
        get = histogram.get
        for bits, points, weight in self.profile.rows[project]:
            key = (bits & mask, points)
            histogram[key] = get(key, 0) + weight
        self._cache[(mask, project)] = histogram
        return histogram

    def supporting_both(self, project: int, funded: int) -> list[tuple[int, int, int, int]]:
        """(ballot bits, weight, points for `project`, bit of the points for `funded`) of the ballots giving both."""
        both = self._both.get((project, funded))
        if both is None:
            profile = self.profile
            bits, ballot_bits, weights = profile.bits, profile.ballot_bits, profile.weights
            mine, theirs = profile.supporters[project], profile.supporters[funded]
            if len(mine) <= len(theirs):
                points_of = self._points(funded)
                both = [
                    (ballot_bits[b], weights[b], p, bits[(funded, points_of[b])]) for b, p in mine if b in points_of
                ]
            else:
                points_of = self._points(project)
                both = [
                    (ballot_bits[b], weights[b], points_of[b], bits[(funded, p)]) for b, p in theirs if b in points_of
                ]
            self._both[(project, funded)] = both
        return both

    def _points(self, project: int) -> dict[int, int]:
        points = self._points_of.get(project)
        if points is None:
            points = self._points_of[project] = dict(self.profile.supporters[project])
        return points

    def _add(self, histogram: Histogram, mask: int, project: int, funded: int) -> None:
        """Move the supporters of `funded` within `histogram` (taken at `mask`) to their new classes."""
        for ballot_bits, weight, points, bit in self.supporting_both(project, funded):
            old = (ballot_bits & mask, points)
            left = histogram[old] - weight
            if left:
                histogram[old] = left
            else:
                del histogram[old]
            new = (old[0] | bit, points)
            histogram[new] = histogram.get(new, 0) + weight

"""The vocabulary of counting a participatory budget: what goes in (projects, ballots, a rule) and what comes out (the
funded projects in the order they were picked, and for every project why it was or was not funded).

Plain frozen dataclasses over exact numbers (`int` and `fractions.Fraction`, never floats), shared by the live count,
the `deliberate pb tally` command and the results page. Every ballot is a set of points: approval and choose-1 give
each approved project 1 point, cumulative ballots their points, and a ranking of k projects gives the first k points
and the last 1 (`len(ranking) - position`, the Polish "score" convention pabulib records). Identical ballots are merged
into one with a weight (`merge_ballots`), which is what makes large elections fast to count.

This module owns no rule; `counting.py` does. Standard library only.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

Number = int | Fraction


@dataclass(frozen=True)
class Project:
    project_id: str
    cost: Fraction


@dataclass(frozen=True)
class Ballot:
    """Points per project (only positive points are kept), sorted by project id; `weight` identical voters."""

    points: tuple[tuple[str, Number], ...]
    weight: int = 1

    @classmethod
    def approval(cls, project_ids: Iterable[str], weight: int = 1) -> Ballot:
        return cls(tuple(sorted((project_id, 1) for project_id in set(project_ids))), weight)

    @classmethod
    def cumulative(cls, points: Iterable[tuple[str, Number]] | Mapping[str, Number], weight: int = 1) -> Ballot:
        items = points.items() if isinstance(points, Mapping) else points
        kept = {project_id: _exact(value) for project_id, value in items if value}
        return cls(tuple(sorted(kept.items())), weight)

    @classmethod
    def ranking(cls, project_ids: Iterable[str], weight: int = 1) -> Ballot:
        """An ordinal ballot, best first: the first of k projects gets k points, the last gets 1."""
        ranked = list(project_ids)
        return cls(tuple(sorted((project_id, len(ranked) - place) for place, project_id in enumerate(ranked))), weight)


def _exact(value: Number) -> Number:
    if isinstance(value, float):
        raise TypeError("points must be exact (int or Fraction), not float")
    return value.numerator if isinstance(value, Fraction) and value.denominator == 1 else value


def merge_ballots(ballots: Iterable[Ballot]) -> tuple[Ballot, ...]:
    """Identical ballots as one with the summed weight, in order of first appearance (the same ballots when no two
    are identical, as when they were merged before)."""
    given = tuple(ballots)
    weights: Counter[tuple[tuple[str, Number], ...]] = Counter()
    for ballot in given:
        weights[ballot.points] += ballot.weight
    if len(weights) == len(given):
        return given
    return tuple(Ballot(points, weight) for points, weight in weights.items())


@dataclass(frozen=True)
class Election:
    budget: Fraction
    projects: tuple[Project, ...]
    ballots: tuple[Ballot, ...]


class Method(enum.StrEnum):
    GREEDY = "greedy"
    GREEDY_THRESHOLD = "greedy-threshold"
    MES = "mes"


class Satisfaction(enum.StrEnum):
    COST = "cost"  # the project's cost times the points
    CARDINALITY = "cardinality"  # the points


class Completion(enum.StrEnum):
    NONE = "none"
    GREEDY = "greedy"
    ADD1 = "add1"
    ADD1_GREEDY = "add1-greedy"
    ADD1_UNTIL_INFEASIBLE = "add1-until-infeasible"


class TieBreak(enum.StrEnum):
    ID = "id"  # pabutools: the smallest project id, compared as a string ("10" before "9")
    EQUALSHARES = "equalshares"  # equalshares.net: lowest cost, then most votes, then a lot drawn from a seed


@dataclass(frozen=True)
class Rule:
    method: Method
    satisfaction: Satisfaction = Satisfaction.COST
    completion: Completion = Completion.NONE
    tie_break: TieBreak = TieBreak.ID
    seed: str = ""  # the lot for TieBreak.EQUALSHARES, published before counting
    min_score: Fraction | None = None  # GREEDY_THRESHOLD: projects with fewer points are not funded

    def __post_init__(self) -> None:
        if self.method is not Method.MES and self.completion is not Completion.NONE:
            raise ValueError("a completion only applies to the Method of Equal Shares")

    @property
    def name(self) -> str:
        """The variant's name as `../shared/pb/README.md` writes it: `greedy_cost`, `mes_card_add1_greedy`, …"""
        sat = "cost" if self.satisfaction is Satisfaction.COST else "card"
        if self.method is Method.GREEDY_THRESHOLD:
            return "greedy_threshold" if sat == "cost" else "greedy_threshold_card"
        if self.method is Method.GREEDY:
            return f"greedy_{sat}"
        suffix = "" if self.completion is Completion.NONE else "_" + self.completion.value.replace("-", "_")
        return f"mes_{sat}{suffix}"


def lot(seed: str, project_id: str) -> str:
    """The lot that orders projects still tied on cost and votes: anyone can recompute it from the published seed."""
    return hashlib.sha256(f"{seed}\n{project_id}".encode()).hexdigest()


class Reason(enum.StrEnum):
    EQUAL_SHARES = "equal_shares"  # funded by the Method of Equal Shares: its supporters paid for it
    GREEDY = "greedy"  # funded by the greedy rule (or the greedy completion) when its turn came
    FREE = "free"  # costs nothing and someone supports it: funded first
    BELOW_THRESHOLD = "below_threshold"  # fewer points than the minimum score
    UNAFFORDABLE = "unaffordable"  # Equal Shares: its supporters' money fell below its cost
    DID_NOT_FIT = "did_not_fit"  # greedy: more than the money left when its turn came
    NO_SUPPORT = "no_support"  # nobody voted for it (and no greedy step could fund it)
    # Equal Shares with cost satisfaction: a free project satisfies no one (its cost times the points is 0), so MES
    # never funds it, however many support it; only a greedy completion does (pabutools' reading).
    FREE_NO_SATISFACTION = "free_no_satisfaction"


@dataclass(frozen=True)
class Share:
    """`voters` supporters each paid `amount` towards a project."""

    amount: Fraction
    voters: int


@dataclass(frozen=True)
class EqualSharesStep:
    """Equal Shares on one project. Funded: the round, the price per unit of satisfaction (the lowest of its round)
    and who paid what. Not funded: after how many funded projects its supporters held less money than its cost
    (0: from the start) and how much they held then."""

    round: int | None
    price: Fraction | None
    shares: tuple[Share, ...]
    unaffordable_after: int | None
    supporters_money: Fraction | None


@dataclass(frozen=True)
class GreedyStep:
    """The greedy walk on one project: its place in the order, its satisfaction per unit of cost (None: free, so
    first), and the money left when its turn came. The walk runs on integers; the two amounts are kept as
    (numerator, denominator) and become `Fraction`s only when read (most counts never read most of them)."""

    position: int
    density_ratio: tuple[int, int] | None
    money_ratio: tuple[int, int]
    funded: bool

    @property
    def density(self) -> Fraction | None:
        return None if self.density_ratio is None else Fraction(*self.density_ratio)

    @property
    def money_left(self) -> Fraction:
        return Fraction(*self.money_ratio)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GreedyStep):
            return NotImplemented
        return (self.position, self.density, self.money_left, self.funded) == (
            other.position,
            other.density,
            other.money_left,
            other.funded,
        )

    def __hash__(self) -> int:
        return hash((self.position, self.density, self.money_left, self.funded))


@dataclass(frozen=True, eq=False)
class ProjectResult:
    """One project's result. Its Equal Shares explanation (`equal_shares`: the shares paid, or the round it became
    unaffordable) is worked out when first read, for every project of the count at once, and kept: the count itself
    only decides, and most counts (a recount, an Add1 step, the `--json` winners) never read it."""

    project_id: str
    cost: Fraction
    votes: int  # voters who gave it any points
    score: Number  # total points
    funded: bool
    pick: int | None  # 1-based place in `Outcome.selected`
    reason: Reason
    explained: Callable[[], EqualSharesStep | None] | None = field(default=None, repr=False)
    greedy: GreedyStep | None = None

    @property
    def equal_shares(self) -> EqualSharesStep | None:
        return None if self.explained is None else self.explained()

    def _key(self) -> tuple[object, ...]:
        return (self.project_id, self.cost, self.votes, self.score, self.funded, self.pick, self.reason,
                self.equal_shares, self.greedy)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, ProjectResult) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True, eq=False)
class Outcome:
    rule: Rule
    budget: Fraction
    voters: int
    selected: tuple[str, ...]  # in the order the rule picked them
    total_cost: Fraction
    results: Callable[[], tuple[ProjectResult, ...]] = field(repr=False)  # makes `projects`, once, when first read
    voter_budget: Fraction | None = None  # Equal Shares: each voter's money in the run that decided (after Add1)
    increments: int = 0  # Add1: how many units were added to each voter's money

    @cached_property
    def projects(self) -> tuple[ProjectResult, ...]:
        """Every project's result, in the input order."""
        return self.results()

    def _key(self) -> tuple[object, ...]:
        return (self.rule, self.budget, self.voters, self.selected, self.total_cost, self.projects,
                self.voter_budget, self.increments)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, Outcome) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def result(self, project_id: str) -> ProjectResult:
        return next(p for p in self.projects if p.project_id == project_id)

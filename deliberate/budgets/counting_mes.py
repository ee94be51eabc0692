"""The Method of Equal Shares (MES), exact and fast: one run at a given per-voter budget.

MES gives every voter an equal share of the budget. Round after round it funds the project whose supporters can pay
for it at the lowest price per unit of satisfaction ρ (each supporter pays ρ × their satisfaction, or all they have
left if that is less), until no project's supporters can pay for one. Decision for decision this is pabutools'
`method_of_equal_shares` (ties go to the smallest `tie_key`); `counting.py` adds completions and explanations.

How it is fast without giving up exactness:
* Money is counted in integers. Costs and the budget are scaled to whole units and points to whole numbers; a budget
  is an integer numerator over the denominator of the round that set it (`dens[k]`: each funded project multiplies
  it by the points its paying supporters gave, without common factors), so every comparison multiplies integers.
* Voters are counted by class, not one by one (`counting_classes.py`): voters who gave the same points to the
  projects funded so far hold exactly the same money.
* Lazy rounds: a project's price only rises during a run (its supporters only lose money), so projects are visited in
  order of their last known price and a round stops when none can beat the best found; a project its supporters can
  no longer afford is dropped for good. Prices are ordered by an integer rank and compared exactly only among equal
  ranks (`_before`); only a winner's price is kept, as a (numerator, denominator) pair.
* A run no other run follows (a plain count, not Add1) reads a project's supporting ballots directly when it prices
  it, in one pass, rather than building a histogram that only a rerun at another budget would read again.
* What a run at a higher budget learns from one at a lower budget that funded the same projects so far (every voter
  then holds at least as much money in every round, so every price is lower or equal):
  - a certificate (`follow`): if each project the lower run funded still beats, at its old (higher) price, every
    competitor's price in the higher run, then every budget in between funds exactly the same projects, and Add1 may
    skip them without running MES at each. Most competitors it checks lose; for them it only asks whether their
    price is above the old one (`_MesRun.above`: what the supporters would pay at that price, summed in one pass
    over their classes, no entries kept and none sorted) and keeps, as their bound, the price at which those above
    it would cover the rest, so that the next rounds do not price them again too soon;
  - a project whose supporters all had money and all paid in part keeps exactly its price (`Run.settled`): it is not
    recounted, and if it wins, its supporters' new budgets need no sorting;
  - a project its supporters could not afford, short of more money than all voters have gained since, is still
    unaffordable (`Run.short`).

A pure function of its inputs (no clock, no randomness, no I/O); standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd
from operator import itemgetter

from deliberate.budgets.counting_classes import Histograms, Profile

# A price as a sort key: (rank, numerator, denominator, tie key), the price being numerator / denominator (not
# necessarily reduced). The rank orders prices like the prices themselves except among nearly equal ones; only keys
# of equal rank are compared exactly (`_before`), so no `Fraction` is made for a price that does not win.
Key = tuple[int, int, int, tuple[object, ...]]
# A class (or ballot) of a project's supporters that still has money, when the project is priced: on approval ballots
# (value, weight, class), otherwise (order, value, points, weight, class); see `Round`.
Entry = tuple[int, ...]
# Entries sort by their first item alone: one integer comparison each, not a tuple's item by item.
_first = itemgetter(0)


def _before(a: Key, b: Key) -> bool:
    """Whether price key `a` comes strictly before `b`: the lower price, then the smaller tie key."""
    if a[0] != b[0]:
        return a[0] < b[0]
    difference = a[1] * b[2] - b[1] * a[2]
    if difference:
        return difference < 0
    return a[3] < b[3]


@dataclass
class Round:
    """One funded project and how it was paid. `entries` are its supporters' histogram entries that had money, sorted
    by money per point, as (order, value, points, weight, class) with `value` their money over `den` and `order`
    their money per point times `Profile.point_lcm`, or on approval ballots (every point 1) as (value, weight,
    class); one entry per class, or per ballot when the run read the ballots directly, several of a class then. The
    first `poor` of them paid all they had, the others `theta` (a fraction over `den`) per point; when `poor` is 0 the
    entries are left unsorted (all paid alike). `entries` is None when every supporter paid `theta` per point (none
    paid all they had)."""

    project: int
    price: tuple[int, int]  # (numerator, denominator), not reduced
    theta: tuple[int, int]
    den: int
    entries: list[Entry] | None
    poor: int


@dataclass
class Run:
    """A finished run at one per-voter budget. `budget` maps a class to (numerator, index into `dens`); a class that
    is not there has no money. `masks[k]` is the classes' mask after k rounds."""

    extra_units: int
    rounds: list[Round]
    budget: dict[int, tuple[int, int]]
    dens: list[int]
    masks: list[int]
    certified: bool = False  # with `follow`: every budget in between funds the same projects
    complete: bool = True  # False: stopped where the certificate failed (`give_up`)
    # Per round: prices of projects whose supporters all had money and all paid in part. With more money per voter
    # and the same projects funded before, every supporter has at least as much, so the price is the same.
    settled: list[dict[int, tuple[int, int]]] = field(default_factory=list)  # (numerator, denominator)
    # Per round: for projects found unaffordable, at least how much (scaled) money their supporters lacked. With d
    # more units per voter and the same projects funded before, all voters together hold only n * d more.
    short: list[dict[int, Fraction]] = field(default_factory=list)

    @property
    def funded(self) -> list[int]:
        return [r.project for r in self.rounds]


class _Price:
    """A project's exact price this round, numerator / denominator (not reduced: a `Fraction` is made only for the
    winner)."""

    __slots__ = ("denominator", "entries", "numerator", "poor", "theta")

    def __init__(
        self,
        numerator: int,
        denominator: int,
        theta: tuple[int, int] | None,  # None: known from a run at a lower budget, not counted out in this one
        entries: list[Entry],
        poor: int,
    ) -> None:
        self.numerator, self.denominator, self.theta, self.entries, self.poor = (
            numerator,
            denominator,
            theta,
            entries,
            poor,
        )


def _reduced(theta: tuple[int, int], den: int) -> tuple[int, int]:
    """theta = numerator / (den * paying) as (numerator, paying) without common factors, which keeps the integers
    short: the budgets a round sets share the smaller denominator den * paying."""
    numerator, paying = theta[0], theta[1] // den
    common = gcd(numerator, paying)
    return numerator // common, paying // common


class _MesRun:
    def __init__(
        self, profile: Profile, histograms: Histograms, extra_units: int, previous: Run | None, *, direct: bool
    ) -> None:
        self.profile, self.histograms, self.extra_units = profile, histograms, extra_units
        self.previous = previous  # a run at a lower budget
        self.same_prefix = previous is not None  # so far this run funded what `previous` funded
        # A run no other run will follow reads its supporters' ballots directly rather than building histograms
        # that only a later run at another budget would read again (`price`).
        self.direct = direct
        self.dropping = False  # a direct run found a project unaffordable this round (`_short_direct`)
        self.settled: list[dict[int, tuple[int, int]]] = [{}]
        self.short: list[dict[int, Fraction]] = [{}]
        self.dens = [profile.voters]
        self.mults = [1]  # mults[k] = dens[-1] // dens[k]
        start = profile.budget + extra_units * profile.unit * profile.voters  # every voter's money, over `voters`
        self.budget = {0: (start, 0)}
        self.rounds: list[Round] = []
        self.funded: list[int] = []
        self.masks = [0]
        costs, factor, votes, voters = profile.costs, profile.factor, profile.votes, profile.voters
        # A project whose supporters cannot pay for it with all they hold at the start never can: left out at once,
        # without a histogram (most of Wrocław's 197 projects, each backed by a few choose-1 ballots). A run at a
        # higher budget makes the same test itself, so nothing is carried over in `short`.
        self.candidates = [
            q for q in range(len(costs)) if costs[q] > 0 and votes[q] and votes[q] * start >= costs[q] * voters
        ]
        # The price if every supporter could pay in full: a lower bound, as prices only rise in a run.
        total_points, tie_key = profile.total_points, profile.tie_key
        self.bound: dict[int, Key] = {}
        for q in self.candidates:
            numerator, denominator = costs[q], total_points[q] * factor[q]
            self.bound[q] = ((numerator << 128) // denominator, numerator, denominator, tie_key[q])
        self.exact: dict[int, _Price] = {}
        self.money_left = start  # all voters' money, together

    def _set_bound(self, q: int, numerator: int, denominator: int) -> None:
        self.bound[q] = ((numerator << 128) // denominator, numerator, denominator, self.profile.tie_key[q])

    def _drop(self, q: int) -> None:
        """q is left out for good (it stays out of the order from now on; `cheapest` walks a copy)."""
        self.candidates.remove(q)

    def price(self, q: int) -> _Price | None:
        """q's exact price this round (None, and dropped for good, if its supporters cannot afford it)."""
        exact = self.exact.get(q)
        if exact is not None:
            return exact
        t = len(self.rounds)
        if self.same_prefix:
            if self._still_short(q):
                return None
            previous = self.previous
            if previous is not None and t < len(previous.settled):
                known = previous.settled[t].get(q)
                if known is not None:
                    self.settled[t][q] = known
                    exact = self.exact[q] = _Price(known[0], known[1], None, [], 0)
                    self._set_bound(q, *known)
                    return exact
        profile = self.profile
        den, mults, budget = self.dens[-1], self.mults, self.budget
        cost = profile.costs[q]
        if cost > self.money_left:  # more than all the voters together have left
            self._drop(q)
            return None
        target = cost * den
        point_lcm, per_point = profile.point_lcm, profile.per_point
        paying_points = 0
        paid = 0
        poor = 0
        entries: list[Entry] = []
        append, get = entries.append, budget.get
        money = 0
        mask = self.masks[-1]
        histogram = self.histograms.cached(mask, q) if mask else self.histograms.get(self.funded, self.masks, q)
        if histogram is None and not self.direct:
            histogram = self.histograms.get(self.funded, self.masks, q)
        # `least`: the lowest money per point among the entries (their first item). When even those supporters can
        # pay their share of the cost at an equal price per point, nobody pays all they have: no sort needed.
        least = -1
        if histogram is None:  # read the supporters' ballots directly: one entry per ballot that still has money
            if self.dropping and self._short_direct(q, target):
                return None
            if point_lcm == 1:
                rows = profile.rows[q]
                supporters = len(rows)
                for bits, _, weight in rows:
                    cls = bits & mask
                    held = get(cls)
                    if held is not None:
                        value = held[0] * mults[held[1]]
                        money += weight * value
                        paying_points += weight
                        append((value, weight, cls))
                        if value < least or least < 0:
                            least = value
            else:
                point_rows = profile.point_rows[q]
                supporters = len(point_rows)
                for bits, points, weight, weighted, scale in point_rows:
                    cls = bits & mask
                    held = get(cls)
                    if held is not None:
                        value = held[0] * mults[held[1]]
                        money += weight * value
                        paying_points += weighted
                        order = value * scale
                        append((order, value, points, weight, cls))
                        if order < least or least < 0:
                            least = order
        else:
            supporters = len(histogram)
            if point_lcm == 1:
                for (cls, _), weight in histogram.items():
                    held = get(cls)
                    if held is not None:
                        value = held[0] * mults[held[1]]
                        money += weight * value
                        paying_points += weight
                        append((value, weight, cls))
                        if value < least or least < 0:
                            least = value
            else:
                for (cls, points), weight in histogram.items():
                    held = get(cls)
                    if held is not None:
                        value = held[0] * mults[held[1]]
                        money += weight * value
                        paying_points += weight * points
                        order = value * per_point[points]
                        append((order, value, points, weight, cls))
                        if order < least or least < 0:
                            least = order
        if money < target:
            self._drop(q)
            if self.direct:
                self.dropping = True
            else:  # only a run at a higher budget reads it (`_still_short`)
                self.short[t][q] = Fraction(target - money, den)
            return None
        if least >= 0 and target * point_lcm <= least * paying_points:
            # The poorest paying supporter covers their share (target / paying_points per point, times point_lcm
            # in `order` units): so does everyone, none pays all they have. The entries stay unsorted, which no
            # reader of a round with `poor` 0 minds (they are all paid alike).
            pass
        elif point_lcm == 1:  # every point is 1 (approval ballots): the same loop without the points
            entries.sort(key=_first)  # by money per point; the order of equals does not matter
            for value, weight, _ in entries:
                if target - paid <= value * paying_points:
                    break
                paid += weight * value
                paying_points -= weight
                poor += 1
        else:
            entries.sort(key=_first)
            for _, value, points, weight, _ in entries:
                if (target - paid) * points <= value * paying_points:
                    break
                paid += weight * value
                paying_points -= weight * points
                poor += 1
        theta = (target - paid, den * paying_points)
        denominator = theta[1] * profile.factor[q]
        result = _Price(theta[0], denominator, theta, entries, poor)
        if not poor and len(entries) == supporters:
            self.settled[t][q] = (theta[0], denominator)
        self.exact[q] = result
        self.bound[q] = ((theta[0] << 128) // denominator, theta[0], denominator, profile.tie_key[q])
        return result

    def _short_direct(self, q: int, target: int) -> bool:
        """Whether q's supporters hold less than `target` (then q is dropped), summed from their ballots without
        making entries: tried first once a project was found unaffordable this round (in the last round every
        project left is, and then half the work of a price is saved on each)."""
        get, mults, mask = self.budget.get, self.mults, self.masks[-1]
        money = 0
        for bits, _, weight in self.profile.rows[q]:
            held = get(bits & mask)
            if held is not None:
                money += weight * held[0] * mults[held[1]]
        if money < target:
            self._drop(q)
            return True
        return False

    def affordable(self, q: int) -> bool:
        """Whether q's supporters hold its cost between them (if not, q is dropped for good)."""
        if q in self.exact:
            return True
        t = len(self.rounds)
        previous = self.previous
        if self.same_prefix and previous is not None and t < len(previous.settled) and q in previous.settled[t]:
            return True
        if self._still_short(q):
            return False
        budget, mults, den = self.budget, self.mults, self.dens[-1]
        money = 0
        for key, weight in self.histograms.get(self.funded, self.masks, q).items():
            held = budget.get(key[0])
            if held is not None:
                money += weight * held[0] * mults[held[1]]
        target = self.profile.costs[q] * den
        if money < target:
            self._drop(q)
            self.short[t][q] = Fraction(target - money, den)
            return False
        return True

    def _still_short(self, q: int) -> bool:
        """Whether q's supporters lacked more, in the run at the lower budget, than all voters have gained since
        (then q is dropped for good, and the bound carried on to the next run)."""
        t = len(self.rounds)
        previous = self.previous
        if not self.same_prefix or previous is None or t >= len(previous.short):
            return False
        lacked = previous.short[t].get(q)
        if lacked is None:
            return False
        gained = self.profile.voters * (self.extra_units - previous.extra_units) * self.profile.unit
        if lacked <= gained:
            return False
        self.short[t][q] = lacked - gained
        self._drop(q)
        return True

    def order(self) -> list[int]:
        """The candidates by their price bound; among bounds of equal rank the order is not exact (`_before`)."""
        return sorted(self.candidates, key=self.bound.__getitem__)

    def cheapest(self) -> int | None:
        """The project funded this round: the lowest price, ties to the smallest tie key."""
        best: Key | None = None
        winner = None
        bound = self.bound
        for q in self.order():
            if best is not None:
                if bound[q][0] > best[0]:
                    break  # every later bound ranks higher still
                if not _before(bound[q], best):
                    continue  # of equal rank, but not below the best
            if self.price(q) is not None and (best is None or _before(bound[q], best)):
                best, winner = bound[q], q
        return winner

    def beats_all(self, forced: int, price: tuple[int, int]) -> bool:
        """Whether every competitor's price this round is above `price` (numerator, denominator), or equal and
        losing the tie to `forced`."""
        if self.price(forced) is None:
            return False
        numerator, denominator = price
        target = ((numerator << 128) // denominator, numerator, denominator, self.profile.tie_key[forced])
        bound = self.bound
        for q in self.order():
            if q == forced:
                continue
            if bound[q][0] > target[0]:
                return True
            if not _before(bound[q], target) or self.above(q, numerator, denominator):
                continue
            if self.price(q) is not None and _before(bound[q], target):
                return False
        return True

    def above(self, q: int, numerator: int, denominator: int) -> bool:
        """Whether q's price this round is above numerator / denominator, or q's supporters cannot afford it (then q
        is dropped for good), shown without sorting them; False when not shown (its exact price then decides). At a
        price x per unit of satisfaction each supporter would pay min(money, x × satisfaction); if that comes to less
        than the cost, q's price is above x (it is the least x at which they cover the cost). One pass over q's
        classes, no entries kept, no sort: what the certificate (`beats_all`) asks of most competitors."""
        if q in self.exact:
            return False
        t = len(self.rounds)
        previous = self.previous
        if self.same_prefix:
            if self._still_short(q):
                return True
            if previous is not None and t < len(previous.settled) and q in previous.settled[t]:
                return False
        profile = self.profile
        den, mults, get = self.dens[-1], self.mults, self.budget.get
        cost = profile.costs[q]
        if cost > self.money_left:
            self._drop(q)
            return True
        target = cost * den
        # x per point in money over `den`: limit / denominator.
        limit = numerator * profile.factor[q] * den
        low = 0  # the money of the supporters holding less than x per point (they would pay it all)
        rest = 0  # the money of the others
        points_at_x = 0  # the others' points (each would pay x per point)
        histogram = self.histograms.get(self.funded, self.masks, q)
        if profile.point_lcm == 1:
            cut = (limit - 1) // denominator  # value <= cut  <=>  value < limit / denominator
            for (cls, _), weight in histogram.items():
                held = get(cls)
                if held is not None:
                    value = held[0] * mults[held[1]]
                    if value <= cut:
                        low += weight * value
                    else:
                        rest += weight * value
                        points_at_x += weight
        else:
            per_point = profile.per_point
            cut = (limit * profile.point_lcm - 1) // denominator  # order <= cut  <=>  value / points < x
            for (cls, points), weight in histogram.items():
                held = get(cls)
                if held is not None:
                    value = held[0] * mults[held[1]]
                    if value * per_point[points] <= cut:
                        low += weight * value
                    else:
                        rest += weight * value
                        points_at_x += weight * points
        money = low + rest
        if money < target:
            self._drop(q)
            self.short[t][q] = Fraction(target - money, den)
            return True
        if low * denominator + points_at_x * limit >= target * denominator:
            return False  # they would cover the cost at x: q's price is x or less
        # Above x, the supporters below x pay at most all they have and the others at most the same share per
        # point, so the price is at least the one at which that covers the cost: (target - low) / points_at_x per
        # point, over `den` (more than x, as they do not cover it at x). Kept as q's bound.
        at_least, over = target - low, den * points_at_x * profile.factor[q]
        key = ((at_least << 128) // over, at_least, over, profile.tie_key[q])
        if _before(self.bound[q], key):
            self.bound[q] = key
        return True

    def fund(self, winner: int) -> None:
        chosen = self.exact[winner]
        profile, budget, mults = self.profile, self.budget, self.mults
        den = self.dens[-1]
        mask = self.masks[-1]
        k = len(self.dens)
        bits = profile.bits
        price = (chosen.numerator, chosen.denominator)
        if chosen.theta is None:
            # Known from the run at a lower budget, where every supporter had money and paid in part: with more
            # money they still do, so each pays the same theta per point and nobody needs sorting.
            per_point = Fraction(price[0] * profile.factor[winner], price[1])
            theta = (per_point.numerator * den, per_point.denominator * den)
            self.rounds.append(Round(winner, price, theta, den, None, 0))
            numerator, paying = _reduced(theta, den)
            for cls, points in self.histograms.get(self.funded, self.masks, winner):
                held = budget[cls]
                left = held[0] * mults[held[1]] * paying - points * numerator
                if left:
                    budget[cls | bits[(winner, points)]] = (left, k)
        else:
            self.rounds.append(Round(winner, price, chosen.theta, den, chosen.entries, chosen.poor))
            numerator, paying = _reduced(chosen.theta, den)
            paying_entries = chosen.entries[chosen.poor :] if chosen.poor else chosen.entries
            if profile.point_lcm == 1:  # approval ballots: one bit for the winner
                bit = bits[(winner, 1)]
                for value, _, cls in paying_entries:
                    left = value * paying - numerator
                    if left:
                        budget[cls | bit] = (left, k)
            else:
                bit_of = {points: bits[(winner, points)] for points in profile.point_weights[winner]}
                for _, value, points, _, cls in paying_entries:
                    left = value * paying - points * numerator
                    if left:
                        budget[cls | bit_of[points]] = (left, k)
        self.dens.append(den * paying)
        if paying != 1:
            self.mults = [m * paying for m in mults]
        self.mults.append(1)
        self.money_left -= profile.costs[winner]
        previous = self.previous
        t = len(self.funded)
        self.same_prefix = self.same_prefix and previous is not None and previous.funded[t : t + 1] == [winner]
        self.settled.append({})
        self.short.append({})
        self.funded.append(winner)
        self.masks.append(mask | profile.project_bits[winner])
        self.candidates.remove(winner)
        self.exact = {}
        self.dropping = False


def run_mes(
    profile: Profile,
    histograms: Histograms,
    extra_units: int,
    *,
    follow: Run | None = None,
    give_up: bool = False,
    alone: bool = False,
) -> Run:
    """MES with every voter holding budget/n + `extra_units` currency units. With `follow` (a run at a lower budget)
    it also checks the certificate of the module docstring; `Run.certified` tells whether it held. With `give_up`, a
    run whose certificate fails stops there (`Run.complete` is False) instead of finishing. `alone`: no run at
    another budget will follow this one, so it keeps no histograms for one."""
    run = _MesRun(profile, histograms, extra_units, follow, direct=alone)
    vouching = follow is not None
    rounds = follow.rounds if follow is not None else []

    def finish(**flags: bool) -> Run:
        return Run(
            extra_units, run.rounds, run.budget, run.dens, run.masks, settled=run.settled, short=run.short, **flags
        )

    while True:
        t = len(run.rounds)
        winner = None
        if vouching:
            if t < len(rounds) and run.beats_all(rounds[t].project, rounds[t].price):
                winner = rounds[t].project
            elif t == len(rounds) and not any(run.affordable(q) for q in run.order()):
                return finish(certified=True)
            elif give_up:
                return finish(complete=False)
            else:
                vouching = False
        if winner is None:
            winner = run.cheapest()
        if winner is None:
            return finish()
        run.fund(winner)

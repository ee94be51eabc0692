"""The counting rules on hand-made elections small enough to check on paper: what they fund, in which order, how
ties are broken, and the explanation each project gets."""

from __future__ import annotations

from fractions import Fraction

import pytest

from deliberate.budgets.counting import count, prepare
from deliberate.budgets.counting_classes import BallotIndex
from deliberate.budgets.counting_model import (
    Ballot,
    Completion,
    Election,
    Method,
    Project,
    Reason,
    Rule,
    Satisfaction,
    Share,
    TieBreak,
    lot,
    merge_ballots,
)
from tests.budgets.conftest import load

GREEDY = Rule(Method.GREEDY)
MES = Rule(Method.MES)


def election(budget: int | Fraction, costs: dict[str, int | Fraction], *ballots: Ballot) -> Election:
    return Election(Fraction(budget), tuple(Project(p, Fraction(c)) for p, c in costs.items()), ballots)


def test_greedy_skips_a_project_that_does_not_fit_and_funds_a_later_one_that_does() -> None:
    outcome = count(
        election(100, {"a": 70, "b": 50, "c": 30}, Ballot.approval("abc", 5), Ballot.approval("b", 2)),
        GREEDY,
    )
    assert outcome.selected == ("b", "c")  # b has 7 votes, a and c 5 each: a (70) no longer fits in 50, c does
    skipped = outcome.result("a")
    assert skipped.reason is Reason.DID_NOT_FIT
    assert skipped.greedy is not None and skipped.greedy.money_left == 50 and not skipped.greedy.funded


def test_greedy_funds_projects_nobody_voted_for_last_if_money_remains() -> None:
    outcome = count(election(100, {"a": 40, "z": 30, "y": 70}, Ballot.approval("a")), GREEDY)
    assert outcome.selected == ("a", "z")
    assert outcome.result("z").reason is Reason.GREEDY
    assert outcome.result("y").reason is Reason.NO_SUPPORT


def test_greedy_threshold_sets_aside_projects_below_the_minimum_score() -> None:
    votes = (Ballot.approval("ab", 3), Ballot.approval("c", 1))
    outcome = count(election(100, {"a": 10, "b": 10, "c": 10}, *votes), Rule(Method.GREEDY_THRESHOLD, min_score=2))
    assert outcome.selected == ("a", "b")
    assert outcome.result("c").reason is Reason.BELOW_THRESHOLD


def test_equal_shares_lets_a_minority_fund_its_project() -> None:
    # 60 voters want a and b, 40 want c: greedy by votes funds a and b; Equal Shares gives c's voters their 40 %.
    votes = (Ballot.approval("ab", 60), Ballot.approval("c", 40))
    costs = {"a": 50, "b": 50, "c": 40}
    assert count(election(100, costs, *votes), GREEDY).selected == ("a", "b")
    outcome = count(election(100, costs, *votes), MES)
    assert outcome.selected == ("a", "c")
    funded_c = outcome.result("c").equal_shares
    assert funded_c is not None and funded_c.shares == (Share(Fraction(1), 40),)
    b = outcome.result("b")
    assert b.reason is Reason.UNAFFORDABLE
    assert b.equal_shares is not None and b.equal_shares.unaffordable_after == 1
    assert b.equal_shares.supporters_money == Fraction(10)  # 60 voters with 1 - 50/60 each


def test_a_project_its_supporters_cannot_pay_for_at_the_start_is_unaffordable_from_the_start() -> None:
    # 11 voters share 100: b's one supporter holds 100/11, less than its 30, before anything is funded.
    outcome = count(election(100, {"a": 50, "b": 30}, Ballot.approval("a", 10), Ballot.approval("b", 1)), MES)
    assert outcome.selected == ("a",)
    b = outcome.result("b")
    assert b.reason is Reason.UNAFFORDABLE
    assert b.equal_shares is not None
    assert (b.equal_shares.unaffordable_after, b.equal_shares.supporters_money) == (0, Fraction(100, 11))


def test_project_results_are_made_at_the_first_read_kept_and_compared_like_fields() -> None:
    votes = (Ballot.approval("ab", 60), Ballot.approval("c", 40))
    costs = {"a": 50, "b": 50, "c": 40}
    outcome = count(election(100, costs, *votes), MES)
    first = outcome.projects
    assert outcome.projects is first
    assert [(p.project_id, p.funded) for p in first] == [("a", True), ("b", False), ("c", True)]
    again = count(election(100, costs, *votes), MES)
    assert again == outcome and hash(again) == hash(outcome)
    assert again != count(election(100, costs, *votes), GREEDY)
    assert "results" not in repr(outcome)


def test_equal_shares_poor_supporters_pay_all_they_have_and_the_rest_share_equally() -> None:
    # Each of 4 voters holds 25. x (costs 20) is funded first by voters 1 and 2; then y (costs 60) by all four:
    # voters 1 and 2 have 15 left each and pay it all, voters 3 and 4 pay 15 each.
    votes = (Ballot.approval("xy", 2), Ballot.approval("y", 2))
    outcome = count(election(100, {"x": 20, "y": 60}, *votes), Rule(Method.MES, Satisfaction.CARDINALITY))
    assert outcome.selected == ("x", "y")
    y = outcome.result("y").equal_shares
    assert y is not None and y.round == 2
    assert sum(s.amount * s.voters for s in y.shares) == 60
    assert y.price == 15


def test_ties_go_to_the_smallest_id_as_a_string_or_to_the_equalshares_order() -> None:
    # Every project costs its supporters exactly 5 each: a three-way tie on price.
    votes = (Ballot.approval(["10"], 2), Ballot.approval(["9"], 4), Ballot.approval(["8"], 4))
    costs = {"10": 10, "9": 20, "8": 20}
    tie = election(1000, costs, *votes)
    card = Satisfaction.CARDINALITY
    assert count(tie, Rule(Method.MES, card)).selected[0] == "10"  # "10" < "8" < "9" as strings
    equalshares = count(tie, Rule(Method.MES, card, tie_break=TieBreak.EQUALSHARES, seed="s"))
    assert equalshares.selected[0] == "10"  # the lowest cost
    seeds = {s: count(tie, Rule(Method.MES, card, tie_break=TieBreak.EQUALSHARES, seed=s)).selected for s in "abcdef"}
    for seed, selected in seeds.items():  # same cost and votes: the lot of the published seed decides
        assert list(selected[1:]) == sorted(["9", "8"], key=lambda p: lot(seed, p))
    assert len({selected for selected in seeds.values()}) == 2


def test_equalshares_ties_prefer_the_project_with_more_votes_at_equal_cost() -> None:
    # Two voters give a 2 points each, four voters give b 1 point each: the same points for the same cost, so the
    # same price under Equal Shares and the same density under greedy. b has more voters.
    tie = election(100, {"a": 30, "b": 30}, Ballot.cumulative({"a": 2}, 2), Ballot.cumulative({"b": 1}, 4))
    for method in (Method.MES, Method.GREEDY):
        assert count(tie, Rule(method)).selected == ("a", "b")
        assert count(tie, Rule(method, tie_break=TieBreak.EQUALSHARES)).selected == ("b", "a")


def test_identical_ballots_count_the_same_merged_or_one_by_one() -> None:
    one_by_one = [Ballot.approval("ab")] * 7 + [Ballot.approval("c")] * 5 + [Ballot.ranking("ca")] * 2
    merged = merge_ballots(one_by_one)
    assert [b.weight for b in merged] == [7, 5, 2]
    costs = {"a": 40, "b": 35, "c": 30}
    for completion in Completion:
        rule = Rule(Method.MES, completion=completion)
        assert count(election(90, costs, *one_by_one), rule) == count(election(90, costs, *merged), rule)


def test_free_projects_that_satisfy_someone_come_first_under_cardinality_only() -> None:
    votes = (Ballot.approval("af", 3),)
    free = election(50, {"a": 40, "f": 0}, *votes)
    card = count(free, Rule(Method.MES, Satisfaction.CARDINALITY))
    assert card.selected == ("f", "a")
    assert card.result("f").reason is Reason.FREE
    assert count(free, MES).selected == ("a",)  # cost satisfaction: a free project satisfies no one
    assert count(free, Rule(Method.MES, completion=Completion.GREEDY)).selected == ("a", "f")


def test_a_free_project_equal_shares_leaves_out_under_cost_satisfaction_is_not_called_unaffordable() -> None:
    free = election(50, {"a": 40, "f": 0}, Ballot.approval("af", 3), Ballot.approval("f", 2))
    for completion in (Completion.NONE, Completion.ADD1):
        outcome = count(free, Rule(Method.MES, completion=completion))
        f = outcome.result("f")
        assert not f.funded and f.votes == 5
        assert f.reason is Reason.FREE_NO_SATISFACTION  # it costs nothing: nobody was short of money for it
        assert f.equal_shares is None
    completed = count(free, Rule(Method.MES, completion=Completion.GREEDY)).result("f")
    assert completed.funded and completed.reason is Reason.GREEDY  # the completion funds it, as pabutools does
    assert count(free, Rule(Method.MES, Satisfaction.CARDINALITY)).result("f").reason is Reason.FREE


def test_an_ordinal_ballot_gives_k_points_to_the_first_of_k_and_one_to_the_last() -> None:
    assert Ballot.ranking(["x", "y", "z"]).points == (("x", 3), ("y", 2), ("z", 1))
    outcome = count(
        election(10, {"x": 10, "y": 10}, Ballot.ranking("yx", 2), Ballot.ranking("xy", 1)),
        Rule(Method.GREEDY, Satisfaction.CARDINALITY),
    )
    assert outcome.result("y").score == 5 and outcome.result("x").score == 4
    assert outcome.selected == ("y",)


def test_arithmetic_is_exact_with_fractional_budgets_and_costs() -> None:
    # A float sum of 0.1 + 0.2 is not 0.3: here the three projects cost exactly the budget and all are funded.
    costs = {"a": Fraction("0.1"), "b": Fraction("0.2"), "c": Fraction("0.3")}
    outcome = count(election(Fraction("0.6"), costs, Ballot.approval("abc", 3)), MES)
    assert outcome.selected == ("a", "b", "c")
    assert outcome.total_cost == Fraction("0.6") and outcome.voter_budget == Fraction(1, 5)


def test_add1_raises_every_voters_money_until_the_outcome_is_exhaustive() -> None:
    # Plain MES funds only a (b's lone supporter holds 50 of its 60); Add1 raises each voter by 10 units until b fits.
    votes = (Ballot.approval("a"), Ballot.approval("b"))
    plain = count(election(100, {"a": 40, "b": 60}, *votes), MES)
    assert plain.selected == ("a",)
    add1 = count(election(100, {"a": 40, "b": 60}, *votes), Rule(Method.MES, completion=Completion.ADD1))
    assert add1.selected == ("a", "b")
    assert add1.increments == 10 and add1.voter_budget == 60


def test_a_count_without_voters_funds_nothing_by_equal_shares() -> None:
    empty = election(100, {"a": 10}, *())
    assert count(empty, MES).selected == ()
    assert count(empty, Rule(Method.MES, completion=Completion.ADD1_GREEDY)).selected == ("a",)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (election(10, {"a": -1}), "negative cost"),
        (election(-1, {"a": 1}), "budget is negative"),
        (election(10, {"a": 1}, Ballot.approval("b")), "names project 'b'"),
        (Election(Fraction(1), (Project("a", Fraction(1)), Project("a", Fraction(2))), ()), "share an id"),
        (election(10, {"a": 1}, Ballot((("a", -2),))), "negative points"),
        (election(10, {"a": 1}, Ballot((("a", 1),), weight=0)), "weighs less than one voter"),
    ],
)
def test_an_inconsistent_election_is_refused(bad: Election, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        count(bad, MES)


def test_a_completion_only_applies_to_equal_shares_and_variant_names_follow_the_readme() -> None:
    with pytest.raises(ValueError):
        Rule(Method.GREEDY, completion=Completion.ADD1)
    assert Rule(Method.MES, Satisfaction.CARDINALITY, Completion.ADD1_GREEDY).name == "mes_card_add1_greedy"
    assert Rule(Method.GREEDY_THRESHOLD).name == "greedy_threshold"
    with pytest.raises(TypeError):
        Ballot.cumulative({"a": 1.5})  # type: ignore[dict-item]


@pytest.mark.parametrize("instance", ["Switzerland_Zurich_S5R", "Poland_Wieliczka_2023_Green_Budget"])
@pytest.mark.parametrize("satisfaction", list(Satisfaction))
def test_the_explanation_agrees_with_a_voter_by_voter_replay(instance: str, satisfaction: Satisfaction) -> None:
    """Replaying the published prices voter by voter gives back every share, and for every project Equal Shares did
    not fund, the round its supporters' money fell below its cost and how much they held then."""
    _, real = load(instance)
    outcome = count(real, Rule(Method.MES, satisfaction, Completion.ADD1))
    assert outcome.voter_budget is not None
    money = [outcome.voter_budget] * len(real.ballots)
    points = [dict(ballot.points) for ballot in real.ballots]
    results = {p.project_id: p for p in outcome.projects}
    supporters = {p: [i for i, mine in enumerate(points) if p in mine] for p in results}
    unaffordable: dict[str, tuple[int, Fraction]] = {}
    for t in range(len(outcome.selected) + 1):
        for p, result in results.items():
            held = sum(money[i] for i in supporters[p])
            if supporters[p] and p not in outcome.selected and p not in unaffordable and held < result.cost:
                unaffordable[p] = (t, held)
        if t == len(outcome.selected):
            break
        funded = results[outcome.selected[t]]
        assert funded.equal_shares is not None and funded.equal_shares.price is not None
        paid: dict[Fraction, int] = {}
        for i in supporters[funded.project_id]:
            per_unit = funded.cost if satisfaction is Satisfaction.COST else 1
            pays = min(money[i], funded.equal_shares.price * points[i][funded.project_id] * per_unit)
            money[i] -= pays
            paid[pays] = paid.get(pays, 0) + 1
        assert funded.equal_shares.shares == tuple(Share(a, v) for a, v in sorted(paid.items(), reverse=True))
        assert sum(paid_amount * voters for paid_amount, voters in paid.items()) == funded.cost
    for p, (t, held) in unaffordable.items():
        step = results[p].equal_shares
        assert step is not None and (step.unaffordable_after, step.supporters_money) == (t, held)


@pytest.mark.parametrize("instance", ["Netherlands_Assen_2024", "Poland_Swiecie_2023"])
def test_the_approval_index_is_the_general_index_built_faster(instance: str) -> None:
    prepared = prepare(load(instance)[1])
    assert prepared.approval
    faster = BallotIndex.of(len(prepared.ids), prepared.weights, prepared.points, approval=True)
    general = BallotIndex.of(len(prepared.ids), prepared.weights, prepared.points, approval=False)
    assert faster == general
    assert sum(faster.votes) == sum(len(items) * w for items, w in zip(prepared.points, prepared.weights, strict=True))

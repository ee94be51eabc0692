"""Reading and writing pabulib `.pb` files: the real files parse and survive a round trip, and a file that cannot be
counted is refused with the line at fault and the reason."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest

from deliberate.budgets.counting_model import Ballot
from deliberate.budgets.pabulib import (
    PabulibError,
    build_pabulib,
    format_number,
    parse_number,
    parse_pabulib,
    write_pabulib,
)
from tests.budgets.conftest import REFERENCE, load

GOOD = '''META
key;value
description;A small test
num_projects;3
num_votes;3
budget;100.50
vote_type;approval
PROJECTS
project_id;cost;name
1;50;"Park ""Verde"""
2;60.25;Library
10;0;Free concert
VOTES
voter_id;vote
a;1,2
b;2
c;
'''


def _refusal(text: str) -> PabulibError:
    with pytest.raises(PabulibError) as caught:
        parse_pabulib(text)
    return caught.value


@pytest.mark.parametrize("instance", list(REFERENCE))
def test_every_real_file_parses_with_the_counts_its_meta_declares(instance: str) -> None:
    pb, election = load(instance)
    assert len(pb.projects) == REFERENCE[instance]["projects"] == len(election.projects)
    assert len(pb.votes) == REFERENCE[instance]["voters"] == len(election.ballots)
    assert pb.vote_type == REFERENCE[instance]["vote_type"]
    assert pb.budget == Fraction(REFERENCE[instance]["budget"])


@pytest.mark.parametrize("instance", ["Switzerland_Zurich_D10", "Switzerland_Zurich_S5R", "Poland_Lodz_2022"])
def test_a_real_file_survives_writing_and_reading_back(instance: str) -> None:
    pb, _ = load(instance)
    again = parse_pabulib(write_pabulib(pb))
    assert again == pb


def test_a_small_file_is_read_with_exact_numbers_quotes_and_empty_ballots() -> None:
    pb = parse_pabulib(GOOD)
    assert pb.budget == Fraction(201, 2)
    assert [p.cost for p in pb.projects] == [50, Fraction(241, 4), 0]
    assert pb.projects[0].fields[2] == 'Park "Verde"'
    assert [v.projects for v in pb.votes] == [("1", "2"), ("2",), ()]
    assert pb.election().ballots[2] == Ballot((), 1)


def test_ordinal_ballots_become_points_by_rank_and_cumulative_keep_theirs() -> None:
    ordinal = GOOD.replace("approval", "ordinal").replace("a;1,2", "a;2,10,1")
    assert parse_pabulib(ordinal).election().ballots[0] == Ballot((("1", 1), ("10", 2), ("2", 3)))
    cumulative = GOOD.replace("approval", "cumulative").replace("voter_id;vote", "voter_id;vote;points")
    cumulative = cumulative.replace("a;1,2", "a;1,2;3,1.5").replace("b;2", "b;2;2").replace("c;", "c;;")
    assert parse_pabulib(cumulative).election().ballots[0] == Ballot((("1", 3), ("2", Fraction(3, 2))))


def test_a_byte_order_mark_and_windows_line_ends_are_accepted() -> None:
    assert parse_pabulib("\ufeff" + GOOD.replace("\n", "\r\n")) == parse_pabulib(GOOD)


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (lambda t: t.replace("VOTES\nvoter_id;vote\na;1,2\nb;2\nc;\n", ""), 13, "no VOTES section"),
        (lambda t: t.replace("META\nkey;value\n", ""), 1, "must start with a META section"),
        (lambda t: t.replace("vote_type;approval", "vote_type;scoring"), 7, "unknown vote type 'scoring'"),
        (lambda t: t.replace("2;60.25;Library", "2;-60.25;Library"), 11, "negative cost"),
        (lambda t: t.replace("2;60.25;Library", "2;lots;Library"), 11, "is not a number"),
        (lambda t: t.replace("a;1,2", "a;1,7"), 15, "project '7', which PROJECTS does not list"),
        (lambda t: t.replace("a;1,2", "a;1,1"), 15, "the same project twice"),
        (lambda t: t.replace("b;2", "a;2"), 16, "voter 'a' voted twice (first on line 15)"),
        (lambda t: t.replace("10;0;Free concert", "1;0;Free concert"), 12, "project '1' listed twice"),
        (lambda t: t.replace("budget;100.50", "budget;-1"), 6, "negative budget"),
        (lambda t: t.replace("budget;100.50\n", ""), 2, "META has no 'budget'"),
        (lambda t: t.replace("num_votes;3", "num_votes;4"), 5, "num_votes says 4 but the file has 3"),
        (lambda t: t.replace("project_id;cost;name", "project_id;price;name"), 9, "no 'cost' column"),
        (lambda t: t.replace("b;2", "b;2;extra"), 16, "3 fields but the header has 2"),
        (lambda t: t.replace("PROJECTS\nproject_id;cost;name\n", "VOTES\nvoter_id;vote\n"), 8, "VOTES section before"),
        (lambda t: t.replace("vote_type;approval", "vote_type;choose-1"), 15, "a choose-1 ballot names 2 projects"),
    ],
)
def test_a_broken_file_is_refused_with_the_line_and_the_reason(
    change: Callable[[str], str], line: int, reason: str
) -> None:
    refusal = _refusal(change(GOOD))
    assert refusal.line == line
    assert reason in refusal.reason
    assert str(refusal).startswith(f"line {line}: ")


def test_cumulative_points_must_match_the_projects_and_be_non_negative() -> None:
    cumulative = GOOD.replace("approval", "cumulative").replace("voter_id;vote", "voter_id;vote;points")
    assert "2 projects but 1 points" in _refusal(cumulative.replace("a;1,2", "a;1,2;3")).reason
    negative = cumulative.replace("a;1,2", "a;1,2;3,-1").replace("b;2", "b;2;1").replace("c;", "c;;")
    assert _refusal(negative).line == 15
    assert "negative points" in _refusal(negative).reason
    assert "no 'points' column" in _refusal(cumulative.replace(";points", "")).reason


def test_numbers_are_read_and_written_exactly() -> None:
    assert parse_number("1546168.66") == Fraction(154616866, 100)
    assert parse_number("12,5") == Fraction(25, 2)
    assert format_number(Fraction(154616866, 100)) == "1546168.66"
    assert format_number(Fraction(-1, 8)) == "-0.125"
    with pytest.raises(ValueError):
        format_number(Fraction(1, 3))
    for text in ("1e3", "nan", "1/2", ""):
        with pytest.raises(ValueError):
            parse_number(text)


def test_an_export_built_from_plain_values_reads_back_as_the_same_election() -> None:
    pb = build_pabulib(
        {"description": "Trial", "budget": "1000", "vote_type": "cumulative", "num_projects": "0", "num_votes": "0"},
        [("p1", Fraction(400), {"name": "Plaza"}), ("p2", Fraction(250), {})],
        [("v1", ["p1", "p2"], [Fraction(2), Fraction(1)], {"age": "30"}), ("v2", ["p2"], [Fraction(3)], {})],
    )
    assert pb.meta["num_projects"] == "2" and pb.meta["num_votes"] == "2"
    assert pb.projects[0].fields == ("p1", "400", "Plaza")
    assert pb.election().ballots[0] == Ballot((("p1", 2), ("p2", 1)))
    assert parse_pabulib(write_pabulib(pb)) == pb

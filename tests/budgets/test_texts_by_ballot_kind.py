"""What the pages, the CSV and the command-line table say greedy orders by follows the ballot: votes on approval
ballots, points on cumulative ballots, and on rankings the points counting.py adds up (k to the first of k projects,
1 to the last), in the reader's language."""

from __future__ import annotations

import argparse
import html
import io
from pathlib import Path
from typing import Any

from deliberate.budgets.tally_cli import run_tally
from deliberate.clock import FrozenClock
from tests.budgets.voting_support import VotingSetup, vote_and_publish, voting_process, voting_process_on
from tests.conftest import Node
from tests.web.support import _catalogs

BY_VOTES = "Funded by number of votes: when its turn came (place %(position)s), %(money)s were left."
BY_POINTS = "Funded by number of points: when its turn came (place %(position)s), %(money)s were left."
ORDER_BY_VOTES = (
    "Projects are funded in order of votes, the most voted first. A project that no longer fits in the money left is "
    "skipped and the next one is tried."
)
ORDER_BY_POINTS = (
    "Projects are funded in order of points, all voters' points added up, the project with the most points first. A "
    "project that no longer fits in the money left is skipped and the next one is tried."
)
RANKING_POINTS = "On a ranking of k projects, the first gets k points and the last 1; all voters' points are added up."


def shown_in(lang: str, message: str, **params: Any) -> str:
    """`message` as a page in `lang` shows it: translated, filled, escaped the way Jinja escapes."""
    text = _catalogs()[lang].gettext(message)
    assert lang == "en" or text != message, f"no {lang} translation: {message}"
    text = text % params if params else text
    return html.escape(text).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")


def written_in(lang: str, message: str) -> str:
    """`message` as a template in `lang` shows it: templates' translations are safe markup, shown as written."""
    text: str = _catalogs()[lang].gettext(message)
    assert lang == "en" or text != message, f"no {lang} translation: {message}"
    return text


def counted_in(lang: str, singular: str, plural: str, num: int) -> str:
    return html.escape(_catalogs()[lang].ngettext(singular, plural, num) % {"num": num})


async def _published(node: Node, clock: FrozenClock, ballots: list[Any], **rule: Any) -> VotingSetup:
    conn = await node.connect()
    try:
        setup = await voting_process(conn, clock, residents=len(ballots), **rule)
        a, b, c = setup.projects
        ids = {"a": a.id, "b": b.id, "c": c.id}
        mapped = [
            {str(ids[k]): v for k, v in ballot.items()} if isinstance(ballot, dict) else [ids[k] for k in ballot]
            for ballot in ballots
        ]
        await vote_and_publish(conn, setup, mapped)
    finally:
        await conn.close()
    return setup


async def _page(node: Node, path: str, lang: str) -> str:
    visitor = await node.visitor(**{"Accept-Language": lang})
    response = await visitor.get(path)
    assert response.status == 200, visitor.last_html
    return visitor.last_html


# Costs 60 000, 60 000 and 30 000 soles; 100 000 to share.
CUMULATIVE = {"ballot_rule": "cumulative", "points": "5", "max_choices": "", "costs": [60000, 60000, 30000]}
# a: 2 voters, 10 points. b: 3 voters, 3 points. By points a comes first; by votes it would be b.
CUMULATIVE_BALLOTS = [{"a": 5}, {"a": 5}, {"b": 1}, {"b": 1}, {"b": 1}]


async def test_the_results_of_a_points_ballot_say_greedy_went_by_points_in_every_language(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await _published(node, clock, CUMULATIVE_BALLOTS, **CUMULATIVE)
    for lang in ("es", "qu", "en"):
        page = await _page(node, f"/b/{setup.process.slug}/results", lang)
        assert shown_in(lang, BY_POINTS, position=1, money="S/ 100 000,00") in page, lang
        assert shown_in(lang, BY_VOTES, position=1, money="S/ 100 000,00") not in page, lang
        assert shown_in(lang, "Counting rule: %(rule)s.", rule=_catalogs()[lang].gettext("Most points first")) in page
        assert written_in(lang, "Points per project; funded projects in green") in page
        assert counted_in(lang, "%(num)s point", "%(num)s points", 10) in page  # a's points, next to its 2 votes
        assert counted_in(lang, "%(num)s vote", "%(num)s votes", 2) in page


async def test_the_process_page_of_a_points_ballot_says_projects_go_in_order_of_points(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock, **CUMULATIVE)
    for lang in ("es", "qu", "en"):
        page = await _page(node, f"/b/{setup.process.slug}", lang)
        assert written_in(lang, ORDER_BY_POINTS) in page, lang
        assert written_in(lang, ORDER_BY_VOTES) not in page, lang


async def test_a_ranking_is_counted_and_explained_by_its_ranking_points(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    rule = {"ballot_rule": "ordinal", "max_choices": "3", "costs": [40000, 40000, 40000]}
    # Points (3 for first of three, 1 for last; a lone choice gets 1): b 6, a 4, c 3. Votes: c 3, a 2, b 2.
    setup = await _published(node, clock, [["b", "a", "c"], ["b", "a", "c"], ["c"]], **rule)
    for lang in ("es", "qu", "en"):
        page = await _page(node, f"/b/{setup.process.slug}/results", lang)
        assert shown_in(lang, BY_POINTS, position=1, money="S/ 100 000,00") in page, lang
        assert shown_in(lang, BY_POINTS, position=2, money="S/ 60 000,00") in page, lang
        not_fit = "Not funded: when its turn came (place %(position)s), only %(money)s were left."
        assert shown_in(lang, not_fit, position=3, money="S/ 20 000,00") in page  # c, the most voted
        assert counted_in(lang, "%(num)s point", "%(num)s points", 6) in page
        rules = await _page(node, f"/b/{setup.process.slug}", lang)
        assert written_in(lang, ORDER_BY_POINTS) in rules and written_in(lang, RANKING_POINTS) in rules


async def test_approval_results_and_rules_still_say_votes(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await _published(node, clock, [["a", "b"], ["a"], ["c"]], costs=[60000, 50000, 30000])
    for lang in ("es", "qu", "en"):
        page = await _page(node, f"/b/{setup.process.slug}/results", lang)
        assert shown_in(lang, BY_VOTES, position=1, money="S/ 100 000,00") in page, lang
        assert shown_in(lang, BY_POINTS, position=1, money="S/ 100 000,00") not in page, lang
        assert shown_in(lang, "Counting rule: %(rule)s.", rule=_catalogs()[lang].gettext("Most votes first")) in page
        assert written_in(lang, "Votes per project; funded projects in green") in page
        assert counted_in(lang, "%(num)s point", "%(num)s points", 2) not in page
        rules = await _page(node, f"/b/{setup.process.slug}", lang)
        assert written_in(lang, ORDER_BY_VOTES) in rules and written_in(lang, ORDER_BY_POINTS) not in rules


async def test_equal_shares_completed_by_greedy_on_points_says_points(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock, counting_rule="mes", completion="greedy", **CUMULATIVE)
    page = await _page(node, f"/b/{setup.process.slug}", "en")
    assert "If money remains, the other projects are funded by number of points while they fit." in page
    assert "funded by number of votes" not in page


async def test_the_results_csv_gives_each_projects_points_after_its_votes(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await _published(node, clock, CUMULATIVE_BALLOTS, **CUMULATIVE)
    a, b, _ = setup.projects
    visitor = await node.visitor()
    response = await visitor.get(f"/b/{setup.process.slug}/results.csv")
    lines = (await response.text()).splitlines()
    header = lines[0].split(",")
    assert header[-1] == "points" and header[5] == "votes"
    rows = {int(line.split(",")[1]): line.split(",") for line in lines[1:]}
    assert (rows[a.id][5], rows[a.id][-1]) == ("2", "10")
    assert (rows[b.id][5], rows[b.id][-1]) == ("3", "3")


PB_CUMULATIVE = """META
key;value
budget;100
vote_type;cumulative
rule;greedy
PROJECTS
project_id;cost
1;60
2;60
VOTES
voter_id;vote;points
v1;1;5
v2;1;5
v3;2;1
v4;2;1
v5;2;1
"""


def _table(path: Path) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(
        file=str(path), rule="greedy", satisfaction="cost", completion="none", tie_break="id", seed="", json=False
    )
    assert run_tally(args, out, err) == 0, err.getvalue()
    return out.getvalue().splitlines()


def test_the_command_line_table_shows_the_points_greedy_ordered_by(tmp_path: Path) -> None:
    cumulative = tmp_path / "cumulative.pb"
    cumulative.write_text(PB_CUMULATIVE, encoding="utf-8")
    lines = _table(cumulative)
    assert lines[2].split() == ["#", "project", "cost", "votes", "points", "why"]
    assert lines[3].split()[:5] == ["1", "1", "60", "2", "10"]  # fewer votes, more points: first
    approval = tmp_path / "approval.pb"
    approval.write_text(
        PB_CUMULATIVE.replace("cumulative", "approval").replace("vote;points", "vote").replace(";5\n", "\n")
        .replace(";1\n", "\n"),
        encoding="utf-8",
    )  # fmt: skip
    assert _table(approval)[2].split() == ["#", "project", "cost", "votes", "why"]

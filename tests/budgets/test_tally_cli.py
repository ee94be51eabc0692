"""`deliberate pb tally` as a user runs it: a real process, a real file, JSON or a table on standard output, and
a bad file refused on standard error with its line number and exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from deliberate.cli import main
from tests.budgets.conftest import BIG, PB, REFERENCE, load

ASSEN = "Netherlands_Assen_2024"


def _tally(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deliberate", "pb", "tally", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_output_gives_the_picks_in_order_an_exact_total_and_the_rule() -> None:
    done = _tally(PB / REFERENCE[ASSEN]["file"], "--rule", "mes", "--completion", "add1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["selected"] == REFERENCE[ASSEN]["results"]["mes_cost_add1"]["selected"]
    assert result["rule"] == "mes_cost_add1"
    assert result["total_cost"] == "76700"
    assert result["voter_budget"] == "42703/21"  # 100000/84 + 843 units of Add1
    funded = [p for p in result["projects"] if p["funded"]]
    for project in funded:
        paid = sum(Fraction(s["amount"]) * s["voters"] for s in project["equal_shares"]["shares"])
        assert paid == Fraction(project["cost"])


def test_a_fractional_budget_and_cardinality_greedy_threshold_run_from_the_command_line() -> None:
    stare_miasto = PB / REFERENCE["Poland_Krakow_2024_Stare_Miasto"]["file"]
    done = _tally(stare_miasto, "--rule", "greedy", "--satisfaction", "cardinality", "--json")
    assert (
        json.loads(done.stdout)["selected"]
        == REFERENCE["Poland_Krakow_2024_Stare_Miasto"]["results"]["greedy_card"]["selected"]
    )
    assert json.loads(done.stdout)["budget"] == "1546168.66"
    mokotow = PB / REFERENCE["Poland_Warszawa_2026_Mokotow"]["file"]
    done = _tally(mokotow, "--rule", "greedy-threshold", "--json")
    expected = REFERENCE["Poland_Warszawa_2026_Mokotow"]["results"]["greedy_threshold"]["selected"]
    assert json.loads(done.stdout)["selected"] == expected


def test_without_json_a_table_lists_every_project_and_the_money_left() -> None:
    done = _tally(PB / REFERENCE[ASSEN]["file"], "--rule", "mes", "--tie-break", "equalshares", "--seed", "2024")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{ASSEN}.pb: mes_cost (ties: lowest cost")
    assert len([line for line in lines if "equal shares, round" in line]) == 7
    assert lines[-1].startswith("funded 7 projects for ")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\n", 8, "no VOTES section"),
        ("META\nkey;value\nbudget;10\nvote_type;borda\n", 4, "unknown vote type 'borda'"),
        (
            "META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\n"
            "VOTES\nvoter_id;vote\nv1;1\nv2;1,9\n",
            11,
            "project '9', which PROJECTS does not list",
        ),
        (
            "META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\n2;-3\n"
            "VOTES\nvoter_id;vote\nv1;1\n",
            8,
            "negative cost",
        ),
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_exit_status_2(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    broken = tmp_path / "broken.pb"
    broken.write_text(text, encoding="utf-8")
    done = _tally(broken, "--rule", "mes", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"line {line}: " in done.stderr
    assert reason in done.stderr


def test_a_missing_file_and_a_completion_without_equal_shares_exit_with_status_2(tmp_path: Path) -> None:
    assert _tally(tmp_path / "absent.pb", "--rule", "greedy").returncode == 2
    done = _tally(PB / REFERENCE[ASSEN]["file"], "--rule", "greedy", "--completion", "add1")
    assert done.returncode == 2
    assert "--completion applies to --rule mes only" in done.stderr


def flags_for(variant: str) -> list[str]:
    """The command-line flags a variant name of `reference-results.json` stands for (`mes_card_add1_greedy`, …)."""
    satisfaction = ["--satisfaction", "cardinality"] if "_card" in variant else []
    if variant.startswith("greedy_threshold"):
        return ["--rule", "greedy-threshold", *satisfaction]
    if variant.startswith("greedy"):
        return ["--rule", "greedy", *satisfaction]
    completion = variant.removeprefix("mes_").removeprefix("cost").removeprefix("card").removeprefix("_")
    return ["--rule", "mes", *satisfaction, "--completion", completion.replace("_", "-") or "none"]


def _one_election_per_variant() -> list[tuple[str, str]]:
    """Every variant once, on the elections of at most 7,000 voters taken in turn (approval, cumulative and ordinal
    files all come up; choose-1 is only in Wrocław's 131,778 voters). All 113 non-big rows through the command took
    92 s here, this sample under 6 s. `count()` itself is checked on every row by `test_reference_results.py`; what
    this adds is the mapping from flags to rule, which one row per variant checks."""
    small = [i for i, data in REFERENCE.items() if i not in BIG and data["voters"] <= 7000]
    variants = list(dict.fromkeys(v for i in small for v in REFERENCE[i]["results"]))
    cases = []
    for turn, variant in enumerate(variants):
        having = [i for i in small if variant in REFERENCE[i]["results"]]
        cases.append((having[turn % len(having)], variant))
    return cases


CLI_CASES = _one_election_per_variant()


@pytest.mark.parametrize(("instance", "variant"), CLI_CASES, ids=[f"{i}-{v}" for i, v in CLI_CASES])
def test_the_command_gives_the_reference_result_of_every_variant(
    instance: str, variant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command-line form is the contract: each variant's flags, through `deliberate pb tally --json` in this
    process, pick the reference projects in order, under the variant's name, at their exact total cost."""
    assert main(["pb", "tally", str(PB / REFERENCE[instance]["file"]), *flags_for(variant), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = REFERENCE[instance]["results"][variant]["selected"]
    assert (result["rule"], result["selected"]) == (variant, expected)
    pb, _ = load(instance)
    costs = {p.project_id: p.cost for p in pb.projects}
    assert Fraction(result["total_cost"]) == sum((costs[p] for p in expected), Fraction(0))

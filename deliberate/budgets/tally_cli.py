"""`deliberate pb tally FILE.pb`: count a pabulib file with any variant and print the result.

The command-line form is part of the contract (issue 5): `--json` prints one object with at least `selected` (ids in
the order picked), `total_cost` (an exact string) and `rule` (the variant's name as `../shared/pb/README.md` writes
it, e.g. `mes_cost_add1`); without it, a table for people. A file that cannot be counted is refused with its line
number and the reason on standard error, exit status 2. It reads one file and writes to standard output: no
database, no network. `deliberate/cli.py` only declares the arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

from deliberate.budgets.counting import count
from deliberate.budgets.counting_model import (
    Completion,
    EqualSharesStep,
    GreedyStep,
    Method,
    Outcome,
    Reason,
    Rule,
    Satisfaction,
    TieBreak,
)
from deliberate.budgets.pabulib import PabulibError, format_number, read_pabulib

REASONS = {
    Reason.EQUAL_SHARES: "equal shares",
    Reason.GREEDY: "greedy",
    Reason.FREE: "free",
    Reason.BELOW_THRESHOLD: "below the minimum score",
    Reason.UNAFFORDABLE: "its supporters could not afford it",
    Reason.DID_NOT_FIT: "did not fit in the money left",
    Reason.NO_SUPPORT: "no votes",
    Reason.FREE_NO_SATISFACTION: "free, so it adds no satisfaction by cost; only a completion funds it",
}
# Cumulative and ordinal files give points (a ranking of k projects: k to the first, 1 to the last), and greedy orders
# their projects by the points added up: the table then shows the points next to the votes.
POINTS_VOTE_TYPES = ("cumulative", "ordinal")
TIES = {TieBreak.ID: "smallest id first (pabutools)", TieBreak.EQUALSHARES: "lowest cost, most votes, then a lot"}


def exact(value: Fraction | int) -> str:
    """An exact number as text: a decimal when it has one ("1546168.66"), else a fraction ("1/3")."""
    value = Fraction(value)
    try:
        return format_number(value)
    except ValueError:
        return f"{value.numerator}/{value.denominator}"


def run_tally(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    # The streams are looked up at each call, not bound when the module is imported: a caller that redirected
    # sys.stdout afterwards (a test, an embedding program) gets the output where it now points.
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        pb = read_pabulib(args.file)
    except PabulibError as exc:
        print(f"deliberate: {args.file}: {exc}", file=err)
        return 2
    except OSError as exc:
        print(f"deliberate: {args.file}: {exc.strerror or exc}", file=err)
        return 2
    method = Method(args.rule)
    min_score = None
    if method is Method.GREEDY_THRESHOLD:
        min_score = pb.min_project_score
        if min_score is None:
            print(f"deliberate: {args.file}: META has no min_project_score_threshold for greedy-threshold", file=err)
            return 2
    rule = Rule(
        method,
        Satisfaction(args.satisfaction),
        Completion(args.completion),
        TieBreak(args.tie_break),
        seed=args.seed,
        min_score=min_score,
    )
    outcome = count(pb.election(), rule)
    if args.json:
        json.dump(as_json(outcome, Path(args.file).name), out, ensure_ascii=False)
        out.write("\n")
    else:
        write_table(outcome, Path(args.file).name, out, points=pb.vote_type in POINTS_VOTE_TYPES)
    return 0


def as_json(outcome: Outcome, file: str) -> dict[str, Any]:
    rule = outcome.rule
    return {
        "file": file,
        "rule": rule.name,
        "method": rule.method.value,
        "satisfaction": rule.satisfaction.value,
        "completion": rule.completion.value,
        "tie_break": rule.tie_break.value,
        "seed": rule.seed if rule.tie_break is TieBreak.EQUALSHARES else None,
        "min_score": exact(rule.min_score) if rule.min_score is not None else None,
        "budget": exact(outcome.budget),
        "voters": outcome.voters,
        "selected": list(outcome.selected),
        "total_cost": exact(outcome.total_cost),
        "voter_budget": exact(outcome.voter_budget) if outcome.voter_budget is not None else None,
        "increments": outcome.increments,
        "projects": [
            {
                "id": p.project_id,
                "cost": exact(p.cost),
                "votes": p.votes,
                "score": exact(p.score),
                "funded": p.funded,
                "pick": p.pick,
                "reason": p.reason.value,
                "equal_shares": _equal_shares_json(p.equal_shares),
                "greedy": _greedy_json(p.greedy),
            }
            for p in outcome.projects
        ],
    }


def _equal_shares_json(step: EqualSharesStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "round": step.round,
        "price": exact(step.price) if step.price is not None else None,
        "shares": [{"amount": exact(s.amount), "voters": s.voters} for s in step.shares],
        "unaffordable_after": step.unaffordable_after,
        "supporters_money": exact(step.supporters_money) if step.supporters_money is not None else None,
    }


def _greedy_json(step: GreedyStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "position": step.position,
        "density": exact(step.density) if step.density is not None else None,
        "money_left": exact(step.money_left),
        "funded": step.funded,
    }


def write_table(outcome: Outcome, file: str, out: TextIO, *, points: bool = False) -> None:
    """The result for people: one row per project in the order picked. `points`: the ballots give points, so a column
    shows each project's points (what greedy orders by), after its votes (how many voters gave it any)."""
    rule = outcome.rule
    print(f"{file}: {rule.name} (ties: {TIES[rule.tie_break]})", file=out)
    line = f"budget {exact(outcome.budget)}, {outcome.voters} voters"
    if outcome.voter_budget is not None:
        line += f", {exact(round(outcome.voter_budget, 2))} per voter"
        if outcome.increments:
            line += f" (after adding {outcome.increments} to each)"
    print(line, file=out)
    header = ("#", "project", "cost", "votes", *(("points",) if points else ()), "why")
    rows = [header]
    ordered = sorted(outcome.projects, key=lambda p: (p.pick is None, p.pick or 0))
    for p in ordered:
        why = REASONS[p.reason]
        if p.equal_shares is not None and p.equal_shares.round is not None:
            why += f", round {p.equal_shares.round}"
        elif p.reason is Reason.UNAFFORDABLE and p.equal_shares is not None:
            why += f" after {p.equal_shares.unaffordable_after} funded"
        score = (exact(p.score),) if points else ()
        rows.append((str(p.pick or "-"), p.project_id, exact(p.cost), str(p.votes), *score, why))
    last = len(header) - 1
    widths = [max(len(row[i]) for row in rows) for i in range(last)]
    for row in rows:
        cells = [row[i].ljust(width) if i == 1 else row[i].rjust(width) for i, width in enumerate(widths)]
        print("  ".join([*cells, row[last]]), file=out)
    left = outcome.budget - outcome.total_cost
    print(f"funded {len(outcome.selected)} projects for {exact(outcome.total_cost)}, left {exact(left)}", file=out)

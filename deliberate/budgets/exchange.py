"""Open data: a published budget's ballots and results as pabulib `.pb` and CSV files, and importing a `.pb` file as a
process of its own (for trials, and for recounting other cities' elections with the same code).

Exports read only what is public after publication: the chain's entries (voter ids in a `.pb` file are chain
positions, never accounts) and the stored results. An import creates a process with origin 'imported' whose calendar
lies in the past, its projects (feasible as given, `external_id` = the file's project id) and its ballots (each with a
receipt hash of a fresh code nobody is shown: no one can change them), then publishes the count at once, since the
ballots came in whole. A file that cannot be read is refused with its line and the reason, changing nothing.

The count follows the rule the file's META names (`META_RULES`), so an imported city's election publishes the city's
result; the official may choose the counting rule, completion, satisfaction and tie-break instead (`ImportRules`).
A named rule this node cannot reproduce is refused rather than replaced by a near one.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import asyncpg

from deliberate.accounts.model import Account
from deliberate.budgets import publishing, voting
from deliberate.budgets import queries as process_queries
from deliberate.budgets import service as budgets
from deliberate.budgets import voting_queries as queries
from deliberate.budgets.model import BudgetProcess, BudgetProject, Zone
from deliberate.budgets.pabulib import (
    PabulibError,
    PbFile,
    build_pabulib,
    format_number,
    parse_pabulib,
    write_pabulib,
)
from deliberate.clock import Clock
from deliberate.errors import N_, InvalidInput, InvalidPbFile

VOTE_TYPES = {"approval": "approval", "knapsack": "approval", "cumulative": "cumulative", "ordinal": "ordinal"}
MAX_IMPORT_BYTES = 30 * 1024 * 1024


def _project_key(project: BudgetProject) -> str:
    return project.external_id or str(project.id)


def _zone(process: BudgetProcess, zone_id: int | None) -> Zone:
    """The zone a `.pb` file holds. A pabulib file is one election with one budget, and each zone is counted on its
    own: on a zoned process the zone must be named, never silently taken to be the first."""
    if zone_id is None and not process.zoned:
        return process.zones[0]
    zone = process.zone(zone_id) if zone_id is not None else None
    if zone is None:
        raise InvalidInput(
            field="zone",
            message=N_("A .pb file holds the ballots of one zone. Add ?zone= and the zone's number: %(zones)s."),
            zones=", ".join(f"{z.id} ({z.name})" for z in process.zones),
        )
    return zone


async def export_pabulib(conn: asyncpg.Connection, *, slug: str, zone_id: int | None = None) -> str:
    """One zone's published ballots and results as a pabulib file; a zoned process's zone must be named."""
    document = await publishing.chain_document(conn, slug=slug)
    process, results = await publishing.published_results(conn, slug=slug)
    zone = _zone(process, zone_id)
    projects = {p.id: p for p in await budgets.list_projects(conn, process.id, zone_id=zone.id, feasible_only=True)}
    by_project = {row.project_id: row for row in results}
    meta = {
        "description": process.title,
        "country": "Peru",
        "unit": zone.name if process.zoned else process.title,
        "instance": process.slug,
        "num_projects": "0",
        "num_votes": "0",
        "budget": format_number(Fraction(zone.amount)),
        "vote_type": VOTE_TYPES[process.ballot_rule],
        "rule": _pabulib_rule(process),
        "currency": "PEN",
        "language": "es",
        "date_begin": process.voting_opens_at.date().isoformat(),
        "date_end": process.voting_closes_at.date().isoformat(),
        "satisfaction": process.satisfaction,
        "tie_break": process.tie_break,
        "tie_seed": process.tie_seed,
    }
    if process.max_choices is not None:
        meta["max_length"] = str(process.max_choices)
    if process.points is not None:
        meta["max_sum_points"] = str(process.points)
    if process.min_votes is not None:
        meta["min_project_score_threshold"] = str(process.min_votes)
    if process.ballot_rule == "knapsack":
        meta["max_sum_cost"] = meta["budget"]
    pb_projects = []
    for project in projects.values():
        result = by_project.get(project.id)
        pb_projects.append(
            (
                _project_key(project),
                Fraction(project.cost),
                {
                    "name": project.title,
                    "votes": str(result.votes if result else 0),
                    "selected": "1" if result and result.selected else "0",
                },
            )
        )
    keys = {str(p.id): _project_key(p) for p in projects.values()}
    votes: list[tuple[str, list[str], list[Fraction] | None, dict[str, str]]] = []
    for entry in document["entries"]:
        if entry["zone"] != zone.id:
            continue
        choices = entry["choices"]
        if process.ballot_rule == "cumulative":
            items = sorted(choices.items(), key=lambda item: -item[1])
            votes.append((str(entry["position"]), [keys[k] for k, _ in items], [Fraction(v) for _, v in items], {}))
        else:
            votes.append((str(entry["position"]), [keys[str(p)] for p in choices], None, {}))
    return write_pabulib(build_pabulib(meta, pb_projects, votes))


def _pabulib_rule(process: BudgetProcess) -> str:
    if process.counting_rule == "mes":
        return "equalshares" + ("" if process.completion == "none" else "/" + process.completion)
    return process.counting_rule


async def results_csv(conn: asyncpg.Connection, *, slug: str) -> str:
    process, rows = await publishing.published_results(conn, slug=slug)
    zones = {z.id: z.name for z in process.zones}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # `votes`: how many voters chose the project (gave it any points); `points`: the points it received, added up,
    # which is what greedy orders by (equal to the votes on approval and knapsack ballots). Appended last, so readers
    # of the earlier columns by position are unaffected.
    writer.writerow(["zone", "project_id", "external_id", "title", "cost", "votes", "selected", "pick_order", "reason",
                     "points"])  # fmt: skip
    for row in rows:
        writer.writerow(
            [
                zones.get(row.zone_id, ""),
                row.project_id,
                row.external_id or "",
                row.title,
                format(Decimal(row.cost), "f"),
                row.votes,
                "1" if row.selected else "0",
                row.pick_order or "",
                row.explanation.get("reason", ""),
                row.explanation.get("score", row.votes),
            ]
        )
    return out.getvalue()


async def ballots_csv(conn: asyncpg.Connection, *, slug: str) -> str:
    document = await publishing.chain_document(conn, slug=slug)
    zones = {z["id"]: z["name"] for z in document["header"]["zones"]}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["position", "zone", "receipt_hash", "choices", "entry_hash"])
    for entry in document["entries"]:
        choices = entry["choices"]
        text = (
            ",".join(f"{k}:{v}" for k, v in choices.items())
            if isinstance(choices, dict)
            else ",".join(str(p) for p in choices)
        )
        writer.writerow([entry["position"], zones.get(entry["zone"], ""), entry["receipt_hash"], text,
                         entry["entry_hash"]])  # fmt: skip
    return out.getvalue()


# ---- import --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRules:
    """What the official chose on the import form or with `pb import`: each None means "as the file's META says"."""

    counting_rule: str | None = None
    completion: str | None = None
    satisfaction: str | None = None
    tie_break: str | None = None


@dataclass(frozen=True)
class ImportSettings:
    ballot_rule: str
    max_choices: int | None
    points: int | None
    counting_rule: str
    min_votes: int | None
    completion: str
    satisfaction: str = "cost"
    tie_break: str = "id"
    tie_seed: str = ""


# The META `rule` values this node counts exactly as the city did (`../shared/pb/README.md`), as (counting rule,
# completion). Wieliczka's `equalshares/add1-comparison` kept raising every voter's money past the first exhaustive
# outcome, which is our `add1-until-infeasible`, not `add1`. The `equalshares/<completion>` names are the ones
# `export_pabulib` writes, so a node's own file comes back under its own rule.
META_RULES: dict[str, tuple[str, str]] = {
    "greedy": ("greedy", "none"),
    "greedy-threshold": ("greedy-threshold", "none"),
    "equalshares": ("mes", "none"),
    "equalshares/greedy": ("mes", "greedy"),
    "equalshares/add1": ("mes", "add1"),
    "equalshares/add1-greedy": ("mes", "add1-greedy"),
    "equalshares/add1u": ("mes", "add1-greedy"),
    "equalshares/add1-comparison": ("mes", "add1-until-infeasible"),
    "equalshares/add1-until-infeasible": ("mes", "add1-until-infeasible"),
    "mes": ("mes", "none"),
}
# A file that does not know its rule (Zürich, Cambridge) is counted by greedy with cost satisfaction, pabutools'
# and pabulib's default reading; the official can choose another.
UNKNOWN_RULES = ("", "unknown")
SEED = re.compile(r"[A-Za-z0-9_-]{8,64}")  # as a process's tie_seed


def _refuse(line: int, reason: str) -> InvalidPbFile:
    return InvalidPbFile(field="file", line=line, reason=reason)


def read_import(text: str) -> PbFile:
    if len(text) > MAX_IMPORT_BYTES:
        raise _refuse(0, "the file is larger than 30 MB")
    try:
        return parse_pabulib(text)
    except PabulibError as error:
        raise _refuse(error.line, error.reason) from None


def import_settings(pb: PbFile, chosen: ImportRules | None = None, *, text: str = "") -> ImportSettings:
    """The process's ballot and counting rules as the file's META describes them (pabulib keys), with what the
    official chose in place of the file's. A rule the file names that this node cannot count as the city did (such
    as Wrocław's `greedy-no-skip`, which stops at the first project that does not fit) is refused unless the official
    chooses a counting rule: counting it under another rule and publishing that as the city's result would mislead.
    `text` is the file, to name the line of a refused META key."""
    chosen = chosen or ImportRules()
    longest = max((len(v.projects) for v in pb.votes), default=1) or 1
    max_length = _positive_int(pb.meta.get("max_length")) or None
    vote_type = pb.vote_type
    points: int | None = None
    max_choices: int | None
    if vote_type == "choose-1":
        ballot_rule, max_choices = "approval", 1
    elif vote_type == "cumulative":
        ballot_rule, max_choices = "cumulative", max_length
        most = max((sum(v.points or ()) for v in pb.votes), default=Fraction(1))
        points = _positive_int(pb.meta.get("max_sum_points")) or max(1, int(most))
    elif vote_type == "approval" and "max_sum_cost" in pb.meta and max_length is None:
        ballot_rule, max_choices = "knapsack", None
    else:
        ballot_rule, max_choices = vote_type, max(max_length or 0, longest)
    named = pb.meta.get("rule", "").strip().lower()
    if named in META_RULES:
        file_rule: tuple[str, str] | None = META_RULES[named]
    elif named in UNKNOWN_RULES:
        file_rule = ("greedy", "none")
    else:
        file_rule = None
    if chosen.counting_rule is not None:
        counting_rule = chosen.counting_rule
        # The file's completion goes with the file's rule only.
        completion = file_rule[1] if file_rule is not None and file_rule[0] == counting_rule else "none"
    elif file_rule is not None:
        counting_rule, completion = file_rule
    else:
        raise _refuse(
            _meta_line(text, "rule"),
            f"the file's rule {named!r} is not one this node counts; choose a counting rule to count it under one",
        )
    if chosen.completion is not None:
        completion = chosen.completion
    min_votes = None
    if counting_rule == "greedy-threshold":
        threshold = pb.min_project_score
        if threshold is None:
            raise _refuse(_meta_line(text, "rule"), "greedy-threshold needs the META key min_project_score_threshold")
        if threshold < 1:  # every project scores at least 0: no threshold at all
            counting_rule = "greedy"
        else:
            # Stored ballots give whole points, so scores are whole: "at least 2.5" is "at least 3".
            min_votes = math.ceil(threshold)
    satisfaction = chosen.satisfaction or _meta_choice(pb, "satisfaction", ("cost", "cardinality"), "cost")
    tie_break = chosen.tie_break or _meta_choice(pb, "tie_break", ("id", "equalshares"), "id")
    seed = pb.meta.get("tie_seed", "").strip() if tie_break == "equalshares" else ""
    if not SEED.fullmatch(seed):
        seed = ""  # the node draws one, as for a process opened without a seed
    return ImportSettings(
        ballot_rule, max_choices, points, counting_rule, min_votes, completion, satisfaction, tie_break, seed
    )


def _meta_choice(pb: PbFile, key: str, allowed: tuple[str, ...], default: str) -> str:
    """A key a node's own export writes (`satisfaction`, `tie_break`), read back when it holds a known value."""
    value = pb.meta.get(key, "").strip().lower()
    return value if value in allowed else default


def _positive_int(value: str | None) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        return 0
    return max(number, 0)


def _title(pb: PbFile, fallback: str) -> str:
    for key in ("description", "instance", "unit"):
        text = pb.meta.get(key, "").strip()
        if len(text) >= 3:
            return text[:200]
    # Stored as the process's title, which the published chain's header holds and the node signs at import (the
    # count is published at once): it cannot be translated for each reader, nor changed afterwards.
    return (fallback.strip() or "Elección importada")[:200].ljust(3, ".")


def _money(line: int, value: Fraction, what: str) -> Decimal:
    cents = value * 100
    if cents.denominator != 1:
        raise _refuse(line, f"{what} has more than two decimals")
    amount = Decimal(cents.numerator) / 100
    if amount > Decimal("999999999999.99"):
        raise _refuse(line, f"{what} is too large")
    return amount.quantize(Decimal("0.01"))


async def import_pabulib(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account | None,
    text: str,
    name: str = "",
    rules: ImportRules | None = None,
) -> BudgetProcess:
    """Create a closed, published process from a `.pb` file, counted under the rule its META names unless the
    official chose another (`rules`). Call inside a transaction: a refusal changes nothing."""
    official = budgets.check_official(actor, clock)
    pb = read_import(text)
    settings = import_settings(pb, rules, text=text)
    lines = _project_lines(text)
    budget = _money(_meta_line(text, "budget"), pb.budget, "the budget")
    if budget <= 0:
        raise _refuse(_meta_line(text, "budget"), "the budget must be more than zero")
    costs = {p.project_id: _money(lines.get(p.project_id, 0), p.cost, f"the cost of project {p.project_id}")
             for p in pb.projects}  # fmt: skip
    now = clock.now()
    data: dict[str, Any] = {
        "title": _title(pb, name),
        "description": pb.meta.get("comment", "")[:20000],
        "total_amount": str(budget),
        "zones": "",
        "ballot_rule": settings.ballot_rule,
        "max_choices": str(settings.max_choices or ""),
        "points": str(settings.points or ""),
        "counting_rule": settings.counting_rule,
        "min_votes": str(settings.min_votes or ""),
        "completion": settings.completion,
        "satisfaction": settings.satisfaction,
        # By default pabutools' rule, so a recount of another city's file matches theirs.
        "tie_break": settings.tie_break,
        "tie_seed": settings.tie_seed,
        "proposals_open_at": (now - timedelta(days=3)).isoformat(),
        "review_starts_at": (now - timedelta(days=2)).isoformat(),
        "voting_opens_at": (now - timedelta(days=1)).isoformat(),
        "voting_closes_at": (now - timedelta(seconds=1)).isoformat(),
    }
    process = await budgets.create_process(conn, clock=clock, actor=official, data=data, origin="imported")
    zone = process.zones[0]
    name_column = pb.project_columns.index("name") if "name" in pb.project_columns else None
    ids: dict[str, int] = {}
    for project in pb.projects:
        title = project.fields[name_column].strip() if name_column is not None else ""
        if len(title) < 3:
            # A project's title is in the signed chain's header (publishing.chain_header): stored for good.
            title = f"Proyecto {project.project_id}"
        project_id = await process_queries.insert_project(
            conn,
            process_id=process.id,
            zone_id=zone.id,
            title=title[:200],
            description="",
            location="",
            estimated_cost=costs[project.project_id],
            proposed_by=official.id,
            as_organization_id=None,
            now=now,
            external_id=project.project_id[:64],
        )
        # Feasible as the file gives it, with no written reason: that the project came from a file follows from the
        # process's origin, and pages say so in the reader's language (web/handlers/budgets.review_reason).
        await process_queries.update_review(
            conn,
            project_id,
            feasible=True,
            reason=None,
            final_cost=costs[project.project_id],
            by=official.id,
            now=now,
        )
        ids[project.project_id] = project_id
    ballots: list[tuple[bytes, Any]] = []
    for vote in pb.votes:
        choices: Any
        if settings.ballot_rule == "cumulative":
            if any(points.denominator != 1 for points in vote.points or ()):
                raise _refuse(0, f"voter {vote.voter_id} gives a fraction of a point; only whole points can be stored")
            choices = {str(ids[p]): int(points) for p, points in zip(vote.projects, vote.points or (), strict=True)
                       if points}  # fmt: skip
        elif settings.ballot_rule == "ordinal":
            choices = [ids[p] for p in vote.projects]
        else:
            choices = sorted(ids[p] for p in vote.projects)
        ballots.append((voting.receipt_hash(voting.new_receipt_code()), choices))
    await queries.insert_ballots(conn, process_id=process.id, zone_id=zone.id, ballots=ballots)
    await publishing.publish_results(conn, clock=clock, actor=official, slug=process.slug)
    return await budgets.get_process(conn, process.slug)


def _meta_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split(";", 1)[0].strip() == key:
            return number
    return 0


def _project_lines(text: str) -> dict[str, int]:
    """The line of each project row, to name it when its cost cannot be stored."""
    found: dict[str, int] = {}
    section, header = "", False
    for number, line in enumerate(text.splitlines(), start=1):
        head = line.strip().lower()
        if head in ("meta", "projects", "votes"):
            section, header = head, True
            continue
        if section == "projects":
            if header:
                header = False
                continue
            found.setdefault(next(csv.reader([line], delimiter=";"), [""])[0].strip(), number)
    return found

"""Read and write pabulib `.pb` files: the open format of participatory-budgeting elections (pabulib.org).

A file has three `;`-separated sections, in this order, each opened by a line holding only its name and a header row:

    META                      PROJECTS                    VOTES
    key;value                 project_id;cost;…           voter_id;vote[;points];…
    budget;1000000            7;25000;…                   v1;7,12          (approval, choose-1: the projects)
    vote_type;approval        12;40000;…                  v2;12,7;3,1      (cumulative: points, in the same order)
                                                          v3;12,7          (ordinal: best first)

Fields follow CSV quoting (`"…""…"`), the way pabulib's own files and pabutools read them.

What this module owns: turning text into a checked `PbFile` and back, and handing the counting module its input
(`PbFile.election()`). A file is refused as a whole with a `PabulibError` that names the line and the reason (a
missing section or column, an unknown vote type, a negative cost, a ballot naming a project the file does not list,
a voter counted twice…): a recount must never silently drop or guess a ballot. Numbers are read as exact fractions
(`1546168.66` stays exactly that). It must not know about the database or the web; it imports only the standard
library and the counting model.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from deliberate.budgets.counting_model import Ballot, Election, Project

VOTE_TYPES = ("approval", "choose-1", "cumulative", "ordinal")
SECTIONS = ("meta", "projects", "votes")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


class PabulibError(ValueError):
    """A `.pb` file that cannot be counted: `line` is 1-based (0 when the file as a whole is at fault)."""

    code = "invalid_pabulib_file"

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass(frozen=True)
class PbProject:
    project_id: str
    cost: Fraction
    fields: tuple[str, ...]  # every column of the row, aligned with `PbFile.project_columns`


@dataclass(frozen=True)
class PbVote:
    voter_id: str
    projects: tuple[str, ...]  # as written: the ranking, best first, for ordinal ballots
    points: tuple[Fraction, ...] | None  # cumulative ballots only, aligned with `projects`
    fields: tuple[str, ...]  # every column of the row, aligned with `PbFile.vote_columns`


@dataclass(frozen=True)
class PbFile:
    meta: dict[str, str]
    projects: tuple[PbProject, ...]
    votes: tuple[PbVote, ...]
    project_columns: tuple[str, ...] = ("project_id", "cost")
    vote_columns: tuple[str, ...] = ("voter_id", "vote")

    @property
    def vote_type(self) -> str:
        return self.meta["vote_type"]

    @property
    def budget(self) -> Fraction:
        return parse_number(self.meta["budget"])

    @property
    def min_project_score(self) -> Fraction | None:
        """The META key `min_project_score_threshold`: projects scoring less are not funded (greedy-threshold)."""
        value = self.meta.get("min_project_score_threshold")
        return None if value is None else parse_number(value)

    def election(self) -> Election:
        """The counting input: projects, and ballots as points (ordinal rankings converted as `Ballot.ranking`)."""
        projects = tuple(Project(p.project_id, p.cost) for p in self.projects)
        made: dict[tuple[tuple[str, ...], tuple[Fraction, ...] | None], Ballot] = {}
        ballots = []
        for vote in self.votes:
            key = (vote.projects, vote.points)
            ballot = made.get(key)
            if ballot is None:
                if self.vote_type == "cumulative":
                    ballot = Ballot.cumulative(zip(vote.projects, vote.points or (), strict=True))
                elif self.vote_type == "ordinal":
                    ballot = Ballot.ranking(vote.projects)
                else:
                    ballot = Ballot.approval(vote.projects)
                made[key] = ballot
            ballots.append(ballot)
        return Election(budget=self.budget, projects=projects, ballots=tuple(ballots))


def parse_number(text: str) -> Fraction:
    """An exact decimal as pabulib writes it (`1546168.66`, also `1546168,66`); raises ValueError otherwise."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a number")
    return Fraction(text.replace(",", "."))


def format_number(value: Fraction) -> str:
    """The shortest exact decimal for `value`; ValueError when it has none (e.g. 1/3)."""
    if value.denominator == 1:
        return str(value.numerator)
    digits, denominator = 0, value.denominator
    for prime in (2, 5):
        count = 0
        while denominator % prime == 0:
            denominator //= prime
            count += 1
        digits = max(digits, count)
    if denominator != 1:
        raise ValueError(f"{value} has no exact decimal form")
    scaled = abs(value.numerator) * 10**digits // value.denominator
    sign = "-" if value < 0 else ""
    return f"{sign}{scaled // 10**digits}.{scaled % 10**digits:0{digits}d}"


def read_pabulib(path: str | Path) -> PbFile:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PabulibError(0, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_pabulib(text)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the 1-based line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    line = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield line, row
            line = reader.line_num + 1
    except csv.Error as exc:
        raise PabulibError(line, f"unreadable row ({exc})") from exc


def _section_name(row: list[str]) -> str | None:
    name = row[0].strip().lower()
    if name in SECTIONS and all(not cell.strip() for cell in row[1:]):
        return name
    return None


def parse_pabulib(text: str) -> PbFile:
    """Parse and check a whole file (see the module docstring for what is refused)."""
    text = text.removeprefix("\ufeff")
    sections: dict[str, tuple[int, list[str], list[tuple[int, list[str]]]]] = {}
    current: list[tuple[int, list[str]]] | None = None
    expecting_header: str | None = None
    last_line = 0
    for line, row in _rows(text):
        last_line = line
        name = _section_name(row)
        if name is not None:
            if expecting_header is not None:
                raise PabulibError(line, f"the {expecting_header.upper()} section has no header row")
            if name in sections:
                raise PabulibError(line, f"a second {name.upper()} section")
            expected = next(s for s in SECTIONS if s not in sections)
            if name != expected:
                raise PabulibError(line, f"{name.upper()} section before the {expected.upper()} section")
            expecting_header = name
            continue
        if expecting_header is not None:
            current = []
            sections[expecting_header] = (line, [cell.strip() for cell in row], current)
            expecting_header = None
            continue
        if current is None:
            raise PabulibError(line, "the file must start with a META section")
        current.append((line, row))
    if expecting_header is not None:
        raise PabulibError(last_line, f"the {expecting_header.upper()} section has no header row")
    meta = _parse_meta(sections["meta"]) if "meta" in sections else {}
    for name in SECTIONS:
        if name not in sections:
            raise PabulibError(last_line + 1 if last_line else 0, f"no {name.upper()} section")
    project_columns, projects = _parse_projects(sections["projects"])
    vote_columns, votes = _parse_votes(sections["votes"], meta, {p.project_id for p in projects})
    _check_counts(meta, sections, projects, votes)
    return PbFile(meta, tuple(projects), tuple(votes), project_columns, vote_columns)


def _parse_meta(section: tuple[int, list[str], list[tuple[int, list[str]]]]) -> dict[str, str]:
    header_line, _header, rows = section
    meta: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        key = row[0].strip()
        if len(row) < 2 or not key:
            raise PabulibError(line, "a META row must be 'key;value'")
        if key in meta:
            raise PabulibError(line, f"META key {key!r} repeated (first on line {lines[key]})")
        meta[key], lines[key] = row[1].strip(), line
    for key in ("budget", "vote_type"):
        if key not in meta:
            raise PabulibError(header_line, f"META has no {key!r}")
    if meta["vote_type"] not in VOTE_TYPES:
        raise PabulibError(
            lines["vote_type"], f"unknown vote type {meta['vote_type']!r} (expected one of {', '.join(VOTE_TYPES)})"
        )
    for key in ("budget", "min_project_score_threshold"):
        if key in meta:
            _non_negative(lines[key], meta[key], key)
    return meta


def _non_negative(line: int, text: str, what: str) -> Fraction:
    try:
        value = parse_number(text)
    except ValueError:
        raise PabulibError(line, f"{what} {text.strip()!r} is not a number") from None
    if value < 0:
        raise PabulibError(line, f"negative {what} {text.strip()}")
    return value


def _column(columns: Sequence[str], name: str, section: str, line: int) -> int:
    try:
        return list(columns).index(name)
    except ValueError:
        raise PabulibError(line, f"the {section} header has no {name!r} column") from None


def _cells(line: int, row: list[str], columns: Sequence[str]) -> tuple[str, ...]:
    if len(row) > len(columns):
        raise PabulibError(line, f"{len(row)} fields but the header has {len(columns)}")
    cells = [cell.strip() for cell in row]
    return tuple(cells + [""] * (len(columns) - len(cells)))


def _parse_projects(
    section: tuple[int, list[str], list[tuple[int, list[str]]]],
) -> tuple[tuple[str, ...], list[PbProject]]:
    header_line, columns, rows = section
    id_at = _column(columns, "project_id", "PROJECTS", header_line)
    cost_at = _column(columns, "cost", "PROJECTS", header_line)
    projects: list[PbProject] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        cells = _cells(line, row, columns)
        project_id = cells[id_at]
        if not project_id:
            raise PabulibError(line, "a project without an id")
        if project_id in seen:
            raise PabulibError(line, f"project {project_id!r} listed twice (first on line {seen[project_id]})")
        seen[project_id] = line
        cost = _non_negative(line, cells[cost_at], f"cost of project {project_id!r}")
        projects.append(PbProject(project_id, cost, cells))
    return tuple(columns), projects


def _parse_votes(
    section: tuple[int, list[str], list[tuple[int, list[str]]]], meta: dict[str, str], known: set[str]
) -> tuple[tuple[str, ...], list[PbVote]]:
    header_line, columns, rows = section
    vote_type = meta["vote_type"]
    voter_at = _column(columns, "voter_id", "VOTES", header_line)
    vote_at = _column(columns, "vote", "VOTES", header_line)
    points_at = _column(columns, "points", "VOTES", header_line) if vote_type == "cumulative" else -1
    votes: list[PbVote] = []
    seen: dict[str, int] = {}
    parsed: dict[tuple[str, str], tuple[tuple[str, ...], tuple[Fraction, ...] | None]] = {}  # same text, same ballot
    width = len(columns)
    for line, row in rows:
        cells = tuple([cell.strip() for cell in row]) if len(row) == width else _cells(line, row, columns)
        voter_id = cells[voter_at]
        if not voter_id:
            raise PabulibError(line, "a vote without a voter_id")
        if voter_id in seen:
            raise PabulibError(line, f"voter {voter_id!r} voted twice (first on line {seen[voter_id]})")
        seen[voter_id] = line
        text = (cells[vote_at], cells[points_at] if points_at >= 0 else "")
        ballot = parsed.get(text)
        if ballot is None:
            ballot = parsed[text] = _parse_ballot(line, text, vote_type, known)
        votes.append(PbVote(voter_id, ballot[0], ballot[1], cells))
    return tuple(columns), votes


def _parse_ballot(
    line: int, text: tuple[str, str], vote_type: str, known: set[str]
) -> tuple[tuple[str, ...], tuple[Fraction, ...] | None]:
    chosen = tuple(item.strip() for item in text[0].split(",") if item.strip())
    for project_id in chosen:
        if project_id not in known:
            raise PabulibError(line, f"the ballot names project {project_id!r}, which PROJECTS does not list")
    if len(set(chosen)) != len(chosen):
        raise PabulibError(line, "the ballot names the same project twice")
    if vote_type == "choose-1" and len(chosen) > 1:
        raise PabulibError(line, f"a choose-1 ballot names {len(chosen)} projects")
    if vote_type != "cumulative":
        return chosen, None
    items = [item for item in text[1].split(",") if item.strip()]
    if len(items) != len(chosen):
        raise PabulibError(line, f"{len(chosen)} projects but {len(items)} points")
    return chosen, tuple(_non_negative(line, item, "points") for item in items)


def _check_counts(
    meta: dict[str, str],
    sections: dict[str, tuple[int, list[str], list[tuple[int, list[str]]]]],
    projects: list[PbProject],
    votes: list[PbVote],
) -> None:
    meta_lines = {row[0].strip(): line for line, row in sections["meta"][2]}
    for key, actual in (("num_projects", len(projects)), ("num_votes", len(votes))):
        if key in meta and meta[key] != str(actual):
            raise PabulibError(meta_lines[key], f"{key} says {meta[key]} but the file has {actual}")


def write_pabulib(pb: PbFile) -> str:
    """The file as text; `num_projects` and `num_votes` are written from the actual counts."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    meta = dict(pb.meta)
    if "num_projects" in meta or "num_votes" in meta:
        meta["num_projects"], meta["num_votes"] = str(len(pb.projects)), str(len(pb.votes))
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(meta.items())
    writer.writerow(["PROJECTS"])
    writer.writerow(pb.project_columns)
    writer.writerows(p.fields for p in pb.projects)
    writer.writerow(["VOTES"])
    writer.writerow(pb.vote_columns)
    writer.writerows(v.fields for v in pb.votes)
    return out.getvalue()


def build_pabulib(
    meta: dict[str, str],
    projects: Sequence[tuple[str, Fraction, dict[str, str]]],
    votes: Sequence[tuple[str, Sequence[str], Sequence[Fraction] | None, dict[str, str]]],
) -> PbFile:
    """A `PbFile` from plain values (an export): each project `(id, cost, other columns)`, each vote
    `(voter_id, projects, points or None, other columns)`. The result is checked by parsing what it would write."""
    project_extra = list(dict.fromkeys(key for _, _, extra in projects for key in extra))
    vote_extra = list(dict.fromkeys(key for *_, extra in votes for key in extra))
    project_columns = ("project_id", "cost", *project_extra)
    with_points = meta.get("vote_type") == "cumulative"
    vote_columns = ("voter_id", "vote", *(("points",) if with_points else ()), *vote_extra)
    pb_projects = tuple(
        PbProject(pid, cost, (pid, format_number(cost), *(extra.get(k, "") for k in project_extra)))
        for pid, cost, extra in projects
    )
    pb_votes = tuple(
        PbVote(
            voter,
            tuple(chosen),
            tuple(points) if points is not None else None,
            (
                voter,
                ",".join(chosen),
                *((",".join(format_number(p) for p in points or ()),) if with_points else ()),
                *(extra.get(k, "") for k in vote_extra),
            ),
        )
        for voter, chosen, points, extra in votes
    )
    draft = PbFile(dict(meta), pb_projects, pb_votes, project_columns, vote_columns)
    return parse_pabulib(write_pabulib(draft))

"""Voting in a participatory budget: a secret ballot that each voter can later find, unchanged, in a public chain.

## Two tables that cannot be joined

The voter roll (`budget_voter`) says who voted, in which zone and by which channel (online, or on paper at a polling
table with the official who entered it). It has no time and no reference to a ballot. The ballot box
(`budget_ballot`) holds what was voted: a random UUID key, the zone, the choices and a receipt hash. It has no voter,
no time and no sequence number. Casting writes one row in each, in one transaction (`cast_ballot`):

1. lock the process row FOR SHARE (voters do not block each other; publishing takes FOR UPDATE, so it waits for the
   casts in flight and every later cast sees voting closed) and check the process is in its voting phase;
2. check the voter is a verified resident who may act (not suspended);
3. insert the roll row: its primary key (process, account) refuses a second ballot, even when two arrive at the same
   instant ("you already voted; to change your vote use your receipt code");
4. insert the ballot.

No domain event is recorded: an event naming the voter would sit in an ordered, timestamped log next to the ballot's
transaction; even a count-only event would give each cast a sequence number. The roll and the box are the record.

## The receipt code

The voter is shown a receipt code once: 80 random bits as 16 Crockford base32 characters in groups of four
(`7KQ2-M9XD-4TRA-HV0E`). The node never stores it. It stores two one-way hashes of it, with different domain
separators, one on each side:

* `roll_tag = SHA-256("deliberate-roll\\0" + process id + code)` on the roll row;
* `receipt_hash = SHA-256("deliberate-ballot\\0" + code)` on the ballot.

Without the code nobody can go from one to the other (that would mean guessing 80 random bits). With it, the voter can:

* change their ballot until voting closes (`change_ballot`): signed in, they give the code; their roll row must carry
  the matching roll_tag, and the ballot with the matching receipt_hash gets the new choices (same receipt). A lost code
  cannot be recovered, so the ballot stands as cast: the receipt page says so;
* after publication, find their ballot in the published chain (`check_receipt`) and see that it is unchanged.

## Paper ballots

An official at a polling table enters a paper ballot for a verified resident named by username (`enter_paper_ballot`).
The roll row has channel 'paper', the table and the official; the receipt is printed or written down for the voter.
The roll's primary key makes online-after-paper and paper-after-online impossible; the message says which happened.
The official who types a paper ballot in sees whose it is, as anyone who fills in a form for a voter does; the roll
and the box keep no link between them all the same, so nobody learns it later from the data. Marking the voter on the
roll at the table and entering the ballots afterwards from the urn without names (as CONSUL's booths do) would take
that away too; it needs a per-table reconciliation of the roll and the box, and is left for when districts ask for it.

## Ballot rules (`check_choices`)

Only feasible projects of the voter's zone; one zone per voter per process. Approval: at most max_choices projects.
Knapsack: the chosen projects' costs fit in the zone's amount and reach min_share of it when set. Cumulative:
non-negative whole points summing to at most `points`, on at most max_choices projects when set. Ordinal: up to
max_choices distinct projects, best first.

## What remains exposed, and why we accept it

The design protects the stored data: backups, exports, the published chain and any later reader of the database see
no link between a voter and a ballot. `deliberate backup` writes the roll sorted by account and the box by receipt
hash (`deliberate/runtime/backup.py`): a plain pg_dump would write both in their physical order, which is the order of
casting, so row N of one would be row N of the other. While voting is open, someone with access to the database
server itself can still correlate:

* the transaction id (xmin) and the physical order (ctid) of the two rows a cast wrote together, which a plain
  `pg_dump` or a copy of the data directory taken then carries along (use `deliberate backup`);
* the write-ahead log, which records both inserts in commit order, and any statement logging an operator turns on.

At publication (`publishing.py`), both tables are rewritten in one statement each, the roll ordered by account and
the box by receipt hash, so their rows carry the publishing transaction's id and a physical order unrelated to time;
the dead old versions are removed by the next VACUUM (autovacuum or the operator's). Write-ahead log segments are
recycled after checkpoints, but archived WAL (point-in-time recovery) keeps the link as long as it is kept.

We accept this because the people who could exploit it (database superusers during voting) are the same people who
could read the requests as they arrive at the web server: no storage layout protects a ballot from whoever runs the
machine that receives it. Writing the two rows in separate transactions would remove the shared transaction id but
could leave a roll row without a ballot, or a ballot without a voter, after a crash: one voter, one ballot matters
more. A voter who changes their ballot hands the code to the running server for that request; it is used and
forgotten, never logged or stored.

The receipt also lets its holder show someone else how they voted (the scheme is verifiable, not receipt-free): a
person who pays for or demands a vote can ask for the code and look the ballot up after publication. Only the signed-in
voter can use the code to change the ballot, so the code alone gives nobody else a vote. Stronger protection against
coercion (re-voting that cannot be seen, mix-nets) is beyond a district participatory budget, whose stakes are far
smaller than an election's.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.budgets import service as budgets
from deliberate.budgets import voting_queries as queries
from deliberate.budgets.model import BudgetProcess, BudgetProject, Phase, Zone
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    AlreadyVoted,
    InvalidBallot,
    NotVerifiedVoter,
    OnlineAfterPaper,
    PaperAfterOnline,
    VotingNotOpen,
    WrongReceiptCode,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits
_READ_AS = {"O": "0", "I": "1", "L": "1"}  # Crockford: letters people mistake for digits


@dataclass(frozen=True)
class Receipt:
    """What the voter takes away: the code (shown once, never stored) and the zone they voted in."""

    code: str
    zone_id: int
    changed: bool = False

    @property
    def display(self) -> str:
        return format_code(self.code)


@dataclass(frozen=True)
class VoterStatus:
    """Whether the signed-in account is on the roll of a process, and how."""

    voted: bool
    channel: str | None = None
    zone_id: int | None = None
    polling_table: str | None = None


@dataclass(frozen=True)
class BoxCheck:
    """A receipt looked up before publication: the ballot is in the box with these choices."""

    zone_id: int
    choices: Any


# ---- receipt codes -------------------------------------------------------------------------------------------------


def new_receipt_code() -> str:
    value = secrets.randbits(5 * CODE_LENGTH)
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(text: str) -> str:
    """The code as typed ("7kq2 m9xd-4tra hvoe") in canonical form; raises WrongReceiptCode when it cannot be one."""
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in text.upper() if ch not in " -\t")
    if len(cleaned) != CODE_LENGTH or any(ch not in CROCKFORD for ch in cleaned):
        raise WrongReceiptCode(
            field="code", message=N_("A receipt code has 16 letters and digits, like 7KQ2-M9XD-4TRA-HV0E.")
        )
    return cleaned


def roll_tag(process_id: int, code: str) -> bytes:
    return hashlib.sha256(b"deliberate-roll\0" + str(process_id).encode() + code.encode()).digest()


def receipt_hash(code: str) -> bytes:
    return hashlib.sha256(b"deliberate-ballot\0" + code.encode()).digest()


# ---- ballot rules --------------------------------------------------------------------------------------------------


def _invalid(message: str, **params: Any) -> InvalidBallot:
    return InvalidBallot(field="choices", message=message, **params)


def check_choices(
    process: BudgetProcess, zone: Zone, projects: Sequence[BudgetProject], choices: object
) -> list[int] | dict[str, int]:
    """The ballot in its stored form, or InvalidBallot saying what is wrong.

    `projects` are the feasible projects of `zone`. Approval and knapsack: a list of project ids (stored sorted);
    ordinal: a list best first; cumulative: a mapping of project id to points (stored with string keys, only
    positive points kept)."""
    by_id = {p.id: p for p in projects}
    rule = process.ballot_rule
    if rule == "cumulative":
        if not isinstance(choices, Mapping):
            raise _invalid(N_("Please give points to the projects you support."))
        points: dict[int, int] = {}
        for key, value in choices.items():
            project_id = _project_id(key, by_id)
            amount = _whole_points(value)
            if amount:
                points[project_id] = amount
        if not points:
            raise _invalid(N_("Please give points to at least one project."))
        total = sum(points.values())
        assert process.points is not None
        if total > process.points:
            raise _invalid(
                N_("You gave %(given)s points but you have %(points)s. Please take some away."),
                given=total,
                points=process.points,
            )
        if process.max_choices is not None and len(points) > process.max_choices:
            raise _invalid(N_("Please give points to at most %(max)s projects."), max=process.max_choices)
        return {str(project_id): points[project_id] for project_id in sorted(points)}
    if not isinstance(choices, Sequence) or isinstance(choices, str | bytes):
        raise _invalid(N_("Please choose at least one project."))
    chosen = [_project_id(item, by_id) for item in choices]
    if not chosen:
        raise _invalid(N_("Please choose at least one project."))
    if len(set(chosen)) != len(chosen):
        raise _invalid(N_("Each project can be chosen only once."))
    if process.max_choices is not None and len(chosen) > process.max_choices:
        raise _invalid(N_("Please choose at most %(max)s projects."), max=process.max_choices)
    if rule == "ordinal":
        return chosen
    if rule == "knapsack":
        total_cost = sum((by_id[p].cost for p in chosen), Decimal(0))
        if total_cost > zone.amount:
            raise _invalid(
                N_("The projects you chose cost %(total)s soles, more than the %(amount)s soles available."),
                total=_soles(total_cost),
                amount=_soles(zone.amount),
            )
        if process.min_share is not None and total_cost < zone.amount * process.min_share:
            raise _invalid(
                N_("Please choose projects worth at least %(minimum)s soles (you chose %(total)s)."),
                minimum=_soles(zone.amount * process.min_share),
                total=_soles(total_cost),
            )
    return sorted(chosen)


def _soles(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,.2f}".replace(",", " ").replace(".", ",")


def _project_id(value: object, by_id: Mapping[int, BudgetProject]) -> int:
    try:
        project_id = int(str(value))
    except ValueError:
        raise _invalid(N_("That project is not on this ballot.")) from None
    if project_id not in by_id:
        raise _invalid(N_("That project is not on this ballot."))
    return project_id


def _whole_points(value: object) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise _invalid(N_("Points must be whole numbers, zero or more."))
    try:
        amount = int(str(value).strip())
    except ValueError:
        raise _invalid(N_("Points must be whole numbers, zero or more.")) from None
    if amount < 0:
        raise _invalid(N_("Points must be whole numbers, zero or more."))
    return amount


def choices_from_form(process: BudgetProcess, data: Mapping[str, Any]) -> list[str] | dict[str, str]:
    """The ballot form's fields (`p_<project id>`) as choices: a ticked box for approval and knapsack, points for
    cumulative, a rank (1 best) for ordinal. Blank fields mean "not chosen"."""
    fields = {key[2:]: str(value).strip() for key, value in data.items() if key.startswith("p_")}
    if process.ballot_rule == "cumulative":
        return {key: value for key, value in fields.items() if value}
    if process.ballot_rule == "ordinal":
        ranked: list[tuple[int, str]] = []
        for key, value in fields.items():
            if not value:
                continue
            try:
                rank = int(value)
            except ValueError:
                raise _invalid(N_("Please number your choices 1, 2, 3… without gaps or repeats.")) from None
            ranked.append((rank, key))
        ranks = sorted(rank for rank, _ in ranked)
        if ranks != list(range(1, len(ranks) + 1)):
            raise _invalid(N_("Please number your choices 1, 2, 3… without gaps or repeats."))
        return [key for _, key in sorted(ranked)]
    return [key for key, value in fields.items() if value]


# ---- loading -------------------------------------------------------------------------------------------------------


async def access_process(conn: asyncpg.Connection, slug: str) -> BudgetProcess:
    return await budgets.get_process(conn, slug)


async def ballot_projects(conn: asyncpg.Connection, process: BudgetProcess, zone_id: int) -> list[BudgetProject]:
    """The projects on the ballot of a zone: the feasible ones."""
    return await budgets.list_projects(conn, process.id, zone_id=zone_id, feasible_only=True)


def _zone_for(process: BudgetProcess, zone_id: object) -> Zone:
    if len(process.zones) == 1 and zone_id in (None, ""):
        return process.zones[0]
    try:
        zone = process.zone(int(str(zone_id)))
    except ValueError:
        zone = None
    if zone is None:
        raise InvalidBallot(field="zone", message=N_("Please choose the zone where you live."))
    return zone


async def voter_status(conn: asyncpg.Connection, process: BudgetProcess, account: Account | None) -> VoterStatus:
    if account is None:
        return VoterStatus(voted=False)
    row = await queries.get_voter(conn, process_id=process.id, account_id=account.id)
    if row is None:
        return VoterStatus(voted=False)
    return VoterStatus(True, row["channel"], row["zone_id"], row["polling_table"])


async def _open_for_voting(conn: asyncpg.Connection, clock: Clock, slug: str) -> BudgetProcess:
    process = await access_process(conn, slug)
    await queries.share_lock_process(conn, process.id)
    if process.origin != "local" or await queries.is_results_published(conn, process.id):
        raise VotingNotOpen()
    if process.phase(clock.now()) is not Phase.VOTING:
        raise VotingNotOpen()
    return process


async def _check_resident(conn: asyncpg.Connection, account: Account, *, field: str | None = None) -> None:
    if not await budgets.is_verified_resident(conn, account.id):
        raise NotVerifiedVoter(field=field)


# ---- casting -------------------------------------------------------------------------------------------------------


async def cast_ballot(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, zone_id: object, choices: object
) -> Receipt:
    """Cast the signed-in voter's ballot online. Call inside the transaction that will commit it; on any refusal
    nothing is written. Returns the receipt, whose code exists nowhere else once the caller has shown it."""
    voter = accounts.check_can_act(actor, clock)
    process = await _open_for_voting(conn, clock, slug)
    await _check_resident(conn, voter)
    return await _cast(conn, process, voter, zone_id, choices, channel="online", table=None, official=None)


async def enter_paper_ballot(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account | None,
    slug: str,
    username: str,
    polling_table: str,
    zone_id: object,
    choices: object,
) -> Receipt:
    """An official at a polling table enters a resident's paper ballot; the receipt goes to the voter on paper."""
    official = budgets.check_official(actor, clock)
    table = polling_table.strip()
    if not table or len(table) > 120:
        raise InvalidBallot(
            field="polling_table", message=N_("Please name the polling table (at most 120 characters).")
        )
    process = await _open_for_voting(conn, clock, slug)
    voter = await accounts.access_member_by_username(conn, username)
    await _check_resident(conn, voter, field="username")
    return await _cast(conn, process, voter, zone_id, choices, channel="paper", table=table, official=official.id)


@dataclass(frozen=True)
class PaperTable:
    """How many paper ballots one official entered at one polling table: what the table's signed register is
    reconciled with."""

    polling_table: str
    entered_by: str
    ballots: int


async def paper_register(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str
) -> tuple[list[PaperTable], int, int]:
    """For officials: paper ballots per polling table and official, with the roll's totals (paper, all). Counts only:
    the roll says who voted, never what, and this page does not even list names."""
    budgets.check_official(actor, clock)
    process = await budgets.get_process(conn, slug)
    tables = [PaperTable(r["polling_table"], r["entered_by"], int(r["ballots"]))
              for r in await queries.paper_register(conn, process.id)]  # fmt: skip
    roll, _ = await queries.count_roll_and_box(conn, process.id)
    return tables, sum(t.ballots for t in tables), roll


async def _cast(
    conn: asyncpg.Connection,
    process: BudgetProcess,
    voter: Account,
    zone_id: object,
    choices: object,
    *,
    channel: str,
    table: str | None,
    official: int | None,
) -> Receipt:
    zone = _zone_for(process, zone_id)
    stored = check_choices(process, zone, await ballot_projects(conn, process, zone.id), choices)
    code = new_receipt_code()
    if not await queries.insert_voter(
        conn,
        process_id=process.id,
        account_id=voter.id,
        zone_id=zone.id,
        channel=channel,
        roll_tag=roll_tag(process.id, code),
        polling_table=table,
        entered_by=official,
    ):
        existing = await queries.get_voter(conn, process_id=process.id, account_id=voter.id)
        previous = existing["channel"] if existing is not None else channel
        if channel == "online" and previous == "paper":
            raise OnlineAfterPaper()
        if channel == "paper" and previous == "online":
            raise PaperAfterOnline(field="username")
        raise AlreadyVoted(field="username" if channel == "paper" else None)
    await queries.insert_ballot(
        conn, process_id=process.id, zone_id=zone.id, receipt_hash=receipt_hash(code), choices=stored
    )
    return Receipt(code, zone.id)


async def change_ballot(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, code: str, choices: object
) -> Receipt:
    """Replace the signed-in voter's ballot, proven by their receipt code; the receipt stays the same."""
    voter = accounts.check_can_act(actor, clock)
    process = await _open_for_voting(conn, clock, slug)
    canonical = normalize_code(code)
    row = await queries.get_voter(conn, process_id=process.id, account_id=voter.id)
    if row is None:
        raise WrongReceiptCode(field="code", message=N_("You have not voted in this process yet."))
    if row["channel"] == "paper":
        raise OnlineAfterPaper()
    if not secrets.compare_digest(bytes(row["roll_tag"]), roll_tag(process.id, canonical)):
        raise WrongReceiptCode(field="code")
    zone = _zone_for(process, row["zone_id"])
    stored = check_choices(process, zone, await ballot_projects(conn, process, zone.id), choices)
    if not await queries.replace_ballot_choices(
        conn, process_id=process.id, receipt_hash=receipt_hash(canonical), choices=stored
    ):
        raise WrongReceiptCode(field="code")  # unreachable while roll and box agree
    return Receipt(canonical, zone.id, changed=True)


async def find_ballot_in_box(conn: asyncpg.Connection, *, slug: str, code: str) -> BoxCheck:
    """Before publication: the holder of a code can see their ballot is in the box, as they cast it."""
    process = await access_process(conn, slug)
    canonical = normalize_code(code)
    row = await queries.get_ballot_by_receipt(conn, process_id=process.id, receipt_hash=receipt_hash(canonical))
    if row is None:
        raise WrongReceiptCode(field="code", message=N_("No ballot in this process has that receipt code."))
    return BoxCheck(row["zone_id"], row["choices"])


async def roll_and_box_sizes(conn: asyncpg.Connection, process: BudgetProcess) -> tuple[int, int]:
    return await queries.count_roll_and_box(conn, process.id)

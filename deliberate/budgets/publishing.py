"""Publishing a budget's results: the count per zone, the signed ballot chain, and checking both from outside.

`publish_results` runs once, after voting closes, in one transaction holding the process row FOR UPDATE (so no cast
is in flight, see `voting.py`):

1. rewrite the roll and the box in an order unrelated to time (`voting_queries.rewrite_roll_and_box`);
2. build the chain: the ballots sorted by receipt hash, entry i hashing entry i-1
   (`entry_hash = SHA-256(previous entry_hash + canonical JSON of the entry)`, canonical = sorted keys, no spaces,
   UTF-8). The first entry's "previous" is the genesis hash, SHA-256 over a separator and the canonical JSON of the
   election header (the process, its rule and tie seed, its zones and its projects with their costs), so the signed
   head vouches for what was counted as well as for the ballots;
3. sign the head (its 32 bytes) with the node's Ed25519 key; store head and signature (base64url, no padding);
4. count every zone with `counting.count` and store one `budget_result` row per project with its explanation.

`chain_document` is what anyone downloads: header, entries, head, signature and the node's public key. `verify_chain`
checks such a document alone (the hashes and the signature); `recount` counts it again with the same pure counting
code; neither needs the database.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from deliberate.accounts.model import Account
from deliberate.budgets import service as budgets
from deliberate.budgets import voting_queries as queries
from deliberate.budgets.counting import count
from deliberate.budgets.counting_model import (
    Ballot,
    Completion,
    Election,
    Method,
    Outcome,
    Project,
    Rule,
    Satisfaction,
    TieBreak,
)
from deliberate.budgets.model import BudgetProcess, BudgetProject, Phase
from deliberate.budgets.tally_cli import as_json
from deliberate.budgets.voting import access_process, normalize_code, receipt_hash
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    ResultsAlreadyPublished,
    ResultsNotPublished,
    VotingStillOpen,
    WrongReceiptCode,
)
from deliberate.node.service import ensure_node_keys

GENESIS_SEPARATOR = b"deliberate-budget-chain\0"


class ChainBroken(ValueError):
    """A chain document whose hashes or signature do not check out; `position` is the first bad entry (0: the
    header or the signature)."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"entry {position}: {reason}" if position else reason)
        self.position = position
        self.reason = reason


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def genesis_hash(header: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(GENESIS_SEPARATOR + canonical_json(header)).digest()


def entry_hash(previous: bytes, entry: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(previous + canonical_json(entry)).digest()


def _amount(value: Any) -> str:
    return format(value, "f")


def chain_header(process: BudgetProcess, projects: Sequence[BudgetProject]) -> dict[str, Any]:
    """What was counted: the process, its rule and seed, its zones and the projects on the ballot with their costs."""
    return {
        "process": process.slug,
        "title": process.title,
        "ballot_rule": process.ballot_rule,
        "max_choices": process.max_choices,
        "points": process.points,
        "counting_rule": process.counting_rule,
        "min_votes": process.min_votes,
        "completion": process.completion,
        "satisfaction": process.satisfaction,
        "tie_break": process.tie_break,
        "tie_seed": process.tie_seed,
        "zones": [{"id": z.id, "name": z.name, "amount": _amount(z.amount)} for z in process.zones],
        "projects": [
            {"id": p.id, "zone": p.zone_id, "title": p.title, "cost": _amount(p.cost), "external_id": p.external_id}
            for p in projects
        ],
    }


def rule_of(process: BudgetProcess | Mapping[str, Any]) -> Rule:
    def get(name: str) -> Any:
        return process[name] if isinstance(process, Mapping) else getattr(process, name)

    method = Method(get("counting_rule"))
    return Rule(
        method,
        Satisfaction(get("satisfaction")),
        Completion(get("completion")) if method is Method.MES else Completion.NONE,
        TieBreak(get("tie_break")),
        seed=get("tie_seed"),
        min_score=Fraction(get("min_votes")) if method is Method.GREEDY_THRESHOLD else None,
    )


def count_ids(header: Mapping[str, Any]) -> dict[str, str]:
    """The id each project is counted under: the imported file's own id when every project has one (so ties break
    as they did for that city: smallest id as a string), else the node's project id."""
    imported = bool(header["projects"]) and all(p.get("external_id") for p in header["projects"])
    return {str(p["id"]): (p["external_id"] if imported else str(p["id"])) for p in header["projects"]}


def ballot_of(ballot_rule: str, choices: Any, ids: Mapping[str, str] | None = None) -> Ballot:
    def name(project: object) -> str:
        return ids[str(project)] if ids is not None else str(project)

    if ballot_rule == "cumulative":
        return Ballot.cumulative({name(k): int(v) for k, v in choices.items()})
    if ballot_rule == "ordinal":
        return Ballot.ranking(name(p) for p in choices)
    return Ballot.approval(name(p) for p in choices)


def elections(header: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> dict[int, Election]:
    """One election per zone, from a chain's header and entries alone (projects under `count_ids`)."""
    ids = count_ids(header)
    result: dict[int, Election] = {}
    for zone in header["zones"]:
        projects = tuple(
            Project(ids[str(p["id"])], Fraction(p["cost"])) for p in header["projects"] if p["zone"] == zone["id"]
        )
        rule = header["ballot_rule"]
        ballots = tuple(ballot_of(rule, e["choices"], ids) for e in entries if e["zone"] == zone["id"])
        result[zone["id"]] = Election(Fraction(zone["amount"]), projects, ballots)
    return result


def recount(document: Mapping[str, Any]) -> dict[int, Outcome]:
    """Count a downloaded chain document again: the outcome per zone id."""
    header = document["header"]
    rule = rule_of(header)
    return {zone_id: count(election, rule) for zone_id, election in elections(header, document["entries"]).items()}


def verify_chain(document: Mapping[str, Any]) -> None:
    """Check every hash and the head's signature of a chain document; raises ChainBroken at the first fault."""
    previous = genesis_hash(document["header"])
    for number, entry in enumerate(document["entries"], start=1):
        body = {key: entry[key] for key in ("position", "zone", "receipt_hash", "choices")}
        if body["position"] != number:
            raise ChainBroken(number, "entries are out of order")
        computed = entry_hash(previous, body)
        if computed.hex() != entry["entry_hash"]:
            raise ChainBroken(number, "its hash does not match its content and the entry before it")
        previous = computed
    if previous.hex() != document["head"]:
        raise ChainBroken(0, "the head is not the last entry's hash")
    key = ed25519.Ed25519PublicKey.from_public_bytes(from_b64url(document["public_key"]))
    try:
        key.verify(from_b64url(document["signature"]), bytes.fromhex(document["head"]))
    except (InvalidSignature, ValueError):
        raise ChainBroken(0, "the node's signature over the head does not verify") from None


def _public_key(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return b64url(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def explanation_json(outcome: Outcome) -> dict[str, dict[str, Any]]:
    """Per project id: `deliberate pb tally --json`'s explanation, plus the zone's totals the page shows."""
    summary = as_json(outcome, "")
    extra = {
        "zone_voters": summary["voters"],
        "voter_budget": summary["voter_budget"],
        "increments": summary["increments"],
        "rule": summary["rule"],
        "min_score": summary["min_score"],
    }
    return {p["id"]: p | extra for p in summary["projects"]}


async def publish_results(conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str) -> str:
    """Count, chain, sign and store, once, after voting closes. Returns the chain head. Call inside a transaction."""
    official = budgets.check_official(actor, clock)
    found = await access_process(conn, slug)
    await queries.update_lock_process(conn, found.id)
    process = await access_process(conn, slug)  # read again under the lock
    if process.results_published_at is not None:
        raise ResultsAlreadyPublished()
    if process.phase(clock.now()) is not Phase.COUNTING:
        raise VotingStillOpen()
    await queries.rewrite_roll_and_box(conn, process.id)
    projects = await budgets.list_projects(conn, process.id, feasible_only=True)
    header = chain_header(process, projects)
    previous = genesis_hash(header)
    rows: list[tuple[Any, ...]] = []
    entries: list[dict[str, Any]] = []
    for number, ballot in enumerate(await queries.list_ballots_by_receipt(conn, process.id), start=1):
        entry = {
            "position": number,
            "zone": ballot["zone_id"],
            "receipt_hash": bytes(ballot["receipt_hash"]).hex(),
            "choices": ballot["choices"],
        }
        previous = entry_hash(previous, entry)
        entries.append(entry)
        rows.append((number, ballot["zone_id"], bytes(ballot["receipt_hash"]), ballot["choices"], previous))
    await queries.insert_chain_entries(conn, process.id, rows)
    keys = await ensure_node_keys(conn, clock=clock)
    signer = serialization.load_pem_private_key(keys.ed25519_private_pem.encode(), password=None)
    assert isinstance(signer, ed25519.Ed25519PrivateKey)
    head = previous.hex()
    signature = b64url(signer.sign(previous))
    rule = rule_of(process)
    node_id = {counted: int(project_id) for project_id, counted in count_ids(header).items()}
    results: list[tuple[Any, ...]] = []
    for zone_id, election in elections(header, entries).items():
        outcome = count(election, rule)
        explained = explanation_json(outcome)
        for result in outcome.projects:
            explanation = explained[result.project_id]
            project_id = node_id[result.project_id]
            results.append((project_id, zone_id, result.funded, result.pick, result.votes, explanation))
    await queries.insert_results(conn, process.id, results)
    public_key = _public_key(keys.ed25519_private_pem)
    if not await queries.mark_published(
        conn, process.id, by=official.id, now=clock.now(), chain_head=head, chain_signature=signature,
        chain_public_key=public_key,
    ):  # fmt: skip
        raise ResultsAlreadyPublished()
    return head


async def _published(conn: asyncpg.Connection, slug: str) -> BudgetProcess:
    process = await access_process(conn, slug)
    if process.results_published_at is None:
        raise ResultsNotPublished()
    return process


async def chain_document(conn: asyncpg.Connection, *, slug: str) -> dict[str, Any]:
    """The published chain as anyone downloads it; `key_id` is added by the web layer, which knows the node's URL."""
    process = await _published(conn, slug)
    projects = await budgets.list_projects(conn, process.id, feasible_only=True)
    entries = [
        {
            "position": row["position"],
            "zone": row["zone_id"],
            "receipt_hash": bytes(row["receipt_hash"]).hex(),
            "choices": row["choices"],
            "entry_hash": bytes(row["entry_hash"]).hex(),
        }
        for row in await queries.list_chain_entries(conn, process.id)
    ]
    return {
        "format": "deliberate-ballot-chain/1",
        "header": chain_header(process, projects),
        "entries": entries,
        "head": process.chain_head,
        "signature": process.chain_signature,
        "signature_algorithm": "Ed25519 over the 32 bytes of the head",
        "public_key": process.chain_public_key,
    }


@dataclass(frozen=True)
class ReceiptCheck:
    position: int
    zone_id: int
    choices: Any
    unchanged: bool
    total: int


def entry_of(document: Mapping[str, Any], code: str) -> Mapping[str, Any] | None:
    """The chain entry of the ballot cast with receipt `code` (as typed; WrongReceiptCode when it cannot be one)."""
    wanted = receipt_hash(normalize_code(code)).hex()
    return next((e for e in document["entries"] if e["receipt_hash"] == wanted), None)


async def check_receipt(conn: asyncpg.Connection, *, slug: str, code: str) -> ReceiptCheck:
    """Find a receipt's ballot in the published chain, and check the chain from the genesis to the signed head."""
    normalize_code(code)  # a code that cannot be one is refused before the chain is read
    document = await chain_document(conn, slug=slug)
    found = entry_of(document, code)
    if found is None:
        raise WrongReceiptCode(field="code", message=N_("No ballot in the published chain has that receipt code."))
    try:
        verify_chain(document)
        unchanged = True
    except ChainBroken:
        unchanged = False
    return ReceiptCheck(found["position"], found["zone"], found["choices"], unchanged, len(document["entries"]))


@dataclass(frozen=True)
class ResultRow:
    project_id: int
    zone_id: int
    title: str
    external_id: str | None
    cost: Any
    selected: bool
    pick_order: int | None
    votes: int
    explanation: dict[str, Any]


async def published_results(conn: asyncpg.Connection, *, slug: str) -> tuple[BudgetProcess, list[ResultRow]]:
    process = await _published(conn, slug)
    rows = [ResultRow(**dict(row)) for row in await queries.list_results(conn, process.id)]
    return process, rows

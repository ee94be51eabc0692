"""Publishing results: the count per zone, the signed chain, a receipt found in it, and a recount from the chain's
JSON alone that anyone could run (its hashes and signature checked here with hashlib and cryptography directly)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from fractions import Fraction
from typing import Any

import asyncpg
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from deliberate import errors
from deliberate.budgets import publishing, voting
from deliberate.budgets.counting import count
from deliberate.budgets.counting_model import Ballot, Election, Method, Project, Rule, TieBreak
from deliberate.clock import FrozenClock
from tests.budgets.voting_support import VotingSetup, close_voting, voting_process


async def _vote(db: asyncpg.Connection, setup: VotingSetup, ballots: list[list[int]], zone_id: int | None = None
                ) -> list[voting.Receipt]:  # fmt: skip
    receipts = []
    async with db.transaction():
        for voter, choices in zip(setup.residents, ballots, strict=False):
            receipts.append(await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=setup.process.slug,
                                                     zone_id=zone_id, choices=choices))  # fmt: skip
    return receipts


async def _published(db: asyncpg.Connection, **rule: Any) -> tuple[VotingSetup, list[voting.Receipt], dict[str, Any]]:
    setup = await voting_process(db, FrozenClock(), costs=[30000, 40000, 50000, 20000], residents=5, **rule)
    a, b, c, d = (p.id for p in setup.projects)
    receipts = await _vote(db, setup, [[a, b], [a, c], [c], [a, b, d], [b, c]])
    close_voting(setup)
    async with db.transaction():
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=setup.process.slug)
    document = await publishing.chain_document(db, slug=setup.process.slug)
    return setup, receipts, json.loads(json.dumps(document))  # as downloaded


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _check_independently(document: dict[str, Any]) -> None:
    """The chain check as an outsider writes it from the published description, without our module."""
    previous = hashlib.sha256(b"deliberate-budget-chain\0" + _canonical(document["header"])).digest()
    for entry in document["entries"]:
        body = {k: entry[k] for k in ("position", "zone", "receipt_hash", "choices")}
        previous = hashlib.sha256(previous + _canonical(body)).digest()
        assert previous.hex() == entry["entry_hash"], f"entry {entry['position']} does not chain"
    assert previous.hex() == document["head"]

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    key = ed25519.Ed25519PublicKey.from_public_bytes(unb64(document["public_key"]))
    key.verify(unb64(document["signature"]), bytes.fromhex(document["head"]))


def _recount_independently(document: dict[str, Any]) -> list[str]:
    header = document["header"]
    (zone,) = header["zones"]
    election = Election(
        Fraction(zone["amount"]),
        tuple(Project(str(p["id"]), Fraction(p["cost"])) for p in header["projects"]),
        tuple(Ballot.approval(str(i) for i in e["choices"]) for e in document["entries"]),
    )
    rule = Rule(Method(header["counting_rule"]), tie_break=TieBreak(header["tie_break"]), seed=header["tie_seed"])
    return list(count(election, rule).selected)


async def test_anyone_recounts_the_downloaded_chain_and_gets_the_published_result(db: asyncpg.Connection) -> None:
    setup, _, document = await _published(db)
    _check_independently(document)
    publishing.verify_chain(document)
    process, rows = await publishing.published_results(db, slug=setup.process.slug)
    published = [str(r.project_id) for r in sorted((r for r in rows if r.selected), key=lambda r: r.pick_order or 0)]
    assert published and _recount_independently(document) == published
    assert list(publishing.recount(document)[process.zones[0].id].selected) == published
    # greedy by votes over a budget of 100 000: a (3 votes, 30 000), b (3, 40 000) fit; c (3, 50 000) does not; d fits
    a, b, c, d = (str(p.id) for p in setup.projects)
    assert set(published) == {a, b, d} and c not in published
    assert process.chain_head == document["head"]


async def test_a_tampered_entry_breaks_the_chain(db: asyncpg.Connection) -> None:
    _, _, document = await _published(db)
    for tamper in ("choices", "zone", "drop", "swap"):
        forged = copy.deepcopy(document)
        if tamper == "choices":
            forged["entries"][1]["choices"] = forged["entries"][0]["choices"][:1]
        elif tamper == "zone":
            forged["entries"][2]["zone"] += 1
        elif tamper == "drop":
            del forged["entries"][3]
        else:
            forged["entries"][0], forged["entries"][1] = forged["entries"][1], forged["entries"][0]
        with pytest.raises(publishing.ChainBroken):
            publishing.verify_chain(forged)
        with pytest.raises(AssertionError):
            _check_independently(forged)


async def test_a_chain_rehashed_by_someone_without_the_node_key_fails_the_signature(db: asyncpg.Connection) -> None:
    _, _, document = await _published(db)
    forged = copy.deepcopy(document)
    forged["entries"][0]["choices"] = []
    previous = publishing.genesis_hash(forged["header"])
    for entry in forged["entries"]:
        body = {k: entry[k] for k in ("position", "zone", "receipt_hash", "choices")}
        previous = publishing.entry_hash(previous, body)
        entry["entry_hash"] = previous.hex()
    forged["head"] = previous.hex()
    with pytest.raises(publishing.ChainBroken) as broken:
        publishing.verify_chain(forged)
    assert broken.value.position == 0
    with pytest.raises(InvalidSignature):
        _check_independently(forged)


async def test_a_voter_finds_their_ballot_unchanged_in_the_chain(db: asyncpg.Connection) -> None:
    setup, receipts, document = await _published(db)
    check = await publishing.check_receipt(db, slug=setup.process.slug, code=receipts[2].display)
    entry = document["entries"][check.position - 1]
    assert entry["receipt_hash"] == voting.receipt_hash(receipts[2].code).hex()
    assert check.unchanged and check.choices == [setup.projects[2].id] and check.total == 5
    # The chain is in receipt-hash order, which says nothing about the order of voting.
    assert [e["receipt_hash"] for e in document["entries"]] == sorted(e["receipt_hash"] for e in document["entries"])
    await db.execute("UPDATE budget_chain_entry SET choices = '[]' WHERE position = 1")
    assert not (await publishing.check_receipt(db, slug=setup.process.slug,
                                               code=receipts[2].code)).unchanged  # fmt: skip
    with pytest.raises(errors.WrongReceiptCode):
        await publishing.check_receipt(db, slug=setup.process.slug, code=voting.new_receipt_code())


async def test_results_are_published_once_only_after_voting_closes_by_an_official(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock())
    await _vote(db, setup, [[setup.projects[0].id]])
    slug = setup.process.slug
    with pytest.raises(errors.VotingStillOpen):
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=slug)
    close_voting(setup)
    with pytest.raises(errors.NotOfficial):
        await publishing.publish_results(db, clock=setup.clock, actor=setup.residents[0], slug=slug)
    with pytest.raises(errors.ResultsNotPublished):
        await publishing.chain_document(db, slug=slug)
    async with db.transaction():
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=slug)
    with pytest.raises(errors.ResultsAlreadyPublished):
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=slug)
    assert await db.fetchval("SELECT count(*) FROM budget_chain_entry") == 1
    assert await db.fetchval("SELECT count(*) FROM budget_result") == 3


async def test_publishing_rewrites_roll_and_box_so_no_row_keeps_its_cast_transaction(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock(), residents=3)
    for voter in reversed(setup.residents):  # one transaction per cast, as over the web; not in account order
        async with db.transaction():
            await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=setup.process.slug, zone_id=None,
                                     choices=[setup.projects[0].id])  # fmt: skip
    query = "SELECT array_agg(DISTINCT xmin::text) FROM {}"
    assert await db.fetchval(query.format("budget_voter")) == await db.fetchval(query.format("budget_ballot"))
    close_voting(setup)
    async with db.transaction():
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=setup.process.slug)
    roll_xmins = await db.fetchval(query.format("budget_voter"))
    assert len(roll_xmins) == 1 and roll_xmins == await db.fetchval(query.format("budget_chain_entry"))
    assert await db.fetchval(query.format("budget_ballot")) == roll_xmins, "the box is rewritten too"
    assert await db.fetchval("SELECT count(*) FROM budget_ballot") == 3
    # And the physical order, which pg_dump follows, is no longer the order of casting.
    roll = [r[0] for r in await db.fetch("SELECT account_id FROM budget_voter ORDER BY ctid")]
    box = [bytes(r[0]) for r in await db.fetch("SELECT receipt_hash FROM budget_ballot ORDER BY ctid")]
    assert roll == sorted(roll) and box == sorted(box)


async def test_equal_shares_explanations_are_stored_per_project(db: asyncpg.Connection) -> None:
    setup, _, _ = await _published(db, counting_rule="mes", completion="add1")
    _, rows = await publishing.published_results(db, slug=setup.process.slug)
    assert len(rows) == 4
    funded = [r for r in rows if r.selected]
    assert funded and all(r.explanation["reason"] in ("equal_shares", "free") for r in funded)
    assert all(r.explanation["equal_shares"]["shares"] for r in funded if r.explanation["reason"] == "equal_shares")
    assert all(r.explanation["rule"] == "mes_cost_add1" for r in rows)


async def test_each_zone_is_counted_with_its_own_amount(db: asyncpg.Connection) -> None:
    setup = await voting_process(
        db, FrozenClock(), zones="Norte; 50000\nSur; 30000", costs=[40000, 25000, 30000, 20000], residents=2
    )
    north, south = setup.process.zones
    n1, n2 = (p.id for p in setup.zone_projects(north.id))
    async with db.transaction():
        await voting.cast_ballot(db, clock=setup.clock, actor=setup.residents[0], slug=setup.process.slug,
                                 zone_id=north.id, choices=[n1, n2])  # fmt: skip
        await voting.cast_ballot(db, clock=setup.clock, actor=setup.residents[1], slug=setup.process.slug,
                                 zone_id=south.id, choices=[p.id for p in setup.zone_projects(south.id)])  # fmt: skip
    close_voting(setup)
    async with db.transaction():
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=setup.process.slug)
    _, rows = await publishing.published_results(db, slug=setup.process.slug)
    selected = {r.project_id for r in rows if r.selected}
    # Norte (50 000): 40 000 then 30 000 does not fit. Sur (30 000): 25 000, then 20 000 does not fit.
    assert len([r for r in rows if r.zone_id == north.id and r.selected]) == 1
    assert len([r for r in rows if r.zone_id == south.id and r.selected]) == 1
    assert len(selected) == 2


async def test_a_project_below_the_minimum_votes_is_explained_as_such(db: asyncpg.Connection) -> None:
    setup, _, _ = await _published(db, counting_rule="greedy-threshold", min_votes="2")
    _, rows = await publishing.published_results(db, slug=setup.process.slug)
    below = [r for r in rows if r.explanation["reason"] == "below_threshold"]
    assert [r.project_id for r in below] == [setup.projects[3].id]  # one vote, the minimum is two
    assert below[0].explanation["min_score"] == "2" and not below[0].selected


async def test_the_chain_still_verifies_after_the_node_rotates_its_keys(db: asyncpg.Connection) -> None:
    from deliberate.node.service import rotate_keys

    setup, _, before = await _published(db)
    await rotate_keys(db, clock=setup.clock, kind="application", actor_id=0)
    after = await publishing.chain_document(db, slug=setup.process.slug)
    assert after["public_key"] == before["public_key"]
    publishing.verify_chain(after)

"""Open data: exporting a published budget as pabulib and CSV, and importing real elections from `../shared/pb`."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import asyncpg
import pytest

from deliberate import errors
from deliberate.budgets import exchange, publishing, voting
from deliberate.budgets.counting import count
from deliberate.budgets.counting_model import Method, Rule, TieBreak
from deliberate.budgets.pabulib import parse_pabulib
from deliberate.cli import main
from deliberate.clock import FrozenClock
from deliberate.db.pool import connect
from tests.budgets.conftest import PB, REFERENCE
from tests.budgets.voting_support import VotingSetup, close_voting, make_account, voting_process
from tests.conftest import Servers


async def _published(db: asyncpg.Connection, **rule: Any) -> VotingSetup:
    setup = await voting_process(db, FrozenClock(), costs=[30000, 40000, 50000, 20000], residents=4, **rule)
    ids = [p.id for p in setup.projects]
    ballots: list[Any] = [[ids[0], ids[1]], [ids[0], ids[2]], [ids[2]], [ids[0], ids[1], ids[3]]]
    if setup.process.ballot_rule == "cumulative":
        ballots = [{str(b[0]): 2, **{str(i): 1 for i in b[1:]}} for b in ballots]
    async with db.transaction():
        for voter, choices in zip(setup.residents, ballots, strict=True):
            await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=setup.process.slug, zone_id=None,
                                     choices=choices)  # fmt: skip
    close_voting(setup)
    async with db.transaction():
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=setup.process.slug)
    return setup


RULES = [
    {},
    {"ballot_rule": "cumulative", "points": "5", "max_choices": ""},
    {"ballot_rule": "ordinal", "counting_rule": "mes", "completion": "add1"},
]


@pytest.mark.parametrize("rule", RULES)
async def test_the_exported_pb_file_recounts_to_the_published_result(db: asyncpg.Connection, rule: dict[str, str]
                                                                     ) -> None:  # fmt: skip
    setup = await _published(db, **rule)
    text = await exchange.export_pabulib(db, slug=setup.process.slug)
    pb = parse_pabulib(text)
    assert pb.vote_type == {"approval": "approval"}.get(setup.process.ballot_rule, setup.process.ballot_rule)
    assert len(pb.votes) == 4 and len(pb.projects) == 4 and pb.budget == 100000
    process, rows = await publishing.published_results(db, slug=setup.process.slug)
    published = [str(r.project_id) for r in sorted((r for r in rows if r.selected), key=lambda r: r.pick_order or 0)]
    recount = count(pb.election(), publishing.rule_of(process))
    assert list(recount.selected) == published
    # The pb file's own columns agree with the stored results.
    selected_column = pb.project_columns.index("selected")
    assert sorted(p.project_id for p in pb.projects if p.fields[selected_column] == "1") == sorted(published)


async def test_results_and_ballots_csv_hold_every_project_and_every_chain_entry(db: asyncpg.Connection) -> None:
    setup = await _published(db)
    results = list(csv.DictReader(io.StringIO(await exchange.results_csv(db, slug=setup.process.slug))))
    assert len(results) == 4 and {r["selected"] for r in results} == {"0", "1"}
    assert all(r["zone"] == "Todo el distrito" for r in results)
    ballots = list(csv.DictReader(io.StringIO(await exchange.ballots_csv(db, slug=setup.process.slug))))
    document = await publishing.chain_document(db, slug=setup.process.slug)
    assert [b["receipt_hash"] for b in ballots] == [e["receipt_hash"] for e in document["entries"]]
    assert ballots[0]["choices"] == ",".join(str(p) for p in document["entries"][0]["choices"])


async def test_nothing_is_exported_before_publication(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock())
    with pytest.raises(errors.ResultsNotPublished):
        await exchange.export_pabulib(db, slug=setup.process.slug)
    with pytest.raises(errors.ResultsNotPublished):
        await exchange.results_csv(db, slug=setup.process.slug)


@pytest.mark.parametrize(
    ("instance", "variant"),
    [("Netherlands_Assen_2024", "mes_cost_add1"), ("Poland_Czestochowa_2020_Grabowka", "greedy_cost"),
     ("Switzerland_Zurich_S5R", "greedy_cost")],
)  # fmt: skip
async def test_an_imported_election_is_published_with_the_reference_winners(
    db: asyncpg.Connection, instance: str, variant: str
) -> None:
    clock = FrozenClock()
    official = await make_account(db, clock, "importadora", "official")
    text = (PB / REFERENCE[instance]["file"]).read_text(encoding="utf-8")
    async with db.transaction():
        process = await exchange.import_pabulib(db, clock=clock, actor=official, text=text, name=instance)
    assert process.origin == "imported" and process.results_published_at is not None
    _, rows = await publishing.published_results(db, slug=process.slug)
    winners = [r.external_id for r in sorted((r for r in rows if r.selected), key=lambda r: r.pick_order or 0)]
    assert winners == REFERENCE[instance]["results"][variant]["selected"]
    assert await db.fetchval("SELECT count(*) FROM budget_ballot") == REFERENCE[instance]["voters"]
    assert await db.fetchval("SELECT count(*) FROM budget_voter") == 0  # nobody of this node voted
    # The export of an imported election round-trips its project ids and recounts the same.
    exported = parse_pabulib(await exchange.export_pabulib(db, slug=process.slug))
    rule = Rule(Method.GREEDY) if variant == "greedy_cost" else publishing.rule_of(process)
    assert list(count(exported.election(), rule).selected) == winners
    assert rule.tie_break is TieBreak.ID


async def test_a_bad_file_is_refused_with_its_line_and_changes_nothing(db: asyncpg.Connection) -> None:
    clock = FrozenClock()
    official = await make_account(db, clock, "importadora", "official")
    text = (
        "META\nkey;value\nbudget;1000\nvote_type;approval\n"
        "PROJECTS\nproject_id;cost\n1;500\n2;-3\nVOTES\nvoter_id;vote\nv1;1\n"
    )
    with pytest.raises(errors.InvalidPbFile) as refused:
        async with db.transaction():
            await exchange.import_pabulib(db, clock=clock, actor=official, text=text)
    assert refused.value.params["line"] == 8
    cents = text.replace("2;-3", "2;3.125")
    with pytest.raises(errors.InvalidPbFile) as too_precise:
        async with db.transaction():
            await exchange.import_pabulib(db, clock=clock, actor=official, text=cents)
    assert too_precise.value.params["line"] == 8
    with pytest.raises(errors.NotOfficial):
        await exchange.import_pabulib(db, clock=clock, actor=await make_account(db, clock, "vecino"), text=text)
    assert await db.fetchval("SELECT count(*) FROM budget_process") == 0


async def test_the_import_command_creates_the_process(
    database: str, servers: Servers, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = await connect(database)
    try:
        await make_account(conn, FrozenClock(), "operadora", "operator")
    finally:
        await conn.close()
    monkeypatch.setenv("DELIBERATE_SECRET_KEY", "k" * 48)
    redis_db = servers.free_redis_dbs.pop(0)
    node = ["--as", "operadora", "--database-url", database, "--redis-url", servers.redis.url(redis_db)]
    try:
        good = PB / REFERENCE["Netherlands_Assen_2024"]["file"]
        assert await asyncio.to_thread(main, ["pb", "import", str(good), *node]) == 0, capsys.readouterr().err
        bad = await asyncio.to_thread(main, ["pb", "import", str(PB / "reference-results.json"), *node])
    finally:
        servers.free_redis_dbs.append(redis_db)
    assert bad == 2 and "line 1" in capsys.readouterr().err
    conn = await connect(database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM budget_ballot") == 84
        assert await conn.fetchval("SELECT count(*) FROM budget_process") == 1
    finally:
        await conn.close()

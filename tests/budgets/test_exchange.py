"""Open data: exporting a published budget as pabulib and CSV, and importing real elections from `../shared/pb`."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from deliberate import errors
from deliberate.budgets import exchange, publishing, voting
from deliberate.budgets.counting import count
from deliberate.budgets.counting_model import TieBreak
from deliberate.budgets.pabulib import parse_pabulib
from deliberate.cli import main
from deliberate.clock import FrozenClock
from deliberate.db.pool import connect
from deliberate.validation import InvalidFields
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


async def test_a_zoned_process_exports_each_zone_on_its_own_and_never_guesses_one(db: asyncpg.Connection) -> None:
    setup = await voting_process(
        db, FrozenClock(), zones="Norte; 50000\nSur; 30000", costs=[40000, 25000, 30000, 20000], residents=3
    )
    north, south = setup.process.zones
    choices = [(north, [p.id for p in setup.zone_projects(north.id)]), (south, [setup.zone_projects(south.id)[1].id]),
               (south, [p.id for p in setup.zone_projects(south.id)])]  # fmt: skip
    async with db.transaction():
        for resident, (zone, chosen) in zip(setup.residents, choices, strict=True):
            await voting.cast_ballot(db, clock=setup.clock, actor=resident, slug=setup.process.slug, zone_id=zone.id,
                                     choices=chosen)  # fmt: skip
    close_voting(setup)
    async with db.transaction():
        await publishing.publish_results(db, clock=setup.clock, actor=setup.official, slug=setup.process.slug)
    with pytest.raises(errors.InvalidInput) as unnamed:
        await exchange.export_pabulib(db, slug=setup.process.slug)
    assert unnamed.value.field == "zone" and f"{south.id} (Sur)" in unnamed.value.params["zones"]
    with pytest.raises(errors.InvalidInput):
        await exchange.export_pabulib(db, slug=setup.process.slug, zone_id=south.id + 1000)
    process, rows = await publishing.published_results(db, slug=setup.process.slug)
    for zone, voters in ((north, 1), (south, 2)):
        pb = parse_pabulib(await exchange.export_pabulib(db, slug=setup.process.slug, zone_id=zone.id))
        assert pb.budget == zone.amount and pb.meta["unit"] == zone.name and len(pb.votes) == voters
        assert sorted(p.project_id for p in pb.projects) == sorted(str(p.id) for p in setup.zone_projects(zone.id))
        published = [str(r.project_id) for r in sorted(rows, key=lambda r: r.pick_order or 0)
                     if r.zone_id == zone.id and r.selected]  # fmt: skip
        assert list(count(pb.election(), publishing.rule_of(process)).selected) == published


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


# (instance, the variant its META names or the official chose, what the official chose instead of the file)
IMPORTS = [
    ("Netherlands_Assen_2024", "mes_cost_add1", exchange.ImportRules()),
    ("Poland_Czestochowa_2020_Grabowka", "greedy_cost", exchange.ImportRules()),
    ("Switzerland_Zurich_S5R", "greedy_cost", exchange.ImportRules()),
    # META `equalshares/add1-comparison`: Add1 raised past the first exhaustive outcome, as Wieliczka counted.
    ("Poland_Wieliczka_2023_Green_Budget", "mes_cost_add1_until_infeasible", exchange.ImportRules()),
    ("Netherlands_Assen_2024", "greedy_card", exchange.ImportRules(counting_rule="greedy", satisfaction="cardinality")),
    (
        "Netherlands_Assen_2024",
        "mes_card_greedy",
        exchange.ImportRules(completion="greedy", satisfaction="cardinality"),
    ),
]


@pytest.mark.parametrize(("instance", "variant", "rules"), IMPORTS, ids=[f"{i}-{v}" for i, v, _ in IMPORTS])
async def test_an_imported_election_is_published_with_the_reference_winners(
    db: asyncpg.Connection, instance: str, variant: str, rules: exchange.ImportRules
) -> None:
    clock = FrozenClock()
    official = await make_account(db, clock, "importadora", "official")
    text = (PB / REFERENCE[instance]["file"]).read_text(encoding="utf-8")
    async with db.transaction():
        process = await exchange.import_pabulib(db, clock=clock, actor=official, text=text, name=instance, rules=rules)
    assert process.origin == "imported" and process.results_published_at is not None
    assert publishing.rule_of(process).name == variant
    _, rows = await publishing.published_results(db, slug=process.slug)
    winners = [r.external_id for r in sorted((r for r in rows if r.selected), key=lambda r: r.pick_order or 0)]
    assert winners == REFERENCE[instance]["results"][variant]["selected"]
    assert await db.fetchval("SELECT count(*) FROM budget_ballot") == REFERENCE[instance]["voters"]
    assert await db.fetchval("SELECT count(*) FROM budget_voter") == 0  # nobody of this node voted
    # The export of an imported election round-trips its project ids and recounts the same.
    exported = parse_pabulib(await exchange.export_pabulib(db, slug=process.slug))
    rule = publishing.rule_of(process)
    assert list(count(exported.election(), rule).selected) == winners
    assert rule.tie_break is TieBreak.ID
    # Imported again as it was exported, it is counted under the same rule.
    assert exchange.import_settings(exported).satisfaction == process.satisfaction


NO_SKIP = (
    "META\nkey;value\nbudget;1000\nvote_type;approval\nrule;greedy-no-skip\n"
    "PROJECTS\nproject_id;cost\n1;600\n2;700\n3;300\nVOTES\nvoter_id;vote\nv1;1,2\nv2;2\nv3;2,3\n"
)


async def test_a_rule_the_node_cannot_reproduce_is_refused_unless_the_official_chooses_one(
    db: asyncpg.Connection,
) -> None:
    clock = FrozenClock()
    official = await make_account(db, clock, "importadora", "official")
    # Wrocław's greedy-no-skip stops at the first project that does not fit: 2 only. Greedy skips it and funds 3.
    with pytest.raises(errors.InvalidPbFile) as refused:
        async with db.transaction():
            await exchange.import_pabulib(db, clock=clock, actor=official, text=NO_SKIP)
    assert refused.value.params["line"] == 5 and "greedy-no-skip" in refused.value.params["reason"]
    assert await db.fetchval("SELECT count(*) FROM budget_process") == 0
    chosen = exchange.ImportRules(counting_rule="greedy")
    async with db.transaction():
        process = await exchange.import_pabulib(db, clock=clock, actor=official, text=NO_SKIP, rules=chosen)
    assert (process.counting_rule, process.completion, process.satisfaction) == ("greedy", "none", "cost")
    _, rows = await publishing.published_results(db, slug=process.slug)
    assert sorted(r.external_id for r in rows if r.selected) == ["2", "3"]
    # A completion the chosen rule does not use is refused next to its field, changing nothing.
    unused = exchange.ImportRules(counting_rule="greedy", completion="add1")
    with pytest.raises(InvalidFields) as wrong:
        async with db.transaction():
            await exchange.import_pabulib(db, clock=clock, actor=official, text=NO_SKIP, rules=unused)
    assert [e.field for e in wrong.value.errors] == ["completion"]
    assert await db.fetchval("SELECT count(*) FROM budget_process") == 1


def test_a_greedy_threshold_file_without_its_threshold_is_refused() -> None:
    text = NO_SKIP.replace("greedy-no-skip", "greedy-threshold")
    with pytest.raises(errors.InvalidPbFile) as refused:
        exchange.import_settings(exchange.read_import(text), text=text)
    assert refused.value.params["line"] == 5
    with_threshold = text.replace("rule;", "min_project_score_threshold;1.5\nrule;")
    settings = exchange.import_settings(exchange.read_import(with_threshold), text=with_threshold)
    assert (settings.counting_rule, settings.min_votes) == ("greedy-threshold", 2)


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
    database: str, servers: Servers, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
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
        assert bad == 2 and "line 1" in capsys.readouterr().err
        no_skip = tmp_path / "wroclaw.pb"
        no_skip.write_text(NO_SKIP, encoding="utf-8")
        refused = await asyncio.to_thread(main, ["pb", "import", str(no_skip), *node])
        assert refused == 2 and "line 5" in capsys.readouterr().err
        chosen = ["--rule", "greedy", "--satisfaction", "cardinality", "--tie-break", "equalshares"]
        assert await asyncio.to_thread(main, ["pb", "import", str(no_skip), *chosen, *node]) == 0
    finally:
        servers.free_redis_dbs.append(redis_db)
    conn = await connect(database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM budget_ballot") == 84 + 3
        chosen_rules = await conn.fetch("SELECT counting_rule, satisfaction, tie_break FROM budget_process ORDER BY id")
        assert [tuple(r) for r in chosen_rules] == [("mes", "cost", "id"), ("greedy", "cardinality", "equalshares")]
    finally:
        await conn.close()

"""Casting, changing and entering ballots through the voting service, on a real database."""

from __future__ import annotations

import asyncpg
import pytest

from deliberate import errors
from deliberate.budgets import voting
from deliberate.clock import FrozenClock
from tests.budgets.voting_support import close_voting, verified_resident, voting_process


async def _sizes(db: asyncpg.Connection) -> tuple[int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM budget_voter"),
        await db.fetchval("SELECT count(*) FROM budget_ballot"),
    )


def test_receipt_codes_are_80_random_bits_in_crockford_base32_groups_of_four() -> None:
    code = voting.new_receipt_code()
    assert len(code) == 16 and set(code) <= set(voting.CROCKFORD)
    assert voting.format_code(code).count("-") == 3
    assert voting.normalize_code(voting.format_code(code).lower()) == code
    assert voting.normalize_code("oIl0 " * 3 + "0000") == "0110" * 3 + "0000"
    assert len({voting.new_receipt_code() for _ in range(1000)}) == 1000
    with pytest.raises(errors.WrongReceiptCode):
        voting.normalize_code("ABCD-EFGH-JKMN-PQR")
    with pytest.raises(errors.WrongReceiptCode):
        voting.normalize_code("ABCD-EFGH-JKMN-PQRU")  # U is not in Crockford's alphabet


async def test_a_cast_writes_a_roll_row_and_a_ballot_that_share_nothing_but_the_zone(
    db: asyncpg.Connection,
) -> None:
    setup = await voting_process(db, FrozenClock())
    voter = setup.residents[0]
    chosen = [setup.projects[2].id, setup.projects[0].id]
    async with db.transaction():
        receipt = await voting.cast_ballot(
            db, clock=setup.clock, actor=voter, slug=setup.process.slug, zone_id=None, choices=chosen
        )
    roll = await db.fetchrow("SELECT * FROM budget_voter")
    box = await db.fetchrow("SELECT * FROM budget_ballot")
    assert set(roll.keys()) == {"process_id", "account_id", "zone_id", "channel", "roll_tag", "polling_table",
                                "entered_by"}  # fmt: skip
    assert set(box.keys()) == {"id", "process_id", "zone_id", "receipt_hash", "choices"}
    assert roll["account_id"] == voter.id and roll["channel"] == "online"
    assert bytes(roll["roll_tag"]) == voting.roll_tag(setup.process.id, receipt.code)
    assert bytes(box["receipt_hash"]) == voting.receipt_hash(receipt.code)
    assert bytes(roll["roll_tag"]) != bytes(box["receipt_hash"])
    assert box["choices"] == sorted(chosen)
    # The node keeps no copy of the code anywhere, and records no event about the cast.
    assert not await db.fetchval(
        "SELECT count(*) FROM domain_event WHERE payload::text LIKE '%' || $1 || '%'", receipt.code
    )
    assert not await db.fetchval("SELECT count(*) FROM domain_event WHERE kind LIKE '%ballot%' OR kind LIKE '%vote%'")


async def test_a_second_ballot_is_refused_with_the_receipt_hint_and_changes_nothing(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock())
    voter, slug = setup.residents[0], setup.process.slug
    async with db.transaction():
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None,
                                 choices=[setup.projects[0].id])  # fmt: skip
    with pytest.raises(errors.AlreadyVoted) as refused:
        async with db.transaction():
            await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None,
                                     choices=[setup.projects[1].id])  # fmt: skip
    assert "receipt code" in refused.value.message
    assert await _sizes(db) == (1, 1)


async def test_a_voter_changes_the_ballot_with_the_receipt_code_and_keeps_the_receipt(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock())
    voter, slug = setup.residents[0], setup.process.slug
    async with db.transaction():
        receipt = await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None,
                                           choices=[setup.projects[0].id])  # fmt: skip
        changed = await voting.change_ballot(db, clock=setup.clock, actor=voter, slug=slug,
                                             code=receipt.display.lower(), choices=[setup.projects[1].id])  # fmt: skip
    assert changed.code == receipt.code
    assert await db.fetchval("SELECT choices FROM budget_ballot") == [setup.projects[1].id]
    assert await _sizes(db) == (1, 1)


async def test_another_voters_code_or_a_wrong_code_changes_nothing(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock())
    ana, beto = setup.residents[:2]
    slug = setup.process.slug
    async with db.transaction():
        ana_receipt = await voting.cast_ballot(db, clock=setup.clock, actor=ana, slug=slug, zone_id=None,
                                               choices=[setup.projects[0].id])  # fmt: skip
        await voting.cast_ballot(db, clock=setup.clock, actor=beto, slug=slug, zone_id=None,
                                 choices=[setup.projects[0].id])  # fmt: skip
    for actor, code in ((beto, ana_receipt.code), (ana, voting.new_receipt_code())):
        with pytest.raises(errors.WrongReceiptCode):
            async with db.transaction():
                await voting.change_ballot(db, clock=setup.clock, actor=actor, slug=slug, code=code,
                                           choices=[setup.projects[2].id])  # fmt: skip
    unchanged = [f"[{setup.projects[0].id}]"] * 2
    assert await db.fetchval("SELECT array_agg(choices::text) FROM budget_ballot") == unchanged


async def test_only_verified_residents_vote_and_only_while_voting_is_open(db: asyncpg.Connection) -> None:
    clock = FrozenClock()
    setup = await voting_process(db, clock)
    from tests.budgets.voting_support import make_account

    stranger = await make_account(db, clock, "forastero")
    with pytest.raises(errors.NotVerifiedVoter):
        await voting.cast_ballot(db, clock=clock, actor=stranger, slug=setup.process.slug, zone_id=None,
                                 choices=[setup.projects[0].id])  # fmt: skip
    with pytest.raises(errors.Unauthenticated):
        await voting.cast_ballot(db, clock=clock, actor=None, slug=setup.process.slug, zone_id=None,
                                 choices=[setup.projects[0].id])  # fmt: skip
    close_voting(setup)
    with pytest.raises(errors.VotingNotOpen):
        await voting.cast_ballot(db, clock=clock, actor=setup.residents[0], slug=setup.process.slug, zone_id=None,
                                 choices=[setup.projects[0].id])  # fmt: skip
    assert await _sizes(db) == (0, 0)


async def test_paper_after_online_and_online_after_paper_are_refused(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock())
    online, paper = setup.residents[:2]
    slug, clock, official = setup.process.slug, setup.clock, setup.official
    choice = [setup.projects[0].id]
    async with db.transaction():
        await voting.cast_ballot(db, clock=clock, actor=online, slug=slug, zone_id=None, choices=choice)
        receipt = await voting.enter_paper_ballot(
            db, clock=clock, actor=official, slug=slug, username=paper.username, polling_table="Mesa 3, Centro TIC",
            zone_id=None, choices=choice,
        )  # fmt: skip
    assert len(receipt.code) == 16
    row = await db.fetchrow("SELECT channel, polling_table, entered_by FROM budget_voter WHERE account_id = $1",
                            paper.id)  # fmt: skip
    assert tuple(row) == ("paper", "Mesa 3, Centro TIC", official.id)
    with pytest.raises(errors.PaperAfterOnline):
        await voting.enter_paper_ballot(db, clock=clock, actor=official, slug=slug, username=online.username,
                                        polling_table="Mesa 3", zone_id=None, choices=choice)  # fmt: skip
    with pytest.raises(errors.OnlineAfterPaper):
        await voting.cast_ballot(db, clock=clock, actor=paper, slug=slug, zone_id=None, choices=choice)
    with pytest.raises(errors.NotOfficial):
        await voting.enter_paper_ballot(db, clock=clock, actor=online, slug=slug, username=paper.username,
                                        polling_table="Mesa 3", zone_id=None, choices=choice)  # fmt: skip
    assert await _sizes(db) == (2, 2)


async def test_approval_ballots_hold_at_most_max_choices_projects_of_the_ballot(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock(), costs=[10000, 20000, 30000, 40000], max_choices="2")
    voter, slug, ids = setup.residents[0], setup.process.slug, [p.id for p in setup.projects]
    for bad in ([], ids[:3], [ids[0], ids[0]], [999999], "x"):
        with pytest.raises(errors.InvalidBallot):
            await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None, choices=bad)
    assert await _sizes(db) == (0, 0)


async def test_knapsack_ballots_fit_in_the_zone_amount_and_reach_the_minimum_share(db: asyncpg.Connection) -> None:
    setup = await voting_process(
        db, FrozenClock(), costs=[30000, 40000, 50000], total="100000", ballot_rule="knapsack", max_choices="",
        min_share="0.5",
    )  # fmt: skip
    voter, slug, (a, b, c) = setup.residents[0], setup.process.slug, [p.id for p in setup.projects]
    with pytest.raises(errors.InvalidBallot) as over:
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None, choices=[a, b, c])
    assert over.value.params["total"] == "120 000,00"
    with pytest.raises(errors.InvalidBallot):
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None, choices=[b])
    async with db.transaction():
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None, choices=[a, c])
    assert await _sizes(db) == (1, 1)


async def test_cumulative_ballots_spread_whole_points_up_to_the_total(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock(), ballot_rule="cumulative", points="10", max_choices="2")
    voter, slug, (a, b, c) = setup.residents[0], setup.process.slug, [p.id for p in setup.projects]
    for bad in ({a: 6, b: 5}, {a: -1, b: 3}, {a: "1.5"}, {a: 1, b: 1, c: 1}, {a: 0}, [a]):
        with pytest.raises(errors.InvalidBallot):
            await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None, choices=bad)
    async with db.transaction():
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None,
                                 choices={str(b): "7", str(a): 3, str(c): 0})  # fmt: skip
    assert await db.fetchval("SELECT choices FROM budget_ballot") == {str(a): 3, str(b): 7}


async def test_ordinal_ballots_keep_their_order_and_the_form_ranks_must_have_no_gaps(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock(), ballot_rule="ordinal", max_choices="2")
    voter, slug, (a, b, c) = setup.residents[0], setup.process.slug, [p.id for p in setup.projects]
    with pytest.raises(errors.InvalidBallot):
        voting.choices_from_form(setup.process, {f"p_{a}": "1", f"p_{b}": "3"})
    ranked: object = voting.choices_from_form(setup.process, {f"p_{a}": "2", f"p_{c}": "1", f"p_{b}": ""})
    assert ranked == [str(c), str(a)]
    with pytest.raises(errors.InvalidBallot):
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None, choices=[c, b, a])
    async with db.transaction():
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None, choices=[c, a])
    assert await db.fetchval("SELECT choices FROM budget_ballot") == [c, a]


async def test_a_voter_picks_one_zone_and_only_its_projects(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock(), zones="Norte; 60000\nSur; 40000", costs=[30000, 20000, 25000])
    north, south = setup.process.zones
    voter, slug = setup.residents[0], setup.process.slug
    south_project = setup.zone_projects(south.id)[0]
    with pytest.raises(errors.InvalidBallot) as no_zone:
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=None,
                                 choices=[south_project.id])  # fmt: skip
    assert no_zone.value.field == "zone"
    with pytest.raises(errors.InvalidBallot):
        await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=north.id,
                                 choices=[south_project.id])  # fmt: skip
    async with db.transaction():
        receipt = await voting.cast_ballot(db, clock=setup.clock, actor=voter, slug=slug, zone_id=str(south.id),
                                           choices=[south_project.id])  # fmt: skip
    assert receipt.zone_id == south.id
    assert await db.fetchval("SELECT zone_id FROM budget_voter") == south.id


async def test_the_code_shows_the_ballot_in_the_box_before_publication(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock())
    async with db.transaction():
        receipt = await voting.cast_ballot(db, clock=setup.clock, actor=setup.residents[0], slug=setup.process.slug,
                                           zone_id=None, choices=[setup.projects[1].id])  # fmt: skip
    found = await voting.find_ballot_in_box(db, slug=setup.process.slug, code=receipt.display)
    assert found.choices == [setup.projects[1].id]
    with pytest.raises(errors.WrongReceiptCode):
        await voting.find_ballot_in_box(db, slug=setup.process.slug, code=voting.new_receipt_code())


async def test_a_resident_verified_later_still_votes_once(db: asyncpg.Connection) -> None:
    setup = await voting_process(db, FrozenClock(), residents=0)
    late = await verified_resident(db, setup, "tardia")
    async with db.transaction():
        await voting.cast_ballot(db, clock=setup.clock, actor=late, slug=setup.process.slug, zone_id=None,
                                 choices=[setup.projects[0].id])  # fmt: skip
    assert await _sizes(db) == (1, 1)

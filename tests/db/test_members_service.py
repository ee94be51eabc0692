"""Members' data through the service, on a real database: what deletion keeps (ballots, voter rolls, the moderation
log) and what it refuses, and that the export never reaches the ballot box."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from deliberate import errors
from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import FrozenClock
from deliberate.members import service as members
from deliberate.moderation import service as moderation
from deliberate.validation import InvalidFields
from tests.conftest import cheap_passwords

CLOCK = FrozenClock()
PASSWORDS = cheap_passwords()
PASSWORD = "clave-segura-123"


async def _member(db: asyncpg.Connection, username: str, *roles: str) -> Account:
    return await accounts.register_account(
        db, clock=CLOCK, passwords=PASSWORDS, roles=tuple(roles),  # type: ignore[arg-type]
        data={"username": username, "password": PASSWORD, "password_confirm": PASSWORD},
    )  # fmt: skip


async def _voted(db: asyncpg.Connection, voter: Account, official: Account) -> None:
    """`voter` proposed a project, is on the process's roll, and a ballot sits in its box (unlinked to anyone, as
    the voting code keeps it)."""
    process = await db.fetchval(
        """
        INSERT INTO budget_process (slug, title, total_amount, ballot_rule, max_choices, counting_rule, tie_seed,
                                    proposals_open_at, review_starts_at, voting_opens_at, voting_closes_at,
                                    created_by, created_at)
        VALUES ('pp-2027', 'Presupuesto participativo 2027', 100000, 'approval', 3, 'greedy', 'semilla-2027',
                now() - interval '30 days', now() - interval '20 days', now() - interval '10 days',
                now() + interval '10 days', $1, now())
        RETURNING id
        """,
        official.id,
    )
    zone = await db.fetchval(
        "INSERT INTO budget_zone (process_id, name, amount, position) VALUES ($1, 'Zona A', 100000, 1) RETURNING id",
        process,
    )
    await db.execute(
        """INSERT INTO budget_voter (process_id, account_id, zone_id, channel, roll_tag)
           VALUES ($1, $2, $3, 'online', sha256('tag'::bytea))""",
        process, voter.id, zone,
    )  # fmt: skip
    await db.execute(
        """INSERT INTO budget_project (process_id, zone_id, title, estimated_cost, proposed_by, created_at)
           VALUES ($1, $2, 'Losa deportiva', 50000, $3, now())""",
        process, zone, voter.id,
    )  # fmt: skip
    await db.execute(
        """INSERT INTO budget_ballot (process_id, zone_id, receipt_hash, choices)
           VALUES ($1, $2, sha256('receipt'::bytea), '[1]')""",
        process, zone,
    )  # fmt: skip


async def test_ballots_stay_counted_and_the_roll_stays_when_a_voter_deletes_the_account(db: asyncpg.Connection) -> None:
    official = await _member(db, "funcionaria", "official")
    rosa = await _member(db, "rosa")
    await _voted(db, rosa, official)
    data = await members.member_data(db, clock=CLOCK, actor=rosa)
    assert [roll["process"] for roll in data["budget_voter_rolls"]] == ["pp-2027"]
    assert "choices" not in str(data) and "receipt" not in str(data)

    async with db.transaction():
        await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=rosa,
                                     data={"password": PASSWORD, "posts": "delete"})  # fmt: skip
    assert await db.fetchval("SELECT count(*) FROM budget_ballot") == 1
    assert await db.fetchval("SELECT count(*) FROM budget_voter WHERE account_id = $1", rosa.id) == 1
    # Her proposal stays, without her name.
    assert (
        await db.fetchval("SELECT a.username FROM budget_project p JOIN account a ON a.id = p.proposed_by")
        == "cuenta-eliminada"
    )


async def test_the_moderation_log_keeps_its_decisions_about_a_deleted_member_under_their_name(
    db: asyncpg.Connection,
) -> None:
    moderator = await _member(db, "moderadora", "moderator")
    rosa = await _member(db, "rosa")
    await moderation.suspend_account(db, clock=CLOCK, actor=moderator, username="rosa",
                                     until=CLOCK.now() + timedelta(days=3), reason="Insultos repetidos")  # fmt: skip
    suspended = await accounts.access_account(db, rosa.id)
    async with db.transaction():  # a suspended member may still leave
        await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=suspended,
                                     data={"password": PASSWORD, "posts": "anonymous"})  # fmt: skip
    log = await moderation.public_log(db)
    assert [(a.kind, a.account_username, a.reason) for a in log.actions] == [
        ("suspend_account", "rosa", "Insultos repetidos")
    ]


async def test_a_deleted_account_cannot_be_deleted_again_nor_used_to_log_in(db: asyncpg.Connection) -> None:
    rosa = await _member(db, "rosa")
    async with db.transaction():
        await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=rosa,
                                     data={"password": PASSWORD, "posts": "anonymous"})  # fmt: skip
    with pytest.raises(errors.AccountAlreadyDeleted):
        await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=rosa,
                                     data={"password": PASSWORD, "posts": "anonymous"})  # fmt: skip
    with pytest.raises(errors.WrongCredentials):
        await accounts.authenticate(db, clock=CLOCK, passwords=PASSWORDS, username="rosa", password=PASSWORD)
    with pytest.raises(InvalidFields):
        await _member(db, "Rosa")  # the name stays taken, whatever its case


async def test_two_deletions_share_one_anonymous_author_and_a_member_named_like_it_keeps_their_name(
    db: asyncpg.Connection,
) -> None:
    impostor = await _member(db, "cuenta-eliminada")
    rosa, juan = await _member(db, "rosa"), await _member(db, "juan")
    for who in (rosa, juan):
        async with db.transaction():
            await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=who,
                                         data={"password": PASSWORD, "posts": "anonymous"})  # fmt: skip
    anonymous = await db.fetchrow(
        "SELECT a.id, a.username FROM anonymous_author x JOIN account a ON a.id = x.account_id"
    )
    assert anonymous["username"] == "cuenta-eliminada-2" and anonymous["id"] != impostor.id
    assert await db.fetchval("SELECT count(*) FROM account WHERE username LIKE 'cuenta-eliminada%'") == 2


async def test_consultation_answers_are_in_the_export_and_stay_counted_without_the_name(db: asyncpg.Connection) -> None:
    official = await _member(db, "funcionaria", "official")
    rosa = await _member(db, "rosa")
    forum = await db.fetchval(
        "INSERT INTO forum (slug, name, created_by, created_at) VALUES ('consulta-parques', 'Parques', $1, now()) "
        "RETURNING id",
        official.id,
    )
    consultation = await db.fetchval(
        """
        INSERT INTO consultation (slug, title, summary, opens_at, closes_at, answer_due_at, audience, forum_id,
                                  published_by, published_at)
        VALUES ('parques', 'Ordenanza de parques', 'Resumen', now(), now() + interval '10 days',
                now() + interval '40 days', 'everyone', $1, $2, now())
        RETURNING id
        """,
        forum, official.id,
    )  # fmt: skip
    question = await db.fetchval("INSERT INTO consultation_question (consultation_id, number, kind, prompt) "
                                 "VALUES ($1, 1, 'single', '¿Más árboles?') RETURNING id", consultation)  # fmt: skip
    option = await db.fetchval("INSERT INTO consultation_option (question_id, number, label) VALUES ($1, 1, 'Sí') "
                               "RETURNING id", question)  # fmt: skip
    await db.execute("INSERT INTO consultation_answer (question_id, account_id, option_ids, answered_at) "
                     "VALUES ($1, $2, ARRAY[$3::bigint], now())", question, rosa.id, option)  # fmt: skip
    await db.execute("INSERT INTO consultation_participant (consultation_id, account_id, show_name, "
                     "first_answered_at, last_answered_at) VALUES ($1, $2, true, now(), now())",
                     consultation, rosa.id)  # fmt: skip

    data = await members.member_data(db, clock=CLOCK, actor=rosa)
    assert [(a["consultation"], a["chosen"]) for a in data["consultation_answers"]] == [("parques", ["Sí"])]
    assert [p["show_name"] for p in data["consultations_taken_part_in"]] == [True]

    async with db.transaction():
        await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=rosa,
                                     data={"password": PASSWORD, "posts": "anonymous"})  # fmt: skip
    assert await db.fetchval("SELECT count(*) FROM consultation_answer") == 1
    assert await db.fetchval("SELECT show_name FROM consultation_participant WHERE account_id = $1", rosa.id) is False


async def test_other_members_notices_about_a_deleted_member_no_longer_name_them(db: asyncpg.Connection) -> None:
    rosa, juan = await _member(db, "rosa"), await _member(db, "juan")
    forum = await db.fetchval("INSERT INTO forum (slug, name, created_by, created_at) "
                              "VALUES ('general', 'General', $1, now()) RETURNING id", rosa.id)  # fmt: skip
    thread = await db.fetchval("INSERT INTO thread (forum_id, title, author_id, created_at, last_post_at) "
                               "VALUES ($1, 'Agua', $2, now(), now()) RETURNING id", forum, rosa.id)  # fmt: skip
    post = await db.fetchval("INSERT INTO post (thread_id, author_id, source, html, created_at) "
                             "VALUES ($1, $2, 'No hay agua', '<p>No hay agua</p>', now()) RETURNING id",
                             thread, rosa.id)  # fmt: skip
    await db.execute("INSERT INTO notification (account_id, kind, thread_id, post_id, actor_id, created_at) "
                     "VALUES ($1, 'new_thread', $2, $3, $4, now())", juan.id, thread, post, rosa.id)  # fmt: skip
    async with db.transaction():
        await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=rosa,
                                     data={"password": PASSWORD, "posts": "anonymous"})  # fmt: skip
    named = await db.fetchval("SELECT a.username FROM notification n JOIN account a ON a.id = n.actor_id "
                              "WHERE n.account_id = $1", juan.id)  # fmt: skip
    assert named == "cuenta-eliminada"


async def test_a_deleted_member_cannot_be_invited_verified_or_appointed(db: asyncpg.Connection) -> None:
    from deliberate.budgets import service as budgets
    from deliberate.consultations import service as consultations
    from deliberate.organizations import service as orgs

    operator = await _member(db, "operadora", "operator", "official")
    rosa = await _member(db, "rosa")
    data = {"name": "Comedor Las Flores", "kind": "comedor_popular", "zone": "Sector 2", "registry_number": "RUOS-9"}
    org = await orgs.create_organization(db, clock=CLOCK, actor=operator, data=data)
    async with db.transaction():
        await members.delete_account(db, clock=CLOCK, passwords=PASSWORDS, actor=rosa,
                                     data={"password": PASSWORD, "posts": "anonymous"})  # fmt: skip
    for attempt in (
        orgs.invite_member(db, clock=CLOCK, actor=operator, slug=org.slug, username="rosa"),
        budgets.verify_resident(db, clock=CLOCK, actor=operator, username="rosa"),
        consultations.appoint_official(
            db, clock=CLOCK, actor=operator, username="rosa", data={"name": "Rosa", "office": "Gerencia"}
        ),
    ):
        with pytest.raises(errors.NotFound) as caught:
            await attempt
        assert caught.value.field == "username"
    assert await db.fetchval("SELECT count(*) FROM membership_request") == 0
    assert await db.fetchval("SELECT count(*) FROM resident_verification") == 0

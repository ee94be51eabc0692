"""Account rules, exercised through the service against a real database."""

from __future__ import annotations

import asyncpg
import pytest

from deliberate.accounts import service as accounts
from deliberate.clock import FrozenClock
from deliberate.errors import AccountSuspended, WrongCredentials
from deliberate.validation import InvalidFields
from tests.conftest import cheap_passwords

PASSWORDS = cheap_passwords()
CLOCK = FrozenClock()


def form(username: str = "rosa.quispe", password: str = "clave-segura-123", **extra: str) -> dict[str, str]:
    return {"username": username, "password": password, "password_confirm": password, **extra}


async def register(db: asyncpg.Connection, **kwargs: str):  # type: ignore[no-untyped-def]
    return await accounts.register_account(db, clock=CLOCK, passwords=PASSWORDS, data=form(**kwargs))


async def test_registration_stores_an_argon2id_hash_and_records_an_event(db: asyncpg.Connection) -> None:
    account = await register(db, display_name="  Rosa Quispe ", email="")
    assert account.display_name == "Rosa Quispe" and account.email is None
    assert account.roles == frozenset({"member"})
    stored = await db.fetchval("SELECT password_hash FROM account WHERE id = $1", account.id)
    assert stored.startswith("$argon2id$") and "clave-segura-123" not in stored
    event = await db.fetchrow("SELECT kind, payload FROM domain_event ORDER BY id DESC LIMIT 1")
    assert event["kind"] == "account_registered" and event["payload"]["account_id"] == account.id


async def test_a_taken_username_is_refused_whatever_its_case(db: asyncpg.Connection) -> None:
    await register(db, username="Rosa")
    with pytest.raises(InvalidFields) as caught:
        await register(db, username="rosa")
    assert [(e.code, e.field) for e in caught.value.errors] == [("username_taken", "username")]
    assert await db.fetchval("SELECT count(*) FROM account") == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (form(username="ab"), "username"),
        (form(username="rosa quispe"), "username"),
        (form(username="x" * 31), "username"),
        (form(password="corta"), "password"),
        ({**form(), "password_confirm": "otra-clave-123"}, "password_confirm"),
        (form(email="no-es-correo"), "email"),
        (form(phone="98765abc"), "phone"),
        (form(display_name="x" * 10_000_000), "display_name"),
        ({"password": "clave-segura-123", "password_confirm": "clave-segura-123"}, "username"),
    ],
)
async def test_bad_registration_input_names_the_field_and_changes_nothing(
    db: asyncpg.Connection, data: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidFields) as caught:
        await accounts.register_account(db, clock=CLOCK, passwords=PASSWORDS, data=data)
    assert field in [e.field for e in caught.value.errors]
    assert await db.fetchval("SELECT count(*) FROM account") == 0
    assert await db.fetchval("SELECT count(*) FROM domain_event") == 0


async def test_authentication_accepts_the_right_password_only(db: asyncpg.Connection) -> None:
    account = await register(db)
    found = await accounts.authenticate(
        db, clock=CLOCK, passwords=PASSWORDS, username="ROSA.QUISPE", password="clave-segura-123"
    )
    assert found.id == account.id
    for username, password in [("rosa.quispe", "otra-clave-000"), ("nadie", "clave-segura-123"), ("", "")]:
        with pytest.raises(WrongCredentials):
            await accounts.authenticate(db, clock=CLOCK, passwords=PASSWORDS, username=username, password=password)


async def test_a_suspended_member_can_log_in_but_not_act_until_the_suspension_ends(db: asyncpg.Connection) -> None:
    """Logging in stays possible so the member can read and appeal; acting is what the suspension stops."""
    clock = FrozenClock()
    account = await register(db)
    await db.execute(
        "UPDATE account SET suspended_until = $2 WHERE id = $1", account.id, clock.now().replace(year=2027)
    )
    suspended = await accounts.authenticate(
        db, clock=clock, passwords=PASSWORDS, username="rosa.quispe", password="clave-segura-123"
    )
    with pytest.raises(AccountSuspended):
        accounts.check_can_act(suspended, clock)
    clock.advance(days=400)
    assert accounts.check_can_act(suspended, clock) == suspended


async def test_changing_the_password_needs_the_current_one(db: asyncpg.Connection) -> None:
    account = await register(db)
    change = {"current_password": "equivocada-123", "new_password": "nueva-clave-456",
              "new_password_confirm": "nueva-clave-456"}  # fmt: skip
    with pytest.raises(InvalidFields) as caught:
        await accounts.change_password(db, clock=CLOCK, passwords=PASSWORDS, account_id=account.id, data=change)
    assert caught.value.errors[0].field == "current_password"
    change["current_password"] = "clave-segura-123"
    await accounts.change_password(db, clock=CLOCK, passwords=PASSWORDS, account_id=account.id, data=change)
    with pytest.raises(WrongCredentials):
        await accounts.authenticate(
            db, clock=CLOCK, passwords=PASSWORDS, username="rosa.quispe", password="clave-segura-123"
        )
    assert await accounts.authenticate(
        db, clock=CLOCK, passwords=PASSWORDS, username="rosa.quispe", password="nueva-clave-456"
    )


async def test_create_operator_creates_or_promotes(db: asyncpg.Connection) -> None:
    operator = await accounts.create_operator(
        db, clock=CLOCK, passwords=PASSWORDS, username="operador", password="clave-segura-123"
    )
    assert operator.roles == frozenset({"member", "operator"})
    member = await register(db, username="juan")
    promoted = await accounts.create_operator(
        db, clock=CLOCK, passwords=PASSWORDS, username="JUAN", password="ignored-password"
    )
    assert promoted.id == member.id and "operator" in promoted.roles
    again = await accounts.create_operator(
        db, clock=CLOCK, passwords=PASSWORDS, username="juan", password="ignored-password"
    )
    assert sorted(again.roles) == ["member", "operator"]

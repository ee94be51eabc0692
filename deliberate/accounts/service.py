"""Account use cases, shared by the web forms and the `deliberate admin` command.

Verbs follow Zulip: `register_account` and `change_password` change state, `authenticate` checks a claim,
`access_account` loads one and raises when it is missing. Every function takes the connection of a transaction the
caller owns; none of them talks to Redis or the network. Rate limiting of log-ins is the web layer's job because it
is about requests, not about accounts.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import asyncpg

from deliberate.accounts import queries
from deliberate.accounts.model import ROLES, Account, ApiToken, ApiTokenForm, PasswordChange, Registration, Role
from deliberate.accounts.passwords import Passwords
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    AccountSuspended,
    InvalidInput,
    NotFound,
    Unauthenticated,
    UsernameTaken,
    WrongCredentials,
    WrongPassword,
)
from deliberate.events import record_event
from deliberate.validation import InvalidFields, parse


async def register_account(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    passwords: Passwords,
    data: Mapping[str, Any],
    roles: tuple[Role, ...] = ("member",),
) -> Account:
    """Create an account from untrusted form data. Raises InvalidFields or UsernameTaken; changes nothing then."""
    form = parse(Registration, data)
    if await queries.get_account_and_hash_by_username(conn, form.username) is not None:
        raise InvalidFields([UsernameTaken(field="username")])
    password_hash = await passwords.hash(form.password)
    try:
        async with conn.transaction():  # a savepoint, so a lost race leaves the caller's transaction usable
            account = await queries.insert_account(
                conn,
                username=form.username,
                display_name=form.display_name,
                email=form.email,
                phone=form.phone,
                password_hash=password_hash,
                roles=list(dict.fromkeys(("member", *roles))),
                now=clock.now(),
            )
    except asyncpg.UniqueViolationError:
        # Two people chose the same name at the same moment; the unique index decided.
        raise InvalidFields([UsernameTaken(field="username")]) from None
    await record_event(conn, "account_registered", {"account_id": account.id, "username": account.username})
    return account


async def authenticate(
    conn: asyncpg.Connection, *, clock: Clock, passwords: Passwords, username: str, password: str
) -> Account:
    """The account whose password this is; raises WrongCredentials (the same answer for an unknown user).

    A suspended member may still log in: to read, and to appeal the suspension in the public moderation log.
    Writing is what a suspension stops, and every service that writes checks it (`check_can_act`)."""
    if len(password) > 200 or len(username) > 30:
        await passwords.verify(None, "x")  # same cost as a real miss
        raise WrongCredentials()
    found = await queries.get_account_and_hash_by_username(conn, username)
    stored = found[1] if found else None
    if not await passwords.verify(stored, password) or found is None:
        raise WrongCredentials()
    account, stored_hash = found
    if passwords.needs_rehash(stored_hash):
        await queries.update_password_hash(
            conn, account.id, password_hash=await passwords.hash(password), now=clock.now()
        )
    return account


def check_can_act(actor: Account | None, clock: Clock) -> Account:
    """The signed-in, unsuspended account about to change something; raises otherwise."""
    if actor is None:
        raise Unauthenticated()
    if actor.suspended_until is not None and actor.suspended_until > clock.now():
        raise AccountSuspended()
    return actor


async def change_password(
    conn: asyncpg.Connection, *, clock: Clock, passwords: Passwords, account_id: int, data: Mapping[str, Any]
) -> None:
    form = parse(PasswordChange, data)
    stored = await queries.get_password_hash(conn, account_id, for_update=True)
    if stored is None:
        raise NotFound()
    if not await passwords.verify(stored, form.current_password):
        raise InvalidFields([WrongPassword(field="current_password")])
    await queries.update_password_hash(
        conn, account_id, password_hash=await passwords.hash(form.new_password), now=clock.now()
    )


async def access_account(conn: asyncpg.Connection, account_id: int) -> Account:
    account = await queries.get_account_by_id(conn, account_id)
    if account is None:
        raise NotFound()
    return account


async def access_account_by_username(conn: asyncpg.Connection, username: str) -> Account:
    # 300, not a member's 30: another server's person here is NAME@HOST (their shadow account, `/u/NAME@HOST`).
    found = await queries.get_account_and_hash_by_username(conn, username.strip()[:300])
    if found is None:
        raise NotFound(field="username", message=N_("There is no member with that username on this node."))
    return found[0]


async def access_member_by_username(conn: asyncpg.Connection, username: str) -> Account:
    """A member another member or an official names to act on them (invite, verify, appoint): a deleted account keeps
    its username, so that nobody else can take it, but is nobody to name any more."""
    found = await queries.get_active_account_by_username(conn, username.strip()[:30])
    if found is None:
        raise NotFound(field="username", message=N_("There is no member with that username on this node."))
    return found


async def find_account(conn: asyncpg.Connection, account_id: int) -> Account | None:
    """The account a session names, if it still exists and is not deleted. Deleting an account ends its sessions
    after the transaction commits; a session that outlived that (the session store unreachable at that moment) must
    still sign nobody in."""
    return await queries.get_active_account_by_id(conn, account_id)


async def grant_role(conn: asyncpg.Connection, *, account_id: int, role: str) -> Account:
    if role not in ROLES:
        raise InvalidInput(field="role")
    await access_account(conn, account_id)
    account = await queries.add_role(conn, account_id, role=role)
    await record_event(conn, "role_granted", {"account_id": account_id, "role": role})
    return account


async def create_operator(
    conn: asyncpg.Connection, *, clock: Clock, passwords: Passwords, username: str, password: str
) -> Account:
    """Register `username` as an operator, or make an existing account one (its password is left unchanged)."""
    found = await queries.get_account_and_hash_by_username(conn, username, for_update=True)
    if found is not None:
        return await grant_role(conn, account_id=found[0].id, role="operator")
    return await register_account(
        conn,
        clock=clock,
        passwords=passwords,
        data={"username": username, "password": password, "password_confirm": password},
        roles=("operator",),
    )


async def count_accounts(conn: asyncpg.Connection) -> int:
    return await queries.count_accounts(conn)


TOKEN_PREFIX = "dlb_"  # noqa: S105 - a public prefix that lets secret scanners recognise our tokens


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_api_token(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, data: Mapping[str, Any]
) -> tuple[str, ApiToken]:
    """A new personal token; the plain token is returned once and never stored."""
    form = parse(ApiTokenForm, data)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = await queries.insert_api_token(
        conn, account_id=actor.id, name=form.name, token_hash=_token_hash(token), now=clock.now()
    )
    await record_event(conn, "api_token_created", {"account_id": actor.id, "token_id": record.id})
    return token, record


async def authenticate_token(conn: asyncpg.Connection, *, clock: Clock, token: str) -> Account:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise WrongCredentials()
    account_id = await queries.use_api_token(conn, _token_hash(token), now=clock.now())
    account = await queries.get_account_by_id(conn, account_id) if account_id is not None else None
    if account is None:
        raise WrongCredentials()
    return account


async def list_api_tokens(conn: asyncpg.Connection, *, actor: Account) -> list[ApiToken]:
    return await queries.list_api_tokens(conn, actor.id)


async def revoke_api_token(conn: asyncpg.Connection, *, clock: Clock, actor: Account, token_id: int) -> None:
    if not await queries.revoke_api_token(conn, token_id, account_id=actor.id, now=clock.now()):
        raise NotFound()
    await record_event(conn, "api_token_revoked", {"account_id": actor.id, "token_id": token_id})

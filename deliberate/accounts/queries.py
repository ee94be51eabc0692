"""SQL for accounts. The only module that writes the `account` table."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.accounts.model import Account

_COLUMNS = "id, username, display_name, email, phone, roles, created_at, suspended_until"


def _account(row: asyncpg.Record) -> Account:
    return Account(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        email=row["email"],
        phone=row["phone"],
        roles=frozenset(row["roles"]),
        created_at=row["created_at"],
        suspended_until=row["suspended_until"],
    )


async def insert_account(
    conn: asyncpg.Connection,
    *,
    username: str,
    display_name: str | None,
    email: str | None,
    phone: str | None,
    password_hash: str,
    roles: list[str],
    now: datetime,
) -> Account:
    row = await conn.fetchrow(
        f"""
        INSERT INTO account (username, display_name, email, phone, password_hash, roles,
                             created_at, password_changed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
        RETURNING {_COLUMNS}
        """,
        username,
        display_name,
        email,
        phone,
        password_hash,
        roles,
        now,
    )
    return _account(row)


async def get_account_by_id(conn: asyncpg.Connection, account_id: int) -> Account | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM account WHERE id = $1", account_id)
    return _account(row) if row else None


async def get_account_and_hash_by_username(
    conn: asyncpg.Connection, username: str, *, for_update: bool = False
) -> tuple[Account, str] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS}, password_hash FROM account WHERE lower(username) = lower($1){lock}", username
    )
    return (_account(row), row["password_hash"]) if row else None


async def get_password_hash(conn: asyncpg.Connection, account_id: int, *, for_update: bool = False) -> str | None:
    lock = " FOR UPDATE" if for_update else ""
    value: str | None = await conn.fetchval(f"SELECT password_hash FROM account WHERE id = $1{lock}", account_id)
    return value


async def update_password_hash(conn: asyncpg.Connection, account_id: int, *, password_hash: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE account SET password_hash = $2, password_changed_at = $3 WHERE id = $1",
        account_id,
        password_hash,
        now,
    )


async def add_role(conn: asyncpg.Connection, account_id: int, *, role: str) -> Account:
    row = await conn.fetchrow(
        f"""
        UPDATE account SET roles = array_append(roles, $2)
        WHERE id = $1 AND NOT ($2 = ANY (roles))
        RETURNING {_COLUMNS}
        """,
        account_id,
        role,
    )
    if row is None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM account WHERE id = $1", account_id)
    return _account(row)


async def count_accounts(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval("SELECT count(*) FROM account")
    return value

"""SQL for accounts. The only module that writes the `account` table."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.accounts.model import Account, ApiToken

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


async def get_active_account_by_id(conn: asyncpg.Connection, account_id: int) -> Account | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM account WHERE id = $1 AND deleted_at IS NULL", account_id)
    return _account(row) if row else None


async def get_active_account_by_username(conn: asyncpg.Connection, username: str) -> Account | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM account WHERE lower(username) = lower($1) AND deleted_at IS NULL", username
    )
    return _account(row) if row else None


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


_API_KEY_COLUMNS = "id, account_id, name, created_at, last_used_at, revoked_at"


async def insert_api_token(
    conn: asyncpg.Connection, *, account_id: int, name: str, token_hash: bytes, now: datetime
) -> ApiToken:
    row = await conn.fetchrow(
        f"""
        INSERT INTO api_token (account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)
        RETURNING {_API_KEY_COLUMNS}
        """,
        account_id,
        name,
        token_hash,
        now,
    )
    return ApiToken(**dict(row))


async def use_api_token(conn: asyncpg.Connection, token_hash: bytes, *, now: datetime) -> int | None:
    """The account of a live token, recording when it was last used; None when unknown or revoked."""
    account_id: int | None = await conn.fetchval(
        """
        UPDATE api_token SET last_used_at = $2
        WHERE token_hash = $1 AND revoked_at IS NULL
        RETURNING account_id
        """,
        token_hash,
        now,
    )
    return account_id


async def list_api_tokens(conn: asyncpg.Connection, account_id: int) -> list[ApiToken]:
    rows = await conn.fetch(
        f"SELECT {_API_KEY_COLUMNS} FROM api_token WHERE account_id = $1 AND revoked_at IS NULL ORDER BY id", account_id
    )
    return [ApiToken(**dict(row)) for row in rows]


async def revoke_api_token(conn: asyncpg.Connection, token_id: int, *, account_id: int, now: datetime) -> bool:
    revoked = await conn.fetchval(
        """
        UPDATE api_token SET revoked_at = $3
        WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL
        RETURNING true
        """,
        token_id,
        account_id,
        now,
    )
    return bool(revoked)


async def set_suspension(conn: asyncpg.Connection, account_id: int, *, until: datetime | None) -> Account | None:
    """Suspend the account until `until`, or lift its suspension with None; the account, or None if unknown."""
    row = await conn.fetchrow(
        f"UPDATE account SET suspended_until = $2 WHERE id = $1 RETURNING {_COLUMNS}", account_id, until
    )
    return _account(row) if row else None

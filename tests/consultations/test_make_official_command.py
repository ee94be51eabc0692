"""`deliberate admin make-official`: the operators' way to name an official of the council, with name and office."""

from __future__ import annotations

import asyncpg
import pytest

from deliberate.cli import _make_official, build_parser
from deliberate.settings import Settings
from tests.conftest import Servers
from tests.db.test_organizations_service import member


def test_the_command_needs_a_name_and_an_office() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["admin", "make-official", "pepe", "--name", "Pepe Ramos"])
    args = build_parser().parse_args(["admin", "make-official", "pepe", "--name", "Pepe Ramos", "--office", "Alcaldía"])
    assert (args.username, args.name, args.office) == ("pepe", "Pepe Ramos", "Alcaldía")


async def test_the_command_makes_an_account_an_official_with_its_office(
    db: asyncpg.Connection, database: str, servers: Servers, capsys: pytest.CaptureFixture[str]
) -> None:
    await member(db, "pepe")
    settings = Settings(database_url=database, redis_url=servers.redis.url(0), secret_key="s" * 48)
    assert await _make_official(settings, "pepe", name="Pepe Ramos", office="Gerencia de Desarrollo Urbano") == 0
    assert "Pepe Ramos, Gerencia de Desarrollo Urbano" in capsys.readouterr().out
    row = await db.fetchrow("SELECT a.roles, o.name, o.office FROM account a JOIN official o ON o.account_id = a.id")
    assert "official" in row["roles"] and (row["name"], row["office"]) == (
        "Pepe Ramos",
        "Gerencia de Desarrollo Urbano",
    )
    # A too-short office is refused with the field named, and the earlier office stays.
    assert await _make_official(settings, "pepe", name="Pepe Ramos", office="x") == 2
    assert "office" in capsys.readouterr().err
    assert await db.fetchval("SELECT office FROM official") == "Gerencia de Desarrollo Urbano"

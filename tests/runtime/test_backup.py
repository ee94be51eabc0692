"""`deliberate backup` and `deliberate restore` as an operator runs them: a running node with content is backed up,
restored into another data directory, started there, and every table is compared row by row."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from deliberate.clock import SystemClock
from deliberate.db.pool import connect
from deliberate.runtime.embedded import free_port
from deliberate.runtime.sample import DEMO_PASSWORD, VES, seed
from tests.conftest import TEMPLATE_DB, Servers, cheap_passwords
from tests.runtime.cli_support import run_main
from tests.web.support import _catalogs

BIN = Path(sys.executable).parent / "deliberate"
PASSPHRASE = "una frase larga para el respaldo"
# Written after the dump is taken, so the source has one row more than its own backup: by design.
NOT_IN_THE_DUMP = {"node_backup"}


def deliberate(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k != "DELIBERATE_BACKUP_PASSPHRASE"}
    full = inherited | {"DELIBERATE_LOG_FORMAT": "text"} | (env or {})
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, timeout=180, env=full)


def deliberate_here(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`deliberate(...)` in this process (tests/runtime/cli_support.py): the same `main`, without starting a new
    Python, where a test is about what the command decides or writes (a refusal before any server starts, the rows
    in a file) rather than about the running process."""
    inherited = {k: v for k, v in os.environ.items() if k != "DELIBERATE_BACKUP_PASSPHRASE"}
    return run_main(*args, stdin=stdin, env=inherited | {"DELIBERATE_LOG_FORMAT": "text"} | (env or {}))


class Serving:
    """`deliberate serve` on embedded servers, with its federation worker off so nothing changes rows behind us."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(BIN), "serve", "--data-dir", str(data_dir), "--port", str(self.port), "--node-name", "Prueba"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "DELIBERATE_LOG_FORMAT": "text", "DELIBERATE_FEDERATION_WORKER": "false"},
        )  # fmt: skip
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if "is serving at" in line or not line:
                break
        assert "is serving at" in line, self.process.stderr.read() if self.process.stderr else ""
        self.database_url = json.loads((data_dir / "runtime.json").read_text())["database_url"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)


async def _add_content(database_url: str) -> None:
    """The district's sample content through the services, plus federation rows as a peer would leave them."""
    conn = await connect(database_url)
    try:
        async with conn.transaction():
            assert await seed(conn, VES, clock=SystemClock(), passwords=cheap_passwords(), catalogs=_catalogs())
        forum_id = await conn.fetchval("SELECT min(id) FROM forum")
        await conn.execute(
            """
            INSERT INTO instance (host, first_seen_at, delivered_count) VALUES ('vmt.example.pe', now(), 3);
            INSERT INTO remote_actor (uri, host, type, preferred_username, inbox, shared_inbox, fetched_at)
            VALUES ('https://vmt.example.pe/actor', 'vmt.example.pe', 'Application', 'vmt',
                    'https://vmt.example.pe/actor/inbox', 'https://vmt.example.pe/inbox', now());
            INSERT INTO inbox_activity (activity_id, actor_uri, type, body, received_at, processed_at)
            VALUES ('https://vmt.example.pe/a/1', 'https://vmt.example.pe/actor', 'Follow',
                    '{"type": "Follow", "texto": "ñandú"}', now(), now());
            """
        )
        await conn.execute(
            """
            INSERT INTO follower (actor_kind, actor_id, remote_actor_id, follow_id, created_at)
            SELECT 'group', $1, id, 'https://vmt.example.pe/a/1', now() FROM remote_actor;
            INSERT INTO delivery (activity_id, inbox, host, body, signer_kind, signer_id, next_attempt_at, created_at,
                                  last_error, attempts)
            VALUES ('https://ves.example.pe/a/9', 'https://vmt.example.pe/inbox', 'vmt.example.pe', '\\x7b7d'::bytea,
                    'group', $1, now(), now(), 'HTTP 503: en mantenimiento', 2);
            """.replace("$1", str(int(forum_id)))
        )
    finally:
        await conn.close()


async def _fetch_actor(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        response = await session.get(url, headers={"Accept": "application/activity+json"})
        assert response.status == 200 and "publicKey" in await response.text()


async def _tables(database_url: str) -> dict[str, list[str]]:
    """Every table's rows as sorted JSON text, and every sequence's position."""
    conn = await asyncpg.connect(database_url)
    try:
        names = [
            r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        found = {
            name: sorted(await conn.fetchval(f"SELECT coalesce(array_agg(row_to_json(t)::text), '{{}}') FROM {name} t"))  # noqa: S608 - names from pg_tables
            for name in names
        }
        found["(sequences)"] = sorted(
            f"{r['sequencename']}={r['last_value']}"
            for r in await conn.fetch("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            if r["sequencename"] != "node_backup_id_seq"
        )
        return found
    finally:
        await conn.close()


async def _log_in(url: str, username: str, password: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        page = await (await session.get(url + "/login")).text()
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = await session.post(url + "/login", data={"username": username, "password": password,
                                                              "csrf_token": token})  # fmt: skip
        assert response.status == 200 and response.url.path == "/", await response.text()
        return await (await session.get(url + "/account/password")).text()


def test_a_running_node_is_backed_up_and_restored_elsewhere_with_every_row(tmp_path: Path) -> None:
    source_dir, target_dir, file = tmp_path / "source", tmp_path / "restored", tmp_path / "nodo.backup"
    source = Serving(source_dir)
    try:
        asyncio.run(_add_content(source.database_url))
        asyncio.run(_fetch_actor(source.url + "/u/rosa.quispe"))  # a member's signing keys are made on first use
        # While the node serves: the passphrase on standard input, as a pipe (never a flag).
        made = deliberate("backup", str(file), "--data-dir", str(source_dir), "--public-url", "https://ves.example.pe",
                          stdin=PASSPHRASE + "\n")  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert "backup written" in made.stdout
        assert file.stat().st_mode & 0o077 == 0, "a backup holds keys: only its owner may read it"
        assert b"rosa.quispe" not in file.read_bytes() and b"PRIVATE KEY" not in file.read_bytes()

        restored = deliberate("restore", str(file), "--data-dir", str(target_dir),
                              env={"DELIBERATE_BACKUP_PASSPHRASE": PASSPHRASE})  # fmt: skip
        assert restored.returncode == 0, restored.stderr
        assert "https://ves.example.pe" in restored.stdout
        assert (target_dir / "secret_key").read_text() == (source_dir / "secret_key").read_text()

        copy = Serving(target_dir)
        try:
            before, after = asyncio.run(_tables(source.database_url)), asyncio.run(_tables(copy.database_url))
            assert set(before) == set(after)
            for table in sorted(set(before) - NOT_IN_THE_DUMP):
                assert before[table] == after[table], f"{table} differs after the restore"
            for table in ("account", "organization", "forum", "thread", "post", "actor_key", "node_key", "instance",
                          "remote_actor", "follower", "delivery", "inbox_activity", "domain_event"):  # fmt: skip
                assert before[table], f"the test node should have rows in {table}"
            assert len(before["node_backup"]) == 1 and after["node_backup"] == []
            # The restored node works: its members sign in with their passwords and its pages render.
            page = asyncio.run(_log_in(copy.url, "rosa.quispe", DEMO_PASSWORD))
            assert "@rosa.quispe" in page
        finally:
            copy.stop()
    finally:
        source.stop()


@pytest.fixture(scope="module")
def small_backup(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A backup of a fresh database on an external server (DELIBERATE_DATABASE_URL), made without any node running;
    made once for the tests that only read it (each works on its own copies and directories)."""

    async def create() -> str:
        admin = await asyncpg.connect(servers.dsn("postgres"))
        name = f"bk_{next(servers.counter)}_{secrets.token_hex(3)}"
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
        await admin.close()
        return servers.dsn(name)

    dsn = asyncio.run(create())
    file = tmp_path_factory.mktemp("small") / "fresh.backup"
    env = {"DELIBERATE_DATABASE_URL": dsn, "DELIBERATE_REDIS_URL": servers.redis.url(0),
           "DELIBERATE_SECRET_KEY": "s" * 40, "DELIBERATE_BACKUP_PASSPHRASE": PASSPHRASE}  # fmt: skip
    made = deliberate("backup", str(file), env=env)
    assert made.returncode == 0, made.stderr

    async def recorded() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            count: int = await conn.fetchval("SELECT count(*) FROM node_backup WHERE file_name = 'fresh.backup'")
            return count
        finally:
            await conn.close()

    assert asyncio.run(recorded()) == 1, "each backup is recorded for the operators' page"
    yield file


def test_a_wrong_passphrase_is_refused_and_nothing_is_created(small_backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "new-node"
    result = deliberate_here("restore", str(small_backup), "--data-dir", str(target), stdin="otra frase cualquiera\n")
    assert result.returncode == 2
    assert "wrong passphrase" in result.stderr
    assert not target.exists()


def test_a_changed_byte_is_refused_as_damage(small_backup: Path, tmp_path: Path) -> None:
    data = bytearray(small_backup.read_bytes())
    data[len(data) // 2] ^= 1
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    target = tmp_path / "new-node"
    result = deliberate_here("restore", str(damaged), "--data-dir", str(target), stdin=PASSPHRASE + "\n")
    assert result.returncode == 2 and "damaged" in result.stderr, result.stderr


def test_a_truncated_backup_is_refused_before_anything_is_restored(small_backup: Path, tmp_path: Path) -> None:
    data = small_backup.read_bytes()
    for cut, name in ((len(data) - 17, "end"), (len(data) // 2, "middle")):
        truncated = tmp_path / f"cut-{name}.backup"
        truncated.write_bytes(data[:cut])
        target = tmp_path / f"new-node-{name}"
        result = deliberate_here("restore", str(truncated), "--data-dir", str(target), stdin=PASSPHRASE + "\n")
        assert result.returncode == 2 and ("incomplete" in result.stderr or "damaged" in result.stderr), result.stderr
        assert not target.exists() or not any(target.iterdir()), "nothing is left of a restore that failed"


def test_a_large_backup_cut_short_leaves_the_directory_empty(servers: Servers, tmp_path: Path) -> None:
    """Several encrypted parts: the first (with the manifest) opens, the cut is found further on, after the restore
    has begun; what it made is removed."""

    async def large_database() -> str:
        admin = await asyncpg.connect(servers.dsn("postgres"))
        name = f"lg_{next(servers.counter)}_{secrets.token_hex(3)}"
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
        await admin.close()
        conn = await asyncpg.connect(servers.dsn(name))
        await conn.execute(
            "CREATE TABLE filler AS SELECT i, md5(i::text) || md5((i * 7)::text) AS text "
            "FROM generate_series(1, 120000) AS i"
        )
        await conn.close()
        return servers.dsn(name)

    env = {"DELIBERATE_DATABASE_URL": asyncio.run(large_database()), "DELIBERATE_REDIS_URL": servers.redis.url(0),
           "DELIBERATE_SECRET_KEY": "s" * 40, "DELIBERATE_BACKUP_PASSPHRASE": PASSPHRASE}  # fmt: skip
    file = tmp_path / "large.backup"
    assert deliberate("backup", str(file), env=env).returncode == 0
    data = file.read_bytes()
    assert len(data) > 3 * 1024 * 1024, "the test needs a backup of several parts"
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: len(data) - 1000])
    target = tmp_path / "new-node"
    result = deliberate_here("restore", str(cut), "--data-dir", str(target), stdin=PASSPHRASE + "\n")
    assert result.returncode == 2 and "incomplete" in result.stderr, result.stderr
    assert target.is_dir() and not any(target.iterdir())
    whole = deliberate("restore", str(file), "--data-dir", str(target), stdin=PASSPHRASE + "\n")
    assert whole.returncode == 0, whole.stderr


def test_a_data_directory_that_is_not_empty_is_refused(small_backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "used"
    target.mkdir()
    (target / "secret_key").write_text("something of another node")
    result = deliberate_here("restore", str(small_backup), "--data-dir", str(target), stdin=PASSPHRASE + "\n")
    assert result.returncode == 2 and "not empty" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["secret_key"]
    assert (target / "secret_key").read_text() == "something of another node"


def test_a_short_passphrase_is_refused(servers: Servers, tmp_path: Path) -> None:
    env = {"DELIBERATE_DATABASE_URL": servers.dsn(TEMPLATE_DB), "DELIBERATE_REDIS_URL": servers.redis.url(0),
           "DELIBERATE_SECRET_KEY": "s" * 40}  # fmt: skip
    result = deliberate_here("backup", str(tmp_path / "x.backup"), stdin="corta\n", env=env)
    assert result.returncode == 2 and "at least 12 characters" in result.stderr
    assert not (tmp_path / "x.backup").exists()


def test_an_external_database_is_restored_only_when_empty(servers: Servers, small_backup: Path, tmp_path: Path) -> None:
    async def empty_database() -> str:
        admin = await asyncpg.connect(servers.dsn("postgres"))
        name = f"rs_{next(servers.counter)}_{secrets.token_hex(3)}"
        await admin.execute(f"CREATE DATABASE {name}")
        await admin.close()
        return servers.dsn(name)

    dsn = asyncio.run(empty_database())
    env = {"DELIBERATE_DATABASE_URL": dsn, "DELIBERATE_REDIS_URL": servers.redis.url(0),
           "DELIBERATE_SECRET_KEY": "s" * 40, "DELIBERATE_BACKUP_PASSPHRASE": PASSPHRASE}  # fmt: skip
    restored = deliberate("restore", str(small_backup), "--data-dir", str(tmp_path / "first"), env=env)
    assert restored.returncode == 0, restored.stderr
    check = deliberate_here("migrate", "--check", env=env)
    assert check.returncode == 0 and "up to date" in check.stdout, check.stdout + check.stderr
    assert not (tmp_path / "first" / "secret_key").exists(), "a secret from the environment stays there"
    again = deliberate_here("restore", str(small_backup), "--data-dir", str(tmp_path / "second"), env=env)
    assert again.returncode == 2 and "already has tables" in again.stderr


def test_the_commands_say_where_the_passphrase_comes_from() -> None:
    for command in ("backup", "restore"):
        result = deliberate_here(command, "--help")
        assert result.returncode == 0 and "DELIBERATE_BACKUP_PASSPHRASE" in result.stdout
        assert "--passphrase" not in result.stdout, "never a flag: it would show in the process list"

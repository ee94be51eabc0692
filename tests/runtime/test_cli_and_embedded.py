"""The `deliberate` command as an operator runs it: real processes, embedded servers, a kill -9 in the middle."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from deliberate.runtime.embedded import free_port
from tests.conftest import Servers
from tests.runtime.cli_support import run_main

BIN = Path(sys.executable).parent / "deliberate"


def run(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, timeout=timeout)


class Serving:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [str(BIN), "serve", "--data-dir", str(data_dir), "--port", str(port), "--node-name", "Prueba"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "DELIBERATE_LOG_FORMAT": "text"},
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if "is serving at" in line or not line:
                break
        assert "is serving at" in line, (
            f"no ready line; stderr: {self.process.stderr.read() if self.process.stderr else ''}"
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(60)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "node"


def _postmaster_pid(data_dir: Path) -> int | None:
    pidfile = data_dir / "postgres" / "pgdata" / "postmaster.pid"
    try:
        return int(pidfile.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


async def _register(url: str, username: str) -> int:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        page = await (await session.get(url + "/register")).text()
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = await session.post(
            url + "/register",
            data={"username": username, "password": "clave-segura-123", "password_confirm": "clave-segura-123",
                  "csrf_token": token},
        )  # fmt: skip
        return response.status


async def _login_status(url: str, username: str) -> int:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        page = await (await session.get(url + "/login")).text()
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = await session.post(
            url + "/login", data={"username": username, "password": "clave-segura-123", "csrf_token": token}
        )
        return response.status


def test_every_command_explains_itself() -> None:
    top = run("--help")  # the installed program; each command's own help then in this process (same `main`)
    assert top.returncode == 0
    for command in ("serve", "demo", "migrate", "admin"):
        assert command in top.stdout
    for args, expected in [
        (("serve", "--help"), "--public-url"),
        (("serve", "--help"), "DELIBERATE_PUBLIC_URL"),
        (("demo", "--help"), "--reset"),
        (("migrate", "--help"), "--check"),
        (("admin", "create-operator", "--help"), "--password-stdin"),
    ]:
        result = run_main(*args)
        assert result.returncode == 0 and expected in result.stdout, result.stdout


def test_bad_settings_are_refused_with_a_clear_message() -> None:
    result = run("serve", "--port", "99999")
    assert result.returncode == 2 and "port" in result.stderr
    result = run_main(
        "migrate", "--check",
        env={**os.environ, "DELIBERATE_DATABASE_URL": "postgresql://x@127.0.0.1:1/x", "DELIBERATE_SECRET_KEY": ""},
    )  # fmt: skip
    assert result.returncode == 2 and "DELIBERATE_SECRET_KEY is required" in result.stderr


def test_migrate_check_reports_pending_migrations_against_an_external_database(servers: Servers) -> None:
    async def create() -> str:
        conn = await asyncpg.connect(servers.dsn("postgres"))
        name = f"cli_{next(servers.counter)}"
        await conn.execute(f"CREATE DATABASE {name}")
        await conn.close()
        return servers.dsn(name)

    dsn = asyncio.run(create())
    env = ("--database-url", dsn, "--redis-url", servers.redis.url(0))
    os.environ["DELIBERATE_SECRET_KEY"] = "k" * 40
    try:  # the checks only read: in this process; the migration itself by the installed program
        assert run_main("migrate", "--check", *env).returncode == 1
        applied = run("migrate", *env)
        assert applied.returncode == 0 and "applied: 0001_accounts" in applied.stdout
        check = run_main("migrate", "--check", *env)
        assert check.returncode == 0 and "up to date" in check.stdout
    finally:
        del os.environ["DELIBERATE_SECRET_KEY"]


def test_a_node_survives_kill_9_and_refuses_a_second_node_on_its_directory(data_dir: Path) -> None:
    port = free_port()
    first = Serving(data_dir, port)
    try:
        assert asyncio.run(_register(first.url, "rosa.quispe")) == 200

        second = run("serve", "--data-dir", str(data_dir), "--port", str(free_port()), timeout=60)
        assert second.returncode == 2 and "in use by another node" in second.stderr

        # The operator command reaches the running node's embedded servers.
        made = run("admin", "create-operator", "operador", "--password-stdin", "--data-dir", str(data_dir),
                   stdin="clave-segura-123\n")  # fmt: skip
        assert made.returncode == 0 and "operator" in made.stdout, made.stderr

        postmaster = _postmaster_pid(data_dir)
        assert postmaster is not None and _alive(postmaster)
        first.stop(signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _alive(postmaster) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(postmaster), "PostgreSQL outlived its killed node"
    finally:
        if first.process.poll() is None:
            first.stop(signal.SIGKILL)

    again = Serving(data_dir, port)
    try:
        assert asyncio.run(_login_status(again.url, "rosa.quispe")) == 200
        assert asyncio.run(_login_status(again.url, "operador")) == 200
    finally:
        assert again.stop(signal.SIGTERM) == 0
    assert _postmaster_pid(data_dir) is None, "a clean stop leaves no running PostgreSQL"

"""The benchmark suite: collected only when asked for by path (`make bench`, or `pytest tests/bench`).

`make test` and a bare `pytest` never collect these files: each run takes minutes, loads a million posts and
asserts ratios against a baseline measured in the same run, which belongs in a benchmark run, never in the test
suite. The figures each benchmark measured are printed at the end of the run under "benchmark figures".

Fixtures reuse the harness's session servers (embedded PostgreSQL and Redis): `bench_database` clones the migrated
template like `node_factory` does, `bench_node` serves it with `deliberate serve` in a separate process.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from deliberate.db.pool import connect
from deliberate.runtime.loadgen import LoadReport, Plan, load
from tests.bench.support import Server, start_bare, start_node, wrk_path
from tests.conftest import TEMPLATE_DB, Servers, cheap_passwords

BENCH_DIR = Path(__file__).resolve().parent
# The data's "now": fixed, so two runs make the same rows.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIGURES = pytest.StashKey[list[str]]()


def _asked_for(config: pytest.Config) -> bool:
    """True when the command line names this directory or a file in it."""
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        path = (base / arg.split("::")[0]).resolve()
        if path == BENCH_DIR or BENCH_DIR in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not _asked_for(config):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.stash[FIGURES] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("benchmark figures")
        for line in lines:
            terminalreporter.write_line(line)


def seconds(name: str, default: float) -> float:
    """A duration in seconds, overridable from the environment (BENCH_SECONDS…) for a quicker look."""
    return float(os.environ.get(name, default))


def add_figure(config: pytest.Config, line: str) -> None:
    print(line, flush=True)
    config.stash[FIGURES].append(line)


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`figures(line)`: print a measured figure now and again in the run's summary."""
    return lambda line: add_figure(request.config, line)


@pytest.fixture(scope="session")
def wrk_available() -> None:
    if wrk_path() is None:
        pytest.fail("wrk is not installed: run `make bench`, which installs it (apt-get install wrk)")


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The servers' logs (the node logs every request as a JSON line, as in production)."""
    return tmp_path_factory.mktemp("bench-logs")


# Module scope: a benchmark module loads its data and starts its servers once for all its tests. Its tests carry
# `pytest.mark.asyncio(loop_scope="module")` to share the loop these fixtures run in.
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bench_database(servers: Servers) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """`await bench_database("small")`: a fresh migrated database; its URL. All are dropped at teardown."""
    made: list[str] = []

    async def make(label: str) -> str:
        name = f"bench_{label}_{next(servers.counter)}_{secrets.token_hex(3)}"
        admin = await asyncpg.connect(servers.dsn("postgres"))
        try:
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
        finally:
            await admin.close()
        made.append(name)
        return servers.dsn(name)

    yield make
    admin = await asyncpg.connect(servers.dsn("postgres"))
    try:
        for name in made:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def load_plan(database_url: str, plan: Plan) -> LoadReport:
    password_hash = await cheap_passwords().hash("carga-clave-2026")
    conn = await connect(database_url)
    try:
        return await load(conn, plan, now=NOW, password_hash=password_hash)
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bench_node(servers: Servers, log_dir: Path) -> AsyncIterator[Callable[[str, str], Awaitable[Server]]]:
    """`await bench_node(name, database_url)`: `deliberate serve` on a free loopback port; stopped at teardown."""
    started: list[tuple[Server, int]] = []

    async def start(name: str, database_url: str) -> Server:
        redis_db = servers.free_redis_dbs.pop(0)
        redis_url = servers.redis.url(redis_db)
        async with Redis.from_url(redis_url) as redis:
            await redis.flushdb()
        try:
            server = await start_node(
                name=name, database_url=database_url, redis_url=redis_url, secret_key=secrets.token_urlsafe(32),
                log_dir=log_dir,
            )  # fmt: skip
        except BaseException:
            servers.free_redis_dbs.append(redis_db)
            raise
        started.append((server, redis_db))
        return server

    yield start
    for server, redis_db in started:
        server.stop()
        servers.free_redis_dbs.append(redis_db)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bare_server(log_dir: Path) -> AsyncIterator[Server]:
    server = await start_bare(log_dir=log_dir)
    yield server
    server.stop()

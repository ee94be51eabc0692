"""The test harness: real PostgreSQL and Redis (embedded wheels), real nodes on loopback.

* One PostgreSQL cluster and one Redis server per test process (pytest-xdist worker), non-durable for speed.
* A template database migrated once; every node gets its own database cloned from it (`CREATE DATABASE … TEMPLATE`,
  milliseconds), so tests never see each other's rows and never skip migrations.
* Where the machine has a RAM disk (/dev/shm) with room (4 GiB free), the clusters and every test's `tmp_path` live
  there, unless TMPDIR says otherwise: PostgreSQL's file writes then cost no disk I/O, which other processes on the
  machine compete for.
* What every node builds the same way from files that do not change during a run is built once per test process:
  the catalogs (`load_catalogs`) and the templates' compiled code (a shared Jinja bytecode cache).
* `node_factory` starts as many nodes as a test needs, each from the production `create_app`, with its own database,
  Redis database number, secret and keys, listening on its own loopback port.
* RSA key generation is the one cost that grows with every actor a test federates: the keys are made once per
  process and handed out again in each test (`ReusedRsaKeys`), never twice within one test. Ed25519 keys, cheap, are
  made fresh.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
import asyncpg
import jinja2
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from redis.asyncio import Redis
from yarl import URL

from deliberate.accounts.passwords import Passwords
from deliberate.clock import Clock, SystemClock
from deliberate.db.migrate import migrate
from deliberate.db.pool import connect
from deliberate.node import service as node_service
from deliberate.runtime.embedded import EmbeddedPostgres, EmbeddedRedis
from deliberate.settings import Settings
from web.i18n import load_catalogs
from web.state import STATE

TEMPLATE_DB = "deliberate_template"
# A clone copies the template's files (and checkpoints, free without fsync) instead of writing each page to the WAL.
CLONE = f"TEMPLATE {TEMPLATE_DB} STRATEGY FILE_COPY"
REDIS_DATABASES = 64
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RAM_DISK = Path("/dev/shm")
# Containers often get a 64 MiB /dev/shm: too small for two PostgreSQL clusters and the tests' files.
RAM_DISK_NEEDED = 4 * 1024**3


def _ram_disk_fits() -> bool:
    if not (RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK | os.X_OK)):
        return False
    stats = os.statvfs(RAM_DISK)
    return stats.f_bavail * stats.f_frsize >= RAM_DISK_NEEDED


def pytest_configure(config: pytest.Config) -> None:
    if "TMPDIR" not in os.environ and _ram_disk_fits():
        tempfile.tempdir = str(RAM_DISK)  # read by tempfile.mkdtemp and by pytest's tmp_path, here and in workers


@cache
def _catalogs() -> dict[str, Any]:
    return load_catalogs()


class _SharedTemplateCode(jinja2.BytecodeCache):
    """Templates compiled once per test process for all its nodes, kept by name and source checksum."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _SharedTemplateCode()


@dataclass
class Servers:
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis
    free_redis_dbs: list[int] = field(default_factory=lambda: list(range(1, REDIS_DATABASES)))
    counter: Iterator[int] = field(default_factory=itertools.count)

    def dsn(self, database: str) -> str:
        return self.postgres.dsn(database)


async def _start_servers(root: Path) -> Servers:
    postgres = EmbeddedPostgres(root / "postgres", durable=False)
    redis = EmbeddedRedis(root / "redis", durable=False)
    await postgres.start()
    await redis.start()
    conn = await asyncpg.connect(postgres.dsn("postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        await conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    finally:
        await conn.close()
    conn = await asyncpg.connect(postgres.dsn(TEMPLATE_DB))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return Servers(postgres, redis)


class ReusedRsaKeys:
    """RSA-2048 keys made once per process and handed out again in every test, each at most once per test: keys
    differ between the actors (and rotations) of one test, as freshly made keys would, but each costs its
    generation (about 65 ms of CPU here, several thousand in a run) only once."""

    def __init__(self) -> None:
        self.keys: list[rsa.RSAPrivateKey] = []
        self.lock = threading.Lock()

    def take(self, taken: Iterator[int]) -> rsa.RSAPrivateKey:
        with self.lock:
            position = next(taken)
            if position == len(self.keys):
                self.keys.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
            return self.keys[position]


REUSED_RSA_KEYS = ReusedRsaKeys()


@pytest.fixture(autouse=True)
def reused_rsa_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nodes started in this process draw their actors' RSA keys from `REUSED_RSA_KEYS` (`deliberate serve` in a
    subprocess makes its own; tests/federation/test_operator_commands.py rotates keys that way)."""
    taken = itertools.count()
    monkeypatch.setattr(node_service, "new_rsa_key", lambda: REUSED_RSA_KEYS.take(taken))


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    root = Path(tempfile.mkdtemp(prefix="deliberate-test-"))
    started = asyncio.run(_start_servers(root))
    yield started
    asyncio.run(started.redis.stop())
    asyncio.run(started.postgres.stop())
    shutil.rmtree(root, ignore_errors=True)


@pytest_asyncio.fixture
async def database(servers: Servers) -> AsyncIterator[str]:
    """A fresh, migrated database for this test; its URL."""
    name = f"t_{next(servers.counter)}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(servers.dsn("postgres"))
    try:
        await admin.execute(f"CREATE DATABASE {name} {CLONE}")
    finally:
        await admin.close()
    yield servers.dsn(name)
    admin = await asyncpg.connect(servers.dsn("postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(database)
    yield conn
    await conn.close()


def cheap_passwords() -> Passwords:
    """argon2id with tiny costs: the same code path, fast enough to register hundreds of accounts in tests."""
    return Passwords(memory_kib=1024, time_cost=1, parallelism=1)


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Visitor:
    """A person with a browser-like session (cookies) on one node; reads forms' CSRF tokens like a browser."""

    node: Node
    session: aiohttp.ClientSession
    last_html: str = ""

    def url(self, path: str) -> str:
        return self.node.base_url + path

    def cookies(self) -> dict[str, str]:
        """The cookies this browser would send to the node."""
        jar = self.session.cookie_jar.filter_cookies(URL(self.node.base_url))
        return {name: morsel.value for name, morsel in jar.items()}

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        response = await self.session.get(self.url(path), **kwargs)
        if response.content_type == "text/html":
            self.last_html = await response.text()
        return response

    async def csrf(self, path: str = "/") -> str:
        await self.get(path)
        match = CSRF_FIELD.search(self.last_html)
        assert match, f"no CSRF token on {path}"
        return match[1]

    async def submit(
        self, path: str, data: dict[str, str], *, form_page: str | None = None, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        """Post a form the way a browser does after showing `form_page` (default: the same path)."""
        await self.get(form_page or path)
        match = CSRF_FIELD.search(self.last_html)  # the language form carries none, like a browser would send
        token = {"csrf_token": match[1]} if match else {}
        response = await self.session.post(self.url(path), data={**data, **token}, **kwargs)
        if response.content_type == "text/html":
            self.last_html = await response.text()
        return response

    async def register(self, username: str, password: str = "clave-segura-123", **extra: str) -> None:
        response = await self.submit(
            "/register", {"username": username, "password": password, "password_confirm": password, **extra}
        )
        assert response.status == 200 and response.url.path == "/", self.last_html

    async def login(self, username: str, password: str = "clave-segura-123") -> aiohttp.ClientResponse:
        return await self.submit("/login", {"username": username, "password": password})


@dataclass
class Node:
    name: str
    settings: Settings
    app: web.Application
    runner: web.AppRunner
    database_url: str
    redis_db: int
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    async def visitor(self, **headers: str) -> Visitor:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)
        self.sessions.append(session)
        return Visitor(self, session)

    async def connect(self) -> asyncpg.Connection:
        return await connect(self.database_url)


@asynccontextmanager
async def nodes(servers: Servers) -> AsyncIterator[Any]:
    """`start("ves", **settings)` starts a real node on a loopback port, in the running event loop; all stop when
    the block ends. The body of `node_factory`, shared with the browser journeys' version of it."""
    started: list[Node] = []
    admin = await asyncpg.connect(servers.dsn("postgres"))

    from web.app import create_app

    async def start(name: str = "node", *, clock: Clock | None = None, **overrides: Any) -> Node:
        db_name = f"n_{name}_{next(servers.counter)}_{secrets.token_hex(3)}"
        await admin.execute(f"CREATE DATABASE {db_name} {CLONE}")
        redis_db = servers.free_redis_dbs.pop(0)
        redis_url = servers.redis.url(redis_db)
        async with Redis.from_url(redis_url) as redis:
            await redis.flushdb()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        values: dict[str, Any] = {
            "database_url": servers.dsn(db_name),
            "redis_url": redis_url,
            "secret_key": secrets.token_urlsafe(32),
            "public_url": f"http://127.0.0.1:{port}",
            "port": port,
            "node_name": name.upper(),
            "dev_allow_private_network": True,
            "db_pool_size": 4,
            "log_format": "text",
            # Tests read pages right after changing them; the anonymous page cache has its own test.
            "anonymous_cache_seconds": 0,
        }
        settings = Settings(**(values | overrides))
        with mock.patch("web.app.load_catalogs", _catalogs):
            app = create_app(settings, clock=clock or SystemClock(), passwords=cheap_passwords())
        app[STATE].jinja.bytecode_cache = TEMPLATE_CODE
        runner = web.AppRunner(app, access_log=None)
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except BaseException:
            servers.free_redis_dbs.append(redis_db)  # a node that failed to start must not use up the numbers
            raise
        node = Node(name, settings, app, runner, settings.database_url, redis_db)
        started.append(node)
        return node

    try:
        yield start
    finally:
        for node in started:
            for session in node.sessions:
                await session.close()
            await node.runner.cleanup()
            servers.free_redis_dbs.append(node.redis_db)
            await admin.execute(f"DROP DATABASE IF EXISTS {node.database_url.rsplit('/', 1)[1]} WITH (FORCE)")
        await admin.close()


@pytest_asyncio.fixture
async def node_factory(servers: Servers) -> AsyncIterator[Any]:
    """`await node_factory("ves", **settings)` starts a real node on a loopback port; all stop at teardown."""
    async with nodes(servers) as start:
        yield start


@pytest_asyncio.fixture
async def node(node_factory: Any) -> Node:
    started: Node = await node_factory("ves", node_name="Villa El Salvador")
    return started


@pytest.fixture
def shared() -> Path:
    return SHARED

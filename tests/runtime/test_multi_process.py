"""Several processes of one node on one PostgreSQL and one Redis, as in production: two `deliberate serve` web
processes (their in-process federation workers off) and one `deliberate worker`, all real subprocesses, with peer
inboxes played by a separate process that records every request it gets."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest_asyncio
from redis.asyncio import Redis

from deliberate.runtime.embedded import free_port
from tests.conftest import TEMPLATE_DB, Servers

BIN = Path(sys.executable).parent / "deliberate"
ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PEER_HOSTS = 3


class Process:
    """A subprocess that prints a line containing `ready` once it is up."""

    def __init__(self, args: list[str], env: dict[str, str], ready: str) -> None:
        self.process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        self.first_line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if ready in line or not line:
                self.first_line = line
                break
        assert ready in self.first_line, self.process.stderr.read() if self.process.stderr else ""

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(60)


@pytest_asyncio.fixture
async def database(servers: Servers) -> AsyncIterator[str]:
    admin = await asyncpg.connect(servers.dsn("postgres"))
    name = f"mp_{next(servers.counter)}_{secrets.token_hex(3)}"
    await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    try:
        yield servers.dsn(name)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def _submit(session: aiohttp.ClientSession, base: str, path: str, data: dict[str, str], *,
                  form_page: str) -> aiohttp.ClientResponse:  # fmt: skip
    page = await (await session.get(base + form_page)).text()
    token = CSRF.search(page)
    assert token, page
    response = await session.post(base + path, data={**data, "csrf_token": token[1]})
    assert response.status == 200, await response.text()
    return response


async def _next_event(stream: aiohttp.ClientResponse) -> int:
    async with asyncio.timeout(15):
        while True:
            line = (await stream.content.readline()).decode()
            if line.startswith("data: "):
                return int(line.removeprefix("data: "))


async def _followers_on_peers(dsn: str, forum_slug: str, peer_ports: list[int]) -> None:
    """Two followers of the forum on each peer server, as an accepted Follow leaves them (one shared inbox each)."""
    conn = await asyncpg.connect(dsn)
    try:
        forum_id = await conn.fetchval("SELECT id FROM forum WHERE slug = $1", forum_slug)
        for port in peer_ports:
            host = f"127.0.0.1:{port}"
            await conn.execute("INSERT INTO instance (host, first_seen_at) VALUES ($1, now())", host)
            for name in ("ana", "beto"):
                actor_id = await conn.fetchval(
                    """
                    INSERT INTO remote_actor (uri, host, type, preferred_username, inbox, shared_inbox, fetched_at)
                    VALUES ($1, $2, 'Person', $3, $4, $5, now()) RETURNING id
                    """,
                    f"http://{host}/users/{name}", host, name, f"http://{host}/users/{name}/inbox",
                    f"http://{host}/inbox",
                )  # fmt: skip
                await conn.execute(
                    """
                    INSERT INTO follower (actor_kind, actor_id, remote_actor_id, follow_id, created_at)
                    VALUES ('group', $1, $2, $3, now())
                    """,
                    forum_id, actor_id, f"http://{host}/follows/{name}",
                )  # fmt: skip
    finally:
        await conn.close()


async def _queue_drained(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(90):
            while True:
                waiting = await conn.fetchval(
                    """
                    SELECT (SELECT count(*) FROM delivery)
                         + (SELECT count(*) FROM domain_event
                            WHERE id > coalesce((SELECT last_event_id FROM outbox_cursor), 0))
                    """
                )
                if waiting == 0:
                    return
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def test_two_web_processes_and_a_worker_share_posts_live_updates_and_deliveries(
    servers: Servers, database: str
) -> None:
    redis_db = servers.free_redis_dbs.pop(0)
    control_port = free_port()
    peers = Process([sys.executable, "-m", "tests.bench.fake_peers", str(control_port), str(PEER_HOSTS)],
                    dict(os.environ), ready='"peers"')  # fmt: skip
    peer_ports: list[int] = json.loads(peers.first_line)["peers"]
    port_a, port_b = free_port(), free_port()
    a_url, b_url = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    env = {
        **os.environ,
        "DELIBERATE_DATABASE_URL": database,
        "DELIBERATE_REDIS_URL": servers.redis.url(redis_db),
        "DELIBERATE_SECRET_KEY": secrets.token_urlsafe(32),
        # One node: both web processes answer for the same public address (nginx in front of them in production).
        "DELIBERATE_PUBLIC_URL": a_url,
        "DELIBERATE_DEV_ALLOW_PRIVATE_NETWORK": "true",
        "DELIBERATE_FEDERATION_WORKER": "false",
        "DELIBERATE_FEDERATION_POLL_SECONDS": "0.2",
        "DELIBERATE_ANONYMOUS_CACHE_SECONDS": "0",
        "DELIBERATE_DB_POOL_SIZE": "3",
        "DELIBERATE_LOG_FORMAT": "text",
    }
    started: list[Process] = [peers]
    try:
        web_a = Process([str(BIN), "serve", "--port", str(port_a)], env, ready="is serving at")
        started.append(web_a)
        web_b = Process([str(BIN), "serve", "--port", str(port_b)], env, ready="is serving at")
        started.append(web_b)
        worker = Process([str(BIN), "worker"], {**env, "DELIBERATE_FEDERATION_WORKER": "true"}, ready="is running")
        started.append(worker)

        # Cookies are not told apart by port: this browser is signed in on both processes through one session.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as rosa, \
                aiohttp.ClientSession() as reader:  # fmt: skip
            password = {"password": "clave-segura-123", "password_confirm": "clave-segura-123"}
            await _submit(rosa, a_url, "/register", {"username": "rosa", **password}, form_page="/register")
            conn = await asyncpg.connect(database)
            await conn.execute("UPDATE account SET roles = roles || '{operator}' WHERE username = 'rosa'")
            await conn.close()
            forum = await _submit(rosa, a_url, "/forums", {"name": "Agua y desagüe"}, form_page="/forums/new")
            forum_path = forum.url.path
            await _followers_on_peers(database, forum_path.removeprefix("/f/"), peer_ports)
            thread = await _submit(rosa, a_url, forum_path + "/threads",
                                   {"title": "Corte de agua en el sector 3", "body": "Desde el lunes"},
                                   form_page=forum_path)  # fmt: skip
            thread_path = thread.url.path
            assert thread_path.startswith("/t/")

            # Written through A, read through B.
            page_b = await (await reader.get(b_url + thread_path)).text()
            assert "Corte de agua en el sector 3" in page_b and "Desde el lunes" in page_b

            # A reader connected to B hears a reply made through A.
            stream = await reader.get(b_url + thread_path + "/events")
            assert stream.status == 200
            assert (await stream.content.readline()).startswith(b"retry:")
            more = [await reader.get(b_url + thread_path + "/events") for _ in range(3)]
            async with Redis.from_url(env["DELIBERATE_REDIS_URL"]) as redis:
                [(_, subscribers)] = await redis.pubsub_numsub(f"deliberate:live:{a_url}")
            assert subscribers == 2, "one Redis subscription per web process, however many readers it has"
            for extra in more:
                extra.close()
            await _submit(rosa, a_url, thread_path + "/replies", {"body": "Escrito en el proceso A"},
                          form_page=thread_path)  # fmt: skip
            heard = await _next_event(stream)
            assert f'id="p{heard}"' in await (await reader.get(f"{b_url}{thread_path}?after={heard - 1}")).text()
            # And the other way round, through B's own form.
            await _submit(rosa, b_url, thread_path + "/replies", {"body": "Escrito en el proceso B"},
                          form_page=thread_path)  # fmt: skip
            assert await _next_event(stream) > heard
            stream.close()
            assert "Escrito en el proceso B" in await (await reader.get(a_url + thread_path)).text()

            # Every activity reaches every peer server exactly once.
            await _queue_drained(database)
            records: list[dict[str, Any]] = await (await reader.get(f"http://127.0.0.1:{control_port}/records")).json()
        sends = collections.Counter((json.loads(r["body"])["id"], r["port"]) for r in records)
        activities = {activity for activity, _ in sends}
        assert len(activities) >= 3, "the thread and the two replies, each announced by the forum"
        assert set(sends) == {(activity, port) for activity in activities for port in peer_ports}
        assert set(sends.values()) == {1}, [key for key, count in sends.items() if count > 1]
        assert all(r["path"] == "/inbox" for r in records), "one shared inbox per server, not one per follower"
    finally:
        exits = [process.stop() for process in reversed(started)]
        servers.free_redis_dbs.append(redis_db)
    assert exits[:3] == [0, 0, 0], "the worker and both web processes stop cleanly on SIGTERM"

"""Assembling and running a node: the composition root shared by `serve`, `migrate`, `admin` and `demo`.

`node_services(settings)` yields settings whose database and Redis URLs point at live servers:
* URLs configured → they are used as they are; nothing is started (production).
* no URLs and the data directory is free → embedded PostgreSQL and Redis start under it, and their addresses are
  written to `DATA_DIR/runtime.json` (mode 0600) so a second command (`deliberate admin …`) can reach them;
* no URLs and the data directory is locked by a running node → that node's servers are used, from runtime.json,
  by one-off commands (`migrate`, `admin`); a second `serve` is refused instead.
`run_node` then migrates, builds the web app with `create_app`, and serves until asked to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from deliberate.db.migrate import migrate
from deliberate.db.pool import connect
from deliberate.runtime.embedded import DataDirLock, DataDirLocked, EmbeddedPostgres, EmbeddedRedis
from deliberate.settings import Settings, resolve_secret_key

log = logging.getLogger(__name__)
RUNTIME_FILE = "runtime.json"


@contextlib.asynccontextmanager
async def node_services(
    settings: Settings, *, durable: bool = True, share_running: bool = True
) -> AsyncIterator[Settings]:
    if settings.database_url and settings.redis_url:
        yield settings
        return
    data_dir = settings.data_dir.resolve()
    lock = DataDirLock(data_dir)
    try:
        lock.acquire()
    except DataDirLocked:
        runtime = data_dir / RUNTIME_FILE
        if not share_running or not runtime.exists():
            raise
        urls = json.loads(runtime.read_text())
        yield _with_urls(settings, urls["database_url"], urls["redis_url"])
        return
    postgres = EmbeddedPostgres(data_dir / "postgres", durable=durable)
    redis = EmbeddedRedis(data_dir / "redis", durable=durable)
    try:
        if not settings.database_url:
            await postgres.start()
        if not settings.redis_url:
            await redis.start()
        resolved = _with_urls(settings, settings.database_url or postgres.dsn(), settings.redis_url or redis.url())
        _write_runtime(data_dir, resolved)
        yield resolved
    finally:
        (data_dir / RUNTIME_FILE).unlink(missing_ok=True)
        await redis.stop()
        await postgres.stop()
        lock.release()


def _with_urls(settings: Settings, database_url: str, redis_url: str) -> Settings:
    return settings.model_copy(
        update={
            "database_url": database_url,
            "redis_url": redis_url,
            "secret_key": resolve_secret_key(settings),
        }
    )


def _write_runtime(data_dir: Path, settings: Settings) -> None:
    path = data_dir / RUNTIME_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {"database_url": settings.database_url, "redis_url": settings.redis_url, "pid": os.getpid()},
            handle,
        )


async def migrate_database(database_url: str) -> list[str]:
    conn = await connect(database_url)
    try:
        return [f"{m.version:04d}_{m.name}" for m in await migrate(conn)]
    finally:
        await conn.close()


async def run_node(
    settings: Settings,
    *,
    stop: asyncio.Event,
    on_ready: Callable[[Settings, web.AppRunner], Awaitable[None]] | None = None,
) -> None:
    """Serve one node until `stop` is set; every server it started is stopped before it returns."""
    async with node_services(settings, share_running=False) as live:
        # The composition root is the one place that may reach the web layer. Imported once the data directory is
        # ours: a second node started on it is refused without waiting a second or two for the web layer to load.
        from web.app import create_app

        applied = await migrate_database(live.database_url)
        if applied:
            log.info("migrations applied", extra={"fields": {"applied": applied}})
        app = create_app(live)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, live.host, live.port)
            await site.start()
            if on_ready is not None:
                await on_ready(live, runner)
            await stop.wait()
        finally:
            await runner.cleanup()

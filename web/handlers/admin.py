"""The operators' dashboard (/admin): what needs a person's attention on this node, on one page.

Organizations awaiting verification (with the verify button), residents verified so far (the verification page
is /admin/residents), the moderation queue, federation peers' delivery queues, disk use, the last backup's age,
and the last server errors.

Recent errors are kept in Redis, not in the process: a node may run several web processes behind nginx, and the
operator's page (served by any one of them) must show the errors of all. It is a list capped at RECENT_ERRORS
entries (LPUSH + LTRIM in one pipeline), so it never grows; each entry is the request id (the same id as in the
logs and on the error page the person saw), the time, the method, the path and the status. An error that happens
while Redis itself is down is not listed here (the logs still have it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from deliberate.members import service as members
from deliberate.peers import service as peers
from web.handlers.common import require_user
from web.render import page
from web.state import REQUEST_ID, state

log = logging.getLogger(__name__)

RECENT_ERRORS = 50
ERRORS_KEY = "recent-errors"
BUSY_PEERS_SHOWN = 5


async def remember_server_error(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every 5xx answer is added to the recent errors list."""
    if response.status < 500:
        return
    app = state(request)
    if app.redis is None:
        return
    entry = json.dumps({
        "request_id": request.get(REQUEST_ID, ""),
        "at": app.clock.now().isoformat(),
        "method": request.method,
        "path": request.path[:200],
        "status": response.status,
    })  # fmt: skip
    try:
        await record_error(app.redis, entry)
    except RedisError as exc:
        log.warning("could not record a server error", extra={"fields": {"error": str(exc)}})


async def record_error(redis: Redis, entry: str) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(ERRORS_KEY, entry)
        pipe.ltrim(ERRORS_KEY, 0, RECENT_ERRORS - 1)
        await pipe.execute()


@dataclass(frozen=True)
class RecentError:
    request_id: str
    at: datetime
    method: str
    path: str
    status: int


async def recent_errors(redis: Redis) -> list[RecentError] | None:
    """The last errors, newest first; None when Redis does not answer."""
    try:
        raw = await redis.lrange(ERRORS_KEY, 0, RECENT_ERRORS - 1)
    except RedisError:
        return None
    found = []
    for item in raw:
        try:
            data: dict[str, Any] = json.loads(item)
            found.append(RecentError(str(data["request_id"]), datetime.fromisoformat(data["at"]), str(data["method"]),
                                     str(data["path"]), int(data["status"])))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            continue
    return found


@dataclass(frozen=True)
class DiskUse:
    data_dir_bytes: int
    free_bytes: int
    total_bytes: int


def _disk_use(data_dir: Path) -> DiskUse | None:
    if not data_dir.is_dir():
        return None
    used = 0
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            try:
                used += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue  # PostgreSQL removes files while we count
    usage = shutil.disk_usage(data_dir)
    return DiskUse(used, usage.free, usage.total)


def megabytes(value: int) -> str:
    """'1 234 MB': whole megabytes, thousands grouped with a space as on the rest of the node's pages."""
    return f"{round(value / 1_000_000):,}".replace(",", " ") + " MB"


async def dashboard(request: web.Request) -> web.Response:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn:
        overview = await members.node_overview(conn, actor=user)
        peer_rows = await peers.status(conn, actor=user, clock=app.clock)
    disk = await asyncio.to_thread(_disk_use, app.settings.data_dir)
    errors = await recent_errors(app.kv)
    busy = sorted(peer_rows, key=lambda p: (p.pending + p.failed, p.consecutive_failures), reverse=True)
    backup_hours = None
    if overview.last_backup_at is not None:
        backup_hours = max(0, int((app.clock.now() - overview.last_backup_at).total_seconds() // 3600))
    return page(request, "admin/dashboard.html", {
        "overview": overview,
        "peers": peer_rows,
        "busy_peers": [p for p in busy if p.pending or p.failed or p.unavailable or p.paused_until][:BUSY_PEERS_SHOWN],
        "pending": sum(p.pending for p in peer_rows),
        "failed": sum(p.failed for p in peer_rows),
        "troubled": sum(1 for p in peer_rows if p.unavailable or p.paused_until is not None),
        "disk": disk,
        "database_size": megabytes(overview.database_bytes),
        "megabytes": megabytes,
        "backup_hours": backup_hours,
        "errors": errors,
        "errors_kept": RECENT_ERRORS,
    })  # fmt: skip


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin", dashboard, name="admin")

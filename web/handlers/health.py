"""Liveness for load balancers (/healthz) and metrics for Prometheus (/metrics)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from web.state import state


async def healthz(request: web.Request) -> web.Response:
    app_state = state(request)
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            async with app_state.db.acquire() as conn:
                await conn.fetchval("SELECT 1")
        checks["postgres"] = "ok"
    except Exception as exc:  # any failure is "not healthy"; the kind is reported
        checks["postgres"] = f"error: {type(exc).__name__}"
    try:
        async with asyncio.timeout(1):
            await app_state.kv.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return web.json_response(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )


async def metrics(request: web.Request) -> web.Response:
    app_state = state(request)
    await app_state.metrics.read_database(app_state.db)
    body = app_state.metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})

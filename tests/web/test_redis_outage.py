"""When Redis stops, pages still render and log-in says clearly it is unavailable; when Redis returns, the node
recovers by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deliberate.runtime.embedded import EmbeddedRedis
from tests.web.support import es


async def test_pages_survive_a_redis_outage_and_log_in_recovers(node_factory: Any, tmp_path: Path) -> None:
    redis = EmbeddedRedis(tmp_path / "redis", durable=False)
    await redis.start()
    try:
        node = await node_factory("ves", redis_url=redis.url(0))
        rosa = await node.visitor()
        await rosa.register("rosa.quispe")
        token = await rosa.csrf("/login")

        await redis.stop()
        response = await rosa.get("/")
        assert response.status == 200  # rendered as for a visitor: no session store, no crash
        response = await rosa.session.post(
            rosa.url("/login"),
            data={"username": "rosa.quispe", "password": "clave-segura-123", "csrf_token": token},
        )
        assert response.status == 503
        assert es("This part of the site is not available right now. Please try again in a few minutes.") in (
            await response.text()
        )
        health = await rosa.get("/healthz")
        assert health.status == 503 and (await health.json())["checks"]["postgres"] == "ok"

        await redis.start()  # same port: the node's client reconnects by itself
        response = await rosa.login("rosa.quispe")
        assert response.status == 200 and response.url.path == "/"
        assert (await rosa.get("/healthz")).status == 200
    finally:
        await redis.stop()

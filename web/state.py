"""Everything a request may need, built once per application by `create_app` and reached through `app[STATE]`.

No module keeps a pool, a client or the settings in a global: two nodes can live in one test process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from deliberate.accounts.model import Account

if TYPE_CHECKING:
    import asyncpg
    import jinja2
    from babel.support import Translations
    from redis.asyncio import Redis

    from deliberate.accounts.passwords import Passwords
    from deliberate.clock import Clock
    from deliberate.node.model import NodeKeys
    from deliberate.settings import Settings
    from federation.runtime import Federation
    from web.cache import PageCache
    from web.metrics import Metrics


@dataclass
class AppState:
    settings: Settings
    secret_key: str
    clock: Clock
    passwords: Passwords
    translations: dict[str, Translations]
    metrics: Metrics
    jinja: jinja2.Environment
    static_version: str
    pool: asyncpg.Pool | None = None
    redis: Redis | None = None
    node_keys: NodeKeys | None = field(default=None, repr=False)
    page_cache: PageCache | None = None
    federation: Federation | None = None

    @property
    def fed(self) -> Federation:
        assert self.federation is not None, "federation is wired on application start-up"
        return self.federation

    @property
    def db(self) -> asyncpg.Pool:
        assert self.pool is not None, "the database pool is opened on application start-up"
        return self.pool

    @property
    def kv(self) -> Redis:
        assert self.redis is not None, "the Redis client is opened on application start-up"
        return self.redis


STATE: web.AppKey[AppState] = web.AppKey("state", AppState)

# Per-request values set by the middlewares.
REQUEST_ID = web.RequestKey("request_id", str)
USER: web.RequestKey[Account | None] = web.RequestKey("user", object)  # type: ignore[arg-type]
LANG = web.RequestKey("lang", str)
NEW_CSRF_COOKIE = web.RequestKey("new_csrf_cookie", str)
TOKEN_AUTH = web.RequestKey("token_auth", bool)
UNREAD = web.RequestKey("unread", int)


def state(request: web.Request) -> AppState:
    return request.app[STATE]

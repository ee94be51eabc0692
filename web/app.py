"""`create_app(settings)`: the web composition root. Builds every collaborator and hands it down through AppState.

Start-up opens the PostgreSQL pool and the Redis client, refuses a database whose migrations do not match this
code (pending ones are applied by `deliberate migrate` or by `serve` before the app starts), and makes sure the
node's keys exist. Shutdown closes both. Nothing here is global, so several nodes can run in one process.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from redis.asyncio import Redis

from deliberate.accounts.passwords import Passwords
from deliberate.clock import Clock, SystemClock
from deliberate.db.migrate import pending_migrations
from deliberate.db.pool import create_pool
from deliberate.errors import MigrationError
from deliberate.node.service import ensure_node_keys
from deliberate.settings import Settings, resolve_secret_key
from federation.runtime import federation as federation_runtime
from web.cache import PageCache
from web.handlers import (
    accounts,
    admin,
    api,
    budgets,
    coalitions,
    consultations,
    federation,
    forums,
    health,
    kiosk,
    live,
    members,
    moderation,
    notifications,
    organizations,
    pages,
    peers,
    voting,
)
from web.i18n import install_i18n, load_catalogs
from web.labels import FILTERS
from web.mailer import email_sender
from web.metrics import Metrics
from web.middlewares import MIDDLEWARES
from web.state import STATE, AppState

STATIC_DIR = Path(__file__).parent / "static"
# Forms are small; 1 MiB leaves room for a long comment while a 10 MB paste is refused before it is read.
MAX_BODY = 1024 * 1024


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _routes(app: web.Application) -> None:
    router = app.router
    # First: inboxes and collections live under actor pages (/o/SLUG/inbox) that later patterns would also match.
    federation.add_routes(router)
    router.add_get("/", pages.home, name="home")
    router.add_post("/language", pages.choose_language, name="language")
    router.add_get("/register", accounts.register_form, name="register")
    router.add_post("/register", accounts.register)
    router.add_get("/login", accounts.login_form, name="login")
    router.add_post("/login", accounts.login)
    router.add_post("/logout", accounts.logout, name="logout")
    router.add_get("/account/password", accounts.password_form, name="password")
    router.add_post("/account/password", accounts.change_password)
    router.add_get("/account/tokens", accounts.tokens_page, name="tokens")
    router.add_get("/u/{username}", accounts.profile, name="member")
    router.add_post("/account/tokens", accounts.create_token)
    router.add_post("/account/tokens/{token_id}/revoke", accounts.revoke_token)
    router.add_get("/organizations", organizations.directory, name="organizations")
    router.add_get("/organizations/new", organizations.new_form)
    router.add_post("/organizations", organizations.create)
    router.add_get("/o/{slug}", organizations.show, name="organization")
    router.add_post("/o/{slug}/forums", forums.create_organization_forum)
    router.add_post("/o/{slug}/members/{account_id}/{action}", organizations.act_on_member)
    router.add_post("/o/{slug}/{action}", organizations.act)
    router.add_get("/forums", forums.index, name="forums")
    router.add_get("/forums/new", forums.new_category)
    router.add_post("/forums", forums.create_category)
    router.add_get("/f/{slug}", forums.show_forum, name="forum")
    router.add_post("/f/{slug}/threads", forums.start_thread)
    router.add_get("/t/{thread_id}", forums.show_thread, name="thread")
    router.add_post("/t/{thread_id}/replies", forums.reply)
    live.add_routes(router)
    router.add_get("/p/{post_id}/edit", forums.edit_form)
    router.add_post("/p/{post_id}/edit", forums.edit)
    router.add_post("/p/{post_id}/delete", forums.delete)
    router.add_get("/p/{post_id}/history", forums.history)
    router.add_post("/p/{post_id}/react", forums.react)
    router.add_get("/search", forums.search, name="search")
    router.add_get("/notifications", notifications.index, name="notifications")
    router.add_post("/notifications/read", notifications.mark_read)
    router.add_post("/notifications/email", notifications.email_choice)
    router.add_post("/follow", notifications.follow)
    api.add_routes(router)
    moderation.add_routes(router)
    peers.add_routes(router)
    consultations.add_routes(router)
    budgets.add_routes(router)
    voting.add_routes(router)
    members.add_routes(router)
    admin.add_routes(router)
    kiosk.add_routes(router)
    coalitions.add_routes(router)
    router.add_get("/healthz", health.healthz, name="healthz")
    router.add_get("/metrics", health.metrics, name="metrics")
    router.add_static("/static/", STATIC_DIR, name="static", append_version=False)


def create_app(
    settings: Settings, *, clock: Clock | None = None, passwords: Passwords | None = None
) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=MAX_BODY)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        # Templates ship inside the package and change only with a new release: no stat() per render.
        auto_reload=False,
    )
    install_i18n(env)
    env.filters.update(FILTERS)
    env.globals.update(kiosk.TEMPLATE_GLOBALS)
    app[STATE] = AppState(
        settings=settings,
        secret_key=resolve_secret_key(settings),
        clock=clock or SystemClock(),
        passwords=passwords or Passwords(),
        translations=load_catalogs(),
        metrics=Metrics(),
        jinja=env,
        static_version=_static_version(),
        page_cache=PageCache(settings.anonymous_cache_seconds) if settings.anonymous_cache_seconds > 0 else None,
    )
    app.on_response_prepare.append(admin.remember_server_error)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_federation)
    app.cleanup_ctx.append(email_sender)
    app.cleanup_ctx.append(live.live_updates)
    app.on_shutdown.append(live.end_streams)
    _routes(app)
    return app


async def _resources(app: web.Application) -> AsyncIterator[None]:
    app_state = app[STATE]
    settings = app_state.settings
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError("create_app needs database and Redis URLs; `deliberate serve` starts embedded ones")
    app_state.pool = await create_pool(settings.database_url, size=settings.db_pool_size)
    try:
        async with app_state.pool.acquire() as conn:
            if pending := await pending_migrations(conn):
                raise MigrationError(
                    message=f"{len(pending)} database migrations are pending; run `deliberate migrate` first."
                )
            async with conn.transaction():
                app_state.node_keys = await ensure_node_keys(conn, clock=app_state.clock)
        app_state.metrics.watch_pool(
            lambda: _pool_stats(app_state), lambda: app[live.LIVE].open_streams if live.LIVE in app else 0
        )
        app_state.redis = Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=1,
            socket_timeout=2,
            health_check_interval=10,
            retry_on_timeout=False,
        )
        yield
    finally:
        if app_state.redis is not None:
            await app_state.redis.aclose()
        await app_state.pool.close()


async def _federation(app: web.Application) -> AsyncIterator[None]:
    app_state = app[STATE]

    async def post_added(thread_id: int, post_id: int) -> None:
        await live.publish(app_state.kv, app_state.settings.base_url, thread_id=thread_id, post_id=post_id)

    async with federation_runtime(
        app_state.settings,
        app_state.db,
        app_state.clock,
        run_worker=app_state.settings.federation_worker,
        on_post_added=post_added,
    ) as wired:
        app_state.federation = wired
        yield
        app_state.federation = None


def _pool_stats(app_state: AppState) -> tuple[int, int, int] | None:
    pool = app_state.pool
    if pool is None:
        return None
    return pool.get_size(), pool.get_idle_size(), pool.get_max_size()

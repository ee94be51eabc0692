"""Request middlewares, outermost first: observe → session.

* observe: gives every request an id (kept from a trusted proxy's X-Request-Id), logs one line per request and
  records latency; the id is on every log line and every error page. It maps errors: `web/problems.py` turns domain
  errors and HTTP errors into pages or problem documents. It also sets the security headers: a strict
  Content-Security-Policy (no inline script or style at all), frame denial, referrer policy; on error pages too,
  which is why they are set outside the error mapping. And it answers kept pages for readers who cannot be signed in
  (no session cookie, no token, not a kiosk computer) without going further in (web/cache.py).
* session: loads the signed-in account, if any; a Redis outage only means "nobody is signed in" for reading. Then
  checks CSRF on every state-changing request before its handler runs. Around the handler, in the same layer:
  the short-lived cache of pages for readers who are not signed in (web/cache.py); the inbox outcome counter
  (web/metrics.py), next to the handler so it sees the typed error before the error mapping turns it into a problem
  document; and after a successful write, a wake-up for the federation worker, which looks for new events at once.

Layers that always run together are one middleware: each layer is a call and a coroutine on every request. A peer's
signed POST to an inbox (authenticated by its HTTP signature, never by a session) does not enter the session layer
at all: `observe` hands it to its handler (`_peer_delivery`), skipping only what cannot apply to it (loading a
session or a token, CSRF, the page cache). What the session layer does for every request is shared with it, not
repeated: nobody signed in (`_signed_out`) and the inbox outcome counted next to the handler (`_counted`). The
worker is woken after a new activity by the inbox handler alone, which is the one that knows the activity was new.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy
from redis.exceptions import RedisError

from deliberate.accounts import service as accounts
from deliberate.errors import DomainError
from deliberate.notifications import service as notifications
from web import problems
from web.cache import CachedPage, accepts_gzip, anonymous_pages, is_cacheable, kept_page
from web.csrf import check_csrf, is_inbox, set_csrf_cookie
from web.logs import log_fields, request_id_var
from web.metrics import is_inbox_request
from web.sessions import KIOSK, KIOSK_COOKIE, SESSION_COOKIE, SessionStore, is_kiosk_cookie
from web.state import REQUEST_ID, TOKEN_AUTH, UNREAD, USER, AppState, state

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("deliberate.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Set on every response that does not set its own (built once, not per request).
_SECURE_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
HSTS = "max-age=31536000"  # only when the node is served over https


def client_address(request: web.Request) -> str:
    """The client's address; X-Forwarded-For is believed only when the direct peer is a trusted proxy."""
    return _client_address(request, state(request).settings.trusted_proxies)


def _client_address(request: web.Request, trusted_proxies: list[str]) -> str:
    peer = request.remote or "unknown"
    if peer in trusted_proxies:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass
    return peer


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost, and the only layer a kept page for a reader who is not signed in goes through (web/cache.py):
    so every response, kept or freshly made, gets its security headers, request id, log line and latency here.
    Errors are mapped to pages or problem documents inside, so error pages get the same."""
    app_state = state(request)
    request_id = _request_id(request, app_state)
    request[REQUEST_ID] = request_id
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    status = 500
    try:
        response: web.StreamResponse
        page = kept_page(request) if request.method == "GET" else None  # no other method is answered from it
        if page is not None:
            response = _kept_response(request, page)
        else:
            try:
                if request.method == "POST" and is_inbox(request.path):
                    response = await _peer_delivery(request, app_state)
                else:
                    response = await handler(request)
            except DomainError as exc:
                response = problems.domain_error_response(request, exc)
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                response = problems.http_error_response(request, exc)
            except Exception:
                log.exception("unhandled error", extra={"fields": {"path": request.path}})
                app_state.metrics.errors.inc()
                response = problems.unexpected_error_response(request)
            _secure(request, response, app_state)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        elapsed = time.perf_counter() - started
        app_state.metrics.observe_request(request.method, _route_name(request), status, elapsed)
        if log.isEnabledFor(logging.INFO):
            fields = {
                "method": request.method,
                "path": request.path,
                "status": status,
                "ms": round(elapsed * 1000, 1),
                "client": _client_address(request, app_state.settings.trusted_proxies),
            }
            log_fields(log, logging.INFO, "request", fields)
        request_id_var.reset(token)


def _peer_delivery(request: web.Request, app_state: AppState) -> Awaitable[web.StreamResponse]:
    """A peer's signed POST to an inbox (web/handlers/federation.py), handed straight to its handler. It is
    authenticated by its HTTP signature, never by a session or a token of ours, and exempt from CSRF (web/csrf.py):
    so no session is loaded, no CSRF check runs and no page is kept, which is all this skips. Nobody is signed in,
    as the session layer would find, and the outcome is counted as it counts it. The federation worker is not woken
    here: the inbox handler wakes it once it has stored a new activity (a duplicate or an ignored type is not news).
    One coroutine layer fewer on the path every peer delivery takes, and not one of its own either: it hands back
    the counted handler's coroutine for `observe` to await."""
    _signed_out(request, kiosk=False)
    return _counted(request, request.match_info.handler, app_state)


def _signed_out(request: web.Request, *, kiosk: bool) -> None:
    """The request keys for a request nobody is signed in to (yet): the session layer's starting point."""
    request[USER] = None
    request[TOKEN_AUTH] = False
    request[UNREAD] = 0
    request[KIOSK] = kiosk


async def _counted(request: web.Request, handler: Handler, app_state: AppState) -> web.StreamResponse:
    """The inbox handler, its outcome counted (web/metrics.py): next to it, so the counter sees the typed error
    before `observe`'s error mapping turns it into a problem document."""
    metrics = app_state.metrics
    try:
        response = await handler(request)
    except Exception as exc:
        metrics.count_inbox_refusal(exc)
        raise
    metrics.count_inbox_answer(response.status)
    return response


def _request_id(request: web.Request, app_state: AppState) -> str:
    incoming = request.headers.get("X-Request-Id")
    if incoming and (request.remote or "") in app_state.settings.trusted_proxies and _REQUEST_ID.match(incoming):
        return incoming
    return _new_request_id()


class _RandomIds:
    """Request ids: 8 bytes from the operating system's random source in hex, as `os.urandom(8).hex()`, drawn for
    256 ids at a time (one system call per 256 requests, not one each)."""

    BATCH = 256

    def __init__(self) -> None:
        self._digits = ""
        self._next = 0
        # A forked child must not hand out its parent's next ids.
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._digits, self._next = "", 0

    def __call__(self) -> str:
        start = self._next
        if start >= len(self._digits):
            self._digits, start = os.urandom(8 * self.BATCH).hex(), 0
        self._next = start + 16
        return self._digits[start : start + 16]


_new_request_id = _RandomIds()


def _kept_response(request: web.Request, page: CachedPage) -> web.Response:
    """A kept page for a reader who cannot be signed in (web/cache.py), gzip-coded when the client takes it. The
    headers `_secure` gives such a page (no session, no kiosk, no new CSRF cookie, not a static file) are the same
    for every reader, so they are put together with the page's own on its first answer and copied whole afterwards."""
    gzipped = page.gzipped
    coded = gzipped is not None and accepts_gzip(request.headers.get(hdrs.ACCEPT_ENCODING))
    headers = page.answered_with.get(coded)
    if headers is None:
        merged = CIMultiDict(page.headers)
        if coded:
            merged[hdrs.CONTENT_ENCODING] = "gzip"
        for name, value in _SECURE_HEADERS:
            merged.setdefault(name, value)
        if state(request).settings.secure_cookies:
            merged.setdefault("Strict-Transport-Security", HSTS)
        headers = page.answered_with[coded] = CIMultiDictProxy(merged)
    return web.Response(body=gzipped if coded else page.body, headers=headers)


def _secure(request: web.Request, response: web.StreamResponse, app_state: AppState) -> None:
    """Security headers and caching rules; on error pages too, which is why this runs after the error mapping."""
    set_csrf_cookie(request, response)  # here, so error pages' forms get a matching cookie too
    headers = response.headers
    setdefault = headers.setdefault
    for name, value in _SECURE_HEADERS:
        setdefault(name, value)
    if app_state.settings.secure_cookies:
        setdefault("Strict-Transport-Security", HSTS)
    if request.path.startswith("/static/"):
        # Static URLs carry ?v=<content hash>: a changed file gets a new URL, so caching forever is safe.
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif request.get(KIOSK):
        # A shared computer: the next person must not find this page in the browser's cache or its back button.
        headers["Cache-Control"] = "no-store"
    elif request.get(USER) is not None:
        setdefault("Cache-Control", "private, no-store")


@web.middleware
async def session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is asking: a personal API token (`Authorization: Bearer …`) or the session cookie; and whether the
    browser is a kiosk computer's (web/handlers/kiosk.py), whose sessions end after a few idle minutes. Then CSRF: a
    bearer token is never sent by a browser on its own, so token requests cannot be forged cross-site; every other
    state-changing request is checked before its handler runs. Then the handler, with what surrounds every handler
    (in this layer rather than three more): a kept page for a reader who is not signed in (web/cache.py, GET only),
    the inbox outcome counter (web/metrics.py, inbox POSTs only), and the federation worker woken after a write."""
    app_state = state(request)
    store: SessionStore | None = None
    # A peer's signed POST to an inbox does not come here: `observe` hands it to its handler (`_peer_delivery`).
    _signed_out(request, kiosk=is_kiosk_cookie(app_state.secret_key, request.cookies.get(KIOSK_COOKIE)))
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        async with app_state.db.acquire() as conn:
            request[USER] = await accounts.authenticate_token(
                conn, clock=app_state.clock, token=authorization.removeprefix("Bearer ").strip()
            )
        request[TOKEN_AUTH] = True
    else:
        store = SessionStore(app_state.kv, app_state.clock)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id and not request.path.startswith("/static/"):
            # A live-update stream (web/handlers/live.py) reconnects by itself: it is not someone using the page.
            by_itself = request.headers.get("Accept", "").startswith("text/event-stream")
            account_id = await store.load(session_id, kiosk=request[KIOSK], activity=not by_itself)
            if account_id is not None:
                async with app_state.db.acquire() as conn:
                    user = await accounts.find_account(conn, account_id)
                    request[USER] = user
                    # The header of every page shows the unread count: one indexed count, same connection.
                    request[UNREAD] = await notifications.unread_count(conn, actor=user)
        await check_csrf(request)
    if is_inbox_request(request):
        # Paths ending in /inbox that are not an inbox (web/csrf.py `is_inbox`) still count here, after CSRF.
        response = await _counted(request, handler, app_state)
    elif app_state.page_cache is not None and is_cacheable(request):
        response = await anonymous_pages(request, handler)
    else:
        response = await handler(request)
    if request.method != "GET" and response.status < 400 and app_state.federation is not None:
        # A write that succeeded may have recorded a domain event for peers: the federation worker looks now rather
        # than at its next poll.
        app_state.federation.worker.wake()
    if store is None:
        return response
    started = response.cookies.get(SESSION_COOKIE)
    if request[KIOSK] and started is not None and started.value:
        # A session begun on a kiosk computer (log-in, registration): it ends after a few idle minutes, and its
        # cookie is not kept on disk once the browser is closed.
        try:
            await store.limit_idle(started.value)
        except RedisError:
            response.del_cookie(SESSION_COOKIE, path="/")  # better not signed in than signed in without a limit
            return response
        started["max-age"] = ""
        started["expires"] = ""
    return response


MIDDLEWARES = [observe, session]

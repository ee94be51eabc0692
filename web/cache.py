"""A short-lived cache of pages for readers who are not signed in, as Discourse keeps for anonymous visitors.

Most readers of a district forum are not signed in, and a thread page costs about 2 ms of CPU to build (mostly
template rendering). For a GET by someone without a session or token, the rendered page is kept in this process's
memory for `DELIBERATE_ANONYMOUS_CACHE_SECONDS` (default 10) under its path and language, so a thread that is being
read by many people is rendered once per interval. A reader who is not signed in may therefore see a new reply up to
that many seconds late; signed-in members always get fresh pages. Only complete 200 HTML responses that set no
cookie are kept (such pages are identical for every anonymous reader: see `web.csrf.LazyToken`). The cache is per
process and bounded in entries; nothing in it is needed by another process.

A kept page is also kept gzip-coded, compressed once when it is kept: a browser that accepts gzip (they all say so)
gets that (about a sixth of the bytes for a thread page), every other client the page as made. Nothing secret is in
a kept page (no CSRF token, no cookie: it is the same for every reader), so compressing it gives BREACH nothing to
find (web/csrf.py). nginx (deploy/nginx) passes a gzip-coded answer through as it is.

Kept pages are answered at two depths:
* `kept_page`, called by the outermost middleware (web/middlewares.py) before any other: a request that carries no
  session cookie, no Authorization header and no kiosk cookie cannot be anyone's, so the session, CSRF and
  federation layers have nothing to do for it and are skipped. It still gets the security headers, the request id,
  the log line and the latency histogram, which the outermost middleware adds to every response; the page's own
  headers and the security headers are put together once per kept page (`CachedPage.answered_with`), not per reader.
* `anonymous_pages`, inside the session middleware: every other request, once the session middleware has found that
  nobody is signed in (an expired session cookie, say); and where pages are rendered and kept. While a page is being
  rendered, other readers of the same page wait for it rather than render it too.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache

from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy

from web.i18n import q_value
from web.render import choose_language, language
from web.sessions import KIOSK, KIOSK_COOKIE, SESSION_COOKIE
from web.state import TOKEN_AUTH, USER, state

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CACHEABLE_PREFIXES = ("/t/", "/f/", "/o/", "/u/", "/forums", "/organizations")
CACHEABLE_PATHS = frozenset({"/"})
MAX_ENTRIES = 2000
CONTENT_TYPE = "text/html; charset=utf-8"
VARY = "Accept-Language, Cookie, Accept-Encoding"  # as web.render.page says of every page
# nginx's level here (deploy/nginx): for a 30 kB thread page, 5.3 kB in about 0.25 ms, once per kept page (level 6,
# zlib's default, 1% smaller in twice the time).
GZIP_LEVEL = 5
# How long a reader waits for a page another request is making (a few ms, usually). Longer, and it is not a page
# (a live-update stream: web/handlers/live.py) or the node is overloaded: then the reader's own request goes on.
RENDER_WAIT = 1.0


@dataclass
class CachedPage:
    body: bytes
    content_language: str
    expires: float
    headers: CIMultiDictProxy[str]  # built once per kept page, copied into each response
    gzipped: bytes | None = None  # the body gzip-coded, when that is smaller
    # The headers of an answer from the cache, plain (False) or gzip-coded (True): the page's own, the coding's and
    # those the outermost middleware adds to every response that sets none of its own (the security headers). The
    # same for every reader of the page, so the middleware builds them on the first such answer and every later
    # one copies them whole (web/middlewares.py).
    answered_with: dict[bool, CIMultiDictProxy[str]] = field(default_factory=dict, compare=False)

    def response(self) -> web.Response:
        return web.Response(body=self.body, headers=self.headers)


class PageCache:
    def __init__(self, ttl: float, *, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._pages: OrderedDict[tuple[str, str], CachedPage] = OrderedDict()
        # Pages being made now: when a kept page expires under load, the readers asking for it meanwhile wait for
        # the one rendering instead of each rendering it again (a burst of identical renders every few seconds).
        self.rendering: dict[tuple[str, str], asyncio.Future[CachedPage | None]] = {}

    def get(self, key: tuple[str, str]) -> CachedPage | None:
        page = self._pages.get(key)
        if page is None:
            return None
        if page.expires < self._clock():
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return page

    def put(self, key: tuple[str, str], body: bytes, content_language: str) -> CachedPage:
        headers = CIMultiDict(
            {hdrs.CONTENT_TYPE: CONTENT_TYPE, hdrs.CONTENT_LANGUAGE: content_language, hdrs.VARY: VARY}
        )
        gzipped = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        page = CachedPage(
            body,
            content_language,
            self._clock() + self.ttl,
            CIMultiDictProxy(headers),
            gzipped if len(gzipped) < len(body) else None,
        )
        self._pages[key] = page
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)
        return page


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether a client with this Accept-Encoding takes a gzip-coded answer (RFC 9110 §12.5.3): `gzip` (or its old
    alias `x-gzip`) listed with a quality above zero, or else `*` with one. Browsers send a handful of distinct
    values, so the answers are remembered (for at most 256 of them)."""
    anything: bool | None = None
    for part in (accept_encoding or "").split(",")[:20]:
        coding, *params = part.split(";")
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            return q_value(params) > 0
        if coding == "*":
            anything = q_value(params) > 0
    return bool(anything)


def _is_page_request(request: web.Request) -> bool:
    """A browser's GET of a page that is the same for every reader who is not signed in."""
    if request.method != "GET":
        return False
    accept = request.headers.get(hdrs.ACCEPT, "")
    if "json" in accept:
        return False  # the same URL answers AS2 JSON to federation clients: only browsers' pages are kept
    if accept.startswith("text/event-stream"):
        return False  # a browser's live-update stream (web/handlers/live.py)
    path = request.path
    return path in CACHEABLE_PATHS or path.startswith(CACHEABLE_PREFIXES)


def is_cacheable(request: web.Request) -> bool:
    """Whether the page cache answers this request (`anonymous_pages`), once the session middleware has found that
    nobody is signed in: a page request from a reader who is not signed in and not on a kiosk computer."""
    if request.get(USER) is not None or request.get(TOKEN_AUTH) or request.get(KIOSK):
        return False  # a kiosk computer's pages carry its own notice and button
    return _is_page_request(request)


def kept_page(request: web.Request) -> CachedPage | None:
    """The kept page for a request that cannot be anyone's (see the module's docstring), or None: then the request
    goes through every layer as usual. The caller answers with it (`CachedPage.response`)."""
    cache = state(request).page_cache
    if cache is None or request.method != "GET":
        return None
    cookies = request.cookies
    if SESSION_COOKIE in cookies or KIOSK_COOKIE in cookies or hdrs.AUTHORIZATION in request.headers:
        return None
    if not _is_page_request(request):
        return None
    return cache.get((choose_language(request), request.path_qs))  # the first layer to ask for the language


async def anonymous_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The kept page, or the handler's page, kept if it can be. Called by the session middleware (web/middlewares.py)
    for requests `is_cacheable` accepts; any other request goes straight to the handler."""
    cache = state(request).page_cache
    if cache is None or not is_cacheable(request):
        return await handler(request)
    key = (language(request), request.path_qs)
    cached = cache.get(key)
    if cached is not None:
        return cached.response()
    pending = cache.rendering.get(key)
    if pending is not None:
        try:  # shielded: a reader who leaves must not cancel it for the others
            made = await asyncio.wait_for(asyncio.shield(pending), RENDER_WAIT)
        except TimeoutError:
            made = None
        # Not kept (an error, a redirect): each reader gets their own answer.
        return made.response() if made is not None else await handler(request)
    rendering: asyncio.Future[CachedPage | None] = asyncio.get_running_loop().create_future()
    cache.rendering[key] = rendering
    kept = None
    try:
        fresh = await handler(request)
        if (
            isinstance(fresh, web.Response)
            and fresh.status == 200
            and fresh.content_type == "text/html"
            and "Set-Cookie" not in fresh.headers
            and not fresh.cookies
            and isinstance(fresh.body, bytes)
        ):
            kept = cache.put(key, fresh.body, fresh.headers.get("Content-Language", key[0]))
        return fresh
    finally:
        del cache.rendering[key]
        rendering.set_result(kept)

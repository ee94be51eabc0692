"""A short-lived cache of pages for readers who are not signed in, as Discourse keeps for anonymous visitors.

Most readers of a district forum are not signed in, and a thread page costs about 2 ms of CPU to build (mostly
template rendering). For a GET by someone without a session or token, the rendered page is kept in this process's
memory for `DELIBERATE_ANONYMOUS_CACHE_SECONDS` (default 10) under its path and language, so a thread that is being
read by many people is rendered once per interval. A reader who is not signed in may therefore see a new reply up to
that many seconds late; signed-in members always get fresh pages. Only complete 200 HTML responses that set no
cookie are kept (such pages are identical for every anonymous reader: see `web.csrf.LazyToken`). The cache is per
process and bounded in entries; nothing in it is needed by another process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from web.render import language
from web.sessions import KIOSK
from web.state import TOKEN_AUTH, USER, state

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CACHEABLE_PREFIXES = ("/t/", "/f/", "/o/", "/u/", "/forums", "/organizations")
CACHEABLE_PATHS = frozenset({"/"})
MAX_ENTRIES = 2000


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    content_language: str
    expires: float


class PageCache:
    def __init__(self, ttl: float, *, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._pages: OrderedDict[tuple[str, str], CachedPage] = OrderedDict()

    def get(self, key: tuple[str, str]) -> CachedPage | None:
        page = self._pages.get(key)
        if page is None:
            return None
        if page.expires < self._clock():
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return page

    def put(self, key: tuple[str, str], body: bytes, content_language: str) -> None:
        self._pages[key] = CachedPage(body, content_language, self._clock() + self.ttl)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)


def _cacheable(request: web.Request) -> bool:
    if request.method != "GET" or request.get(USER) is not None or request.get(TOKEN_AUTH) or request.get(KIOSK):
        return False  # a kiosk computer's pages carry its own notice and button
    if "json" in request.headers.get("Accept", ""):
        return False  # the same URL answers AS2 JSON to federation clients: only browsers' pages are kept
    path = request.path
    return path in CACHEABLE_PATHS or path.startswith(CACHEABLE_PREFIXES)


@web.middleware
async def anonymous_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    cache = state(request).page_cache
    if cache is None or not _cacheable(request):
        return await handler(request)
    key = (language(request), request.path_qs)
    cached = cache.get(key)
    if cached is not None:
        response = web.Response(body=cached.body, content_type="text/html", charset="utf-8")
        response.headers["Content-Language"] = cached.content_language
        response.headers["Vary"] = "Accept-Language, Cookie"
        return response
    fresh = await handler(request)
    if (
        isinstance(fresh, web.Response)
        and fresh.status == 200
        and fresh.content_type == "text/html"
        and "Set-Cookie" not in fresh.headers
        and not fresh.cookies
        and isinstance(fresh.body, bytes)
    ):
        cache.put(key, fresh.body, fresh.headers.get("Content-Language", key[0]))
    return fresh

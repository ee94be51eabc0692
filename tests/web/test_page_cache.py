"""The short-lived page cache for readers who are not signed in."""

from __future__ import annotations

import gzip
from typing import Any

import aiohttp

from tests.conftest import Node
from tests.web.test_organizations_and_forums_web import signed_in
from web.cache import PageCache
from web.i18n import negotiate
from web.state import STATE


async def test_anonymous_readers_share_a_page_for_a_few_seconds_and_members_see_it_fresh(node_factory: Any) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    thread_path = (
        await operator.submit(forum_path + "/threads", {"title": "Agua", "body": "Primero"}, form_page=forum_path)
    ).url.path
    reader = await node.visitor()
    first = await reader.get(thread_path)
    assert "Set-Cookie" not in first.headers
    await operator.submit(thread_path + "/replies", {"body": "Segunda noticia"}, form_page=thread_path)
    assert "Segunda noticia" in operator.last_html  # members: fresh
    await reader.get(thread_path)
    assert "Segunda noticia" not in reader.last_html  # readers not signed in: the kept page, for up to a minute
    english = await node.visitor(**{"Accept-Language": "en"})
    await english.get(thread_path)
    assert '<html lang="en"' in english.last_html  # kept per language


async def test_failed_pages_are_never_kept(node_factory: Any) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    reader = await node.visitor()
    assert (await reader.get("/t/999")).status == 404
    cache = node.app[STATE].page_cache
    assert cache is not None and cache.get(("es", "/t/999")) is None


def test_entries_expire_and_the_oldest_go_first() -> None:
    now = [0.0]
    cache = PageCache(10, max_entries=2, clock=lambda: now[0])
    cache.put(("es", "/a"), b"a", "es")
    cache.put(("es", "/b"), b"b", "es")
    assert cache.get(("es", "/a")) is not None  # /a is now the most recently used
    cache.put(("es", "/c"), b"c", "es")
    assert cache.get(("es", "/b")) is None and cache.get(("es", "/c")) is not None
    now[0] = 11
    assert cache.get(("es", "/a")) is None


async def test_federation_clients_never_get_a_kept_page(node_factory: Any) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    await signed_in(node, "rosa")
    reader = await node.visitor()
    await reader.get("/u/rosa")  # the page is now kept for readers
    async with reader.session.get(reader.url("/u/rosa"), headers={"Accept": "application/activity+json"}) as r:
        assert r.content_type == "application/activity+json" and (await r.json())["type"] == "Person"


async def test_a_kept_page_follows_the_readers_language_cookie_and_header_request_by_request(
    node_factory: Any,
) -> None:
    """The language is remembered per (cookie, Accept-Language) value, never per reader: the same browser changing
    its header or its cookie gets the other language's page at once."""
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    await signed_in(node, "operador", "operator")
    reader = await node.visitor()
    languages = []
    for cookie, header in [(None, "es-PE,es;q=0.9"), (None, "en"), (None, "es-PE,es;q=0.9"), ("qu", "en"),
                           ("en", "es-PE,es;q=0.9"), (None, "quz-PE"), ("qu", "quz-PE"), (None, "en")]:  # fmt: skip
        headers = {"Accept-Language": header} | ({"Cookie": f"lang={cookie}"} if cookie else {})
        response = await reader.session.get(reader.url("/forums"), headers=headers)
        assert response.status == 200
        await response.read()
        languages.append(response.headers["Content-Language"])
    assert languages == ["es", "en", "es", "qu", "en", "qu", "qu", "en"]


def test_the_remembered_languages_are_bounded_and_each_answer_is_the_negotiated_one() -> None:
    """Headers made up by clients cost memory only up to the memo's bound."""
    for n in range(3 * 512):
        header = f"x{n},en;q=0.{n % 9 + 1},qu;q=0.5"
        assert negotiate(None, header, "es") == ("en" if n % 9 + 1 >= 5 else "qu")  # equal: the first listed
    info = negotiate.cache_info()
    assert info.maxsize == 512 and info.currsize <= 512


async def test_a_kept_page_is_answered_gzip_coded_to_clients_that_take_gzip_and_as_made_to_others(
    node_factory: Any,
) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    reader = await node.visitor()
    url = reader.url("/forums")

    async def fetch(accept_encoding: str) -> tuple[aiohttp.ClientResponse, bytes]:
        async with reader.session.get(url, headers={"Accept-Encoding": accept_encoding}, auto_decompress=False) as r:
            return r, await r.read()

    fresh, made = await fetch("gzip, deflate, br")  # made now, and kept
    assert "Content-Encoding" not in fresh.headers and made.startswith(b"<!doctype html>")
    for accept_encoding in ("gzip, deflate, br, zstd", "gzip", "x-gzip", "br;q=1.0, gzip;q=0.5", "*"):
        kept, body = await fetch(accept_encoding)
        assert kept.headers["Content-Encoding"] == "gzip", accept_encoding
        assert gzip.decompress(body) == made and int(kept.headers["Content-Length"]) == len(body) < len(made)
        assert kept.headers["Vary"] == fresh.headers["Vary"] == "Accept-Language, Cookie, Accept-Encoding"
        assert kept.headers["Content-Security-Policy"] == fresh.headers["Content-Security-Policy"]
    for accept_encoding in ("", "identity", "gzip;q=0", "br, deflate", "*;q=0", "gzip;q=0, *"):
        kept, body = await fetch(accept_encoding)
        assert "Content-Encoding" not in kept.headers and body == made, accept_encoding

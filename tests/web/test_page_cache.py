"""The short-lived page cache for readers who are not signed in."""

from __future__ import annotations

from typing import Any

from tests.conftest import Node
from tests.web.test_organizations_and_forums_web import signed_in
from web.cache import PageCache
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

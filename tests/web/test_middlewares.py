"""The outermost middleware answers kept pages for readers who cannot be signed in: those answers carry everything a
freshly made page does (security headers, request id, log line, latency), and nobody else ever gets one."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from yarl import URL

from tests.conftest import Node, Visitor
from tests.web.test_organizations_and_forums_web import signed_in
from web import cache as cache_module
from web import middlewares as middlewares_module
from web.cache import anonymous_pages, kept_page
from web.logs import JsonFormatter, request_id_var
from web.sessions import KIOSK_COOKIE, SESSION_COOKIE, new_kiosk_cookie
from web.state import STATE

THREAD_ROUTE = 'method="GET",route="/t/{thread_id}",status="200"'


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """The request log lines, formatted as `deliberate serve` writes them."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("deliberate.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


async def _thread(node: Node) -> tuple[Visitor, str]:
    """An operator's new thread: (the operator, the thread's path)."""
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    thread = {"title": "Agua", "body": "Primero"}
    response = await operator.submit(forum_path + "/threads", thread, form_page=forum_path)
    return operator, response.url.path


async def _latency_count(node: Node, series: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(node.base_url + "/metrics") as response:
        body = await response.text()
    match = re.search(r"^deliberate_http_request_duration_seconds_count\{" + re.escape(series) + r"\} (\S+)$", body,
                      re.MULTILINE)  # fmt: skip
    return float(match[1]) if match else 0.0


async def test_a_kept_page_carries_the_security_headers_request_id_log_line_and_latency(
    node_factory: Any, request_log: io.StringIO
) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    operator, thread_path = await _thread(node)
    reader = await node.visitor()
    fresh = await reader.get(thread_path)
    await operator.submit(thread_path + "/replies", {"body": "Segunda noticia"}, form_page=thread_path)
    before = await _latency_count(node, THREAD_ROUTE)
    ids = []
    for _ in range(2):
        kept = await reader.get(thread_path)
        assert kept.status == 200 and "Segunda noticia" not in reader.last_html  # the kept page, made before
        for name in (
            "Content-Security-Policy",
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
            "Permissions-Policy",
            "Content-Language",
            "Vary",
            "Content-Type",
        ):
            assert kept.headers[name] == fresh.headers[name], name  # fmt: skip
        assert "unsafe-inline" not in kept.headers["Content-Security-Policy"]
        assert "Cache-Control" not in kept.headers and "Set-Cookie" not in kept.headers
        assert re.fullmatch(r"[0-9a-f]{16}", kept.headers["X-Request-Id"])
        ids.append(kept.headers["X-Request-Id"])
    assert ids[0] != ids[1] != fresh.headers["X-Request-Id"]
    assert await _latency_count(node, THREAD_ROUTE) == before + 2
    logged = [json.loads(line) for line in request_log.getvalue().splitlines()]
    for request_id in ids:
        (line,) = [entry for entry in logged if entry["request_id"] == request_id]
        assert line["message"] == "request" and line["level"] == "info" and line["logger"] == "deliberate.request"
        assert line["method"] == "GET" and line["path"] == thread_path and line["status"] == 200
        assert isinstance(line["ms"], float) and line["client"] == "127.0.0.1"
        assert datetime.fromisoformat(line["time"]).tzinfo is not None


async def test_a_member_with_a_session_cookie_never_gets_a_kept_page(node_factory: Any) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    operator, thread_path = await _thread(node)
    reader = await node.visitor()
    await reader.get(thread_path)  # kept from now on
    member = await signed_in(node, "rosa")
    assert SESSION_COOKIE in member.cookies()
    await operator.submit(thread_path + "/replies", {"body": "Segunda noticia"}, form_page=thread_path)
    response = await member.get(thread_path)
    assert "Segunda noticia" in member.last_html and "rosa" in member.last_html
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Content-Security-Policy" in response.headers and "X-Request-Id" in response.headers
    await reader.get(thread_path)
    assert "Segunda noticia" not in reader.last_html and "rosa" not in reader.last_html  # the member's page not kept


async def test_a_kiosk_computer_never_gets_a_kept_page_and_its_pages_are_never_kept(node_factory: Any) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    operator, thread_path = await _thread(node)
    kiosk = await node.visitor()
    kiosk.session.cookie_jar.update_cookies(
        {KIOSK_COOKIE: new_kiosk_cookie(node.app[STATE].secret_key)}, URL(node.base_url)
    )
    await kiosk.get(thread_path)  # the first reader of the page: a kiosk computer's page is not kept
    reader = await node.visitor()
    await reader.get(thread_path)
    assert "/kiosk/end" in kiosk.last_html and "/kiosk/end" not in reader.last_html
    await operator.submit(thread_path + "/replies", {"body": "Segunda noticia"}, form_page=thread_path)
    response = await kiosk.get(thread_path)
    assert "Segunda noticia" in kiosk.last_html and "/kiosk/end" in kiosk.last_html
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers and "X-Request-Id" in response.headers


async def test_only_requests_that_cannot_be_anyones_are_answered_before_the_session_layer(node_factory: Any) -> None:
    """`kept_page` itself: what the outermost middleware may answer without the session, CSRF and federation
    layers; every other request goes through them (and is then answered from the cache only if nobody is signed in)."""
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    _, thread_path = await _thread(node)
    await (await node.visitor()).get(thread_path)

    def kept(method: str = "GET", path: str = thread_path, **headers: str) -> bool:
        request = make_mocked_request(method, path, headers={"Accept-Language": "es", **headers}, app=node.app)
        return kept_page(request) is not None

    assert kept()
    assert kept(Cookie="csrf=abc; lang=es")
    assert not kept(Cookie=f"{SESSION_COOKIE}=whatever")
    assert not kept(Cookie=f"{KIOSK_COOKIE}=whatever")
    assert not kept(Authorization="Bearer whatever")
    assert not kept(Accept="application/activity+json")
    assert not kept(Accept="text/event-stream")
    assert not kept("HEAD")
    assert not kept("POST")
    assert not kept(path=thread_path + "?page=2")  # another page, not kept yet
    assert not kept(**{"Accept-Language": "qu"})  # kept per language


def test_the_json_log_time_is_iso_8601_utc_with_milliseconds() -> None:
    formatter = JsonFormatter()
    for created in (0.0, 1796112005.0, 1796112005.0004, 1796112005.9994, 1796112005.123456, 1796112059.5):
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert formatter.timestamp(created) == expected


def test_a_json_log_line_has_every_field_and_the_exception() -> None:
    record = logging.getLogger("deliberate.test").makeRecord(
        "deliberate.test", logging.ERROR, __file__, 1, "failed %s", ("ahora",), None,
        extra={"fields": {"path": "/t/1", "when": datetime(2026, 12, 4, tzinfo=UTC), "texto": "año"}},
    )  # fmt: skip
    try:
        raise ValueError("malo")
    except ValueError:
        record.exc_info = sys.exc_info()
    token = request_id_var.set("abc123abc123")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "failed ahora" and entry["level"] == "error" and entry["logger"] == "deliberate.test"
    assert entry["request_id"] == "abc123abc123" and entry["path"] == "/t/1" and entry["texto"] == "año"
    assert entry["when"] == "2026-12-04 00:00:00+00:00"  # anything else as its str()
    assert "ValueError: malo" in entry["exception"] and "año" in line  # not escaped


async def test_readers_asking_for_a_page_being_made_wait_for_it_instead_of_making_it_again(
    node_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60)
    made: list[str] = []

    async def thread_page(request: web.Request) -> web.Response:
        made.append(request.path)
        never_ends = made.count("/t/1/events") == 1  # the first reader's live-update stream
        await asyncio.sleep(3600 if never_ends else 0.05)  # else the database and the template
        if request.path == "/t/404":
            return web.Response(status=404, text="no", content_type="text/html")
        return web.Response(text=f"<p>{len(made)}</p>", content_type="text/html", headers={"Content-Language": "es"})

    async def read(path: str) -> web.StreamResponse:
        request = make_mocked_request("GET", path, headers={"Accept-Language": "es"}, app=node.app)
        return await anonymous_pages(request, thread_page)

    pages = await asyncio.gather(*(read("/t/1") for _ in range(8)))
    assert made == ["/t/1"]
    assert {page.body for page in pages if isinstance(page, web.Response)} == {b"<p>1</p>"} and len(pages) == 8
    assert all(page.headers["Content-Language"] == "es" for page in pages)
    failed = await asyncio.gather(*(read("/t/404") for _ in range(3)))  # not kept: each reader gets their own
    assert made.count("/t/404") == 3 and {page.status for page in failed} == {404}
    # A request that never finishes (a live-update stream without its Accept header) keeps nobody waiting for long.
    monkeypatch.setattr(cache_module, "RENDER_WAIT", 0.1)
    streaming = asyncio.create_task(read("/t/1/events"))
    await asyncio.sleep(0.01)
    second = await asyncio.wait_for(read("/t/1/events"), 2)
    assert second.status == 200 and made.count("/t/1/events") == 2
    streaming.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await streaming
    assert node.app[STATE].page_cache.rendering == {}  # type: ignore[union-attr]


async def test_a_kept_page_on_an_https_node_carries_the_same_headers_as_a_fresh_one_hsts_included(
    node_factory: Any,
) -> None:
    node: Node = await node_factory("ves", anonymous_cache_seconds=60, public_url="https://ves.example")
    reader = await node.visitor()
    served_at = f"http://127.0.0.1:{node.settings.port}/forums"  # behind the proxy that speaks https
    plain = {"Accept-Encoding": "identity"}  # the page as made (a gzip-coded one differs by its coding: web/cache.py)
    fresh = await reader.session.get(served_at, headers=plain)
    kept = await reader.session.get(served_at, headers=plain)
    assert fresh.status == kept.status == 200 and fresh.headers["Strict-Transport-Security"] == "max-age=31536000"
    ignored = {"x-request-id", "date"}
    assert [(k, v) for k, v in kept.headers.items() if k.lower() not in ignored] == [
        (k, v) for k, v in fresh.headers.items() if k.lower() not in ignored
    ]


def test_request_ids_are_16_hex_digits_and_never_repeat_across_draws() -> None:
    """Ids are drawn from the OS's random source in batches: across several batches, no id comes twice."""
    ids = [middlewares_module._new_request_id() for _ in range(5 * middlewares_module._RandomIds.BATCH + 3)]
    assert all(re.fullmatch(r"[0-9a-f]{16}", request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_process_draws_its_own_request_ids() -> None:
    middlewares_module._new_request_id()  # the parent has ids waiting in its batch
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and leave at once
        os.write(write, "".join(middlewares_module._new_request_id() for _ in range(4)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        child = pipe.read()
    parent = "".join(middlewares_module._new_request_id() for _ in range(4))
    assert len(child) == 64 and child != parent

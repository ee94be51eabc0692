"""Live replies on a thread page: the page stays complete without JavaScript, and a reader's open event stream
hears each new reply once, only if they may read the thread."""

from __future__ import annotations

import asyncio
import re

import aiohttp

from tests.conftest import Node, Visitor
from tests.web.test_organizations_and_forums_web import found_organization, signed_in


async def _thread(node: Node, author: Visitor, forum_path: str | None = None) -> str:
    if forum_path is None:
        operator = await signed_in(node, "operador", "operator")
        forum_path = (await operator.submit("/forums", {"name": "Agua y desagüe"}, form_page="/forums/new")).url.path
    response = await author.submit(forum_path + "/threads", {"title": "Corte de agua", "body": "Hoy no hay agua"},
                                   form_page=forum_path)  # fmt: skip
    assert response.url.path.startswith("/t/"), author.last_html
    return response.url.path


async def _events(stream: aiohttp.ClientResponse, count: int) -> list[int]:
    """The ids of the next `count` post events on an open stream (comments and `retry:` lines skipped)."""
    found: list[int] = []
    async with asyncio.timeout(10):
        while len(found) < count:
            line = (await stream.content.readline()).decode()
            if line.startswith("data: "):
                found.append(int(line.removeprefix("data: ")))
    return found


async def test_the_thread_page_offers_live_replies_only_as_an_enhancement(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    thread = await _thread(node, rosa)
    await rosa.get(thread)
    html = rosa.last_html
    assert re.search(r'<script src="/static/live\.js\?v=\w+" defer></script>', html)
    mount = re.search(r'<p id="live" class="notice" hidden data-thread="(\d+)" data-after="(\d+)"', html)
    assert mount and thread == f"/t/{mount[1]}"
    assert "<script>" not in html, "no inline script: the CSP forbids it"
    script = await rosa.session.get(node.base_url + "/static/live.js")
    assert script.status == 200 and len(await script.read()) < 2048


async def test_a_reply_reaches_an_open_stream_once_with_what_came_before_it(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    thread = await _thread(node, rosa)
    await rosa.get(thread)
    shown = int(re.search(r'data-after="(\d+)"', rosa.last_html)[1])  # type: ignore[index]
    juan = await signed_in(node, "juan")
    # A reply written after the page was shown but before the stream opened is not missed.
    await juan.submit(thread + "/replies", {"body": "Aquí tampoco"}, form_page=thread)
    reader = await node.visitor()
    stream = await reader.session.get(node.base_url + f"{thread}/events?after={shown}")
    assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    [early] = await _events(stream, 1)
    assert early > shown
    await juan.submit(thread + "/replies", {"body": "Ni en el mercado"}, form_page=thread)
    [late] = await _events(stream, 1)
    assert late > early
    # The reader's "show" link: the thread page after what they saw holds both replies.
    await reader.get(f"{thread}?after={shown}&upto={late}")
    assert f'id="p{early}"' in reader.last_html and f'id="p{late}"' in reader.last_html
    stream.close()


async def test_a_members_only_thread_streams_nothing_to_outsiders(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa)
    forum_path = (await rosa.submit(path + "/forums", {"name": "Interno", "visibility": "members"},
                                    form_page=path)).url.path  # fmt: skip
    thread = await _thread(node, rosa, forum_path)
    outsider = await signed_in(node, "juan")
    response = await outsider.session.get(node.base_url + thread + "/events")
    assert response.status == 404 and not response.headers["Content-Type"].startswith("text/event-stream")
    anonymous = await node.visitor()
    assert (await anonymous.session.get(node.base_url + thread + "/events?after=0")).status == 404


async def test_stopping_the_node_ends_open_streams_at_once(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    thread = await _thread(node, rosa)
    reader = await node.visitor()
    stream = await reader.session.get(node.base_url + thread + "/events")
    assert (await stream.content.readline()).startswith(b"retry:")
    started = asyncio.get_running_loop().time()
    await node.runner.cleanup()
    assert asyncio.get_running_loop().time() - started < 5
    async with asyncio.timeout(5):
        await stream.content.read()  # the server closed it

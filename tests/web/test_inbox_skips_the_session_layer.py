"""A peer's signed POST to an inbox never enters the session layer: `observe` hands it to its handler
(`web/middlewares._peer_delivery`). It is still answered, counted, logged and given its request id and security
headers as before; a page, or a POST elsewhere, still goes through the session layer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import Node
from tests.federation.test_inbox_pipeline import new_thread, pair, post, signed  # noqa: F401 - pair is a fixture
from tests.web.test_inbox_outcome_counter import _inbox_counts
from web import middlewares as middlewares_module


@pytest.fixture
def entered() -> Iterator[list[tuple[str, str]]]:
    """The requests that entered the session layer, in the applications built from now on."""
    seen: list[tuple[str, str]] = []
    session = middlewares_module.session

    @web.middleware
    async def recording_session(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append((request.method, request.path))
        return await session(request, handler)

    chain = middlewares_module.MIDDLEWARES
    position = chain.index(session)
    chain[position] = recording_session
    try:
        yield seen
    finally:
        chain[position] = session


@pytest.fixture
async def recorded_pair(entered: list[tuple[str, str]], pair: Any) -> tuple[list[tuple[str, str]], Any]:  # noqa: F811
    return entered, pair


async def test_a_peer_delivery_never_enters_the_session_layer_and_is_answered_and_counted_as_before(
    recorded_pair: Any,
) -> None:
    entered, (ves, pedro, forum) = recorded_pair
    node: Node = ves
    entered.clear()
    body = json.dumps(new_thread(pedro, forum)).encode()
    assert (await post(node, body, signed(node, pedro, body)))[0] == 202
    status, text = await post(node, b"no es JSON", {"Content-Type": "application/activity+json"})
    assert status == 400 and "activity_rejected" in text
    assert (await post(node, body, {"Content-Type": "application/activity+json"}, path="/a/b/c/inbox"))[0] == 403
    assert ("POST", "/inbox") not in entered
    assert ("POST", "/a/b/c/inbox") in entered  # not an inbox: session and CSRF as for any other POST
    assert await _inbox_counts(node) == {"accepted/stored": 1, "refused/activity_rejected": 1}
    assert ("GET", "/metrics") in entered

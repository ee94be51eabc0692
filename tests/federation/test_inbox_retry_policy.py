"""Which failed fetches a received activity is retried for: read back from the error text the inbox ledger keeps,
as `federation/fetch.py` words it for a real peer (a real HTTP server on loopback, the real fetcher)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from federation import delivery_policy as policy
from federation.fetch import FetchError
from tests.federation.test_fetch import Peer, answer, dev

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def peer() -> AsyncIterator[Peer]:
    """A real HTTP server answering from `peer.routes` (404 for anything else)."""
    peer = Peer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", peer.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    peer.base = f"http://127.0.0.1:{server.port}"
    yield peer
    await server.close()


@pytest.mark.parametrize(
    ("status", "for_good"),
    [(404, True), (410, True), (403, True), (400, True), (401, False), (408, False), (429, False), (500, False),
     (502, False), (503, False)],
)  # fmt: skip
async def test_a_fetch_answered_with_a_permanent_status_is_not_retried(peer: Peer, status: int, for_good: bool) -> None:
    peer.routes["/t/1"] = answer(b"{}", status=status)
    async with dev() as fetcher:
        with pytest.raises(FetchError) as failure:
            await fetcher.fetch_document(peer.url("/t/1"))
    assert policy.fetch_refused_for_good(str(failure.value), now=NOW) is for_good


async def test_a_peer_that_cannot_be_reached_is_retried(peer: Peer) -> None:
    async def closes(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    peer.routes["/u/rosa"] = closes
    async with dev() as fetcher:
        with pytest.raises(FetchError) as failure:
            await fetcher.fetch_document(peer.url("/u/rosa"))
    assert not policy.fetch_refused_for_good(str(failure.value), now=NOW), str(failure.value)
    assert not policy.fetch_refused_for_good(None, now=NOW)

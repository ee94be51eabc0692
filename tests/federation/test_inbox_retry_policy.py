"""Which failed fetches a received activity is retried for: the status the real fetcher reports for a real peer (a
real HTTP server on loopback), or none when the peer cannot be reached."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import web

from federation import delivery_policy as policy
from federation.fetch import FetchError, FetchFailed
from tests.federation.test_fetch import Peer, answer, dev, peer

__all__ = ["peer"]  # the fixture, shared with the fetcher's tests

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


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
    assert isinstance(failure.value, FetchFailed) and failure.value.status == status
    assert policy.fetch_refused_for_good(failure.value.status, now=NOW) is for_good


async def test_a_peer_that_cannot_be_reached_is_retried(peer: Peer) -> None:
    async def closes(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    peer.routes["/u/rosa"] = closes
    async with dev() as fetcher:
        with pytest.raises(FetchError) as failure:
            await fetcher.fetch_document(peer.url("/u/rosa"))
    status = failure.value.status if isinstance(failure.value, FetchFailed) else None
    assert status is None and not policy.fetch_refused_for_good(status, now=NOW), str(failure.value)

"""The federation worker is woken once per new activity a peer delivers, by the inbox handler, which alone knows the
activity was new (web/handlers/federation.py): not again by the middleware that hands the POST to it, and not at all
for a retry of an activity already stored or for a refused request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Node
from tests.federation.test_inbox_pipeline import new_thread, pair, post, signed  # noqa: F401 - pair is a fixture
from web.state import STATE


@pytest.fixture
def wakes(pair: Any) -> list[int]:  # noqa: F811
    """Each wake-up of the receiving node's worker, as it happens."""
    ves: Node = pair[0]
    worker = ves.app[STATE].fed.worker
    woken: list[int] = []
    wake = worker.wake

    def counted() -> None:
        woken.append(1)
        wake()

    worker.wake = counted  # type: ignore[method-assign]
    return woken


async def test_a_new_activity_wakes_the_worker_once_and_a_retry_or_a_refusal_does_not(
    pair: Any,  # noqa: F811
    wakes: list[int],
) -> None:
    ves, pedro, forum = pair
    body = json.dumps(new_thread(pedro, forum)).encode()
    assert (await post(ves, body, signed(ves, pedro, body, scheme="rfc9421")))[0] == 202
    assert len(wakes) == 1
    assert (await post(ves, body, signed(ves, pedro, body, scheme="rfc9421")))[0] == 202  # a retry: stored already
    assert (await post(ves, b"no es JSON", {"Content-Type": "application/activity+json"}))[0] == 400
    assert len(wakes) == 1
    other = json.dumps(new_thread(pedro, forum, title="Otra")).encode()
    assert (await post(ves, other, signed(ves, pedro, other)))[0] == 202
    assert len(wakes) == 2

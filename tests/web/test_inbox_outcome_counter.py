"""The inbox outcome counter (`deliberate_inbox_requests`) counts, next to the inbox handler, exactly what the
innermost middleware that held it before counted: every outcome and reason the same, and nothing for a request that
never reached the handler (a POST to a path ending in /inbox that the CSRF check refuses)."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from aiohttp import web

from deliberate.errors import ActivityRejected, DomainError, InstanceBlocked, SignatureRejected
from federation.inbox import MAX_BODY
from tests.conftest import Node
from tests.federation.test_inbox_pipeline import new_thread, pair, post, signed  # noqa: F401 - pair is a fixture
from web.csrf import CsrfRejected
from web.metrics import Metrics

SERIES = "deliberate_inbox_requests_total"


def _reference(error: BaseException | None, status: int | None) -> tuple[str, str] | None:
    """What the innermost `inbox_outcomes` middleware counted for a handler that raised `error` or answered
    `status` (its code, as it was, in one function)."""
    if error is not None:
        if isinstance(error, DomainError):
            return "refused", error.code
        if isinstance(error, web.HTTPRequestEntityTooLarge):
            return "refused", "too_large"
        if isinstance(error, web.HTTPException):
            return "refused", f"http_{error.status}"
        return None  # not counted: it propagated to the error mapping as an unhandled error
    assert status is not None
    return ("accepted", "stored") if status < 400 else ("refused", f"http_{status}")


def _counted(metrics: Metrics) -> dict[tuple[str, str], float]:
    return {
        (sample.labels["outcome"], sample.labels["reason"]): sample.value
        for family in metrics.registry.collect()
        if family.name == "deliberate_inbox_requests"
        for sample in family.samples
        if sample.name == SERIES
    }


def test_every_outcome_and_reason_is_counted_as_the_innermost_middleware_counted_it() -> None:
    errors: list[Exception] = [
        ActivityRejected(reason="x"), SignatureRejected(reason="y"), InstanceBlocked(), CsrfRejected(),
        web.HTTPRequestEntityTooLarge(max_size=1, actual_size=2), web.HTTPNotFound(),
        web.HTTPMethodNotAllowed("GET", ["POST"]), web.HTTPFound("/elsewhere"), web.HTTPServiceUnavailable(),
        ValueError("a bug"), ConnectionError("gone"),
    ]  # fmt: skip
    statuses = [200, 202, 204, 302, 400, 401, 403, 404, 413, 500, 503]
    metrics = Metrics()
    expected: dict[tuple[str, str], float] = {}
    for error in errors:
        metrics.count_inbox_refusal(error)
        if (key := _reference(error, None)) is not None:
            expected[key] = expected.get(key, 0) + 1
    for status in statuses:
        metrics.count_inbox_answer(status)
        key = _reference(None, status)
        assert key is not None
        expected[key] = expected.get(key, 0) + 1
    assert _counted(metrics) == expected
    assert ("refused", "too_large") in expected and ("refused", "http_302") in expected


async def _inbox_counts(node: Node) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(node.base_url + "/metrics") as response:
        body = await response.text()
    found = re.findall(SERIES + r'\{outcome="(\w+)",reason="(\w+)"\} (\S+)', body)
    return {f"{outcome}/{reason}": float(count) for outcome, reason, count in found}


async def test_inbox_requests_are_counted_through_the_whole_middleware_chain(pair: Any) -> None:  # noqa: F811
    ves, pedro, forum = pair
    body = json.dumps(new_thread(pedro, forum)).encode()
    assert (await post(ves, body, signed(ves, pedro, body)))[0] == 202
    assert (await post(ves, body, signed(ves, pedro, body)))[0] == 202  # a retry: answered 202, not stored again
    assert (await post(ves, body, {"Content-Type": "application/activity+json"}))[0] == 401
    assert (await post(ves, b"no es JSON", {"Content-Type": "application/activity+json"}))[0] == 400
    too_large = b" " * (MAX_BODY + 1)
    assert (await post(ves, too_large, {"Content-Type": "application/activity+json"}))[0] == 413
    # Paths ending in /inbox that are no inbox: refused by the CSRF check before any handler, so not counted.
    for path in ("/a/b/c/inbox", "/x/inbox"):
        status, text = await post(ves, body, {"Content-Type": "application/activity+json"}, path=path)
        assert status == 403 and "csrf_rejected" in text, (path, status, text)
    assert await _inbox_counts(ves) == {
        "accepted/stored": 2,
        "refused/signature_rejected": 1,
        "refused/activity_rejected": 1,
        "refused/too_large": 1,
    }

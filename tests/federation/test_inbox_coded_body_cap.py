"""The inbox's 256 KiB cap holds for a coded body (`Content-Encoding: gzip`) as it is decoded, not only for the coded
bytes its Content-Length counts: a small gzip can decode to far more than the cap (and than the application's 1 MiB
`client_max_size`, which applies to `request.read()` only)."""

from __future__ import annotations

import gzip
import json
from typing import Any

from federation.inbox import MAX_BODY
from tests.federation.support import settle, value
from tests.federation.test_inbox_pipeline import new_thread, pair, post, signed  # noqa: F401 - pair is a fixture


async def test_a_gzip_body_that_decodes_past_the_cap_is_refused_with_413_and_nothing_is_stored(
    pair: Any,  # noqa: F811
) -> None:
    ves, pedro, forum = pair
    # Signed as its sender would sign it (the digest over the activity itself): only its size is wrong.
    body = json.dumps(new_thread(pedro, forum) | {"padding": "x" * (MAX_BODY + 1)}).encode()
    coded = gzip.compress(body)
    assert len(coded) < 4096 < MAX_BODY < len(body) < 1024 * 1024
    headers = signed(ves, pedro, body, scheme="rfc9421") | {"Content-Encoding": "gzip"}
    status, text = await post(ves, coded, headers)
    assert status == 413, text
    assert json.loads(text)["status"] == 413
    await settle(ves)
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 0
    assert await value(ves, "SELECT count(*) FROM thread") == 0


async def test_a_gzip_body_within_the_cap_is_accepted_as_a_plain_one(pair: Any) -> None:  # noqa: F811
    ves, pedro, forum = pair
    body = json.dumps(new_thread(pedro, forum)).encode()
    headers = signed(ves, pedro, body, scheme="rfc9421") | {"Content-Encoding": "gzip"}
    status, text = await post(ves, gzip.compress(body), headers)
    assert status == 202, text
    await settle(ves)
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 1
    assert await value(ves, "SELECT count(*) FROM thread") == 1

"""/metrics for operators: the federation queue per peer, deliveries sent and failed, the inbox's outcomes, the
database pool, ballots and the last backup; per-process and node-wide values say which they are."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp

from tests.conftest import Node
from tests.federation.test_inbox_pipeline import new_thread, pair, post, signed  # noqa: F401 - pair is a fixture


async def _metrics(node: Node) -> str:
    async with aiohttp.ClientSession() as session, session.get(node.base_url + "/metrics") as response:
        assert response.status == 200
        return await response.text()


def _value(body: str, sample: str) -> float:
    match = re.search("^" + re.escape(sample) + r" (\S+)$", body, re.MULTILINE)
    assert match, f"{sample} not in the metrics"
    return float(match[1])


async def test_the_delivery_queue_and_its_failures_are_shown_per_peer_server(node: Node) -> None:
    conn = await node.connect()
    try:
        await conn.execute(
            """
            INSERT INTO instance (host, first_seen_at, delivered_count)
            VALUES ('vmt.example.pe', now(), 7), ('lento.example', now(), 0);
            INSERT INTO delivery (activity_id, inbox, host, body, signer_kind, signer_id, next_attempt_at, created_at,
                                  state, attempts, last_error)
            VALUES ('https://a/1', 'https://vmt.example.pe/inbox', 'vmt.example.pe', '\\x00', 'application', 1,
                    now(), now(), 'pending', 0, NULL),
                   ('https://a/2', 'https://vmt.example.pe/inbox', 'vmt.example.pe', '\\x00', 'application', 1,
                    now(), now(), 'pending', 2, 'HTTP 503: mantenimiento'),
                   ('https://a/3', 'https://lento.example/inbox', 'lento.example', '\\x00', 'application', 1,
                    now(), now(), 'pending', 1, 'connection refused'),
                   ('https://a/4', 'https://lento.example/inbox', 'lento.example', '\\x00', 'application', 1,
                    now(), now(), 'failed', 3, 'HTTP 410: gone');
            """
        )
    finally:
        await conn.close()
    body = await _metrics(node)
    assert _value(body, 'deliberate_federation_queue_depth{host="vmt.example.pe"}') == 2
    assert _value(body, 'deliberate_federation_queue_depth{host="lento.example"}') == 1
    failed = "deliberate_federation_deliveries_failed"
    assert _value(body, failed + '{host="vmt.example.pe",reason="http_5xx",state="retrying"}') == 1
    assert _value(body, failed + '{host="lento.example",reason="network",state="retrying"}') == 1
    assert _value(body, failed + '{host="lento.example",reason="http_4xx",state="failed"}') == 1
    assert _value(body, 'deliberate_federation_deliveries_sent_total{host="vmt.example.pe"}') == 7
    assert "node-wide, from the database" in body and "this process only" in body


async def test_the_pool_ballots_and_last_backup_are_reported(node: Node) -> None:
    body = await _metrics(node)
    assert _value(body, "deliberate_db_pool_max_size") == node.settings.db_pool_size
    size = _value(body, "deliberate_db_pool_size")
    in_use, idle = (_value(body, f'deliberate_db_pool_connections{{state="{s}"}}') for s in ("in_use", "idle"))
    assert size >= 1 and in_use + idle == size
    assert _value(body, "deliberate_budget_ballots_cast") == 0
    assert "deliberate_last_backup_timestamp_seconds" not in body
    conn = await node.connect()
    try:
        await conn.execute(
            "INSERT INTO node_backup (started_at, finished_at, size_bytes, file_name) "
            "VALUES ('2026-12-01T08:00:00Z', '2026-12-01T08:00:05Z', 1234, 'nodo.backup')"
        )
    finally:
        await conn.close()
    body = await _metrics(node)
    assert _value(body, "deliberate_last_backup_timestamp_seconds") == 1796112005.0


async def test_inbox_requests_are_counted_by_outcome_and_reason(pair: Any) -> None:  # noqa: F811
    ves, pedro, forum = pair
    body = json.dumps(new_thread(pedro, forum)).encode()
    status, _ = await post(ves, body, signed(ves, pedro, body))
    assert status == 202
    status, _ = await post(ves, body, {"Content-Type": "application/activity+json"})
    assert status == 401
    other = json.dumps(new_thread(pedro, forum, title="Otro")).encode()
    status, _ = await post(ves, other, signed(ves, pedro, body))  # a signature over another body
    assert status in (400, 401)
    metrics = await _metrics(ves)
    requests = "deliberate_inbox_requests_total"
    assert _value(metrics, requests + '{outcome="accepted",reason="stored"}') == 1
    refused = re.findall(requests + r'\{outcome="refused",reason="(\w+)"\} (\S+)', metrics)
    assert sum(float(count) for _, count in refused) == 2 and all(reason != "error" for reason, _ in refused)
    stored = re.findall(r'deliberate_inbox_activities\{outcome="\w+",type="Create"\} (\S+)', metrics)
    assert sum(float(count) for count in stored) == 1, "stored once, whichever stage its processing is at"

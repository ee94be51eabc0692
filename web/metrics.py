"""Prometheus metrics, one registry per application (never the library's global one).

Two kinds, and the help text of each says which:
* per process: request latency, log-ins, unexpected errors, inbox requests by outcome, open live-update streams and
  this process's PostgreSQL pool. With several web processes, Prometheus scrapes each one (each has its own port)
  and sums them.
* node-wide, read from PostgreSQL at each scrape (`read_database`): the delivery queue per peer server, deliveries
  sent and failed, activities stored by the inbox, ballots cast and the last backup. Every process reports the same
  values, so take them from any one process (or `max` them), never `sum`.
The queries are read-only and cheap (grouped counts over small or indexed tables); a scrape that cannot reach the
database within READ_TIMEOUT still answers, without the node-wide part.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from deliberate.errors import DomainError

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger(__name__)
READ_TIMEOUT = 2.0
NODE_WIDE = " (node-wide, from the database: the same in every process)"
PER_PROCESS = " (this process only: sum over processes)"

# Deliveries per host and state, with why the last attempt failed (the error the delivery worker recorded in
# federation/delivery.py).
_QUEUE = """
    SELECT host, state, reason, count(*) AS n
    FROM (SELECT host, state,
                 CASE WHEN last_error IS NULL THEN 'none'
                      WHEN last_error LIKE 'gave up after%' THEN 'gave_up'
                      WHEN last_error ~ '^HTTP 4' THEN 'http_4xx'
                      WHEN last_error ~ '^HTTP 5' THEN 'http_5xx'
                      WHEN last_error ~ '^HTTP' THEN 'http_other'
                      ELSE 'network' END AS reason
          FROM delivery) AS classified
    GROUP BY host, state, reason
"""
_SENT = "SELECT host, delivered_count FROM instance WHERE delivered_count > 0"
_INBOX = """
    SELECT type, CASE WHEN error IS NOT NULL THEN 'error' WHEN processed_at IS NULL THEN 'waiting'
                      ELSE 'processed' END AS outcome, count(*) AS n
    FROM inbox_activity GROUP BY type, outcome
"""
_OPTIONAL = """
    SELECT to_regclass('budget_ballot') IS NOT NULL AS ballots, to_regclass('node_backup') IS NOT NULL AS backups
"""


@dataclass
class _Snapshot:
    queue: list[tuple[str, str, str, int]] = field(default_factory=list)
    sent: list[tuple[str, int]] = field(default_factory=list)
    inbox: list[tuple[str, str, int]] = field(default_factory=list)
    ballots: int | None = None
    last_backup: float | None = None


class _DatabaseCollector(Collector):
    """Yields the node-wide values read by the last `read_database`."""

    def __init__(self) -> None:
        self.snapshot: _Snapshot | None = None

    def collect(self) -> Iterable[Metric]:
        snap = self.snapshot
        if snap is None:
            return
        depth = GaugeMetricFamily(
            "deliberate_federation_queue_depth",
            "Deliveries waiting to be sent, per peer server" + NODE_WIDE,
            labels=["host"],
        )
        failed = GaugeMetricFamily(
            "deliberate_federation_deliveries_failed",
            "Deliveries given up (state failed) or waiting for a retry (state retrying), per peer server and reason "
            "(http_4xx, http_5xx, http_other, network, gave_up)" + NODE_WIDE,
            labels=["host", "state", "reason"],
        )
        pending: dict[str, int] = {}
        for host, kind, reason, count in snap.queue:
            if kind == "pending":
                pending[host] = pending.get(host, 0) + count
                if reason != "none":
                    failed.add_metric([host, "retrying", reason], count)
            else:
                failed.add_metric([host, "failed", reason], count)
        for host, count in sorted(pending.items()):
            depth.add_metric([host], count)
        yield depth
        yield failed
        sent = CounterMetricFamily(
            "deliberate_federation_deliveries_sent",
            "Deliveries accepted by peer servers, per server" + NODE_WIDE,
            labels=["host"],
        )
        for host, count in snap.sent:
            sent.add_metric([host], count)
        yield sent
        stored = GaugeMetricFamily(
            "deliberate_inbox_activities",
            "Activities accepted and stored by the inbox, by type and processing outcome" + NODE_WIDE,
            labels=["type", "outcome"],
        )
        for kind, outcome, count in snap.inbox:
            stored.add_metric([kind, outcome], count)
        yield stored
        if snap.ballots is not None:
            yield GaugeMetricFamily("deliberate_budget_ballots_cast", "Ballots in the ballot box" + NODE_WIDE,
                                    value=snap.ballots)  # fmt: skip
        if snap.last_backup is not None:
            yield GaugeMetricFamily(
                "deliberate_last_backup_timestamp_seconds",
                "When the last `deliberate backup` finished (Unix time)" + NODE_WIDE,
                value=snap.last_backup,
            )


class _ProcessCollector(Collector):
    def __init__(self, pool_stats: Callable[[], tuple[int, int, int] | None], streams: Callable[[], int]) -> None:
        self._stats = pool_stats
        self._streams = streams

    def collect(self) -> Iterable[Metric]:
        stats = self._stats()
        if stats is not None:
            size, idle, maximum = stats
            in_use = GaugeMetricFamily(
                "deliberate_db_pool_connections", "PostgreSQL pool connections by state" + PER_PROCESS, labels=["state"]
            )
            in_use.add_metric(["in_use"], size - idle)
            in_use.add_metric(["idle"], idle)
            yield in_use
            yield GaugeMetricFamily("deliberate_db_pool_size", "PostgreSQL pool connections open" + PER_PROCESS,
                                    value=size)  # fmt: skip
            yield GaugeMetricFamily("deliberate_db_pool_max_size",
                                    "Most connections the pool may open (DELIBERATE_DB_POOL_SIZE)" + PER_PROCESS,
                                    value=maximum)  # fmt: skip
        yield GaugeMetricFamily("deliberate_live_streams", "Open live-update streams" + PER_PROCESS,
                                value=self._streams())  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "deliberate_http_request_duration_seconds",
            "Time to answer an HTTP request" + PER_PROCESS,
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.logins = Counter(
            "deliberate_login_attempts", "Log-in attempts by outcome" + PER_PROCESS, ["outcome"], registry=self.registry
        )
        self.errors = Counter(
            "deliberate_unhandled_errors",
            "Requests that failed with an unexpected error" + PER_PROCESS,
            registry=self.registry,
        )
        self.inbox = Counter(
            "deliberate_inbox_requests",
            "Signed POSTs to an inbox: accepted (reason: stored) or refused (reason: the error code, e.g. "
            "signature_rejected, activity_rejected, instance_blocked, too_large)" + PER_PROCESS,
            ["outcome", "reason"],
            registry=self.registry,
        )
        self._database = _DatabaseCollector()
        self.registry.register(self._database)
        self._request_series: dict[tuple[str, str, int], Histogram] = {}
        self._inbox_series: dict[tuple[str, str], Counter] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One request's latency. Each series is looked up by its labels once, not on every request."""
        key = (method, route, status)
        series = self._request_series.get(key)
        if series is None:
            series = self._request_series[key] = self.request_seconds.labels(method, route, str(status))
        series.observe(seconds)

    def count_inbox(self, outcome: str, reason: str) -> None:
        """One inbox request's outcome, as `inbox.labels(outcome, reason).inc()`; each series looked up once."""
        key = (outcome, reason)
        series = self._inbox_series.get(key)
        if series is None:
            series = self._inbox_series[key] = self.inbox.labels(outcome, reason)
        series.inc()

    def count_inbox_refusal(self, error: Exception) -> None:
        """An inbox request its handler refused by raising `error`: a domain error by its code, an HTTP error by its
        status (`too_large` for 413); anything else is not counted here (it is an unhandled error)."""
        if isinstance(error, DomainError):
            self.count_inbox("refused", error.code)
        elif isinstance(error, web.HTTPRequestEntityTooLarge):
            self.count_inbox("refused", "too_large")
        elif isinstance(error, web.HTTPException):
            self.count_inbox("refused", f"http_{error.status}")

    def count_inbox_answer(self, status: int) -> None:
        """An inbox request its handler answered with `status`."""
        if status < 400:
            self.count_inbox("accepted", "stored")
        else:
            self.count_inbox("refused", f"http_{status}")

    def watch_pool(
        self, pool_stats: Callable[[], tuple[int, int, int] | None], streams: Callable[[], int] = lambda: 0
    ) -> None:
        self.registry.register(_ProcessCollector(pool_stats, streams))

    async def read_database(self, pool: asyncpg.Pool) -> None:
        """Refresh the node-wide values; on a slow or failing database keep none rather than stale ones."""
        try:
            async with asyncio.timeout(READ_TIMEOUT), pool.acquire() as conn:
                snap = _Snapshot()
                snap.queue = [(r["host"], r["state"], r["reason"], r["n"]) for r in await conn.fetch(_QUEUE)]
                snap.sent = [(r["host"], r["delivered_count"]) for r in await conn.fetch(_SENT)]
                snap.inbox = [(r["type"], r["outcome"], r["n"]) for r in await conn.fetch(_INBOX)]
                optional = await conn.fetchrow(_OPTIONAL)
                if optional["ballots"]:
                    snap.ballots = await conn.fetchval("SELECT count(*) FROM budget_ballot")
                if optional["backups"]:
                    last = await conn.fetchval("SELECT extract(epoch FROM max(finished_at))::float8 FROM node_backup")
                    snap.last_backup = last
        except Exception as exc:  # metrics must answer even when the database does not
            log.warning("metrics: node-wide values not read (%s)", type(exc).__name__)
            self._database.snapshot = None
            return
        self._database.snapshot = snap

    def render(self) -> bytes:
        return generate_latest(self.registry)


def is_inbox_request(request: web.Request) -> bool:
    """A POST to an inbox, whose outcome `Metrics.count_inbox_refusal` or `count_inbox_answer` counts: the session
    middleware (web/middlewares.py) calls them next to the handler, so they see the typed error before
    `web/problems.py` turns it into a problem document."""
    return request.method == "POST" and (request.path == "/inbox" or request.path.endswith("/inbox"))

"""Prometheus metrics, one registry per application (never the library's global one)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _PoolCollector(Collector):
    def __init__(self, pool_stats: Callable[[], tuple[int, int] | None]) -> None:
        self._stats = pool_stats

    def collect(self) -> Iterable[GaugeMetricFamily]:
        stats = self._stats()
        if stats is None:
            return
        size, idle = stats
        in_use = GaugeMetricFamily("deliberate_db_pool_connections", "PostgreSQL pool connections", labels=["state"])
        in_use.add_metric(["in_use"], size - idle)
        in_use.add_metric(["idle"], idle)
        yield in_use


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "deliberate_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.logins = Counter(
            "deliberate_login_attempts", "Log-in attempts by outcome", ["outcome"], registry=self.registry
        )
        self.errors = Counter(
            "deliberate_unhandled_errors",
            "Requests that failed with an unexpected error",
            registry=self.registry,
        )

    def watch_pool(self, pool_stats: Callable[[], tuple[int, int] | None]) -> None:
        self.registry.register(_PoolCollector(pool_stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)

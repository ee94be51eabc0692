"""Servers and load for the benchmarks: a node served by `deliberate serve` in its own process, the bare aiohttp
baseline in another, and wrk driving either for a bounded time, on loopback only.

The servers run outside the test process so the load generator and the measured event loop never share a core's
time slices in one interpreter; every server is started here and stopped here, by its own process id.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from deliberate.runtime.embedded import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REPORT_SCRIPT = HERE / "report.lua"
READY_TIMEOUT = 60.0
# A browser's headers for a returning visitor: Spanish first, and the CSRF cookie the first page set.
BROWSER_HEADERS = {"Accept-Language": "es-PE,es;q=0.9", "Accept": "text/html"}
# What browsers send as Accept-Encoding (Firefox; Chrome adds zstd): measured separately, as a page kept for readers
# who are not signed in is then answered gzip-coded (web/cache.py).
BROWSER_ENCODINGS = "gzip, deflate, br"


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited while starting; log:\n{self.log_tail()}")
                try:
                    async with session.get(self.url(path), timeout=aiohttp.ClientTimeout(total=2)) as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not answer {path} in time; log:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU time the server's process has used so far (user and system, from /proc): per request, it moves much
        less with the machine's load than throughput does."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (proc(5))

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _spawn(name: str, args: Sequence[str], env: dict[str, str], log_dir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(list(args), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, log_path


async def start_node(
    *, name: str, database_url: str, redis_url: str, secret_key: str, log_dir: Path, pool_size: int = 10
) -> Server:
    """`deliberate serve` against the harness's PostgreSQL and Redis: production settings, JSON request logs."""
    port = free_port()
    env = os.environ | {
        "DELIBERATE_DATABASE_URL": database_url,
        "DELIBERATE_REDIS_URL": redis_url,
        "DELIBERATE_SECRET_KEY": secret_key,
        "DELIBERATE_HOST": "127.0.0.1",
        "DELIBERATE_PORT": str(port),
        "DELIBERATE_NODE_NAME": name,
        "DELIBERATE_LOG_FORMAT": "json",
        "DELIBERATE_DB_POOL_SIZE": str(pool_size),
    }
    process, log_path = _spawn(name, [sys.executable, "-m", "deliberate", "serve"], env, log_dir)
    server = Server(name, port, process, log_path)
    try:
        await server.wait_ready("/healthz")
    except BaseException:
        server.stop()
        raise
    return server


async def start_bare(*, log_dir: Path) -> Server:
    port = free_port()
    process, log_path = _spawn("bare", [sys.executable, "-m", "tests.bench.bare_app", str(port)], dict(os.environ),
                               log_dir)  # fmt: skip
    server = Server("bare", port, process, log_path)
    try:
        await server.wait_ready("/")
    except BaseException:
        server.stop()
        raise
    return server


async def visitor_headers(url: str) -> dict[str, str]:
    """Headers of a returning visitor: fetch the page once, as a browser would, and send back its cookies."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(url, headers=BROWSER_HEADERS) as response:
            assert response.status == 200, f"{url} answered {response.status}"
            await response.read()
        cookies = "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)
    return BROWSER_HEADERS | ({"Cookie": cookies} if cookies else {})


@dataclass(frozen=True)
class Run:
    """One wrk run: throughput and latency percentiles (milliseconds)."""

    url: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int

    def line(self) -> str:
        return (
            f"{self.rps:9.1f} req/s  p50 {self.p50_ms:7.2f} ms  p90 {self.p90_ms:7.2f} ms  p99 {self.p99_ms:7.2f} ms  "
            f"({self.requests} requests, {self.errors} errors, {self.connections} connections, {self.seconds:.0f} s)"
        )


def wrk_path() -> str | None:
    return shutil.which("wrk")


async def wrk(
    url: str, *, connections: int, seconds: float, threads: int = 1, headers: dict[str, str] | None = None
) -> Run:
    """Drive `url` (loopback only) for `seconds` with `connections` keep-alive connections."""
    assert url.startswith("http://127.0.0.1:"), "benchmarks send traffic to loopback only"
    exe = wrk_path()
    assert exe, "wrk is not installed: `make bench` installs it (apt-get install wrk)"
    args = [exe, f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s",
            "-s", str(REPORT_SCRIPT)]  # fmt: skip
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    process = await asyncio.create_subprocess_exec(
        *args, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=seconds + 60)
    assert process.returncode == 0, f"wrk failed: {err.decode()}"
    line = next(text for text in reversed(out.decode().splitlines()) if text.startswith("{"))
    data = json.loads(line)
    duration = data["duration_us"] / 1e6
    return Run(
        url=url,
        connections=connections,
        seconds=duration,
        requests=data["requests"],
        rps=data["requests"] / duration,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=data["status_errors"] + data["socket_errors"],
    )


def combined(runs: Sequence[Run]) -> Run:
    """Several rounds of the same measurement as one: total throughput, median of each percentile."""
    requests = sum(run.requests for run in runs)
    seconds = sum(run.seconds for run in runs)
    return Run(
        url=runs[0].url,
        connections=runs[0].connections,
        seconds=seconds,
        requests=requests,
        rps=requests / seconds,
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p90_ms=statistics.median(run.p90_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        mean_ms=statistics.median(run.mean_ms for run in runs),
        max_ms=max(run.max_ms for run in runs),
        errors=sum(run.errors for run in runs),
    )

"""`deliberate demo`: two district nodes on loopback, VES on :8001 and VMT on :8002, with Spanish sample content.

Both run in this one process, each with its own data directory, embedded PostgreSQL and Redis, keys and secret,
so Ctrl-C stops everything that was started. A second run reuses the data; `--reset` deletes it first. Sample
content is added once, when a node has no accounts yet, through the same services the web forms use.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from deliberate.accounts.passwords import Passwords
from deliberate.clock import SystemClock
from deliberate.db.pool import connect
from deliberate.runtime.node import run_node
from deliberate.runtime.sample import DEMO_PASSWORD, DISTRICTS, District, seed
from deliberate.settings import Settings


async def _seed(database_url: str, district: District) -> None:
    conn = await connect(database_url)
    try:
        async with conn.transaction():
            await seed(conn, district, clock=SystemClock(), passwords=Passwords())
    finally:
        await conn.close()


async def _stop_all_on_failure(node: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    try:
        await node
    except BaseException:
        stop.set()  # one node failing to start must not leave the other running
        raise


async def run_demo(base_dir: Path, *, reset: bool, base_port: int = 8001) -> None:
    if reset:
        await asyncio.to_thread(shutil.rmtree, base_dir, ignore_errors=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    ready: list[str] = []

    def announce(district: District):  # type: ignore[no-untyped-def]
        async def on_ready(live: Settings, runner: web.AppRunner) -> None:
            await _seed(live.database_url, district)
            ready.append(f"  {district.name:<26} {live.base_url}")
            if len(ready) == len(DISTRICTS):
                print(
                    f"\nTwo district nodes are running ({time.monotonic() - started:.1f} s to start):",
                    flush=True,
                )
                print("\n".join(sorted(ready)))
                print(
                    f"\nLog in on either node as 'operador' (operator) or as a member, e.g. 'rosa.quispe' on VES"
                    f" or 'maria.flores' on VMT; every demo password is '{DEMO_PASSWORD}'."
                )
                print("Press Ctrl-C to stop both nodes.\n", flush=True)

        return on_ready

    nodes = []
    for offset, district in enumerate(DISTRICTS):
        port = base_port + offset
        settings = Settings(
            data_dir=base_dir / district.slug,
            port=port,
            node_name=district.name,
            public_url=f"http://127.0.0.1:{port}",
            dev_allow_private_network=True,
            log_format="text",
        )
        nodes.append(_stop_all_on_failure(run_node(settings, stop=stop, on_ready=announce(district)), stop))
    results = await asyncio.gather(*nodes, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    print("Both nodes stopped.", flush=True)

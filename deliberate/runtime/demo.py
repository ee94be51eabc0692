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
from urllib.parse import urlsplit

from aiohttp import web

from deliberate.accounts import service as accounts
from deliberate.accounts.passwords import Passwords
from deliberate.clock import SystemClock
from deliberate.db.pool import connect
from deliberate.organizations.model import slugify
from deliberate.runtime.node import run_node
from deliberate.runtime.sample import DEMO_PASSWORD, DISTRICTS, District, seed
from deliberate.settings import Settings


class _HashedOnce(Passwords):
    """The node's own hasher, for sample accounts that all have DEMO_PASSWORD (printed at start-up): argon2's
    deliberate cost (a quarter of a second of CPU or more) is paid once per node instead of once per account, which
    takes seconds off the first start. Those accounts then store the same hash, with one salt: they share a published
    password anyway. Members who change their password get a hash of their own, from the node's hasher."""

    def __init__(self, node: Passwords) -> None:  # no super().__init__(): it would hash a dummy password again
        self._node = node
        self._hashes: dict[str, str] = {}

    async def hash(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = await self._node.hash(password)
        return self._hashes[password]

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        return await self._node.verify(stored_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._node.needs_rehash(stored_hash)


async def _seed(live: Settings, runner: web.AppRunner, district: District) -> bool:
    """The sample content, with the node's own hasher and catalogs (already made by `create_app`)."""
    from web.state import STATE

    app_state = runner.app[STATE]
    conn = await connect(live.database_url)
    try:
        async with conn.transaction():
            return await seed(conn, district, clock=SystemClock(), passwords=_HashedOnce(app_state.passwords),
                              catalogs=app_state.translations)  # fmt: skip
    finally:
        await conn.close()


async def _federate(nodes: dict[str, tuple[Settings, web.AppRunner]]) -> None:
    """Each node's operator follows the other district's forum, as a member would from the forums page; the
    follows, their acceptance and the backfill of recent threads then run through the ordinary federation worker."""
    from federation.follows import follow_forum
    from web.state import STATE

    (first, first_runner), (second, second_runner) = nodes.values()
    for (source, _), (_, runner) in (((first, first_runner), (second, second_runner)),
                                     ((second, second_runner), (first, first_runner))):  # fmt: skip
        app_state = runner.app[STATE]
        district = next(d for d in DISTRICTS if d.name == source.node_name)
        async with app_state.db.acquire() as conn:
            operator = await accounts.access_account_by_username(conn, "operador")
        address = f"{slugify(district.forum)}@{urlsplit(source.base_url).netloc}"
        await follow_forum(app_state.fed.resolver, member=operator, address=address)


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
    live_nodes: dict[str, tuple[Settings, web.AppRunner]] = {}
    seeded: list[bool] = []

    def announce(district: District):  # type: ignore[no-untyped-def]
        async def on_ready(live: Settings, runner: web.AppRunner) -> None:
            seeded.append(await _seed(live, runner, district))
            live_nodes[district.slug] = (live, runner)
            ready.append(f"  {district.name:<26} {live.base_url}")
            if len(ready) == len(DISTRICTS):
                if any(seeded):
                    await _federate(live_nodes)
                print(
                    f"\nTwo district nodes are running ({time.monotonic() - started:.1f} s to start):",
                    flush=True,
                )
                print("\n".join(sorted(ready)))
                print(
                    f"\nLog in on either node as 'operador' (operator) or as a member, e.g. 'rosa.quispe' on VES"
                    f" or 'maria.flores' on VMT; every demo password is '{DEMO_PASSWORD}'."
                )
                print("Each node follows the other district's forum: a thread or reply on one shows up on the other.")
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

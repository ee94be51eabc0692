"""Wiring of the federation parts for one process: the shared HTTP client, resolver, inbox processor, outbox,
deliverer and worker. Built by the composition roots (`web/app.py`, `deliberate worker`) from the settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from deliberate.clock import Clock
from deliberate.node.service import ensure_node_keys
from deliberate.settings import Settings
from federation.crypto.multikey import own_private_key
from federation.delivery import Deliverer
from federation.fetch import Fetcher, FetchPolicy, GetSigner
from federation.outbox import Outbox
from federation.processing import PostAdded, Processor
from federation.resolver import Resolver
from federation.worker import FederationWorker


@dataclass
class Federation:
    fetcher: Fetcher
    resolver: Resolver
    outbox: Outbox
    processor: Processor
    worker: FederationWorker


@contextlib.asynccontextmanager
async def federation(
    settings: Settings,
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    run_worker: bool,
    on_post_added: PostAdded | None = None,
) -> AsyncIterator[Federation]:
    async with pool.acquire() as conn, conn.transaction():
        keys = await ensure_node_keys(conn, clock=clock)
    node_key = own_private_key(keys.rsa_private_pem)
    base = settings.base_url
    signer = GetSigner(key_id=f"{base}/actor#main-key", private_key=node_key)  # type: ignore[arg-type]
    policy = FetchPolicy(allow_private=settings.dev_allow_private_network)
    async with Fetcher(policy, now=clock.now) as fetcher:
        resolver = Resolver(pool, fetcher, clock, base, signer, settings.federation_mode)
        outbox = Outbox(base, clock)
        processor = Processor(resolver, outbox, on_post_added)
        worker = FederationWorker(processor, Deliverer(pool, fetcher, clock, base), settings.federation_poll_seconds)
        if run_worker:
            worker.start()
        try:
            yield Federation(fetcher, resolver, outbox, processor, worker)
        finally:
            await worker.stop()

"""Delivery: signed POSTs of queued activities to peer inboxes, with retries that lose nothing.

Each round claims due rows (a lease committed before any network traffic, so a killed worker's rows come due
again), sends them concurrently through the one shared HTTP client (connection reuse: a hundred inboxes on one
server cost one TLS handshake), and records every outcome in one short transaction. What happens after an
attempt (done, retry when, give up) and when a failing host is paused or marked unavailable is decided by the pure
functions of `federation/delivery_policy.py`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from deliberate.clock import Clock
from deliberate.peers import service as peers
from deliberate.peers.model import Delivery, FederationMode
from deliberate.peers.service import Signer
from federation import delivery_policy as policy
from federation import identity
from federation.fetch import Fetcher, FetchError
from federation.http_signing import sign_post_headers

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
BATCH = 100
CONCURRENCY = 16


@dataclass
class Deliverer:
    pool: asyncpg.Pool
    fetcher: Fetcher
    clock: Clock
    base_url: str
    rng: random.Random = field(default_factory=random.Random)
    # In allow-list mode nothing is sent to a host that is not allowed (its rows wait, like a blocked host's).
    mode: FederationMode = "open"


async def run_once(deliverer: Deliverer) -> int:
    """Send one batch of due deliveries; how many were attempted."""
    async with deliverer.pool.acquire() as conn, conn.transaction():
        batch = await peers.claim_deliveries(conn, clock=deliverer.clock, lease=LEASE, limit=BATCH,
                                             mode=deliverer.mode)  # fmt: skip
        signers = {Signer(d.signer_kind, d.signer_id) for d in batch}
        keys = {
            signer: await identity.load(conn, deliverer.base_url, signer, clock=deliverer.clock) for signer in signers
        }
    if not batch:
        return 0
    gate = asyncio.Semaphore(CONCURRENCY)

    async def attempt(item: Delivery) -> tuple[int | None, str | None, str]:
        who = keys[Signer(item.signer_kind, item.signer_id)]
        # draft-cavage rsa-sha256 is what Mastodon and most servers verify; RFC 9421 with Ed25519 goes to peers
        # whose actors say they implement it (FEP-844e).
        headers = sign_post_headers(item.inbox, item.body, key_id=who.key_id, rsa_key=who.rsa_key,
                                    ed25519_key=who.ed25519_key, ed25519_key_id=who.proof_key_id,
                                    scheme="rfc9421" if item.rfc9421 else "cavage",
                                    now=deliverer.clock.now())  # fmt: skip
        async with gate:
            try:
                outcome = await deliverer.fetcher.post_signed(item.inbox, item.body, headers)
            except FetchError as exc:
                return None, None, str(exc)
        return outcome.status, outcome.retry_after, f"HTTP {outcome.status}: {outcome.body_excerpt}"

    results = await asyncio.gather(*(attempt(item) for item in batch))
    async with deliverer.pool.acquire() as conn, conn.transaction():
        for item, (status, retry_after, detail) in zip(batch, results, strict=True):
            await _record(conn, deliverer, item, status, retry_after, detail)
    return len(batch)


async def _record(conn: asyncpg.Connection, deliverer: Deliverer, item: Delivery, status: int | None,
                  retry_after: str | None, detail: str) -> None:  # fmt: skip
    now = deliverer.clock.now()
    outcome = policy.classify(status, retry_after, now=now)
    instance = await peers.instance(conn, item.host)
    health = policy.HostHealth(
        consecutive_failures=instance.consecutive_failures if instance else 0,
        failing_since=instance.failing_since if instance else None,
        paused_until=instance.paused_until if instance else None,
        unavailable=instance.unavailable if instance else False,
    )
    if outcome.kind == "done":
        await peers.delivered(conn, item, clock=deliverer.clock)
        health = policy.after_success(health)
    elif outcome.kind == "permanent":
        log.info("delivery %s to %s refused for good: %s", item.activity_id, item.inbox, detail)
        await peers.give_up(conn, item, error=detail)
        health = policy.after_success(health)  # the host answered: it is alive, it just does not want this
    else:
        at = policy.next_attempt(item.attempts, now=now, rng=deliverer.rng, not_before=outcome.not_before)
        if at is None:
            await peers.give_up(conn, item, error=f"gave up after {item.attempts} attempts: {detail}")
        else:
            await peers.reschedule(conn, item, at=at, error=detail)
        health = policy.after_failure(health, now=now)
    await peers.save_health(
        conn, item.host, consecutive_failures=health.consecutive_failures, failing_since=health.failing_since,
        paused_until=health.paused_until, unavailable=health.unavailable,
        last_error=None if outcome.kind == "done" else detail[:500],
    )  # fmt: skip

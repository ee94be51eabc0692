"""The federation worker: three loops over PostgreSQL tables, run by the web process or by `deliberate worker`.

- outbox: domain events → activities → delivery rows (one process at a time, by the cursor's row lock);
- delivery: due delivery rows → signed POSTs (any number of processes, by SKIP LOCKED leases);
- inbox: received activities → domain services (any number of processes, by SKIP LOCKED).

A received activity whose processing failed for a reason that may pass (a fetch from a server that is down for a
while, say the author's node of a post relayed by a forum) is not retried at once: before each inbox round the
worker gives such rows their next attempt time on the delivery backoff schedule (`delivery_policy.next_attempt`,
about three days) and makes the rows whose time has come due again. A fetch the peer refused for good (a 404 for a
relayed post's id) is not retried. The sender got its 202 long ago and will not
send again, so giving up after a few seconds would lose the post for good.

Each loop works while there is work and then sleeps `poll_seconds`, or less when `wake()` is called: by a loop
that did some work (its output is the next one's input) and by the inbox handler after storing an activity, so a
reply from another node shows up at once. All state is in
PostgreSQL: stopping the process at any point loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from deliberate.peers import service as peers
from federation import delivery, outbox, processing
from federation import delivery_policy as policy

log = logging.getLogger(__name__)


@dataclass
class FederationWorker:
    processor: processing.Processor
    deliverer: delivery.Deliverer
    poll_seconds: float = 2.0
    _events: dict[str, asyncio.Event] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One federation mode for the node: the resolver decides who is heard, the deliverer whom we send to. The
        # composition root gives it to the resolver; copying it here keeps the two from disagreeing.
        self.deliverer.mode = self.processor.resolver.mode

    def wake(self) -> None:
        for event in self._events.values():
            event.set()

    def start(self) -> None:
        loops: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            ("outbox", lambda: outbox.run_once(self.processor.pool, self.processor.outbox)),
            ("delivery", lambda: delivery.run_once(self.deliverer)),
            ("inbox", self._inbox_round),
        ]
        self._events = {name: asyncio.Event() for name, _ in loops}
        self._tasks = [asyncio.create_task(self._loop(name, step), name=f"federation-{name}") for name, step in loops]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=10)
            for task in stuck:
                log.error("federation task %s did not stop", task.get_name())
        self._tasks = []

    async def run_until_idle(self, *, rounds: int = 50) -> None:
        """Work until every queue is empty (tests and the demo use it to wait for federation to settle)."""
        for _ in range(rounds):
            done = await outbox.run_once(self.processor.pool, self.processor.outbox)
            done += await self._inbox_round()
            done += await delivery.run_once(self.deliverer)
            if not done:
                return

    async def _inbox_round(self) -> int:
        """Schedule the inbox rows that failed last round and release those now due, then process a batch."""
        clock, rng = self.processor.resolver.clock, self.deliverer.rng

        def next_attempt(attempts: int, error: str | None, now: datetime) -> datetime | None:
            # A fetch the peer refused for good was not sent here: processing finished that row at once.
            return policy.next_attempt(attempts, now=now, rng=rng, not_before=None)

        async with self.processor.pool.acquire() as conn, conn.transaction():
            await peers.schedule_inbox_retries(conn, clock=clock, next_attempt=next_attempt)
        return await processing.run_once(self.processor)

    async def _loop(self, name: str, step: Callable[[], Awaitable[int]]) -> None:
        while True:
            try:
                worked = await step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug or an outage must not end the loop: log it and try again later
                log.exception("federation %s loop failed; retrying", name)
                worked = 0
            if worked:
                # What one loop did is work for the next (an event to translate, a delivery to send).
                self.wake()
                await asyncio.sleep(0)
                continue
            event = self._events[name]
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as the
            # event fires (CPython gh-86296), and stop() would then wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await event.wait()
            event.clear()

"""Allow-list mode restricts what this node sends, not only what it hears.

A server that is not (or no longer) allowed receives nothing: its delivery rows stay pending and unattempted, the way
a blocked server's do, and go out once an operator allows it again. Two real nodes on loopback share one FrozenClock.
"""

from __future__ import annotations

from typing import Any

from deliberate.clock import FrozenClock
from deliberate.peers import service as peers
from tests.conftest import Node
from tests.federation.support import host, member, settle_at, sql, start, value
from web.state import STATE


async def _drive(*nodes: Node, rounds: int = 3) -> None:
    """Run each node's worker in turn (not `settle`: rows waiting for a host that is not allowed are not work)."""
    for _ in range(rounds):
        for node in nodes:
            await node.app[STATE].fed.worker.run_until_idle()


async def _allow(node: Node, peer: Node, clock: FrozenClock, *, allowed: bool) -> None:
    async with node.app[STATE].db.acquire() as conn, conn.transaction():
        await peers.allow_instance(conn, clock=clock, host=host(peer), allowed=allowed)


async def test_in_allow_list_mode_a_server_no_longer_allowed_is_sent_nothing_until_allowed_again(
    node_factory: Any,
) -> None:
    clock = FrozenClock()
    ves = await start(node_factory, "ves", clock=clock, federation_mode="allowlist")
    vmt = await start(node_factory, "vmt", clock=clock)
    operator = await member(ves, "operadora", "operator")
    await operator.submit("/forums", {"name": "Obras"}, form_page="/forums/new")
    await _allow(ves, vmt, clock, allowed=True)
    rosa = await member(vmt, "rosa")
    assert (await rosa.submit("/forums/remote", {"address": f"obras@{host(ves)}"})).status == 200
    await settle_at(clock, ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"

    await _allow(ves, vmt, clock, allowed=False)  # `deliberate federation disallow HOST`
    response = await operator.submit("/f/obras/threads", {"title": "Agua para la loma", "body": "Pedimos cisterna"},
                                     form_page="/f/obras")  # fmt: skip
    assert response.status == 200, operator.last_html
    await _drive(ves, vmt)
    clock.advance(hours=1)
    await _drive(ves, vmt)
    waiting = await sql(ves, "SELECT host, state, attempts FROM delivery")
    assert waiting and all((r["host"], r["state"], r["attempts"]) == (host(vmt), "pending", 0) for r in waiting)
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Announce'") == 0
    assert await value(vmt, "SELECT count(*) FROM thread WHERE title = 'Agua para la loma'") == 0

    await _allow(ves, vmt, clock, allowed=True)
    await _drive(ves, vmt)
    assert await value(ves, "SELECT count(*) FROM delivery") == 0
    assert await value(vmt, "SELECT count(*) FROM thread WHERE title = 'Agua para la loma'") == 1

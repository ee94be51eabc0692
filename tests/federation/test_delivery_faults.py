"""Delivery under faults: a peer that goes away, a worker killed mid-batch, a node restarted, a peer that refuses.

Two real nodes on loopback share one FrozenClock (HTTP signatures are checked against the receiver's clock), so
retries come due by moving that clock, never by sleeping. A peer "goes down" by closing its listening socket and
its open connections; it "comes back" on the same port with the same application and database.
"""

from __future__ import annotations

import random
import socket
from datetime import timedelta
from typing import Any

from aiohttp import web

from deliberate.clock import FrozenClock
from deliberate.peers import service as peers
from federation import delivery, outbox
from tests.conftest import Node, Visitor, cheap_passwords
from tests.federation.support import host, member, settle_at, sql, start, two_nodes_with_a_forum, value
from web.app import create_app
from web.state import STATE

FORUM = "/f/obras-y-servicios"
# Each new post leaves twice, as Lemmy sends it: Announce{Create{post}} and Announce{post} (for Mastodon).
PER_POST = 2
BODIES = ["Falta agua en el sector 3", "La cisterna pasa los martes", "En la loma no llega", "Pedimos un reservorio"]


async def _forum_followed_across(node_factory: Any, clock: FrozenClock) -> tuple[Node, Node, Visitor]:
    """VES hosts a public forum that VMT mirrors; both nodes run on `clock`. Returns VES, VMT and a VES member."""
    ves, vmt, _ = await two_nodes_with_a_forum(node_factory, clock=clock)
    rosa = await member(vmt, "rosa")
    response = await rosa.submit("/forums/remote", {"address": f"obras-y-servicios@{host(ves)}"})
    assert response.status == 200, rosa.last_html
    await settle_at(clock, ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    for node in (ves, vmt):  # the retry jitter, seeded: the same schedule on every run
        node.app[STATE].fed.worker.deliverer.rng = random.Random(node.name)
    return ves, vmt, await member(ves, "ana")


async def _discuss(ana: Visitor, bodies: list[str]) -> str:
    """ana opens a thread with the first body and replies with the rest; the thread's path on VES."""
    response = await ana.submit(f"{FORUM}/threads", {"title": "Reservorio de la loma", "body": bodies[0]},
                                form_page=FORUM)  # fmt: skip
    assert response.status == 200, ana.last_html
    thread = response.url.path
    for body in bodies[1:]:
        assert (await ana.submit(f"{thread}/replies", {"body": body}, form_page=thread)).status == 200
    return thread


def _let_port_be_reused(node: Node) -> None:
    """Mark the node's open connections SO_REUSEADDR, as a server started with it would have accepted them: the
    TIME_WAIT they leave when we close them then does not keep `_serve` from listening on the same port again."""
    assert node.runner.server is not None
    for connection in node.runner.server.connections:
        if connection.transport is not None:
            connection.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)


async def _go_offline(node: Node) -> None:
    _let_port_be_reused(node)
    for site in list(node.runner.sites):
        await site.stop()
    assert node.runner.server is not None
    await node.runner.server.shutdown(0.1)  # kept-alive connections too: a server that is down answers nothing


async def _serve(node: Node) -> None:
    """Listen on the node's port again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", node.settings.port))
    await web.SockSite(node.runner, sock).start()


async def _run_worker(node: Node) -> None:
    await node.app[STATE].fed.worker.run_until_idle()


async def _queue(node: Node) -> list[Any]:
    return list(await sql(node, "SELECT state, attempts, next_attempt_at, last_error FROM delivery ORDER BY id"))


async def _health(node: Node, peer: Node) -> Any:
    rows = await sql(node, "SELECT consecutive_failures, paused_until FROM instance WHERE host = $1", host(peer))
    return rows[0]


async def _catch_up(clock: FrozenClock, sender: Node) -> None:
    """Move the clock to just past the last pending delivery's next attempt and the end of any pause of its host."""
    latest = await value(sender, """SELECT greatest(max(d.next_attempt_at), max(i.paused_until))
                                    FROM delivery d JOIN instance i ON i.host = d.host""")  # fmt: skip
    if latest is not None and latest >= clock.now():
        clock.advance(seconds=(latest - clock.now()).total_seconds() + 1)


async def _assert_delivered_once(ves: Node, vmt: Node, thread: str, count: int) -> None:
    """Every activity reached VMT and was processed exactly once, nothing is left in VES's queue, and VMT holds the
    thread once and every post exactly once, whatever order they arrived in."""
    announces = await sql(vmt, "SELECT activity_id, processed_at FROM inbox_activity WHERE type = 'Announce'")
    assert len(announces) == len({row["activity_id"] for row in announces}) == count * PER_POST, announces
    assert all(row["processed_at"] is not None for row in announces), announces
    assert await _queue(ves) == []
    ap_id = ves.base_url + thread
    assert await value(vmt, "SELECT count(*) FROM thread WHERE ap_id = $1", ap_id) == 1
    assert await sql(vmt, "SELECT source FROM post GROUP BY source HAVING count(*) > 1") == []
    sources = {row["source"] for row in await sql(vmt, "SELECT source FROM post")}
    assert set(BODIES[:count]) <= sources, sources


async def test_a_peer_down_for_an_hour_receives_every_activity_exactly_once_after_it_returns(
    node_factory: Any,
) -> None:
    clock = FrozenClock()
    ves, vmt, ana = await _forum_followed_across(node_factory, clock)
    await _go_offline(vmt)
    thread = await _discuss(ana, BODIES)
    await _run_worker(ves)
    queue = await _queue(ves)
    assert len(queue) == len(BODIES) * PER_POST
    assert all(row["state"] == "pending" and row["attempts"] == 1 and row["last_error"] for row in queue), queue
    assert all(row["next_attempt_at"] > clock.now() for row in queue)
    assert (await _health(ves, vmt))["consecutive_failures"] == len(BODIES) * PER_POST

    start_at, attempts_before = clock.now(), len(BODIES) * PER_POST
    attempts_at_first_pause: int | None = None
    health_query = "SELECT consecutive_failures, paused_until FROM instance WHERE host = $1"
    conn = await ves.connect()
    try:
        while clock.now() - start_at < timedelta(hours=1):
            clock.advance(minutes=1)
            health = await conn.fetchrow(health_query, host(vmt))
            paused = health["paused_until"] is not None and health["paused_until"] > clock.now()
            await _run_worker(ves)
            attempts = await conn.fetchval("SELECT sum(attempts) FROM delivery WHERE state = 'pending'")
            if paused:  # the circuit breaker holds: nothing leaves for a paused host, due or not
                attempts_at_first_pause = attempts_at_first_pause or attempts_before
                assert attempts == attempts_before, f"attempted while paused until {health['paused_until']}"
            # Every attempt failed, and each one counted against the host.
            assert (await conn.fetchrow(health_query, host(vmt)))["consecutive_failures"] == attempts
            attempts_before = attempts
    finally:
        await conn.close()
    assert attempts_at_first_pause is not None, "a host failing for an hour was never paused"
    assert attempts_before > attempts_at_first_pause, "attempts did not resume after the pause"
    queue = await _queue(ves)
    assert len(queue) == len(BODIES) * PER_POST and all(row["state"] == "pending" for row in queue)
    # The backoff spaces attempts out: about 7 in an hour (0 s, 30 s, 1.5, 3.5, 7.5, 15.5, 31.5 min), not 60.
    assert all(4 <= row["attempts"] <= 8 for row in queue), queue
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Announce'") == 0

    await _serve(vmt)
    await _catch_up(clock, ves)
    await settle_at(clock, ves, vmt)
    await _assert_delivered_once(ves, vmt, thread, len(BODIES))
    health = await _health(ves, vmt)
    assert health["consecutive_failures"] == 0 and health["paused_until"] is None


async def test_a_delivery_worker_killed_mid_batch_loses_nothing(node_factory: Any) -> None:
    clock = FrozenClock()
    ves, vmt, ana = await _forum_followed_across(node_factory, clock)
    thread = await _discuss(ana, BODIES)
    state = ves.app[STATE]
    await outbox.run_once(state.db, state.fed.outbox)
    assert await value(ves, "SELECT count(*) FROM delivery WHERE state = 'pending'") == len(BODIES) * PER_POST
    # A worker leases the whole batch (the lease commits before any network traffic) and dies before sending.
    async with state.db.acquire() as conn, conn.transaction():
        leased = await peers.claim_deliveries(conn, clock=clock, lease=delivery.LEASE, limit=delivery.BATCH)
    assert len(leased) == len(BODIES) * PER_POST

    await _run_worker(ves)  # a fresh worker leaves leased rows alone…
    clock.advance(seconds=delivery.LEASE.total_seconds() - 1)
    await _run_worker(ves)  # …until the lease runs out
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Announce'") == 0
    queue = await _queue(ves)
    assert len(queue) == len(BODIES) * PER_POST
    assert all(row["state"] == "pending" and row["attempts"] == 1 for row in queue)

    clock.advance(seconds=2)
    await settle_at(clock, ves, vmt)
    await _assert_delivered_once(ves, vmt, thread, len(BODIES))


async def test_a_node_restarted_with_deliveries_pending_resumes_them(node_factory: Any) -> None:
    clock = FrozenClock()
    ves, vmt, ana = await _forum_followed_across(node_factory, clock)
    await _go_offline(vmt)
    thread = await _discuss(ana, BODIES[:3])
    await _run_worker(ves)
    assert [row["attempts"] for row in await _queue(ves)] == [1] * 3 * PER_POST

    _let_port_be_reused(ves)
    await ves.runner.cleanup()  # the whole process goes: HTTP server, worker, pools; the database stays
    ves.app = create_app(ves.settings, clock=clock, passwords=cheap_passwords())
    ves.runner = web.AppRunner(ves.app, access_log=None)
    await ves.runner.setup()
    await _serve(ves)
    assert len(await _queue(ves)) == 3 * PER_POST

    await _serve(vmt)
    await _catch_up(clock, ves)
    await settle_at(clock, ves, vmt)
    await _assert_delivered_once(ves, vmt, thread, 3)


async def test_a_peer_that_refuses_with_403_is_not_retried(node_factory: Any) -> None:
    clock = FrozenClock()
    ves, vmt, ana = await _forum_followed_across(node_factory, clock)
    await sql(vmt, "UPDATE instance SET blocked_at = now(), block_reason = 'spam' WHERE host = $1", host(ves))
    await _discuss(ana, BODIES[:1])
    await settle_at(clock, ves, vmt)
    rows = await _queue(ves)
    assert len(rows) == PER_POST
    for row in rows:
        assert row["state"] == "failed" and row["attempts"] == 1 and row["last_error"].startswith("HTTP 403"), row
    # The host answered, so it is not failing: a refusal is not an outage.
    assert (await _health(ves, vmt))["consecutive_failures"] == 0

    clock.advance(days=4)  # past the whole retry schedule
    await _run_worker(ves)
    assert [(row["state"], row["attempts"]) for row in await _queue(ves)] == [("failed", 1)] * PER_POST
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Announce'") == 0


async def test_a_reply_delivered_before_its_thread_is_not_lost(node_factory: Any) -> None:
    # Deliveries of one batch go out concurrently and retries are jittered, so after an outage a reply can reach a
    # peer before the thread it answers. Here the order is made certain: the thread's delivery comes due later.
    clock = FrozenClock()
    ves, vmt, ana = await _forum_followed_across(node_factory, clock)
    thread = await _discuss(ana, BODIES[:2])
    state = ves.app[STATE]
    await outbox.run_once(state.db, state.fed.outbox)
    await sql(ves, "UPDATE delivery SET next_attempt_at = next_attempt_at + interval '1 minute' "
                   "WHERE id IN (SELECT id FROM delivery ORDER BY id LIMIT $1)", PER_POST)  # fmt: skip
    await settle_at(clock, ves, vmt)
    assert len(await _queue(ves)) == PER_POST  # the reply went first
    clock.advance(minutes=2)
    await settle_at(clock, ves, vmt)
    await _assert_delivered_once(ves, vmt, thread, 2)
    sources = await sql(vmt, "SELECT source FROM post ORDER BY id")
    assert sorted(row["source"] for row in sources) == sorted(BODIES[:2])


async def _drive(*nodes: Node, rounds: int = 3) -> None:
    """Run each node's worker in turn, a few times: what is due moves along a chain of nodes. Unlike `settle`, an
    inbox row waiting for its retry time is not work that must be done now."""
    for _ in range(rounds):
        for node in nodes:
            await _run_worker(node)


async def test_a_relayed_reply_survives_its_authors_node_being_down(node_factory: Any) -> None:
    # LURIN follows VES's forum too. A VMT member's reply reaches VES, which relays it to LURIN; LURIN takes a relayed
    # post only once it has checked the author's proof, with the author's key fetched from VMT. VMT is down just
    # then: LURIN must keep the reply and try again later, since nobody will send it again.
    clock = FrozenClock()
    ves, vmt, ana = await _forum_followed_across(node_factory, clock)
    lurin = await start(node_factory, "lurin", clock=clock)
    lucia = await member(lurin, "lucia")
    assert (await lucia.submit("/forums/remote", {"address": f"obras-y-servicios@{host(ves)}"})).status == 200
    await settle_at(clock, ves, vmt, lurin)
    await _discuss(ana, BODIES[:1])
    await settle_at(clock, ves, vmt, lurin)
    beto = await member(vmt, "beto")
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE title = 'Reservorio de la loma'")
    reply = "VMT se suma al pedido"
    assert (await beto.submit(f"/t/{vmt_thread}/replies", {"body": reply}, form_page=f"/t/{vmt_thread}")).status == 200
    await _run_worker(vmt)  # the reply reaches VES…
    await _go_offline(vmt)  # …and VMT goes down for a few minutes

    waiting = "SELECT count(*) FROM inbox_activity WHERE processed_at IS NULL AND type = 'Announce'"
    for _ in range(4):  # however often LURIN's worker runs in the meantime, the reply waits for VMT
        await _drive(ves, lurin)
        clock.advance(seconds=20)
    assert await value(ves, "SELECT count(*) FROM post WHERE source = $1", reply) == 1
    assert await value(lurin, "SELECT count(*) FROM post WHERE source = $1", reply) == 0
    assert await value(lurin, waiting) >= 1
    async with lurin.app[STATE].db.acquire() as conn:
        backlog = await peers.inbox_waiting(conn, as_admin=True)
    assert backlog.waiting >= 1 and backlog.next_at is not None and backlog.next_at > clock.now(), backlog
    assert backlog.last_error, backlog

    await _serve(vmt)
    clock.advance(minutes=10)  # past the next attempt (the schedule's first steps: 30 s, 1 min, 2 min, 4 min)
    await _drive(ves, vmt, lurin)
    assert await value(lurin, "SELECT count(*) FROM post WHERE source = $1", reply) == 1
    assert await value(lurin, waiting) == 0


async def _rosa_follows_the_mirror(node_factory: Any, clock: FrozenClock) -> tuple[Node, Node, Visitor, str]:
    """VES hosts a forum; rosa on VMT follows it (the node's Follow accepted). VES, VMT, rosa and the mirror's name."""
    ves = await start(node_factory, "ves", clock=clock)
    vmt = await start(node_factory, "vmt", clock=clock)
    operator = await member(ves, "operadora", "operator", "moderator")
    response = await operator.submit("/forums", {"name": "Obras y servicios"}, form_page="/forums/new")
    assert response.status == 200, operator.last_html
    rosa = await member(vmt, "rosa")
    mirror = f"obras-y-servicios@{host(ves)}"
    response = await rosa.submit("/forums/remote", {"address": mirror})
    assert response.status == 200, rosa.last_html
    await settle_at(clock, ves, vmt)
    return ves, vmt, rosa, mirror


async def test_an_undo_still_waiting_does_not_end_the_follow_sent_after_it(node_factory: Any) -> None:
    """rosa, VMT's only follower of the mirror, leaves while VES is down: the node's Undo waits on its backoff. She
    follows again once VES is back; the new Follow goes out at once, and the old Undo, due minutes later, must not
    reach VES after it (VES would end the follow whatever Follow id the Undo names)."""
    clock = FrozenClock()
    ves, vmt, rosa, mirror = await _rosa_follows_the_mirror(node_factory, clock)
    follow = {"kind": "forum", "target": mirror, "next": f"/f/{mirror}"}
    assert await value(vmt, "SELECT state FROM following") == "accepted"

    await _go_offline(ves)
    response = await rosa.submit("/follow", follow | {"follow": "0"}, form_page=f"/f/{mirror}")
    assert response.status == 200, rosa.last_html
    assert await value(vmt, "SELECT count(*) FROM following") == 0
    for step in (0, 31, 61):  # the Undo fails three times: its next attempt is about two minutes away
        clock.advance(seconds=step)
        await _run_worker(vmt)
    undo = "SELECT attempts FROM delivery WHERE convert_from(body, 'UTF8')::jsonb ->> 'type' = 'Undo'"
    assert await value(vmt, undo) == 3

    await _serve(ves)
    response = await rosa.submit("/follow", follow | {"follow": "1"}, form_page=f"/f/{mirror}")
    assert response.status == 200, rosa.last_html
    await settle_at(clock, ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    clock.advance(minutes=10)  # past the Undo's next attempt, had it been left in the queue
    await settle_at(clock, ves, vmt)
    assert await value(ves, "SELECT count(*) FROM follower WHERE actor_kind = 'group'") == 1
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE type = 'Undo'") == 0
    assert await _queue(vmt) == []
    thread = await _discuss(await member(ves, "ana"), BODIES[:1])
    await settle_at(clock, ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM thread WHERE ap_id = $1", ves.base_url + thread) == 1


async def test_a_follow_still_waiting_when_the_last_member_leaves_never_reaches_the_peer(node_factory: Any) -> None:
    """rosa stopped following the mirror, and follows it again from its page while VES is down: the node's new
    Follow waits on its backoff. She leaves again before VES returns: the node's Undo waits too, due sooner than
    the Follow. Retried in that order, VES would count VMT as a follower while VMT follows nothing there, and
    keep sending; the waiting Follow is dropped instead (the Undo still goes)."""
    clock = FrozenClock()
    ves, vmt, rosa, mirror = await _rosa_follows_the_mirror(node_factory, clock)
    follow = {"kind": "forum", "target": mirror, "next": f"/f/{mirror}"}
    response = await rosa.submit("/follow", follow | {"follow": "0"}, form_page=f"/f/{mirror}")
    assert response.status == 200, rosa.last_html
    await settle_at(clock, ves, vmt)
    assert await value(ves, "SELECT count(*) FROM follower WHERE actor_kind = 'group'") == 0

    await _go_offline(ves)
    response = await rosa.submit("/follow", follow | {"follow": "1"}, form_page=f"/f/{mirror}")
    assert response.status == 200, rosa.last_html
    for step in (0, 31, 61):  # the Follow fails three times: its next attempt is about two minutes away
        clock.advance(seconds=step)
        await _run_worker(vmt)
    of_type = "FROM delivery WHERE convert_from(body, 'UTF8')::jsonb ->> 'type' = $1"
    assert await value(vmt, "SELECT attempts " + of_type, "Follow") == 3
    response = await rosa.submit("/follow", follow | {"follow": "0"}, form_page=f"/f/{mirror}")
    assert response.status == 200, rosa.last_html
    await _run_worker(vmt)  # the Undo fails once: due again in under a minute, before the Follow
    assert await value(vmt, "SELECT count(*) FROM following") == 0
    assert await value(vmt, "SELECT count(*) " + of_type, "Follow") == 0
    assert await value(vmt, "SELECT count(*) " + of_type, "Undo") == 1

    await _serve(ves)
    for _ in range(6):  # past every retry either of them could have had
        clock.advance(minutes=10)
        await settle_at(clock, ves, vmt)
    assert await _queue(vmt) == []
    assert await value(ves, "SELECT count(*) FROM follower WHERE actor_kind = 'group'") == 0
    assert await value(vmt, "SELECT count(*) FROM following") == 0
    await _discuss(await member(ves, "ana"), BODIES[:1])
    await settle_at(clock, ves, vmt)
    # VES sends nothing to a node that follows nothing there.
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Announce'") == 0

"""Helpers for federation tests: real nodes on loopback whose workers are driven step by step.

Nodes start with `federation_worker=False`; `settle(*nodes)` runs every node's outbox, deliveries and inbox until
nothing is left anywhere, so a test reads the end state without sleeping or polling.
"""

from __future__ import annotations

from typing import Any

from deliberate.clock import Clock
from tests.conftest import Node, Visitor
from web.state import STATE

FEDERATING = {"federation_worker": False}


async def start(node_factory: Any, name: str, **overrides: Any) -> Node:
    node: Node = await node_factory(name, **(FEDERATING | overrides))
    return node


async def settle(*nodes: Node, rounds: int = 20, clock: Clock | None = None) -> None:
    """Run the nodes' workers until no node has work: what is due is judged by `clock` when the nodes share a
    FrozenClock (else by PostgreSQL's now()), and deliveries to a paused, unavailable or blocked host are not work
    (the worker skips them too), nor received activities waiting for their next retry."""
    for _ in range(rounds):
        busy = False
        for node in nodes:
            pending = await value(
                node,
                """
                SELECT (SELECT count(*) FROM delivery d JOIN instance i ON i.host = d.host
                        WHERE d.state = 'pending' AND d.next_attempt_at <= coalesce($1, now()) AND NOT i.unavailable
                          AND (i.blocked_at IS NULL OR d.despite_block)
                          AND (i.paused_until IS NULL OR i.paused_until <= coalesce($1, now())))
                     + (SELECT count(*) FROM inbox_activity WHERE processed_at IS NULL
                        AND (next_attempt_at IS NULL OR next_attempt_at = 'infinity'
                             OR next_attempt_at <= coalesce($1, now())))
                     + (SELECT count(*) FROM domain_event WHERE id > (SELECT last_event_id FROM outbox_cursor))
                """,
                clock.now() if clock else None,
            )
            if pending:
                busy = True
                await node.app[STATE].fed.worker.run_until_idle()
        if not busy:
            return
    raise AssertionError("federation did not settle")


async def member(node: Node, username: str, *roles: str) -> Visitor:
    visitor = await node.visitor()
    await visitor.register(username)
    if roles:
        await sql(node, "UPDATE account SET roles = roles || $2::text[] WHERE username = $1", username, list(roles))
    return visitor


async def sql(node: Node, query: str, *args: Any) -> Any:
    conn = await node.connect()
    try:
        if query.lstrip().upper().startswith("SELECT"):
            return await conn.fetch(query, *args)
        return await conn.execute(query, *args)
    finally:
        await conn.close()


async def value(node: Node, query: str, *args: Any) -> Any:
    conn = await node.connect()
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


def host(node: Node) -> str:
    return node.base_url.split("://", 1)[1]


async def settle_at(clock: Clock, *nodes: Node, rounds: int = 20) -> None:
    await settle(*nodes, rounds=rounds, clock=clock)


async def forum_followed_across(node_factory: Any) -> tuple[Node, Node, Visitor, Visitor, str]:
    """Two nodes: VES with a forum "Obras y servicios" opened by `operadora` (operator and moderator), followed from
    VMT by `rosa` and settled. Returns (ves, vmt, operadora, rosa, the mirror's name on VMT)."""
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator", "moderator")
    response = await operator.submit("/forums", {"name": "Obras y servicios", "description": "Agua"},
                                     form_page="/forums/new")  # fmt: skip
    assert response.status == 200 and response.url.path == "/f/obras-y-servicios", operator.last_html
    rosa = await member(vmt, "rosa")
    response = await rosa.submit("/forums/remote", {"address": f"obras-y-servicios@{host(ves)}"})
    mirror = f"obras-y-servicios@{host(ves)}"
    assert response.status == 200 and response.url.path == f"/f/{mirror}", rosa.last_html
    await settle(ves, vmt)
    return ves, vmt, operator, rosa, mirror


async def two_nodes_with_a_forum(node_factory: Any, **overrides: Any) -> tuple[Node, Node, Visitor]:
    """VES with a forum "Obras y servicios" opened by `operadora` (operator and moderator), and VMT, which does not
    follow it yet; `overrides` go to both nodes' settings. Returns (ves, vmt, operadora)."""
    ves = await start(node_factory, "ves", **overrides)
    vmt = await start(node_factory, "vmt", **overrides)
    operator = await member(ves, "operadora", "operator", "moderator")
    response = await operator.submit("/forums", {"name": "Obras y servicios", "description": "Agua"},
                                     form_page="/forums/new")  # fmt: skip
    assert response.status == 200 and response.url.path == "/f/obras-y-servicios", operator.last_html
    return ves, vmt, operator

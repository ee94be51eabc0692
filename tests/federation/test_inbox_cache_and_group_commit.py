"""The inbox's fast path: the signers a process keeps in memory, and activities of concurrent requests stored together.

Neither may change what the inbox answers: a block takes effect on the very next request although the signer is
kept in memory; a peer that rotated its key is heard with the new key at once (the forced refetch); and a request is
answered 202 only after the statement that stored its activity completed, so a storage failure between queueing and
committing answers no 202 for anything that was not stored.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.crypto.multikey import private_key_to_pem
from federation.resolver import Resolver
from tests.conftest import Node
from tests.federation.support import host, member, start, value
from tests.federation.test_inbox_pipeline import Remote, new_thread, pair, post, remote_member, signed
from web.state import STATE

__all__ = ["pair"]  # the fixture, shared with the pipeline's tests


def resolver_of(node: Node) -> Resolver:
    return node.app[STATE].fed.resolver


async def send(ves: Node, pedro: Remote, forum: str, **changes: Any) -> tuple[int, str, str]:
    """A new thread from pedro: (status, text, activity id)."""
    activity = new_thread(pedro, forum)
    activity["object"].update(changes)
    body = json.dumps(activity).encode()
    status, text = await post(ves, body, signed(ves, pedro, body))
    return status, text, activity["id"]


async def stored(node: Node, activity_id: str) -> int:
    count: int = await value(node, "SELECT count(*) FROM inbox_activity WHERE activity_id = $1", activity_id)
    return count


async def test_a_block_takes_effect_at_once_although_the_signer_is_kept_in_memory(pair: Any) -> None:
    ves, pedro, forum = pair
    status, text, first = await send(ves, pedro, forum)
    assert status == 202, text
    assert resolver_of(ves).known(f"{pedro.uri}#main-key") is not None, "the signer is kept in memory"

    conn = await ves.connect()
    await conn.execute("UPDATE instance SET blocked_at = now() WHERE host = $1", host(pedro.node))
    status, _, blocked = await send(ves, pedro, forum)
    assert status == 403
    assert await stored(ves, blocked) == 0 and await stored(ves, first) == 1
    # Whatever else is wrong with a blocked host's request, the answer is the block's.
    status, _, _ = await send(ves, pedro, forum, id="https://otro.example/objects/1")
    assert status == 403

    await conn.execute("UPDATE instance SET blocked_at = NULL WHERE host = $1", host(pedro.node))
    await conn.close()
    status, text, again = await send(ves, pedro, forum)
    assert status == 202, text
    assert await stored(ves, again) == 1


async def test_allow_list_mode_is_checked_when_storing_too(node_factory: Any) -> None:
    ves = await start(node_factory, "ves", federation_mode="allowlist")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")
    pedro = await remote_member(vmt, "pedro")
    forum = f"{ves.base_url}/f/general"
    conn = await ves.connect()
    await conn.execute("INSERT INTO instance (host, first_seen_at, allowed_at) VALUES ($1, now(), now())", host(vmt))
    status, text, _ = await send(ves, pedro, forum)
    assert status == 202, text
    assert resolver_of(ves).known(f"{pedro.uri}#main-key") is not None
    await conn.execute("UPDATE instance SET allowed_at = NULL WHERE host = $1", host(vmt))
    await conn.close()
    status, _, refused = await send(ves, pedro, forum)
    assert status == 403
    assert await stored(ves, refused) == 0


async def test_a_rotated_key_is_picked_up_by_the_forced_refetch(pair: Any) -> None:
    ves, pedro, forum = pair
    status, text, _ = await send(ves, pedro, forum)
    assert status == 202, text
    old = resolver_of(ves).known(f"{pedro.uri}#main-key")
    assert old is not None

    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    remote = await pedro.node.connect()
    await remote.execute(
        "UPDATE actor_key SET rsa_private_pem = $2 WHERE actor_kind = 'person' "
        "AND actor_id = (SELECT id FROM account WHERE username = $1)",
        pedro.username, private_key_to_pem(new_key),
    )  # fmt: skip
    await remote.close()
    old_key, pedro.rsa_key = pedro.rsa_key, new_key
    status, text, rotated = await send(ves, pedro, forum)
    assert status == 202, text
    assert await stored(ves, rotated) == 1
    now_known = resolver_of(ves).known(f"{pedro.uri}#main-key")
    assert now_known is not None and now_known.actor.public_key_pem != old.actor.public_key_pem

    pedro.rsa_key = old_key  # the old key is not accepted any more
    status, _, stale = await send(ves, pedro, forum)
    assert status == 401
    assert await stored(ves, stale) == 0


async def test_a_failure_between_queueing_and_committing_answers_no_202(pair: Any) -> None:
    ves, pedro, forum = pair
    status, text, _ = await send(ves, pedro, forum)  # the signer is kept in memory: the next requests only store
    assert status == 202, text
    bodies = [json.dumps(new_thread(pedro, forum)).encode() for _ in range(4)]
    ids = [json.loads(body)["id"] for body in bodies]

    locker = await ves.connect()
    killer = await ves.connect()
    transaction = locker.transaction()
    await transaction.start()
    await locker.execute("LOCK TABLE inbox_activity IN ACCESS EXCLUSIVE MODE")
    requests = [asyncio.create_task(post(ves, body, signed(ves, pedro, body))) for body in bodies]
    killed = 0
    try:
        # Every statement that would store them waits on the lock; its connection dies there, as in a crash of
        # PostgreSQL or of the network between queueing and committing.
        while not all(request.done() for request in requests):
            killed += await killer.fetchval(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                """
            )
            await asyncio.sleep(0.05)
    finally:
        await transaction.rollback()
        await locker.close()
        await killer.close()
    statuses = [(await request)[0] for request in requests]
    assert killed >= 1
    assert 202 not in statuses, statuses
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE activity_id = ANY($1)", ids) == 0

    # The peer retries (signing again): now they are stored, once each.
    for body in bodies:
        status, text = await post(ves, body, signed(ves, pedro, body))
        assert status == 202, text
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE activity_id = ANY($1)", ids) == 4


async def test_one_activity_postgresql_refuses_does_not_fail_the_others_stored_with_it(pair: Any) -> None:
    ves, pedro, forum = pair
    status, text, _ = await send(ves, pedro, forum)
    assert status == 202, text
    good = [json.dumps(new_thread(pedro, forum)).encode() for _ in range(6)]
    poisoned = json.dumps(new_thread(pedro, forum, title="nul \u0000 char")).encode()  # jsonb refuses \u0000
    bodies = [*good[:3], poisoned, *good[3:]]
    results = await asyncio.gather(*(post(ves, body, signed(ves, pedro, body)) for body in bodies))
    statuses = [status for status, _ in results]
    assert statuses[:3] + statuses[4:] == [202] * 6, results
    assert statuses[3] != 202
    ids = [json.loads(body)["id"] for body in good]
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE activity_id = ANY($1)", ids) == 6
    assert await stored(ves, json.loads(poisoned)["id"]) == 0


async def test_concurrent_requests_are_stored_together(pair: Any) -> None:
    ves, pedro, forum = pair
    status, text, _ = await send(ves, pedro, forum)
    assert status == 202, text
    statements: list[int] = []
    resolver = resolver_of(ves)
    writer = resolver.writer
    original = writer._write

    async def counting(batch: list[Any]) -> None:
        statements.append(len(batch))
        await original(batch)

    writer._write = counting  # type: ignore[method-assign]
    try:
        bodies = [json.dumps(new_thread(pedro, forum)).encode() for _ in range(12)]
        results = await asyncio.gather(*(post(ves, body, signed(ves, pedro, body)) for body in bodies))
    finally:
        del writer._write
    assert [status for status, _ in results] == [202] * 12
    assert sum(statements) == 12 and len(statements) < 12, statements
    ids = [json.loads(body)["id"] for body in bodies]
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE activity_id = ANY($1)", ids) == 12

"""Two real nodes on loopback: the node stops following a mirrored forum once nobody here follows it (and follows
it again when a member does), and a Reject of our Follow by the other server's Application actor ends the Follow it
names."""

from __future__ import annotations

from typing import Any

from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle, two_nodes_with_a_forum, value

FORUM = "obras-y-servicios"


async def _follow(visitor: Visitor, ves: Node) -> None:
    response = await visitor.submit("/forums/remote", {"address": f"{FORUM}@{host(ves)}"})
    assert response.status == 200 and response.url.path == f"/f/{FORUM}@{host(ves)}", visitor.last_html


async def _unfollow(visitor: Visitor, mirror: str) -> None:
    response = await visitor.submit("/follow", {"kind": "forum", "target": mirror, "follow": "0",
                                                "next": f"/f/{mirror}"}, form_page=f"/f/{mirror}")  # fmt: skip
    assert response.status == 200, visitor.last_html


async def _new_thread(ves: Node, operator: Visitor, title: str) -> str:
    response = await operator.submit(f"/f/{FORUM}/threads", {"title": title, "body": "Texto"},
                                     form_page=f"/f/{FORUM}")  # fmt: skip
    assert response.status == 200, operator.last_html
    return f"{ves.base_url}/t/{response.url.path.rsplit('/', 1)[1]}"


async def _mirrored(vmt: Node, ap_id: str) -> bool:
    return bool(await value(vmt, "SELECT count(*) FROM thread WHERE ap_id = $1", ap_id))


async def test_the_last_member_to_unfollow_a_mirrored_forum_ends_the_nodes_follow(node_factory: Any) -> None:
    ves, vmt, operator = await two_nodes_with_a_forum(node_factory)
    mirror = f"{FORUM}@{host(ves)}"
    rosa, luis = await member(vmt, "rosa"), await member(vmt, "luis")
    await _follow(rosa, ves)
    await _follow(luis, ves)
    await settle(ves, vmt)
    first_follow = await value(vmt, "SELECT follow_id FROM following WHERE state = 'accepted'")
    assert first_follow is not None
    followers = "SELECT count(*) FROM follower WHERE actor_kind = 'group'"
    assert await value(ves, followers) == 1

    await _unfollow(luis, mirror)  # rosa still follows it: nothing changes between the servers
    await settle(ves, vmt)
    assert await value(ves, followers) == 1 and await value(vmt, "SELECT count(*) FROM following") == 1

    await _unfollow(rosa, mirror)
    await settle(ves, vmt)
    assert await value(ves, followers) == 0
    assert await value(vmt, "SELECT count(*) FROM following") == 0
    undo = await value(ves, "SELECT body FROM inbox_activity WHERE type = 'Undo'")
    assert undo["actor"] == f"{vmt.base_url}/actor", undo  # the node's actor undoes the Follow it sent
    assert undo["object"]["type"] == "Follow" and undo["object"]["id"] == first_follow, undo
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE error IS NOT NULL") == 0
    response = await rosa.get(f"/f/{mirror}")  # the mirror and what it holds stay readable
    assert response.status == 200

    unseen = await _new_thread(ves, operator, "Nadie en VMT lo sigue")
    await settle(ves, vmt)
    assert not await _mirrored(vmt, unseen)
    assert await value(ves, "SELECT count(*) FROM delivery WHERE host = $1 AND body::text LIKE '%' || $2 || '%'",
                       host(vmt), "Nadie en VMT lo sigue") == 0  # fmt: skip

    await _follow(rosa, ves)  # following it again sends a new Follow, and deliveries resume
    await settle(ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    assert await value(vmt, "SELECT follow_id FROM following") != first_follow
    assert await value(ves, followers) == 1
    seen = await _new_thread(ves, operator, "De nuevo en VMT")
    await settle(ves, vmt)
    assert await _mirrored(vmt, seen)


async def test_a_reject_by_the_other_servers_actor_naming_our_follow_ends_it(node_factory: Any) -> None:
    ves, vmt, _operator = await two_nodes_with_a_forum(node_factory)
    rosa = await member(vmt, "rosa")
    await _follow(rosa, ves)
    # Before VES reads the Follow, the forum's address stops naming anything there: VES cannot attribute the Follow
    # to one of its actors and its Application actor rejects it, embedding it whole.
    conn = await ves.connect()
    try:
        await conn.execute("UPDATE forum SET slug = 'obras-y-servicios-2' WHERE slug = $1", FORUM)
    finally:
        await conn.close()
    await settle(ves, vmt)
    reject = await value(vmt, "SELECT actor_uri FROM inbox_activity WHERE type = 'Reject'")
    assert reject == f"{ves.base_url}/actor"
    assert await value(vmt, "SELECT state FROM following") == "rejected"
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE error IS NOT NULL") == 0


async def test_following_the_mirror_from_its_page_again_sends_a_new_follow(node_factory: Any) -> None:
    ves, vmt, operator = await two_nodes_with_a_forum(node_factory)
    mirror = f"{FORUM}@{host(ves)}"
    rosa = await member(vmt, "rosa")
    await _follow(rosa, ves)
    await settle(ves, vmt)
    await _unfollow(rosa, mirror)
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM following") == 0

    response = await rosa.submit("/follow", {"kind": "forum", "target": mirror, "follow": "1",
                                             "next": f"/f/{mirror}"}, form_page=f"/f/{mirror}")  # fmt: skip
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    assert await value(ves, "SELECT count(*) FROM follower WHERE actor_kind = 'group'") == 1
    seen = await _new_thread(ves, operator, "De nuevo en VMT")
    await settle(ves, vmt)
    assert await _mirrored(vmt, seen)
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE error IS NOT NULL") == 0

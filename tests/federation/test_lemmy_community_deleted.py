"""A Lemmy community deleted on its own server: its mirror here stays readable, nobody here follows it any more, and
it takes no new threads nor replies (Lemmy refuses new posts and comments in a deleted community too).

Lemmy says it with a moderator's Delete of the community, announced by the community to its followers; a Group may
also delete itself as a person does (the actor's own Delete). Both are played by the fake Lemmy server, signed with
the community's key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Node, Visitor
from tests.federation.fake_server import FakeServer, rehost
from tests.federation.support import member, settle, sql, start, value
from tests.federation.test_backfill_lemmy import Community
from tests.web.support import es

DELETED = (
    "This forum was deleted on its server. It can still be read, but new threads, replies, edits and support are not "
    "possible."
)
DS9 = "http://ds9.lemmy.ml"  # where activities/deletion/*.json were captured


@pytest.fixture
async def lemmy(shared: Path) -> AsyncIterator[FakeServer]:
    server = await FakeServer(shared / "fixtures" / "activitypub" / "lemmy").start("objects/person.json")
    yield server
    await server.stop()


async def mirrored(lemmy: FakeServer, node_factory: Any) -> tuple[Node, Visitor, Community, int]:
    """VMT, where `rosa` follows the community (one thread in it), and the thread's id there."""
    node = await start(node_factory, "vmt")
    rosa = await member(node, "rosa")
    community = Community(lemmy)
    community.items = [community.announce(community.post(0, title="Hilo del agua"))]
    await community.followed_from(node, rosa)
    assert await value(node, "SELECT count(*) FROM subscription WHERE target_kind = 'forum'") == 1
    return node, rosa, community, await value(node, "SELECT id FROM thread")


async def assert_closed_but_readable(node: Node, rosa: Visitor, community: Community, thread_id: int) -> None:
    assert list(await sql(node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL")) == []
    assert await value(node, "SELECT count(*) FROM subscription WHERE target_kind = 'forum'") == 0
    assert await value(node, "SELECT count(*) FROM following") == 0
    forum = f"/f/{community.mirror}"
    response = await rosa.submit(forum + "/threads", {"title": "¿Sigue abierto?", "body": "Hola"}, form_page=forum)
    assert response.status == 409 and es(DELETED) in rosa.last_html
    assert "¿Sigue abierto?" in rosa.last_html  # the form comes back with what she wrote
    response = await rosa.submit(f"/t/{thread_id}/replies", {"body": "¿Hay alguien?"}, form_page=f"/t/{thread_id}")
    assert response.status == 409 and es(DELETED) in rosa.last_html
    assert "¿Hay alguien?" in rosa.last_html
    assert await value(node, "SELECT count(*) FROM post") == 1
    response = await rosa.get(forum)
    assert response.status == 200 and "Hilo del agua" in rosa.last_html
    response = await rosa.get(f"/t/{thread_id}")
    assert response.status == 200 and "Hilo del agua" in rosa.last_html
    # Following the mirror again from its page asks the deleted Group for nothing.
    await rosa.submit("/follow", {"kind": "forum", "target": community.mirror, "next": forum}, form_page=forum)
    await settle(node)
    assert len(community.lemmy.received_of("Follow")) == 1


async def test_a_lemmy_community_deleted_by_its_moderator_closes_its_mirror(lemmy: FakeServer,
                                                                            node_factory: Any) -> None:  # fmt: skip
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    group = community.group["id"]
    delete = rehost(lemmy.load("activities/deletion/delete_page.json"), {f"{DS9}/u/lemmy_alpha": lemmy.actor_id,
                    f"{DS9}/post/1": group, "http://enterprise.lemmy.ml/c/main": group,
                    "https://enterprise.lemmy.ml/c/main": group, DS9: lemmy.base})  # fmt: skip
    announce = rehost(lemmy.load("activities/community/announce_create_page.json"), community.targets)
    announce |= {"id": f"{lemmy.base}/activities/announce/delete-community", "object": delete}
    status, text = await lemmy.send(f"{node.base_url}/inbox", announce, signer=community.group)
    assert status == 202, text
    await settle(node)
    await assert_closed_but_readable(node, rosa, community, thread_id)


async def test_a_group_s_own_delete_closes_its_mirror(lemmy: FakeServer, node_factory: Any) -> None:
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    group = community.group["id"]
    delete = rehost(lemmy.load("activities/deletion/delete_user.json"),
                    {f"{DS9}/u/lemmy_alpha": group, DS9: lemmy.base})  # fmt: skip
    status, text = await lemmy.send(f"{node.base_url}/inbox", delete, signer=community.group)
    assert status == 202, text
    await settle(node)
    await assert_closed_but_readable(node, rosa, community, thread_id)

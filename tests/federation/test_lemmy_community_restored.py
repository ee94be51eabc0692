"""A Lemmy community deleted on its own server, to the end: its mirror here is read-only (no edits nor support
either, from here or from elsewhere; a member may still delete her own post), it leaves the forum index and search
while staying readable at its address with a notice (its thread pages offer no reply, edit nor support; deleting
one's own post stays offered), and the Undo of the deletion (Lemmy's UndoDelete when a
moderator restores the community) opens it again once the community's server serves it as a Group again.

Played by the fake Lemmy server, signed with the community's key (or its person's), as in
test_lemmy_community_deleted.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import Node, Visitor
from tests.federation.fake_server import AS2, FakeServer, dated_now, rehost
from tests.federation.support import settle, sql, value
from tests.federation.test_backfill_lemmy import Community
from tests.federation.test_lemmy_community_deleted import DS9, mirrored
from tests.web.support import es, shown

DELETED = (
    "This forum was deleted on its server. It can still be read, but new threads, replies, edits and support are not "
    "possible."
)
NOTICE = (
    "This forum was deleted on its server %(server)s. It stays here to be read, but nothing new can be written in it."
)
REPLY = "Mi respuesta desde VMT"


class GoneLemmy(FakeServer):
    """The fake Lemmy server, answering for a deleted community as Lemmy does: 410 Gone with a Tombstone."""

    gone: set[str]

    async def _serve(self, request: web.Request) -> web.Response:
        url = self.base + request.path
        if url in getattr(self, "gone", set()):
            self.fetched.append(url)
            tombstone = {"@context": "https://www.w3.org/ns/activitystreams", "id": url, "type": "Tombstone"}
            return web.json_response(tombstone, status=410, content_type=AS2)
        return await super()._serve(request)


@pytest.fixture
async def lemmy(shared: Path) -> AsyncIterator[GoneLemmy]:
    server = await GoneLemmy(shared / "fixtures" / "activitypub" / "lemmy").start("objects/person.json")
    server.gone = set()
    yield server
    await server.stop()


def _moderators_delete(community: Community) -> dict[str, Any]:
    """Lemmy's Delete of the community by a moderator of its server (our person), as Lemmy sends it."""
    lemmy, group = community.lemmy, community.group["id"]
    delete: dict[str, Any] = rehost(lemmy.load("activities/deletion/delete_page.json"), {
        f"{DS9}/u/lemmy_alpha": lemmy.actor_id, f"{DS9}/post/1": group, "http://enterprise.lemmy.ml/c/main": group,
        "https://enterprise.lemmy.ml/c/main": group, DS9: lemmy.base})  # fmt: skip
    return delete


def _moderators_undo(community: Community, delete: dict[str, Any]) -> dict[str, Any]:
    """Lemmy's UndoDelete of that Delete (the community restored), its Delete embedded."""
    lemmy = community.lemmy
    undo: dict[str, Any] = rehost(lemmy.load("activities/deletion/undo_delete_page.json"), {
        f"{DS9}/u/lemmy_alpha": lemmy.actor_id, "http://enterprise.lemmy.ml/c/main": community.group["id"],
        "https://enterprise.lemmy.ml/c/main": community.group["id"], DS9: lemmy.base})  # fmt: skip
    return undo | {"object": delete}


async def _announced(community: Community, node: Node, inner: dict[str, Any], name: str) -> None:
    """`inner`, announced by the community to the node (its follower on Lemmy's side), and processed."""
    lemmy = community.lemmy
    announce = rehost(lemmy.load("activities/community/announce_create_page.json"), community.targets)
    announce |= {"id": f"{lemmy.base}/activities/announce/{name}", "object": inner}
    status, text = await lemmy.send(f"{node.base_url}/inbox", announce, signer=community.group)
    assert status == 202, text
    await settle(node)


async def _deleted(lemmy: GoneLemmy, node_factory: Any) -> tuple[Node, Visitor, Community, int, dict[str, Any]]:
    """`mirrored`, then the community deleted by its moderator: its server now answers 410 for it."""
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    delete = _moderators_delete(community)
    await _announced(community, node, delete, "delete-community")
    lemmy.gone.add(community.group["id"])
    assert await value(node, "SELECT type FROM remote_actor WHERE forum_id IS NOT NULL") == "Tombstone"
    return node, rosa, community, thread_id, delete


async def _errors(node: Node) -> list[tuple[str, str]]:
    rows = await sql(node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL ORDER BY id")
    return [(row["type"], row["error"]) for row in rows]


# 1. Read-only: edits and support refused, deleting one's own post allowed.


async def test_in_a_deleted_community_a_member_can_no_longer_edit_nor_support_but_can_delete_her_reply(
    lemmy: GoneLemmy, node_factory: Any
) -> None:
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    response = await rosa.submit(f"/t/{thread_id}/replies", {"body": REPLY}, form_page=f"/t/{thread_id}")
    assert response.status == 200, rosa.last_html
    await settle(node)
    reply_id = await value(node, "SELECT id FROM post WHERE source = $1", REPLY)
    opening_id = await value(node, "SELECT min(id) FROM post WHERE thread_id = $1", thread_id)
    await _announced(community, node, _moderators_delete(community), "delete-community")
    sent = len(lemmy.received)

    response = await rosa.submit(f"/p/{reply_id}/edit", {"body": "Otro texto"}, form_page=f"/p/{reply_id}/edit")
    assert response.status == 409 and es(DELETED) in rosa.last_html
    response = await rosa.submit(f"/p/{opening_id}/react", {"kind": "apoyo"}, form_page=f"/t/{thread_id}")
    assert response.status == 409 and es(DELETED) in rosa.last_html
    response = await rosa.submit(f"/p/{opening_id}/react", {"kind": "gracias"}, form_page=f"/t/{thread_id}")
    assert response.status == 409
    assert await value(node, "SELECT source FROM post WHERE id = $1", reply_id) == REPLY
    assert await value(node, "SELECT count(*) FROM reaction") == 0
    await settle(node)
    assert len(lemmy.received) == sent  # no Update, no Like went to the deleted community

    # Her own reply she may still erase. Its Delete still goes to the community's server (which keeps a deleted
    # community's posts, and would bring them back with it): harmless, and what she asked for.
    response = await rosa.submit(f"/p/{reply_id}/delete", {}, form_page=f"/t/{thread_id}")
    assert response.status == 200, rosa.last_html
    assert await value(node, "SELECT deleted_at IS NOT NULL AND source = '' FROM post WHERE id = $1", reply_id)
    await settle(node)
    [delete] = [r for r in lemmy.received[sent:] if r.body.get("type") == "Delete"]
    assert delete.error is None and delete.body["object"]["id"] == f"{node.base_url}/p/{reply_id}"


async def test_in_a_deleted_community_an_edit_and_a_vote_from_its_server_are_refused(
    lemmy: GoneLemmy, node_factory: Any
) -> None:
    node, _, community, thread_id = await mirrored(lemmy, node_factory)
    page = lemmy.documents[f"{lemmy.base}/post/0"]
    opening_id = await value(node, "SELECT min(id) FROM post WHERE thread_id = $1", thread_id)
    source = await value(node, "SELECT source FROM post WHERE id = $1", opening_id)
    await _announced(community, node, _moderators_delete(community), "delete-community")

    update = rehost(lemmy.load("activities/create_or_update/update_page.json"), community.targets)
    edited = page | {"content": "<p>Cambiado</p>", "source": {"content": "Cambiado", "mediaType": "text/markdown"}}
    update = dated_now(update | {"id": f"{lemmy.base}/activities/update/1", "actor": lemmy.actor_id,
                                 "object": edited})  # fmt: skip
    like = rehost(lemmy.load("activities/voting/like_note.json"), community.targets)
    like |= {"id": f"{lemmy.base}/activities/like/1", "actor": lemmy.actor_id, "object": page["id"]}
    for activity in (update, like):
        status, text = await lemmy.send(f"{node.base_url}/inbox", activity)
        assert status == 202, text
    await settle(node)
    errors = dict(await _errors(node))
    assert "forum_deleted_at_origin" in errors["Update"] and "forum_deleted_at_origin" in errors["Like"], errors
    assert await value(node, "SELECT source FROM post WHERE id = $1", opening_id) == source
    assert await value(node, "SELECT count(*) FROM reaction") == 0


# 2. Out of the lists, readable at its address.


async def test_a_deleted_community_leaves_the_forum_index_and_search_but_its_page_stays_with_a_notice(
    lemmy: GoneLemmy, node_factory: Any
) -> None:
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    name, forum = community.group["name"], f"/f/{community.mirror}"
    await rosa.get("/forums")
    assert forum in rosa.last_html and name in rosa.last_html
    await rosa.get("/search?q=post")
    assert "Hilo del agua" in rosa.last_html
    await rosa.get(f"/u/{lemmy.handle}")  # the threads its author started here
    assert "Hilo del agua" in rosa.last_html
    await _announced(community, node, _moderators_delete(community), "delete-community")

    for visitor in (rosa, await node.visitor()):
        await visitor.get("/forums")
        assert forum not in visitor.last_html and name not in visitor.last_html
        await visitor.get("/search?q=post")
        assert "Hilo del agua" not in visitor.last_html
        await visitor.get(f"/u/{lemmy.handle}")
        assert "Hilo del agua" not in visitor.last_html
    response = await rosa.session.get(rosa.url("/api/v1/forums"))
    assert response.status == 200
    assert community.mirror not in await response.text()
    response = await rosa.get(forum)
    assert response.status == 200 and "Hilo del agua" in rosa.last_html
    assert shown(NOTICE, server=community.mirror.split("@", 1)[1]) in rosa.last_html
    assert 'action="/f/' not in rosa.last_html  # no form to start a thread, nor to follow it
    response = await rosa.get(f"/t/{thread_id}")
    assert response.status == 200 and "Hilo del agua" in rosa.last_html


# 3. Restored on its server.


async def _assert_open_again(node: Node, rosa: Visitor, community: Community) -> None:
    lemmy, forum = community.lemmy, f"/f/{community.mirror}"
    assert await _errors(node) == []
    assert await value(node, "SELECT type FROM remote_actor WHERE forum_id IS NOT NULL") == "Group"
    await rosa.get("/forums")
    assert forum in rosa.last_html
    await rosa.get(forum)
    assert shown(NOTICE, server=community.mirror.split("@", 1)[1]) not in rosa.last_html
    # Nobody here follows it any more, and nothing made the node follow it again.
    assert await value(node, "SELECT count(*) FROM subscription WHERE target_kind = 'forum'") == 0
    assert await value(node, "SELECT count(*) FROM following") == 0
    response = await rosa.submit(forum + "/threads", {"title": "De vuelta", "body": "Volvió el foro"})
    assert response.status == 200 and response.url.path.startswith("/t/"), rosa.last_html
    await settle(node)
    [create] = [r for r in lemmy.received_of("Create") if r.body["object"].get("name") == "De vuelta"]
    assert create.error is None and create.body["object"]["audience"] == community.group["id"]
    # The next member to follow it makes the node send the community a new Follow.
    assert len(lemmy.received_of("Follow")) == 1
    await rosa.submit("/follow", {"kind": "forum", "target": community.mirror, "next": forum}, form_page=forum)
    await settle(node)
    assert len(lemmy.received_of("Follow")) == 2


async def test_a_lemmy_community_restored_by_its_moderator_opens_its_mirror_again(
    lemmy: GoneLemmy, node_factory: Any
) -> None:
    node, rosa, community, _, delete = await _deleted(lemmy, node_factory)
    lemmy.gone.clear()  # restored: its server serves the Group again
    await _announced(community, node, _moderators_undo(community, delete), "undo-delete-community")
    await _assert_open_again(node, rosa, community)


async def test_a_group_s_own_undo_of_its_delete_opens_its_mirror_again(lemmy: GoneLemmy, node_factory: Any) -> None:
    node, rosa, community, _, _ = await _deleted(lemmy, node_factory)
    lemmy.gone.clear()
    group = community.group["id"]
    delete = {"id": f"{lemmy.base}/activities/delete/self", "type": "Delete", "actor": group, "object": group,
              "to": ["https://www.w3.org/ns/activitystreams#Public"]}  # fmt: skip
    undo = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{lemmy.base}/activities/undo/self",
            "type": "Undo", "actor": group, "object": delete, "to": delete["to"]}  # fmt: skip
    status, text = await lemmy.send(f"{node.base_url}/inbox", undo, signer=community.group)
    assert status == 202, text
    await settle(node)
    await _assert_open_again(node, rosa, community)


async def test_an_undo_of_the_deletion_is_refused_while_the_community_s_server_still_says_it_is_gone(
    lemmy: GoneLemmy, node_factory: Any
) -> None:
    node, rosa, community, thread_id, delete = await _deleted(lemmy, node_factory)
    fetched = lemmy.fetched.count(community.group["id"])
    await _announced(community, node, _moderators_undo(community, delete), "undo-delete-community")
    assert lemmy.fetched.count(community.group["id"]) == fetched + 1  # asked, and answered 410 Gone
    [(kind, error)] = await _errors(node)
    assert kind == "Announce" and "410" in error, error
    assert await value(node, "SELECT type FROM remote_actor WHERE forum_id IS NOT NULL") == "Tombstone"
    response = await rosa.submit(f"/t/{thread_id}/replies", {"body": "¿Volvió?"}, form_page=f"/t/{thread_id}")
    assert response.status == 409 and es(DELETED) in rosa.last_html


async def test_only_an_undo_of_the_deletion_by_someone_of_the_community_s_server_restores_it(
    lemmy: GoneLemmy, node_factory: Any, shared: Path
) -> None:
    node, _, community, _, delete = await _deleted(lemmy, node_factory)
    lemmy.gone.clear()  # restored: but another server has no say over that
    fetched = lemmy.fetched.count(community.group["id"])
    other = await FakeServer(shared / "fixtures" / "activitypub" / "lemmy").start("objects/person.json")
    try:
        # Another server's person undoing "its" Delete of the community, announced by the community: not a Delete
        # by someone of the community's server, so not taken as its restoration.
        theirs = delete | {"id": f"{other.base}/activities/delete/1", "actor": other.actor_id}
        forged = _moderators_undo(community, theirs) | {"id": f"{other.base}/activities/undo/1",
                                                         "actor": other.actor_id}  # fmt: skip
        await _announced(community, node, forged, "undo-by-another-server")
        # And sent directly by that person: an actor only undoes its own Delete, of itself.
        status, text = await other.send(f"{node.base_url}/inbox", forged | {"id": f"{other.base}/activities/undo/2"})
        assert status == 202, text
        await settle(node)
    finally:
        await other.stop()
    assert lemmy.fetched.count(community.group["id"]) == fetched  # not even asked
    assert await value(node, "SELECT type FROM remote_actor WHERE forum_id IS NOT NULL") == "Tombstone"
    # The moderator's own, announced by the community, is taken.
    await _announced(community, node, _moderators_undo(community, delete), "undo-delete-community")
    assert await value(node, "SELECT type FROM remote_actor WHERE forum_id IS NOT NULL") == "Group"


async def test_the_thread_page_of_a_deleted_community_says_so_and_offers_no_reply_edit_nor_support(
    lemmy: GoneLemmy, node_factory: Any
) -> None:
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    thread = f"/t/{thread_id}"
    response = await rosa.submit(f"{thread}/replies", {"body": "Mi respuesta"}, form_page=thread)
    assert response.status == 200, rosa.last_html
    reply_id = await value(node, "SELECT id FROM post WHERE source = 'Mi respuesta'")
    notice = shown(NOTICE, server=community.mirror.split("@", 1)[1])
    await rosa.get(thread)  # open, before: no notice, every control there
    assert notice not in rosa.last_html
    assert f'action="{thread}/replies"' in rosa.last_html and "/react" in rosa.last_html
    assert f'href="/p/{reply_id}/edit"' in rosa.last_html

    await _announced(community, node, _moderators_delete(community), "delete-community")

    for path in (thread, f"{thread}?reply_to={reply_id}"):
        response = await rosa.get(path)
        assert response.status == 200 and "Hilo del agua" in rosa.last_html and "Mi respuesta" in rosa.last_html
        assert notice in rosa.last_html
        assert f'action="{thread}/replies"' not in rosa.last_html and 'id="reply"' not in rosa.last_html
        assert "/react" not in rosa.last_html and "reply_to=" not in rosa.last_html.replace(path, "")
        assert "/edit" not in rosa.last_html
        assert f'action="/p/{reply_id}/delete"' in rosa.last_html  # her own post she may still erase
    visitor = await node.visitor()
    await visitor.get(thread)
    assert notice in visitor.last_html and 'id="reply"' not in visitor.last_html

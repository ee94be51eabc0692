"""A Lemmy community restored on its server (the UndoDelete of its moderator): what its deletion ended for the
Group itself comes back with it. Members who followed its mirror while it was deleted (which asked the deleted
community for nothing) have the node follow it again; its shadow account, if it wrote here, is live again. (With
nobody following it, no Follow is sent: test_lemmy_community_restored.py.)

Played by the fake Lemmy server that answers 410 Gone for a deleted community, as in
test_lemmy_community_restored.py.
"""

from __future__ import annotations

from typing import Any

from tests.federation.support import settle, value
from tests.federation.test_lemmy_community_deleted import mirrored
from tests.federation.test_lemmy_community_restored import (
    GoneLemmy,
    _announced,
    _deleted,
    _moderators_delete,
    _moderators_undo,
    lemmy,
)

__all__ = ["lemmy"]  # the fixture, shared with the restored community's tests


async def test_members_who_followed_a_deleted_community_have_the_node_follow_it_again_when_restored(
    lemmy: GoneLemmy, node_factory: Any
) -> None:
    node, rosa, community, _, delete = await _deleted(lemmy, node_factory)
    forum = f"/f/{community.mirror}"
    # She follows the deleted mirror from its page: asked of the deleted community, it would be refused.
    response = await rosa.submit("/follow", {"kind": "forum", "target": community.mirror, "next": forum},
                                 form_page=forum)  # fmt: skip
    assert response.status == 200, rosa.last_html
    await settle(node)
    assert len(lemmy.received_of("Follow")) == 1 and await value(node, "SELECT count(*) FROM following") == 0

    lemmy.gone.clear()  # restored: its server serves the Group again
    await _announced(community, node, _moderators_undo(community, delete), "undo-delete-community")
    assert await value(node, "SELECT type FROM remote_actor WHERE forum_id IS NOT NULL") == "Group"
    follows = lemmy.received_of("Follow")
    assert len(follows) == 2 and follows[1].error is None
    assert follows[1].body["object"] == community.group["id"]
    assert follows[1].body["actor"] == f"{node.base_url}/actor"
    assert await value(node, "SELECT state FROM following") == "pending"


async def test_the_shadow_account_of_a_restored_community_is_live_again(lemmy: GoneLemmy, node_factory: Any) -> None:
    node, _, community, _, delete = await _deleted_after_a_post_of_its_own(lemmy, node_factory)
    shadow = "SELECT a.deleted_at IS NULL, a.display_name FROM account a JOIN remote_actor ra ON ra.account_id = a.id "
    shadow += "WHERE ra.forum_id IS NOT NULL"
    assert tuple(await _row(node, shadow)) == (False, None)

    lemmy.gone.clear()
    await _announced(community, node, _moderators_undo(community, delete), "undo-delete-community")
    assert tuple(await _row(node, shadow)) == (True, community.group["name"])
    response = await (await node.visitor()).get(f"/u/{community.mirror}")
    assert response.status == 200


async def _deleted_after_a_post_of_its_own(lemmy: GoneLemmy, node_factory: Any) -> Any:
    """`_deleted`, the community having first started a thread in its own name (so it has a shadow account here)."""
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    page = community.post(1, title="Aviso de la comunidad") | {"attributedTo": community.group["id"]}
    lemmy.serve(page)
    await _announced(community, node, page, "group-post")
    assert await value(node, "SELECT count(*) FROM thread") == 2
    delete = _moderators_delete(community)
    await _announced(community, node, delete, "delete-community")
    lemmy.gone.add(community.group["id"])
    assert await value(node, "SELECT type FROM remote_actor WHERE forum_id IS NOT NULL") == "Tombstone"
    return node, rosa, community, thread_id, delete


async def _row(node: Any, query: str) -> Any:
    conn = await node.connect()
    try:
        return await conn.fetchrow(query)
    finally:
        await conn.close()

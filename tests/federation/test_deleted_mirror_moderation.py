"""Moderating the mirror of a Lemmy community deleted on its own server: it stays as its server left it, so its
threads are neither closed nor reopened here (no form on the thread page, the service refuses with
ForumDeletedAtOrigin, as Lemmy refuses a lock in a deleted community), and a report on one of its posts stays with
this node's moderators: no Flag goes to the Group that is gone.

Played by the fake Lemmy server, as in test_lemmy_community_deleted.py.
"""

from __future__ import annotations

from typing import Any

from tests.federation.fake_server import FakeServer
from tests.federation.support import member, settle, value
from tests.federation.test_lemmy_community_deleted import lemmy, mirrored
from tests.federation.test_lemmy_community_restored import DELETED, NOTICE, _announced, _moderators_delete
from tests.web.support import es, shown

__all__ = ["lemmy"]  # the fixture, shared with the deleted community's tests


async def test_a_thread_of_a_deleted_community_is_neither_closed_nor_offered_to_close(
    lemmy: FakeServer, node_factory: Any
) -> None:
    node, _, community, thread_id = await mirrored(lemmy, node_factory)
    moderator = await member(node, "moderadora", "moderator")
    thread = f"/t/{thread_id}"
    await moderator.get(thread)
    assert f'action="{thread}/close"' in moderator.last_html  # open, before: she may close it

    await _announced(community, node, _moderators_delete(community), "delete-community")
    response = await moderator.get(thread)
    assert response.status == 200 and "Hilo del agua" in moderator.last_html
    assert f'action="{thread}/close"' not in moderator.last_html
    await moderator.get(f"{thread}/close")  # the moderation page that asks for a reason: a notice, no form
    assert shown(NOTICE, server=community.mirror.split("@", 1)[1]) in moderator.last_html
    assert f'action="{thread}/close"' not in moderator.last_html
    response = await moderator.submit(f"{thread}/close", {"locked": "1", "reason": "Foro borrado"},
                                      form_page=thread)  # fmt: skip
    assert response.status == 409 and es(DELETED) in moderator.last_html
    assert await value(node, "SELECT locked_at IS NULL FROM thread WHERE id = $1", thread_id)
    assert await value(node, "SELECT count(*) FROM moderation_action") == 0


async def test_a_report_in_a_deleted_community_stays_with_this_node_s_moderators(
    lemmy: FakeServer, node_factory: Any
) -> None:
    node, rosa, community, thread_id = await mirrored(lemmy, node_factory)
    moderator = await member(node, "moderadora", "moderator")
    post_id = await value(node, "SELECT min(id) FROM post WHERE thread_id = $1", thread_id)
    report = {"reason": "other", "text": "Publicidad"}
    response = await rosa.submit(f"/p/{post_id}/report", report)
    assert response.status == 200, rosa.last_html
    await settle(node)
    assert len(lemmy.received_of("Flag")) == 1  # open, before: the community's moderators are told

    await _announced(community, node, _moderators_delete(community), "delete-community")
    luis = await member(node, "luis")
    response = await luis.submit(f"/p/{post_id}/report", {"reason": "other", "text": "Sigue aquí"})
    assert response.status == 200, luis.last_html
    await settle(node)
    assert len(lemmy.received_of("Flag")) == 1  # nothing more went to the deleted community
    assert await value(node, "SELECT count(*) FROM delivery WHERE state = 'pending'") == 0
    assert await value(node, "SELECT count(*) FROM report WHERE post_id = $1", post_id) == 2
    response = await moderator.get("/moderation")
    assert response.status == 200 and "Sigue aquí" in moderator.last_html

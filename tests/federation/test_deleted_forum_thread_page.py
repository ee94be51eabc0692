"""The thread page of a forum deleted on its own server: it says so, as the forum's page does, and offers none of
what the node would refuse there (a reply, an edit, the support reaction); deleting one's own post stays offered.

Played by the fake Lemmy server, as in test_lemmy_community_restored.py: a member of VMT follows the community and
replies in its thread, then the community's moderator deletes the community.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.federation.support import value
from tests.federation.test_lemmy_community_deleted import mirrored
from tests.federation.test_lemmy_community_restored import NOTICE, GoneLemmy, _announced, _moderators_delete
from tests.web.support import shown


@pytest.fixture
async def lemmy(shared: Path) -> AsyncIterator[GoneLemmy]:
    server = await GoneLemmy(shared / "fixtures" / "activitypub" / "lemmy").start("objects/person.json")
    server.gone = set()
    yield server
    await server.stop()


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

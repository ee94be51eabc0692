"""NodeInfo counts a node's own people and posts: after two real nodes on loopback have exchanged threads and replies,
each holds shadow accounts and copies of the other's posts, and neither shows up in its `usage`."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.conftest import Node
from tests.federation.support import forum_followed_across, host, member, settle, value


async def _usage(node: Node) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(node.base_url + "/nodeinfo/2.1") as response:
        assert response.status == 200
        document: dict[str, Any] = await response.json(content_type=None)
    return document["usage"]


async def test_nodeinfo_counts_only_the_nodes_own_accounts_and_posts(node_factory: Any) -> None:
    ves, vmt, _, rosa, _ = await forum_followed_across(node_factory)
    ana = await member(ves, "ana")
    response = await ana.submit("/f/obras-y-servicios/threads", {"title": "Reservorio", "body": "Falta agua"},
                                form_page="/f/obras-y-servicios")  # fmt: skip
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    beto = await member(ves, "beto")
    await beto.submit(f"/t/{ves_thread}/replies", {"body": "En mi calle también"})
    await settle(ves, vmt)
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")
    await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Y en Villa María"})
    # beto leaves, his reply stays under the shared anonymous author: still a post written here, no longer a user.
    response = await beto.submit("/account/delete", {"password": "clave-segura-123", "posts": "anonymous"})
    assert response.status == 200 and response.url.path == "/account/deleted", beto.last_html
    await settle(ves, vmt)
    # Each node holds the other's people and posts too.
    assert await value(ves, "SELECT count(*) FROM account WHERE origin = $1", host(vmt)) == 1
    assert await value(vmt, "SELECT count(*) FROM account WHERE origin = $1", host(ves)) == 2
    assert await value(vmt, "SELECT count(*) FROM post WHERE deleted_at IS NULL") == 3

    # VES: operadora and ana; ana posted; ana's thread and beto's reply.
    assert await _usage(ves) == {"users": {"total": 2, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": 2}
    # VMT: rosa and her reply.
    assert await _usage(vmt) == {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": 1}

"""A node serves actor documents only for its own actors. A mirrored forum and another server's member are shown to
people here, but as actors they live on their own server, with its keys: asked for as AS2, this node answers 404
(it used to serve a Group or a Person signed with its own keys, which a peer could follow or trust)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.federation.support import forum_followed_across, host, settle, value

AS2 = {"Accept": "application/activity+json"}


async def test_a_mirrored_forum_and_another_servers_member_are_not_served_as_our_actors(node_factory: Any) -> None:
    ves, vmt, operator, _, mirror = await forum_followed_across(node_factory)
    await operator.submit("/f/obras-y-servicios/threads", {"title": "Agua", "body": "Cortes en el sector 2"},
                          form_page="/f/obras-y-servicios")  # fmt: skip
    await settle(ves, vmt)
    shadow = await value(vmt, "SELECT username FROM account WHERE origin IS NOT NULL")
    assert shadow == f"operadora@{host(ves)}"
    async with aiohttp.ClientSession() as session:
        for path in (f"/f/{mirror}", f"/u/{shadow}"):
            async with session.get(vmt.base_url + path, headers=AS2) as response:
                assert response.status == 404, path
            async with session.get(vmt.base_url + path) as response:  # people here still see the page
                assert response.status == 200, path
        for path in ("/f/obras-y-servicios", "/u/operadora"):  # the actors themselves, on their own server
            async with session.get(ves.base_url + path, headers=AS2) as response:
                assert response.status == 200 and (await response.json(content_type=None))["id"] == ves.base_url + path

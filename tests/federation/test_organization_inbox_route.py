"""An organization's own inbox and collections reach the federation handlers, not the organization page's actions
(`/o/{slug}/{action}`), whose route shares their first path segment."""

from __future__ import annotations

import json

import aiohttp

from tests.conftest import Node
from tests.federation.test_discovery_and_actors import AS2, fetch
from tests.web.test_organizations_and_forums_web import found_organization, signed_in


async def test_an_organizations_inbox_and_followers_are_federation_routes(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    org_path = await found_organization(rosa)
    body = json.dumps({"type": "Follow", "id": "https://otro.example/a/1", "actor": "https://otro.example/u/x",
                       "object": node.base_url + org_path}).encode()  # fmt: skip
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            node.base_url + org_path + "/inbox", data=body, headers={"Content-Type": AS2}, allow_redirects=False
        ) as response,
    ):
        assert response.status == 401, await response.text()  # unsigned: refused by the inbox, not sent to log in
        assert (await response.json(content_type=None))["type"].endswith("signature_rejected")
    status, collection, _ = await fetch(node, org_path + "/followers")
    assert status == 200 and collection["type"] == "OrderedCollection" and collection["totalItems"] == 0

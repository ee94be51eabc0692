"""One name, several actors: members, organizations and forums have separate namespaces on a node (a member, an
organization and a forum may all be called `obras-y-servicios`), so WebFinger lists every actor of the name, each
`self` link with its type (as Lemmy lists a person and a community), the member first. Following from another node
takes the link of the kind it follows: the Group for a forum, the Person or Organization for someone; a server that
lists a Group first (or only one link, untyped) is read the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import Node, Visitor
from tests.federation.fake_server import AS2, FakeServer
from tests.federation.support import host, member, settle, sql, start, two_nodes_with_a_forum, value
from tests.federation.test_discovery_and_actors import fetch

NAME = "obras-y-servicios"  # the forum of `two_nodes_with_a_forum`
TYPE = "https://www.w3.org/ns/activitystreams#type"


async def _follow_forum(visitor: Visitor, address: str) -> None:
    response = await visitor.submit("/forums/remote", {"address": address})
    assert response.status == 200 and response.url.path == f"/f/{address}", visitor.last_html


async def _follow_someone(visitor: Visitor, address: str) -> None:
    response = await visitor.submit("/follow/remote", {"address": address})
    assert response.status == 200 and response.url.path == f"/u/{address}", visitor.last_html


async def _followed(node: Node) -> list[tuple[str, str]]:
    rows = await sql(node, "SELECT ra.type, ra.uri FROM following f JOIN remote_actor ra ON ra.id = f.remote_actor_id "
                           "ORDER BY ra.uri")  # fmt: skip
    return [(row["type"], row["uri"]) for row in rows]


async def test_a_member_and_a_forum_of_one_name_are_each_followed_from_another_node(node_factory: Any) -> None:
    ves, vmt, _ = await two_nodes_with_a_forum(node_factory)
    await member(ves, NAME)  # a member who took the forum's name
    _, jrd, _ = await fetch(ves, f"/.well-known/webfinger?resource=acct:{NAME}@{host(ves)}", accept="*/*")
    selves = [(link["properties"][TYPE], link["href"]) for link in jrd["links"] if link["rel"] == "self"]
    assert selves == [("Person", f"{ves.base_url}/u/{NAME}"), ("Group", f"{ves.base_url}/f/{NAME}")]

    rosa = await member(vmt, "rosa")
    await _follow_forum(rosa, f"{NAME}@{host(ves)}")  # the Group, though the member is listed first
    await _follow_someone(rosa, f"{NAME}@{host(ves)}")  # and the member
    await settle(ves, vmt)
    assert await _followed(vmt) == [("Group", f"{ves.base_url}/f/{NAME}"), ("Person", f"{ves.base_url}/u/{NAME}")]
    assert await value(vmt, "SELECT count(*) FROM following WHERE state = 'accepted'") == 2
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE error IS NOT NULL") == 0


async def test_an_actor_s_url_as_the_resource_names_that_actor_only(node: Node) -> None:
    operator = await member(node, "asamblea", "operator")
    response = await operator.submit("/forums", {"name": "Obras y servicios"}, form_page="/forums/new")
    assert response.status == 200 and response.url.path == f"/f/{NAME}", operator.last_html
    await member(node, NAME)
    for path, kind in (("u", "Person"), ("f", "Group")):
        url = f"{node.base_url}/{path}/{NAME}"
        status, jrd, _ = await fetch(node, f"/.well-known/webfinger?resource={url}", accept="*/*")
        assert status == 200, jrd
        assert [(link["properties"][TYPE], link["href"]) for link in jrd["links"] if link["rel"] == "self"] == [
            (kind, url)
        ]
    status, _, _ = await fetch(node, f"/.well-known/webfinger?resource={node.base_url}/o/{NAME}", accept="*/*")
    assert status == 404  # no organization of that name


async def test_an_organization_and_a_forum_of_one_name_are_each_followed_from_another_node(node_factory: Any) -> None:
    ves, vmt, _ = await two_nodes_with_a_forum(node_factory)
    lucia = await member(ves, "lucia")
    response = await lucia.submit("/organizations", {"name": "Obras y servicios", "kind": "comedor_popular"},
                                  form_page="/organizations/new")  # fmt: skip
    assert response.status == 200 and response.url.path == f"/o/{NAME}", lucia.last_html

    rosa = await member(vmt, "rosa")
    await _follow_forum(rosa, f"{NAME}@{host(ves)}")
    await _follow_someone(rosa, f"{NAME}@{host(ves)}")
    await settle(ves, vmt)
    assert await _followed(vmt) == [("Group", f"{ves.base_url}/f/{NAME}"),
                                    ("Organization", f"{ves.base_url}/o/{NAME}")]  # fmt: skip


class ListingServer(FakeServer):
    """The fake server, answering WebFinger for its person's name with `links`: set by the test."""

    links: list[dict[str, Any]]

    def _webfinger(self, resource: str) -> web.Response:
        if resource != f"acct:{self.handle}":
            raise web.HTTPNotFound()
        return web.json_response({"subject": resource, "links": self.links}, content_type="application/jrd+json")


@pytest.fixture
async def lemmy(shared: Path) -> AsyncIterator[ListingServer]:
    server = await ListingServer(shared / "fixtures" / "activitypub" / "lemmy").start("objects/person.json")
    yield server
    await server.stop()


def _self(href: str, kind: str | None) -> dict[str, Any]:
    link: dict[str, Any] = {"rel": "self", "type": AS2, "href": href}
    return link | ({"properties": {TYPE: kind}} if kind else {})


async def test_a_served_list_with_a_group_first_still_yields_the_person_to_follow(
    lemmy: ListingServer, node_factory: Any
) -> None:
    group = lemmy.group("objects/group.json") | {"preferredUsername": lemmy.actor["preferredUsername"]}
    lemmy.serve(group)
    lemmy.links = [_self(group["id"], "Group"), _self(lemmy.actor_id, "Person")]
    vmt = await start(node_factory, "vmt")
    rosa = await member(vmt, "rosa")
    await _follow_someone(rosa, lemmy.handle)
    [follow] = await sql(vmt, "SELECT ra.uri FROM following f JOIN remote_actor ra ON ra.id = f.remote_actor_id")
    assert follow["uri"] == lemmy.actor_id

    # Untyped links (as most servers write them): the first is taken, as Mastodon takes it.
    lemmy.links = [_self(lemmy.actor_id, None), _self(group["id"], None)]
    luis = await member(vmt, "luis")
    await _follow_someone(luis, lemmy.handle)
    assert await value(vmt, "SELECT count(*) FROM following") == 1

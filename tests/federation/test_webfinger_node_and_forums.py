"""WebFinger (RFC 7033) for the actors `test_discovery_and_actors.py` leaves out: the node itself, a forum Group, and
a name that a member and a forum share (both listed, the member first, as Lemmy lists a person and a community)."""

from __future__ import annotations

from tests.conftest import Node
from tests.federation.test_discovery_and_actors import AS2, fetch
from tests.web.test_organizations_and_forums_web import signed_in

TYPE = "https://www.w3.org/ns/activitystreams#type"


def _self_links(jrd: dict[str, object]) -> list[tuple[str, str]]:
    links = jrd["links"]
    assert isinstance(links, list)
    return [(link["properties"][TYPE], link["href"]) for link in links if link["rel"] == "self" and link["type"] == AS2]


async def test_the_node_and_a_forum_are_found_and_a_shared_name_lists_both(node: Node) -> None:
    host = node.base_url.split("://")[1]
    status, jrd, response = await fetch(node, f"/.well-known/webfinger?resource=acct:{host}@{host}", accept="*/*")
    assert status == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert jrd["subject"] == f"acct:{host}@{host}"
    assert _self_links(jrd) == [("Application", f"{node.base_url}/actor")]

    operator = await signed_in(node, "asamblea", "operator")
    forum_path = (await operator.submit("/forums", {"name": "Vecinos"}, form_page="/forums/new")).url.path
    slug = forum_path.rsplit("/", 1)[1]
    _, jrd, _ = await fetch(node, f"/.well-known/webfinger?resource=acct:{slug}@{host}", accept="*/*")
    assert _self_links(jrd) == [("Group", f"{node.base_url}/f/{slug}")]
    # The Group the link names is the forum's actor document.
    status, group, _ = await fetch(node, f"/f/{slug}")
    assert status == 200 and group["type"] == "Group" and group["id"] == f"{node.base_url}/f/{slug}"

    await signed_in(node, slug)  # a member who took the forum's name
    _, jrd, _ = await fetch(node, f"/.well-known/webfinger?resource=acct:{slug}@{host}", accept="*/*")
    assert _self_links(jrd) == [("Person", f"{node.base_url}/u/{slug}"), ("Group", f"{node.base_url}/f/{slug}")]

"""A person and an organization of another node with the same name: two actors (`/u/NAME` and `/o/NAME` there), so
two shadow accounts here, each with its own posts and its own page. The first to reach this node is `/u/NAME@HOST`;
the second, whose name is taken, is `/u/NAME~ID@HOST` (ID: this node's number for that actor), as Mastodon names an
account that cannot keep a handle another account holds: by its id, in a form no real username takes.

Two real nodes on loopback: VES, where the person `comedor-popular-las-flores` and the organization of that name
(owned by `lucia`) write in the forum "Obras y servicios", and VMT, where `rosa` follows that forum.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Node, Visitor
from tests.federation.support import forum_followed_across, host, member, settle, sql, value
from tests.federation.test_follow_actors_across_nodes import FORUM, ORG

PERSON_TITLE = "Falta agua en la calle 3"
ORG_TITLE = "Olla común del sábado"


async def _person_and_organization_post(node_factory: Any) -> tuple[Node, Node, Visitor]:
    """VES and VMT after the person, then the organization, of the same name started a thread in the forum VMT
    mirrors; returns (ves, vmt, rosa)."""
    ves, vmt, _, rosa, _ = await forum_followed_across(node_factory)
    lucia = await member(ves, "lucia")
    response = await lucia.submit("/organizations", {"name": "Comedor Popular Las Flores", "kind": "comedor_popular"},
                                  form_page="/organizations/new")  # fmt: skip
    assert response.status == 200 and response.url.path == f"/o/{ORG}", lucia.last_html
    person = await member(ves, ORG)  # a member of VES who chose the organization's name as her username
    for author, thread in ((person, {"title": PERSON_TITLE, "body": "Desde el lunes"}),
                           (lucia, {"title": ORG_TITLE, "body": "Este sábado", "as_organization": ORG})):  # fmt: skip
        response = await author.submit(f"/f/{FORUM}/threads", thread, form_page=f"/f/{FORUM}")
        assert response.status == 200 and response.url.path.startswith("/t/"), author.last_html
        await settle(ves, vmt)
    errors = await sql(vmt, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL")
    assert errors == [], errors
    return ves, vmt, rosa


async def _page_name(vmt: Node, uri: str) -> str:
    """The name of the shadow account on VMT of the actor `uri` (its page is `/u/` and that name)."""
    name: str = await value(
        vmt, "SELECT a.username FROM remote_actor ra JOIN account a ON a.id = ra.account_id WHERE ra.uri = $1", uri
    )
    return name


async def test_a_person_and_an_organization_with_the_same_name_keep_their_posts_and_pages_apart(
    node_factory: Any,
) -> None:
    ves, vmt, rosa = await _person_and_organization_post(node_factory)
    person_uri, org_uri = f"{ves.base_url}/u/{ORG}", f"{ves.base_url}/o/{ORG}"
    person_page, org_page = await _page_name(vmt, person_uri), await _page_name(vmt, org_uri)
    org_id = await value(vmt, "SELECT id FROM remote_actor WHERE uri = $1", org_uri)
    assert person_page == f"{ORG}@{host(ves)}"  # the first keeps the name
    assert org_page == f"{ORG}~{org_id}@{host(ves)}"
    authors = await sql(vmt, "SELECT t.title, a.username FROM thread t JOIN account a ON a.id = t.author_id")
    assert {row["title"]: row["username"] for row in authors} == {PERSON_TITLE: person_page, ORG_TITLE: org_page}

    for page, own, other in ((person_page, PERSON_TITLE, ORG_TITLE), (org_page, ORG_TITLE, PERSON_TITLE)):
        response = await rosa.get(f"/u/{page}")
        assert response.status == 200, rosa.last_html
        assert own in rosa.last_html and other not in rosa.last_html, page


async def test_following_the_second_of_the_same_name_leads_to_its_own_page(node_factory: Any) -> None:
    ves, vmt, rosa = await _person_and_organization_post(node_factory)
    org_uri = f"{ves.base_url}/o/{ORG}"
    response = await rosa.submit("/follow/remote", {"address": org_uri})
    org_page = await _page_name(vmt, org_uri)
    assert response.status == 200 and response.url.path == f"/u/{org_page}", rosa.last_html
    assert ORG_TITLE in rosa.last_html and PERSON_TITLE not in rosa.last_html
    await settle(ves, vmt)
    followed = "SELECT f.state FROM following f JOIN remote_actor ra ON ra.id = f.remote_actor_id WHERE ra.uri = $1"
    assert await value(vmt, followed, org_uri) == "accepted"  # the organization, and not the person, is followed
    assert await value(vmt, followed, f"{ves.base_url}/u/{ORG}") is None
    assert await value(ves, "SELECT count(*) FROM follower WHERE actor_kind = 'organization'") == 1

"""Two real nodes on loopback: a member of VMT follows an organization of VES (through the node's one Follow, however
many members here follow it) and is told when it posts, wherever it posts; the last member to stop following ends
the node's Follow with an Undo; an address that names no person or organization there changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Node, Visitor
from tests.federation.fake_server import FakeServer
from tests.federation.support import host, member, settle, sql, start, two_nodes_with_a_forum, value
from tests.web.support import shown

ORG = "comedor-popular-las-flores"
FORUM = "obras-y-servicios"
AS2 = {"Accept": "application/activity+json"}


@pytest.fixture
async def mastodon(shared: Path) -> AsyncIterator[FakeServer]:
    server = await FakeServer(shared / "fixtures" / "activitypub" / "mastodon").start("objects/person.json")
    yield server
    await server.stop()


async def _ves_with_an_organization(node_factory: Any) -> tuple[Node, Node, Visitor]:
    """VES with a forum and the organization "Comedor Popular Las Flores", whose owner is `lucia`; and VMT."""
    ves, vmt, _operator = await two_nodes_with_a_forum(node_factory)
    lucia = await member(ves, "lucia")
    response = await lucia.submit("/organizations", {"name": "Comedor Popular Las Flores", "kind": "comedor_popular"},
                                  form_page="/organizations/new")  # fmt: skip
    assert response.status == 200 and response.url.path == f"/o/{ORG}", lucia.last_html
    return ves, vmt, lucia


async def _follow(visitor: Visitor, ves: Node) -> None:
    response = await visitor.submit("/follow/remote", {"address": f"{ORG}@{host(ves)}"})
    assert response.status == 200 and response.url.path == f"/u/{ORG}@{host(ves)}", visitor.last_html
    assert shown("Stop following") in visitor.last_html


async def _unfollow(visitor: Visitor, ves: Node) -> None:
    page = f"/u/{ORG}@{host(ves)}"
    response = await visitor.submit("/follow", {"kind": "remote_actor", "target": f"{ORG}@{host(ves)}",
                                                "follow": "0", "next": page}, form_page=page)  # fmt: skip
    assert response.status == 200 and response.url.path == page, visitor.last_html
    assert shown("Stop following") not in visitor.last_html


async def _organization_posts(ves: Node, lucia: Visitor, title: str) -> str:
    thread = {"title": title, "body": "Este sábado", "as_organization": ORG}  # written in the organization's name
    response = await lucia.submit(f"/f/{FORUM}/threads", thread, form_page=f"/f/{FORUM}")
    assert response.status == 200, lucia.last_html
    return f"{ves.base_url}/t/{response.url.path.rsplit('/', 1)[1]}"


async def _followers_on_ves(ves: Node) -> int:
    visitor = await ves.visitor(**AS2)
    async with visitor.session.get(visitor.url(f"/o/{ORG}/followers")) as response:
        assert response.status == 200
        count: int = (await response.json())["totalItems"]
    return count


async def _no_errors(*nodes: Node) -> None:
    for node in nodes:
        errors = await sql(node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL")
        assert errors == [], errors


async def test_a_member_following_an_organization_of_another_node_is_told_when_it_posts(node_factory: Any) -> None:
    ves, vmt, lucia = await _ves_with_an_organization(node_factory)
    vecina = await member(vmt, "vecina")
    await _follow(vecina, ves)
    assert await value(vmt, "SELECT state FROM following") == "pending"
    assert shown("Waiting for %(server)s to accept the follow.", server=host(ves)) in vecina.last_html
    await settle(ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    follow = await value(ves, "SELECT body FROM inbox_activity WHERE type = 'Follow'")
    assert follow["actor"] == f"{vmt.base_url}/actor" and follow["object"] == f"{ves.base_url}/o/{ORG}", follow
    assert await _followers_on_ves(ves) == 1

    # VMT mirrors no forum of VES: the thread reaches VMT as the organization's own Create, to its followers.
    thread = await _organization_posts(ves, lucia, "Olla común del sábado")
    await settle(ves, vmt)
    await _no_errors(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM thread") == 0  # nothing of it is stored, only the notice
    response = await vecina.get("/notifications")
    assert response.status == 200
    assert shown("%(author)s posted:", author="Comedor Popular Las Flores") in vecina.last_html
    assert f'<a href="{thread}" rel="nofollow noopener">Olla común del sábado</a>' in vecina.last_html


async def test_a_second_member_following_the_same_organization_sends_no_second_follow(node_factory: Any) -> None:
    ves, vmt, lucia = await _ves_with_an_organization(node_factory)
    rosa, luis = await member(vmt, "rosa"), await member(vmt, "luis")
    await _follow(rosa, ves)
    await settle(ves, vmt)
    await _follow(luis, ves)
    await settle(ves, vmt)
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE type = 'Follow'") == 1
    assert await value(vmt, "SELECT count(*) FROM following") == 1
    assert await _followers_on_ves(ves) == 1

    thread = await _organization_posts(ves, lucia, "Olla común del sábado")
    await settle(ves, vmt)
    told = await sql(vmt, "SELECT a.username, n.url FROM notification n JOIN account a ON a.id = n.account_id "
                          "WHERE n.kind = 'remote_post' ORDER BY a.username")  # fmt: skip
    assert [tuple(row) for row in told] == [("luis", thread), ("rosa", thread)]


async def test_the_last_member_to_stop_following_an_organization_sends_an_undo(node_factory: Any) -> None:
    ves, vmt, lucia = await _ves_with_an_organization(node_factory)
    rosa, luis = await member(vmt, "rosa"), await member(vmt, "luis")
    await _follow(rosa, ves)
    await _follow(luis, ves)
    await settle(ves, vmt)
    follow_id = await value(vmt, "SELECT follow_id FROM following WHERE state = 'accepted'")

    await _unfollow(luis, ves)  # rosa still follows it: nothing changes between the servers
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM following") == 1 and await _followers_on_ves(ves) == 1

    await _unfollow(rosa, ves)
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM following") == 0
    assert await _followers_on_ves(ves) == 0
    undo = await value(ves, "SELECT body FROM inbox_activity WHERE type = 'Undo'")
    assert undo["actor"] == f"{vmt.base_url}/actor", undo  # the node's actor undoes the Follow it sent
    assert undo["object"]["type"] == "Follow" and undo["object"]["id"] == follow_id, undo
    await _no_errors(ves, vmt)

    await _organization_posts(ves, lucia, "Nadie en VMT lo sigue")
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM notification") == 0
    assert await value(ves, "SELECT count(*) FROM delivery WHERE host = $1 AND body::text LIKE '%' || $2 || '%'",
                       host(vmt), "Nadie en VMT lo sigue") == 0  # fmt: skip

    # Following it again from its page here sends a new Follow.
    page = f"/u/{ORG}@{host(ves)}"
    response = await rosa.submit("/follow", {"kind": "remote_actor", "target": f"{ORG}@{host(ves)}", "follow": "1",
                                             "next": page}, form_page=page)  # fmt: skip
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    assert await value(vmt, "SELECT follow_id FROM following") != follow_id
    assert await _followers_on_ves(ves) == 1


async def test_a_post_of_a_followed_organization_in_a_mirrored_forum_notifies_its_followers(
    node_factory: Any,
) -> None:
    ves, vmt, lucia = await _ves_with_an_organization(node_factory)
    rosa, vecina = await member(vmt, "rosa"), await member(vmt, "vecina")
    response = await rosa.submit("/forums/remote", {"address": f"{FORUM}@{host(ves)}"})
    assert response.status == 200, rosa.last_html
    await _follow(vecina, ves)
    await settle(ves, vmt)

    # VMT follows the forum too: the thread comes once, in the Group's Announce, into the mirror; vecina is told
    # about the copy here, like rosa, who follows the forum.
    thread = await _organization_posts(ves, lucia, "Olla común del sábado")
    await settle(ves, vmt)
    await _no_errors(ves, vmt)
    local = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", thread)
    assert local is not None
    told = await sql(vmt, "SELECT a.username, n.kind, n.thread_id FROM notification n "
                          "JOIN account a ON a.id = n.account_id ORDER BY a.username")  # fmt: skip
    assert [tuple(row) for row in told] == [("rosa", "new_thread", local), ("vecina", "new_thread", local)]


async def test_an_address_that_is_no_person_or_organization_there_changes_nothing(node_factory: Any) -> None:
    ves, vmt, _lucia = await _ves_with_an_organization(node_factory)
    vecina = await member(vmt, "vecina")
    for address, message in (
        (f"nadie@{host(ves)}", "That server has nobody with that address. Please check how it is written."),
        (f"{FORUM}@{host(ves)}",
         "That address is not a person or an organization on another server. Write it as name@server."),
        ("vecina", "That address is not a person or an organization on another server. Write it as name@server."),
        (f"{ORG}@127.0.0.1:9", "We could not reach that server. Please check the address and try again later."),
    ):  # fmt: skip
        response = await vecina.submit("/follow/remote", {"address": address})
        assert response.status in (400, 503) and response.url.path == "/follow/remote", address
        assert shown(message) in vecina.last_html, address
        assert f'value="{address}"' in vecina.last_html  # what was typed is kept
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM following") == 0
    assert await value(vmt, "SELECT count(*) FROM subscription") == 0
    assert await value(vmt, "SELECT count(*) FROM delivery") == 0
    assert await value(ves, "SELECT count(*) FROM follower") == 0


async def test_a_followed_mastodon_accounts_status_reaches_the_notices_with_its_link(
    node_factory: Any, mastodon: FakeServer
) -> None:
    vmt = await start(node_factory, "vmt")
    vecina = await member(vmt, "vecina")
    response = await vecina.submit("/follow/remote", {"address": f"@{mastodon.handle}"})  # as Mastodon shows it
    assert response.status == 200 and response.url.path == f"/u/{mastodon.handle}", vecina.last_html
    await settle(vmt)
    [follow] = mastodon.received_of("Follow")
    assert follow.error is None and follow.body["object"] == mastodon.actor_id
    accept = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{mastodon.base}/accepts/1",
              "type": "Accept", "actor": mastodon.actor_id, "object": follow.body}  # fmt: skip
    status, text = await mastodon.send(f"{vmt.base_url}/inbox", accept)
    assert status == 202, text
    await settle(vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"

    # A status in no forum and answering nothing here: Mastodon sends it to its followers, our node among them.
    create = mastodon.activity("activities/create_note.json", {})
    note = create["object"]
    note["inReplyTo"] = None
    note["content"] = "<p>Hoy hay olla común en la loma</p><p>Traigan sus táperes</p>"
    note["contentMap"] = {"es": note["content"]}
    status, text = await mastodon.send(f"{vmt.base_url}/inbox", create)
    assert status == 202, text
    await settle(vmt)
    await _no_errors(vmt)
    assert await value(vmt, "SELECT count(*) FROM post") == 0
    await vecina.get("/notifications")
    assert note["url"].startswith(mastodon.base + "/")  # its page, on its own server
    assert f'<a href="{note["url"]}" rel="nofollow noopener">Hoy hay olla común en la loma</a>' in vecina.last_html

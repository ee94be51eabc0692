"""A deleted member is gone for peers as for people: the actor URL answers 410 with a Tombstone that was a Person,
WebFinger answers 410, the page says the account was deleted, and the name stays taken. The shared author of posts
left behind anonymously is a deleted account too, but it still signs those posts, so it stays an actor."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiohttp

from deliberate.clock import FrozenClock
from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle_at, sql, start, value

AS2 = "application/activity+json"


async def _get(node: Node, path: str, accept: str = AS2) -> tuple[int, Any, str]:
    async with aiohttp.ClientSession() as session, session.get(node.base_url + path, headers={"Accept": accept}) as r:
        text = await r.text()
        try:
            return r.status, json.loads(text), r.content_type
        except json.JSONDecodeError:
            return r.status, text, r.content_type


async def _deleted_member(node_factory: Any, posts: str = "delete") -> Node:
    """VES, where ana registered and then deleted her account."""
    ves = await start(node_factory, "ves")
    ana = await member(ves, "ana")
    response = await ana.submit("/account/delete", {"password": "clave-segura-123", "posts": posts})
    assert response.status == 200 and response.url.path == "/account/deleted", ana.last_html
    return ves


async def test_a_deleted_members_actor_url_answers_410_with_a_tombstone_that_was_a_person(node_factory: Any) -> None:
    ves = await _deleted_member(node_factory)
    status, document, content_type = await _get(ves, "/u/ana")
    assert status == 410 and content_type == AS2, (status, document)
    assert document["type"] == "Tombstone" and document["formerType"] == "Person"
    assert document["id"] == f"{ves.base_url}/u/ana"
    assert "https://www.w3.org/ns/activitystreams" in document["@context"]
    deleted_at = await value(ves, "SELECT deleted_at FROM account WHERE username = 'ana'")
    assert datetime.fromisoformat(document["deleted"]) == deleted_at
    assert "publicKey" not in document  # nothing is signed in a deleted member's name any more
    # Any spelling of the name that finds the account finds it gone.
    status, document, _ = await _get(ves, "/u/ANA")
    assert status == 410 and document["id"] == f"{ves.base_url}/u/ana"
    assert (await _get(ves, "/u/ana/followers"))[0] == 410  # its collections went with it


async def test_the_shared_author_of_posts_left_anonymously_stays_a_person(node_factory: Any) -> None:
    ves = await _deleted_member(node_factory, posts="anonymous")
    shared = await value(ves, "SELECT a.username FROM anonymous_author x JOIN account a ON a.id = x.account_id")
    status, document, _ = await _get(ves, f"/u/{shared}")
    assert status == 200 and document["type"] == "Person" and "publicKey" in document, document
    status, _, _ = await _get(ves, f"/u/{shared}", accept="text/html")
    assert status == 200
    status, jrd, _ = await _get(ves, f"/.well-known/webfinger?resource=acct:{shared}@{host(ves)}", accept="*/*")
    assert status == 200 and jrd["subject"] == f"acct:{shared}@{host(ves)}"
    # ana herself is gone.
    assert (await _get(ves, "/u/ana"))[0] == 410


async def test_webfinger_answers_410_for_a_deleted_member_whose_name_stays_taken(node_factory: Any) -> None:
    ves = await _deleted_member(node_factory)
    resource = f"acct:ana@{host(ves)}"
    status, problem, content_type = await _get(ves, f"/.well-known/webfinger?resource={resource}", accept="*/*")
    assert status == 410 and content_type == "application/problem+json", (status, problem)
    assert problem["code"] == "account_gone"
    # Peers cached ana's key under that name: nobody may register it again.
    someone = await ves.visitor()
    response = await someone.submit("/register", {"username": "ana", "password": "otra-clave-segura",
                                                  "password_confirm": "otra-clave-segura"})  # fmt: skip
    assert response.url.path == "/register", someone.last_html
    assert await value(ves, "SELECT count(*) FROM account WHERE lower(username) = 'ana'") == 1
    assert (await _get(ves, f"/.well-known/webfinger?resource={resource}", accept="*/*"))[0] == 410


async def test_a_deleted_members_page_says_the_account_was_deleted(node_factory: Any) -> None:
    ves = await _deleted_member(node_factory)
    reader = await ves.visitor(**{"Accept-Language": "es"})
    response = await reader.get("/u/ana")
    assert response.status == 410, reader.last_html
    assert "Esta cuenta fue borrada." in reader.last_html
    # A live member's page is unchanged.
    await member(ves, "rosa")
    assert (await reader.get("/u/rosa")).status == 200


async def _two_nodes_and_ana(node_factory: Any, clock: FrozenClock, *, ana_posts: bool) -> tuple[Node, Node, Visitor]:
    """VES with a forum followed from VMT, on one FrozenClock; ana, a member of VES, opened a thread there (VMT then
    fetched her actor to check its proof) or wrote nothing VMT saw."""
    ves = await start(node_factory, "ves", clock=clock)
    vmt = await start(node_factory, "vmt", clock=clock)
    operator = await member(ves, "operadora", "operator")
    response = await operator.submit("/forums", {"name": "Obras y servicios"}, form_page="/forums/new")
    assert response.status == 200, operator.last_html
    rosa = await member(vmt, "rosa")
    assert (await rosa.submit("/forums/remote", {"address": f"obras-y-servicios@{host(ves)}"})).status == 200
    await settle_at(clock, ves, vmt)
    ana = await member(ves, "ana")
    if ana_posts:
        response = await ana.submit("/f/obras-y-servicios/threads", {"title": "Reservorio", "body": "Falta agua"},
                                    form_page="/f/obras-y-servicios")  # fmt: skip
        assert response.status == 200, ana.last_html
        await settle_at(clock, ves, vmt)
        assert await value(vmt, "SELECT count(*) FROM post WHERE source = 'Falta agua'") == 1
    return ves, vmt, ana


async def test_a_peer_whose_copy_of_her_went_stale_still_takes_a_deleted_members_deletes(node_factory: Any) -> None:
    clock = FrozenClock()
    ves, vmt, ana = await _two_nodes_and_ana(node_factory, clock, ana_posts=True)
    clock.advance(days=2)  # VMT's copy of ana is older than a day: it would fetch her again, and hear 410
    response = await ana.submit("/account/delete", {"password": "clave-segura-123", "posts": "delete"})
    assert response.status == 200 and response.url.path == "/account/deleted", ana.last_html
    await settle_at(clock, ves, vmt)

    # VMT took her Deletes, verified with the keys it last knew for her, and nothing waits for a retry on VES.
    assert await value(vmt, "SELECT count(*) FROM post WHERE source = 'Falta agua'") == 0
    shadow = await value(vmt, "SELECT deleted_at FROM account WHERE username = $1", f"ana@{host(ves)}")
    assert shadow is not None
    assert await sql(vmt, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL") == []
    assert await sql(ves, "SELECT host, state, attempts, last_error FROM delivery") == []


async def test_a_deleted_members_delete_to_a_peer_that_never_knew_her_is_taken_and_dropped(node_factory: Any) -> None:
    clock = FrozenClock()
    ves, vmt, ana = await _two_nodes_and_ana(node_factory, clock, ana_posts=False)
    response = await ana.submit("/account/delete", {"password": "clave-segura-123", "posts": "delete"})
    assert response.status == 200 and response.url.path == "/account/deleted", ana.last_html
    await settle_at(clock, ves, vmt)
    # As Mastodon answers a Delete from a gone actor it never knew: 202, and nothing stored (there is nothing of hers
    # there to delete). VES does not retry it for three days.
    assert await sql(ves, "SELECT host, state, attempts, last_error FROM delivery") == []
    assert await value(vmt, "SELECT count(*) FROM account WHERE username = $1", f"ana@{host(ves)}") == 0

"""WebFinger, NodeInfo and actor documents as a Mastodon or Lemmy server would fetch them from a real node."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.crypto.multikey import assertion_method_key, load_public_key_pem
from tests.conftest import Node
from tests.web.test_organizations_and_forums_web import found_organization, signed_in

AS2 = "application/activity+json"


async def fetch(node: Node, path: str, accept: str = AS2) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with aiohttp.ClientSession() as session, session.get(node.base_url + path, headers={"Accept": accept}) as r:
        text = await r.text()
        try:
            return r.status, json.loads(text), r
        except json.JSONDecodeError:
            return r.status, text, r


async def test_a_member_is_a_person_with_both_keys_on_the_url_of_their_page(node: Node) -> None:
    await signed_in(node, "rosa")
    status, actor, response = await fetch(node, "/u/rosa")
    assert status == 200 and response.content_type == AS2
    assert actor["type"] == "Person" and actor["id"] == f"{node.base_url}/u/rosa"
    assert actor["preferredUsername"] == "rosa" and actor["endpoints"]["sharedInbox"] == f"{node.base_url}/inbox"
    rsa_key = load_public_key_pem(actor["publicKey"]["publicKeyPem"])
    assert isinstance(rsa_key, rsa.RSAPublicKey) and rsa_key.key_size == 2048
    assert actor["publicKey"]["owner"] == actor["id"]
    ed_key = assertion_method_key(actor, f"{actor['id']}#ed25519-key")
    assert ed_key is not None
    # The same URL still serves the page to a browser.
    status, html, _ = await fetch(node, "/u/rosa", accept="text/html")
    assert status == 200 and "<html" in html


async def test_actor_keys_are_made_once_and_kept(node: Node) -> None:
    await signed_in(node, "rosa")
    _, first, _ = await fetch(node, "/u/rosa")
    _, second, _ = await fetch(
        node, "/u/rosa", accept='application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    )
    assert first["publicKey"]["publicKeyPem"] == second["publicKey"]["publicKeyPem"]
    assert first["assertionMethod"] == second["assertionMethod"]


async def test_organizations_forums_and_the_node_are_actors_too(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    org_path = await found_organization(rosa)
    forum_path = (await rosa.submit(org_path + "/forums", {"name": "Asambleas"}, form_page=org_path)).url.path
    _, org, _ = await fetch(node, org_path)
    assert org["type"] == "Organization" and org["name"] == "Comedor Popular Santa Rosa"
    _, group, _ = await fetch(node, forum_path)
    assert group["type"] == "Group" and group["attributedTo"] == node.base_url + org_path
    _, app, _ = await fetch(node, "/actor")
    assert app["type"] == "Application" and app["preferredUsername"] == node.base_url.split("://")[1]
    hidden = (await rosa.submit(org_path + "/forums", {"name": "Interno", "visibility": "members"},
                                form_page=org_path)).url.path  # fmt: skip
    status, _, _ = await fetch(node, hidden)
    assert status == 404  # a members-only forum has no public actor


async def test_the_node_actor_signs_with_the_node_keys(node: Node) -> None:
    _, app, _ = await fetch(node, "/actor")
    conn = await node.connect()
    private_pem = await conn.fetchval("SELECT rsa_private_pem FROM node_key")
    await conn.close()
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    private = load_pem_private_key(private_pem.encode(), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    signature = private.sign(b"hola", padding.PKCS1v15(), hashes.SHA256())
    public = load_public_key_pem(app["publicKey"]["publicKeyPem"])
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"hola", padding.PKCS1v15(), hashes.SHA256())


async def test_webfinger_finds_members_organizations_and_forums(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    org_path = await found_organization(rosa)
    host = node.base_url.split("://")[1]
    status, jrd, response = await fetch(node, f"/.well-known/webfinger?resource=acct:rosa@{host}", accept="*/*")
    assert status == 200 and response.content_type == "application/jrd+json"
    assert jrd["subject"] == f"acct:rosa@{host}"
    (self_link,) = [link for link in jrd["links"] if link["rel"] == "self"]
    assert self_link == {"rel": "self", "type": AS2, "href": f"{node.base_url}/u/rosa",
                         "properties": {"https://www.w3.org/ns/activitystreams#type": "Person"}}  # fmt: skip
    slug = org_path.split("/")[-1]
    _, jrd, _ = await fetch(node, f"/.well-known/webfinger?resource=acct:{slug}@{host}", accept="*/*")
    assert [link["href"] for link in jrd["links"] if link["rel"] == "self"] == [node.base_url + org_path]
    for resource in (f"acct:nadie@{host}", "acct:rosa@otro.example", "mailto:rosa@x", ""):
        status, problem, _ = await fetch(node, f"/.well-known/webfinger?resource={resource}", accept="*/*")
        assert status == 404 and problem["status"] == 404


async def test_nodeinfo_names_the_software_and_counts_usage(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    await operator.submit(forum_path + "/threads", {"title": "Hola", "body": "Primero"}, form_page=forum_path)
    status, links, _ = await fetch(node, "/.well-known/nodeinfo", accept="*/*")
    assert status == 200
    (link,) = links["links"]
    assert link["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"
    status, info, response = await fetch(node, "/nodeinfo/2.1", accept="*/*")
    assert status == 200 and info["version"] == "2.1" and info["software"]["name"] == "deliberate"
    assert info["protocols"] == ["activitypub"]
    assert info["usage"] == {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": 1}
    assert "schema/2.1" in response.headers["Content-Type"]

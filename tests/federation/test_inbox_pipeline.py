"""The inbox pipeline against real nodes and real keys: what is accepted, and every way a request is refused.

The "remote" side is a second real node: its members' keys live in its database and its actor documents are what
the receiving node fetches. Requests are signed here with those keys, then tampered with in one way each.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.crypto import cavage
from federation.crypto.message import HttpMessage
from federation.crypto.multikey import load_private_key_pem
from federation.http_signing import sign_post_headers
from schemas.activitypub import PUBLIC
from tests.conftest import Node
from tests.federation.support import host, member, settle, start, value


class Remote:
    """A member of the sending node with their real keys."""

    def __init__(self, node: Node, username: str, rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey):
        self.node, self.username, self.rsa_key, self.ed_key = node, username, rsa_key, ed_key

    @property
    def uri(self) -> str:
        return f"{self.node.base_url}/u/{self.username}"


async def remote_member(node: Node, username: str) -> Remote:
    await member(node, username)
    # The actor document makes the keys, as a peer's fetch would.
    url, accept = f"{node.base_url}/u/{username}", {"Accept": "application/activity+json"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=accept) as response:
        assert response.status == 200
    conn = await node.connect()
    row = await conn.fetchrow(
        "SELECT rsa_private_pem, ed25519_private_pem FROM actor_key k JOIN account a ON a.id = k.actor_id "
        "WHERE k.actor_kind = 'person' AND a.username = $1",
        username,
    )
    await conn.close()
    rsa_key, ed_key = load_private_key_pem(row[0]), load_private_key_pem(row[1])
    assert isinstance(rsa_key, rsa.RSAPrivateKey) and isinstance(ed_key, ed25519.Ed25519PrivateKey)
    return Remote(node, username, rsa_key, ed_key)


def new_thread(sender: Remote, forum_uri: str, *, title: str = "Desde el otro distrito") -> dict[str, Any]:
    ident = f"{sender.node.base_url}/objects/{uuid.uuid4()}"
    note = {
        "id": ident, "type": "Page", "attributedTo": sender.uri, "name": title,
        "content": "<p>Hola vecinas</p>", "source": {"content": "Hola vecinas", "mediaType": "text/markdown"},
        "published": datetime.now(UTC).isoformat(), "to": [forum_uri, PUBLIC], "audience": forum_uri,
    }  # fmt: skip
    return {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{ident}/create", "type": "Create",
        "actor": sender.uri, "object": note, "to": [forum_uri, PUBLIC],
    }  # fmt: skip


async def post(node: Node, body: bytes, headers: dict[str, str], path: str = "/inbox") -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(node.base_url + path, data=body,
                                                                   headers=headers) as response:  # fmt: skip
        return response.status, await response.text()


def signed(target: Node, sender: Remote, body: bytes, *, now: datetime | None = None, scheme: str = "cavage",
           key: Remote | None = None) -> dict[str, str]:  # fmt: skip
    signer = key or sender
    return sign_post_headers(
        target.base_url + "/inbox", body, key_id=f"{signer.uri}#main-key", rsa_key=signer.rsa_key,
        ed25519_key=signer.ed_key, ed25519_key_id=f"{signer.uri}#ed25519-key",
        scheme=scheme,  # type: ignore[arg-type]
        now=now or datetime.now(UTC),
    )  # fmt: skip


@pytest.fixture
async def pair(node_factory: Any) -> tuple[Node, Remote, str]:
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")
    return ves, await remote_member(vmt, "pedro"), f"{ves.base_url}/f/general"


async def threads(node: Node) -> int:
    count: int = await value(node, "SELECT count(*) FROM thread")
    return count


async def test_a_signed_activity_is_stored_once_and_processed_by_the_forum_service(pair: Any) -> None:
    ves, pedro, forum = pair
    body = json.dumps(new_thread(pedro, forum)).encode()
    for _ in range(2):  # the second time is a peer retrying (or a replay inside the window): stored once
        status, text = await post(ves, body, signed(ves, pedro, body))
        assert status == 202, text
    await settle(ves)
    assert await threads(ves) == 1
    assert await value(ves, "SELECT username FROM account WHERE origin IS NOT NULL") == f"pedro@{host(pedro.node)}"


async def test_rfc9421_ed25519_signatures_are_accepted_too(pair: Any) -> None:
    ves, pedro, forum = pair
    body = json.dumps(new_thread(pedro, forum)).encode()
    status, text = await post(ves, body, signed(ves, pedro, body, scheme="rfc9421"))
    assert status == 202, text


async def test_refused_requests_leave_nothing_behind(pair: Any) -> None:
    ves, pedro, forum = pair
    maria = await remote_member(pedro.node, "maria")
    body = json.dumps(new_thread(pedro, forum)).encode()
    good = signed(ves, pedro, body)
    cases: list[tuple[str, bytes, dict[str, str], int]] = []

    tampered = dict(good)
    tampered["Signature"] = good["Signature"].replace('signature="', 'signature="AAAA', 1)
    cases.append(("bad signature", body, tampered, 401))
    cases.append(("signed by another actor's key", body, signed(ves, pedro, body, key=maria), 401))
    swapped = json.dumps(new_thread(pedro, forum, title="Cambiado en el camino")).encode()
    cases.append(("body swapped under a valid signature", swapped, good, 401))
    stale = signed(ves, pedro, body, now=datetime.now(UTC) - timedelta(hours=2))
    cases.append(("replayed after the window", body, stale, 401))
    unsigned_digest = {k: v for k, v in good.items() if k != "Signature"}
    message = HttpMessage(method="POST", url=ves.base_url + "/inbox", headers=tuple(unsigned_digest.items()))
    unsigned_digest["Signature"] = cavage.sign_request(
        message, pedro.rsa_key, key_id=f"{pedro.uri}#main-key", headers=("(request-target)", "host", "date")
    )
    cases.append(("digest not covered by the signature", body, unsigned_digest, 401))
    foreign = new_thread(pedro, forum)
    foreign["object"]["id"] = "https://otro.example/objects/1"
    foreign_body = json.dumps(foreign).encode()
    cases.append(("object id on another origin", foreign_body, signed(ves, pedro, foreign_body), 400))
    cases.append(("malformed JSON", b"{not json", signed(ves, pedro, b"{not json"), 400))
    big = json.dumps(new_thread(pedro, forum) | {"padding": "x" * 300_000}).encode()
    cases.append(("oversized body", big, signed(ves, pedro, big), 413))
    cases.append(("unsigned", body, {"Content-Type": "application/activity+json"}, 401))

    for name, payload, headers, expected in cases:
        status, text = await post(ves, payload, headers)
        assert status == expected, f"{name}: {status} {text}"
        if status != 413:
            assert json.loads(text)["type"].endswith(("signature_rejected", "activity_rejected")), name
    await settle(ves)
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 0
    assert await threads(ves) == 0


async def test_a_chunked_body_is_read_up_to_the_cap_and_refused_beyond_it(pair: Any) -> None:
    """Without Content-Length the inbox counts what arrives (RFC 9112 §7.1): a signed activity in chunks is stored
    like any other; a chunked body over 256 KiB is refused with 413 and nothing of it is kept."""
    ves, pedro, forum = pair

    async def chunked(payload: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async def pieces() -> Any:
            for offset in range(0, len(payload), 4096):
                yield payload[offset : offset + 4096]

        async with aiohttp.ClientSession() as session, session.post(ves.base_url + "/inbox", data=pieces(),
                                                                       headers=headers) as response:  # fmt: skip
            assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
            return response.status, await response.text()

    big = json.dumps(new_thread(pedro, forum) | {"padding": "x" * 300_000}).encode()
    status, text = await chunked(big, signed(ves, pedro, big))
    assert status == 413, text
    body = json.dumps(new_thread(pedro, forum)).encode()
    status, text = await chunked(body, signed(ves, pedro, body))
    assert status == 202, text
    await settle(ves)
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 1
    assert await threads(ves) == 1


async def test_a_blocked_instance_gets_403_and_is_not_even_fetched(pair: Any) -> None:
    ves, pedro, forum = pair
    conn = await ves.connect()
    await conn.execute(
        "INSERT INTO instance (host, first_seen_at, blocked_at) VALUES ($1, now(), now())", host(pedro.node)
    )
    await conn.close()
    body = json.dumps(new_thread(pedro, forum)).encode()
    status, _ = await post(ves, body, signed(ves, pedro, body))
    assert status == 403
    assert await value(ves, "SELECT count(*) FROM remote_actor") == 0
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 0


@pytest.mark.parametrize(
    "key_url",
    ["http://127.0.0.1:{port}/u/x", "https://127.0.0.1:{port}/u/x", "https://10.0.0.1/u/x",
     "https://169.254.169.254/latest/meta-data", "https://[::1]:{port}/u/x"],
)  # fmt: skip
async def test_key_ids_pointing_inside_the_network_are_never_fetched(node_factory: Any, key_url: str) -> None:
    strict = await start(node_factory, "strict", dev_allow_private_network=False)
    connections = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    listener = await asyncio.start_server(count, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        actor = key_url.format(port=port)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        body = json.dumps({"id": actor + "/a/1", "type": "Like", "actor": actor, "object": strict.base_url + "/p/1"})
        message = HttpMessage(method="POST", url=strict.base_url + "/inbox", headers=(
            ("Host", host(strict)), ("Date", datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Digest", cavage.digest_header(body.encode())),
        ))  # fmt: skip
        headers = dict(message.headers)
        headers["Signature"] = cavage.sign_request(message, key, key_id=actor + "#main-key")
        status, text = await post(strict, body.encode(), headers)
        assert status == 401 and "could not be fetched" in text, text
    finally:
        listener.close()
    assert connections == 0
    assert await value(strict, "SELECT count(*) FROM remote_actor") == 0


async def test_in_allow_list_mode_only_allowed_servers_are_heard(node_factory: Any) -> None:
    ves = await start(node_factory, "ves", federation_mode="allowlist")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")
    pedro = await remote_member(vmt, "pedro")
    body = json.dumps(new_thread(pedro, f"{ves.base_url}/f/general")).encode()
    status, _ = await post(ves, body, signed(ves, pedro, body))
    assert status == 403
    assert await value(ves, "SELECT count(*) FROM remote_actor") == 0
    conn = await ves.connect()
    await conn.execute("UPDATE instance SET allowed_at = now() WHERE host = $1", host(vmt))
    await conn.close()
    status, text = await post(ves, body, signed(ves, pedro, body))
    assert status == 202, text

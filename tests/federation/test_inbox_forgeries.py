"""More refusals at the inbox, with real nodes and real keys: RFC 9421 requests tampered with one way each, both
edges of the freshness window, and a forum Group that announces a post its author never wrote.

The RFC 9421 cases mirror the draft-cavage ones of `test_inbox_pipeline.py`: deliberate nodes sign to each other
with RFC 9421, so each refusal must hold there too, and leave nothing stored.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation import activities
from federation.crypto import rfc9421
from federation.crypto.message import HttpMessage
from federation.crypto.multikey import load_private_key_pem
from federation.http_signing import RFC9421_LABEL, canonical_url, http_date, sign_post_headers
from schemas.activitypub import PUBLIC
from tests.conftest import Node
from tests.federation.support import forum_followed_across, member, settle, value
from tests.federation.test_inbox_pipeline import Remote, new_thread, pair, post, signed

__all__ = ["pair"]  # the fixture, shared with the pipeline's tests


def _rfc9421_without_digest(target: Node, sender: Remote, body: bytes) -> dict[str, str]:
    """A valid Ed25519 signature over @method and @target-uri only: the body is not bound to it."""
    url = canonical_url(target.base_url + "/inbox")
    headers = {"Content-Digest": rfc9421.content_digest(body), "Content-Type": "application/activity+json",
               "Date": http_date(datetime.now(UTC))}  # fmt: skip
    message = HttpMessage(method="POST", url=url, headers=tuple(headers.items()))
    signature_input = rfc9421.SignatureInput.create(
        ("@method", "@target-uri"), created=int(datetime.now(UTC).timestamp()), keyid=f"{sender.uri}#ed25519-key",
        alg="ed25519",
    )  # fmt: skip
    headers["Signature-Input"], headers["Signature"] = rfc9421.sign(
        message, signature_input, sender.ed_key, label=RFC9421_LABEL, alg="ed25519"
    )
    return headers


async def test_rfc9421_requests_tampered_with_are_refused_and_leave_nothing(pair: Any) -> None:
    ves, pedro, forum = pair
    body = json.dumps(new_thread(pedro, forum)).encode()
    good = signed(ves, pedro, body, scheme="rfc9421")
    now = datetime.now(UTC)
    swapped = json.dumps(new_thread(pedro, forum, title="Cambiado en el camino")).encode()
    tampered = dict(good)
    tampered["Signature"] = good["Signature"].replace("=:", "=:AAAA", 1)
    cases = [
        ("bad signature", body, tampered),
        ("body swapped under a valid signature", swapped, good),
        ("created two hours ago", body, signed(ves, pedro, body, scheme="rfc9421", now=now - timedelta(hours=2))),
        (
            "created ten minutes ahead",
            body,
            signed(ves, pedro, body, scheme="rfc9421", now=now + timedelta(minutes=10)),
        ),
        ("content-digest not covered", body, _rfc9421_without_digest(ves, pedro, body)),
    ]
    for name, payload, headers in cases:
        status, text = await post(ves, payload, headers)
        assert status == 401, f"{name}: {status} {text}"
        assert json.loads(text)["type"].endswith("signature_rejected"), name
    await settle(ves)
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 0
    assert await value(ves, "SELECT count(*) FROM thread") == 0


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_a_clock_a_little_ahead_is_accepted_and_one_far_ahead_is_not(pair: Any, scheme: str) -> None:
    """The window is one hour into the past and five minutes into the future (federation/inbox.py, step 7)."""
    ves, pedro, forum = pair
    ahead = json.dumps(new_thread(pedro, forum)).encode()
    status, text = await post(ves, ahead, signed(ves, pedro, ahead, scheme=scheme,
                                                 now=datetime.now(UTC) + timedelta(minutes=3)))  # fmt: skip
    assert status == 202, text
    far = json.dumps(new_thread(pedro, forum)).encode()
    status, text = await post(ves, far, signed(ves, pedro, far, scheme=scheme,
                                               now=datetime.now(UTC) + timedelta(minutes=7)))  # fmt: skip
    assert status == 401, text
    await settle(ves)
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 1


async def test_a_duplicate_activity_id_is_stored_once_even_with_another_body(pair: Any) -> None:
    """De-duplication is by activity id: a second activity reusing the id (with a new object) is not processed."""
    ves, pedro, forum = pair
    first = new_thread(pedro, forum, title="Primero")
    second = new_thread(pedro, forum, title="Segundo")
    second["id"] = first["id"]
    for activity in (first, second):
        body = json.dumps(activity).encode()
        status, text = await post(ves, body, signed(ves, pedro, body, scheme="rfc9421"))
        assert status == 202, text
    await settle(ves)
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 1
    assert await value(ves, "SELECT string_agg(title, ',') FROM thread") == "Primero"


async def test_a_group_cannot_relay_a_post_its_author_never_wrote(node_factory: Any) -> None:
    """FEP-1b12 relays are believed only with a valid FEP-8b32 proof by the author, or as re-fetched from the
    author's origin: a forum Group (with its real key) announcing a Page attributed to one of its members, once with
    a proof made by another key and once with no proof and an id its origin does not serve, gets nothing shown."""
    ves, vmt, _, _, _ = await forum_followed_across(node_factory)
    await member(ves, "ana")
    group, ana = f"{ves.base_url}/f/obras-y-servicios", f"{ves.base_url}/u/ana"
    async with aiohttp.ClientSession() as session:
        for url in (group, ana):  # actor documents make the actors' keys
            async with session.get(url, headers={"Accept": "application/activity+json"}) as response:
                assert response.status == 200
    await settle(ves, vmt)
    pem = await value(ves, "SELECT rsa_private_pem FROM actor_key WHERE actor_kind = 'group'")
    group_key = load_private_key_pem(pem)
    assert isinstance(group_key, rsa.RSAPrivateKey)

    async def announce(page: dict[str, Any]) -> None:
        body = json.dumps(activities.announce(f"{ves.base_url}/activities/{uuid.uuid4()}", group, page)).encode()
        headers = sign_post_headers(vmt.base_url + "/inbox", body, key_id=f"{group}#main-key", rsa_key=group_key,
                                    ed25519_key=None, ed25519_key_id=None, scheme="cavage",
                                    now=datetime.now(UTC))  # fmt: skip
        async with aiohttp.ClientSession() as session, session.post(vmt.base_url + "/inbox", data=body,
                                                                       headers=headers) as response:  # fmt: skip
            assert response.status == 202, await response.text()  # the Group's own signature is good

    def page(n: int) -> dict[str, Any]:
        return {"@context": activities.CONTEXT, "id": f"{ves.base_url}/t/{900_000 + n}", "type": "Page",
                "attributedTo": ana, "name": f"Falsificado {n}", "content": "<p>Nunca lo escribió.</p>",
                "published": datetime.now(UTC).isoformat(), "to": [group, PUBLIC], "audience": group}  # fmt: skip

    stranger = ed25519.Ed25519PrivateKey.generate()
    await announce(activities.signed(page(1), key=stranger, key_id=f"{ana}#ed25519-key", now=datetime.now(UTC)))
    await announce(page(2))
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM thread WHERE title LIKE 'Falsificado%'") == 0
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Announce'") == 2


async def test_bodies_that_break_the_json_parser_are_refused_as_malformed(pair: Any) -> None:
    """Nesting deeper than the parser's recursion limit, and an integer longer than Python converts (4,300 digits),
    are bodies that are not activities: 400, not an unhandled error."""
    ves, pedro, _ = pair
    for name, body in (("deeply nested", b"[" * 100_000), ("huge integer", b'{"n": ' + b"9" * 5000 + b"}")):
        status, text = await post(ves, body, signed(ves, pedro, body))
        assert status == 400, f"{name}: {status} {text}"
        assert json.loads(text)["type"].endswith("activity_rejected"), name
    assert await value(ves, "SELECT count(*) FROM inbox_activity") == 0

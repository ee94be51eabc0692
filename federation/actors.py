"""ActivityPub actor documents for the node's actors: members (Person), organizations (Organization), forums
(Group, as Lemmy's communities are) and the node itself (Application).

Pure builders: they take domain models, the actor's public keys and the node's base URL, and return AS2 JSON-LD as a
plain dict (no expansion, compact form as every Fediverse server sends). Each actor carries an RSA `publicKey` for
draft-cavage signatures (what Mastodon verifies) and an Ed25519 Multikey in `assertionMethod` for RFC 9421 and
FEP-8b32 object proofs. The actor's id is its canonical page URL: the same URL serves HTML to browsers and this
document to `Accept: application/activity+json`. A deleted member's URL serves a `Tombstone` instead
(`person_tombstone`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from deliberate.accounts.model import Account
from deliberate.forums.model import Forum
from deliberate.organizations.model import Organization
from federation.crypto.multikey import multikey_document, own_private_key, public_key_to_pem
from federation.objects import tombstone

AS_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "https://w3id.org/security/data-integrity/v1",
    {"toot": "http://joinmastodon.org/ns#", "discoverable": "toot:discoverable"},
]
ACTIVITY_JSON = "application/activity+json"


def actor_urls(base_url: str) -> dict[str, str]:
    return {"shared_inbox": f"{base_url}/inbox"}


def _keys(actor_id: str, rsa_private_pem: str, ed25519_private_pem: str) -> dict[str, Any]:
    rsa_key = own_private_key(rsa_private_pem)
    ed_key = own_private_key(ed25519_private_pem)
    assert isinstance(rsa_key, rsa.RSAPrivateKey) and isinstance(ed_key, ed25519.Ed25519PrivateKey)
    return {
        "publicKey": {
            "id": f"{actor_id}#main-key",
            "owner": actor_id,
            "publicKeyPem": public_key_to_pem(rsa_key.public_key()),
        },
        "assertionMethod": [
            multikey_document(key_id=f"{actor_id}#ed25519-key", controller=actor_id, key=ed_key.public_key())
        ],
    }


def _actor(
    kind: str, actor_id: str, base_url: str, *, preferred_username: str, name: str, summary: str, keys: dict[str, Any]
) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": actor_id,
        "type": kind,
        "preferredUsername": preferred_username,
        "name": name,
        "summary": summary,
        "url": actor_id,
        "inbox": f"{actor_id}/inbox",
        "outbox": f"{actor_id}/outbox",
        "followers": f"{actor_id}/followers",
        "endpoints": {"sharedInbox": f"{base_url}/inbox"},
        "discoverable": True,
        # FEP-844e: peers that see this sign their deliveries to us with RFC 9421 (we accept draft-cavage too).
        "implements": [
            {"href": "https://datatracker.ietf.org/doc/html/rfc9421", "name": "RFC-9421: HTTP Message Signatures"}
        ],
        **keys,
    }


def person(base_url: str, account: Account, *, rsa_private_pem: str, ed25519_private_pem: str) -> dict[str, Any]:
    actor_id = f"{base_url}/u/{account.username}"
    document = _actor(
        "Person", actor_id, base_url, preferred_username=account.username, name=account.name, summary="",
        keys=_keys(actor_id, rsa_private_pem, ed25519_private_pem),
    )  # fmt: skip
    document["published"] = account.created_at.isoformat()
    return document


def person_tombstone(base_url: str, username: str, *, deleted_at: datetime) -> dict[str, Any]:
    """A deleted member's actor URL: a Tombstone that was a Person (served with 410 Gone, as Mastodon does), so a
    peer that fetches it drops the actor. No keys: the Delete peers verify was signed while the actor stood, and
    nothing is signed in its name afterwards."""
    return tombstone(f"{base_url}/u/{username}", "Person", deleted_at)


def organization(base_url: str, org: Organization, *, rsa_private_pem: str, ed25519_private_pem: str) -> dict[str, Any]:
    actor_id = f"{base_url}/o/{org.slug}"
    document = _actor(
        "Organization", actor_id, base_url, preferred_username=org.slug, name=org.name, summary=org.description,
        keys=_keys(actor_id, rsa_private_pem, ed25519_private_pem),
    )  # fmt: skip
    # Its own inbox is the node's shared one: POST /o/SLUG/ACTION is the organization page's actions (join,
    # leave…), which the router matches before /o/SLUG/inbox. Followers (Mastodon sends a Follow to `inbox`) and
    # peers reach the same pipeline either way.
    document["inbox"] = f"{base_url}/inbox"
    document["published"] = org.created_at.isoformat()
    return document


def group(base_url: str, forum: Forum, *, rsa_private_pem: str, ed25519_private_pem: str) -> dict[str, Any]:
    """A forum as a Group that announces its members' posts (FEP-1b12), like a Lemmy community."""
    actor_id = f"{base_url}/f/{forum.slug}"
    document = _actor(
        "Group", actor_id, base_url, preferred_username=forum.slug, name=forum.name, summary=forum.description,
        keys=_keys(actor_id, rsa_private_pem, ed25519_private_pem),
    )  # fmt: skip
    if forum.organization_slug:
        document["attributedTo"] = f"{base_url}/o/{forum.organization_slug}"
    document["published"] = forum.created_at.isoformat()
    return document


def application(base_url: str, node_name: str, *, rsa_private_pem: str, ed25519_private_pem: str) -> dict[str, Any]:
    """The node itself: signs fetches and defederation notices on the node's behalf."""
    actor_id = f"{base_url}/actor"
    host = base_url.split("://", 1)[1]
    return _actor(
        "Application", actor_id, base_url, preferred_username=host, name=node_name, summary="",
        keys=_keys(actor_id, rsa_private_pem, ed25519_private_pem),
    )  # fmt: skip

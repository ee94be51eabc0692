"""ActivityPub activities this node sends: pure builders over plain dicts.

Objects (threads as Page, replies as Note, see `federation/objects.py`) carry an FEP-8b32 `eddsa-jcs-2022` proof by
their author, so a forum Group can relay them (FEP-1b12 Announce) and every follower can check who wrote them
without trusting the relay. Activities themselves are authenticated by the HTTP signature of whoever sends them.
Activity ids are fresh URLs under `/activities/`; receivers de-duplicate on them. An embedded object keeps its own
`@context`: its proof signs it (FEP-8b32 requires the proof's context to equal the document's).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.crypto.proofs import add_proof
from schemas.activitypub import PUBLIC

CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"]


def new_id(base_url: str) -> str:
    return f"{base_url}/activities/{uuid.uuid4()}"


def signed(document: dict[str, Any], *, key: ed25519.Ed25519PrivateKey, key_id: str, now: datetime) -> dict[str, Any]:
    """The object with its author's proof (FEP-8b32); an earlier proof is replaced, not chained."""
    unsigned = {name: value for name, value in document.items() if name != "proof"}
    return add_proof(unsigned, private_key=key, verification_method=key_id, created=now)


def _activity(kind: str, activity_id: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {"@context": CONTEXT, "id": activity_id, "type": kind, "actor": actor, "object": obj, **extra}


def _addressing(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"to": obj.get("to", [PUBLIC]), "cc": obj.get("cc", [])}
    if "audience" in obj:
        out["audience"] = obj["audience"]
    return out


def create(activity_id: str, actor: str, obj: dict[str, Any]) -> dict[str, Any]:
    return _activity("Create", activity_id, actor, obj, **_addressing(obj))


def update(activity_id: str, actor: str, obj: dict[str, Any]) -> dict[str, Any]:
    return _activity("Update", activity_id, actor, obj, **_addressing(obj))


def delete(activity_id: str, actor: str, object_id: str, *, audience: str) -> dict[str, Any]:
    tombstone = {"id": object_id, "type": "Tombstone"}
    return _activity("Delete", activity_id, actor, tombstone, to=[PUBLIC], cc=[audience], audience=audience)


def delete_actor(activity_id: str, actor: str) -> dict[str, Any]:
    """An actor deletes itself (its account is gone); the object is the actor's id, as Mastodon sends it."""
    return _activity("Delete", activity_id, actor, actor, to=[PUBLIC])


def like(activity_id: str, actor: str, object_id: str, *, audience: str) -> dict[str, Any]:
    return _activity("Like", activity_id, actor, object_id, to=[audience], cc=[PUBLIC], audience=audience)


def undo(activity_id: str, actor: str, inner: dict[str, Any]) -> dict[str, Any]:
    body = {name: value for name, value in inner.items() if name != "@context"}
    return _activity("Undo", activity_id, actor, body, to=inner.get("to", []), cc=inner.get("cc", []))


def lock(activity_id: str, actor: str, object_id: str, *, audience: str) -> dict[str, Any]:
    """A thread closed to new replies (Lemmy's Lock; Undo{Lock} reopens it), relayed by the forum's Group."""
    return _activity("Lock", activity_id, actor, object_id, to=[PUBLIC], cc=[audience], audience=audience)


def follow(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    return _activity("Follow", activity_id, actor, target, to=[target])


def answer(kind: str, activity_id: str, actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    """Accept or Reject of a Follow, embedding it (Mastodon matches the answer on the embedded Follow's id)."""
    body = {name: value for name, value in follow_activity.items() if name not in ("@context", "proof", "signature")}
    return _activity(kind, activity_id, actor, body, to=[follow_activity.get("actor")])


def announce(activity_id: str, group: str, inner: dict[str, Any]) -> dict[str, Any]:
    """The forum Group relays a post or an activity to its followers (FEP-1b12), embedding it whole. A post keeps
    its own @context, which its proof signs."""
    return _activity("Announce", activity_id, group, inner, to=[PUBLIC], cc=[f"{group}/followers"], audience=group)


def flag(activity_id: str, actor: str, objects: list[str], *, content: str) -> dict[str, Any]:
    """A report to the server a post comes from: objects are the post (and its author), as Mastodon sends them."""
    return _activity("Flag", activity_id, actor, objects, content=content, to=[])


def block(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    """The node stops federating with a server and tells it so."""
    return _activity("Block", activity_id, actor, target, to=[])

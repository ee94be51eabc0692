"""Incoming ActivityPub documents (AS2 in compact JSON-LD), as other Fediverse programs really send them.

Tolerant on purpose (Postel): unknown fields are ignored, a field that may be a string, a list or an embedded object
(`actor`, `attributedTo`, `to`, `object`, `inReplyTo`) is normalised, and `type` may be a list. Strict where it
matters: every document needs an absolute https/http `id` (except transient activities, which some programs send
without one), and a type we do not handle is refused with `UnsupportedDocument` naming it, never a crash. No JSON-LD
expansion and no network access: the parse works on the document alone. Signatures are checked elsewhere
(`federation/crypto`); this module only says what a document claims.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Application", "Service"})
POST_TYPES = frozenset({"Note", "Page", "Article", "Question"})
ACTIVITY_TYPES = frozenset(
    {
        "Create",
        "Update",
        "Delete",
        "Like",
        "Undo",
        "Follow",
        "Accept",
        "Reject",
        "Announce",
        "Flag",
        "Block",
        "Invite",
        "Leave",
        "Add",
    }
)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})


class UnsupportedDocument(ValueError):
    """A document we cannot (or choose not to) handle; `reason` says which and why, for the inbox's log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def reference(value: Any) -> str | None:
    """The id of a reference that may be a string, an embedded object or a list of either (first one)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id") or value.get("href")
        return ident if isinstance(ident, str) else None
    if isinstance(value, list):
        for item in value:
            found = reference(item)
            if found:
                return found
    return None


def references(value: Any) -> list[str]:
    """All ids of an addressing field (`to`, `cc`, `audience`), whatever its shape; the public collection's aliases
    are written out in full."""
    items = value if isinstance(value, list) else [value] if value is not None else []
    out: list[str] = []
    for item in items:
        ident = reference(item)
        if ident:
            out.append(PUBLIC if ident in PUBLIC_ALIASES else ident)
    return out


def _type(value: Any) -> str:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if not isinstance(value, str) or not value:
        raise UnsupportedDocument("the document has no type")
    return value


def _absolute(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise UnsupportedDocument(f"not an absolute http(s) id: {url[:100]!r}")
    return url


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class PublicKey(Wire):
    id: str
    owner: str | None = None
    public_key_pem: str = Field(alias="publicKeyPem")


class Multikey(Wire):
    id: str
    type: str
    controller: str | None = None
    public_key_multibase: str | None = Field(None, alias="publicKeyMultibase")


class Actor(Wire):
    kind: Literal["actor"] = "actor"
    id: str
    type: str
    preferred_username: str | None = Field(None, alias="preferredUsername")
    name: str | None = None
    summary: str | None = None
    inbox: str
    outbox: str | None = None
    followers: str | None = None
    shared_inbox: str | None = None
    public_key: PublicKey | None = Field(None, alias="publicKey")
    assertion_method: list[Multikey] = Field(default_factory=list, alias="assertionMethod")
    # FEP-844e: specifications the actor's server implements, by href (e.g. RFC 9421 signatures).
    implements: list[str] = Field(default_factory=list)

    @field_validator("implements", mode="before")
    @classmethod
    def _hrefs(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value] if value else []
        return [i["href"] for i in items if isinstance(i, dict) and isinstance(i.get("href"), str)]

    @field_validator("public_key", mode="before")
    @classmethod
    def _first_key(cls, value: Any) -> Any:
        return value[0] if isinstance(value, list) and value else value

    @field_validator("assertion_method", mode="before")
    @classmethod
    def _keys_only(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value] if value else []
        return [item for item in items if isinstance(item, dict)]


class Post(Wire):
    """A Note (a reply or a toot), a Page (a thread, as Lemmy's posts), an Article or a Question."""

    kind: Literal["post"] = "post"
    id: str
    type: str
    attributed_to: str
    name: str | None = None
    content: str | None = None
    media_type: str | None = Field(None, alias="mediaType")
    source: str | None = None
    in_reply_to: str | None = None
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    audience: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    sensitive: bool = False
    # The thread a reply belongs to (FEP-7888 `context`), and whether the thread takes replies (a locked thread).
    context: str | None = None
    comments_enabled: bool | None = None

    @property
    def is_public(self) -> bool:
        return PUBLIC in self.to or PUBLIC in self.cc


class Tombstone(Wire):
    kind: Literal["tombstone"] = "tombstone"
    id: str
    type: str = "Tombstone"


class Activity(Wire):
    kind: Literal["activity"] = "activity"
    id: str | None
    type: str
    actor: str
    object_id: str | None
    object: Actor | Post | Tombstone | Activity | None = None
    target: str | None = None
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    audience: str | None = None
    content: str | None = None
    published: datetime | None = None


Document = Actor | Post | Tombstone | Activity


def _source(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return str(value["content"])
    return value if isinstance(value, str) else None


def _content(data: dict[str, Any]) -> str | None:
    content = data.get("content")
    if isinstance(content, str):
        return content
    content_map = data.get("contentMap")
    if isinstance(content_map, dict):
        return next((v for v in content_map.values() if isinstance(v, str)), None)
    return None


def parse_document(data: Any, *, depth: int = 0) -> Document:
    """Parse one AS2 document into our wire models, or raise UnsupportedDocument with the reason."""
    if not isinstance(data, dict):
        raise UnsupportedDocument("the document is not a JSON object")
    if depth > 3:
        raise UnsupportedDocument("activities nested more than three deep")
    kind = _type(data.get("type"))
    try:
        if kind in ACTOR_TYPES:
            raw_endpoints = data.get("endpoints")
            endpoints: dict[str, Any] = raw_endpoints if isinstance(raw_endpoints, dict) else {}
            inbox = data.get("inbox")
            if not isinstance(inbox, str):
                raise UnsupportedDocument(f"{kind} without an inbox")
            return Actor.model_validate(
                {**data, "id": _absolute(str(reference(data) or "")), "type": kind,
                 "shared_inbox": endpoints.get("sharedInbox"), "inbox": inbox}
            )  # fmt: skip
        if kind in POST_TYPES:
            author = reference(data.get("attributedTo")) or reference(data.get("actor"))
            if not author:
                raise UnsupportedDocument(f"{kind} without an author (attributedTo)")
            return Post.model_validate({
                "id": _absolute(str(reference(data) or "")), "type": kind, "attributed_to": author,
                "name": data.get("name") if isinstance(data.get("name"), str) else None,
                "content": _content(data), "mediaType": data.get("mediaType"), "source": _source(data.get("source")),
                "in_reply_to": reference(data.get("inReplyTo")), "to": references(data.get("to")),
                "cc": references(data.get("cc")), "audience": reference(data.get("audience")),
                "published": data.get("published"), "updated": data.get("updated"),
                "sensitive": bool(data.get("sensitive") or False), "context": reference(data.get("context")),
                "comments_enabled": data.get("commentsEnabled") if isinstance(data.get("commentsEnabled"), bool)
                else None,
            })  # fmt: skip
        if kind == "Tombstone":
            return Tombstone(id=_absolute(str(reference(data) or "")))
        if kind in ACTIVITY_TYPES:
            actor = reference(data.get("actor"))
            if not actor:
                raise UnsupportedDocument(f"{kind} without an actor")
            raw_object = data.get("object")
            embedded = None
            if isinstance(raw_object, dict):
                try:
                    embedded = parse_document(raw_object, depth=depth + 1)
                except UnsupportedDocument:
                    embedded = None  # the activity stands; its object is only referenced (e.g. a Video, an Event)
            ident = data.get("id")
            return Activity.model_validate({
                "id": _absolute(ident) if isinstance(ident, str) else None, "type": kind, "actor": actor,
                "object_id": reference(raw_object), "object": embedded, "target": reference(data.get("target")),
                "to": references(data.get("to")), "cc": references(data.get("cc")),
                "audience": reference(data.get("audience")), "content": _content(data),
                "published": data.get("published"),
            })  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UnsupportedDocument(f"{kind}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    raise UnsupportedDocument(f"documents of type {kind} are not handled")

"""ActivityPub objects for forum content: a thread is a `Page` (its title and opening post, as Lemmy's posts), a
reply is a `Note` with `inReplyTo`. Pure builders from domain models.

Markdown travels in `source` (mediaType text/markdown) and the sanitised HTML in `content`, so a Lemmy or
deliberate peer can keep the author's text while Mastodon shows the HTML. `attributedTo` is the organization when a
member spoke in its name (the member stays private, as on the pages). Addressing follows FEP-1b12: the forum Group is
the `audience` and is addressed, with the public collection, so the Group can announce it to its followers.
Deleted and hidden posts are `Tombstone`s: what was removed is not served to other servers either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deliberate.forums.model import Forum, Post, Thread
from schemas.activitypub import PUBLIC

CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"]


def post_url(base_url: str, post_id: int) -> str:
    return f"{base_url}/p/{post_id}"


def thread_url(base_url: str, thread_id: int) -> str:
    return f"{base_url}/t/{thread_id}"


def _author(base_url: str, post: Post) -> str:
    if post.as_organization_slug:
        return f"{base_url}/o/{post.as_organization_slug}"
    return f"{base_url}/u/{post.author_username}"


def tombstone(object_id: str, former_type: str, deleted: datetime | None) -> dict[str, Any]:
    """What stands where an object (or an actor) was: AS2 Vocabulary's `Tombstone`, with `formerType` and
    `deleted`, as Mastodon serves for a deleted status or account."""
    return {
        "@context": CONTEXT,
        "id": object_id,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": deleted.isoformat() if deleted else None,
    }


def _tombstone(object_id: str, former_type: str, post: Post) -> dict[str, Any]:
    return tombstone(object_id, former_type, post.deleted_at or post.hidden_at)


def _body(base_url: str, forum: Forum, object_id: str, post: Post) -> dict[str, Any]:
    group = f"{base_url}/f/{forum.slug}"
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": object_id,
        "attributedTo": _author(base_url, post),
        "content": post.html,
        "mediaType": "text/html",
        "source": {"content": post.source, "mediaType": "text/markdown"},
        "published": post.created_at.isoformat(),
        "to": [group, PUBLIC],
        "cc": [],
        "audience": group,
        "url": object_id,
    }
    if post.edited_at is not None:
        document["updated"] = post.edited_at.isoformat()
    return document


def page(base_url: str, forum: Forum, thread: Thread, opening: Post) -> dict[str, Any]:
    """A thread: its title and opening post as one Page, addressed to its forum."""
    object_id = thread_url(base_url, thread.id)
    if opening.deleted or opening.hidden_at is not None:
        return _tombstone(object_id, "Page", opening)
    document = _body(base_url, forum, object_id, opening)
    document.update({"type": "Page", "name": thread.title, "commentsEnabled": not thread.locked})
    return document


def note(base_url: str, forum: Forum, thread: Thread, post: Post, *, opening_post_id: int) -> dict[str, Any]:
    """A reply, in reply to the post it quotes or else to the thread's Page."""
    object_id = post_url(base_url, post.id)
    if post.deleted or post.hidden_at is not None:
        return _tombstone(object_id, "Note", post)
    document = _body(base_url, forum, object_id, post)
    replied = post.reply_to_id
    document.update({
        "type": "Note",
        "inReplyTo": post_url(base_url, replied) if replied and replied != opening_post_id
        else thread_url(base_url, thread.id),
        "context": thread_url(base_url, thread.id),
    })  # fmt: skip
    return document

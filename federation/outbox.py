"""The outbox: domain events become activities and one delivery row per destination inbox.

Runs in the worker, in one transaction per batch that holds the outbox cursor (so no two processes translate the
same event, and a crash re-translates the whole batch: delivery rows are unique per (activity, inbox) and activity
ids are derived from the event id, so nothing is queued twice).

Who sends what, following FEP-1b12 (as Lemmy does):
- In a forum of this node, the forum's Group announces every post, edit, deletion and support to its followers,
  whoever wrote it (a remote reply is relayed as received, its author's proof included); lock changes go out as an
  Update of the thread's Page by the Group, or, for a thread started on another server (whose Page only that server
  may update), as the Group's Announce of a Lock or Undo{Lock} (as Lemmy sends them).
- In a forum of another node that we mirror, what our members do goes to that forum's Group inbox (it will
  announce it to everyone else); what its own members do is not sent anywhere.
- A post by a member of ours (or written for one of our organizations) also goes, as its author's Create, Update or
  Delete, to the author's own followers (Mastodon users who follow a member or an organization), except to inboxes
  the Group's delivery already reaches: one delivery per inbox.
- Members-only forums never federate.
- When the last member here stops following a mirrored forum (`following_ended`), the node sends the Group an
  Undo of its Follow; when a member follows it again from its page (`following_wanted`), a new Follow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.clock import Clock
from deliberate.errors import NotFound
from deliberate.forums import service as forums
from deliberate.forums.service import PostInThread
from deliberate.moderation import service as moderation
from deliberate.peers import service as peers
from deliberate.peers.model import Recipient
from deliberate.peers.service import Signer
from federation import activities, identity, objects
from schemas.activitypub import PUBLIC

BATCH = 100
POST_EVENTS = {"thread_started", "post_created", "post_edited", "post_deleted"}
SUPPORT_EVENTS = {"reaction_added", "reaction_removed"}
LOCK_EVENTS = {"thread_locked", "thread_unlocked"}
REMOVAL_EVENTS = {"post_hidden", "post_unhidden"}


@dataclass(frozen=True)
class Outbox:
    base_url: str
    clock: Clock


async def run_once(pool: asyncpg.Pool, outbox: Outbox) -> int:
    """Translate one batch of events; the number of events read (0: nothing new, or another process is on it)."""
    async with pool.acquire() as conn, conn.transaction():
        events = await peers.outbox_batch(conn, limit=BATCH)
        if not events:
            return 0
        for event_id, kind, payload in events:
            await translate(conn, outbox, event_id, kind, payload)
        await peers.advance_outbox(conn, events[-1][0])
        return len(events)


async def translate(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, kind: str, payload: dict[str, Any]
) -> None:
    try:
        if kind in POST_EVENTS:
            await _post_event(conn, outbox, event_id, kind, payload)
        elif kind in SUPPORT_EVENTS and payload.get("kind") == "apoyo":
            await _support_event(conn, outbox, event_id, kind, payload)
        elif kind in LOCK_EVENTS:
            await _lock_event(conn, outbox, event_id, payload)
        elif kind in REMOVAL_EVENTS:
            await _removal_event(conn, outbox, event_id, kind, payload)
        elif kind == "post_reported":
            await _report_event(conn, outbox, event_id, payload)
        elif kind == "instance_blocked":
            await _block_event(conn, outbox, event_id, payload)
        elif kind == "account_deleted":
            await _account_deleted_event(conn, outbox, event_id, payload)
        elif kind == "following_ended":
            await _following_ended_event(conn, outbox, event_id, payload)
        elif kind == "following_wanted":
            await _following_wanted_event(conn, outbox, event_id, payload)
        elif kind.startswith("coalition_"):
            from federation import coalition_exchange  # it builds on this module

            await coalition_exchange.translate(conn, outbox, event_id, kind, payload)
        elif kind.startswith("consultation_"):
            from federation import consultation_exchange  # it builds on this module

            await consultation_exchange.translate(conn, outbox, event_id, kind, payload)
    except NotFound:
        return  # what the event was about is gone (e.g. a forum removed); nothing to say about it


def _activity_id(outbox: Outbox, event_id: int, suffix: str = "") -> str:
    # Derived from the event, so translating the same event twice yields the same id (deliveries stay unique).
    return f"{outbox.base_url}/activities/e{event_id}{suffix}"


async def _view(conn: asyncpg.Connection, post_id: int) -> PostInThread | None:
    view = await forums.federation_view(conn, post_id)
    if view is None or view.forum.visibility != "public":
        return None
    return view


async def object_uri(conn: asyncpg.Connection, base_url: str, view: PostInThread) -> str:
    if view.is_opening:
        return view.thread.ap_id or objects.thread_url(base_url, view.thread.id)
    return view.post.ap_id or objects.post_url(base_url, view.post.id)


async def group_uri(conn: asyncpg.Connection, base_url: str, view: PostInThread) -> str:
    return view.forum.ap_id or identity.actor_uri(base_url, "group", view.forum.slug)


async def author_uri(conn: asyncpg.Connection, base_url: str, view: PostInThread) -> str:
    if view.post.as_organization_slug:
        return identity.actor_uri(base_url, "organization", view.post.as_organization_slug)
    remote = await peers.actor_of_account(conn, view.post.author_id)
    if remote is not None:
        return remote.uri
    return identity.actor_uri(base_url, "person", view.post.author_username)


def _author_signer(view: PostInThread) -> Signer:
    if view.post.as_organization_id is not None:
        return Signer("organization", view.post.as_organization_id)
    return Signer("person", view.post.author_id)


async def local_object(conn: asyncpg.Connection, outbox: Outbox, view: PostInThread) -> dict[str, Any]:
    """The AS2 object of a post written here, placed in its forum (ours or a mirrored one) and signed by its author."""
    base = outbox.base_url
    if view.is_opening:
        document = objects.page(base, view.forum, view.thread, view.post)
    else:
        document = objects.note(base, view.forum, view.thread, view.post, opening_post_id=view.opening_post_id)
    if view.forum.remote and document["type"] != "Tombstone":
        group = await group_uri(conn, base, view)
        thread = view.thread.ap_id or objects.thread_url(base, view.thread.id)
        document.update({"to": [group, PUBLIC], "audience": group})
        if document["type"] == "Note":
            parent = thread
            if view.post.reply_to_id is not None and view.post.reply_to_id != view.opening_post_id:
                quoted = await forums.federation_view(conn, view.post.reply_to_id)
                parent = await object_uri(conn, base, quoted) if quoted else thread
            document.update({"inReplyTo": parent, "context": thread})
    if document["type"] == "Tombstone":
        return document
    who = await identity.load(conn, base, _author_signer(view), clock=outbox.clock)
    return activities.signed(document, key=who.ed25519_key, key_id=who.proof_key_id, now=outbox.clock.now())


async def _post_event(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, kind: str, payload: dict[str, Any]
) -> None:
    view = await _view(conn, int(payload["post_id"]))
    if view is None:
        return
    base = outbox.base_url
    local_author = view.post.author_origin is None
    if view.forum.remote and not local_author:
        return  # its own server already told everyone
    actor = await author_uri(conn, base, view)
    signer = _author_signer(view)
    if "author_id" in payload and view.post.as_organization_id is None:
        # Erased with its author's account: the post now shows the shared anonymous author, but the Delete must
        # come from who wrote it (peers accept a Delete only from the post's own author).
        actor = identity.actor_uri(base, "person", str(payload["author_username"]))
        signer = Signer("person", int(payload["author_id"]))
    uri = await object_uri(conn, base, view)
    group = await group_uri(conn, base, view)
    if kind == "post_deleted":
        inner = activities.delete(_activity_id(outbox, event_id), actor, uri, audience=group)
    else:
        received = None if local_author else await forums.remote_object(conn, view.post.id)
        document = received or await local_object(conn, outbox, view)
        build = activities.update if kind == "post_edited" else activities.create
        inner = build(_activity_id(outbox, event_id), actor, document)
    reached: set[str] = set()
    if view.forum.remote:
        reached = await _to_remote_group(conn, outbox, view, inner, signer)
    else:
        reached = await _announce(conn, outbox, event_id, view, inner)
        if kind in ("thread_started", "post_created"):
            # As Lemmy does: a new post is also announced as the post itself. Mastodon and Pleroma look an
            # Announce's object up as a status and cannot use an embedded Create; Lemmy (and we) skip the copy.
            await _announce(conn, outbox, event_id, view, inner["object"], suffix="p")
    if local_author:
        await _to_author_followers(conn, outbox, inner, signer, reached=reached)


async def _support_event(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, kind: str, payload: dict[str, Any]
) -> None:
    view = await _view(conn, int(payload["post_id"]))
    if view is None:
        return
    base = outbox.base_url
    liker = await accounts.access_account(conn, int(payload["by"]))
    remote_liker = await peers.actor_of_account(conn, liker.id)
    if view.forum.remote and remote_liker is not None:
        return
    liker_uri = remote_liker.uri if remote_liker else identity.actor_uri(base, "person", liker.username)
    uri = await object_uri(conn, base, view)
    group = await group_uri(conn, base, view)
    like = activities.like(f"{liker_uri}#likes/{event_id}" if remote_liker else _activity_id(outbox, event_id, "l"),
                           liker_uri, uri, audience=group)  # fmt: skip
    inner = like if kind == "reaction_added" else activities.undo(_activity_id(outbox, event_id), liker_uri, like)
    if view.forum.remote:
        await _to_remote_group(conn, outbox, view, inner, Signer("person", liker.id))
    else:
        await _announce(conn, outbox, event_id, view, inner)


async def _lock_event(conn: asyncpg.Connection, outbox: Outbox, event_id: int, payload: dict[str, Any]) -> None:
    thread_id = int(payload["thread_id"])
    forum, thread = await forums.access_thread(conn, thread_id, viewer=None)
    if forum.remote:
        return  # only a forum's own server closes its threads
    opening = await forums.federation_view(conn, (await forums.thread_page(conn, thread_id=thread_id, viewer=None,
                                                                            limit=1)).posts[0].id)  # fmt: skip
    if opening is None or opening.forum.visibility != "public":
        return
    group = await group_uri(conn, outbox.base_url, opening)
    signer = Signer("group", forum.id)
    recipients = await peers.followers_of(conn, signer)
    if not recipients:
        return
    if opening.post.author_origin is None:
        document = await local_object(conn, outbox, opening)
        change = activities.update(_activity_id(outbox, event_id), group, {**document,
                                   "commentsEnabled": not thread.locked})  # fmt: skip
    else:
        # The Page lives on its author's server: an Update of it by the Group is refused there (objects must come
        # from their own server), so the Group announces a Lock (or Undo{Lock}) of it, as Lemmy does. Lemmy takes a
        # Lock from a person of the community's server; the Group stands in when no member of ours did it.
        page = await object_uri(conn, outbox.base_url, opening)
        moderator = await _local_person(conn, outbox.base_url, payload.get("by")) or group
        lock = activities.lock(_activity_id(outbox, event_id, "k"), moderator, page, audience=group)
        inner = lock if thread.locked else activities.undo(_activity_id(outbox, event_id, "u"), moderator, lock)
        change = activities.announce(_activity_id(outbox, event_id, "a"), group, inner)
    await _enqueue(conn, outbox, change, signer, recipients)


async def _removal_event(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, kind: str, payload: dict[str, Any]
) -> None:
    """A moderator here hid a post in one of our forums (or showed it again): the Group announces a Delete of the
    post by the moderator, the reason as its summary (or the Undo of that Delete), as Lemmy federates a moderator's
    removal; followers hide their copy, and only the author's own Delete erases it. In a mirrored forum removals
    are its own server's to make (and a decision received from there, `by` None, is not sent back)."""
    view = await _view(conn, int(payload["post_id"]))
    if view is None or view.forum.remote:
        return
    signer = Signer("group", view.forum.id)
    recipients = await peers.followers_of(conn, signer)
    if not recipients:
        return
    group = await group_uri(conn, outbox.base_url, view)
    moderator = await _local_person(conn, outbox.base_url, payload.get("by")) or group
    uri = await object_uri(conn, outbox.base_url, view)
    delete = activities.delete(_activity_id(outbox, event_id, "r"), moderator, uri, audience=group)
    if kind == "post_hidden" and view.post.hidden_reason:
        delete["summary"] = view.post.hidden_reason  # Lemmy's field for a removal's reason
    inner = delete if kind == "post_hidden" else activities.undo(_activity_id(outbox, event_id, "u"), moderator, delete)
    removal = activities.announce(_activity_id(outbox, event_id, "a"), group, inner)
    await _enqueue(conn, outbox, removal, signer, recipients)


async def _local_person(conn: asyncpg.Connection, base_url: str, account_id: Any) -> str | None:
    if not isinstance(account_id, int) or await peers.actor_of_account(conn, account_id) is not None:
        return None
    return identity.actor_uri(base_url, "person", (await accounts.access_account(conn, account_id)).username)


async def _report_event(conn: asyncpg.Connection, outbox: Outbox, event_id: int, payload: dict[str, Any]) -> None:
    """A report on a post from another server goes to that server as a Flag from the node (as Mastodon sends it):
    its moderators learn of it; who reported it is never said."""
    view = await _view(conn, int(payload["post_id"]))
    if view is None:
        return
    origin = await peers.actor_of_forum(conn, view.forum.id) if view.forum.remote else None
    author = await peers.actor_of_account(conn, view.post.author_id)
    target = origin or author
    reason = await moderation.report_reason(conn, int(payload["report_id"]))
    if target is None or reason is None:
        return
    flagged = [await object_uri(conn, outbox.base_url, view)] + ([author.uri] if author else [])
    flag = activities.flag(_activity_id(outbox, event_id), f"{outbox.base_url}/actor", flagged,
                           content=f"{reason[0]}: {reason[1]}".strip(": "))  # fmt: skip
    await _enqueue(conn, outbox, flag, identity.NODE, [peers.recipient_of(target)])


async def _block_event(conn: asyncpg.Connection, outbox: Outbox, event_id: int, payload: dict[str, Any]) -> None:
    """Defederation is said, not only done: the blocked server gets a Block from the node, so its operators know."""
    recipient = await peers.inbox_of_host(conn, str(payload["host"]))
    if recipient is None:
        return
    inbox = urlsplit(recipient.inbox)
    block = activities.block(_activity_id(outbox, event_id), f"{outbox.base_url}/actor",
                             f"{inbox.scheme}://{inbox.netloc}")  # fmt: skip
    await peers.enqueue_to_blocked(conn, activity_id=block["id"], body=_body(block), signer=identity.NODE,
                                   recipient=recipient, clock=outbox.clock)  # fmt: skip


async def _account_deleted_event(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, payload: dict[str, Any]
) -> None:
    """A member deleted their account: every server we know is asked to forget the Person (as Mastodon does; who
    holds copies of their posts cannot be known exactly). Signed with the member's own key, which is kept for it."""
    person = identity.actor_uri(outbox.base_url, "person", str(payload["username"]))
    recipients = await peers.known_inboxes(conn)
    if not recipients:
        return
    delete = activities.delete_actor(_activity_id(outbox, event_id), person)
    await _enqueue(conn, outbox, delete, Signer("person", int(payload["account_id"])), recipients)


async def _following_ended_event(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, payload: dict[str, Any]
) -> None:
    """Nobody here follows a mirrored forum any more: the node undoes the Follow it sent the Group (that Follow, by
    its id, embedded), signed by the node's actor as the Follow was, so the Group's server stops delivering. Not
    sent when a member followed it again before this event was translated: that new Follow stands, and an Undo
    arriving after it would end it (Mastodon and we end a follow on an Undo whatever Follow id it names).

    A Follow still waiting in the queue (its peer was down) is dropped: it never reached the peer, and retried
    after the Undo (backoff keeps no order between them) it would leave the peer counting us as a follower while
    we follow nothing there. The Undo is sent all the same, since a Follow being sent right now cannot be recalled."""
    group = await peers.actor_by_id(conn, int(payload["remote_actor_id"]))
    if group is None or await peers.following_state(conn, group) is not None:
        return
    await peers.withdraw_unsent_follow(conn, group, follow_id=str(payload["follow_id"]))
    node = f"{outbox.base_url}/actor"
    follow = activities.follow(str(payload["follow_id"]), node, str(payload["uri"]))
    undo = activities.undo(_activity_id(outbox, event_id), node, follow)
    await _enqueue(conn, outbox, undo, identity.NODE, [peers.recipient_of(group)])


async def _following_wanted_event(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, payload: dict[str, Any]
) -> None:
    """A member followed, from its page, a mirrored forum the node had stopped following: the node follows its
    Group again. The Follow's id derives from the event, so a batch translated twice records and sends one Follow;
    nothing is sent when a Follow is already in force (a member followed it through `federation/follows.py`)."""
    group = await peers.actor_by_id(conn, int(payload["remote_actor_id"]))
    if group is None:
        return
    follow_id, must_send = await peers.follow_remote(
        conn, group, follow_id=_activity_id(outbox, event_id, "f"), requested_by=int(payload["by"]),
        clock=outbox.clock,
    )  # fmt: skip
    if must_send:
        follow = activities.follow(follow_id, f"{outbox.base_url}/actor", group.uri)
        await _enqueue(conn, outbox, follow, identity.NODE, [peers.recipient_of(group)])


async def _announce(
    conn: asyncpg.Connection,
    outbox: Outbox,
    event_id: int,
    view: PostInThread,
    inner: dict[str, Any],
    suffix: str = "a",
) -> set[str]:
    """The forum's Group relays `inner` to its followers; the inboxes it went to."""
    signer = Signer("group", view.forum.id)
    recipients = await peers.followers_of(conn, signer)
    if not recipients:
        return set()
    group = await group_uri(conn, outbox.base_url, view)
    announce = activities.announce(_activity_id(outbox, event_id, suffix), group, inner)
    await _enqueue(conn, outbox, announce, signer, recipients)
    return {r.inbox for r in recipients}


async def _to_remote_group(
    conn: asyncpg.Connection, outbox: Outbox, view: PostInThread, activity: dict[str, Any], signer: Signer
) -> set[str]:
    group = await peers.actor_of_forum(conn, view.forum.id)
    if group is None:
        return set()
    await _enqueue(conn, outbox, activity, signer, [Recipient(group.delivery_inbox, group.host)])
    return {group.delivery_inbox}


async def _to_author_followers(
    conn: asyncpg.Connection, outbox: Outbox, activity: dict[str, Any], signer: Signer, *, reached: set[str]
) -> None:
    """A post's Create, Update or Delete also goes to the followers of its author (the member, or the organization
    it was written for), as a Mastodon user who follows someone expects. An inbox the forum's Group (or the mirrored
    forum's own server) already serves gets nothing more: one delivery per inbox. Mastodon puts a status it first
    learns of from a Group's Announce in the home feeds of its author's followers there all the same
    (ActivityPub::Activity#distribute, for a new status)."""
    recipients = [r for r in await peers.followers_of(conn, signer) if r.inbox not in reached]
    if recipients:
        await _enqueue(conn, outbox, activity, signer, recipients)


async def _enqueue(
    conn: asyncpg.Connection, outbox: Outbox, activity: dict[str, Any], signer: Signer, recipients: list[Recipient]
) -> None:
    body = _body(activity)
    await peers.enqueue(
        conn, activity_id=activity["id"], body=body, signer=signer, recipients=recipients, clock=outbox.clock
    )


def _body(activity: dict[str, Any]) -> bytes:
    return json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode()


async def send_now(
    conn: asyncpg.Connection, outbox: Outbox, activity: dict[str, Any], signer: Signer, recipients: list[Recipient]
) -> None:
    """Queue an activity that does not come from a domain event (Follow, Accept, Reject)."""
    await _enqueue(conn, outbox, activity, signer, recipients)

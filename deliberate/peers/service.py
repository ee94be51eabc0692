"""Peer use cases: who may talk to us, the remote actors we know, follows, and queueing deliveries.

The rules that decide whether another server is heard live here once: a blocked host is refused everything (its
requests get 403 and nothing it sent is stored), and in allow-list mode only hosts an operator let in are heard.
The same rules decide what we send: nothing leaves for a blocked host nor, in allow-list mode, for a host that is
not allowed (`claim_deliveries`); such rows wait, and go out once the host is unblocked or allowed.
Remote authors become shadow accounts on first contact, so the forum services treat their posts with the same rules
as local ones. Remote forums are mirrored as forums whose slug is NAME@HOST.
The node follows a remote actor (a Group whose forum it mirrors, or a person or organization members here follow)
once, from its Application actor, however many members follow it: one `following` row per remote actor, kept while
any member here follows it, ended (`following_ended`, which the outbox turns into an Undo) when the last one stops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from deliberate.accounts.model import Account
from deliberate.clock import Clock
from deliberate.errors import Conflict, InstanceBlocked, InvalidInput, NotFound, NotOperator
from deliberate.events import record_event
from deliberate.forums import queries as forum_queries
from deliberate.peers import queries
from deliberate.peers.model import (
    ActorFields,
    Delivery,
    FederationMode,
    InboxBacklog,
    InboxItem,
    Instance,
    PeerStatus,
    Recipient,
    RemoteActor,
    SignerKind,
)

# The remote actors a member here may follow as such (a Group is followed as a forum, through its mirror).
PEOPLE_TYPES = ("Person", "Organization")


@dataclass(frozen=True)
class Signer:
    kind: SignerKind
    id: int  # 0 for the node's Application actor


async def admit_host(conn: asyncpg.Connection, host: str, *, clock: Clock, mode: FederationMode) -> Instance:
    """The instance if this node hears it; raises InstanceBlocked otherwise."""
    instance = await queries.ensure_instance(conn, host, now=clock.now())
    if instance.blocked or (mode == "allowlist" and instance.allowed_at is None):
        raise InstanceBlocked()
    return instance


async def admit_and_find(
    conn: asyncpg.Connection, host: str, uri: str, *, clock: Clock, mode: FederationMode
) -> RemoteActor | None:
    """`admit_host` and `actor_by_uri` together, in one round trip when the host is known."""
    instance, actor = await queries.host_and_actor(conn, host, uri)
    if instance is None:
        instance = await queries.ensure_instance(conn, host, now=clock.now())
    if instance.blocked or (mode == "allowlist" and instance.allowed_at is None):
        raise InstanceBlocked()
    return actor


async def receive_from(
    conn: asyncpg.Connection, host: str, *, activity_id: str, actor_uri: str, type_: str, body: dict[str, Any],
    clock: Clock,
) -> int | None:  # fmt: skip
    """Store an accepted activity once (None when it was already received); its host, which just proved it is
    alive, is healthy again (`heard_from`), in the same statement."""
    return await queries.receive_and_revive(
        conn, host=host, activity_id=activity_id, actor_uri=actor_uri, type_=type_, body=dict(body), now=clock.now()
    )


@dataclass(frozen=True)
class Incoming:
    """An activity that passed every check of the inbox, waiting to be stored; `body` is its JSON text."""

    host: str
    activity_id: str
    actor_uri: str
    type: str
    body: str


async def receive_many(
    conn: asyncpg.Connection, items: list[Incoming], *, clock: Clock, mode: FederationMode
) -> list[tuple[bool, int | None]]:
    """Store the accepted activities of concurrent requests in one statement, each once, and each only if its host
    is heard at this moment (not blocked; in allow-list mode, allowed), so a block takes effect at once whatever a
    process has cached. One (heard, new row id or None when it was already received) per item, in order."""
    return await queries.receive_many(
        conn, hosts=[i.host for i in items], activity_ids=[i.activity_id for i in items],
        actor_uris=[i.actor_uri for i in items], types=[i.type for i in items], bodies=[i.body for i in items],
        now=clock.now(), allowlist=mode == "allowlist",
    )  # fmt: skip


async def heard_from(conn: asyncpg.Connection, host: str, *, clock: Clock) -> None:
    """A host sent us something signed: if we had given up on it, it is back, and what waited for it is due now."""
    instance = await queries.get_instance(conn, host)
    if instance is not None and (instance.unavailable or instance.consecutive_failures):
        await queries.save_health(
            conn, host, consecutive_failures=0, failing_since=None, paused_until=None, unavailable=False,
            last_error=None,
        )  # fmt: skip
        await queries.wake_host(conn, host, now=clock.now())


async def remember_actor(conn: asyncpg.Connection, fields: ActorFields, *, clock: Clock) -> RemoteActor:
    await queries.ensure_instance(conn, fields.host, now=clock.now())
    if fields.implements_rfc9421:
        await queries.set_rfc9421(conn, fields.host, True)
    return await queries.upsert_remote_actor(conn, fields, now=clock.now())


async def actor_by_uri(conn: asyncpg.Connection, uri: str) -> RemoteActor | None:
    return await queries.get_remote_actor(conn, uri=uri)


async def actor_by_id(conn: asyncpg.Connection, remote_actor_id: int) -> RemoteActor | None:
    return await queries.get_remote_actor_by_id(conn, remote_actor_id)


async def actor_by_handle(conn: asyncpg.Connection, handle: str) -> RemoteActor | None:
    """The remote actor whose page here is `/u/NAME@HOST` (its shadow account's name); None when there is none."""
    if "@" not in handle:
        return None
    return await queries.get_remote_actor_by_handle(conn, handle.strip()[:400])


def is_followable(actor: RemoteActor) -> bool:
    """A person or an organization, which members here may follow as such; a forum's Group is followed through its
    mirror, so that its Follow is kept by the mirror's followers."""
    return actor.type in PEOPLE_TYPES and actor.forum_id is None


async def access_followable_actor(conn: asyncpg.Connection, remote_actor_id: int) -> RemoteActor:
    """A remote actor that a member here may follow (`is_followable`); NotFound for anything else."""
    actor = await queries.get_remote_actor_by_id(conn, remote_actor_id)
    if actor is None or not is_followable(actor):
        raise NotFound()
    return actor


async def actor_of_forum(conn: asyncpg.Connection, forum_id: int) -> RemoteActor | None:
    """The remote Group a mirrored forum stands for; None for a local forum."""
    return await queries.get_remote_actor_by_forum(conn, forum_id)


async def actor_of_account(conn: asyncpg.Connection, account_id: int) -> RemoteActor | None:
    return await queries.get_remote_actor_by_account(conn, account_id)


async def author_account(conn: asyncpg.Connection, actor: RemoteActor, *, clock: Clock) -> int:
    """The shadow account of a remote author, made on their first post or reaction here: one per actor (per URI),
    never shared. Its name is the actor's NAME@HOST; when another actor of that server already holds it (a person
    `/u/ana` and an organization `/o/ana`, a Mastodon account and a Lemmy community: their names live in separate
    namespaces there), it is NAME~ID@HOST, ID being the actor's number here. Mastodon keys remote accounts by their
    URI too, and when two accounts claim one handle, the one that cannot keep it gets a name made unique by its
    database id, in a form no real username takes: `~` is in no username of this node, Mastodon or Lemmy."""
    if actor.account_id is not None:
        return actor.account_id
    existing = await queries.lock_remote_actor_account(conn, actor.id)  # made meanwhile by another transaction
    if existing is not None:
        return existing
    name, host = actor.preferred_username or "actor", actor.host
    # The last only if that server named another actor NAME~ID itself: its URI's digest is this actor's alone.
    digest = hashlib.sha256(actor.uri.encode()).hexdigest()[:12]
    for username in (actor.handle, f"{name}~{actor.id}@{host}", f"{name}~{actor.id}~{digest}@{host}"):
        account_id = await queries.insert_shadow_account(
            conn, remote_actor_id=actor.id, username=username, display_name=actor.name, origin=host, now=clock.now()
        )
        if account_id is not None:
            return account_id
    raise Conflict()


async def actor_deleted(conn: asyncpg.Connection, actor: RemoteActor, *, clock: Clock) -> None:
    """A remote person's own Delete of their actor: forget their follows and the node's Follow of them (no Undo is
    sent: the actor is gone), and mark their shadow account deleted. Members' subscriptions to them are the
    notifications area's (`notifications.forget_deleted_actor`). A Group whose forum is mirrored here is kept as a
    Tombstone: its mirror stays readable but takes nothing new (`forums` refuses it, as Lemmy does in a deleted
    community)."""
    await queries.forget_deleted_actor(conn, actor.id, now=clock.now())
    if actor.forum_id is not None:
        await queries.keep_as_tombstone(conn, actor.id)
    await record_event(conn, "remote_actor_deleted", {"remote_actor_id": actor.id, "uri": actor.uri})


async def group_restored(conn: asyncpg.Connection, group: RemoteActor) -> bool:
    """The server of a Group mirrored here undid its deletion and serves it as a Group again (`group`, fetched anew
    and remembered: `federation/processing.py` checks both). What `actor_deleted` ended for the Group comes back:
    its shadow account (if it ever wrote here) is live again, and the node's Follow, when members here follow the
    mirror. Those are the members who followed it since it was deleted (which asked the deleted Group for nothing,
    `follow_mirror_again`): they chose to follow it, and only the deletion kept the node from following the Group
    for them. The subscriptions that the deletion ended stay ended (`notifications.forget_deleted_forum`): Lemmy
    only marks a deleted community deleted and keeps its follows, so its followers follow it again as soon as it is
    restored; here they ended, and nobody is subscribed to a forum again unasked. True when a Follow was asked for
    (`following_wanted`, which the outbox turns into a Follow, as when a member follows the mirror from its page)."""
    await queries.restore_shadow_account(conn, group.id, display_name=group.name)
    await record_event(conn, "remote_actor_restored", {"remote_actor_id": group.id, "uri": group.uri})
    if group.forum_id is None:
        return False
    follower = await queries.first_subscriber_of_forum(conn, group.forum_id)
    if follower is None:
        return False
    return await follow_mirror_again(conn, forum_id=group.forum_id, requested_by=follower)


async def mirror_forum(conn: asyncpg.Connection, actor: RemoteActor, *, clock: Clock, requested_by: Account) -> int:
    """The local forum that shows a remote Group's threads; made when someone here first follows it."""
    if actor.forum_id is not None:
        return actor.forum_id
    forum_id = await forum_queries.insert_forum(
        conn, slug=actor.handle.lower(), name=(actor.name or actor.handle)[:120].ljust(3, "."), description="",
        organization_id=None, visibility="public", created_by=requested_by.id, now=clock.now(), ap_id=actor.uri,
        origin=actor.host,
    )  # fmt: skip
    await queries.link_forum(conn, actor.id, forum_id)
    return forum_id


async def follow_remote(
    conn: asyncpg.Connection, actor: RemoteActor, *, follow_id: str, requested_by: int, clock: Clock
) -> tuple[str, bool]:
    """Record the node's Follow of a remote Group, person or organization; (follow id, True when a Follow must be
    sent). Decided by the upsert itself, not by a read before it, so a Follow that a concurrent
    `stop_following_if_unfollowed` ended is sent again."""
    in_force = await queries.upsert_following(
        conn, remote_actor_id=actor.id, follow_id=follow_id, requested_by=requested_by, now=clock.now()
    )
    if in_force == follow_id:
        # An Undo of the node's earlier Follow may still wait in the queue (the peer was down when the last member
        # here left). Sent after this Follow, it would end it: Mastodon, Lemmy and we end a follow on an Undo
        # whatever Follow id it names, and retries do not keep the two in order. The peer never heard that Undo,
        # so it still counts us as a follower; dropping it leaves the new Follow to confirm that.
        recipient = recipient_of(actor)
        await queries.drop_pending_undo_of_follow(
            conn, inbox=recipient.inbox, host=recipient.host, followed_uri=actor.uri
        )
    return in_force, in_force == follow_id


async def withdraw_unsent_follow(conn: asyncpg.Connection, actor: RemoteActor, *, follow_id: str) -> int:
    """The node's Follow `follow_id` of `actor` ended before it was delivered (the peer was down): drop it from the
    queue, so that it cannot reach the peer after the Undo that ends it. How many deliveries went (0 when it was
    delivered already, or is being sent right now: the Undo still ends it then)."""
    recipient = recipient_of(actor)
    return await queries.drop_pending_follow(conn, inbox=recipient.inbox, host=recipient.host, follow_id=follow_id)


async def follow_mirror_again(conn: asyncpg.Connection, *, forum_id: int, requested_by: int) -> bool:
    """A member follows a mirrored forum (from its page) that the node no longer follows, since its last follower
    here left: `following_wanted` asks the outbox to send the Group a new Follow. True when one was asked for. None
    is asked of a Group that its server deleted (`actor_deleted`)."""
    actor = await queries.get_remote_actor_by_forum(conn, forum_id)
    if actor is None or actor.type == "Tombstone" or await queries.following_state(conn, actor.id) is not None:
        return False
    await record_event(
        conn, "following_wanted", {"remote_actor_id": actor.id, "forum_id": forum_id, "by": requested_by}
    )
    return True


async def follow_actor_again(conn: asyncpg.Connection, *, remote_actor_id: int, requested_by: int) -> bool:
    """A member follows a remote person or organization (from its page here) that the node does not follow, since
    its last follower here left: `following_wanted` asks the outbox to send it a new Follow. True when one was
    asked for."""
    if await queries.following_state(conn, remote_actor_id) is not None:
        return False
    await record_event(
        conn, "following_wanted", {"remote_actor_id": remote_actor_id, "forum_id": None, "by": requested_by}
    )
    return True


async def stop_following_if_unfollowed(
    conn: asyncpg.Connection, *, forum_id: int, still_followed: Callable[[], Awaitable[bool]]
) -> bool:
    """Nobody here follows a mirrored forum any more: the node's Follow of its Group ends (`_stop_following`). The
    mirror and what it holds stay readable; a later follow sends a new Follow. False for a local forum."""
    actor = await queries.get_remote_actor_by_forum(conn, forum_id)
    if actor is None:
        return False
    return await _stop_following(conn, actor, still_followed)


async def stop_following_actor_if_unfollowed(
    conn: asyncpg.Connection, *, remote_actor_id: int, still_followed: Callable[[], Awaitable[bool]]
) -> bool:
    """The last member here who followed a remote person or organization stopped: the node's Follow of it ends
    (`_stop_following`). Never a Group's: the followers of its mirror keep that Follow."""
    actor = await queries.get_remote_actor_by_id(conn, remote_actor_id)
    if actor is None or not is_followable(actor):
        return False
    return await _stop_following(conn, actor, still_followed)


async def _stop_following(
    conn: asyncpg.Connection, actor: RemoteActor, still_followed: Callable[[], Awaitable[bool]]
) -> bool:
    """Nobody here follows `actor` any more (`still_followed`, asked once the node's Follow is locked, so of two
    members leaving at once the second sees the first gone): the node's Follow of it ends. The row is deleted and
    `following_ended` carries what the outbox needs to send an Undo of that Follow, and the mirrored forum it was
    for (None for a person or an organization). True when it ended."""
    following = await queries.lock_following(conn, actor.id)
    if following is None or await still_followed():
        return False
    remote_actor_id, uri, follow_id = following
    await queries.delete_following(conn, remote_actor_id)
    await record_event(
        conn, "following_ended", {"remote_actor_id": remote_actor_id, "uri": uri, "follow_id": follow_id,
                                  "forum_id": actor.forum_id},
    )  # fmt: skip
    return True


async def following_answered(
    conn: asyncpg.Connection, actor: RemoteActor, *, follow_id: str | None, accepted: bool, clock: Clock
) -> bool:
    """An Accept or Reject of our Follow by the Group it went to. A Reject by its server's Application actor that
    names our Follow by id counts as the Group's: that is how a deliberate node refuses a Follow it cannot
    attribute to any of its actors (`federation/processing.py`, `_reject_follow`)."""
    answered = await queries.answer_following(
        conn, remote_actor_id=actor.id, follow_id=follow_id, state="accepted" if accepted else "rejected",
        now=clock.now(),
    )  # fmt: skip
    if answered or accepted or follow_id is None or actor.type != "Application":
        return answered
    return await queries.reject_following_by_id(conn, host=actor.host, follow_id=follow_id, now=clock.now())


async def following_state(conn: asyncpg.Connection, actor: RemoteActor) -> str | None:
    return await queries.following_state(conn, actor.id)


async def add_follower(
    conn: asyncpg.Connection, signer: Signer, actor: RemoteActor, *, follow_id: str, clock: Clock
) -> None:
    await queries.add_follower(
        conn, actor_kind=signer.kind, actor_id=signer.id, remote_actor_id=actor.id, follow_id=follow_id,
        now=clock.now(),
    )  # fmt: skip


async def remove_follower(conn: asyncpg.Connection, signer: Signer, actor: RemoteActor) -> bool:
    return await queries.remove_follower(conn, actor_kind=signer.kind, actor_id=signer.id, remote_actor_id=actor.id)


async def followers_of(conn: asyncpg.Connection, signer: Signer) -> list[Recipient]:
    return await queries.follower_inboxes(conn, actor_kind=signer.kind, actor_id=signer.id)


async def count_followers(conn: asyncpg.Connection, signer: Signer) -> int:
    return await queries.count_followers(conn, actor_kind=signer.kind, actor_id=signer.id)


async def enqueue(
    conn: asyncpg.Connection, *, activity_id: str, body: bytes, signer: Signer, recipients: list[Recipient],
    clock: Clock,
) -> int:  # fmt: skip
    """One delivery row per destination inbox, in the caller's transaction."""
    unique = list({r.inbox: r for r in recipients}.values())
    if unique:
        await queries.insert_deliveries(
            conn, activity_id=activity_id, recipients=unique, body=body, signer_kind=signer.kind,
            signer_id=signer.id, now=clock.now(),
        )  # fmt: skip
    return len(unique)


async def receive(
    conn: asyncpg.Connection, *, activity_id: str, actor_uri: str, type_: str, body: dict[str, object], clock: Clock
) -> int | None:
    """Store an accepted activity once; None when it was already received."""
    return await queries.insert_inbox_activity(
        conn, activity_id=activity_id, actor_uri=actor_uri, type_=type_, body=dict(body), now=clock.now()
    )


def check_host(text: str) -> str:
    """A server as an operator names it, on the web form or at the command line: a host name (with a port, if
    any), trimmed and lower-cased as it is stored; InvalidInput for anything else (a URL, an address with spaces),
    which would otherwise be stored as a row of its own and block nothing."""
    host = text.strip().lower()
    if not host or len(host) > 260 or "/" in host or "@" in host or any(c.isspace() for c in host):
        raise InvalidInput(field="host")
    return host


async def block_instance(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, host: str, reason: str
) -> None:
    """An operator defederates a host: its requests are refused and nothing more is delivered to it.
    `actor` None is the server's administrator at the command line. `host` is checked by `check_host`."""
    if actor is not None and not actor.has_role("operator"):
        raise NotOperator()
    host = check_host(host)
    await queries.ensure_instance(conn, host, now=clock.now())
    await queries.set_blocked(conn, host, blocked_at=clock.now(), reason=reason.strip()[:500])
    by = actor.id if actor else None
    await record_event(conn, "instance_blocked", {"host": host, "by": by, "reason": reason.strip()[:500]})


async def unblock_instance(conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, host: str) -> None:
    if actor is not None and not actor.has_role("operator"):
        raise NotOperator()
    host = check_host(host)
    await queries.set_blocked(conn, host, blocked_at=None, reason="")
    await record_event(conn, "instance_unblocked", {"host": host, "by": actor.id if actor else None})


async def allow_instance(conn: asyncpg.Connection, *, clock: Clock, host: str, allowed: bool) -> None:
    host = check_host(host)
    await queries.ensure_instance(conn, host, now=clock.now())
    await queries.set_allowed(conn, host, allowed_at=clock.now() if allowed else None)


async def status(
    conn: asyncpg.Connection, *, actor: Account | None = None, as_admin: bool = False, clock: Clock | None = None
) -> list[PeerStatus]:
    """The delivery queue per peer; for operators (or the administrator at the command line, `as_admin`). A pause
    shows only while it lasts, judged by `clock` (without one, by the database's clock)."""
    if not as_admin and (actor is None or not actor.has_role("operator")):
        raise NotOperator()
    return await queries.peer_status(conn, now=clock.now() if clock else None)


async def is_blocked(conn: asyncpg.Connection, host: str) -> bool:
    instance = await queries.get_instance(conn, host)
    return instance is not None and instance.blocked


async def outbox_batch(conn: asyncpg.Connection, *, limit: int) -> list[tuple[int, str, dict[str, Any]]] | None:
    """The next domain events to translate, with the outbox cursor locked for this transaction; None when another
    process is translating right now."""
    last = await queries.lock_outbox_cursor(conn)
    if last is None:
        return None
    return await queries.events_after(conn, last, limit=limit)


async def advance_outbox(conn: asyncpg.Connection, last_event_id: int) -> None:
    await queries.set_outbox_cursor(conn, last_event_id)


def recipient_of(actor: RemoteActor) -> Recipient:
    return Recipient(actor.delivery_inbox, actor.host)


async def claim_inbox(conn: asyncpg.Connection, *, limit: int) -> list[InboxItem]:
    """Received activities that are due: new ones, and failed ones whose retry time has come."""
    return await queries.claim_inbox(conn, limit=limit)


async def finish_inbox(conn: asyncpg.Connection, item_id: int, *, clock: Clock, error: str | None) -> None:
    await queries.finish_inbox(conn, item_id, now=clock.now(), error=error)


async def retry_inbox(conn: asyncpg.Connection, item_id: int, *, error: str) -> None:
    """Processing failed for a reason that may pass: the row waits, unclaimed, until `schedule_inbox_retries`
    gives it its next attempt time."""
    await queries.retry_inbox(conn, item_id, error=error)


async def schedule_inbox_retries(
    conn: asyncpg.Connection, *, clock: Clock, next_attempt: Callable[[int, str | None, datetime], datetime | None],
    limit: int = 100,
) -> int:  # fmt: skip
    """Give failed inbox rows their next attempt time, `next_attempt(attempts, error, now)` (None: give up, the row
    is finished with its last error), then make the rows whose time has come due; how many became due."""
    now = clock.now()
    for item_id, attempts, error in await queries.claim_unscheduled_inbox(conn, limit=limit):
        at = next_attempt(attempts, error, now)
        if at is None:
            tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
            await queries.give_up_inbox(conn, item_id, now=now, error=f"gave up after {tries}: {error}")
        else:
            await queries.schedule_inbox_retry(conn, item_id, at=at)
    return await queries.release_due_inbox(conn, now=now)


async def inbox_waiting(
    conn: asyncpg.Connection, *, actor: Account | None = None, as_admin: bool = False
) -> InboxBacklog:
    """For operators: the received activities waiting to be retried."""
    if not as_admin and (actor is None or not actor.has_role("operator")):
        raise NotOperator()
    return await queries.inbox_waiting(conn)


async def claim_deliveries(
    conn: asyncpg.Connection, *, clock: Clock, lease: timedelta, limit: int, mode: FederationMode = "open"
) -> list[Delivery]:
    """Due deliveries, leased for `lease`. Nothing goes to a blocked host nor, in allow-list mode, to a host not
    allowed: their rows stay pending and unattempted, so a host unblocked or allowed again receives what waited."""
    return await queries.claim_deliveries(
        conn, now=clock.now(), lease=lease, limit=limit, allowlist=mode == "allowlist"
    )


async def delivered(conn: asyncpg.Connection, delivery: Delivery, *, clock: Clock) -> None:
    await queries.delivered(conn, delivery, now=clock.now())


async def reschedule(conn: asyncpg.Connection, delivery: Delivery, *, at: datetime, error: str) -> None:
    await queries.reschedule_delivery(conn, delivery.id, at=at, error=error)


async def give_up(conn: asyncpg.Connection, delivery: Delivery, *, error: str) -> None:
    await queries.fail_delivery(conn, delivery.id, error=error)


async def instance(conn: asyncpg.Connection, host: str) -> Instance | None:
    return await queries.get_instance(conn, host)


async def save_health(
    conn: asyncpg.Connection, host: str, *, consecutive_failures: int, failing_since: datetime | None,
    paused_until: datetime | None, unavailable: bool, last_error: str | None,
) -> None:  # fmt: skip
    await queries.save_health(
        conn, host, consecutive_failures=consecutive_failures, failing_since=failing_since,
        paused_until=paused_until, unavailable=unavailable, last_error=last_error,
    )  # fmt: skip


async def known_inboxes(conn: asyncpg.Connection) -> list[Recipient]:
    return await queries.known_inboxes(conn)


async def inbox_of_host(conn: asyncpg.Connection, host: str) -> Recipient | None:
    return await queries.inbox_of_host(conn, host)


async def blocked_by(conn: asyncpg.Connection, host: str) -> None:
    """A server told us it blocked us: stop queueing work for it until it sends us anything signed again."""
    await queries.mark_blocked_by(conn, host)


async def enqueue_to_blocked(
    conn: asyncpg.Connection, *, activity_id: str, body: bytes, signer: Signer, recipient: Recipient, clock: Clock
) -> None:
    """The notice of a block, which must reach the server the block stops everything else for."""
    await queries.insert_delivery(
        conn, activity_id=activity_id, recipient=recipient, body=body, signer_kind=signer.kind, signer_id=signer.id,
        now=clock.now(), despite_block=True,
    )  # fmt: skip

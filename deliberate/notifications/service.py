"""Following things and reading notifications; the fan-out that posting calls; the e-mail queue's rules.

`notify_post` is called by the forum service inside the transaction that creates the post. E-mail sending itself
(SMTP, network) happens outside any transaction in the web layer's sender; here are only the lease and the
outcome, with exponential backoff: 1, 2, 4 … minutes, giving up after 8 attempts.

Members following a forum mirrored from another server are what keeps the node's Follow of it: `unfollow` by the
last of them ends that Follow (`peers.stop_following_if_unfollowed`), in the same transaction, and `follow` by
the next one asks for a new Follow (`peers.follow_mirror_again`). The same holds for a person or organization of
another server that members here follow (`remote_actor`): the last to stop following it ends the node's Follow,
and the next to follow it from its page here asks for a new one.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import asyncpg

from deliberate.accounts.model import Account
from deliberate.clock import Clock
from deliberate.errors import N_, InvalidInput, Unauthenticated
from deliberate.notifications import queries
from deliberate.notifications.model import EmailJob, Notification, TargetKind
from deliberate.peers import service as peers

MAX_EMAIL_ATTEMPTS = 8


async def notify_post(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    kind: str,
    post_id: int,
    thread_id: int,
    forum_id: int,
    forum_organization_id: int | None,
    forum_members_only: bool,
    as_organization_id: int | None,
    author_id: int,
) -> int:
    """Notify followers of the thread, its forum, the forum's organization and the organization that spoke."""
    organization_ids = [i for i in (forum_organization_id, as_organization_id) if i is not None]
    count = await queries.fan_out(
        conn,
        kind=kind,
        post_id=post_id,
        thread_id=thread_id,
        forum_id=forum_id,
        organization_ids=organization_ids,
        members_only_organization=forum_organization_id if forum_members_only else None,
        actor_id=author_id,
        now=clock.now(),
    )
    # Whoever writes in a thread wants to hear the answers.
    await queries.subscribe(conn, author_id, kind="thread", target_id=thread_id, now=clock.now())
    return count


async def notify_remote_post(
    conn: asyncpg.Connection, *, clock: Clock, remote_actor_id: int, author_id: int, title: str, url: str
) -> int:
    """Tell the members who follow a remote person or organization about a post of theirs that has no copy here (a
    thread in a forum of another server that we do not mirror, a Mastodon status): its title, linked to its address
    on its server, and e-mailed so to those who asked for e-mail. Once per member and address; how many were told.
    A post that does land here is told by `notify_post`, like any other."""
    title = " ".join(title.split())[:200] or url
    return await queries.fan_out_remote(
        conn, remote_actor_id=remote_actor_id, actor_id=author_id, title=title, url=url, now=clock.now()
    )


async def forget_deleted_actor(conn: asyncpg.Connection, *, remote_actor_id: int) -> int:
    """A person or organization of another server deleted their account (`peers.actor_deleted`): the members here
    who followed them follow them no more. The node's Follow of them ended with the account, so no Undo is asked
    for (`unfollow` would ask for one). How many subscriptions ended; the notices they gave stay."""
    return await queries.delete_subscriptions_to(conn, "remote_actor", remote_actor_id)


async def forget_deleted_forum(conn: asyncpg.Connection, *, forum_id: int) -> int:
    """The server of a forum mirrored here deleted it (`peers.actor_deleted` of its Group): the members here who
    followed the mirror follow it no more, since nothing new can come from it or be written in it. The node's Follow
    ended with the Group, so no Undo is asked for. How many subscriptions ended; the notices they gave stay."""
    return await queries.delete_subscriptions_to(conn, "forum", forum_id)


def _signed_in(actor: Account | None) -> Account:
    if actor is None:
        raise Unauthenticated()
    return actor


async def follow(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, kind: TargetKind, target_id: int
) -> None:
    """Follow a target the caller has already checked `actor` may read (the web layer loads it through its service)."""
    if kind not in ("thread", "forum", "organization", "remote_actor"):
        raise InvalidInput(field="kind")
    member = _signed_in(actor)
    if kind == "remote_actor":
        await peers.access_followable_actor(conn, target_id)
    await queries.subscribe(conn, member.id, kind=kind, target_id=target_id, now=clock.now())
    if kind == "forum":  # a mirrored forum the node stopped following: it follows it again
        await peers.follow_mirror_again(conn, forum_id=target_id, requested_by=member.id)
    elif kind == "remote_actor":  # likewise for a person or organization of another server
        await peers.follow_actor_again(conn, remote_actor_id=target_id, requested_by=member.id)


async def unfollow(conn: asyncpg.Connection, *, actor: Account | None, kind: TargetKind, target_id: int) -> None:
    """Stop following; when the last member here leaves a forum mirrored from another server (or a person or an
    organization of another server), the node's Follow of it ends too (in this transaction), so that server stops
    delivering what nobody here reads."""
    await queries.unsubscribe(conn, _signed_in(actor).id, kind=kind, target_id=target_id)
    still_followed = partial(queries.has_subscribers, conn, kind, target_id)
    if kind == "forum":
        await peers.stop_following_if_unfollowed(conn, forum_id=target_id, still_followed=still_followed)
    elif kind == "remote_actor":
        await peers.stop_following_actor_if_unfollowed(conn, remote_actor_id=target_id, still_followed=still_followed)


async def is_following(conn: asyncpg.Connection, *, actor: Account | None, kind: TargetKind, target_id: int) -> bool:
    if actor is None:
        return False
    return await queries.is_subscribed(conn, actor.id, kind=kind, target_id=target_id)


async def notifications_of(
    conn: asyncpg.Connection, *, actor: Account | None, before_id: int | None = None, limit: int = 30
) -> list[Notification]:
    return await queries.list_notifications(
        conn, _signed_in(actor).id, before_id=before_id, limit=min(max(limit, 1), 100)
    )


async def unread_count(conn: asyncpg.Connection, *, actor: Account | None) -> int:
    return 0 if actor is None else await queries.count_unread(conn, actor.id)


async def mark_read(conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, up_to_id: int | None) -> None:
    await queries.mark_read(conn, _signed_in(actor).id, up_to_id=up_to_id, now=clock.now())


async def set_email_preference(conn: asyncpg.Connection, *, actor: Account | None, enabled: bool) -> None:
    account = _signed_in(actor)
    if enabled and not account.email:
        raise InvalidInput(field="email_notifications", message=_NO_EMAIL)
    await queries.set_email_notifications(conn, account.id, enabled=enabled)


async def email_preference(conn: asyncpg.Connection, *, actor: Account) -> bool:
    return await queries.get_email_notifications(conn, actor.id)


EMAIL_LEASE = timedelta(minutes=5)


async def claim_emails(conn: asyncpg.Connection, *, clock: Clock, limit: int = 20) -> list[EmailJob]:
    """Lease due e-mails; commit, send them outside any transaction, then record each outcome."""
    now = clock.now()
    return await queries.claim_email_jobs(conn, now=now, lease_until=now + EMAIL_LEASE, limit=limit)


async def record_email_sent(conn: asyncpg.Connection, *, notification_id: int) -> None:
    await queries.record_email_outcome(conn, notification_id, sent=True, retry_at=None)


async def record_email_failed(conn: asyncpg.Connection, *, clock: Clock, job: EmailJob) -> None:
    attempts = job.attempts + 1
    retry_at = None if attempts >= MAX_EMAIL_ATTEMPTS else clock.now() + timedelta(minutes=2 ** (attempts - 1))
    await queries.record_email_outcome(conn, job.notification_id, sent=False, retry_at=retry_at)


_NO_EMAIL = N_("Add an e-mail address to your account first.")

"""Following a forum of another node (or a Lemmy community, or any Group), or a person or an organization of another
server (a deliberate node, Mastodon), from here.

A member types `name@server` (or the forum's URL). The node looks the Group up (WebFinger, then the actor document
through the hardened client), makes the local forum that mirrors it, subscribes the member to it, and (once per
node, however many members follow) sends a Follow from the node's Application actor. The Group's Accept turns the
follow on; from then on its Announces fill the mirror, and our members' replies go to the Group. When the last
member here stops following the mirror, the node's Follow ends and the outbox sends its Undo
(`notifications.unfollow`); the mirror stays readable, and the next member to follow it sends a new Follow
(from here, or through the outbox when they follow it from the mirror's page, `notifications.follow`).

A person or an organization is followed the same way (`follow_actor`): one Follow from the node's actor, however
many members follow them, kept while any member here does. Their posts that land here (in a forum of ours or one we
mirror) notify those members like any post; the others (a thread in a forum we do not mirror, a Mastodon status)
notify them with a link to the post on its server (`federation/processing.py`). Nothing else of theirs is kept.
"""

from __future__ import annotations

import re

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.errors import NotARemoteActor, NotARemoteForum, RemoteAddressUnknown, RemoteUnreachable
from deliberate.forums import service as forums
from deliberate.forums.model import Forum
from deliberate.notifications import service as notifications
from deliberate.peers import service as peers
from federation import activities
from federation.fetch import FetchBudget, FetchError, FetchFailed
from federation.identity import NODE
from federation.outbox import Outbox, send_now
from federation.resolver import Resolver

HANDLE = re.compile(r"^!?@?(?P<name>[A-Za-z0-9._~-]{1,100})@(?P<host>[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?)$")
GROUP_TYPES = ("Group", "Organization")


async def lookup(resolver: Resolver, address: str) -> str:
    """The actor URI for `name@host`, `!name@host` (Lemmy's way of writing a community) or a URL."""
    address = address.strip()
    if address.startswith(("https://", "http://")):
        return address
    match = HANDLE.match(address)
    if match is None:
        raise NotARemoteForum(field="address")
    try:
        # A server may list several actors under one name (a person and a community): the Group is wanted here.
        return await resolver.fetcher.webfinger(f"{match['name']}@{match['host']}", prefer=("Group",))
    except FetchError:
        raise RemoteUnreachable(field="address") from None


async def follow_forum(resolver: Resolver, *, member: Account, address: str) -> Forum:
    uri = await lookup(resolver, address)
    if resolver.is_local(uri):
        raise NotARemoteForum(field="address")
    try:
        group = await resolver.actor(uri, budget=FetchBudget(3))
    except FetchError:
        raise RemoteUnreachable(field="address") from None
    if group.type not in GROUP_TYPES or group.type == "Organization":
        raise NotARemoteForum(field="address")
    clock = resolver.clock
    async with resolver.pool.acquire() as conn, conn.transaction():
        forum_id = await peers.mirror_forum(conn, group, clock=clock, requested_by=member)
        follow_id, must_send = await peers.follow_remote(
            conn, group, follow_id=activities.new_id(resolver.base_url), requested_by=member.id, clock=clock
        )
        if must_send:
            follow = activities.follow(follow_id, f"{resolver.base_url}/actor", group.uri)
            await send_now(conn, Outbox(resolver.base_url, clock), follow, NODE, [peers.recipient_of(group)])
        await notifications.follow(conn, clock=clock, actor=member, kind="forum", target_id=forum_id)
        return await forums.forum_by_id(conn, forum_id)


async def follow_actor(resolver: Resolver, *, member: Account, address: str) -> Account:
    """`member` follows a person or an organization of another server, written `name@host` (`@name@host`, as
    Mastodon shows it) or as the URL of its actor. The node sends one Follow (none when one is already in force);
    the actor gets a page here, `/u/` and the name of its shadow account (as when it first posts here: NAME@HOST, or
    NAME~ID@HOST when another actor of its server has that name), which is returned. Raises
    NotARemoteActor (a forum, someone of this node, anything else), RemoteAddressUnknown (the server knows no such
    name) or RemoteUnreachable; nothing changes then."""
    uri = await _actor_uri(resolver, address)
    if resolver.is_local(uri):
        raise NotARemoteActor(field="address")
    try:
        actor = await resolver.actor(uri, budget=FetchBudget(3))
    except FetchError as exc:
        raise _fetch_refusal(exc) from None
    if actor.type not in peers.PEOPLE_TYPES:
        raise NotARemoteActor(field="address")
    clock = resolver.clock
    async with resolver.pool.acquire() as conn, conn.transaction():
        page = await accounts.access_account(conn, await peers.author_account(conn, actor, clock=clock))
        follow_id, must_send = await peers.follow_remote(
            conn, actor, follow_id=activities.new_id(resolver.base_url), requested_by=member.id, clock=clock
        )
        if must_send:
            follow = activities.follow(follow_id, f"{resolver.base_url}/actor", actor.uri)
            await send_now(conn, Outbox(resolver.base_url, clock), follow, NODE, [peers.recipient_of(actor)])
        await notifications.follow(conn, clock=clock, actor=member, kind="remote_actor", target_id=actor.id)
    return page


async def unfollow_actor(resolver: Resolver, *, member: Account, remote_actor_id: int) -> None:
    """`member` stops following a person or an organization of another server; the last member here to stop ends
    the node's Follow (the outbox sends the Undo)."""
    async with resolver.pool.acquire() as conn, conn.transaction():
        await notifications.unfollow(conn, actor=member, kind="remote_actor", target_id=remote_actor_id)


async def _actor_uri(resolver: Resolver, address: str) -> str:
    address = address.strip()
    if address.startswith(("https://", "http://")):
        return address
    match = HANDLE.match(address)
    if match is None or address.startswith("!"):  # `!name@host` is how Lemmy writes a community
        raise NotARemoteActor(field="address")
    try:
        # The person or the organization, should the server list a Group of that name too (before them, or alone).
        return await resolver.fetcher.webfinger(f"{match['name']}@{match['host']}", prefer=peers.PEOPLE_TYPES)
    except FetchError as exc:
        raise _fetch_refusal(exc) from None


def _fetch_refusal(exc: FetchError) -> Exception:
    """A server that answered that it has no such actor (404, or 410 for a deleted one) is not unreachable."""
    if isinstance(exc, FetchFailed) and exc.status in (404, 410):
        return RemoteAddressUnknown(field="address")
    return RemoteUnreachable(field="address")

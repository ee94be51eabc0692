"""Following a forum of another node (or a Lemmy community, or any Group) from here.

A member types `name@server` (or the forum's URL). The node looks the Group up (WebFinger, then the actor document
through the hardened client), makes the local forum that mirrors it, subscribes the member to it, and (once per
node, however many members follow) sends a Follow from the node's Application actor. The Group's Accept turns the
follow on; from then on its Announces fill the mirror, and our members' replies go to the Group. When the last
member here stops following the mirror, the node's Follow ends and the outbox sends its Undo
(`notifications.unfollow`); the mirror stays readable, and the next member to follow it sends a new Follow
(from here, or through the outbox when they follow it from the mirror's page, `notifications.follow`).
"""

from __future__ import annotations

import re

from deliberate.accounts.model import Account
from deliberate.errors import NotARemoteForum, RemoteUnreachable
from deliberate.forums import service as forums
from deliberate.forums.model import Forum
from deliberate.notifications import service as notifications
from deliberate.peers import service as peers
from federation import activities
from federation.fetch import FetchBudget, FetchError
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
        return await resolver.fetcher.webfinger(f"{match['name']}@{match['host']}")
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

"""Key rotation of any actor (`deliberate federation rotate-key`), announced so peers re-fetch the new keys.

The new keys replace the old in one transaction, together with an Update of the actor document queued for every
follower of the actor and every server this node knows (a peer that only ever verified our fetches or deliveries
has cached the old key too). A peer that misses the Update still recovers: its next verification failure makes it
fetch the actor again. Deliveries are signed with the new keys at once (keys are read
from the database for every batch); processes that sign fetches with the node's key (every web and worker process)
pick up a rotated node key when restarted.
"""

from __future__ import annotations

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.clock import Clock
from deliberate.errors import NotFound
from deliberate.forums import service as forums
from deliberate.node import service as node
from deliberate.organizations import service as orgs
from deliberate.peers import service as peers
from deliberate.peers.service import Signer
from federation import activities, actors
from federation.outbox import Outbox, send_now

USAGE = "node, u/USERNAME, o/ORGANIZATION or f/FORUM"


async def signer_of(conn: asyncpg.Connection, target: str) -> Signer:
    kind, _, name = target.partition("/")
    if target == "node":
        return Signer("application", 0)
    if kind == "u":
        return Signer("person", (await accounts.access_account_by_username(conn, name)).id)
    if kind == "o":
        return Signer("organization", (await orgs.access_organization(conn, name)).id)
    if kind == "f":
        forum = await forums.access_forum(conn, name, viewer=None)
        if forum.remote:
            raise NotFound()
        return Signer("group", forum.id)
    raise ValueError(f"name the actor as {USAGE}")


async def rotate(conn: asyncpg.Connection, *, base_url: str, node_name: str, clock: Clock, target: str) -> int:
    """Rotate the keys of `target` and queue the Update; returns how many inboxes will be told."""
    signer = await signer_of(conn, target)
    kind = signer.kind
    await node.rotate_keys(conn, clock=clock, kind=kind, actor_id=signer.id)
    if kind == "application":
        keys = await node.ensure_node_keys(conn, clock=clock)
        pems = (keys.rsa_private_pem, keys.ed25519_private_pem)
        document = actors.application(base_url, node_name, rsa_private_pem=pems[0], ed25519_private_pem=pems[1])
    else:
        actor_keys = await node.ensure_actor_keys(conn, clock=clock, kind=kind, actor_id=signer.id)
        pems = (actor_keys.rsa_private_pem, actor_keys.ed25519_private_pem)
        if kind == "person":
            account = await accounts.access_account(conn, signer.id)
            document = actors.person(base_url, account, rsa_private_pem=pems[0], ed25519_private_pem=pems[1])
        elif kind == "organization":
            org = await orgs.access_organization_by_id(conn, signer.id)
            document = actors.organization(base_url, org, rsa_private_pem=pems[0], ed25519_private_pem=pems[1])
        else:
            forum = await forums.forum_by_id(conn, signer.id)
            document = actors.group(base_url, forum, rsa_private_pem=pems[0], ed25519_private_pem=pems[1])
    recipients = await peers.followers_of(conn, signer) + await peers.known_inboxes(conn)
    update = activities.update(activities.new_id(base_url), document["id"], document)
    await send_now(conn, Outbox(base_url, clock), update, signer, recipients)
    return len({r.inbox for r in recipients})

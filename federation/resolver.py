"""Remote actors and objects, fetched through the hardened client and cached in PostgreSQL.

An actor document is fetched once and reused for a day. When a signature fails to verify with the cached key, the
actor is fetched again (at most once a minute per actor), so a peer that rotated its key is heard again without
anyone's help. No database connection is held while a fetch is in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

import asyncpg

from deliberate.clock import Clock
from deliberate.errors import ActivityRejected
from deliberate.peers import service as peers
from deliberate.peers.model import ActorFields, FederationMode, RemoteActor
from federation.fetch import FetchBudget, Fetcher, GetSigner
from schemas.activitypub import Actor, UnsupportedDocument, parse_document

FRESH_FOR = timedelta(days=1)
REFETCH_AFTER = timedelta(minutes=1)


def host_of(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


RFC9421 = "https://datatracker.ietf.org/doc/html/rfc9421"


def actor_fields(actor: Actor) -> ActorFields:
    key = actor.public_key
    return ActorFields(
        uri=actor.id,
        host=host_of(actor.id),
        type=actor.type,
        preferred_username=actor.preferred_username,
        name=actor.name,
        inbox=actor.inbox,
        shared_inbox=actor.shared_inbox,
        outbox=actor.outbox,
        key_id=key.id if key else None,
        public_key_pem=key.public_key_pem if key else None,
        assertion_keys=[
            {"id": k.id, "publicKeyMultibase": k.public_key_multibase}
            for k in actor.assertion_method
            if k.type == "Multikey" and k.public_key_multibase and k.controller in (None, actor.id)
        ],
        implements_rfc9421=RFC9421 in actor.implements,
    )


@dataclass
class Resolver:
    pool: asyncpg.Pool
    fetcher: Fetcher
    clock: Clock
    base_url: str
    node_signer: GetSigner
    mode: FederationMode = "open"
    _forced: dict[str, datetime] = field(default_factory=dict)

    def is_local(self, uri: str) -> bool:
        return uri == self.base_url or uri.startswith(self.base_url + "/")

    async def actor(self, uri: str, *, refresh: bool = False, budget: FetchBudget | None = None) -> RemoteActor:
        uri = urldefrag(uri).url
        if self.is_local(uri):
            raise ActivityRejected(reason="an actor of this node cannot speak from elsewhere")
        async with self.pool.acquire() as conn:
            cached = await peers.admit_and_find(conn, host_of(uri), uri, clock=self.clock, mode=self.mode)
        now = self.clock.now()
        if cached is not None:
            if not refresh and now - cached.fetched_at < FRESH_FOR:
                return cached
            if refresh:
                # A signature failed with the cached key: fetch again (the key may have been rotated), but at most
                # once a minute per actor, so a stream of bad signatures cannot make us hammer its server.
                last = self._forced.get(uri)
                if last is not None and now - last < REFETCH_AFTER:
                    return cached
                if len(self._forced) > 10_000:  # only recent entries matter; forget the rest
                    self._forced = {k: v for k, v in self._forced.items() if now - v < REFETCH_AFTER}
                self._forced[uri] = now
        document = await self.fetcher.fetch_document(uri, signer=self.node_signer, budget=budget)
        await self._admit(str(document["id"]))  # a redirect may have ended on another host
        try:
            parsed = parse_document(document)
        except UnsupportedDocument as exc:
            raise ActivityRejected(reason=str(exc)) from None
        if not isinstance(parsed, Actor):
            raise ActivityRejected(reason=f"{uri} is not an actor")
        async with self.pool.acquire() as conn, conn.transaction():
            return await peers.remember_actor(conn, actor_fields(parsed), clock=self.clock)

    async def document(self, uri: str, *, budget: FetchBudget | None = None) -> dict[str, Any]:
        """Any object, straight from its origin (its id must be the URL it came from: the fetcher checks)."""
        await self._admit(uri)
        document = await self.fetcher.fetch_document(uri, signer=self.node_signer, budget=budget)
        await self._admit(str(document["id"]))
        return document

    async def _admit(self, uri: str) -> None:
        async with self.pool.acquire() as conn:
            await peers.admit_host(conn, host_of(uri), clock=self.clock, mode=self.mode)

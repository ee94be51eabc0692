"""Remote actors and objects, fetched through the hardened client and cached in PostgreSQL.

An actor document is fetched once and reused for a day. When a signature fails to verify with the cached key, the
actor is fetched again (at most once a minute per actor), so a peer that rotated its key is heard again without
anyone's help. No database connection is held while a fetch is in flight. An actor whose server answers 410 Gone
is kept as last fetched, for its Delete only (`actor_or_last_known`).

For the inbox, each process also keeps the actors it verified recently in memory, with their public keys already
loaded (`known`, for `KNOWN_FOR`), so a warm request reads nothing from PostgreSQL before it is stored. That cache
never decides whether a host is heard: the statement that stores an activity checks the host's block (and, in
allow-list mode, its admission) in the same instant (`InboxWriter`), so a block takes effect at once in every
process; and every refusal of a warm request is preceded by the same check in PostgreSQL (`admit`). Activities of
concurrent requests are stored together, one statement per batch, and each request is answered only after the
statement that stored its row has completed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

import asyncpg

from deliberate.clock import Clock
from deliberate.errors import ActivityRejected
from deliberate.peers import service as peers
from deliberate.peers.model import ActorFields, FederationMode, RemoteActor
from deliberate.peers.service import Incoming
from federation.crypto.errors import KeyFormatError
from federation.crypto.multikey import PublicKey, ed25519_public_key_from_multibase, load_public_key_pem
from federation.fetch import FetchBudget, Fetcher, FetchFailed, GetSigner
from schemas.activitypub import Actor, UnsupportedDocument, parse_document

FRESH_FOR = timedelta(days=1)
REFETCH_AFTER = timedelta(minutes=1)
KNOWN_FOR = timedelta(minutes=1)  # an actor verified by this process, kept in memory (see the module's docstring)
KNOWN_MAX = 10_000
BATCH_MAX = 500  # activities stored by one statement


# scheme "://" authority, the authority free of anything urlsplit would treat specially (brackets, whitespace and
# the control characters it strips): such URIs, which is every URI peers send, skip urlsplit (several per request).
_PLAIN_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#\[\]\s\x00-\x1f\x7f]*)(?:[/?#]|\Z)")


def host_of(uri: str) -> str:
    """The URI's authority, lower-cased: exactly `urlsplit(uri).netloc.lower()`."""
    match = _PLAIN_AUTHORITY.match(uri)
    if match is not None and uri.isascii():
        return match[1].lower()
    return urlsplit(uri).netloc.lower()


@functools.lru_cache(maxsize=1024)
def _without_fragment(uri: str) -> str:
    """`urldefrag(uri).url`, kept for the few key ids that sign most requests (`Resolver.known`, every request)."""
    return urldefrag(uri).url


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


@dataclass(frozen=True, slots=True)
class KnownActor:
    """A remote actor as the inbox verifies with it: its keys parsed once."""

    actor: RemoteActor
    main_key: PublicKey | None  # the key of `actor.key_id` (draft-cavage, or RFC 9421 with RSA)
    assertion_keys: dict[str, PublicKey]  # Ed25519 keys (RFC 9421) by key id
    until: datetime


def known_actor(actor: RemoteActor, *, now: datetime) -> KnownActor:
    main_key: PublicKey | None = None
    if actor.public_key_pem:
        with contextlib.suppress(KeyFormatError):  # unreadable: the inbox answers "unsupported key type"
            main_key = load_public_key_pem(actor.public_key_pem)
    ed_keys: dict[str, PublicKey] = {}
    for key in actor.assertion_keys:
        try:
            ed_keys[key["id"]] = ed25519_public_key_from_multibase(key["publicKeyMultibase"])
        except (KeyError, TypeError, ValueError):
            continue  # a key we cannot read signs nothing here
    return KnownActor(actor, main_key, ed_keys, min(now + KNOWN_FOR, actor.fetched_at + FRESH_FOR))


class InboxWriter:
    """Group commit for the inbox: requests queue their activity, one task stores what is queued in one statement
    while the next requests queue behind it, and each request learns the outcome of the statement that holds its row.
    Nothing is answered before that statement completes; when it fails, every row of the batch is tried again alone
    (so one row PostgreSQL refuses does not fail the others) and a row that fails alone fails its own request."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock, mode: FederationMode) -> None:
        self.pool, self.clock, self.mode = pool, clock, mode
        self._queued: list[tuple[Incoming, asyncio.Future[tuple[bool, int | None]]]] = []
        self._task: asyncio.Task[None] | None = None

    async def store(self, item: Incoming) -> tuple[bool, int | None]:
        """(host heard, new row id or None when the activity was already received), once stored."""
        future: asyncio.Future[tuple[bool, int | None]] = asyncio.get_running_loop().create_future()
        self._queued.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued[:BATCH_MAX], self._queued[BATCH_MAX:]
                await self._write(batch)
        except BaseException as exc:  # cancelled at shutdown: nobody waits forever, nobody hears "stored"
            for _, future in self._queued:
                if not future.done():
                    future.set_exception(ConnectionError("the inbox stopped before storing this activity"))
            self._queued = []
            if not isinstance(exc, Exception):
                raise
        finally:
            self._task = None

    async def _write(self, batch: list[tuple[Incoming, asyncio.Future[tuple[bool, int | None]]]]) -> None:
        try:
            async with self.pool.acquire() as conn:
                results = await peers.receive_many(conn, [item for item, _ in batch], clock=self.clock,
                                                   mode=self.mode)  # fmt: skip
        except Exception as exc:
            if len(batch) > 1:
                for entry in batch:
                    await self._write([entry])
                return
            if not batch[0][1].done():
                batch[0][1].set_exception(exc)
            return
        except BaseException:
            for _, future in batch:
                if not future.done():
                    future.set_exception(ConnectionError("the inbox stopped before storing this activity"))
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # the request may have gone away; its row is stored all the same
                future.set_result(result)


@dataclass
class Resolver:
    pool: asyncpg.Pool
    fetcher: Fetcher
    clock: Clock
    base_url: str
    node_signer: GetSigner
    mode: FederationMode = "open"
    _forced: dict[str, datetime] = field(default_factory=dict)
    _known: dict[str, KnownActor] = field(default_factory=dict)
    _writer: InboxWriter | None = None

    @property
    def writer(self) -> InboxWriter:
        if self._writer is None:
            self._writer = InboxWriter(self.pool, self.clock, self.mode)
        return self._writer

    def known(self, uri: str) -> KnownActor | None:
        """The actor this process verified recently, without asking PostgreSQL; None when not (or no longer) kept."""
        entry = self._known.get(_without_fragment(uri))
        if entry is None or self.clock.now() >= entry.until:
            return None
        return entry

    async def verifier(self, uri: str, *, refresh: bool = False, budget: FetchBudget | None = None) -> KnownActor:
        """`actor` (which admits the host first), kept in memory with its keys parsed for the next requests."""
        uri = urldefrag(uri).url
        actor = await self.actor(uri, refresh=refresh, budget=budget)
        now = self.clock.now()
        entry = known_actor(actor, now=now)
        if len(self._known) >= KNOWN_MAX:
            self._known = {k: v for k, v in self._known.items() if now < v.until}
            if len(self._known) >= KNOWN_MAX:
                self._known.clear()
        self._known[uri] = entry
        return entry

    def forget_host(self, host: str) -> None:
        self._known = {k: v for k, v in self._known.items() if v.actor.host != host}

    async def admit(self, host: str) -> None:
        """Raises InstanceBlocked when this node does not hear `host` (read from PostgreSQL, never from memory)."""
        async with self.pool.acquire() as conn:
            await peers.admit_host(conn, host, clock=self.clock, mode=self.mode)

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

    async def actor_or_last_known(self, uri: str, *, budget: FetchBudget | None = None) -> RemoteActor | None:
        """`actor`, except when the actor's own server answers 410 Gone (a deleted account, as Mastodon and this
        node answer): then `last_known`. Only for a Delete by that actor."""
        try:
            return await self.actor(uri, budget=budget)
        except FetchFailed as exc:
            if exc.status != 410:
                raise
        return await self.last_known(uri)

    async def last_known(self, uri: str) -> RemoteActor | None:
        """The copy of the actor last fetched, however old; None when it never was. For a Delete by an actor whose
        server now answers 410 Gone: its keys still verify what it signed before it went, its Delete above all,
        which may arrive after our copy went stale; refused, it would leave the actor's copies here and have its
        server retry it for days."""
        async with self.pool.acquire() as conn:
            return await peers.admit_and_find(conn, host_of(uri), urldefrag(uri).url, clock=self.clock,
                                              mode=self.mode)  # fmt: skip

    async def document(self, uri: str, *, budget: FetchBudget | None = None) -> dict[str, Any]:
        """Any object, straight from its origin (its id must be the URL it came from: the fetcher checks)."""
        await self._admit(uri)
        document = await self.fetcher.fetch_document(uri, signer=self.node_signer, budget=budget)
        await self._admit(str(document["id"]))
        return document

    async def _admit(self, uri: str) -> None:
        async with self.pool.acquire() as conn:
            await peers.admit_host(conn, host_of(uri), clock=self.clock, mode=self.mode)

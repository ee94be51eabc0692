"""Peers: other servers, the remote actors we know, follows in both directions, the inbox ledger and deliveries.

This is the state federation needs, kept in PostgreSQL like everything else (nothing about federation lives only in
memory or Redis). The protocol itself (signatures, activities, fetching) is in the `federation` package, which reads
and writes this state only through `deliberate.peers.service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

SignerKind = Literal["person", "organization", "group", "application"]
FederationMode = Literal["open", "allowlist"]


@dataclass(frozen=True)
class Instance:
    host: str
    blocked_at: datetime | None
    block_reason: str
    allowed_at: datetime | None
    consecutive_failures: int
    failing_since: datetime | None
    paused_until: datetime | None
    unavailable: bool
    last_error: str | None

    @property
    def blocked(self) -> bool:
        return self.blocked_at is not None


@dataclass(frozen=True)
class RemoteActor:
    id: int
    uri: str
    host: str
    type: str
    preferred_username: str | None
    name: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    key_id: str | None
    public_key_pem: str | None
    assertion_keys: list[dict[str, Any]]
    fetched_at: datetime
    account_id: int | None
    forum_id: int | None

    @property
    def delivery_inbox(self) -> str:
        """Where activities for this actor go: the shared inbox when the server has one (one POST per server)."""
        return self.shared_inbox or self.inbox

    @property
    def handle(self) -> str:
        return f"{self.preferred_username or 'actor'}@{self.host}"


@dataclass(frozen=True)
class ActorFields:
    """What we keep of a fetched actor document."""

    uri: str
    host: str
    type: str
    preferred_username: str | None
    name: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    key_id: str | None
    public_key_pem: str | None
    assertion_keys: list[dict[str, Any]]
    implements_rfc9421: bool = False


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: str
    inbox: str
    host: str
    body: bytes
    signer_kind: SignerKind
    signer_id: int
    attempts: int
    rfc9421: bool = False  # the peer verifies RFC 9421 signatures (FEP-844e `implements`)


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_id: str
    actor_uri: str
    type: str
    body: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class InboxBacklog:
    """Received activities whose processing failed for a reason that may pass (a fetch from a server that was
    down), waiting for their next attempt on the delivery backoff schedule."""

    waiting: int
    next_at: datetime | None  # None while the only waiting rows have just failed and have no time yet
    last_error: str | None


@dataclass(frozen=True)
class Recipient:
    inbox: str
    host: str


@dataclass(frozen=True)
class PeerStatus:
    """One line of the operators' view of the delivery queue."""

    host: str
    pending: int
    failed: int
    consecutive_failures: int
    paused_until: datetime | None  # None unless the pause is still running
    unavailable: bool
    blocked: bool
    last_error: str | None  # of the latest attempt that failed or was refused
    last_delivery_at: datetime | None
    delivered_count: int

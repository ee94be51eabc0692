"""Coalitions: organizations of several districts acting together.

An organization's admins found a coalition (name, purpose, charter, threshold rule) and invite other organizations,
on this node or on others. A member organization drafts a joint statement; each member signs it (one of its admins
approves, and the node adds a proof made with the organization's key); it is published once the charter's threshold
of signatures is reached. A published statement can be put forward as the coalition's position on a budget project
or a consultation. Members leave, or are removed when the charter's threshold of the other members agrees; the
history stays.

The domain never signs nor checks signatures itself: the caller passes a `Prover` (the federation layer has the
keys and the proof format), so this package stays free of ActivityPub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Threshold = Literal["all", "majority"]
THRESHOLDS: tuple[Threshold, ...] = ("all", "majority")
MemberState = Literal["invited", "member", "declined", "left", "removed"]


def required(threshold: str, members: int) -> int:
    """How many of `members` must agree: every one, or more than half."""
    if threshold == "all":
        return members
    return members // 2 + 1


@dataclass(frozen=True)
class Coalition:
    id: int
    slug: str
    name: str
    purpose: str
    charter: str
    threshold: str
    founding_organization_id: int | None
    founding_organization_slug: str | None
    founding_organization_name: str | None
    forum_id: int | None
    forum_slug: str | None
    origin: str | None
    ap_id: str | None
    created_at: datetime
    member_count: int = 0

    @property
    def remote(self) -> bool:
        return self.ap_id is not None


@dataclass(frozen=True)
class CoalitionMember:
    id: int
    coalition_id: int
    organization_id: int | None
    remote_actor_id: int | None
    # Local: the organization's slug and name. Remote: its actor URI and name, and the host it lives on.
    slug: str
    name: str
    host: str | None
    actor_uri: str | None
    state: str
    invited_at: datetime
    joined_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None

    @property
    def local(self) -> bool:
        return self.organization_id is not None

    @property
    def active(self) -> bool:
        return self.state == "member"


@dataclass(frozen=True)
class Signature:
    statement_id: int
    member_id: int
    organization_name: str
    organization_slug: str
    host: str | None
    signed_at: datetime
    proof: dict[str, Any]


@dataclass(frozen=True)
class Statement:
    id: int
    coalition_id: int
    title: str
    body: str
    drafted_by_member_id: int | None
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any] | None
    published_at: datetime | None
    ap_id: str | None
    signatures: tuple[Signature, ...] = field(default=())

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def frozen(self) -> bool:
        """Signed at least once: the text can no longer change."""
        return self.document is not None


@dataclass(frozen=True)
class Endorsement:
    id: int
    coalition_id: int
    coalition_slug: str
    coalition_name: str
    statement_id: int
    statement_title: str
    budget_project_id: int | None
    consultation_id: int | None
    target_url: str | None
    target_title: str | None
    created_at: datetime
    signers: tuple[str, ...] = ()


class CoalitionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=3, max_length=120)
    purpose: str = Field(min_length=10, max_length=2000)
    charter: str = Field(min_length=10, max_length=20000)
    threshold: Threshold


class StatementForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=10, max_length=20000)


class Prover(Protocol):
    """Turns a statement into the document its proofs sign (naming the member organizations that may sign it, with
    their keys), and signs a document with a local organization's key."""

    async def document(
        self, coalition: Coalition, statement: Statement, members: list[CoalitionMember]
    ) -> dict[str, Any]: ...

    async def prove(self, document: Mapping[str, Any], organization_id: int) -> dict[str, Any]: ...

"""Organizations: comedores, vaso de leche committees, juntas vecinales… as first-class actors of the node.

An organization has members with a role (owner, admin, member). Anyone may see a public organization; it is marked
unverified until an operator checks its number in the municipal Single Register of Social Organizations (RUOS).
People join by asking (a request an admin approves) or by being invited (an invitation they accept).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deliberate.validation import blank_to_none

Kind = Literal[
    "comedor_popular", "vaso_de_leche", "junta_vecinal", "mujeres", "juventud", "mercado", "cultural", "otra"
]
KINDS: tuple[Kind, ...] = (
    "comedor_popular", "vaso_de_leche", "junta_vecinal", "mujeres", "juventud", "mercado", "cultural", "otra",
)  # fmt: skip
MemberRole = Literal["owner", "admin", "member"]
ADMIN_ROLES: frozenset[str] = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class Organization:
    id: int
    slug: str
    name: str
    kind: str
    zone: str | None
    description: str
    registry_number: str | None
    created_at: datetime
    verified_at: datetime | None
    member_count: int = 0

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


@dataclass(frozen=True)
class Membership:
    organization_id: int
    account_id: int
    username: str
    display_name: str | None
    role: str
    listed: bool
    joined_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


@dataclass(frozen=True)
class PendingRequest:
    organization_id: int
    account_id: int
    username: str
    direction: str
    message: str
    created_at: datetime


class OrganizationForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=3, max_length=120)
    kind: Kind
    zone: str | None = Field(None, max_length=80)
    description: str = Field("", max_length=5000)
    registry_number: str | None = Field(None, max_length=30, pattern=r"^[A-Za-z0-9./-]+$")

    _blanks = field_validator("zone", "registry_number", mode="before")(blank_to_none)


def slugify(name: str) -> str:
    """A stable, readable URL name: 'Comedor Popular Santa Rosa' → 'comedor-popular-santa-rosa'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:60].strip("-")
    return slug if len(slug) >= 3 else f"org-{slug}".strip("-").ljust(3, "0")


async def free_slug(name: str, taken: Callable[[str], Awaitable[bool]]) -> str:
    """`slugify(name)`, or with '-2', '-3'… when `taken` says it is in use (organizations, forums, coalitions and
    budget processes name their URLs this way; the unique index still has the last word under concurrency)."""
    base = slugify(name)
    slug, suffix = base, 2
    while await taken(slug):
        slug, suffix = f"{base[:55]}-{suffix}", suffix + 1
    return slug

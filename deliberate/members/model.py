"""Members' data: what a member may take with them (their data, as one document) and how they leave (deleting the
account, choosing what becomes of their posts), plus the operators' overview of the node.

Peru's Ley 29733 (Protección de Datos Personales) gives every member the rights of access, rectification,
cancellation and opposition ("derechos ARCO"); the export serves access, the deletion serves cancellation.
Ballots are never part of a member's data: the ballot box (budget_ballot) holds no link to any voter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from deliberate.accounts.model import PASSWORD_MAX

PostsChoice = Literal["anonymous", "delete"]
POSTS_CHOICES: tuple[PostsChoice, ...] = ("anonymous", "delete")
EXPORT_FORMAT = "deliberate-member-data/1"


class AccountDeletion(BaseModel):
    """The confirmation form: the member's password, and what happens to their posts."""

    model_config = ConfigDict(frozen=True)

    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    posts: PostsChoice


@dataclass(frozen=True)
class DeletedAccount:
    account_id: int
    username: str
    posts: str
    posts_changed: int


@dataclass(frozen=True)
class AccountStanding:
    """What decides whether a username's page is shown: the account deleted (and when), its server blocked here,
    or the shared author of posts left behind anonymously (deleted too, yet still the author of those posts)."""

    username: str
    deleted_at: datetime | None
    origin: str | None
    origin_blocked: bool
    shared_author: bool


@dataclass(frozen=True)
class OwnedOrganization:
    slug: str
    name: str
    other_owners: int


@dataclass(frozen=True)
class UnverifiedOrganization:
    slug: str
    name: str
    registry_number: str | None
    created_at: datetime


@dataclass(frozen=True)
class NodeOverview:
    """What the operators' page shows from the database; disk use and recent errors come from the web layer."""

    unverified_organizations: list[UnverifiedOrganization]
    verified_residents: int
    open_reports: int
    open_appeals: int
    database_bytes: int
    last_backup_at: datetime | None


MemberData = dict[str, Any]

"""Forums, threads and posts.

A forum is either a node-wide category (created by operators, always public) or an organization's forum (created
by its admins, public or members-only). A thread is a title and its posts; the first post opens it. Posts keep
their Markdown source and the cleaned HTML made from it; an edit keeps the earlier text as a revision, a deletion
leaves a tombstone in its place so replies still make sense.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Visibility = Literal["public", "members"]
ReactionKind = Literal["apoyo", "de_acuerdo", "en_desacuerdo", "gracias", "pregunta"]
REACTIONS: tuple[ReactionKind, ...] = ("apoyo", "de_acuerdo", "en_desacuerdo", "gracias", "pregunta")
POST_MAX = 20000


@dataclass(frozen=True)
class Forum:
    id: int
    slug: str
    name: str
    description: str
    organization_id: int | None
    organization_slug: str | None
    organization_name: str | None
    visibility: str
    created_at: datetime
    thread_count: int = 0
    # Set for a forum of another node that this node follows: its Group's id and the host it lives on.
    ap_id: str | None = None
    origin: str | None = None
    # A mirrored forum whose Group its own server deleted: kept readable here, but nothing new is written in it.
    deleted_at_origin: bool = False

    @property
    def remote(self) -> bool:
        return self.ap_id is not None


@dataclass(frozen=True)
class Thread:
    id: int
    forum_id: int
    title: str
    author_id: int
    author_username: str
    as_organization_id: int | None
    as_organization_name: str | None
    as_organization_slug: str | None
    created_at: datetime
    last_post_at: datetime
    post_count: int
    locked_at: datetime | None
    ap_id: str | None = None

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


@dataclass(frozen=True)
class Post:
    id: int
    thread_id: int
    author_id: int
    author_username: str
    author_display_name: str | None
    as_organization_id: int | None
    as_organization_name: str | None
    as_organization_slug: str | None
    reply_to_id: int | None
    source: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    hidden_reason: str | None
    ap_id: str | None = None
    author_origin: str | None = None
    reactions: dict[str, int] = field(default_factory=dict)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class Revision:
    revision: int
    source: str
    replaced_at: datetime


@dataclass(frozen=True)
class SearchHit:
    post_id: int
    thread_id: int
    thread_title: str
    forum_slug: str
    snippet: str
    created_at: datetime


class ForumForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=3, max_length=120)
    description: str = Field("", max_length=2000)
    visibility: Visibility = "public"


class ThreadForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=1, max_length=POST_MAX)


class PostForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    body: str = Field(min_length=1, max_length=POST_MAX)

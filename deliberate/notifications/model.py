"""Subscriptions and notifications.

A member follows a thread, a forum or an organization, or a person or organization of another server
(`remote_actor`); every new post that matches gives each follower (except its author) one notification, however
many of their subscriptions matched. A followed remote actor's post that has no copy here is told all the same
(`remote_post`), with its title and its address on its own server. Starting or replying to a thread follows it
automatically. Notifications are rows in PostgreSQL, written in the same transaction as the post, so none is lost;
the unread count is one indexed query. Members who asked for e-mail get one per notification when the node has SMTP
(a remote_post's links to the post on its server, the others' to the thread here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

TargetKind = Literal["thread", "forum", "organization", "remote_actor"]


@dataclass(frozen=True)
class Notification:
    id: int
    kind: str  # reply | new_thread | remote_post
    thread_id: int | None  # None for a remote_post, which has no copy here
    thread_title: str  # a remote_post's own title
    post_id: int | None
    actor_username: str | None  # None when the post speaks for an organization
    as_organization_name: str | None
    created_at: datetime
    read_at: datetime | None
    actor_name: str | None = None  # a remote_post's author, by the name they give themselves
    url: str | None = None  # a remote_post's address on its server


@dataclass(frozen=True)
class EmailJob:
    notification_id: int
    email: str
    username: str
    kind: str
    thread_id: int | None  # None for a remote_post, as in Notification
    thread_title: str  # a remote_post's own title
    post_id: int | None
    actor_username: str
    attempts: int
    actor_name: str | None = None  # a remote_post's author, by the name they give themselves
    url: str | None = None  # a remote_post's address on its server

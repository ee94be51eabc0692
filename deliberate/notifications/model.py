"""Subscriptions and notifications.

A member follows a thread, a forum or an organization; every new post that matches gives each follower (except its
author) one notification, however many of their subscriptions matched. Starting or replying to a thread follows it
automatically. Notifications are rows in PostgreSQL, written in the same transaction as the post, so none is lost;
the unread count is one indexed query. Members who asked for e-mail get one per notification when the node has SMTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

TargetKind = Literal["thread", "forum", "organization"]


@dataclass(frozen=True)
class Notification:
    id: int
    kind: str
    thread_id: int
    thread_title: str
    post_id: int
    actor_username: str | None  # None when the post speaks for an organization
    as_organization_name: str | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class EmailJob:
    notification_id: int
    email: str
    username: str
    kind: str
    thread_id: int
    thread_title: str
    post_id: int
    actor_username: str
    attempts: int

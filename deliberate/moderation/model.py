"""Moderation: reports, the public log of moderation actions, and appeals.

A report is a signed-in person's flag on a post, with a reason from a fixed set. Moderators (a node role) and
organization admins (in their organization's forums) act on reports: they hide a post, or dismiss the reports on it.
Every action, with its reason, goes to the public moderation log; the person an action is about may appeal it once,
and a moderator answers the appeal in public too (upheld, or reversed, which undoes the action).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from deliberate.errors import N_

ReportReason = Literal["spam", "insult", "false_information", "off_topic", "other"]
REPORT_REASONS: tuple[ReportReason, ...] = ("spam", "insult", "false_information", "off_topic", "other")
ActionKind = Literal[
    "hide_post", "unhide_post", "lock_thread", "unlock_thread", "suspend_account", "lift_suspension", "dismiss_report"
]
# The decisions that go against someone; the others undo one, or are about reports rather than a person.
APPEALABLE: frozenset[str] = frozenset({"hide_post", "lock_thread", "suspend_account"})
Outcome = Literal["upheld", "reversed"]
OUTCOMES: tuple[Outcome, ...] = ("upheld", "reversed")
REASON_MAX = 1000
APPEAL_MAX = 2000
SUSPENSION_DAYS_MAX = 365


@dataclass(frozen=True)
class Report:
    id: int
    post_id: int
    reason: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class ReportedPost:
    """A post with its open reports, as the queue shows it. Reporters' names are not shown: no one should fear
    reporting an organization's leader."""

    post_id: int
    thread_id: int
    thread_title: str
    forum_slug: str
    author_username: str
    source: str
    hidden_at: datetime | None
    deleted_at: datetime | None
    reports: tuple[Report, ...]


@dataclass(frozen=True)
class Appeal:
    id: int
    action_id: int
    appellant_username: str
    text: str
    created_at: datetime
    answer: str | None
    answered_by_username: str | None
    answered_at: datetime | None
    outcome: str | None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


@dataclass(frozen=True)
class Action:
    """One entry of the public log. `thread_title` is None when the thread is in a members-only forum: the log is
    public, that forum is not."""

    id: int
    kind: str
    actor_id: int
    actor_username: str
    account_id: int | None
    account_username: str | None
    post_id: int | None
    thread_id: int | None
    thread_title: str | None
    suspended_until: datetime | None
    reason: str
    created_at: datetime
    appeal: Appeal | None

    @property
    def appealable(self) -> bool:
        return self.kind in APPEALABLE and self.account_id is not None


@dataclass(frozen=True)
class Queue:
    """What one person has to look at: reported posts they may act on and, for node moderators, open appeals."""

    reported: list[ReportedPost]
    appeals: list[Action]


def _other_needs_text(value: str, info: ValidationInfo) -> str:
    if info.data.get("reason") == "other" and not value:
        raise ValueError(N_("Please say what is wrong with this post."))
    return value


class ReportForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    reason: ReportReason
    text: str = Field("", max_length=REASON_MAX)

    _other = field_validator("text")(_other_needs_text)


class ReasonForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    reason: str = Field(min_length=1, max_length=REASON_MAX)


class SuspensionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    days: int = Field(ge=1, le=SUSPENSION_DAYS_MAX)
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class AppealForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    text: str = Field(min_length=1, max_length=APPEAL_MAX)


class AnswerForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    outcome: Outcome
    # Becomes the reason of the undoing action when the decision is reversed, so it has the reason's limit.
    answer: str = Field(min_length=1, max_length=REASON_MAX)

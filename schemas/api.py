"""The JSON API's wire models (/api/v1): what a client sends and receives.

These are the public contract, apart from the domain models on purpose: a field renamed inside the domain must not
silently change what clients see. This package imports only pydantic and the standard library, so a client can
reuse it as it is. Timestamps are RFC 3339 in UTC; lists are pages with an opaque `next` cursor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Page(Wire, Generic[T]):
    items: list[T]
    next: str | None = Field(None, description="Pass as the cursor parameter to get the next page; null at the end.")


class Me(Wire):
    id: int
    username: str
    display_name: str | None
    roles: list[str]


class AccountData(Wire):
    """Everything the node holds about the member (Ley 29733, right of access), one section per kind of data.

    Sections are lists of plain objects whose fields follow the node's tables. Never included: the password hash,
    token hashes, private keys, and ballots (a ballot is not linked to its voter, so none is anyone's)."""

    format: str = Field(description="deliberate-member-data/1")
    generated_at: datetime
    account: dict[str, Any]
    organizations: list[dict[str, Any]]
    membership_requests: list[dict[str, Any]]
    organizations_founded: list[dict[str, Any]]
    forums_created: list[dict[str, Any]]
    threads_started: list[dict[str, Any]]
    posts: list[dict[str, Any]] = Field(description="With their earlier versions (revisions).")
    reactions: list[dict[str, Any]]
    subscriptions: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    reports_made: list[dict[str, Any]]
    moderation_decisions_about_you: list[dict[str, Any]]
    moderation_decisions_you_made: list[dict[str, Any]]
    appeals: list[dict[str, Any]]
    api_tokens: list[dict[str, Any]] = Field(description="Names and dates only.")
    resident_verification: dict[str, Any] | None
    budget_projects_proposed: list[dict[str, Any]]
    official: dict[str, Any] | None
    consultations_taken_part_in: list[dict[str, Any]]
    consultation_stances: list[dict[str, Any]]
    consultation_answers: list[dict[str, Any]]
    consultation_positions_submitted: list[dict[str, Any]]
    budget_voter_rolls: list[dict[str, Any]] = Field(description="Whether you are on a roll; never a ballot.")


class Organization(Wire):
    slug: str
    name: str
    kind: str
    zone: str | None
    description: str
    registry_number: str | None
    verified: bool
    member_count: int
    url: str


class OrganizationIn(Wire):
    name: str = Field(min_length=3, max_length=120)
    kind: Literal[
        "comedor_popular", "vaso_de_leche", "junta_vecinal", "mujeres", "juventud", "mercado", "cultural", "otra"
    ]
    zone: str | None = Field(None, max_length=80)
    description: str = Field("", max_length=5000)
    registry_number: str | None = Field(None, max_length=30)


class Member(Wire):
    username: str
    display_name: str | None
    role: str


class Invitation(Wire):
    username: str = Field(min_length=1, max_length=30)


class JoinRequest(Wire):
    message: str = Field("", max_length=1000)


class Forum(Wire):
    slug: str
    name: str
    description: str
    organization: str | None = Field(description="The owning organization's slug; null for a district forum.")
    visibility: Literal["public", "members"]
    thread_count: int
    url: str


class Thread(Wire):
    id: int
    forum: str
    title: str
    author: str | None = Field(description="Null when written in an organization's name (see as_organization).")
    as_organization: str | None
    created_at: datetime
    last_post_at: datetime
    post_count: int
    locked: bool
    url: str


class ThreadIn(Wire):
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=1, max_length=20000, description="Markdown (CommonMark, no raw HTML).")
    as_organization: str | None = Field(None, description="Slug of an organization you administer, to speak for it.")


class Post(Wire):
    id: int
    thread_id: int
    author: str | None = Field(description="Null when written in an organization's name (see as_organization).")
    as_organization: str | None
    reply_to: int | None
    source: str = Field(description="Markdown as written; empty when deleted.")
    html: str = Field(description="Sanitised HTML rendered from the Markdown.")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden_reason: str | None
    reactions: dict[str, int]


class PostIn(Wire):
    body: str = Field(min_length=1, max_length=20000)
    reply_to: int | None = None
    as_organization: str | None = None


class PostEdit(Wire):
    body: str = Field(min_length=1, max_length=20000)


class Revision(Wire):
    revision: int
    source: str
    replaced_at: datetime


class ReactionIn(Wire):
    kind: Literal["apoyo", "de_acuerdo", "en_desacuerdo", "gracias", "pregunta"]


class ReactionState(Wire):
    kind: str
    present: bool


class SearchHit(Wire):
    post_id: int
    thread_id: int
    thread_title: str
    forum: str
    snippet_html: str
    created_at: datetime


class Problem(Wire):
    """RFC 9457 problem details, as every error is answered."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    title: str
    status: int
    code: str
    instance: str
    request_id: str
    detail: str | None = None
    errors: list[dict[str, str]] | None = None


class ReportIn(Wire):
    reason: Literal["spam", "insult", "false_information", "off_topic", "other"]
    text: str = Field("", max_length=1000)


class Created(Wire):
    id: int


class ReasonIn(Wire):
    reason: str = Field(min_length=1, max_length=1000, description="Shown in the public moderation log.")


class LockIn(Wire):
    locked: bool
    reason: str = Field(min_length=1, max_length=1000)


class SuspensionIn(Wire):
    days: int = Field(ge=1, le=365)
    reason: str = Field(min_length=1, max_length=1000)


class AppealIn(Wire):
    text: str = Field(min_length=1, max_length=2000)


class AnswerIn(Wire):
    outcome: Literal["upheld", "reversed"]
    answer: str = Field(min_length=1, max_length=1000)


class AppealOut(Wire):
    id: int
    text: str
    created_at: datetime
    answer: str | None
    outcome: str | None
    answered_at: datetime | None


class ModerationAction(Wire):
    """One entry of the public moderation log: who decided what, why and when."""

    id: int
    kind: str
    moderator: str
    account: str | None
    post_id: int | None
    thread_id: int | None
    suspended_until: datetime | None
    reason: str
    created_at: datetime
    appeal: AppealOut | None


class ReportedPost(Wire):
    post_id: int
    thread_id: int
    thread_title: str
    reasons: list[str] = Field(description="One per open report; reporters are never named.")


class ModerationQueue(Wire):
    reported: list[ReportedPost]
    appeals: list[ModerationAction]


# Budgets: processes and projects (amounts are exact decimal strings, in soles)
class BudgetZone(Wire):
    id: int
    name: str
    amount: str


class BudgetProcessSummary(Wire):
    slug: str
    title: str
    url: str
    phase: Literal["upcoming", "proposals", "review", "voting", "counting", "results", "implementation"]
    total_amount: str
    voting_opens_at: datetime
    voting_closes_at: datetime


class BudgetProcess(Wire):
    """A process with its zones, rules and calendar. The rules and the seed for drawing lots are published before
    anyone votes, so anyone can recount the published ballots (`/b/{slug}/chain.json`) under them."""

    slug: str
    title: str
    description: str = Field(description="Markdown-free plain text, as the official wrote it.")
    url: str
    phase: Literal["upcoming", "proposals", "review", "voting", "counting", "results", "implementation"]
    origin: Literal["local", "imported"]
    total_amount: str
    zones: list[BudgetZone]
    ballot_rule: str = Field(description="approval, knapsack (within the budget), cumulative or ordinal.")
    max_choices: int | None
    min_share: str | None = Field(description="Knapsack ballots: the least share of the budget a ballot must use.")
    points: int | None
    counting_rule: str = Field(description="greedy, greedy-threshold or mes (Method of Equal Shares).")
    min_votes: int | None
    completion: str
    satisfaction: str
    tie_break: str
    tie_seed: str
    proposals_open_at: datetime
    review_starts_at: datetime
    voting_opens_at: datetime
    voting_closes_at: datetime
    implementation_starts_at: datetime | None
    results_published_at: datetime | None


class BudgetProject(Wire):
    id: int
    zone: int
    title: str
    description: str
    location: str
    url: str
    estimated_cost: str
    final_cost: str | None = Field(description="Set by the feasibility review of a feasible project.")
    feasible: bool | None = Field(description="null until reviewed.")
    review_reason: str | None
    proposed_by: str = Field(description="The proposer's username.")
    as_organization: str | None = Field(description="The organization's slug when proposed in its name.")
    implementation_status: str | None
    implementation_note: str


# Budgets: voting
class BallotIn(Wire):
    """A ballot: project ids (approval and knapsack; ordinal best first) or points per project id (cumulative)."""

    zone: int | None = Field(None, description="The zone's id; may be left out when the process has one zone.")
    choices: list[int] | dict[str, int]
    receipt_code: str | None = Field(
        None, max_length=40, description="To change your ballot until voting closes: the code you got when voting."
    )


class BallotReceipt(Wire):
    receipt_code: str = Field(description="Shown once; the node does not keep it. Needed to change or check a ballot.")
    zone: int
    changed: bool

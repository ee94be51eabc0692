"""Moderation use cases: reporting a post, the queue, hiding and unhiding, dismissing reports, closing threads with a
reason, suspending accounts, the public log, and appeals.

Who may do what, once for every caller:
* anyone signed in (and not suspended) reports a post they can read, once while their report is open;
* node moderators act anywhere; organization admins hide, unhide and dismiss in their organization's forums;
* only node moderators suspend accounts and answer appeals, and a moderator does not answer an appeal against their
  own decision while another moderator could;
* the person a decision is about (the post's or thread's author, the suspended account) appeals it once, even while
  suspended: a suspension must not take away the way to contest it;
* the moderators of another server decide for the posts of that server's forums: their removal hides our copy
  (`accept_remote_removal`), outside our log and our appeals.

Every decision made here is a row in the public log (`moderation_action`) with its reason, written in the caller's
transaction with a domain event. A reversed appeal undoes the decision as a new, logged action by the moderator who
answered, with the answer as its reason, so the log reads in order. Posts are locked (`FOR UPDATE`) before they are
hidden or unhidden and accounts before their suspension changes, so two moderators acting at once are ordered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from deliberate.accounts import queries as account_queries
from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    AccountSuspended,
    AlreadyAppealed,
    AlreadyReported,
    AppealAlreadyAnswered,
    InvalidInput,
    NotAffected,
    NotAppealable,
    NotFound,
    NotModerator,
    NotSuspended,
    OwnDecision,
    PostAlreadyHidden,
    PostDeleted,
    PostNotHidden,
    ReasonRequired,
    Unauthenticated,
)
from deliberate.events import record_event
from deliberate.forums import queries as forum_queries
from deliberate.forums import service as forums
from deliberate.forums.model import Forum, Post, Thread
from deliberate.moderation import queries
from deliberate.moderation.model import (
    REASON_MAX,
    Action,
    AnswerForm,
    AppealForm,
    Queue,
    ReasonForm,
    Report,
    ReportForm,
    SuspensionForm,
)
from deliberate.organizations import queries as org_queries
from deliberate.organizations.model import ADMIN_ROLES
from deliberate.validation import parse

LOG_PER_PAGE = 50
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class LogPage:
    actions: list[Action]
    next_before: int | None


@dataclass(frozen=True)
class ModeratedPost:
    """A post as a moderator decides on it: where it is, its open reports and what was decided about it before."""

    post: Post
    forum: Forum
    thread: Thread
    reports: list[Report]
    history: list[Action]


def _active(actor: Account | None, clock: Clock) -> Account:
    if actor is None:
        raise Unauthenticated()
    if actor.suspended_until is not None and actor.suspended_until > clock.now():
        raise AccountSuspended()
    return actor


def _node_moderator(actor: Account | None, clock: Clock) -> Account:
    moderator = _active(actor, clock)
    if not moderator.has_role("moderator"):
        raise NotModerator()
    return moderator


def _reason(reason: str) -> str:
    """The reason for a decision: required, because it is what the public log is for."""
    if not reason.strip():
        raise ReasonRequired(field="reason")
    return parse(ReasonForm, {"reason": reason}).reason


async def _can_moderate(conn: asyncpg.Connection, actor: Account, forum: Forum) -> bool:
    if actor.has_role("moderator"):
        return True
    if forum.organization_id is None:
        return False
    membership = await org_queries.get_membership(conn, forum.organization_id, actor.id)
    return membership is not None and membership.role in ADMIN_ROLES


async def _post_to_moderate(conn: asyncpg.Connection, actor: Account, post_id: int) -> tuple[Post, Forum, Thread]:
    """The post, locked, once the actor is known to be allowed to moderate where it is."""
    post = await forum_queries.get_post(conn, post_id, for_update=True)
    if post is None:
        raise NotFound()
    forum, thread = await forums.access_thread(conn, post.thread_id, viewer=actor)
    if not await _can_moderate(conn, actor, forum):
        raise NotModerator()
    return post, forum, thread


async def access_action(conn: asyncpg.Connection, action_id: int) -> Action:
    action = await queries.get_action(conn, action_id)
    if action is None:
        raise NotFound()
    return action


# Reports and the queue


async def report_post(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, post_id: int, data: Mapping[str, Any]
) -> int:
    """Report a post to the moderators; the report's id. One open report per person and post."""
    reporter = _active(actor, clock)
    post = await forum_queries.get_post(conn, post_id)
    if post is None:
        raise NotFound()
    await forums.access_thread(conn, post.thread_id, viewer=reporter)
    if post.deleted:
        raise PostDeleted()
    if post.hidden_at is not None:
        raise PostAlreadyHidden()
    form = parse(ReportForm, data)
    report_id = await queries.insert_report(
        conn, post_id=post.id, reporter_id=reporter.id, reason=form.reason, text=form.text, now=clock.now()
    )
    if report_id is None:
        raise AlreadyReported()
    await record_event(conn, "post_reported", {"report_id": report_id, "post_id": post.id, "by": reporter.id})
    return report_id


async def reportable_post(conn: asyncpg.Connection, *, viewer: Account | None, post_id: int) -> Post:
    """The post a report form is about, if the viewer can read it."""
    post = await forum_queries.get_post(conn, post_id)
    if post is None:
        raise NotFound()
    await forums.access_thread(conn, post.thread_id, viewer=viewer)
    return post


async def moderation_queue(conn: asyncpg.Connection, *, clock: Clock, actor: Account) -> Queue:
    """Node moderators see every open report and every unanswered appeal; organization admins see the reports on
    posts in their organizations' forums."""
    _active(actor, clock)
    everywhere = actor.has_role("moderator")
    if not everywhere and not await queries.administers_any_organization(conn, actor.id):
        raise NotModerator()
    reported = await queries.list_open_reports(conn, account_id=actor.id, everywhere=everywhere, limit=QUEUE_LIMIT)
    appeals = await queries.list_pending_appeals(conn, limit=QUEUE_LIMIT) if everywhere else []
    return Queue(reported=reported, appeals=appeals)


async def post_for_moderation(conn: asyncpg.Connection, *, clock: Clock, actor: Account, post_id: int) -> ModeratedPost:
    moderator = _active(actor, clock)
    post = await forum_queries.get_post(conn, post_id)
    if post is None:
        raise NotFound()
    forum, thread = await forums.access_thread(conn, post.thread_id, viewer=moderator)
    if not await _can_moderate(conn, moderator, forum):
        raise NotModerator()
    reports = await queries.list_open_reports_on_post(conn, post.id)
    return ModeratedPost(post, forum, thread, reports, await queries.list_actions_on_post(conn, post.id))


# Decisions on posts and threads


async def hide_post(conn: asyncpg.Connection, *, clock: Clock, actor: Account, post_id: int, reason: str) -> Action:
    """Hide a post behind its reason; its open reports are resolved by this decision."""
    moderator = _active(actor, clock)
    post, _, _ = await _post_to_moderate(conn, moderator, post_id)
    reason = _reason(reason)
    if post.deleted:
        raise PostDeleted()
    if post.hidden_at is not None:
        raise PostAlreadyHidden()
    now = clock.now()
    await forum_queries.set_post_hidden(conn, post.id, reason=reason, now=now)
    action_id = await queries.insert_action(
        conn, actor_id=moderator.id, kind="hide_post", reason=reason, now=now, post_id=post.id,
        account_id=post.author_id,
    )  # fmt: skip
    await queries.resolve_reports(conn, post.id, by=moderator.id, resolution="hidden", action_id=action_id, now=now)
    await record_event(conn, "post_hidden", {"post_id": post.id, "action_id": action_id, "by": moderator.id})
    return await access_action(conn, action_id)


async def _show_again(conn: asyncpg.Connection, *, moderator: Account, post: Post, reason: str, now: datetime) -> int:
    await forum_queries.set_post_visible(conn, post.id)
    action_id = await queries.insert_action(
        conn, actor_id=moderator.id, kind="unhide_post", reason=reason, now=now, post_id=post.id,
        account_id=post.author_id,
    )  # fmt: skip
    await record_event(conn, "post_unhidden", {"post_id": post.id, "action_id": action_id, "by": moderator.id})
    return action_id


async def unhide_post(conn: asyncpg.Connection, *, clock: Clock, actor: Account, post_id: int, reason: str) -> Action:
    moderator = _active(actor, clock)
    post, _, _ = await _post_to_moderate(conn, moderator, post_id)
    reason = _reason(reason)
    if post.hidden_at is None:
        raise PostNotHidden()
    action_id = await _show_again(conn, moderator=moderator, post=post, reason=reason, now=clock.now())
    return await access_action(conn, action_id)


async def dismiss_reports(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, post_id: int, reason: str
) -> Action:
    """Close the open reports on a post without acting on the post: the post stays as it is."""
    moderator = _active(actor, clock)
    post, _, _ = await _post_to_moderate(conn, moderator, post_id)
    reason = _reason(reason)
    if not await queries.list_open_reports_on_post(conn, post.id):
        raise NotFound(message=N_("There are no open reports on this post."))
    now = clock.now()
    action_id = await queries.insert_action(
        conn, actor_id=moderator.id, kind="dismiss_report", reason=reason, now=now, post_id=post.id
    )
    await queries.resolve_reports(conn, post.id, by=moderator.id, resolution="dismissed", action_id=action_id, now=now)
    await record_event(conn, "reports_dismissed", {"post_id": post.id, "action_id": action_id, "by": moderator.id})
    return await access_action(conn, action_id)


async def lock_thread(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, thread_id: int, locked: bool, reason: str
) -> None:
    """Close or reopen a thread, with the reason the log shows. The rules are the forums' own."""
    _active(actor, clock)
    reason = _reason(reason)
    await forums.set_thread_locked(conn, clock=clock, actor=actor, thread_id=thread_id, locked=locked, reason=reason)


async def accept_remote_removal(
    conn: asyncpg.Connection, *, clock: Clock, post_id: int, removed: bool, reason: str = ""
) -> bool:
    """The forum's own server removed one of its posts we hold a copy of (`removed`), or restored it: the decision of
    its moderators, relayed by the forum's Group as Lemmy relays a moderator's removal (an Announce of a Delete by
    someone other than the author; of an Undo of that Delete to restore). The caller has checked that the Group is
    the post's forum's. Our copy is hidden behind the reason given, as a decision here hides a post, not erased: the
    decision can still be reversed there. It is not written in our public log, which holds this node's decisions,
    each by one of its moderators, and open to appeal here. True when the copy changed; a decision already applied
    changes nothing (a relayed activity may come twice, or after the author deleted the post)."""
    post = await forum_queries.get_post(conn, post_id, for_update=True)
    if post is None:
        raise NotFound()
    if post.deleted or (post.hidden_at is not None) == removed:
        return False
    if removed:
        # The other server's words, as plain text within our own bound (pages escape them like any reason).
        await forum_queries.set_post_hidden(conn, post.id, reason=reason.strip()[:REASON_MAX], now=clock.now())
        await record_event(conn, "post_hidden", {"post_id": post.id, "action_id": None, "by": None})
    else:
        await forum_queries.set_post_visible(conn, post.id)
        await record_event(conn, "post_unhidden", {"post_id": post.id, "action_id": None, "by": None})
    return True


# Suspensions


def parse_suspension(clock: Clock, data: Mapping[str, Any]) -> tuple[datetime, str]:
    """A suspension form (a number of days and a reason) as (end of the suspension, reason)."""
    _reason(str(data.get("reason", "")))
    form = parse(SuspensionForm, data)
    return clock.now() + timedelta(days=form.days), form.reason


async def suspend_account(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, username: str, until: datetime, reason: str
) -> Action:
    """Suspend an account until `until`: it can log in, read and appeal, but not write."""
    moderator = _node_moderator(actor, clock)
    target = await accounts.access_account_by_username(conn, username)
    if target.id == moderator.id:
        raise InvalidInput(field="username", message=N_("You cannot suspend your own account."))
    reason = _reason(reason)
    now = clock.now()
    if until <= now:
        raise InvalidInput(field="days", message=N_("The suspension must end in the future."))
    await queries.lock_account(conn, target.id)
    await account_queries.set_suspension(conn, target.id, until=until)
    action_id = await queries.insert_action(
        conn, actor_id=moderator.id, kind="suspend_account", reason=reason, now=now, account_id=target.id,
        suspended_until=until,
    )  # fmt: skip
    await record_event(
        conn, "account_suspended",
        {"account_id": target.id, "until": until.isoformat(), "action_id": action_id, "by": moderator.id},
    )  # fmt: skip
    return await access_action(conn, action_id)


async def _lift(conn: asyncpg.Connection, *, moderator: Account, account_id: int, reason: str, now: datetime) -> int:
    await account_queries.set_suspension(conn, account_id, until=None)
    action_id = await queries.insert_action(
        conn, actor_id=moderator.id, kind="lift_suspension", reason=reason, now=now, account_id=account_id
    )
    await record_event(
        conn, "suspension_lifted", {"account_id": account_id, "action_id": action_id, "by": moderator.id}
    )
    return action_id


async def lift_suspension(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, username: str, reason: str
) -> Action:
    moderator = _node_moderator(actor, clock)
    target = await accounts.access_account_by_username(conn, username)
    reason = _reason(reason)
    await queries.lock_account(conn, target.id)
    target = await accounts.access_account(conn, target.id)
    now = clock.now()
    if target.suspended_until is None or target.suspended_until <= now:
        raise NotSuspended()
    action_id = await _lift(conn, moderator=moderator, account_id=target.id, reason=reason, now=now)
    return await access_action(conn, action_id)


async def account_to_suspend(conn: asyncpg.Connection, *, clock: Clock, actor: Account, username: str) -> Account:
    """The account a moderator is about to suspend or reinstate."""
    _node_moderator(actor, clock)
    return await accounts.access_account_by_username(conn, username)


# The public log and appeals


async def public_log(conn: asyncpg.Connection, *, before_id: int | None = None, limit: int = LOG_PER_PAGE) -> LogPage:
    """Every moderation decision, newest first, for anyone, signed in or not."""
    limit = min(max(limit, 1), 100)
    actions = await queries.list_actions(conn, before_id=before_id, limit=limit + 1)
    next_before = actions[limit - 1].id if len(actions) > limit else None
    return LogPage(actions[:limit], next_before)


async def appealable_action_on_post(conn: asyncpg.Connection, *, viewer: Account | None, post_id: int) -> int:
    """The latest decision to hide the post (what its author would appeal)."""
    post = await reportable_post(conn, viewer=viewer, post_id=post_id)
    action_id = await queries.get_latest_appealable_action_on_post(conn, post.id)
    if action_id is None:
        raise NotFound()
    return action_id


async def action_to_appeal(conn: asyncpg.Connection, *, actor: Account | None, action_id: int) -> Action:
    """The decision `actor` is about to appeal, once it is known they may."""
    if actor is None:
        raise Unauthenticated()
    action = await access_action(conn, action_id)
    if not action.appealable:
        raise NotAppealable()
    if action.account_id != actor.id:
        raise NotAffected()
    if action.appeal is not None:
        raise AlreadyAppealed()
    return action


async def appeal(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, action_id: int, data: Mapping[str, Any]
) -> Action:
    """The person a decision is about asks moderators to look at it again; once per decision."""
    action = await action_to_appeal(conn, actor=actor, action_id=action_id)
    assert actor is not None
    form = parse(AppealForm, data)
    appeal_id = await queries.insert_appeal(
        conn, action_id=action.id, appellant_id=actor.id, text=form.text, now=clock.now()
    )
    if appeal_id is None:  # an appeal sent twice at once: the unique action_id kept the first
        raise AlreadyAppealed()
    await record_event(conn, "appeal_made", {"appeal_id": appeal_id, "action_id": action.id, "by": actor.id})
    return await access_action(conn, action.id)


async def appeal_to_answer(conn: asyncpg.Connection, *, clock: Clock, actor: Account, appeal_id: int) -> Action:
    """The decision an appeal is about, with the appeal, for a moderator about to answer it."""
    _node_moderator(actor, clock)
    action_id = await queries.get_action_id_of_appeal(conn, appeal_id)
    if action_id is None:
        raise NotFound()
    return await access_action(conn, action_id)


async def answer_appeal(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, appeal_id: int, data: Mapping[str, Any]
) -> Action:
    """A moderator upholds or reverses the decision; reversing undoes it. The first answer stands."""
    moderator = _node_moderator(actor, clock)
    action = await appeal_to_answer(conn, clock=clock, actor=moderator, appeal_id=appeal_id)
    assert action.appeal is not None
    if action.appeal.answered:
        raise AppealAlreadyAnswered()
    now = clock.now()
    if action.actor_id == moderator.id and await queries.other_moderator_exists(conn, moderator.id, now=now):
        raise OwnDecision()
    form = parse(AnswerForm, data)
    if not await queries.answer_appeal(
        conn, appeal_id, by=moderator.id, answer=form.answer, outcome=form.outcome, now=now
    ):
        raise AppealAlreadyAnswered()
    if form.outcome == "reversed":
        await _reverse(conn, clock=clock, moderator=moderator, action=action, reason=form.answer)
    await record_event(
        conn, "appeal_answered",
        {"appeal_id": appeal_id, "action_id": action.id, "outcome": form.outcome, "by": moderator.id},
    )  # fmt: skip
    return await access_action(conn, action.id)


async def _reverse(conn: asyncpg.Connection, *, clock: Clock, moderator: Account, action: Action, reason: str) -> None:
    """Undo an appealed decision, unless something later already undid or replaced it. The answer is the reason of
    the undoing action (AnswerForm keeps it within the log's limit)."""
    now = clock.now()
    if action.kind == "hide_post" and action.post_id is not None:
        post = await forum_queries.get_post(conn, action.post_id, for_update=True)
        if post is not None and post.hidden_at is not None:
            await _show_again(conn, moderator=moderator, post=post, reason=reason, now=now)
    elif action.kind == "lock_thread" and action.thread_id is not None:
        thread = await forum_queries.get_thread(conn, action.thread_id, for_update=True)
        if thread is not None and thread.locked:
            await forums.set_thread_locked(
                conn, clock=clock, actor=moderator, thread_id=thread.id, locked=False, reason=reason
            )
    elif action.kind == "suspend_account" and action.account_id is not None:
        await queries.lock_account(conn, action.account_id)
        account = await accounts.access_account(conn, action.account_id)
        # Only the suspension this decision set: a later, separate suspension is not undone by this appeal.
        until = account.suspended_until
        if until is not None and until == action.suspended_until and until > now:
            await _lift(conn, moderator=moderator, account_id=account.id, reason=reason, now=now)


async def report_reason(conn: asyncpg.Connection, report_id: int) -> tuple[str, str] | None:
    """(reason, text) of a report, for telling the post's own server (never who reported it); None when there is
    nothing to tell: no such report, or its post is in the mirror of a forum that its server deleted. Such a report
    stays with the moderators here (the queue shows it as any other): the Group a Flag would go to is gone, and the
    mirror stays as its server left it. Lemmy takes no report at all in a deleted community
    (check_community_user_action); ours still reach the moderators of this node."""
    found = await queries.get_report_reason(conn, report_id)
    if found is None:
        return None
    reason, text, post_id = found
    view = await forums.federation_view(conn, post_id)
    if view is not None and view.forum.deleted_at_origin:
        return None
    return reason, text

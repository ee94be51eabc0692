"""Moderation pages: reporting a post, the queue, deciding on a post, closing a thread with a reason, suspending an
account, the public log with a page per decision, appealing a decision and answering an appeal.

Each POST is one service call in one transaction followed by a redirect (post/redirect/get). A refusal the person can
fix (a missing reason, a report already sent) re-renders the form it came from with the message; the rest (not a
moderator, not the affected person) become error pages in `web/problems.py`. The log and each decision's page are
public: they need no account. `add_routes` is called once by `web.app`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from deliberate.errors import N_, Conflict, InvalidInput
from deliberate.forums import service as forums
from deliberate.moderation import service as moderation
from deliberate.moderation.model import OUTCOMES, REPORT_REASONS, SUSPENSION_DAYS_MAX
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.render import page
from web.state import USER, state

REASON_LABELS = {
    "spam": N_("Spam or advertising"),
    "insult": N_("Insults or harassment"),
    "false_information": N_("False information"),
    "off_topic": N_("Not about the topic of the thread"),
    "other": N_("Something else"),
}
ACTION_LABELS = {
    "hide_post": N_("Hid a post"),
    "unhide_post": N_("Showed a hidden post again"),
    "lock_thread": N_("Closed a thread"),
    "unlock_thread": N_("Reopened a thread"),
    "suspend_account": N_("Suspended an account"),
    "lift_suspension": N_("Lifted a suspension"),
    "dismiss_report": N_("Dismissed the reports on a post"),
}
OUTCOME_LABELS = {
    "upheld": N_("The decision stands"),
    "reversed": N_("The decision is reversed"),
}
LABELS: dict[str, Any] = {
    "reason_labels": REASON_LABELS,
    "action_labels": ACTION_LABELS,
    "outcome_labels": OUTCOME_LABELS,
}


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/moderation", queue, name="moderation")
    router.add_get("/moderation/log", log, name="moderation_log")
    router.add_get("/moderation/actions/{action_id}", show_action, name="moderation_action")
    router.add_get("/moderation/actions/{action_id}/appeal", appeal_form)
    router.add_post("/moderation/actions/{action_id}/appeal", appeal)
    router.add_get("/moderation/appeals/{appeal_id}", answer_form)
    router.add_post("/moderation/appeals/{appeal_id}", answer)
    router.add_get("/p/{post_id}/report", report_form)
    router.add_post("/p/{post_id}/report", report)
    router.add_get("/p/{post_id}/moderate", moderate_post)
    router.add_post("/p/{post_id}/{decision:hide|unhide|dismiss}", decide_on_post)
    router.add_get("/p/{post_id}/appeal", appeal_post)
    router.add_get("/t/{thread_id}/close", close_form)
    router.add_post("/t/{thread_id}/close", close)
    router.add_get("/u/{username}/suspend", suspend_form)
    router.add_post("/u/{username}/{decision:suspend|lift}", suspend)


def _id(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound() from None


def _post_path(thread_id: int, post_id: int) -> str:
    """A post in its thread: threads are paginated by post id, so start the page just before it."""
    return f"/t/{thread_id}?after={max(post_id - 1, 0)}#p{post_id}"


# Reports


async def _report_context(request: web.Request) -> dict[str, Any]:
    async with state(request).db.acquire() as conn:
        post = await moderation.reportable_post(conn, viewer=request.get(USER), post_id=_id(request, "post_id"))
    return {
        "post": post,
        "post_path": _post_path(post.thread_id, post.id),
        "reasons": REPORT_REASONS,
        "sent": request.query.get("sent") == "1",
        **LABELS,
    }


async def report_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "moderation/report.html", keep=("reason", "text"), context=await _report_context(request))


async def report(request: web.Request) -> web.Response:
    user = require_user(request)
    post_id = _id(request, "post_id")
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await moderation.report_post(conn, clock=app.clock, actor=user, post_id=post_id, data=data)
    except (InvalidInput, Conflict) as error:
        return form_page(
            request, "moderation/report.html", data=data, keep=("reason", "text"), error=error,
            context=await _report_context(request),
        )  # fmt: skip
    return redirect(f"/p/{post_id}/report?sent=1")


# The queue and decisions on posts


async def queue(request: web.Request) -> web.Response:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn:
        found = await moderation.moderation_queue(conn, clock=app.clock, actor=user)
    return page(request, "moderation/queue.html", {"queue": found, **LABELS})


async def _moderation_context(request: web.Request, failed: str | None = None) -> dict[str, Any]:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn:
        moderated = await moderation.post_for_moderation(
            conn, clock=app.clock, actor=user, post_id=_id(request, "post_id")
        )
    return {
        "moderated": moderated,
        "post_path": _post_path(moderated.thread.id, moderated.post.id),
        "failed": failed,
        **LABELS,
    }


async def moderate_post(request: web.Request) -> web.Response:
    return form_page(request, "moderation/post.html", context=await _moderation_context(request))


async def decide_on_post(request: web.Request) -> web.Response:
    """Hide, show again, or dismiss the reports on a post; each needs a reason for the log."""
    user = require_user(request)
    post_id = _id(request, "post_id")
    decision = request.match_info["decision"]
    data = await form_data(request)
    reason = str(data.get("reason", ""))
    app = state(request)
    decide = {"hide": moderation.hide_post, "unhide": moderation.unhide_post, "dismiss": moderation.dismiss_reports}
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await decide[decision](conn, clock=app.clock, actor=user, post_id=post_id, reason=reason)
    except (InvalidInput, Conflict) as error:
        return form_page(
            request, "moderation/post.html", data=data, keep=("reason",), error=error,
            context=await _moderation_context(request, failed=decision),
        )  # fmt: skip
    return redirect(f"/p/{post_id}/moderate")


async def _close_context(request: web.Request) -> dict[str, Any]:
    async with state(request).db.acquire() as conn:
        forum, thread = await forums.access_thread(conn, _id(request, "thread_id"), viewer=request.get(USER))
    return {"forum": forum, "thread": thread}


async def close_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "moderation/close.html", keep=("reason",), context=await _close_context(request))


async def close(request: web.Request) -> web.Response:
    """Close or reopen a thread with a reason (the thread page's own button sends none)."""
    user = require_user(request)
    thread_id = _id(request, "thread_id")
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await moderation.lock_thread(
                conn, clock=app.clock, actor=user, thread_id=thread_id, locked=data.get("locked") != "0",
                reason=str(data.get("reason", "")),
            )  # fmt: skip
    except InvalidInput as error:
        return form_page(
            request, "moderation/close.html", data=data, keep=("reason",), error=error,
            context=await _close_context(request),
        )  # fmt: skip
    return redirect(f"/t/{thread_id}")


# Suspensions


async def _suspend_context(request: web.Request, failed: str | None = None) -> dict[str, Any]:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn:
        account = await moderation.account_to_suspend(
            conn, clock=app.clock, actor=user, username=request.match_info["username"]
        )
    suspended = account.suspended_until is not None and account.suspended_until > app.clock.now()
    return {"account": account, "suspended": suspended, "days_max": SUSPENSION_DAYS_MAX, "failed": failed}


async def suspend_form(request: web.Request) -> web.Response:
    return form_page(
        request, "moderation/suspend.html", data={"days": "7"}, keep=("days", "reason"),
        context=await _suspend_context(request),
    )  # fmt: skip


async def suspend(request: web.Request) -> web.Response:
    user = require_user(request)
    username = request.match_info["username"]
    decision = request.match_info["decision"]
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            if decision == "suspend":
                until, reason = moderation.parse_suspension(app.clock, data)
                await moderation.suspend_account(
                    conn, clock=app.clock, actor=user, username=username, until=until, reason=reason
                )
            else:
                await moderation.lift_suspension(
                    conn, clock=app.clock, actor=user, username=username, reason=str(data.get("reason", ""))
                )
    except (InvalidInput, Conflict) as error:
        return form_page(
            request, "moderation/suspend.html", data=data, keep=("days", "reason"), error=error,
            context=await _suspend_context(request, failed=decision),
        )  # fmt: skip
    return redirect(f"/u/{username}/suspend")


# The public log and appeals


async def log(request: web.Request) -> web.Response:
    before = request.query.get("before")
    try:
        before_id = int(before) if before else None
    except ValueError:
        raise web.HTTPNotFound() from None
    async with state(request).db.acquire() as conn:
        found = await moderation.public_log(conn, before_id=before_id)
    return page(request, "moderation/log.html", {"log": found, **LABELS})


async def show_action(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        action = await moderation.access_action(conn, _id(request, "action_id"))
    return page(request, "moderation/action.html", {"action": action, **LABELS})


async def appeal_post(request: web.Request) -> web.Response:
    """From a hidden post to the appeal against hiding it."""
    require_user(request)
    async with state(request).db.acquire() as conn:
        action_id = await moderation.appealable_action_on_post(
            conn, viewer=request.get(USER), post_id=_id(request, "post_id")
        )
    return redirect(f"/moderation/actions/{action_id}/appeal")


async def _appeal_context(request: web.Request) -> dict[str, Any]:
    async with state(request).db.acquire() as conn:
        action = await moderation.action_to_appeal(conn, actor=request.get(USER), action_id=_id(request, "action_id"))
    return {"action": action, **LABELS}


async def appeal_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "moderation/appeal.html", keep=("text",), context=await _appeal_context(request))


async def appeal(request: web.Request) -> web.Response:
    user = require_user(request)
    action_id = _id(request, "action_id")
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await moderation.appeal(conn, clock=app.clock, actor=user, action_id=action_id, data=data)
    except InvalidInput as error:
        return form_page(
            request, "moderation/appeal.html", data=data, keep=("text",), error=error,
            context=await _appeal_context(request),
        )  # fmt: skip
    return redirect(f"/moderation/actions/{action_id}")


async def _answer_context(request: web.Request) -> dict[str, Any]:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn:
        action = await moderation.appeal_to_answer(
            conn, clock=app.clock, actor=user, appeal_id=_id(request, "appeal_id")
        )
    return {"action": action, "outcomes": OUTCOMES, **LABELS}


async def answer_form(request: web.Request) -> web.Response:
    return form_page(
        request, "moderation/answer.html", keep=("outcome", "answer"), context=await _answer_context(request)
    )


async def answer(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            action = await moderation.answer_appeal(
                conn, clock=app.clock, actor=user, appeal_id=_id(request, "appeal_id"), data=data
            )
    except InvalidInput as error:
        return form_page(
            request, "moderation/answer.html", data=data, keep=("outcome", "answer"), error=error,
            context=await _answer_context(request),
        )  # fmt: skip
    return redirect(f"/moderation/actions/{action.id}")

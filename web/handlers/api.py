"""The JSON API (/api/v1): the same services as the pages, spoken in the wire models of `schemas.api`.

Routes come from `schemas.openapi.ENDPOINTS`, so the published OpenAPI document and the served API cannot drift.
Bodies are validated against the wire model (a malformed body is an `invalid_fields` problem); the service then
applies the same rules as for the pages. Every error is an RFC 9457 problem, mapped once in `web/problems.py`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from deliberate.accounts.model import Account
from deliberate.errors import N_, InvalidInput, Unauthenticated
from deliberate.forums import model as forum_model
from deliberate.forums import service as forums
from deliberate.forums.markup import highlight
from deliberate.moderation import model as mod_model
from deliberate.moderation import service as moderation
from deliberate.organizations import model as org_model
from deliberate.organizations import service as orgs
from deliberate.validation import InvalidFields, field_error
from schemas import api
from schemas.openapi import ENDPOINTS, render_document
from web.handlers import budgets_api
from web.handlers import members as members_pages
from web.handlers import voting as budget_voting
from web.state import USER, state

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_JSON = 64 * 1024


def _json(model: BaseModel | None, *, status: int = 200) -> web.Response:
    if model is None:
        return web.Response(status=204)
    return web.Response(text=model.model_dump_json(), status=status, content_type="application/json")


async def _body(request: web.Request, model: type[M]) -> M:
    if request.content_length is not None and request.content_length > MAX_JSON:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_JSON, actual_size=request.content_length)
    try:
        raw = json.loads(await request.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput(message=N_("The request body is not valid JSON.")) from None
    if not isinstance(raw, dict):
        raise InvalidInput(message=N_("The request body must be a JSON object."))
    try:
        return model.model_validate(raw)
    except ValidationError as exc:  # reported per field, like a form
        raise InvalidFields([field_error(e) for e in exc.errors()]) from None


def _user(request: web.Request) -> Account:
    user = request.get(USER)
    if not isinstance(user, Account):
        raise Unauthenticated()
    return user


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound() from None


def _base(request: web.Request) -> str:
    return state(request).settings.base_url


def _organization(request: web.Request, org: org_model.Organization) -> api.Organization:
    return api.Organization(
        slug=org.slug, name=org.name, kind=org.kind, zone=org.zone, description=org.description,
        registry_number=org.registry_number, verified=org.verified, member_count=org.member_count,
        url=f"{_base(request)}/o/{org.slug}",
    )  # fmt: skip


def _forum(request: web.Request, forum: forum_model.Forum) -> api.Forum:
    return api.Forum(
        slug=forum.slug, name=forum.name, description=forum.description, organization=forum.organization_slug,
        visibility=forum.visibility, thread_count=forum.thread_count,
        url=f"{_base(request)}/f/{forum.slug}",
    )  # fmt: skip


def _thread(request: web.Request, forum_slug: str, thread: forum_model.Thread) -> api.Thread:
    return api.Thread(
        id=thread.id, forum=forum_slug, title=thread.title,
        author=None if thread.as_organization_id else thread.author_username,
        as_organization=thread.as_organization_slug, created_at=thread.created_at, last_post_at=thread.last_post_at,
        post_count=thread.post_count, locked=thread.locked, url=f"{_base(request)}/t/{thread.id}",
    )  # fmt: skip


def _post(post: forum_model.Post) -> api.Post:
    hidden = post.hidden_at is not None
    return api.Post(
        id=post.id, thread_id=post.thread_id, author=None if post.as_organization_id else post.author_username,
        as_organization=post.as_organization_slug,
        reply_to=post.reply_to_id, source="" if hidden else post.source, html="" if hidden else post.html,
        created_at=post.created_at, edited_at=post.edited_at, deleted=post.deleted,
        hidden_reason=post.hidden_reason if hidden else None, reactions=dict(post.reactions),
    )  # fmt: skip


async def get_me(request: web.Request) -> web.Response:
    user = _user(request)
    return _json(api.Me(id=user.id, username=user.username, display_name=user.display_name, roles=sorted(user.roles)))


async def list_organizations(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        listed = await orgs.list_organizations(conn, after_name=request.query.get("cursor") or None, limit=51)
    items = [_organization(request, org) for org in listed[:50]]
    return _json(api.Page[api.Organization](items=items, next=listed[49].name if len(listed) > 50 else None))


async def create_organization(request: web.Request) -> web.Response:
    body = await _body(request, api.OrganizationIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        org = await orgs.create_organization(conn, clock=app.clock, actor=_user(request), data=body.model_dump())
    return _json(_organization(request, org), status=201)


async def get_organization(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        org = await orgs.access_organization(conn, request.match_info["slug"])
    return _json(_organization(request, org))


async def list_members(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        org = await orgs.access_organization(conn, request.match_info["slug"])
        members = await orgs.members_visible_to(conn, org, request.get(USER))
    items = [api.Member(username=m.username, display_name=m.display_name, role=m.role) for m in members]
    return _json(api.Page[api.Member](items=items))


async def join_organization(request: web.Request) -> web.Response:
    body = await _body(request, api.JoinRequest)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        await orgs.request_to_join(
            conn, clock=app.clock, actor=_user(request), slug=request.match_info["slug"], message=body.message
        )
    return _json(None)


async def leave_organization(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn, conn.transaction():
        await orgs.leave_organization(conn, actor=_user(request), slug=request.match_info["slug"])
    return _json(None)


async def invite_member(request: web.Request) -> web.Response:
    body = await _body(request, api.Invitation)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        await orgs.invite_member(
            conn, clock=app.clock, actor=_user(request), slug=request.match_info["slug"], username=body.username
        )
    return _json(None)


async def list_forums(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        listed = await forums.list_forums(conn, viewer=request.get(USER))
    return _json(api.Page[api.Forum](items=[_forum(request, forum) for forum in listed]))


def _before(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor or "_" not in cursor:
        return None
    stamp, _, ident = cursor.rpartition("_")
    try:
        return datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        raise InvalidInput(field="cursor") from None


async def list_threads(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        forum = await forums.access_forum(conn, request.match_info["slug"], viewer=request.get(USER))
        threads = await forums.forum_threads(
            conn, forum=forum, before=_before(request.query.get("cursor")), limit=forums.THREADS_PER_PAGE + 1
        )
    page = threads[: forums.THREADS_PER_PAGE]
    more = len(threads) > forums.THREADS_PER_PAGE
    cursor = f"{page[-1].last_post_at.isoformat()}_{page[-1].id}" if more else None
    return _json(api.Page[api.Thread](items=[_thread(request, forum.slug, t) for t in page], next=cursor))


async def start_thread(request: web.Request) -> web.Response:
    body = await _body(request, api.ThreadIn)
    app = state(request)
    slug = request.match_info["slug"]
    async with app.db.acquire() as conn, conn.transaction():
        thread = await forums.start_thread(
            conn, clock=app.clock, actor=_user(request), forum_slug=slug,
            data={"title": body.title, "body": body.body}, as_organization=body.as_organization,
        )  # fmt: skip
    return _json(_thread(request, slug, thread), status=201)


async def list_posts(request: web.Request) -> web.Response:
    cursor = request.query.get("cursor")
    if cursor is not None and not cursor.isdigit():
        raise InvalidInput(field="cursor")
    async with state(request).db.acquire() as conn:
        view = await forums.thread_page(
            conn, thread_id=_int(request, "thread_id"), viewer=request.get(USER),
            after_id=int(cursor) if cursor else None,
        )  # fmt: skip
    next_cursor = str(view.next_after) if view.next_after is not None else None
    return _json(api.Page[api.Post](items=[_post(p) for p in view.posts], next=next_cursor))


async def reply(request: web.Request) -> web.Response:
    body = await _body(request, api.PostIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        post = await forums.reply(
            conn, clock=app.clock, actor=_user(request), thread_id=_int(request, "thread_id"),
            data={"body": body.body}, reply_to_id=body.reply_to, as_organization=body.as_organization,
        )  # fmt: skip
    return _json(_post(post), status=201)


async def edit_post(request: web.Request) -> web.Response:
    body = await _body(request, api.PostEdit)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        post = await forums.edit_post(
            conn, clock=app.clock, actor=_user(request), post_id=_int(request, "post_id"), data=body.model_dump()
        )
    return _json(_post(post))


async def delete_post(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        await forums.delete_post(conn, clock=app.clock, actor=_user(request), post_id=_int(request, "post_id"))
    return _json(None)


async def post_history(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        _, revisions = await forums.post_history(conn, viewer=request.get(USER), post_id=_int(request, "post_id"))
    items = [api.Revision(revision=r.revision, source=r.source, replaced_at=r.replaced_at) for r in revisions]
    return _json(api.Page[api.Revision](items=items))


async def toggle_reaction(request: web.Request) -> web.Response:
    body = await _body(request, api.ReactionIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        present = await forums.react(
            conn, clock=app.clock, actor=_user(request), post_id=_int(request, "post_id"), kind=body.kind
        )
    return _json(api.ReactionState(kind=body.kind, present=present))


async def search(request: web.Request) -> web.Response:
    cursor = request.query.get("cursor")
    if cursor is not None and not cursor.isdigit():
        raise InvalidInput(field="cursor")
    async with state(request).db.acquire() as conn:
        found = await forums.search(
            conn, viewer=request.get(USER), query=request.query.get("q", ""),
            limit=forums.SEARCH_HITS_PER_PAGE + 1, before=int(cursor) if cursor else None,
        )  # fmt: skip
    hits = found[: forums.SEARCH_HITS_PER_PAGE]
    next_cursor = str(hits[-1].post_id) if len(found) > len(hits) else None
    items = [
        api.SearchHit(post_id=h.post_id, thread_id=h.thread_id, thread_title=h.thread_title, forum=h.forum_slug,
                      snippet_html=highlight(h.snippet), created_at=h.created_at)
        for h in hits
    ]  # fmt: skip
    return _json(api.Page[api.SearchHit](items=items, next=next_cursor))


def _action(action: mod_model.Action) -> api.ModerationAction:
    appeal = action.appeal
    return api.ModerationAction(
        id=action.id, kind=action.kind, moderator=action.actor_username, account=action.account_username,
        post_id=action.post_id, thread_id=action.thread_id, suspended_until=action.suspended_until,
        reason=action.reason, created_at=action.created_at,
        appeal=api.AppealOut(
            id=appeal.id, text=appeal.text, created_at=appeal.created_at, answer=appeal.answer,
            outcome=appeal.outcome, answered_at=appeal.answered_at,
        ) if appeal is not None else None,
    )  # fmt: skip


async def report_post(request: web.Request) -> web.Response:
    body = await _body(request, api.ReportIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        report_id = await moderation.report_post(
            conn, clock=app.clock, actor=_user(request), post_id=_int(request, "post_id"), data=body.model_dump()
        )
    return _json(api.Created(id=report_id), status=201)


async def moderation_queue(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        queue = await moderation.moderation_queue(conn, clock=app.clock, actor=_user(request))
    reported = [
        api.ReportedPost(post_id=r.post_id, thread_id=r.thread_id, thread_title=r.thread_title,
                         reasons=[report.reason for report in r.reports])
        for r in queue.reported
    ]  # fmt: skip
    return _json(api.ModerationQueue(reported=reported, appeals=[_action(a) for a in queue.appeals]))


async def _post_decision(request: web.Request, decide: Callable[..., Awaitable[mod_model.Action]]) -> web.Response:
    body = await _body(request, api.ReasonIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        action = await decide(
            conn, clock=app.clock, actor=_user(request), post_id=_int(request, "post_id"), reason=body.reason
        )
    return _json(_action(action))


async def hide_post(request: web.Request) -> web.Response:
    return await _post_decision(request, moderation.hide_post)


async def unhide_post(request: web.Request) -> web.Response:
    return await _post_decision(request, moderation.unhide_post)


async def dismiss_reports(request: web.Request) -> web.Response:
    return await _post_decision(request, moderation.dismiss_reports)


async def lock_thread(request: web.Request) -> web.Response:
    body = await _body(request, api.LockIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        await moderation.lock_thread(
            conn, clock=app.clock, actor=_user(request), thread_id=_int(request, "thread_id"), locked=body.locked,
            reason=body.reason,
        )  # fmt: skip
    return _json(None)


async def suspend_account(request: web.Request) -> web.Response:
    body = await _body(request, api.SuspensionIn)
    app = state(request)
    until, reason = moderation.parse_suspension(app.clock, body.model_dump())
    async with app.db.acquire() as conn, conn.transaction():
        action = await moderation.suspend_account(
            conn, clock=app.clock, actor=_user(request), username=request.match_info["username"], until=until,
            reason=reason,
        )  # fmt: skip
    return _json(_action(action))


async def lift_suspension(request: web.Request) -> web.Response:
    body = await _body(request, api.ReasonIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        action = await moderation.lift_suspension(
            conn, clock=app.clock, actor=_user(request), username=request.match_info["username"], reason=body.reason
        )
    return _json(_action(action))


async def moderation_log(request: web.Request) -> web.Response:
    cursor = request.query.get("cursor")
    if cursor is not None and not cursor.isdigit():
        raise InvalidInput(field="cursor")
    async with state(request).db.acquire() as conn:
        log_page = await moderation.public_log(conn, before_id=int(cursor) if cursor else None)
    next_cursor = str(log_page.next_before) if log_page.next_before is not None else None
    return _json(api.Page[api.ModerationAction](items=[_action(a) for a in log_page.actions], next=next_cursor))


async def appeal(request: web.Request) -> web.Response:
    body = await _body(request, api.AppealIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        action = await moderation.appeal(
            conn, clock=app.clock, actor=_user(request), action_id=_int(request, "action_id"), data=body.model_dump()
        )
    return _json(_action(action), status=201)


async def answer_appeal(request: web.Request) -> web.Response:
    body = await _body(request, api.AnswerIn)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        action = await moderation.answer_appeal(
            conn, clock=app.clock, actor=_user(request), appeal_id=_int(request, "appeal_id"), data=body.model_dump()
        )
    return _json(_action(action))


async def openapi_document(request: web.Request) -> web.Response:
    return web.Response(text=render_document(), content_type="application/json")


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getAccountData": members_pages.account_data_api,
    "listOrganizations": list_organizations,
    "createOrganization": create_organization,
    "getOrganization": get_organization,
    "listMembers": list_members,
    "joinOrganization": join_organization,
    "leaveOrganization": leave_organization,
    "inviteMember": invite_member,
    "listForums": list_forums,
    "listThreads": list_threads,
    "startThread": start_thread,
    "listPosts": list_posts,
    "reply": reply,
    "editPost": edit_post,
    "deletePost": delete_post,
    "postHistory": post_history,
    "toggleReaction": toggle_reaction,
    "search": search,
    "reportPost": report_post,
    "moderationQueue": moderation_queue,
    "hidePost": hide_post,
    "unhidePost": unhide_post,
    "dismissReports": dismiss_reports,
    "lockThread": lock_thread,
    "suspendAccount": suspend_account,
    "liftSuspension": lift_suspension,
    "moderationLog": moderation_log,
    "appeal": appeal,
    "answerAppeal": answer_appeal,
    "listBudgetProcesses": budgets_api.list_processes,
    "getBudgetProcess": budgets_api.get_process,
    "listBudgetProjects": budgets_api.list_projects,
    "castBudgetBallot": budget_voting.api_ballot,
}


def add_routes(router: web.UrlDispatcher) -> None:
    for endpoint in ENDPOINTS:
        router.add_route(endpoint.method, endpoint.path, HANDLERS[endpoint.operation_id])
    router.add_get("/api/openapi.json", openapi_document)

"""Forum pages: the list of forums, a forum's threads, a thread's posts, and writing, editing, deleting, reacting,
locking and searching. Pages are keyset-paginated through `?before=` (forums) and `?after=` (threads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from deliberate.errors import DomainError, InvalidInput
from deliberate.forums import service as forums
from deliberate.forums.markup import highlight
from deliberate.forums.model import REACTIONS
from deliberate.notifications import service as notifications
from deliberate.organizations import service as orgs
from web.forms import form_page
from web.handlers import live
from web.handlers.common import form_data, redirect, require_user
from web.handlers.federation import group_document, thread_document, wants_activity_json
from web.problems import explained_on_form
from web.render import page
from web.state import USER, state


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise web.HTTPNotFound() from None


def _before(value: str | None) -> tuple[datetime, int] | None:
    """`?before=<iso time>_<id>`: the last thread of the previous page."""
    if not value or "_" not in value:
        return None
    stamp, _, ident = value.rpartition("_")
    try:
        return datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        raise web.HTTPNotFound() from None


async def index(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        listed = await forums.list_forums(conn, viewer=request.get(USER))
    return page(request, "forums/index.html", {"forums": listed})


async def _forum_context(request: web.Request) -> dict[str, Any]:
    async with state(request).db.acquire() as conn:
        forum = await forums.access_forum(conn, request.match_info["slug"], viewer=request.get(USER))
        threads = await forums.forum_threads(conn, forum=forum, before=_before(request.query.get("before")), limit=31)
        following = await notifications.is_following(conn, actor=request.get(USER), kind="forum", target_id=forum.id)
        speak_for = await orgs.organizations_administered_by(conn, request.get(USER))
    more = len(threads) > 30
    threads = threads[:30]
    last = threads[-1] if more else None
    return {
        "forum": forum,
        "threads": threads,
        "next_before": f"{last.last_post_at.isoformat()}_{last.id}" if last else None,
        "following": following,
        "speak_for": speak_for,
    }


async def show_forum(request: web.Request) -> web.Response:
    if wants_activity_json(request):
        return await group_document(request, request.match_info["slug"])
    return form_page(request, "forums/forum.html", context=await _forum_context(request))


async def start_thread(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            thread = await forums.start_thread(
                conn, clock=app.clock, actor=user, forum_slug=request.match_info["slug"], data=data,
                as_organization=str(data.get("as_organization") or "") or None,
            )  # fmt: skip
    except DomainError as error:
        if not explained_on_form(error):
            raise
        return form_page(
            request, "forums/forum.html", data=data, keep=("title", "body"), error=error,
            context=await _forum_context(request),
        )  # fmt: skip
    return redirect(f"/t/{thread.id}")


async def _thread_context(request: web.Request) -> dict[str, Any]:
    thread_id = _int(request.match_info["thread_id"])
    assert thread_id is not None
    async with state(request).db.acquire() as conn:
        view = await forums.thread_page(
            conn, thread_id=thread_id, viewer=request.get(USER), after_id=_int(request.query.get("after"))
        )
        following = await notifications.is_following(
            conn, actor=request.get(USER), kind="thread", target_id=view.thread.id
        )
        speak_for = await orgs.organizations_administered_by(conn, request.get(USER))
    quoted = {post.id: post for post in view.posts}
    return {
        "view": view,
        "reactions": REACTIONS,
        "quoted": quoted,
        "following": following,
        "speak_for": speak_for,
        # Who wrote in an organization's name is shown to that organization's admins only.
        "admin_of": {org.id for org in speak_for},
    }


async def show_thread(request: web.Request) -> web.Response:
    if wants_activity_json(request):
        return await thread_document(request, _int(request.match_info["thread_id"]) or 0)
    context = await _thread_context(request)
    reply_to = _int(request.query.get("reply_to"))
    return form_page(request, "forums/thread.html", data={"reply_to": reply_to or ""}, keep=("reply_to",),
                     context=context)  # fmt: skip


async def reply(request: web.Request) -> web.Response:
    user = require_user(request)
    thread_id = _int(request.match_info["thread_id"])
    assert thread_id is not None
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            post = await forums.reply(
                conn, clock=app.clock, actor=user, thread_id=thread_id, data=data,
                reply_to_id=_int(str(data.get("reply_to") or "")),
                as_organization=str(data.get("as_organization") or "") or None,
            )  # fmt: skip
    except DomainError as error:
        if not explained_on_form(error):
            raise
        return form_page(
            request, "forums/thread.html", data=data, keep=("body", "reply_to"), error=error,
            context=await _thread_context(request),
        )  # fmt: skip
    await live.publish_post(request, thread_id=thread_id, post_id=post.id)  # committed: readers may fetch it
    return redirect(f"/t/{thread_id}?after={max(post.id - 1, 0)}#p{post.id}")


async def edit_form(request: web.Request) -> web.Response:
    require_user(request)
    post_id = _int(request.match_info["post_id"])
    assert post_id is not None
    async with state(request).db.acquire() as conn:
        post, _ = await forums.post_history(conn, viewer=request.get(USER), post_id=post_id)
    return form_page(request, "forums/edit.html", data={"body": post.source}, keep=("body",), context={"post": post})


async def edit(request: web.Request) -> web.Response:
    user = require_user(request)
    post_id = _int(request.match_info["post_id"])
    assert post_id is not None
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            post = await forums.edit_post(conn, clock=app.clock, actor=user, post_id=post_id, data=data)
    except DomainError as error:
        if not explained_on_form(error):
            raise
        async with app.db.acquire() as conn:
            post, _ = await forums.post_history(conn, viewer=user, post_id=post_id)
        return form_page(request, "forums/edit.html", data=data, keep=("body",), error=error, context={"post": post})
    return redirect(f"/t/{post.thread_id}?after={max(post.id - 1, 0)}#p{post.id}")


async def delete(request: web.Request) -> web.Response:
    user = require_user(request)
    post_id = _int(request.match_info["post_id"])
    assert post_id is not None
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        post, _ = await forums.post_history(conn, viewer=user, post_id=post_id)
        await forums.delete_post(conn, clock=app.clock, actor=user, post_id=post_id)
    return redirect(f"/t/{post.thread_id}?after={max(post.id - 1, 0)}#p{post.id}")


async def history(request: web.Request) -> web.Response:
    post_id = _int(request.match_info["post_id"])
    assert post_id is not None
    async with state(request).db.acquire() as conn:
        post, revisions = await forums.post_history(conn, viewer=request.get(USER), post_id=post_id)
    return page(request, "forums/history.html", {"post": post, "revisions": revisions})


async def react(request: web.Request) -> web.Response:
    user = require_user(request)
    post_id = _int(request.match_info["post_id"])
    assert post_id is not None
    data = await form_data(request)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        await forums.react(conn, clock=app.clock, actor=user, post_id=post_id, kind=str(data.get("kind", "")))
        post, _ = await forums.post_history(conn, viewer=user, post_id=post_id)
    return redirect(f"/t/{post.thread_id}?after={max(post.id - 1, 0)}#p{post.id}")


async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "")[:200]
    async with state(request).db.acquire() as conn:
        found = await forums.search(
            conn, viewer=request.get(USER), query=query, limit=forums.SEARCH_HITS_PER_PAGE + 1,
            before=_int(request.query.get("before")),
        )  # fmt: skip
    hits = found[: forums.SEARCH_HITS_PER_PAGE]
    results = [{"hit": hit, "snippet": highlight(hit.snippet)} for hit in hits]
    next_before = hits[-1].post_id if len(found) > len(hits) else None
    context = {"query": query, "results": results, "next_before": next_before}
    return page(request, "forums/search.html", context)


async def new_category(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "forums/new_forum.html", keep=("name", "description"), context={"organization": None})


async def create_category(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            forum = await forums.create_category(conn, clock=app.clock, actor=user, data=data)
    except InvalidInput as error:
        return form_page(request, "forums/new_forum.html", data=data, keep=("name", "description"), error=error,
                         context={"organization": None})  # fmt: skip
    return redirect(f"/f/{forum.slug}")


async def create_organization_forum(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    slug = request.match_info["slug"]
    try:
        async with app.db.acquire() as conn, conn.transaction():
            forum = await forums.create_organization_forum(
                conn, clock=app.clock, actor=user, organization_slug=slug, data=data
            )
    except InvalidInput as error:
        return form_page(request, "forums/new_forum.html", data=data, keep=("name", "description", "visibility"),
                         error=error, context={"organization": slug})  # fmt: skip
    return redirect(f"/f/{forum.slug}")

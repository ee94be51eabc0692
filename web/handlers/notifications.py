"""The notices page (what happened in what you follow), follow/unfollow buttons, and the e-mail choice."""

from __future__ import annotations

from aiohttp import web

from deliberate.errors import InvalidInput, NotFound
from deliberate.forums import service as forums
from deliberate.notifications import service as notifications
from deliberate.notifications.model import TargetKind
from deliberate.organizations import service as orgs
from deliberate.peers import service as peers
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user, safe_next
from web.state import state


async def _context(request: web.Request) -> dict[str, object]:
    user = require_user(request)
    before = request.query.get("before")
    async with state(request).db.acquire() as conn:
        items = await notifications.notifications_of(
            conn, actor=user, before_id=int(before) if before and before.isdigit() else None, limit=31
        )
        email_on = await notifications.email_preference(conn, actor=user)
    return {
        "notifications": items[:30],
        "next_before": items[29].id if len(items) > 30 else None,
        "email_available": bool(state(request).settings.smtp_url),
        "email_on": email_on,
    }


async def index(request: web.Request) -> web.Response:
    return form_page(request, "notifications/index.html", context=await _context(request))


async def mark_read(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    up_to = str(data.get("up_to", ""))
    app = state(request)
    async with app.db.acquire() as conn:
        await notifications.mark_read(
            conn, clock=app.clock, actor=user, up_to_id=int(up_to) if up_to.isdigit() else None
        )
    return redirect("/notifications")


async def email_choice(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    try:
        async with state(request).db.acquire() as conn:
            await notifications.set_email_preference(conn, actor=user, enabled=data.get("enabled") == "1")
    except InvalidInput as error:
        return form_page(request, "notifications/index.html", error=error, context=await _context(request))
    return redirect("/notifications")


async def follow(request: web.Request) -> web.Response:
    """POST kind=thread|forum|organization|remote_actor, target=<id, slug or NAME@HOST>, follow=1|0, next=<page to
    return to>."""
    user = require_user(request)
    data = await form_data(request)
    kind, target = str(data.get("kind", "")), str(data.get("target", ""))
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        # Load the target through its own service: you can only follow what you may read.
        target_kind: TargetKind
        if kind == "thread" and target.isdigit():
            _, thread = await forums.access_thread(conn, int(target), viewer=user)
            target_kind, target_id = "thread", thread.id
        elif kind == "forum":
            target_kind, target_id = "forum", (await forums.access_forum(conn, target, viewer=user)).id
        elif kind == "organization":
            target_kind, target_id = "organization", (await orgs.access_organization(conn, target)).id
        elif kind == "remote_actor" and (remote := await peers.actor_by_handle(conn, target)) is not None:
            target_kind, target_id = "remote_actor", remote.id  # a person or organization of another server
        else:
            raise NotFound()
        if data.get("follow", "1") == "1":
            await notifications.follow(conn, clock=app.clock, actor=user, kind=target_kind, target_id=target_id)
        else:
            await notifications.unfollow(conn, actor=user, kind=target_kind, target_id=target_id)
    return redirect(safe_next(str(data.get("next", ""))))

"""Organization pages: the directory, founding one, its page with members and forums, and every membership action.

Each POST calls one service function inside one transaction and redirects back (post/redirect/get); a refusal
re-renders the page it came from with a translated message.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from deliberate.errors import InvalidInput
from deliberate.forums import service as forums
from deliberate.notifications import service as notifications
from deliberate.organizations import service as orgs
from deliberate.organizations.model import KINDS
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.handlers.federation import organization_document, wants_activity_json
from web.render import page
from web.state import USER, state

ORG_FIELDS = ("name", "kind", "zone", "description", "registry_number")


def _slug(request: web.Request) -> str:
    return request.match_info["slug"]


def _account_id(request: web.Request) -> int:
    try:
        return int(request.match_info["account_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


async def directory(request: web.Request) -> web.Response:
    after = request.query.get("after") or None
    async with state(request).db.acquire() as conn:
        listed = await orgs.list_organizations(conn, after_name=after, limit=51)
    more = len(listed) > 50
    listed = listed[:50]
    return page(
        request,
        "organizations/directory.html",
        {"organizations": listed, "next_after": listed[-1].name if more else None},
    )


async def new_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "organizations/new.html", keep=ORG_FIELDS, context={"kinds": KINDS})


async def create(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            org = await orgs.create_organization(conn, clock=app.clock, actor=user, data=data)
    except InvalidInput as error:
        return form_page(
            request, "organizations/new.html", data=data, keep=ORG_FIELDS, error=error, context={"kinds": KINDS}
        )
    return redirect(f"/o/{org.slug}")


async def _organization_context(request: web.Request) -> dict[str, Any]:
    viewer = request.get(USER)
    async with state(request).db.acquire() as conn:
        org = await orgs.access_organization(conn, _slug(request))
        membership = await orgs.membership_of(conn, org, viewer)
        members = await orgs.members_visible_to(conn, org, viewer)
        pending = (
            await orgs.pending_requests(conn, actor=viewer, slug=org.slug)
            if viewer is not None and membership is not None and membership.is_admin
            else []
        )
        invited = viewer is not None and await orgs.has_invitation(conn, org, viewer)
        org_forums = [f for f in await forums.list_forums(conn, viewer=viewer) if f.organization_id == org.id]
        following = await notifications.is_following(conn, actor=viewer, kind="organization", target_id=org.id)
        spoken = await forums.threads_of_organization(conn, organization_id=org.id, viewer=viewer)
    return {
        "organization": org,
        "membership": membership,
        "members": members,
        "pending": pending,
        "invited": invited,
        "forums": org_forums,
        "following": following,
        "threads": spoken,
    }


async def show(request: web.Request) -> web.Response:
    if wants_activity_json(request):
        return await organization_document(request, _slug(request))
    return form_page(request, "organizations/show.html", context=await _organization_context(request))


async def act(request: web.Request) -> web.Response:
    """Every membership action of the organization page, one service call each."""
    user = require_user(request)
    action = request.match_info["action"]
    data = await form_data(request)
    slug = _slug(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            if action == "join":
                await orgs.request_to_join(
                    conn, clock=app.clock, actor=user, slug=slug, message=str(data.get("message", ""))
                )
            elif action == "leave":
                await orgs.leave_organization(conn, actor=user, slug=slug)
            elif action == "accept":
                await orgs.accept_invitation(conn, clock=app.clock, actor=user, slug=slug)
            elif action == "decline":
                await orgs.decline_invitation(conn, actor=user, slug=slug)
            elif action == "invite":
                await orgs.invite_member(
                    conn, clock=app.clock, actor=user, slug=slug, username=str(data.get("username", ""))
                )
            elif action == "listing":
                await orgs.set_listing(conn, actor=user, slug=slug, listed=data.get("listed") == "1")
            elif action == "verify":
                await orgs.verify_organization(
                    conn, clock=app.clock, actor=user, slug=slug, verified=data.get("verified") != "0"
                )
            else:
                raise web.HTTPNotFound()
    except InvalidInput as error:
        return form_page(
            request, "organizations/show.html", data=data, keep=("username", "message"), error=error,
            context=await _organization_context(request),
        )  # fmt: skip
    return redirect(f"/o/{slug}")


async def act_on_member(request: web.Request) -> web.Response:
    user = require_user(request)
    action = request.match_info["action"]
    account_id = _account_id(request)
    data = await form_data(request)
    slug = _slug(request)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        if action == "approve":
            await orgs.approve_request(conn, clock=app.clock, actor=user, slug=slug, account_id=account_id)
        elif action == "reject":
            await orgs.reject_request(conn, actor=user, slug=slug, account_id=account_id)
        elif action == "remove":
            await orgs.remove_member(conn, actor=user, slug=slug, account_id=account_id)
        elif action == "role":
            await orgs.change_member_role(
                conn, actor=user, slug=slug, account_id=account_id, role=str(data.get("role", ""))
            )
        else:
            raise web.HTTPNotFound()
    return redirect(f"/o/{slug}")

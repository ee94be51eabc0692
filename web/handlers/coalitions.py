"""Coalition pages: the list with pending invitations, founding one, its page (members with their district,
statements with their signers, endorsements), inviting by slug or WebFinger handle, answering, leaving, removal,
drafting, signing, downloading a signed statement and endorsing.

Each POST calls one service function inside one transaction and redirects back (post/redirect/get); a refusal
re-renders the page it came from with a translated message next to the field, changing nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from deliberate.coalitions import service as coalitions
from deliberate.coalitions.model import THRESHOLDS
from deliberate.errors import N_, DomainError, InvalidInput, NotFound, RemoteUnreachable
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from federation import follows
from federation.coalitions import StatementProver, statement_uri
from federation.fetch import FetchBudget, FetchError
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.handlers.federation import group_document, wants_activity_json
from web.render import page
from web.state import USER, state

COALITION_FIELDS = ("organization", "name", "purpose", "charter", "threshold")
PAGE_FIELDS = ("organization", "invitee", "title", "body", "statement_id", "target")


def _slug(request: web.Request) -> str:
    return request.match_info["slug"]


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound() from None


async def index(request: web.Request) -> web.Response:
    viewer = request.get(USER)
    async with state(request).db.acquire() as conn:
        listed = await coalitions.list_coalitions(conn)
        invitations = await coalitions.pending_invitations(conn, viewer)
    return page(request, "coalitions/index.html", {"coalitions": listed, "invitations": invitations})


async def _administered(request: web.Request) -> list[Any]:
    async with state(request).db.acquire() as conn:
        return await orgs.organizations_administered_by(conn, request.get(USER))


async def new_form(request: web.Request) -> web.Response:
    require_user(request)
    context = {"thresholds": THRESHOLDS, "administered": await _administered(request)}
    return form_page(request, "coalitions/new.html", keep=COALITION_FIELDS, context=context)


async def create(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            coalition = await coalitions.create_coalition(
                conn, clock=app.clock, actor=user, organization_slug=str(data.get("organization", "")), data=data
            )
    except DomainError as error:
        context = {"thresholds": THRESHOLDS, "administered": await _administered(request)}
        return form_page(request, "coalitions/new.html", data=data, keep=COALITION_FIELDS, error=error, context=context)
    return redirect(f"/coalitions/{coalition.slug}")


async def _page_context(request: web.Request) -> dict[str, Any]:
    viewer = request.get(USER)
    app = state(request)
    async with app.db.acquire() as conn:
        found = await coalitions.coalition_page(conn, _slug(request))
        administered = await orgs.organizations_administered_by(conn, viewer)
    by_org = {m.organization_id: m for m in found.members if m.organization_id is not None}
    mine = [org for org in administered if by_org.get(org.id) is not None and by_org[org.id].active]
    invited = [org for org in administered if by_org.get(org.id) is not None and by_org[org.id].state == "invited"]
    forum = None
    if found.coalition.remote:
        async with app.db.acquire() as conn:
            try:
                forum = (await forums.access_forum(conn, found.coalition.slug, viewer=viewer)).slug
            except DomainError:
                forum = None  # this node does not follow the coalition's forum (yet)
    return {
        "forum_slug": found.coalition.forum_slug or forum,
        "coalition": found.coalition,
        "members": found.members,
        "statements": found.statements,
        "endorsements": found.endorsements,
        "mine": mine,
        "invited_orgs": invited,
        "node_name": app.settings.node_name,
    }


async def show(request: web.Request) -> web.Response:
    if wants_activity_json(request):
        # The coalition speaks as its forum's Group (on a node that only holds a copy, that Group is elsewhere).
        async with state(request).db.acquire() as conn:
            coalition = await coalitions.access_coalition(conn, _slug(request))
        if coalition.remote or coalition.forum_slug is None:
            raise web.HTTPFound(coalition.ap_id or "/")
        return await group_document(request, coalition.forum_slug)
    return form_page(request, "coalitions/show.html", keep=PAGE_FIELDS, context=await _page_context(request))


async def _follow_forum(request: web.Request, user: Any, slug: str) -> None:
    """Members of an organization that joined a coalition hosted elsewhere post in its forum from here: the node
    follows the coalition's Group (FEP-1b12), as for any forum of another node. Best effort: the page works
    without it, and the member can follow the forum later."""
    app = state(request)
    async with app.db.acquire() as conn:
        coalition = await coalitions.access_coalition(conn, slug)
    if coalition.ap_id is None:
        return
    try:
        await follows.follow_forum(app.fed.resolver, member=user, address=coalition.ap_id)
    except (DomainError, FetchError):
        return


async def _resolve_remote_organization(request: web.Request, handle: str) -> int:
    """The remote_actor id of an organization of another node, looked up by `org@host` or its URL."""
    resolver = state(request).fed.resolver
    try:
        uri = await follows.lookup(resolver, handle)
    except DomainError:
        raise InvalidInput(field="invitee") from None
    if resolver.is_local(uri):
        raise NotFound(field="invitee")
    try:
        actor = await resolver.actor(uri, budget=FetchBudget(3))
    except FetchError:
        raise RemoteUnreachable(field="invitee") from None
    if actor.type != "Organization":
        raise InvalidInput(field="invitee", message=N_("This address is not an organization."))
    return actor.id


def _target(request: web.Request, value: str) -> dict[str, Any]:
    """A project or consultation of this node from its address (or its path), or any other node's https URL."""
    value = value.strip()
    parts = urlsplit(value)
    base = urlsplit(state(request).settings.base_url)
    if not parts.netloc or parts.netloc == base.netloc:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) == 4 and segments[0] == "b" and segments[2] == "p" and segments[3].isdigit():
            return {"budget_project_id": int(segments[3])}
        if len(segments) == 2 and segments[0] == "c":
            return {"consultation_slug": segments[1]}
        raise InvalidInput(field="target")
    return {"target_url": value}


async def act(request: web.Request) -> web.Response:
    """Every action of the coalition page, one service call each."""
    user = require_user(request)
    action = request.match_info["action"]
    data = await form_data(request)
    slug = _slug(request)
    organization = str(data.get("organization", ""))
    app = state(request)
    try:
        remote_id = None
        if action == "invite" and "@" in str(data.get("invitee", "")).strip("@"):
            remote_id = await _resolve_remote_organization(request, str(data.get("invitee", "")))
        async with app.db.acquire() as conn, conn.transaction():
            if action == "invite" and remote_id is not None:
                await coalitions.invite_remote_organization(
                    conn, clock=app.clock, actor=user, slug=slug, organization_slug=organization,
                    remote_actor_id=remote_id,
                )  # fmt: skip
            elif action == "invite":
                await coalitions.invite_organization(
                    conn, clock=app.clock, actor=user, slug=slug, organization_slug=organization,
                    invitee_slug=str(data.get("invitee", "")).strip(),
                )  # fmt: skip
            elif action in ("accept", "decline"):
                await coalitions.answer_invitation(
                    conn, clock=app.clock, actor=user, slug=slug, organization_slug=organization,
                    accept=action == "accept",
                )  # fmt: skip
            elif action == "leave":
                await coalitions.leave_coalition(
                    conn, clock=app.clock, actor=user, slug=slug, organization_slug=organization
                )
            elif action == "statements":
                statement = await coalitions.draft_statement(
                    conn, clock=app.clock, actor=user, slug=slug, organization_slug=organization, data=data
                )
                return redirect(f"/coalitions/{slug}/statements/{statement.id}")
            elif action == "endorse":
                try:
                    statement_id = int(str(data.get("statement_id", "")))
                except ValueError:
                    raise InvalidInput(field="statement_id") from None
                await coalitions.endorse(
                    conn, clock=app.clock, actor=user, slug=slug, organization_slug=organization,
                    statement_id=statement_id, **_target(request, str(data.get("target", ""))),
                )  # fmt: skip
            else:
                raise web.HTTPNotFound()
    except DomainError as error:
        return form_page(
            request, "coalitions/show.html", data=data, keep=PAGE_FIELDS, error=error,
            context=await _page_context(request),
        )  # fmt: skip
    if action == "accept":
        await _follow_forum(request, user, slug)
    return redirect(f"/coalitions/{slug}")


async def remove(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    slug = _slug(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await coalitions.ask_removal(
                conn, clock=app.clock, actor=user, slug=slug, organization_slug=str(data.get("organization", "")),
                member_id=_int(request, "member_id"),
            )  # fmt: skip
    except DomainError as error:
        return form_page(
            request, "coalitions/show.html", data=data, keep=PAGE_FIELDS, error=error,
            context=await _page_context(request),
        )  # fmt: skip
    return redirect(f"/coalitions/{slug}")


async def _statement_context(request: web.Request) -> dict[str, Any]:
    viewer = request.get(USER)
    async with state(request).db.acquire() as conn:
        coalition = await coalitions.access_coalition(conn, _slug(request))
        statement = await coalitions.access_statement(conn, coalition, _int(request, "statement_id"))
        found = await coalitions.coalition_page(conn, coalition.slug)
        administered = await orgs.organizations_administered_by(conn, viewer)
    by_org = {m.organization_id: m for m in found.members if m.organization_id is not None}
    signed = {signature.member_id for signature in statement.signatures}
    mine = [org for org in administered if org.id in by_org and by_org[org.id].active]
    return {
        "coalition": coalition,
        "statement": statement,
        "can_sign": [org for org in mine if by_org[org.id].id not in signed],
        "can_edit": [org for org in mine if by_org[org.id].id == statement.drafted_by_member_id],
        "drafter": next((m for m in found.members if m.id == statement.drafted_by_member_id), None),
    }


async def show_statement(request: web.Request) -> web.Response:
    context = await _statement_context(request)
    statement = context["statement"]
    data = {"title": statement.title, "body": statement.body}
    return form_page(request, "coalitions/statement.html", data=data, keep=("title", "body"), context=context)


async def act_on_statement(request: web.Request) -> web.Response:
    user = require_user(request)
    action = request.match_info["action"]
    data = await form_data(request)
    slug = _slug(request)
    statement_id = _int(request, "statement_id")
    organization = str(data.get("organization", ""))
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            if action == "sign":
                await coalitions.sign_statement(
                    conn, clock=app.clock, actor=user, slug=slug, statement_id=statement_id,
                    organization_slug=organization, prover=StatementProver(conn, app.settings.base_url, app.clock),
                )  # fmt: skip
            elif action == "edit":
                await coalitions.edit_statement(
                    conn, clock=app.clock, actor=user, slug=slug, statement_id=statement_id,
                    organization_slug=organization, data=data,
                )  # fmt: skip
            else:
                raise web.HTTPNotFound()
    except DomainError as error:
        return form_page(
            request, "coalitions/statement.html", data=data, keep=("title", "body", "organization"), error=error,
            context=await _statement_context(request),
        )  # fmt: skip
    return redirect(f"/coalitions/{slug}/statements/{statement_id}")


async def download_statement(request: web.Request) -> web.Response:
    """The statement as anyone can check it with `deliberate verify`: its document and one proof per signer."""
    app = state(request)
    async with app.db.acquire() as conn:
        coalition = await coalitions.access_coalition(conn, _slug(request))
        statement = await coalitions.access_statement(conn, coalition, _int(request, "statement_id"))
    document = coalitions.signed_document(statement)
    name = statement_uri(app.settings.base_url, coalition, statement).rstrip("/").rsplit("/", 1)[-1]
    return web.Response(
        body=json.dumps(document, ensure_ascii=False, indent=2).encode(),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{coalition.slug[:60]}-statement-{name}.json"'},
    )


async def positions(request: web.Request) -> web.Response:
    """Coalitions' positions on one project or consultation of this node (linked from their pages)."""
    async with state(request).db.acquire() as conn:
        if "project" in request.query and request.query["project"].isdigit():
            found = await coalitions.endorsements_of_project(conn, int(request.query["project"]))
        elif "consultation" in request.query and request.query["consultation"].isdigit():
            found = await coalitions.endorsements_of_consultation(conn, int(request.query["consultation"]))
        else:
            raise web.HTTPNotFound()
    return page(request, "coalitions/positions.html", {"endorsements": found})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/coalitions", index, name="coalitions")
    router.add_get("/coalitions/new", new_form)
    router.add_post("/coalitions", create)
    router.add_get("/coalitions/positions", positions)
    router.add_get("/coalitions/{slug}", show, name="coalition")
    router.add_post("/coalitions/{slug}/members/{member_id}/remove", remove)
    router.add_post("/coalitions/{slug}/{action}", act)
    router.add_get("/coalitions/{slug}/statements/{statement_id}", show_statement)
    router.add_get("/coalitions/{slug}/statements/{statement_id}/signed.json", download_statement)
    router.add_post("/coalitions/{slug}/statements/{statement_id}/{action}", act_on_statement)

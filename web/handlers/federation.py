"""The node's ActivityPub surface over HTTP: actor documents by content negotiation, WebFinger and NodeInfo.

Handlers only load through domain services (which apply the same visibility rules as the pages: a members-only
forum has no public actor) and hand the models to the pure builders in `federation/`.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from deliberate.accounts import service as accounts
from deliberate.errors import NotFound
from deliberate.forums import service as forums
from deliberate.node import service as node
from deliberate.organizations import service as orgs
from federation import actors, discovery, objects
from web.state import USER, state

AS2_TYPES = ("application/activity+json", "application/ld+json")


def wants_activity_json(request: web.Request) -> bool:
    """True when the client asked for AS2 (Mastodon sends activity+json; others ld+json with the AS profile)."""
    accept = request.headers.get("Accept", "")
    return any(kind in accept for kind in AS2_TYPES)


def activity_response(document: dict[str, Any]) -> web.Response:
    response = web.json_response(document, content_type="application/activity+json")
    response.headers["Vary"] = "Accept"
    return response


async def person_document(request: web.Request, username: str) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        account = await accounts.access_account_by_username(conn, username)
        keys = await node.ensure_actor_keys(conn, clock=app.clock, kind="person", actor_id=account.id)
    return activity_response(
        actors.person(app.settings.base_url, account, rsa_private_pem=keys.rsa_private_pem,
                      ed25519_private_pem=keys.ed25519_private_pem)
    )  # fmt: skip


async def organization_document(request: web.Request, slug: str) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        org = await orgs.access_organization(conn, slug)
        keys = await node.ensure_actor_keys(conn, clock=app.clock, kind="organization", actor_id=org.id)
    return activity_response(
        actors.organization(app.settings.base_url, org, rsa_private_pem=keys.rsa_private_pem,
                            ed25519_private_pem=keys.ed25519_private_pem)
    )  # fmt: skip


async def group_document(request: web.Request, slug: str) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        forum = await forums.access_forum(conn, slug, viewer=None)  # a remote server sees what a visitor sees
        keys = await node.ensure_actor_keys(conn, clock=app.clock, kind="group", actor_id=forum.id)
    return activity_response(
        actors.group(app.settings.base_url, forum, rsa_private_pem=keys.rsa_private_pem,
                     ed25519_private_pem=keys.ed25519_private_pem)
    )  # fmt: skip


async def thread_document(request: web.Request, thread_id: int) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        view = await forums.thread_page(conn, thread_id=thread_id, viewer=None, limit=1)
    return activity_response(objects.page(app.settings.base_url, view.forum, view.thread, view.posts[0]))


async def post_document(request: web.Request) -> web.Response:
    """`/p/ID`: the post's AS2 object, or for a browser its place in the thread."""
    try:
        post_id = int(request.match_info["post_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    app = state(request)
    async with app.db.acquire() as conn:
        found = await forums.access_post(conn, post_id=post_id, viewer=None if wants_activity_json(request) else
                                         request.get(USER))  # fmt: skip
    if not wants_activity_json(request):
        raise web.HTTPSeeOther(f"/t/{found.thread.id}?after={max(post_id - 1, 0)}#p{post_id}")
    base = app.settings.base_url
    if found.is_opening:
        return activity_response(objects.page(base, found.forum, found.thread, found.post))
    return activity_response(
        objects.note(base, found.forum, found.thread, found.post, opening_post_id=found.opening_post_id)
    )


async def node_actor(request: web.Request) -> web.Response:
    app = state(request)
    keys = app.node_keys
    assert keys is not None
    return activity_response(
        actors.application(app.settings.base_url, app.settings.node_name, rsa_private_pem=keys.rsa_private_pem,
                           ed25519_private_pem=keys.ed25519_private_pem)
    )  # fmt: skip


async def webfinger(request: web.Request) -> web.Response:
    app = state(request)
    query = discovery.parse_resource(request.query.get("resource", ""))
    host = urlsplit(app.settings.base_url).netloc.lower()
    if query is None or query.host != host:
        raise NotFound()
    base = app.settings.base_url
    found: list[tuple[str, str]] = []
    async with app.db.acquire() as conn:
        if query.name == host:
            found.append(("Application", f"{base}/actor"))
        for kind, load in (
            ("Person", lambda: accounts.access_account_by_username(conn, query.name)),
            ("Organization", lambda: orgs.access_organization(conn, query.name)),
            ("Group", lambda: forums.access_forum(conn, query.name, viewer=None)),
        ):
            try:
                await load()
            except NotFound:
                continue
            path = {"Person": "u", "Organization": "o", "Group": "f"}[kind]
            found.append((kind, f"{base}/{path}/{query.name}"))
    if not found:
        raise NotFound()
    response = web.json_response(discovery.jrd(f"acct:{query.name}@{host}", found), content_type="application/jrd+json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # RFC 7033 §5: WebFinger is meant to be read from anywhere
    return response


async def nodeinfo_links(request: web.Request) -> web.Response:
    return web.json_response(discovery.nodeinfo_links(state(request).settings.base_url))


async def nodeinfo(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        counts = await node.usage(conn, clock=app.clock)
    try:
        software_version = version("deliberate")
    except PackageNotFoundError:
        software_version = "0"
    document = discovery.nodeinfo(
        version=software_version,
        node_name=app.settings.node_name,
        users_total=counts["users_total"],
        active_month=counts["active_month"],
        active_halfyear=counts["active_halfyear"],
        local_posts=counts["local_posts"],
    )
    return web.Response(
        text=json.dumps(document),
        headers={"Content-Type": f'application/json; profile="{discovery.NODEINFO_SCHEMA}#"'},
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/.well-known/webfinger", webfinger)
    router.add_get("/.well-known/nodeinfo", nodeinfo_links)
    router.add_get("/nodeinfo/2.1", nodeinfo)
    router.add_get("/actor", node_actor)
    router.add_get("/p/{post_id}", post_document)

"""The node's ActivityPub surface over HTTP: actor documents by content negotiation, WebFinger and NodeInfo.

Handlers only load through domain services (which apply the same visibility rules as the pages: a members-only
forum has no public actor) and hand the models to the pure builders in `federation/`.
"""

from __future__ import annotations

import asyncio
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from deliberate.accounts import service as accounts
from deliberate.consultations import service as consultations
from deliberate.errors import AccountGone, NotFound
from deliberate.forums import service as forums
from deliberate.members import service as members
from deliberate.node import service as node
from deliberate.organizations import service as orgs
from deliberate.peers import service as peers
from deliberate.peers.service import Signer
from federation import activities, actors, consultation_exchange, discovery, follows
from federation import inbox as inbox_pipeline
from federation import outbox as outbox_builders
from web.forms import form_page
from web.handlers.common import require_user
from web.handlers.remote_follow import follow_by_address
from web.state import USER, state

OUTBOX_PAGE = 20


def wants_activity_json(request: web.Request) -> bool:
    """True when the client asked for AS2 (Mastodon sends activity+json; others ld+json with the AS profile)."""
    accept = request.headers.get("Accept", "")
    return any(kind in accept for kind in discovery.AS2_MEDIA_TYPES)


def activity_response(document: dict[str, Any], *, status: int = 200) -> web.Response:
    response = web.json_response(document, status=status, content_type="application/activity+json")
    response.headers["Vary"] = "Accept"
    return response


async def person_document(request: web.Request, username: str) -> web.Response:
    """A member's Person; once they deleted their account, 410 Gone with a Tombstone (as Mastodon answers), so a
    peer that fetches the actor again drops it instead of keeping a key nobody signs with any more."""
    app = state(request)
    if "@" in username:  # another server's member as this node knows them: their own server speaks for them
        raise NotFound()
    async with app.db.acquire() as conn, conn.transaction():
        gone = await members.find_deleted_member(conn, username)
        if gone is not None and gone.deleted_at is not None:
            return activity_response(
                actors.person_tombstone(app.settings.base_url, gone.username, deleted_at=gone.deleted_at), status=410
            )
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
        if forum.remote:  # a mirror of another server's forum: its Group lives there, signed with its keys
            raise NotFound()
        keys = await node.ensure_actor_keys(conn, clock=app.clock, kind="group", actor_id=forum.id)
    return activity_response(
        actors.group(app.settings.base_url, forum, rsa_private_pem=keys.rsa_private_pem,
                     ed25519_private_pem=keys.ed25519_private_pem)
    )  # fmt: skip


async def thread_document(request: web.Request, thread_id: int) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        page = await forums.thread_page(conn, thread_id=thread_id, viewer=None, limit=1)
        found = await forums.access_post(conn, post_id=page.posts[0].id, viewer=None)
        return await _object_response(conn, request, found)


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
        return await _object_response(conn, request, found)


async def _object_response(conn: Any, request: web.Request, found: forums.PostInThread) -> web.Response:
    """A post written here, signed by its author (FEP-8b32), as every object from this node is; a post that came
    from another server is not ours to serve: its id is its origin's URL, where a fetcher is sent."""
    origin_id = found.thread.ap_id if found.is_opening else found.post.ap_id
    if origin_id is not None or found.post.author_origin is not None:
        raise web.HTTPFound(origin_id or found.post.ap_id or "/")
    app = state(request)
    return activity_response(await outbox_builders.local_object(conn, app.fed.outbox, found))


async def consultation_document(request: web.Request, slug: str) -> web.Response:
    """`/c/SLUG` for an ActivityPub client: the consultation object, signed by its official (FEP-8b32); a copy of
    another node's consultation sends the fetcher to its home node."""
    app = state(request)
    async with app.db.acquire() as conn:
        document = await consultations.access_consultation(conn, slug)
        if document.consultation.ap_id is not None:
            raise web.HTTPFound(document.consultation.ap_id)
        shared = await consultations.shared_view(conn, document.consultation.id)
        if shared is None:
            raise NotFound()
        return activity_response(await consultation_exchange.local_document(conn, app.fed.outbox, shared))


async def node_actor(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:  # read each time: `deliberate federation rotate-key node` may replace them
        keys = await node.ensure_node_keys(conn, clock=app.clock)
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
        if query.name == host and query.kind is None:
            found.append(("Application", f"{base}/actor"))
        # A deleted member's name stays taken (peers cached its key under it), so a lookup says it is gone rather
        # than unknown: 410, as Mastodon's WebFinger answers for a deleted account. A peer treats it as "no such
        # actor" either way; 410 also tells it not to ask again.
        gone = await members.find_deleted_member(conn, query.name)
        for kind, load in (
            ("Person", lambda: _live_member(conn, query.name, gone=gone is not None)),
            ("Organization", lambda: orgs.access_organization(conn, query.name)),
            ("Group", lambda: forums.access_forum(conn, query.name, viewer=None)),
        ):
            if query.kind not in (None, kind):
                continue  # an actor's URL names that actor, not the others of its name
            try:
                await load()
            except NotFound:
                continue
            path = {"Person": "u", "Organization": "o", "Group": "f"}[kind]
            found.append((kind, f"{base}/{path}/{query.name}"))
    if not found:
        raise AccountGone() if gone is not None and query.kind in (None, "Person") else NotFound()
    response = web.json_response(discovery.jrd(f"acct:{query.name}@{host}", found), content_type="application/jrd+json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # RFC 7033 §5: WebFinger is meant to be read from anywhere
    return response


async def _live_member(conn: Any, username: str, *, gone: bool) -> None:
    if gone:
        raise NotFound()
    await accounts.access_account_by_username(conn, username)


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


async def inbox(request: web.Request) -> web.Response:
    """Shared and per-actor inboxes: one pipeline (federation/inbox.py); 202 once the activity is stored."""
    app = state(request)
    length = request.content_length
    if length is not None and length > inbox_pipeline.MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=inbox_pipeline.MAX_BODY, actual_size=length)
    if length is not None and hdrs.CONTENT_ENCODING not in request.headers:
        # Content-Length frames the body and is within the cap (RFC 9112 §6.3): read exactly that many bytes, which
        # hands over the chunk the parser received as it is (`request.read()` copies it into a bytearray, then
        # into bytes).
        try:
            body = await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            body = exc.partial  # what `request.read()` returned: the pipeline refuses it like any other body
    else:
        # No Content-Length (chunked, RFC 9112 §7.1), or a coded body (`Content-Encoding`), which aiohttp decodes as it
        # arrives: its Content-Length counts the coded bytes, and a few KiB of gzip can decode to megabytes. Count
        # what is handed over, decoded, and stop past the cap (`request.read()` would stop only at the application's
        # 1 MiB `client_max_size`, after decoding).
        received = bytearray()
        while chunk := await request.content.readany():
            received += chunk
            if len(received) > inbox_pipeline.MAX_BODY:
                raise web.HTTPRequestEntityTooLarge(max_size=inbox_pipeline.MAX_BODY, actual_size=len(received))
        body = bytes(received)
    accepted = await inbox_pipeline.accept(
        app.fed.resolver, method=request.method, url=app.settings.base_url + request.path_qs,
        headers=request.headers, body=body,
    )  # fmt: skip
    if accepted is not None and accepted.new:
        app.fed.worker.wake()
    return web.Response(status=202)


def _collection(collection_id: str, total: int, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if items is not None:
        document["orderedItems"] = items
    return document


async def _signer_for(conn: Any, kind: str, name: str) -> Signer:
    if kind == "f":
        forum = await forums.access_forum(conn, name, viewer=None)
        if forum.remote:
            raise NotFound()
        return Signer("group", forum.id)
    if kind == "o":
        return Signer("organization", (await orgs.access_organization(conn, name)).id)
    if await members.find_deleted_member(conn, name) is not None:
        raise AccountGone()  # its collections went with it, as its actor did
    return Signer("person", (await accounts.access_account_by_username(conn, name)).id)


async def followers(request: web.Request) -> web.Response:
    """Only the count: who follows whom is not published (Mastodon hides it by default too)."""
    app = state(request)
    kind, name = request.match_info["kind"], request.match_info["name"]
    async with app.db.acquire() as conn:
        count = await peers.count_followers(conn, await _signer_for(conn, kind, name))
    return activity_response(_collection(f"{app.settings.base_url}/{kind}/{name}/followers", count))


async def outbox(request: web.Request) -> web.Response:
    """A forum's recent threads as Create activities, so a new follower can backfill (bounded to one page)."""
    app = state(request)
    kind, name = request.match_info["kind"], request.match_info["name"]
    base = app.settings.base_url
    collection_id = f"{base}/{kind}/{name}/outbox"
    async with app.db.acquire() as conn:
        signer = await _signer_for(conn, kind, name)
        if signer.kind != "group":
            return activity_response(_collection(collection_id, 0, []))
        forum = await forums.forum_by_id(conn, signer.id)
        items = []
        for thread in await forums.forum_threads(conn, forum=forum, limit=OUTBOX_PAGE):
            page = await forums.thread_page(conn, thread_id=thread.id, viewer=None, limit=1)
            view = await forums.federation_view(conn, page.posts[0].id)
            if view is None or view.post.deleted or view.post.hidden_at is not None:
                continue
            document = await outbox_builders.local_object(conn, app.fed.outbox, view)
            if view.post.author_origin is not None:
                document = await forums.remote_object(conn, view.post.id) or document
            actor = await outbox_builders.author_uri(conn, base, view)
            items.append(activities.create(f"{document['id']}#create", actor, document))
    return activity_response(_collection(collection_id, forum.thread_count, items))


async def remote_forum_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "forums/remote.html", keep=("address",))


async def follow_remote_forum(request: web.Request) -> web.Response:
    """POST address=name@server (or the Group's URL): follow a forum of another server, then see its mirror here."""
    return await follow_by_address(request, follows.follow_forum, template="forums/remote.html",
                                   page_of=lambda forum: f"/f/{forum.slug}")  # fmt: skip


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/inbox", inbox)
    router.add_post("/actor/inbox", inbox)
    # One route per kind, not `/{kind}/{name}/inbox`: aiohttp tries routes whose first segment is fixed before
    # routes whose first segment is a variable, so `/o/{slug}/{action}` (an organization's page actions) would
    # answer an organization's inbox first.
    for kind in ("u", "o", "f"):
        router.add_post(f"/{kind}/{{name}}/inbox", inbox)
    router.add_get("/{kind:[uof]}/{name}/followers", followers)
    router.add_get("/{kind:[uof]}/{name}/outbox", outbox)
    router.add_get("/forums/remote", remote_forum_form)
    router.add_post("/forums/remote", follow_remote_forum)
    router.add_get("/.well-known/webfinger", webfinger)
    router.add_get("/.well-known/nodeinfo", nodeinfo_links)
    router.add_get("/nodeinfo/2.1", nodeinfo)
    router.add_get("/actor", node_actor)
    router.add_get("/p/{post_id}", post_document)

"""What accepted activities do: each one calls the same domain service a member here would reach.

Runs in the worker over `inbox_activity` rows (claimed with SKIP LOCKED, in id order). A refusal by a domain rule
(a locked thread, an edit by someone who is not the author) is recorded on the row and not retried, and so is a fetch
the peer refused for good (404, 410…); a fetch that failed for a reason that may pass (the peer down, a timeout, a
5xx) is retried on the delivery backoff schedule, about three days (`federation/worker.py`).

Trust: a Create, Update, Delete, Like or Undo sent directly is trusted as far as its HTTP signature goes (the inbox
checked that the signer is the actor, and that created or deleted objects are on the actor's server). An activity
relayed by a forum Group (Announce, FEP-1b12) is only taken when the Group is one we follow and:
- a relayed post carries a valid FEP-8b32 proof by its author, or else it is fetched again from its origin
  (the fetcher requires the document's id to be the URL it came from);
- a relayed Delete, Like or Undo concerns a post in that Group's own forum: the Group is the authority over its
  threads (it moderates them and counts their support).
A Group deleted on its server (its own Delete, or a Delete of it by someone of its server that it announces, as Lemmy
deletes a community) leaves its mirror here read-only; the Undo of that Delete, in either shape, restores it, once
the Group's server serves it as a Group again (`_group_restored`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from html import escape
from typing import Any
from urllib.parse import urldefrag, urlsplit

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.errors import ActivityRejected, DomainError, NotFound
from deliberate.forums import service as forums
from deliberate.forums.markup import remote_text, render_markdown
from deliberate.forums.service import RemoteText
from deliberate.moderation import service as moderation
from deliberate.moderation.model import REASON_MAX
from deliberate.notifications import service as notifications
from deliberate.organizations import service as organizations
from deliberate.peers import service as peers
from deliberate.peers.model import InboxItem, RemoteActor
from deliberate.peers.service import Signer
from federation import activities, coalition_exchange, consultation_exchange
from federation import delivery_policy as policy
from federation.crypto.errors import SignatureError
from federation.crypto.multikey import ed25519_public_key_from_multibase
from federation.crypto.proofs import proofs_of, verify_proof
from federation.fetch import FetchBudget, FetchError, FetchFailed
from federation.identity import NODE
from federation.outbox import Outbox, send_now
from federation.outbox import author_uri as outbox_author_uri
from federation.resolver import Resolver, actor_fields, host_of
from schemas.activitypub import Activity, Actor, Post, UnsupportedDocument, parse_document

log = logging.getLogger(__name__)
POST_TYPES = ("Note", "Page", "Article", "Question")
BATCH = 20
BACKFILL = 20
BACKFILL_ITEM_FETCHES = 4  # the deepest shape: an Announce and its Create by id, the post from its origin, its author
BACKFILL_FETCHES = 3 * BACKFILL


# Told (thread id, post id) of each reply taken from a peer, after its transaction commits: the composition root
# passes a function that wakes live thread pages (web/handlers/live.py); federation knows nothing of how.
PostAdded = Callable[[int, int], Awaitable[None]]
_added: ContextVar[list[tuple[int, int]] | None] = ContextVar("federation_posts_added", default=None)


@dataclass(frozen=True)
class Processor:
    resolver: Resolver
    outbox: Outbox
    on_post_added: PostAdded | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        return self.resolver.pool


async def run_once(processor: Processor) -> int:
    """Process one batch of received activities; how many were looked at."""
    added: list[tuple[int, int]] = []
    token = _added.set(added)
    try:
        looked_at = await _process_batch(processor)
    finally:
        _added.reset(token)
    if processor.on_post_added is not None:
        for thread_id, post_id in added:  # committed now: readers may fetch them
            await processor.on_post_added(thread_id, post_id)
    return looked_at


async def _process_batch(processor: Processor) -> int:
    async with processor.pool.acquire() as conn, conn.transaction():
        items = await peers.claim_inbox(conn, limit=BATCH)
        for item in items:
            error: str | None = None
            try:
                async with conn.transaction():
                    await process(conn, processor, item)
            except (DomainError, SignatureError) as exc:
                error = str(exc)
                # A refusal the sender should hear about (e.g. an answer to a consultation) says so itself, once
                # its own work is rolled back: `answer_refusal` queues the reply.
                reply = getattr(exc, "answer_refusal", None)
                if reply is not None:
                    await reply(conn)
            except FetchError as exc:
                status = exc.status if isinstance(exc, FetchFailed) else None
                if policy.fetch_refused_for_good(status, now=processor.resolver.clock.now()):
                    error = str(exc)  # the peer answered 404, 410…: finished with the error, not retried
                else:  # down, slow or overloaded: retried on the delivery schedule (federation/worker.py)
                    await peers.retry_inbox(conn, item.id, error=str(exc))
                    continue
            await peers.finish_inbox(conn, item.id, clock=processor.resolver.clock, error=error)
        return len(items)


def _local_target(base_url: str, uri: str) -> tuple[str, str] | None:
    """('u'|'o'|'f'|'t'|'p'|'actor', name or id) for one of our URLs."""
    if not (uri == base_url or uri.startswith(base_url + "/")):
        return None
    parts = urlsplit(urldefrag(uri).url).path.strip("/").split("/")
    if parts == ["actor"]:
        return "actor", ""
    if len(parts) == 2 and parts[0] in ("u", "o", "f", "t", "p"):
        return parts[0], parts[1]
    return None


async def _locate(conn: asyncpg.Connection, base_url: str, uri: str) -> tuple[int | None, int | None]:
    """(post id, thread id) for a URI of ours or of a remote object we hold."""
    target = _local_target(base_url, uri)
    if target is None:
        return await forums.find_remote(conn, uri)
    kind, ident = target
    if not ident.isdigit():
        return None, None
    if kind == "p":
        view = await forums.federation_view(conn, int(ident))
        return (view.post.id, view.thread.id) if view else (None, None)
    if kind == "t":
        page = await forums.thread_page(conn, thread_id=int(ident), viewer=None, limit=1)
        return page.posts[0].id, page.thread.id
    return None, None


def post_text(document: Post, raw: dict[str, Any]) -> RemoteText:
    if document.source and (document.media_type == "text/markdown" or _source_type(raw) == "text/markdown"):
        source, html = document.source, render_markdown(document.source)
    else:
        source, html = remote_text(document.content or "")
    published = document.published
    if published is None:
        raise ActivityRejected(reason="the post has no published date")
    warning, links = _content_warning(raw), _attachment_links(raw)
    if warning:
        # Mastodon's content warning (`summary` with `sensitive`) stays in front of the text it warns about.
        source, html = f"{warning}\n\n{source}", f"<p><strong>{escape(warning)}</strong></p>{html}"
    if links:
        # Attachments become links, never embedded images: loading other hosts' files would leak readers' addresses
        # and cost prepaid data (the same rule as our own Markdown).
        source += "".join(f"\n\n{name}: {url}" for name, url in links)
        html += "".join(
            f'<p><a href="{escape(url)}" rel="nofollow ugc noopener">{escape(name)}</a></p>' for name, url in links
        )
    return RemoteText(ap_id=document.id, ap_object=raw, source=source, html=html, published=published)


def _content_warning(raw: dict[str, Any]) -> str:
    summary = raw.get("summary")
    if raw.get("type") == "Page" or not isinstance(summary, str):
        return ""  # a Page's summary is its abstract (Lemmy), not a warning
    return remote_text(summary)[0][:500]


def _attachment_links(raw: dict[str, Any]) -> list[tuple[str, str]]:
    items = raw.get("attachment")
    links = []
    for item in (items if isinstance(items, list) else [items])[:8]:
        if not isinstance(item, dict) or item.get("type") not in ("Document", "Image", "Video", "Audio", "Link"):
            continue
        url = item.get("url") if item.get("type") != "Link" else item.get("href")
        if isinstance(url, list):
            url = next((u.get("href") for u in url if isinstance(u, dict)), None)
        if isinstance(url, dict):
            url = url.get("href")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            name = item.get("name") if isinstance(item.get("name"), str) and item.get("name") else "Adjunto"
            links.append((str(name)[:200], url))
    return links


def _source_type(raw: dict[str, Any]) -> str | None:
    source = raw.get("source")
    return source.get("mediaType") if isinstance(source, dict) else None


async def _author(conn: asyncpg.Connection, processor: Processor, uri: str, budget: FetchBudget) -> Account:
    actor = await processor.resolver.actor(uri, budget=budget)
    account_id = await peers.author_account(conn, actor, clock=processor.resolver.clock)
    return await accounts.access_account(conn, account_id)


async def _deleting_author(conn: asyncpg.Connection, processor: Processor, uri: str,
                           budget: FetchBudget) -> Account | None:  # fmt: skip
    """`_author` of a Delete: an author whose server now answers 410 Gone (a deleted account deletes its posts as
    it goes) is its last known copy (`Resolver.actor_or_last_known`); None when it was never fetched here."""
    actor = await processor.resolver.actor_or_last_known(uri, budget=budget)
    if actor is None:
        return None
    return await accounts.access_account(conn, await peers.author_account(conn, actor, clock=processor.resolver.clock))


async def process(conn: asyncpg.Connection, processor: Processor, item: InboxItem) -> None:
    try:
        activity = parse_document(item.body)
    except UnsupportedDocument as exc:
        raise ActivityRejected(reason=str(exc)) from None
    assert isinstance(activity, Activity)
    if activity.type == "Delete":  # its actor may be gone (410) by now: its last known copy will do (resolver.py)
        last_known = await processor.resolver.actor_or_last_known(activity.actor)
        if last_known is None:
            return  # a gone actor never fetched here: nothing of it to delete
        actor = last_known
    else:
        actor = await processor.resolver.actor(activity.actor)
    budget = FetchBudget(5)
    handler = HANDLERS.get(activity.type)
    if handler is None:
        return  # an activity we have no use for (Add, Move, EmojiReact…): kept on record, nothing to do
    await handler(conn, processor, actor, activity, item.body, budget)


async def _follow(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                  raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    base = processor.outbox.base_url
    signer = await _followable(conn, base, activity.object_id or "")
    if signer is None:
        refused = ActivityRejected(reason="nothing here can be followed at that address")
        # Answered once this row's work is rolled back, so the follower is not left waiting forever.
        refused.answer_refusal = partial(_reject_follow, processor.outbox, actor, raw)  # type: ignore[attr-defined]
        raise refused
    await peers.add_follower(conn, signer, actor, follow_id=activity.id or "", clock=processor.resolver.clock)
    answer = activities.answer("Accept", activities.new_id(base), activity.object_id or "", raw)
    await send_now(conn, processor.outbox, answer, signer, [peers.recipient_of(actor)])


async def _followable(conn: asyncpg.Connection, base_url: str, uri: str) -> Signer | None:
    """Which of our actors `uri` is, if it can be followed: a public forum of this node (not a mirror of another
    node's), an organization, a member of this node (not someone elsewhere who wrote here), or the node itself."""
    target = _local_target(base_url, uri)
    if target is None:
        return None
    kind, name = target
    try:
        if kind == "f":
            forum = await forums.access_forum(conn, name, viewer=None)
            return None if forum.remote else Signer("group", forum.id)
        if kind == "o":
            return Signer("organization", (await organizations.access_organization(conn, name)).id)
        if kind == "u":
            account = await accounts.access_member_by_username(conn, name)
            return None if await peers.actor_of_account(conn, account.id) else Signer("person", account.id)
    except NotFound:
        return None
    return NODE if kind == "actor" else None


async def _reject_follow(outbox: Outbox, follower: RemoteActor, follow: dict[str, Any],
                         conn: asyncpg.Connection) -> None:  # fmt: skip
    """The Reject of a Follow of an address where nothing can be followed. Only an actor of ours could sign for it
    and there is none, so the node's own actor answers; the Follow is embedded whole so the follower's server can
    match it by id."""
    reject = activities.answer("Reject", activities.new_id(outbox.base_url), f"{outbox.base_url}/actor", follow)
    await send_now(conn, outbox, reject, NODE, [peers.recipient_of(follower)])


async def _answer(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                  raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    follow_id = activity.object.id if isinstance(activity.object, Activity) else activity.object_id
    answered = await peers.following_answered(
        conn, actor, follow_id=follow_id, accepted=activity.type == "Accept", clock=processor.resolver.clock
    )
    if answered and activity.type == "Accept" and actor.forum_id is not None and actor.outbox:
        await _backfill(conn, processor, actor, budget)


async def _backfill(conn: asyncpg.Connection, processor: Processor, group: RemoteActor, budget: FetchBudget) -> None:
    """A newly followed forum's recent threads, from the first page of its outbox. Taken: our own (and Mastodon's)
    `Create{post}`, and Lemmy's `Announce{Create{Page}}` and `Announce{Page}` (FEP-1b12), each level embedded or given
    only by its id (`_outbox_post`). Each post is proven by its author's FEP-8b32 proof or fetched again from its
    origin (Lemmy signs none), and keeps its own `published` date; only threads are taken (replies arrive from now
    on), and quietly: old threads arriving all at once notify nobody as if they were new, as in Lemmy and Discourse.

    Bounded: at most two fetches for the collection (the outbox, and its first page when only linked), its first
    BACKFILL items, at most BACKFILL_ITEM_FETCHES fetches for one item (the deepest shape taken, every level by id)
    and BACKFILL_FETCHES for all of them; an item that would need more is skipped."""
    assert group.outbox is not None and group.forum_id is not None
    try:
        items = await _outbox_first_page(processor, group.outbox)
    except (FetchError, DomainError) as exc:  # its first page on a host we do not hear: the Accept still counts
        log.info("backfill of %s skipped: %s", group.uri, exc)
        return
    spent = 0
    for item in items[:BACKFILL]:
        if spent >= BACKFILL_FETCHES:
            log.info("backfill of %s stopped: %d fetches spent", group.uri, spent)
            break
        item_budget = FetchBudget(min(BACKFILL_ITEM_FETCHES, BACKFILL_FETCHES - spent))
        try:
            async with conn.transaction():
                post = await _outbox_post(processor, group, item, item_budget)
                if post is None:
                    continue
                post_id = post if isinstance(post, str) else post.get("id")
                if isinstance(post_id, str) and (await forums.find_remote(conn, post_id))[0] is not None:
                    continue  # here already (the follow was renewed after an unfollow): nothing to fetch again
                document, verified = await _verified_post(processor, post, item_budget)
                if document.in_reply_to is None:
                    await _create_post(conn, processor, document, verified, item_budget, mirror_forum=group.forum_id,
                                       notify=False)  # fmt: skip
        except (DomainError, SignatureError, FetchError, UnsupportedDocument) as exc:
            log.info("backfill item of %s skipped: %s", group.uri, exc)
        finally:
            spent += item_budget.spent


async def _outbox_first_page(processor: Processor, outbox: str) -> list[Any]:
    """The items of an outbox's first page: inline (ours, Lemmy's), or a page of its own (Mastodon links it)."""
    budget = FetchBudget(2)
    collection = await processor.resolver.document(outbox, budget=budget)
    items = collection.get("orderedItems")
    if not isinstance(items, list):
        first = collection.get("first")
        if isinstance(first, str):
            first = await processor.resolver.document(first, budget=budget)
        items = first.get("orderedItems") if isinstance(first, dict) else None
    return items if isinstance(items, list) else []


async def _outbox_post(processor: Processor, group: RemoteActor, item: Any,
                       budget: FetchBudget) -> dict[str, Any] | str | None:  # fmt: skip
    """The thread an outbox item brings, as `_verified_post` takes it (the post embedded, or its id), or None.

    `Create{post}`, `Announce{Create{post}}` or `Announce{post}`; a level given only by its id is fetched (Lemmy may
    announce a Create by its id; an announced id may also be the post's own, as Mastodon reads it). An Announce must
    be the Group's own (FEP-1b12: the Group relays what was posted to it), and what is already known to be a reply,
    or one of ours, is left without fetching anything more."""
    wrapped_by: str | None = None
    for _ in range(3):  # the item, the Create an Announce holds, the post a Create holds
        if isinstance(item, str):
            if processor.resolver.is_local(item):
                return None
            if wrapped_by == "Create":
                return item  # a Create's object is its post: `_verified_post` fetches it from its origin
            item = await processor.resolver.document(item, budget=budget)
        if not isinstance(item, dict):
            return None
        kind = _type_of(item)
        if kind in POST_TYPES:
            if wrapped_by is None or item.get("inReplyTo") or processor.resolver.is_local(str(item.get("id", ""))):
                return None  # a bare post in an outbox is no activity of the Group's; replies come from now on
            return item
        actor = item.get("actor")
        actor_id = actor.get("id") if isinstance(actor, dict) else actor
        if kind == "Announce" and wrapped_by is None and actor_id == group.uri:
            wrapped_by, item = "Announce", item.get("object")
        elif kind == "Create" and wrapped_by in (None, "Announce"):
            wrapped_by, item = "Create", item.get("object")
        else:
            return None
    return None


async def _undo(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    inner = activity.object
    if not isinstance(inner, Activity) or inner.actor != actor.uri:
        raise ActivityRejected(reason="an actor can only undo its own activities")
    if inner.type == "Follow":
        # Lemmy's Undo carries a new Follow (another id): the following ends whatever the id, as Mastodon does too.
        followed = await _followable(conn, processor.outbox.base_url, inner.object_id or "")
        if followed is not None:
            await peers.remove_follower(conn, followed, actor)
    elif inner.type == "Delete" and inner.object_id == actor.uri:
        await _group_restored(conn, processor, actor, budget)  # a Group undoing its own Delete (`_delete`)
    elif inner.type == "Like":
        await _support(conn, processor, actor.uri, inner.object_id or "", present=False, budget=budget)


async def _support(conn: asyncpg.Connection, processor: Processor, liker: str, object_uri: str, *, present: bool,
                   budget: FetchBudget) -> None:  # fmt: skip
    post_id, _ = await _locate(conn, processor.outbox.base_url, object_uri)
    if post_id is None:
        return  # support for something we never had: nothing to count
    author = await _author(conn, processor, liker, budget)
    await forums.set_remote_support(conn, clock=processor.resolver.clock, author=author, post_id=post_id,
                                    present=present)  # fmt: skip


async def _like(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    await _support(conn, processor, actor.uri, activity.object_id or "", present=True, budget=budget)


async def _create_post(conn: asyncpg.Connection, processor: Processor, document: Post, raw: dict[str, Any],
                       budget: FetchBudget, *, mirror_forum: int | None, notify: bool = True) -> None:  # fmt: skip
    """A new thread or reply. `mirror_forum` is the forum of the Group that relayed it, if it came that way;
    `notify=False` for an old thread brought by a backfill, which nobody should hear about as if it were new."""
    if (await forums.find_remote(conn, document.id))[0] is not None:
        return  # already here (our own post coming back in an Announce, or a repeat)
    if processor.resolver.is_local(document.id):
        return
    if not document.is_public:
        # A Mastodon followers-only or direct reply (no as:Public in to/cc) was written for a few people: a public
        # forum would publish it to everyone.
        raise ActivityRejected(reason="only public posts are taken into a forum")
    clock = processor.resolver.clock
    author = await _author(conn, processor, document.attributed_to, budget)
    text = post_text(document, raw)
    parent = document.in_reply_to
    if parent is None:
        forum_id = mirror_forum
        if forum_id is None:
            group = next((g for g in [document.audience, *document.to] if g and _is_our_forum(processor, g)), None)
            if group is None:
                raise ActivityRejected(reason="a new thread must be addressed to one of this node's forums")
            forum_id = (await forums.access_forum(conn, group.rsplit("/", 1)[1], viewer=None)).id
        await forums.accept_remote_thread(conn, clock=clock, author=author, forum_id=forum_id,
                                          title=document.name or text.source[:80], text=text,
                                          notify=notify)  # fmt: skip
        return
    post_id, thread_id = await _locate(conn, processor.outbox.base_url, parent)
    if thread_id is None and mirror_forum is not None:
        # Deliveries race: a reply can arrive before the post it answers (sent in the same batch, or retried with
        # jitter). Fetch the parent from its origin first, as Mastodon and Lemmy do; the budget bounds the chain.
        parent_document, parent_raw = await _verified_post(processor, parent, budget)
        await _create_post(conn, processor, parent_document, parent_raw, budget, mirror_forum=mirror_forum)
        post_id, thread_id = await _locate(conn, processor.outbox.base_url, parent)
    if thread_id is None:
        raise ActivityRejected(reason="the post it replies to is not on this node")
    opening = await forums.thread_page(conn, thread_id=thread_id, viewer=None, limit=1)
    reply_to = post_id if post_id != opening.posts[0].id else None
    post = await forums.accept_remote_post(conn, clock=clock, author=author, thread_id=thread_id,
                                           reply_to_id=reply_to, text=text)  # fmt: skip
    added = _added.get()
    if added is not None:
        added.append((post.thread_id, post.id))


def _is_our_forum(processor: Processor, uri: str) -> bool:
    target = _local_target(processor.outbox.base_url, uri)
    return target is not None and target[0] == "f"


async def _edit_post(conn: asyncpg.Connection, processor: Processor, document: Post, raw: dict[str, Any],
                     budget: FetchBudget) -> None:  # fmt: skip
    post_id, _ = await _locate(conn, processor.outbox.base_url, document.id)
    if post_id is None:
        return
    author = await _author(conn, processor, document.attributed_to, budget)
    await forums.accept_remote_edit(conn, clock=processor.resolver.clock, author=author, post_id=post_id,
                                    text=post_text(document, raw))  # fmt: skip


async def _create(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                  raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    document = activity.object
    if not isinstance(document, Post) or not isinstance(raw.get("object"), dict):
        return  # we only take posts, embedded
    if document.attributed_to != actor.uri:
        raise ActivityRejected(reason="the post is not attributed to the actor who sent it")
    if activity.type == "Create":
        if not await _told_to_followers(conn, processor, actor, document, raw["object"]):
            await _create_post(conn, processor, document, raw["object"], budget, mirror_forum=None)
    elif document.comments_enabled is not None and actor.forum_id is not None:
        await _lock(conn, processor, actor, document)
    else:
        await _edit_post(conn, processor, document, raw["object"], budget)


async def _told_to_followers(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, document: Post,
                             raw: dict[str, Any]) -> bool:  # fmt: skip
    """A public post, sent directly, by a person or organization the node follows for its members
    (`federation/follows.py`), that has no place on this node: a thread in a forum of another server (or a Mastodon
    status, in no forum), a reply to something we do not hold. Its followers here are told, with a link to it on its
    server; nothing of it is stored. True when it was handled so (or will come in its forum's Announce, a forum we
    mirror and follow); False when it is a post like any other (`_create_post` takes or refuses it)."""
    if actor.forum_id is not None or await peers.following_state(conn, actor) != "accepted":
        return False
    if not document.is_public or processor.resolver.is_local(document.id):
        return False
    if (await forums.find_remote(conn, document.id))[0] is not None:
        return False
    base = processor.outbox.base_url
    if document.in_reply_to is None:
        if any(_is_our_forum(processor, g) for g in [document.audience, *document.to] if g):
            return False
    elif (await _locate(conn, base, document.in_reply_to))[1] is not None:
        return False
    for uri in {g for g in [document.audience, *document.to] if g and not processor.resolver.is_local(g)}:
        group = await peers.actor_by_uri(conn, uri)
        if group is not None and group.forum_id is not None and await peers.following_state(conn, group) == "accepted":
            return True  # the Group relays it to us too (FEP-1b12): it lands in the mirror and is told from there
    author = await peers.author_account(conn, actor, clock=processor.resolver.clock)
    url = raw.get("url")
    if not (isinstance(url, str) and url.startswith(("https://", "http://")) and host_of(url) == actor.host):
        url = document.id  # Mastodon's `url` is the status's page; a deliberate node serves its page at the id
    title = document.name or remote_text(document.content or "")[0].split("\n", 1)[0][:120]
    await notifications.notify_remote_post(conn, clock=processor.resolver.clock, remote_actor_id=actor.id,
                                           author_id=author, title=title, url=url)  # fmt: skip
    return True


async def _lock(conn: asyncpg.Connection, processor: Processor, group: RemoteActor, document: Post) -> None:
    _, thread_id = await forums.find_remote(conn, document.id)
    if thread_id is None:
        return
    forum, _ = await forums.access_thread(conn, thread_id, viewer=None)
    if forum.id != group.forum_id:
        raise ActivityRejected(reason="a forum can only close its own threads")
    await forums.accept_remote_lock(conn, clock=processor.resolver.clock, thread_id=thread_id,
                                    locked=not document.comments_enabled)  # fmt: skip


async def _update(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                  raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    document = activity.object
    if isinstance(document, Actor) and document.id == actor.uri:
        # The actor's own new document (a new name or rotated keys), authenticated by its HTTP signature: taken
        # as sent, as Mastodon does, rather than fetched again.
        await peers.remember_actor(conn, actor_fields(document), clock=processor.resolver.clock)
        return
    if isinstance(document, Post) and actor.forum_id is not None and document.comments_enabled is not None:
        await _lock(conn, processor, actor, document)  # the forum's Group closing or reopening a thread
        return
    await _create(conn, processor, actor, activity, raw, budget)


async def _delete(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                  raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    if activity.object_id == actor.uri:
        # A person deleting their own account (Mastodon and deliberate send this): the signer is the actor itself.
        # Likewise a Group deleting itself: a forum we mirror.
        await _actor_deleted(conn, processor, actor)
        return
    post_id, _ = await forums.find_remote(conn, activity.object_id or "")
    if post_id is None:
        return
    author = await _deleting_author(conn, processor, actor.uri, budget)
    if author is None:
        return
    await forums.accept_remote_delete(conn, clock=processor.resolver.clock, author=author, post_id=post_id)


async def _actor_deleted(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor) -> None:
    await peers.actor_deleted(conn, actor, clock=processor.resolver.clock)
    await notifications.forget_deleted_actor(conn, remote_actor_id=actor.id)
    if actor.forum_id is not None:  # a forum we mirror: its mirror stays readable, but nobody follows it any more
        await notifications.forget_deleted_forum(conn, forum_id=actor.forum_id)


async def _group_restored(conn: asyncpg.Connection, processor: Processor, group: RemoteActor,
                          budget: FetchBudget) -> None:  # fmt: skip
    """The Undo of a Group's deletion, verified as its Delete was (`_undo`: the Group's own, signed by it;
    `_announce`: someone of its server's, announced by the Group): a Lemmy moderator or admin restoring a community
    sends that UndoDelete. The word of the Undo alone does not restore the mirror: the Group is fetched again from
    its server, which must serve it as a Group again (while it is deleted Lemmy answers 410 Gone with a Tombstone,
    and the fetch fails, for good). Its copy here becomes that Group again, and its mirror takes posts again.

    `peers.group_restored` brings back what the deletion ended for the Group: its shadow account, and the node's
    Follow when members here follow the mirror (those who followed it while it was deleted). The members'
    subscriptions that the deletion ended (`notifications.forget_deleted_forum`) stay ended, since nobody chose to
    follow the forum again and notices would arrive unasked; the next member to follow it makes the node follow the
    Group again (`peers.follow_mirror_again`)."""
    if group.forum_id is None or group.type != "Tombstone":
        return  # not a forum mirrored here, or not deleted here (a repeat, or its copy was fetched again already)
    try:
        document = parse_document(await processor.resolver.document(group.uri, budget=budget))
    except UnsupportedDocument as exc:
        raise ActivityRejected(reason=f"the restored forum's document: {exc}") from None
    if not isinstance(document, Actor) or document.id != group.uri or document.type != "Group":
        raise ActivityRejected(reason="the forum's server does not serve it as a Group again")
    restored = await peers.remember_actor(conn, actor_fields(document), clock=processor.resolver.clock)
    await peers.group_restored(conn, restored)


def _undoes_deletion_of(group: RemoteActor, inner: Any) -> bool:
    """Whether `inner`, announced by `group`, is the Undo of a Delete of the Group by someone of its own server: how
    Lemmy restores a community (the moderator's, or an admin's, UndoDelete, announced by the community). The same
    test as for the Delete it undoes (`_announce`)."""
    if not isinstance(inner, dict) or inner.get("type") != "Undo":
        return False
    try:
        undo = parse_document(inner)
    except UnsupportedDocument:
        return False
    if not isinstance(undo, Activity) or not isinstance(undo.object, Activity):
        return False
    undone = undo.object
    return (undone.type == "Delete" and undone.object_id == group.uri and undone.actor == undo.actor
            and host_of(undo.actor) == group.host)  # fmt: skip


async def _verified_post(processor: Processor, raw: Any, budget: FetchBudget) -> tuple[Post, dict[str, Any]]:
    """A post relayed by someone else: proven by its author's FEP-8b32 proof, or fetched again from its origin."""
    if isinstance(raw, dict):
        document = parse_document(raw)
        if isinstance(document, Post) and host_of(document.id) == host_of(document.attributed_to):
            try:
                await _check_proof(processor, raw, document.attributed_to, budget)
                return document, raw
            except (SignatureError, ActivityRejected):
                pass  # fall back to the origin's copy
        uri = raw.get("id")
    else:
        uri = raw
    if not isinstance(uri, str):
        raise ActivityRejected(reason="the relayed object has no id")
    fetched = await processor.resolver.document(uri, budget=budget)
    document = parse_document(fetched)
    if not isinstance(document, Post) or host_of(document.attributed_to) != host_of(document.id):
        raise ActivityRejected(reason="the relayed object is not a post by someone on its own server")
    return document, fetched


async def _check_proof(processor: Processor, raw: dict[str, Any], author_uri: str, budget: FetchBudget) -> None:
    author = await processor.resolver.actor(author_uri, budget=budget)
    keys = {k["id"]: k["publicKeyMultibase"] for k in author.assertion_keys}
    proofs = proofs_of(raw)
    for proof in proofs:
        method = proof.get("verificationMethod")
        if method not in keys:
            raise ActivityRejected(reason="the proof is not by the post's author")
        verify_proof(raw, proof, ed25519_public_key_from_multibase(keys[method]))


async def _announce(conn: asyncpg.Connection, processor: Processor, group: RemoteActor, activity: Activity,
                    raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    if group.forum_id is not None and _undoes_deletion_of(group, raw.get("object")):
        # Taken although the node no longer follows the Group: its Follow ended when the Group was deleted, and
        # Lemmy still announces to the followers it had.
        await _group_restored(conn, processor, group, budget)
        return
    if group.forum_id is None or await peers.following_state(conn, group) != "accepted":
        return  # an Announce from someone whose forum we do not follow (e.g. a Mastodon boost): not for us
    inner = raw.get("object")
    resolver = processor.resolver
    if isinstance(inner, str) or (isinstance(inner, dict) and inner.get("type") in POST_TYPES):
        # A new post is announced as the post itself, embedded or by id: what Mastodon can resolve (it looks the
        # announced id up as a status) and what Lemmy also sends.
        uri = inner if isinstance(inner, str) else str(inner.get("id", ""))
        if resolver.is_local(uri):
            return
        document, verified = await _verified_post(processor, inner, budget)
        await _create_post(conn, processor, document, verified, budget, mirror_forum=group.forum_id)
        return
    if not isinstance(inner, dict):
        return
    if inner.get("type") == "Lock" or (inner.get("type") == "Undo" and _type_of(inner.get("object")) == "Lock"):
        await _relayed_lock(conn, processor, group, inner)
        return
    inner_object = inner.get("object")
    inner_object_id = inner_object.get("id") if isinstance(inner_object, dict) else inner_object
    if resolver.is_local(str(inner.get("actor", ""))) or (
        inner.get("type") in ("Create", "Update") and resolver.is_local(str(inner_object_id or ""))
    ):
        return  # what our own members did, coming back from the forum's server: we have it already
    kind = inner.get("type")
    if kind in ("Create", "Update"):
        document, verified = await _verified_post(processor, inner.get("object"), budget)
        if kind == "Create":
            await _create_post(conn, processor, document, verified, budget, mirror_forum=group.forum_id)
        else:
            await _edit_post(conn, processor, document, verified, budget)
        return
    try:
        relayed = parse_document(inner)
    except UnsupportedDocument:
        return
    if not isinstance(relayed, Activity) or kind not in ("Delete", "Like", "Undo"):
        return
    target = relayed.object_id or ""
    if kind == "Delete" and target == group.uri and host_of(relayed.actor) == group.host:
        # Lemmy deletes a community (and an admin there removes one) with a moderator's Delete of it, announced by
        # the community to its followers: the Group is gone as surely as by its own Delete.
        await _actor_deleted(conn, processor, group)
        return
    undone = relayed.object.type if kind == "Undo" and isinstance(relayed.object, Activity) else None
    if undone in ("Like", "Delete"):
        target = relayed.object.object_id or "" if isinstance(relayed.object, Activity) else ""
    post_id, thread_id = await _locate(conn, processor.outbox.base_url, target)
    if post_id is None or thread_id is None:
        return
    forum, _ = await forums.access_thread(conn, thread_id, viewer=None)
    if forum.id != group.forum_id:
        raise ActivityRejected(reason="a forum can only relay what happens in its own threads")
    if kind == "Delete" or undone == "Delete":
        view = await forums.federation_view(conn, post_id)
        if view is None:
            return  # its author's server is blocked here: nothing of it is shown
        if kind == "Delete" and relayed.actor == await outbox_author_uri(conn, processor.outbox.base_url, view):
            author = await _deleting_author(conn, processor, relayed.actor, budget)
            if author is None:
                return
            await forums.accept_remote_delete(conn, clock=processor.resolver.clock, author=author, post_id=post_id)
            return
        # Anyone else's Delete is a removal by the forum's moderators (as Lemmy tells them apart): only someone of
        # the forum's own server (a moderator there, or the Group itself) may make it, and it hides our copy.
        if host_of(relayed.actor) != group.host:
            raise ActivityRejected(reason="only the forum's own server removes its posts")
        removal = inner if kind == "Delete" else inner.get("object")
        summary = removal.get("summary") if isinstance(removal, dict) else None
        await moderation.accept_remote_removal(conn, clock=processor.resolver.clock, post_id=post_id,
                                               removed=kind == "Delete",
                                               reason=summary if isinstance(summary, str) else "")  # fmt: skip
    else:
        await _support(conn, processor, relayed.actor, target, present=kind == "Like", budget=budget)


def _type_of(value: Any) -> str | None:
    return value.get("type") if isinstance(value, dict) else None


async def _relayed_lock(conn: asyncpg.Connection, processor: Processor, group: RemoteActor,
                        inner: dict[str, Any]) -> None:  # fmt: skip
    """Lemmy closes a thread with Lock (and reopens it with Undo{Lock}), announced by the community."""
    lock = inner if inner.get("type") == "Lock" else inner["object"]
    page = lock.get("object")
    page_id = page.get("id") if isinstance(page, dict) else page
    # The thread may be one a member of ours started in that forum: its Page is ours, and so is its id.
    _, thread_id = await _locate(conn, processor.outbox.base_url, str(page_id or ""))
    if thread_id is None:
        return
    forum, _ = await forums.access_thread(conn, thread_id, viewer=None)
    if forum.id != group.forum_id:
        raise ActivityRejected(reason="a forum can only close its own threads")
    await forums.accept_remote_lock(conn, clock=processor.resolver.clock, thread_id=thread_id,
                                    locked=inner.get("type") == "Lock")  # fmt: skip


async def _flag(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    """A report from another server about posts here (Mastodon sends it from its instance actor): it enters our
    moderation queue like a local report, from the sender's shadow account, with the reason it gave."""
    objects = raw.get("object")
    uris = [u for u in (objects if isinstance(objects, list) else [objects]) if isinstance(u, str)]
    reporter = await _author(conn, processor, actor.uri, budget)
    text = (activity.content or "").strip()[:REASON_MAX] or f"Reported from {actor.host}"
    for uri in uris[:20]:
        post_id, _ = await _locate(conn, processor.outbox.base_url, uri)
        if post_id is None:
            continue
        try:
            async with conn.transaction():
                await moderation.report_post(conn, clock=processor.resolver.clock, actor=reporter, post_id=post_id,
                                             data={"reason": "other", "text": text})  # fmt: skip
        except DomainError as exc:  # already reported, already hidden, deleted: nothing more to do
            log.info("flag of %s from %s not filed: %s", uri, actor.host, exc)


async def _block(conn: asyncpg.Connection, processor: Processor, actor: RemoteActor, activity: Activity,
                 raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    """A server says it blocked us (its node actor blocks ours, or our host)."""
    target = activity.object_id or ""
    if target.rstrip("/") in (processor.outbox.base_url, f"{processor.outbox.base_url}/actor"):
        await peers.blocked_by(conn, actor.host)


HANDLERS = {
    "Follow": _follow,
    "Accept": _answer,
    "Reject": _answer,
    "Undo": _undo,
    "Like": _like,
    "Create": _create,
    "Update": _update,
    "Delete": _delete,
    "Announce": _announce,
    "Flag": _flag,
    "Block": _block,
}
HANDLERS.update(coalition_exchange.handlers(HANDLERS))  # Invite, Leave, Add; coalition Accept/Reject/Announce
HANDLERS.update(consultation_exchange.handlers(HANDLERS))  # consultations and responses in Create/Update; Follow

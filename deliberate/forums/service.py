"""Forum use cases: categories and organization forums, threads, replies, edits, deletions, reactions, search.

The rules for who may read and write live here once, shared by the web pages, the JSON API and (with federation)
the inbox: a members-only forum does not exist for anyone outside its organization (NotFound, so its existence does
not leak); posting as an organization needs an admin of it; a locked thread takes no replies; a deleted post takes
no replies and no edits; the mirror of a forum that its own server deleted is read-only (`_check_not_deleted_at_origin`:
no new threads, replies, edits nor reactions, from here or from elsewhere, and its threads are neither closed nor
reopened; its members may still delete their own posts). Replies lock their thread row, so a lock and a reply racing
each other are ordered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    ForumDeletedAtOrigin,
    InvalidInput,
    NotAuthor,
    NotForumMember,
    NotFound,
    NotModerator,
    NotOperator,
    NotOrganizationAdmin,
    PostDeleted,
    ThreadLocked,
)
from deliberate.events import record_event
from deliberate.forums import queries
from deliberate.forums.markup import render_markdown
from deliberate.forums.model import REACTIONS, Forum, ForumForm, Post, PostForm, Revision, SearchHit, Thread, ThreadForm
from deliberate.moderation import queries as moderation_queries
from deliberate.moderation.model import REASON_MAX
from deliberate.notifications import service as notifications
from deliberate.organizations import queries as org_queries
from deliberate.organizations import service as organizations
from deliberate.organizations.model import ADMIN_ROLES, free_slug
from deliberate.validation import parse

THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 50
SEARCH_HITS_PER_PAGE = 20


@dataclass(frozen=True)
class RemoteText:
    """A post that arrived from another server: its ActivityPub id, the object as received (proof included, so a
    forum Group can relay it verbatim), and its text made safe by our own rules."""

    ap_id: str
    ap_object: dict[str, Any]
    source: str
    html: str
    published: datetime


@dataclass(frozen=True)
class ThreadPage:
    forum: Forum
    thread: Thread
    posts: list[Post]
    next_after: int | None


async def _unique_slug(conn: asyncpg.Connection, name: str) -> str:
    slug = await free_slug(name, lambda candidate: queries.forum_slug_exists(conn, candidate))
    return slug


async def create_category(conn: asyncpg.Connection, *, clock: Clock, actor: Account, data: Mapping[str, Any]) -> Forum:
    """A node-wide category; only operators create them, and they are always public."""
    if not actor.has_role("operator"):
        raise NotOperator()
    form = parse(ForumForm, {**data, "visibility": "public"})
    forum_id = await queries.insert_forum(
        conn,
        slug=await _unique_slug(conn, form.name),
        name=form.name,
        description=form.description,
        organization_id=None,
        visibility="public",
        created_by=actor.id,
        now=clock.now(),
    )
    await record_event(conn, "forum_created", {"forum_id": forum_id, "by": actor.id})
    return await _forum(conn, forum_id)


async def open_public_forum(
    conn: asyncpg.Connection, *, clock: Clock, created_by: Account, name: str, description: str, listed: bool = True
) -> Forum:
    """A node-wide public forum opened by another area's use case (a budget process's discussion forum). The
    caller has already checked who may do that, so this does not ask for an operator. An unlisted forum is left out
    of the forum index: it is reached from what it belongs to."""
    form = parse(ForumForm, {"name": name[:120], "description": description[:2000], "visibility": "public"})
    forum_id = await queries.insert_forum(
        conn,
        slug=await _unique_slug(conn, form.name),
        name=form.name,
        description=form.description,
        organization_id=None,
        visibility="public",
        created_by=created_by.id,
        now=clock.now(),
        listed=listed,
    )
    await record_event(conn, "forum_created", {"forum_id": forum_id, "by": created_by.id})
    return await _forum(conn, forum_id)


async def create_organization_forum(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, organization_slug: str, data: Mapping[str, Any]
) -> Forum:
    org = await organizations.access_organization(conn, organization_slug)
    membership = await org_queries.get_membership(conn, org.id, actor.id)
    if membership is None or membership.role not in ADMIN_ROLES:
        raise NotOrganizationAdmin()
    form = parse(ForumForm, data)
    forum_id = await queries.insert_forum(
        conn,
        slug=await _unique_slug(conn, f"{org.slug}-{form.name}"),
        name=form.name,
        description=form.description,
        organization_id=org.id,
        visibility=form.visibility,
        created_by=actor.id,
        now=clock.now(),
    )
    await record_event(conn, "forum_created", {"forum_id": forum_id, "by": actor.id, "organization_id": org.id})
    return await _forum(conn, forum_id)


async def _forum(conn: asyncpg.Connection, forum_id: int) -> Forum:
    forum = await queries.get_forum_by_id(conn, forum_id)
    if forum is None:
        raise NotFound()
    return forum


async def _is_member(conn: asyncpg.Connection, forum: Forum, viewer: Account | None) -> bool:
    if viewer is None or forum.organization_id is None:
        return False
    return await org_queries.get_membership(conn, forum.organization_id, viewer.id) is not None


async def _check_can_read(conn: asyncpg.Connection, forum: Forum, viewer: Account | None) -> None:
    if forum.visibility == "members" and not await _is_member(conn, forum, viewer):
        raise NotFound()  # members-only forums do not exist for outsiders


async def access_forum(conn: asyncpg.Connection, slug: str, *, viewer: Account | None) -> Forum:
    forum = await queries.get_forum_by_slug(conn, slug)
    if forum is None:
        raise NotFound()
    await _check_can_read(conn, forum, viewer)
    return forum


async def forum_by_id(conn: asyncpg.Connection, forum_id: int) -> Forum:
    """A forum whatever its visibility; for the federation layer, which applies its own rules on what leaves."""
    return await _forum(conn, forum_id)


async def list_forums(conn: asyncpg.Connection, *, viewer: Account | None) -> list[Forum]:
    return await queries.list_forums_visible_to(conn, viewer.id if viewer else None)


async def forum_threads(
    conn: asyncpg.Connection, *, forum: Forum, before: tuple[datetime, int] | None = None, limit: int = THREADS_PER_PAGE
) -> list[Thread]:
    return await queries.list_threads(conn, forum.id, before=before, limit=min(max(limit, 1), 100))


_check_can_write = accounts.check_can_act


async def _check_can_post(conn: asyncpg.Connection, forum: Forum, actor: Account) -> None:
    await _check_can_read(conn, forum, actor)
    if forum.visibility == "members" and not await _is_member(conn, forum, actor):
        raise NotForumMember()
    _check_not_deleted_at_origin(forum)


def _check_not_deleted_at_origin(forum: Forum) -> None:
    """A mirror whose Group its server deleted is read-only: what is written here (a thread, a reply, an edit, a
    reaction, whose support goes out as a Like) would go to a Group that no longer exists. Lemmy refuses the same in
    a deleted community (check_community_deleted_or_removed: posts, comments, their edits and votes, local or
    received); the threads stay readable. The same rule for what arrives from other servers: the mirror stays as
    its server left it."""
    if forum.deleted_at_origin:
        raise ForumDeletedAtOrigin()


async def _speaking_for(conn: asyncpg.Connection, actor: Account, organization_slug: str | None) -> int | None:
    """The organization a post is made in the name of; only its admins may speak for it."""
    if not organization_slug:
        return None
    org = await organizations.access_organization(conn, organization_slug)
    membership = await org_queries.get_membership(conn, org.id, actor.id)
    if membership is None or membership.role not in ADMIN_ROLES:
        raise NotOrganizationAdmin(field="as_organization")
    return org.id


async def start_thread(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account | None,
    forum_slug: str,
    data: Mapping[str, Any],
    as_organization: str | None = None,
) -> Thread:
    author = _check_can_write(actor, clock)
    form = parse(ThreadForm, data)
    forum = await access_forum(conn, forum_slug, viewer=author)
    await _check_can_post(conn, forum, author)
    org_id = await _speaking_for(conn, author, as_organization)
    return await _open_thread(conn, clock=clock, forum=forum, author=author, title=form.title, org_id=org_id,
                              source=form.body, html=render_markdown(form.body), now=clock.now())  # fmt: skip


async def _open_thread(
    conn: asyncpg.Connection, *, clock: Clock, forum: Forum, author: Account, title: str, org_id: int | None,
    source: str, html: str, now: datetime, remote: RemoteText | None = None, notify: bool = True,
) -> Thread:  # fmt: skip
    """A thread and its opening post, its event and its notices: the same for a local and a remote thread.
    `notify=False` (an old remote thread brought by a backfill) leaves out the notices."""
    thread_id = await queries.insert_thread(
        conn, forum_id=forum.id, title=title, author_id=author.id, as_organization_id=org_id, now=now,
        ap_id=remote.ap_id if remote else None,
    )  # fmt: skip
    post_id = await queries.insert_post(
        conn, thread_id=thread_id, author_id=author.id, as_organization_id=org_id, reply_to_id=None, source=source,
        html=html, now=now, ap_object=remote.ap_object if remote else None,
    )  # fmt: skip
    await record_event(
        conn, "thread_started", {"thread_id": thread_id, "post_id": post_id, "forum_id": forum.id, "by": author.id}
    )
    if notify:
        await notifications.notify_post(
            conn, clock=clock, kind="new_thread", post_id=post_id, thread_id=thread_id, forum_id=forum.id,
            forum_organization_id=forum.organization_id, forum_members_only=forum.visibility == "members",
            as_organization_id=org_id, author_id=author.id,
        )  # fmt: skip
    thread = await queries.get_thread(conn, thread_id)
    assert thread is not None
    return thread


async def access_thread(conn: asyncpg.Connection, thread_id: int, *, viewer: Account | None) -> tuple[Forum, Thread]:
    thread = await queries.get_thread(conn, thread_id)
    if thread is None:
        raise NotFound()
    forum = await _forum(conn, thread.forum_id)
    await _check_can_read(conn, forum, viewer)
    return forum, thread


async def thread_page(
    conn: asyncpg.Connection, *, thread_id: int, viewer: Account | None, after_id: int | None = None,
    limit: int = POSTS_PER_PAGE,
) -> ThreadPage:  # fmt: skip
    forum, thread = await access_thread(conn, thread_id, viewer=viewer)
    limit = min(max(limit, 1), 200)
    posts = await queries.list_posts(conn, thread.id, after_id=after_id, limit=limit + 1)
    next_after = posts[limit - 1].id if len(posts) > limit else None
    return ThreadPage(forum, thread, posts[:limit], next_after)


async def reply(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    actor: Account | None,
    thread_id: int,
    data: Mapping[str, Any],
    reply_to_id: int | None = None,
    as_organization: str | None = None,
) -> Post:
    author = _check_can_write(actor, clock)
    form = parse(PostForm, data)
    return await _add_reply(
        conn, clock=clock, author=author, thread_id=thread_id, reply_to_id=reply_to_id,
        as_organization=as_organization, source=form.body, html=render_markdown(form.body),
    )  # fmt: skip


ReplyRule = Callable[[asyncpg.Connection, Clock, Account, Thread], Awaitable[None]]
_reply_rules: list[ReplyRule] = []


def add_reply_rule(rule: ReplyRule) -> None:
    """Let another area add a rule for replies to the threads it owns (a consultation's section threads take comments
    only while it is open, and only from its audience). The rule raises a domain error to refuse. It runs inside
    every reply, whether written on the thread page, through the API, from the owner's own page or arriving from
    another server, so no way round it exists; the owning area registers it when it is imported, and no thread of
    its kind can exist without that import."""
    if rule not in _reply_rules:
        _reply_rules.append(rule)


async def _add_reply(
    conn: asyncpg.Connection, *, clock: Clock, author: Account, thread_id: int, reply_to_id: int | None,
    as_organization: str | None, source: str, html: str, remote: RemoteText | None = None,
) -> Post:  # fmt: skip
    """Every rule a reply obeys, whether a member wrote it here or it arrived from another server."""
    forum, _ = await access_thread(conn, thread_id, viewer=author)
    thread = await queries.get_thread(conn, thread_id, for_update=True)
    assert thread is not None
    if thread.locked:
        raise ThreadLocked()
    for rule in _reply_rules:
        await rule(conn, clock, author, thread)
    await _check_can_post(conn, forum, author)
    if reply_to_id is not None:
        quoted = await queries.get_post(conn, reply_to_id)
        if quoted is None or quoted.thread_id != thread.id:
            raise InvalidInput(field="reply_to", message=N_("The post you are replying to is not in this thread."))
        if quoted.deleted:
            raise PostDeleted(field="reply_to")
    org_id = await _speaking_for(conn, author, as_organization)
    post_id = await queries.insert_post(
        conn,
        thread_id=thread.id,
        author_id=author.id,
        as_organization_id=org_id,
        reply_to_id=reply_to_id,
        source=source,
        html=html,
        now=remote.published if remote else clock.now(),
        ap_id=remote.ap_id if remote else None,
        ap_object=remote.ap_object if remote else None,
    )
    await record_event(conn, "post_created", {"post_id": post_id, "thread_id": thread.id, "by": author.id})
    await notifications.notify_post(
        conn, clock=clock, kind="reply", post_id=post_id, thread_id=thread.id, forum_id=forum.id,
        forum_organization_id=forum.organization_id, forum_members_only=forum.visibility == "members",
        as_organization_id=org_id, author_id=author.id,
    )  # fmt: skip
    post = await queries.get_post(conn, post_id)
    assert post is not None
    return post


async def _own_live_post(conn: asyncpg.Connection, actor: Account, post_id: int, clock: Clock) -> tuple[Forum, Post]:
    _check_can_write(actor, clock)
    post = await queries.get_post(conn, post_id, for_update=True)
    if post is None:
        raise NotFound()
    forum, _ = await access_thread(conn, post.thread_id, viewer=actor)
    if post.author_id != actor.id:
        raise NotAuthor()
    if post.deleted:
        raise PostDeleted()
    return forum, post


async def edit_post(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, post_id: int, data: Mapping[str, Any]
) -> Post:
    """The author changes a post; the earlier text stays visible as a revision."""
    form = parse(PostForm, data)
    forum, post = await _own_live_post(conn, actor, post_id, clock)
    _check_not_deleted_at_origin(forum)
    if form.body != post.source:
        await queries.update_post_text(
            conn, post.id, old_source=post.source, source=form.body, html=render_markdown(form.body), now=clock.now()
        )
        await record_event(conn, "post_edited", {"post_id": post.id, "by": actor.id})
    edited = await queries.get_post(conn, post.id)
    assert edited is not None
    return edited


async def delete_post(conn: asyncpg.Connection, *, clock: Clock, actor: Account, post_id: int) -> None:
    """The author erases a post. Allowed in a mirror whose Group its server deleted too: it only takes away what
    was written. Its Delete is still queued by the outbox (`post_deleted`), to that Group's inbox and to the
    author's own followers, and that is harmless: Lemmy keeps a deleted community's posts (it brings them back if
    the community is restored), so its server erasing its copy of the author's post is what the author asked for;
    a server that refuses it answers 4xx, and the delivery gives up without retrying."""
    _, post = await _own_live_post(conn, actor, post_id, clock)
    await queries.tombstone_post(conn, post.id, now=clock.now())
    await record_event(conn, "post_deleted", {"post_id": post.id, "by": actor.id})


async def post_history(
    conn: asyncpg.Connection, *, viewer: Account | None, post_id: int
) -> tuple[Post, list[Revision]]:
    post = await queries.get_post(conn, post_id)
    if post is None:
        raise NotFound()
    await access_thread(conn, post.thread_id, viewer=viewer)
    if post.hidden_at is not None:
        return post, []  # a hidden post's earlier texts are hidden with it
    return post, await queries.list_revisions(conn, post.id)


async def react(conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, post_id: int, kind: str) -> bool:
    """Toggle a reaction; True when the reaction is now there."""
    author = _check_can_write(actor, clock)
    if kind not in REACTIONS:
        raise InvalidInput(field="kind", message=N_("Please choose one of the options."))
    post = await queries.get_post(conn, post_id)
    if post is None:
        raise NotFound()
    forum, _ = await access_thread(conn, post.thread_id, viewer=author)
    if post.deleted:
        raise PostDeleted()
    _check_not_deleted_at_origin(forum)  # the support reaction, or taking it back, would be a Like or its Undo
    present = await queries.toggle_reaction(conn, post.id, author.id, kind=kind, now=clock.now())
    await record_event(
        conn, "reaction_added" if present else "reaction_removed", {"post_id": post.id, "by": author.id, "kind": kind}
    )
    return present


async def set_thread_locked(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, thread_id: int, locked: bool, reason: str = ""
) -> None:
    """Moderators lock any thread; organization admins lock threads in their organization's forums.

    Each change is an entry in the public moderation log. `reason` is required by the moderation pages
    (`moderation.service.lock_thread`); the thread page's close button sends none, and the log says so.
    Locking a locked thread (or reopening an open one) changes nothing and logs nothing. Refused in a mirror whose
    Group its server deleted (ForumDeletedAtOrigin, after the moderator check): it is read-only to the end, and a
    thread there neither takes replies nor would take them when reopened. Lemmy refuses a lock in a deleted
    community too (check_community_mod_action without allow_deleted).
    """
    _check_can_write(actor, clock)
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(field="reason", message=N_("Please write at most %(max_length)s characters."),
                           max_length=REASON_MAX)  # fmt: skip
    forum, _ = await access_thread(conn, thread_id, viewer=actor)
    allowed = actor.has_role("moderator")
    if not allowed and forum.organization_id is not None:
        membership = await org_queries.get_membership(conn, forum.organization_id, actor.id)
        allowed = membership is not None and membership.role in ADMIN_ROLES
    if not allowed:
        raise NotModerator()
    _check_not_deleted_at_origin(forum)
    thread = await queries.get_thread(conn, thread_id, for_update=True)
    assert thread is not None
    if thread.locked == locked:
        return
    now = clock.now()
    await queries.set_thread_lock(conn, thread_id, by=actor.id if locked else None, now=now if locked else None)
    await moderation_queries.insert_action(
        conn, actor_id=actor.id, kind="lock_thread" if locked else "unlock_thread", reason=reason, now=now,
        thread_id=thread_id, account_id=thread.author_id,
    )  # fmt: skip
    await record_event(conn, "thread_locked" if locked else "thread_unlocked", {"thread_id": thread_id, "by": actor.id})


async def search(
    conn: asyncpg.Connection,
    *,
    viewer: Account | None,
    query: str,
    limit: int = SEARCH_HITS_PER_PAGE,
    before: int | None = None,
) -> list[SearchHit]:
    """Posts the viewer may read that match `query`, newest first; the next page starts `before` the last post id."""
    query = query.strip()[:200]
    if not query:
        return []
    return await queries.search_posts(
        conn, query=query, account_id=viewer.id if viewer else None, limit=limit, before=before
    )


async def threads_of_organization(
    conn: asyncpg.Connection, *, organization_id: int, viewer: Account | None, limit: int = 20
) -> list[Thread]:
    return await queries.list_threads_started(
        conn, organization_id=organization_id, account_id=viewer.id if viewer else None, limit=limit
    )


async def threads_of_member(
    conn: asyncpg.Connection, *, author_id: int, viewer: Account | None, limit: int = 20
) -> list[Thread]:
    return await queries.list_threads_started(
        conn, author_id=author_id, account_id=viewer.id if viewer else None, limit=limit
    )


@dataclass(frozen=True)
class PostInThread:
    forum: Forum
    thread: Thread
    post: Post
    opening_post_id: int

    @property
    def is_opening(self) -> bool:
        return self.post.id == self.opening_post_id


async def access_post(conn: asyncpg.Connection, *, post_id: int, viewer: Account | None) -> PostInThread:
    """A post with its thread and forum, for whoever may read the forum (NotFound otherwise)."""
    post = await queries.get_post(conn, post_id)
    if post is None:
        raise NotFound()
    forum, thread = await access_thread(conn, post.thread_id, viewer=viewer)
    opening = await queries.get_opening_post_id(conn, thread.id)
    assert opening is not None
    return PostInThread(forum, thread, post, opening)


# Content from other servers. Each entry point applies the rules a local member meets (a locked thread refuses a
# remote reply exactly as it refuses a local one); `author` is the remote actor's shadow account.


async def find_remote(conn: asyncpg.Connection, ap_id: str) -> tuple[int | None, int | None]:
    """(post id, thread id) of the object with this ActivityPub id, when we hold it."""
    return await queries.find_by_ap_id(conn, ap_id)


async def accept_remote_thread(
    conn: asyncpg.Connection, *, clock: Clock, author: Account, forum_id: int, title: str, text: RemoteText,
    notify: bool = True,
) -> Thread:  # fmt: skip
    """A thread from another server; `notify=False` when it is not new, only newly brought here (a backfill)."""
    _check_can_write(author, clock)
    parse(ThreadForm, {"title": title, "body": text.source or "."})  # the same bounds as a thread written here
    forum = await _forum(conn, forum_id)
    await _check_can_post(conn, forum, author)
    return await _open_thread(conn, clock=clock, forum=forum, author=author, title=title.strip(), org_id=None,
                              source=text.source, html=text.html, now=text.published, remote=text,
                              notify=notify)  # fmt: skip


async def accept_remote_post(
    conn: asyncpg.Connection, *, clock: Clock, author: Account, thread_id: int, reply_to_id: int | None,
    text: RemoteText,
) -> Post:  # fmt: skip
    """A reply from another server: shares every rule with `reply` (through `_add_reply`)."""
    _check_can_write(author, clock)
    parse(PostForm, {"body": text.source or "."})
    return await _add_reply(
        conn, clock=clock, author=author, thread_id=thread_id, reply_to_id=reply_to_id, as_organization=None,
        source=text.source, html=text.html, remote=text,
    )  # fmt: skip


async def accept_remote_edit(
    conn: asyncpg.Connection, *, clock: Clock, author: Account, post_id: int, text: RemoteText
) -> None:
    parse(PostForm, {"body": text.source or "."})
    forum, post = await _own_live_post(conn, author, post_id, clock)
    _check_not_deleted_at_origin(forum)
    await queries.set_ap_object(conn, post.id, text.ap_object)
    if text.source != post.source:
        await queries.update_post_text(
            conn, post.id, old_source=post.source, source=text.source, html=text.html, now=clock.now()
        )
        await record_event(conn, "post_edited", {"post_id": post.id, "by": author.id})


async def accept_remote_delete(conn: asyncpg.Connection, *, clock: Clock, author: Account, post_id: int) -> None:
    await delete_post(conn, clock=clock, actor=author, post_id=post_id)


async def set_remote_support(
    conn: asyncpg.Connection, *, clock: Clock, author: Account, post_id: int, present: bool
) -> bool:
    """A Like (or its Undo) from another server: the "apoyo" reaction, idempotent. True when it changed."""
    _check_can_write(author, clock)
    post = await queries.get_post(conn, post_id)
    if post is None:
        raise NotFound()
    forum, _ = await access_thread(conn, post.thread_id, viewer=author)
    if post.deleted and present:
        raise PostDeleted()
    _check_not_deleted_at_origin(forum)
    changed = await queries.set_reaction(conn, post.id, author.id, kind="apoyo", present=present, now=clock.now())
    if changed:
        await record_event(
            conn, "reaction_added" if present else "reaction_removed", {"post_id": post.id, "by": author.id,
                                                                        "kind": "apoyo"}
        )  # fmt: skip
    return changed


async def accept_remote_lock(conn: asyncpg.Connection, *, clock: Clock, thread_id: int, locked: bool) -> None:
    """The forum's own server closed or reopened one of its threads that we mirror."""
    thread = await queries.get_thread(conn, thread_id, for_update=True)
    if thread is None:
        raise NotFound()
    if thread.locked == locked:
        return
    await queries.set_thread_lock(conn, thread_id, by=None, now=clock.now() if locked else None)
    await record_event(conn, "thread_locked" if locked else "thread_unlocked", {"thread_id": thread_id, "by": None})


async def federation_view(conn: asyncpg.Connection, post_id: int) -> PostInThread | None:
    """A post as the outbox needs it, whatever its forum's visibility (the outbox decides what leaves)."""
    post = await queries.get_post(conn, post_id)
    if post is None:
        return None
    thread = await queries.get_thread(conn, post.thread_id)
    assert thread is not None
    forum = await _forum(conn, thread.forum_id)
    opening = await queries.get_opening_post_id(conn, thread.id)
    assert opening is not None
    return PostInThread(forum, thread, post, opening)


async def remote_object(conn: asyncpg.Connection, post_id: int) -> dict[str, Any] | None:
    return await queries.get_ap_object(conn, post_id)

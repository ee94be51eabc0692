"""Members' data use cases: download my data, delete my account, and the operators' overview of the node.

`delete_account` runs in the caller's transaction and, in it: checks the password, refuses while the member is the
last owner of an organization, tombstones or hands over their posts, erases everything personal, and records the
domain events the federation outbox turns into Deletes for peers (`post_deleted` per post for "delete", then
`account_deleted`). Ending the member's sessions is the web layer's job after commit (sessions live in Redis).

After that the account's row stays, so its username stays reserved (peers cached its key under that name); its
page answers "gone" (`access_profile` raises AccountGone, HTTP 410, as Mastodon answers for a deleted account), and
so does its actor URL (`find_deleted_member`, a Tombstone). The shared anonymous author is a deleted account too, but
it still signs the posts left to it, so it keeps its page and its actor document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.accounts.passwords import Passwords
from deliberate.clock import Clock
from deliberate.errors import (
    N_,
    AccountAlreadyDeleted,
    AccountGone,
    LastOwnerOfOrganization,
    NotFound,
    NotOperator,
    Unauthenticated,
    WrongPassword,
)
from deliberate.events import record_event
from deliberate.forums import queries as forum_queries
from deliberate.members import queries
from deliberate.members.model import (
    EXPORT_FORMAT,
    AccountDeletion,
    AccountStanding,
    DeletedAccount,
    MemberData,
    NodeOverview,
    OwnedOrganization,
)
from deliberate.validation import InvalidFields, parse

UNVERIFIED_SHOWN = 20


def _signed_in(actor: Account | None) -> Account:
    if actor is None:
        raise Unauthenticated()
    return actor


async def member_data(conn: asyncpg.Connection, *, clock: Clock, actor: Account | None) -> MemberData:
    """Everything the node holds about the signed-in member, as one JSON-ready document (Ley 29733: access)."""
    member = _signed_in(actor)
    sections = await queries.export_member_data(conn, member.id)
    return {"format": EXPORT_FORMAT, "generated_at": clock.now().isoformat(), **sections}


async def organizations_blocking_deletion(conn: asyncpg.Connection, *, actor: Account) -> list[OwnedOrganization]:
    """Organizations the member is the only owner of: each needs another owner before the account can go."""
    owned = await queries.list_owned_organizations(conn, actor.id)
    return [org for org in owned if org.other_owners == 0]


async def delete_account(
    conn: asyncpg.Connection,
    *,
    clock: Clock,
    passwords: Passwords,
    actor: Account | None,
    data: Mapping[str, Any],
) -> DeletedAccount:
    """Delete the signed-in member's account (Ley 29733: cancellation). Call inside a transaction.

    A suspended member may delete their account too: leaving is not something a suspension takes away."""
    member = _signed_in(actor)
    form = parse(AccountDeletion, data)
    found = await queries.lock_live_account(conn, member.id)
    if found is None:
        raise AccountAlreadyDeleted()
    username, stored_hash = found
    if not await passwords.verify(stored_hash, form.password):
        raise InvalidFields([WrongPassword(field="password", message=WrongPassword.message)])
    blocking = [org for org in await queries.list_owned_organizations(conn, member.id) if org.other_owners == 0]
    if blocking:
        raise LastOwnerOfOrganization(organization=blocking[0].name)
    now = clock.now()
    anonymous = await queries.anonymous_author_id(conn, now=now)
    changed = 0
    if form.posts == "delete":
        for post_id in await queries.list_live_posts(conn, member.id):
            # As the forums service's own deletion does: text and history erased, the row kept for the replies.
            await forum_queries.tombstone_post(conn, post_id, now=now)
            # The author travels in the event: by the time the outbox reads it the post shows the shared author,
            # and peers only accept a Delete from the post's own author.
            await record_event(conn, "post_deleted",
                               {"post_id": post_id, "by": member.id, "author_id": member.id,
                                "author_username": username})  # fmt: skip
            changed += 1
        await queries.hand_posts_to(conn, member.id, new_author_id=anonymous)
    else:
        changed = await queries.hand_posts_to(conn, member.id, new_author_id=anonymous)
    await queries.hand_threads_to(conn, member.id, new_author_id=anonymous)
    await queries.hand_notifications_to(conn, member.id, new_author_id=anonymous)
    await queries.hand_proposals_to(conn, member.id, new_author_id=anonymous)
    await queries.erase_account(conn, member.id, now=now)
    await record_event(conn, "account_deleted", {"account_id": member.id, "username": username, "posts": form.posts})
    return DeletedAccount(account_id=member.id, username=username, posts=form.posts, posts_changed=changed)


async def access_profile(conn: asyncpg.Connection, username: str) -> Account:
    """The account whose public page `/u/NAME` shows: a member here, or another server's person (`name@host`).

    Raises AccountGone for a deleted account (not for the shared anonymous author, whose page lists what was left to
    it), and NotFound for an unknown name and for a person of a server this node blocks: a block hides that server's
    people as it hides their posts and forums (issue 4), and answers as for any page that is not there, which is what
    the block's hidden forums and threads answer too. Unblocking shows the page again."""
    standing = await queries.get_account_standing(conn, username.strip())
    if standing is None or standing.origin_blocked:
        raise NotFound(field="username", message=N_("There is no member with that username on this node."))
    if standing.deleted_at is not None and not standing.shared_author:
        raise AccountGone()
    return await accounts.access_account_by_username(conn, standing.username)


async def find_deleted_member(conn: asyncpg.Connection, username: str) -> AccountStanding | None:
    """The standing of this node's member `username` when they deleted their account; None for a live member, an
    unknown name, another server's person and the shared anonymous author (it still signs the posts left to it)."""
    standing = await queries.get_account_standing(conn, username.strip())
    if standing is None or standing.origin is not None or standing.shared_author or standing.deleted_at is None:
        return None
    return standing


async def node_overview(conn: asyncpg.Connection, *, actor: Account | None) -> NodeOverview:
    """What the operators' page needs from the database. Operators only."""
    if actor is None or not actor.has_role("operator"):
        raise NotOperator()
    return NodeOverview(
        unverified_organizations=await queries.list_unverified_organizations(conn, limit=UNVERIFIED_SHOWN),
        verified_residents=await queries.count_verified_residents(conn),
        open_reports=await queries.count_open_reports(conn),
        open_appeals=await queries.count_open_appeals(conn),
        database_bytes=await queries.database_size(conn),
        last_backup_at=await queries.last_backup_at(conn),
    )

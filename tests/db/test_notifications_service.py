"""Following threads, forums and organizations, and the notifications a new post gives."""

from __future__ import annotations

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.clock import FrozenClock
from deliberate.forums import service as forums
from deliberate.notifications import service as notifications
from deliberate.organizations import service as orgs
from tests.db.test_forums_service import setup
from tests.db.test_organizations_service import found, member

CLOCK = FrozenClock()


async def test_repliers_hear_about_later_replies_but_not_about_their_own(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    thread = await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "a"})
    await forums.reply(db, clock=CLOCK, actor=juan, thread_id=thread.id, data={"body": "b"})
    await forums.reply(db, clock=CLOCK, actor=rosa, thread_id=thread.id, data={"body": "c"})
    assert await notifications.unread_count(db, actor=rosa) == 1  # juan's reply; not her own
    assert await notifications.unread_count(db, actor=juan) == 1  # rosa's second post, after he replied
    (note,) = await notifications.notifications_of(db, actor=rosa)
    assert note.kind == "reply" and note.actor_username == "juan" and note.thread_title == "Uno"


async def test_one_notification_per_post_whatever_the_subscriptions(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    forum = await forums.access_forum(db, slug, viewer=juan)
    await notifications.follow(db, clock=CLOCK, actor=juan, kind="forum", target_id=forum.id)
    thread = await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "a"})
    await notifications.follow(db, clock=CLOCK, actor=juan, kind="thread", target_id=thread.id)
    await forums.reply(db, clock=CLOCK, actor=rosa, thread_id=thread.id, data={"body": "b"})
    kinds = [n.kind for n in await notifications.notifications_of(db, actor=juan)]
    assert kinds == ["reply", "new_thread"]


async def test_marking_read_clears_the_unread_count(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    forum = await forums.access_forum(db, slug, viewer=juan)
    await notifications.follow(db, clock=CLOCK, actor=juan, kind="forum", target_id=forum.id)
    for title in ("Uno", "Dos"):
        await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": title, "body": "a"})
    assert await notifications.unread_count(db, actor=juan) == 2
    await notifications.mark_read(db, clock=CLOCK, actor=juan, up_to_id=None)
    assert await notifications.unread_count(db, actor=juan) == 0


async def test_former_members_are_not_told_about_members_only_forums(db: asyncpg.Connection) -> None:
    _, rosa, _ = await setup(db)
    juan = await member(db, "juan")
    org = await found(db, rosa)
    await orgs.invite_member(db, clock=CLOCK, actor=rosa, slug=org.slug, username="juan")
    await orgs.accept_invitation(db, clock=CLOCK, actor=juan, slug=org.slug)
    forum = await forums.create_organization_forum(
        db, clock=CLOCK, actor=rosa, organization_slug=org.slug, data={"name": "Interno", "visibility": "members"}
    )
    await notifications.follow(db, clock=CLOCK, actor=juan, kind="forum", target_id=forum.id)
    await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=forum.slug, data={"title": "Uno", "body": "a"})
    assert await notifications.unread_count(db, actor=juan) == 1
    await orgs.leave_organization(db, actor=juan, slug=org.slug)
    await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=forum.slug, data={"title": "Dos", "body": "b"})
    assert await notifications.unread_count(db, actor=juan) == 1


async def test_following_an_organization_reports_what_it_says_anywhere(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    org = await found(db, rosa)
    await notifications.follow(db, clock=CLOCK, actor=juan, kind="organization", target_id=org.id)
    await forums.start_thread(
        db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Comunicado", "body": "a"},
        as_organization=org.slug,
    )  # fmt: skip
    await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Personal", "body": "b"})
    assert [n.thread_title for n in await notifications.notifications_of(db, actor=juan)] == ["Comunicado"]


async def test_e_mails_are_leased_once_and_retried_with_backoff(db: asyncpg.Connection) -> None:
    clock = FrozenClock()
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    await db.execute("UPDATE account SET email = 'juan@example.pe' WHERE id = $1", juan.id)
    juan = await accounts.access_account(db, juan.id)
    await notifications.set_email_preference(db, actor=juan, enabled=True)
    forum = await forums.access_forum(db, slug, viewer=juan)
    await notifications.follow(db, clock=clock, actor=juan, kind="forum", target_id=forum.id)
    await forums.start_thread(db, clock=clock, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "a"})
    (job,) = await notifications.claim_emails(db, clock=clock)
    assert job.email == "juan@example.pe" and job.thread_title == "Uno"
    assert await notifications.claim_emails(db, clock=clock) == []  # leased: nobody else takes it
    await notifications.record_email_failed(db, clock=clock, job=job)
    clock.advance(seconds=59)
    assert await notifications.claim_emails(db, clock=clock) == []
    clock.advance(seconds=2)
    (again,) = await notifications.claim_emails(db, clock=clock)
    await notifications.record_email_sent(db, notification_id=again.notification_id)
    clock.advance(days=1)
    assert await notifications.claim_emails(db, clock=clock) == []

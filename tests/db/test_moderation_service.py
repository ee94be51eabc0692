"""Moderation rules through the service, on a real database: reports, the queue, hiding, suspensions, the public
log and appeals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest

from deliberate import errors
from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.clock import FrozenClock
from deliberate.db.pool import connect
from deliberate.forums import service as forums
from deliberate.forums.model import Post
from deliberate.moderation import service as moderation
from deliberate.organizations import service as orgs
from deliberate.validation import InvalidFields
from tests.db.test_organizations_service import found, member


@dataclass
class Scene:
    clock: FrozenClock
    moderator: Account
    rosa: Account
    juan: Account
    post: Post


async def opened_thread(db: asyncpg.Connection, clock: FrozenClock, author: Account, forum_slug: str) -> Post:
    thread = await forums.start_thread(
        db, clock=clock, actor=author, forum_slug=forum_slug, data={"title": "Corte de agua", "body": "Texto feo"}
    )
    return (await forums.thread_page(db, thread_id=thread.id, viewer=author)).posts[0]


async def scene(db: asyncpg.Connection) -> Scene:
    """A node category with one post by rosa; juan is a member, `moderadora` a node moderator."""
    clock = FrozenClock()
    operator = await member(db, "operador", "operator")
    moderator = await member(db, "moderadora", "moderator")
    rosa, juan = await member(db, "rosa"), await member(db, "juan")
    category = await forums.create_category(db, clock=clock, actor=operator, data={"name": "General"})
    return Scene(clock, moderator, rosa, juan, await opened_thread(db, clock, rosa, category.slug))


async def current(db: asyncpg.Connection, account: Account) -> Account:
    return await accounts.access_account(db, account.id)


async def test_a_report_reaches_the_moderators_queue(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await moderation.report_post(
        db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "insult", "text": "Me insulta"}
    )
    queue = await moderation.moderation_queue(db, clock=s.clock, actor=s.moderator)
    (reported,) = queue.reported
    assert reported.post_id == s.post.id and reported.author_username == "rosa"
    assert [(r.reason, r.text) for r in reported.reports] == [("insult", "Me insulta")]


async def test_reporting_the_same_post_twice_is_refused(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await moderation.report_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "spam"})
    with pytest.raises(errors.AlreadyReported):
        await moderation.report_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "off_topic"})
    assert await db.fetchval("SELECT count(*) FROM report") == 1


async def test_anonymous_visitors_cannot_report(db: asyncpg.Connection) -> None:
    s = await scene(db)
    with pytest.raises(errors.Unauthenticated):
        await moderation.report_post(db, clock=s.clock, actor=None, post_id=s.post.id, data={"reason": "spam"})


async def test_a_report_for_another_reason_must_say_what_is_wrong(db: asyncpg.Connection) -> None:
    s = await scene(db)
    with pytest.raises(InvalidFields) as caught:
        await moderation.report_post(
            db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "other", "text": "  "}
        )
    assert [e.field for e in caught.value.errors] == ["text"]
    with pytest.raises(InvalidFields):
        await moderation.report_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "odio"})


async def test_a_member_cannot_hide_a_post(db: asyncpg.Connection) -> None:
    s = await scene(db)
    with pytest.raises(errors.NotModerator):
        await moderation.hide_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, reason="No me gusta")
    with pytest.raises(errors.NotModerator):
        await moderation.moderation_queue(db, clock=s.clock, actor=s.juan)


async def test_hiding_a_post_needs_a_reason(db: asyncpg.Connection) -> None:
    s = await scene(db)
    with pytest.raises(errors.ReasonRequired):
        await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="   ")
    assert (await forums.thread_page(db, thread_id=s.post.thread_id, viewer=None)).posts[0].hidden_at is None


async def test_a_hidden_post_shows_its_reason_and_its_reports_leave_the_queue(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await moderation.report_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "insult"})
    action = await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Insultos")
    assert (action.kind, action.actor_username, action.account_username) == ("hide_post", "moderadora", "rosa")
    post = (await forums.thread_page(db, thread_id=s.post.thread_id, viewer=None)).posts[0]
    assert post.hidden_at == s.clock.now() and post.hidden_reason == "Insultos"
    assert (await moderation.moderation_queue(db, clock=s.clock, actor=s.moderator)).reported == []
    assert await db.fetchval("SELECT resolution FROM report") == "hidden"
    with pytest.raises(errors.PostAlreadyHidden):
        await moderation.report_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "spam"})


async def test_dismissing_reports_keeps_the_post_and_is_logged(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await moderation.report_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "spam"})
    await moderation.dismiss_reports(
        db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Es una opinión, no spam"
    )
    assert (await moderation.moderation_queue(db, clock=s.clock, actor=s.moderator)).reported == []
    assert (await forums.thread_page(db, thread_id=s.post.thread_id, viewer=None)).posts[0].hidden_at is None
    (entry,) = (await moderation.public_log(db)).actions
    assert (entry.kind, entry.reason) == ("dismiss_report", "Es una opinión, no spam")
    # Resolved, so juan may report the post again if it gets worse.
    await moderation.report_post(db, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "insult"})


async def test_an_organization_admin_moderates_only_their_own_forums(db: asyncpg.Connection) -> None:
    s = await scene(db)
    ana = await member(db, "ana")
    org = await found(db, s.rosa, "Comedor Santa Rosa")
    other = await found(db, ana, "Vaso de Leche Las Flores")
    ours = await forums.create_organization_forum(
        db, clock=s.clock, actor=s.rosa, organization_slug=org.slug, data={"name": "Asamblea"}
    )
    theirs = await forums.create_organization_forum(
        db, clock=s.clock, actor=ana, organization_slug=other.slug, data={"name": "Debate"}
    )
    in_ours = await opened_thread(db, s.clock, s.juan, ours.slug)
    in_theirs = await opened_thread(db, s.clock, s.juan, theirs.slug)
    for post in (in_ours, in_theirs, s.post):
        await moderation.report_post(db, clock=s.clock, actor=ana, post_id=post.id, data={"reason": "spam"})
    queue = await moderation.moderation_queue(db, clock=s.clock, actor=s.rosa)
    assert [r.post_id for r in queue.reported] == [in_ours.id] and queue.appeals == []
    await moderation.hide_post(db, clock=s.clock, actor=s.rosa, post_id=in_ours.id, reason="Publicidad")
    with pytest.raises(errors.NotModerator):
        await moderation.hide_post(db, clock=s.clock, actor=s.rosa, post_id=in_theirs.id, reason="Publicidad")
    with pytest.raises(errors.NotModerator):
        await moderation.hide_post(db, clock=s.clock, actor=s.rosa, post_id=s.post.id, reason="Publicidad")


async def test_unhiding_a_post_is_logged_with_its_reason(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Insultos")
    with pytest.raises(errors.ReasonRequired):
        await moderation.unhide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="")
    await moderation.unhide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Me equivoqué")
    assert (await forums.thread_page(db, thread_id=s.post.thread_id, viewer=None)).posts[0].hidden_at is None
    with pytest.raises(errors.PostNotHidden):
        await moderation.unhide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Otra vez")
    assert [a.kind for a in (await moderation.public_log(db)).actions] == ["unhide_post", "hide_post"]


async def test_closing_and_reopening_a_thread_is_written_to_the_public_log(db: asyncpg.Connection) -> None:
    s = await scene(db)
    thread_id = s.post.thread_id
    await moderation.lock_thread(
        db, clock=s.clock, actor=s.moderator, thread_id=thread_id, locked=True, reason="Ya se resolvió"
    )
    await forums.set_thread_locked(db, clock=s.clock, actor=s.moderator, thread_id=thread_id, locked=True)
    await forums.set_thread_locked(db, clock=s.clock, actor=s.moderator, thread_id=thread_id, locked=False)
    entries = (await moderation.public_log(db)).actions
    assert [(a.kind, a.reason, a.thread_title) for a in entries] == [
        ("unlock_thread", "", "Corte de agua"),
        ("lock_thread", "Ya se resolvió", "Corte de agua"),
    ]
    with pytest.raises(errors.ReasonRequired):
        await moderation.lock_thread(db, clock=s.clock, actor=s.moderator, thread_id=thread_id, locked=True, reason="")


async def test_a_suspended_account_cannot_post_until_the_suspension_ends(db: asyncpg.Connection) -> None:
    s = await scene(db)
    slug = (await forums.list_forums(db, viewer=None))[0].slug
    until = s.clock.now() + timedelta(days=7)
    await moderation.suspend_account(
        db, clock=s.clock, actor=s.moderator, username="rosa", until=until, reason="Insultos repetidos"
    )
    rosa = await current(db, s.rosa)
    assert rosa.suspended_until == until
    with pytest.raises(errors.AccountSuspended):
        await forums.start_thread(db, clock=s.clock, actor=rosa, forum_slug=slug, data={"title": "Hola", "body": "a"})
    with pytest.raises(errors.AccountSuspended):
        await moderation.report_post(db, clock=s.clock, actor=rosa, post_id=s.post.id, data={"reason": "spam"})
    s.clock.advance(days=8)
    await forums.start_thread(db, clock=s.clock, actor=rosa, forum_slug=slug, data={"title": "Hola", "body": "a"})


async def test_only_node_moderators_suspend_accounts(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await found(db, s.juan)  # an organization admin is not a node moderator
    until = s.clock.now() + timedelta(days=1)
    with pytest.raises(errors.NotModerator):
        await moderation.suspend_account(db, clock=s.clock, actor=s.juan, username="rosa", until=until, reason="x")
    with pytest.raises(errors.InvalidInput):
        await moderation.suspend_account(
            db, clock=s.clock, actor=s.moderator, username="moderadora", until=until, reason="x"
        )
    with pytest.raises(errors.InvalidInput):
        await moderation.suspend_account(
            db, clock=s.clock, actor=s.moderator, username="rosa", until=s.clock.now(), reason="x"
        )
    assert (await current(db, s.rosa)).suspended_until is None


async def test_a_suspension_form_gives_days_and_a_reason(db: asyncpg.Connection) -> None:
    clock = FrozenClock()
    until, reason = moderation.parse_suspension(clock, {"days": "3", "reason": " Spam "})
    assert until == clock.now() + timedelta(days=3) and reason == "Spam"
    with pytest.raises(errors.ReasonRequired):
        moderation.parse_suspension(clock, {"days": "3", "reason": ""})
    with pytest.raises(InvalidFields):
        moderation.parse_suspension(clock, {"days": "0", "reason": "Spam"})


async def test_lifting_a_suspension_lets_the_person_post_again(db: asyncpg.Connection) -> None:
    s = await scene(db)
    until = s.clock.now() + timedelta(days=7)
    await moderation.suspend_account(db, clock=s.clock, actor=s.moderator, username="rosa", until=until, reason="x")
    await moderation.lift_suspension(db, clock=s.clock, actor=s.moderator, username="rosa", reason="Se disculpó")
    rosa = await current(db, s.rosa)
    assert rosa.suspended_until is None
    await forums.reply(db, clock=s.clock, actor=rosa, thread_id=s.post.thread_id, data={"body": "Disculpen"})
    with pytest.raises(errors.NotSuspended):
        await moderation.lift_suspension(db, clock=s.clock, actor=s.moderator, username="rosa", reason="Otra vez")
    assert [a.kind for a in (await moderation.public_log(db)).actions] == ["lift_suspension", "suspend_account"]


async def test_the_public_log_is_newest_first_and_keyset_paginated(db: asyncpg.Connection) -> None:
    s = await scene(db)
    for n in range(5):
        await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason=f"oculto {n}")
        await moderation.unhide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason=f"visible {n}")
    reasons, before = [], None
    while True:
        page = await moderation.public_log(db, before_id=before, limit=3)
        reasons += [a.reason for a in page.actions]
        if page.next_before is None:
            break
        before = page.next_before
    assert reasons == [f"{what} {n}" for n in reversed(range(5)) for what in ("visible", "oculto")]


async def test_the_log_does_not_show_the_titles_of_members_only_threads(db: asyncpg.Connection) -> None:
    s = await scene(db)
    org = await found(db, s.rosa)
    internal = await forums.create_organization_forum(
        db, clock=s.clock, actor=s.rosa, organization_slug=org.slug, data={"name": "Interno", "visibility": "members"}
    )
    post = await opened_thread(db, s.clock, s.rosa, internal.slug)
    await moderation.hide_post(db, clock=s.clock, actor=s.rosa, post_id=post.id, reason="Datos personales")
    (entry,) = (await moderation.public_log(db)).actions
    assert entry.thread_id == post.thread_id and entry.thread_title is None and entry.reason == "Datos personales"


async def test_a_members_only_forum_stays_private_from_node_moderators(db: asyncpg.Connection) -> None:
    s = await scene(db)
    org = await found(db, s.rosa)
    internal = await forums.create_organization_forum(
        db, clock=s.clock, actor=s.rosa, organization_slug=org.slug, data={"name": "Interno", "visibility": "members"}
    )
    post = await opened_thread(db, s.clock, s.rosa, internal.slug)
    await moderation.report_post(db, clock=s.clock, actor=s.rosa, post_id=post.id, data={"reason": "spam"})
    assert (await moderation.moderation_queue(db, clock=s.clock, actor=s.moderator)).reported == []
    with pytest.raises(errors.NotFound):
        await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=post.id, reason="Spam")
    assert [r.post_id for r in (await moderation.moderation_queue(db, clock=s.clock, actor=s.rosa)).reported] == [
        post.id
    ]


async def test_the_author_appeals_a_decision_once(db: asyncpg.Connection) -> None:
    s = await scene(db)
    action = await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Insultos")
    appealed = await moderation.appeal(
        db, clock=s.clock, actor=s.rosa, action_id=action.id, data={"text": "No insulté a nadie"}
    )
    assert appealed.appeal is not None and appealed.appeal.text == "No insulté a nadie"
    assert appealed.appeal.appellant_username == "rosa" and not appealed.appeal.answered
    with pytest.raises(errors.AlreadyAppealed):
        await moderation.appeal(db, clock=s.clock, actor=s.rosa, action_id=action.id, data={"text": "Otra vez"})
    assert [a.id for a in (await moderation.moderation_queue(db, clock=s.clock, actor=s.moderator)).appeals] == [
        action.id
    ]


async def test_a_stranger_cannot_appeal_someone_elses_decision(db: asyncpg.Connection) -> None:
    s = await scene(db)
    action = await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Insultos")
    with pytest.raises(errors.NotAffected):
        await moderation.appeal(db, clock=s.clock, actor=s.juan, action_id=action.id, data={"text": "Es injusto"})
    with pytest.raises(errors.Unauthenticated):
        await moderation.appeal(db, clock=s.clock, actor=None, action_id=action.id, data={"text": "Es injusto"})
    assert await db.fetchval("SELECT count(*) FROM appeal") == 0


async def test_undoing_a_decision_cannot_be_appealed(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Insultos")
    undone = await moderation.unhide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Error")
    with pytest.raises(errors.NotAppealable):
        await moderation.appeal(db, clock=s.clock, actor=s.rosa, action_id=undone.id, data={"text": "¿?"})


async def appealed_hide(db: asyncpg.Connection, s: Scene) -> int:
    action = await moderation.hide_post(db, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Insultos")
    appealed = await moderation.appeal(db, clock=s.clock, actor=s.rosa, action_id=action.id, data={"text": "Léanlo"})
    assert appealed.appeal is not None
    return appealed.appeal.id


async def test_a_reversed_appeal_shows_the_post_again_and_logs_the_undoing(db: asyncpg.Connection) -> None:
    s = await scene(db)
    appeal_id = await appealed_hide(db, s)
    other = await member(db, "segunda", "moderator")
    answered = await moderation.answer_appeal(
        db, clock=s.clock, actor=other, appeal_id=appeal_id, data={"outcome": "reversed", "answer": "No hay insulto"}
    )
    assert answered.appeal is not None and answered.appeal.outcome == "reversed"
    assert answered.appeal.answered_by_username == "segunda"
    assert (await forums.thread_page(db, thread_id=s.post.thread_id, viewer=None)).posts[0].hidden_at is None
    undoing, original = (await moderation.public_log(db)).actions
    assert (undoing.kind, undoing.actor_username, undoing.reason) == ("unhide_post", "segunda", "No hay insulto")
    assert original.appeal is not None and original.appeal.answer == "No hay insulto"
    assert (await moderation.moderation_queue(db, clock=s.clock, actor=other)).appeals == []


async def test_an_upheld_appeal_leaves_the_post_hidden(db: asyncpg.Connection) -> None:
    s = await scene(db)
    appeal_id = await appealed_hide(db, s)
    other = await member(db, "segunda", "moderator")
    await moderation.answer_appeal(
        db, clock=s.clock, actor=other, appeal_id=appeal_id, data={"outcome": "upheld", "answer": "Sí es un insulto"}
    )
    assert (await forums.thread_page(db, thread_id=s.post.thread_id, viewer=None)).posts[0].hidden_at is not None
    assert [a.kind for a in (await moderation.public_log(db)).actions] == ["hide_post"]


async def test_an_appeal_is_answered_once_and_only_by_a_node_moderator(db: asyncpg.Connection) -> None:
    s = await scene(db)
    appeal_id = await appealed_hide(db, s)
    other = await member(db, "segunda", "moderator")
    with pytest.raises(errors.NotModerator):
        await moderation.answer_appeal(
            db, clock=s.clock, actor=s.juan, appeal_id=appeal_id, data={"outcome": "reversed", "answer": "Sí"}
        )
    await moderation.answer_appeal(
        db, clock=s.clock, actor=other, appeal_id=appeal_id, data={"outcome": "upheld", "answer": "Se mantiene"}
    )
    with pytest.raises(errors.AppealAlreadyAnswered):
        await moderation.answer_appeal(
            db, clock=s.clock, actor=other, appeal_id=appeal_id, data={"outcome": "reversed", "answer": "Mejor no"}
        )


async def test_a_moderator_leaves_an_appeal_against_their_own_decision_to_another(db: asyncpg.Connection) -> None:
    s = await scene(db)
    appeal_id = await appealed_hide(db, s)
    answer = {"outcome": "reversed", "answer": "Lo revisé"}
    await member(db, "segunda", "moderator")
    with pytest.raises(errors.OwnDecision):
        await moderation.answer_appeal(db, clock=s.clock, actor=s.moderator, appeal_id=appeal_id, data=answer)
    # With no other moderator able to answer, the appeal must not wait for ever.
    await db.execute("UPDATE account SET roles = ARRAY['member'] WHERE username = 'segunda'")
    await moderation.answer_appeal(db, clock=s.clock, actor=s.moderator, appeal_id=appeal_id, data=answer)


async def test_a_suspended_person_appeals_and_a_reversal_lifts_the_suspension(db: asyncpg.Connection) -> None:
    s = await scene(db)
    until = s.clock.now() + timedelta(days=30)
    action = await moderation.suspend_account(
        db, clock=s.clock, actor=s.moderator, username="rosa", until=until, reason="Spam"
    )
    appealed = await moderation.appeal(
        db, clock=s.clock, actor=await current(db, s.rosa), action_id=action.id, data={"text": "No era spam"}
    )
    assert appealed.appeal is not None
    other = await member(db, "segunda", "moderator")
    await moderation.answer_appeal(
        db, clock=s.clock, actor=other, appeal_id=appealed.appeal.id,
        data={"outcome": "reversed", "answer": "Era un aviso del comedor"},
    )  # fmt: skip
    assert (await current(db, s.rosa)).suspended_until is None
    assert (await moderation.public_log(db)).actions[0].kind == "lift_suspension"


async def test_reversing_an_old_suspension_leaves_a_later_one_in_place(db: asyncpg.Connection) -> None:
    s = await scene(db)
    first = await moderation.suspend_account(
        db, clock=s.clock, actor=s.moderator, username="rosa", until=s.clock.now() + timedelta(days=2), reason="Spam"
    )
    appealed = await moderation.appeal(db, clock=s.clock, actor=s.rosa, action_id=first.id, data={"text": "No"})
    later = s.clock.now() + timedelta(days=60)
    await moderation.suspend_account(db, clock=s.clock, actor=s.moderator, username="rosa", until=later, reason="Acoso")
    assert appealed.appeal is not None
    other = await member(db, "segunda", "moderator")
    await moderation.answer_appeal(
        db, clock=s.clock, actor=other, appeal_id=appealed.appeal.id, data={"outcome": "reversed", "answer": "Sí"}
    )
    assert (await current(db, s.rosa)).suspended_until == later


async def test_a_reversed_appeal_against_a_closed_thread_reopens_it(db: asyncpg.Connection) -> None:
    s = await scene(db)
    await moderation.lock_thread(
        db, clock=s.clock, actor=s.moderator, thread_id=s.post.thread_id, locked=True, reason="Fuera de tema"
    )
    (lock,) = (await moderation.public_log(db)).actions
    appealed = await moderation.appeal(db, clock=s.clock, actor=s.rosa, action_id=lock.id, data={"text": "Es el tema"})
    assert appealed.appeal is not None
    other = await member(db, "segunda", "moderator")
    await moderation.answer_appeal(
        db, clock=s.clock, actor=other, appeal_id=appealed.appeal.id, data={"outcome": "reversed", "answer": "Cierto"}
    )
    await forums.reply(db, clock=s.clock, actor=s.juan, thread_id=s.post.thread_id, data={"body": "Sigamos"})


async def test_an_organization_member_joining_does_not_make_them_a_moderator(db: asyncpg.Connection) -> None:
    s = await scene(db)
    org = await found(db, s.rosa)
    forum = await forums.create_organization_forum(
        db, clock=s.clock, actor=s.rosa, organization_slug=org.slug, data={"name": "Asamblea"}
    )
    post = await opened_thread(db, s.clock, s.rosa, forum.slug)
    await orgs.request_to_join(db, clock=s.clock, actor=s.juan, slug=org.slug)
    await orgs.approve_request(db, clock=s.clock, actor=s.rosa, slug=org.slug, account_id=s.juan.id)
    with pytest.raises(errors.NotModerator):
        await moderation.hide_post(db, clock=s.clock, actor=s.juan, post_id=post.id, reason="Mío")


async def at_once(database: str, *calls: Callable[[asyncpg.Connection], Awaitable[object]]) -> list[str]:
    """Run each call in its own connection and transaction, all at the same time; each outcome's name."""

    async def run(call: Callable[[asyncpg.Connection], Awaitable[object]]) -> str:
        conn = await connect(database)
        try:
            async with conn.transaction():
                await call(conn)
            return "done"
        except errors.DomainError as refused:
            return refused.code
        finally:
            await conn.close()

    return sorted(await asyncio.gather(*(run(call) for call in calls)))


async def test_one_person_reporting_twice_at_once_makes_one_report(database: str) -> None:
    setup = await connect(database)
    s = await scene(setup)

    def report(conn: asyncpg.Connection) -> Awaitable[int]:
        return moderation.report_post(conn, clock=s.clock, actor=s.juan, post_id=s.post.id, data={"reason": "spam"})

    assert await at_once(database, report, report) == ["already_reported", "done"]
    assert await setup.fetchval("SELECT count(*) FROM report") == 1
    await setup.close()


async def test_two_moderators_hiding_a_post_at_once_make_one_decision(database: str) -> None:
    setup = await connect(database)
    s = await scene(setup)
    other = await member(setup, "segunda", "moderator")

    def hide(actor: Account) -> Callable[[asyncpg.Connection], Awaitable[object]]:
        return lambda conn: moderation.hide_post(conn, clock=s.clock, actor=actor, post_id=s.post.id, reason="Spam")

    assert await at_once(database, hide(s.moderator), hide(other)) == ["done", "post_already_hidden"]
    assert await setup.fetchval("SELECT count(*) FROM moderation_action") == 1
    await setup.close()


async def test_an_appeal_sent_twice_at_once_is_recorded_once(database: str) -> None:
    setup = await connect(database)
    s = await scene(setup)
    action = await moderation.hide_post(setup, clock=s.clock, actor=s.moderator, post_id=s.post.id, reason="Spam")

    def appeal(conn: asyncpg.Connection) -> Awaitable[object]:
        return moderation.appeal(conn, clock=s.clock, actor=s.rosa, action_id=action.id, data={"text": "No es spam"})

    assert await at_once(database, appeal, appeal) == ["already_appealed", "done"]
    assert await setup.fetchval("SELECT count(*) FROM appeal") == 1
    await setup.close()

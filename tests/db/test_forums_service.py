"""Forum rules through the service, on a real database."""

from __future__ import annotations

import asyncpg
import pytest

from deliberate import errors
from deliberate.accounts.model import Account
from deliberate.clock import FrozenClock
from deliberate.forums import service as forums
from deliberate.forums.markup import highlight
from deliberate.organizations import service as orgs
from deliberate.validation import InvalidFields
from tests.db.test_organizations_service import found, member

CLOCK = FrozenClock()


async def setup(db: asyncpg.Connection) -> tuple[Account, Account, str]:
    operator = await member(db, "operador", "operator")
    rosa = await member(db, "rosa")
    category = await forums.create_category(
        db, clock=CLOCK, actor=operator, data={"name": "Presupuesto participativo", "description": "Debate"}
    )
    return operator, rosa, category.slug


async def test_a_thread_opens_with_its_first_post_rendered_safely(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    thread = await forums.start_thread(
        db, clock=CLOCK, actor=rosa, forum_slug=slug,
        data={"title": "Agua para el sector 3",
              "body": "**Urgente** <script>alert(1)</script> [x](javascript:alert(1))"},
    )  # fmt: skip
    page = await forums.thread_page(db, thread_id=thread.id, viewer=None)
    (post,) = page.posts
    assert (
        "<strong>Urgente</strong>" in post.html and "<script>" not in post.html and 'href="javascript' not in post.html
    )
    assert page.thread.post_count == 1


async def test_only_operators_create_categories(db: asyncpg.Connection) -> None:
    _, rosa, _ = await setup(db)
    with pytest.raises(errors.NotOperator):
        await forums.create_category(db, clock=CLOCK, actor=rosa, data={"name": "Otra"})


@pytest.mark.parametrize(
    ("data", "field"),
    [({"title": "Hola", "body": "   "}, "body"), ({"title": "", "body": "x"}, "title"),
     ({"title": "Hola", "body": "x" * 20001}, "body")],
)  # fmt: skip
async def test_empty_or_huge_posts_are_refused(db: asyncpg.Connection, data: dict[str, str], field: str) -> None:
    _, rosa, slug = await setup(db)
    with pytest.raises(InvalidFields) as caught:
        await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data=data)
    assert field in [e.field for e in caught.value.errors]
    assert await db.fetchval("SELECT count(*) FROM post") == 0


async def test_replies_quote_posts_of_the_same_thread_only(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    first = await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "a"})
    other = await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Dos", "body": "b"})
    opening = (await forums.thread_page(db, thread_id=first.id, viewer=None)).posts[0]
    post = await forums.reply(
        db, clock=CLOCK, actor=juan, thread_id=first.id, data={"body": "c"}, reply_to_id=opening.id
    )
    assert post.reply_to_id == opening.id
    with pytest.raises(errors.InvalidInput):
        await forums.reply(db, clock=CLOCK, actor=juan, thread_id=other.id, data={"body": "d"}, reply_to_id=opening.id)


async def test_a_locked_thread_takes_no_replies(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    moderator = await member(db, "moderadora", "moderator")
    thread = await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "a"})
    with pytest.raises(errors.NotModerator):
        await forums.set_thread_locked(db, clock=CLOCK, actor=rosa, thread_id=thread.id, locked=True)
    await forums.set_thread_locked(db, clock=CLOCK, actor=moderator, thread_id=thread.id, locked=True)
    with pytest.raises(errors.ThreadLocked):
        await forums.reply(db, clock=CLOCK, actor=rosa, thread_id=thread.id, data={"body": "b"})
    await forums.set_thread_locked(db, clock=CLOCK, actor=moderator, thread_id=thread.id, locked=False)
    await forums.reply(db, clock=CLOCK, actor=rosa, thread_id=thread.id, data={"body": "b"})


async def test_edits_keep_history_and_deletion_leaves_a_tombstone(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    thread = await forums.start_thread(
        db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "v1"}
    )
    post = (await forums.thread_page(db, thread_id=thread.id, viewer=None)).posts[0]
    with pytest.raises(errors.NotAuthor):
        await forums.edit_post(db, clock=CLOCK, actor=juan, post_id=post.id, data={"body": "ajeno"})
    await forums.edit_post(db, clock=CLOCK, actor=rosa, post_id=post.id, data={"body": "v2"})
    await forums.edit_post(db, clock=CLOCK, actor=rosa, post_id=post.id, data={"body": "v3"})
    edited, history = await forums.post_history(db, viewer=None, post_id=post.id)
    assert edited.source == "v3" and [r.source for r in history] == ["v1", "v2"]
    await forums.delete_post(db, clock=CLOCK, actor=rosa, post_id=post.id)
    deleted, history = await forums.post_history(db, viewer=None, post_id=post.id)
    assert deleted.deleted and deleted.source == "" and history == []
    with pytest.raises(errors.PostDeleted):
        await forums.reply(db, clock=CLOCK, actor=juan, thread_id=thread.id, data={"body": "x"}, reply_to_id=post.id)
    with pytest.raises(errors.PostDeleted):
        await forums.edit_post(db, clock=CLOCK, actor=rosa, post_id=post.id, data={"body": "v4"})


async def test_a_members_only_forum_does_not_exist_for_outsiders(db: asyncpg.Connection) -> None:
    _, rosa, _ = await setup(db)
    outsider = await member(db, "juan")
    org = await found(db, rosa)
    forum = await forums.create_organization_forum(
        db, clock=CLOCK, actor=rosa, organization_slug=org.slug, data={"name": "Interno", "visibility": "members"}
    )
    with pytest.raises(errors.NotOrganizationAdmin):
        await forums.create_organization_forum(
            db, clock=CLOCK, actor=outsider, organization_slug=org.slug, data={"name": "Mío"}
        )
    thread = await forums.start_thread(
        db, clock=CLOCK, actor=rosa, forum_slug=forum.slug, data={"title": "Reunión", "body": "El lunes"}
    )
    for call in (
        forums.access_forum(db, forum.slug, viewer=outsider),
        forums.thread_page(db, thread_id=thread.id, viewer=None),
        forums.reply(db, clock=CLOCK, actor=outsider, thread_id=thread.id, data={"body": "hola"}),
    ):
        with pytest.raises(errors.NotFound):
            await call
    assert forum.slug not in [f.slug for f in await forums.list_forums(db, viewer=outsider)]
    assert await forums.search(db, viewer=outsider, query="lunes") == []
    assert len(await forums.search(db, viewer=rosa, query="lunes")) == 1


async def test_only_admins_speak_for_their_organization(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    org = await found(db, rosa)
    await orgs.invite_member(db, clock=CLOCK, actor=rosa, slug=org.slug, username="juan")
    await orgs.accept_invitation(db, clock=CLOCK, actor=juan, slug=org.slug)
    with pytest.raises(errors.NotOrganizationAdmin):
        await forums.start_thread(
            db, clock=CLOCK, actor=juan, forum_slug=slug, data={"title": "Comunicado", "body": "x"},
            as_organization=org.slug,
        )  # fmt: skip
    thread = await forums.start_thread(
        db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Comunicado", "body": "x"},
        as_organization=org.slug,
    )  # fmt: skip
    assert (
        thread.as_organization_name == org.name and thread.author_username == "rosa"
    )  # the domain knows; pages decide


async def test_reactions_toggle_and_are_counted(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    juan = await member(db, "juan")
    thread = await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "a"})
    post_id = (await forums.thread_page(db, thread_id=thread.id, viewer=None)).posts[0].id
    assert await forums.react(db, clock=CLOCK, actor=juan, post_id=post_id, kind="apoyo")
    assert await forums.react(db, clock=CLOCK, actor=rosa, post_id=post_id, kind="apoyo")
    assert await forums.react(db, clock=CLOCK, actor=rosa, post_id=post_id, kind="gracias")
    assert not await forums.react(db, clock=CLOCK, actor=rosa, post_id=post_id, kind="gracias")
    with pytest.raises(errors.InvalidInput):
        await forums.react(db, clock=CLOCK, actor=rosa, post_id=post_id, kind="odio")
    post = (await forums.thread_page(db, thread_id=thread.id, viewer=None)).posts[0]
    assert post.reactions == {"apoyo": 2}


async def test_search_ignores_accents_and_highlights_safely(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    await forums.start_thread(
        db, clock=CLOCK, actor=rosa, forum_slug=slug,
        data={"title": "Asamblea", "body": "La participación <b>vecinal</b> decide el presupuesto."},
    )  # fmt: skip
    (hit,) = await forums.search(db, viewer=None, query="participacion")
    snippet = highlight(hit.snippet)
    assert "<mark>participación</mark>" in snippet and "<b>" not in snippet
    assert await forums.search(db, viewer=None, query="   ") == []


async def test_search_is_newest_first_and_keyset_paginated(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    thread = await forums.start_thread(
        db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Reservorio", "body": "El reservorio"}
    )
    for n in range(1, 5):
        await forums.reply(db, clock=CLOCK, actor=rosa, thread_id=thread.id, data={"body": f"Reservorio, parte {n}"})
    await forums.reply(db, clock=CLOCK, actor=rosa, thread_id=thread.id, data={"body": "otra cosa"})
    matching = [post.id for post in (await forums.thread_page(db, thread_id=thread.id, viewer=None)).posts][:5]
    pages, before = [], None
    while hits := await forums.search(db, viewer=None, query="reservorio", limit=2, before=before):
        pages.append([hit.post_id for hit in hits])
        before = hits[-1].post_id
    newest_first = matching[::-1]
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]


async def test_thread_pages_are_keyset_paginated(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    thread = await forums.start_thread(db, clock=CLOCK, actor=rosa, forum_slug=slug, data={"title": "Uno", "body": "0"})
    for n in range(1, 7):
        await forums.reply(db, clock=CLOCK, actor=rosa, thread_id=thread.id, data={"body": str(n)})
    bodies, after = [], None
    while True:
        page = await forums.thread_page(db, thread_id=thread.id, viewer=None, after_id=after, limit=3)
        bodies += [p.source for p in page.posts]
        if page.next_after is None:
            break
        after = page.next_after
    assert bodies == [str(n) for n in range(7)]
    assert (await forums.thread_page(db, thread_id=thread.id, viewer=None)).thread.post_count == 7


async def test_suspended_or_anonymous_people_cannot_post(db: asyncpg.Connection) -> None:
    _, rosa, slug = await setup(db)
    with pytest.raises(errors.Unauthenticated):
        await forums.start_thread(db, clock=CLOCK, actor=None, forum_slug=slug, data={"title": "Uno", "body": "a"})
    await db.execute("UPDATE account SET suspended_until = $2 WHERE id = $1", rosa.id, CLOCK.now().replace(year=2030))
    suspended = Account(**{**rosa.__dict__, "suspended_until": CLOCK.now().replace(year=2030)})
    with pytest.raises(errors.AccountSuspended):
        await forums.start_thread(db, clock=CLOCK, actor=suspended, forum_slug=slug, data={"title": "Uno", "body": "a"})

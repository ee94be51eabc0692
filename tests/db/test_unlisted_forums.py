"""The forum index lists the district's categories, organization forums and forums of other districts; the forums
that belong to a consultation (its comments) or to a budget process (its projects' debates) are reached from what
they belong to and stay public, but are not listed among the categories (migration 0018)."""

from __future__ import annotations

import asyncpg

from deliberate.consultations import service as consultations
from deliberate.forums import service as forums
from tests.budgets.test_processes import member, open_process
from tests.consultations.test_service import opened, setup


async def test_consultation_and_budget_forums_are_public_but_not_listed_among_the_categories(
    db: asyncpg.Connection,
) -> None:
    clock = opened()
    official, _, slug = await setup(db, clock)
    consultation = (await consultations.access_consultation(db, slug)).consultation
    process = await open_process(db, official, clock)
    operator = await member(db, "operador", "operator")
    category = await forums.create_category(
        db, clock=clock, actor=operator, data={"name": "Vecinos", "description": ""}
    )
    assert process.forum_id is not None
    for viewer in (None, official):
        listed = {f.id for f in await forums.list_forums(db, viewer=viewer)}
        assert category.id in listed
        assert consultation.forum_id not in listed and process.forum_id not in listed
    for forum_id in (consultation.forum_id, process.forum_id):
        forum = await forums.forum_by_id(db, forum_id)
        assert forum.visibility == "public"
        assert (await forums.access_forum(db, forum.slug, viewer=None)).id == forum_id

"""A consultation's comment counts leave out what a blocked server's people wrote, as the forum's counters do."""

from __future__ import annotations

import asyncpg

from deliberate.consultations import service as consultations
from tests.consultations.test_service import opened, setup
from tests.db.test_organizations_service import member


async def test_comments_by_people_of_a_blocked_server_are_not_counted(db: asyncpg.Connection) -> None:
    clock = opened()
    _, rosa, slug = await setup(db, clock)
    pedro = await member(db, "pedro")
    for author, body in ((rosa, "¿Y los ambulantes?"), (pedro, "Compren en mi web")):
        await consultations.comment_on_section(db, clock=clock, actor=author, slug=slug, number=2, data={"body": body})
    # pedro stands for a person of another server: his comments came from there.
    await db.execute("INSERT INTO instance (host, first_seen_at) VALUES ('spam.example', now())")
    await db.execute("UPDATE account SET origin = 'spam.example' WHERE id = $1", pedro.id)
    document = await consultations.access_consultation(db, slug)
    assert [s.comment_count for s in document.sections] == [0, 2]

    await db.execute("UPDATE instance SET blocked_at = now() WHERE host = 'spam.example'")
    document = await consultations.access_consultation(db, slug)
    assert [s.comment_count for s in document.sections] == [0, 1]

    await db.execute("UPDATE instance SET blocked_at = NULL WHERE host = 'spam.example'")
    document = await consultations.access_consultation(db, slug)
    assert [s.comment_count for s in document.sections] == [0, 2]

"""A removal decided by the moderators of a forum's own server, applied to our copy through the service: hidden
behind the reason, shown again on the reversal, never erased, and not written in this node's public log."""

from __future__ import annotations

import asyncpg

from deliberate.moderation import service as moderation
from tests.db.test_moderation_service import scene


async def test_a_remote_removal_hides_the_copy_until_it_is_reversed(db: asyncpg.Connection) -> None:
    s = await scene(db)
    assert await moderation.accept_remote_removal(db, clock=s.clock, post_id=s.post.id, removed=True,
                                                  reason="  Insultos  ")  # fmt: skip
    row = await db.fetchrow("SELECT source, hidden_at, hidden_reason FROM post WHERE id = $1", s.post.id)
    assert row["source"] == "Texto feo" and row["hidden_at"] is not None and row["hidden_reason"] == "Insultos"
    # The same decision coming again changes nothing.
    assert not await moderation.accept_remote_removal(db, clock=s.clock, post_id=s.post.id, removed=True)

    assert await moderation.accept_remote_removal(db, clock=s.clock, post_id=s.post.id, removed=False)
    assert await db.fetchval("SELECT hidden_at FROM post WHERE id = $1", s.post.id) is None
    events = await db.fetch("SELECT kind, payload FROM domain_event WHERE kind LIKE 'post_%hidden' ORDER BY id")
    assert [e["kind"] for e in events] == ["post_hidden", "post_unhidden"]
    assert await db.fetchval("SELECT count(*) FROM moderation_action") == 0

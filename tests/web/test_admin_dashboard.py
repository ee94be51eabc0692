"""The operators' page on a real node: who may see it, organizations to verify (and verifying one from it), the
queues it summarises, the last backup's age, and the bounded list of recent server errors kept in Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from yarl import URL

from tests.conftest import Node, Visitor
from tests.federation.support import sql, value
from tests.web.test_organizations_and_forums_web import found_organization, signed_in
from web.handlers.admin import ERRORS_KEY, RECENT_ERRORS, record_error


async def _operator(node: Node) -> Visitor:
    """An operator reading the page in English (stable texts whatever the state of the other catalogs)."""
    operator = await signed_in(node, "operadora", "operator")
    operator.session.cookie_jar.update_cookies({"lang": "en"}, URL(node.base_url))
    return operator


async def test_only_operators_see_the_page_and_only_they_get_the_link(node: Node) -> None:
    visitor = await node.visitor()
    response = await visitor.get("/admin", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
    rosa = await signed_in(node, "rosa")
    assert (await rosa.get("/admin")).status == 403
    assert 'href="/admin"' not in rosa.last_html
    operator = await _operator(node)
    assert (await operator.get("/forums")).status == 200 and 'href="/admin"' in operator.last_html
    assert (await operator.get("/admin")).status == 200
    for link in ("/admin/residents", "/moderation", "/admin/federation"):
        assert f'href="{link}"' in operator.last_html, link


async def test_an_organization_awaiting_verification_is_listed_and_verified_from_the_page(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa, "Comedor Santa Rosa")
    operator = await _operator(node)
    await operator.get("/admin")
    assert "Comedor Santa Rosa" in operator.last_html and "R-12" in operator.last_html
    slug = path.rsplit("/", 1)[1]
    response = await operator.submit(f"/o/{slug}/verify", {"verified": "1"}, form_page="/admin")
    assert response.status == 200
    assert await value(node, "SELECT verified_at IS NOT NULL FROM organization WHERE slug = $1", slug)
    await operator.get("/admin")
    assert "Comedor Santa Rosa" not in operator.last_html


async def test_the_moderation_queue_and_the_residents_are_counted(node: Node) -> None:
    operator = await _operator(node)
    await operator.get("/admin")
    forum = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    rosa = await signed_in(node, "rosa")
    thread = (await rosa.submit(forum + "/threads", {"title": "Agua", "body": "No hay"}, form_page=forum)).url.path
    post_id = await value(node, "SELECT min(id) FROM post")
    juan = await signed_in(node, "juan")
    response = await juan.submit(f"/p/{post_id}/report", {"reason": "spam", "text": ""}, form_page=thread)
    assert response.status == 200, juan.last_html
    await sql(
        node,
        """INSERT INTO resident_verification (account_id, verified_by, verified_at)
                       SELECT a.id, o.id, now() FROM account a, account o
                       WHERE a.username IN ('rosa', 'juan') AND o.username = 'operadora'""",
    )
    await operator.get("/admin")
    html = operator.last_html
    assert "1 reported post waits for a moderator." in html and "0 appeals wait for an answer." in html
    assert "2 members verified as residents." in html


async def test_the_last_backup_is_unknown_until_one_is_recorded_then_its_age_is_shown(node: Node) -> None:
    operator = await _operator(node)
    await operator.get("/admin")
    backup = operator.last_html[operator.last_html.index('id="backup"') : operator.last_html.index('id="errors"')]
    assert "Last backup: unknown." in backup, backup
    finished = datetime.now(UTC) - timedelta(days=3, hours=2)
    await sql(node, """INSERT INTO node_backup (started_at, finished_at, size_bytes, file_name)
                       VALUES ($1, $1, 1000, 'ves.backup')""", finished)  # fmt: skip
    await operator.get("/admin")
    backup = operator.last_html[operator.last_html.index('id="backup"') : operator.last_html.index('id="errors"')]
    assert "Last backup: 3 days ago." in backup, backup


async def test_a_server_error_is_listed_with_the_request_id_the_person_saw(node: Node) -> None:
    operator = await _operator(node)
    await operator.get("/admin")
    assert "<code>" not in operator.last_html
    # A real failure inside a handler: the forum table is briefly missing.
    await sql(node, "ALTER TABLE forum RENAME TO forum_away")
    try:
        visitor = await node.visitor()
        response = await visitor.get("/forums")
        assert response.status == 500
        request_id = response.headers["X-Request-Id"]
    finally:
        await sql(node, "ALTER TABLE forum_away RENAME TO forum")
    await operator.get("/admin")
    assert f"<code>{request_id}</code>" in operator.last_html and "GET /forums" in operator.last_html


async def test_the_error_list_keeps_only_the_newest_entries(node: Node) -> None:
    async with Redis.from_url(node.settings.redis_url) as redis:
        for number in range(RECENT_ERRORS + 10):
            entry = {"request_id": f"r{number}", "at": datetime.now(UTC).isoformat(), "method": "GET",
                     "path": "/", "status": 500}  # fmt: skip
            await record_error(redis, json.dumps(entry))
        kept = [json.loads(item)["request_id"] for item in await redis.lrange(ERRORS_KEY, 0, -1)]
    assert len(kept) == RECENT_ERRORS and kept[0] == f"r{RECENT_ERRORS + 9}" and "r9" not in kept

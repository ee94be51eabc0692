"""A blocked server's people are hidden with their posts: their pages here (`/u/name@host`) answer as an unknown page
does, and the counters the lists show (a forum's threads, a thread's posts) leave out what the block hides. Two real
nodes on loopback; the block is made and lifted by an operator through the admin page, and lifting it shows
everything again."""

from __future__ import annotations

from typing import Any

from tests.conftest import Node, Visitor
from tests.federation.support import forum_followed_across, host, settle, value


async def _rosa_wrote_on_ves(node_factory: Any) -> tuple[Node, Node, Visitor, int]:
    """VES's forum "Obras y servicios", followed from VMT: operadora (VES) opened a thread, rosa (VMT) answered it
    and opened a thread of her own there. Returns VES's thread's id on VES."""
    ves, vmt, operator, rosa, mirror = await forum_followed_across(node_factory)
    response = await operator.submit("/f/obras-y-servicios/threads", {"title": "Reservorio", "body": "Falta agua"},
                                     form_page="/f/obras-y-servicios")  # fmt: skip
    assert response.status == 200, operator.last_html
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    response = await rosa.submit(f"/f/{mirror}/threads", {"title": "Pistas de Tablada", "body": "Asfaltado"},
                                 form_page=f"/f/{mirror}")  # fmt: skip
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    copy = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")
    response = await rosa.submit(f"/t/{copy}/replies", {"body": "Pedimos una cisterna"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    assert await value(ves, "SELECT count(*) FROM post WHERE thread_id = $1", ves_thread) == 2
    return ves, vmt, operator, ves_thread


async def _block(operator: Visitor, peer: Node) -> None:
    response = await operator.submit("/admin/federation/block", {"host": host(peer), "reason": "spam"},
                                     form_page="/admin/federation")  # fmt: skip
    assert response.status == 200 and response.url.path == "/admin/federation", operator.last_html


async def _unblock(operator: Visitor, peer: Node) -> None:
    response = await operator.submit("/admin/federation/unblock", {"host": host(peer)}, form_page="/admin/federation")
    assert response.status == 200, operator.last_html


async def test_a_blocked_servers_people_have_no_page_until_it_is_unblocked(node_factory: Any) -> None:
    ves, vmt, operator, _ = await _rosa_wrote_on_ves(node_factory)
    reader = await ves.visitor()
    person = f"/u/rosa@{host(vmt)}"
    assert (await reader.get(person)).status == 200 and "Pistas de Tablada" in reader.last_html

    await _block(operator, vmt)
    for visitor in (reader, operator):  # a visitor, and the operator who blocked it
        response = await visitor.get(person)
        assert response.status == 404, visitor.last_html
        assert "Pistas de Tablada" not in visitor.last_html
    unknown = await reader.get(f"/u/nadie@{host(vmt)}")
    assert unknown.status == 404  # the same answer as for a name this node never heard of
    # VES's own members keep their pages.
    assert (await reader.get("/u/operadora")).status == 200

    await _unblock(operator, vmt)
    assert (await reader.get(person)).status == 200 and "Pistas de Tablada" in reader.last_html


async def test_counters_in_the_lists_leave_out_what_a_block_hides(node_factory: Any) -> None:
    ves, vmt, operator, ves_thread = await _rosa_wrote_on_ves(node_factory)

    async def counters() -> tuple[bool, bool, int, int]:
        await operator.get("/forums")
        two_threads = any(text in operator.last_html for text in ("2 conversaciones", "2 threads"))
        await operator.get("/f/obras-y-servicios")
        two_posts = any(text in operator.last_html for text in ("2 mensajes", "2 posts"))
        api = await operator.get("/api/v1/forums/obras-y-servicios/threads", headers={"Accept": "application/json"})
        assert api.status == 200
        threads = (await api.json())["items"]
        mine = [t for t in threads if t["id"] == ves_thread]
        return two_threads, two_posts, len(threads), mine[0]["post_count"] if mine else -1

    before = await counters()
    assert before[:2] == (True, True), operator.last_html

    await _block(operator, vmt)
    after = await counters()
    assert after[:2] == (False, False), operator.last_html
    await operator.get("/forums")
    assert any(text in operator.last_html for text in ("1 conversación", "1 thread")), operator.last_html
    await operator.get("/f/obras-y-servicios")
    assert any(text in operator.last_html for text in ("1 mensaje", "1 post")), operator.last_html
    # Nothing was deleted: the stored counters are as they were.
    assert await value(ves, "SELECT post_count FROM thread WHERE id = $1", ves_thread) == 2
    assert await value(ves, "SELECT thread_count FROM forum WHERE slug = 'obras-y-servicios'") == 2

    await _unblock(operator, vmt)
    assert await counters() == before

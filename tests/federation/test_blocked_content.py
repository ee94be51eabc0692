"""A blocked server's content is hidden here, not deleted: two real nodes on loopback, the block made by an operator
through the admin page.

What the other server wrote reaches this node as shadow accounts (`account.origin`) and mirrored forums
(`forum.origin`); while `instance.blocked_at` is set for that host none of it appears in a listing, a page or a
search, and once the operator unblocks the host everything is back as it was.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle, start, value


async def _exchange(node_factory: Any) -> tuple[Node, Node, Visitor, dict[str, int]]:
    """VES holds a forum VMT follows, VMT a forum VES follows; VMT's rosa writes in both. Returns the ids on VES of
    what rosa wrote, and VES's own thread she answered."""
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator", "moderator")
    await operator.submit("/forums", {"name": "Obras y servicios"}, form_page="/forums/new")
    rosa = await member(vmt, "rosa", "operator")
    await rosa.submit("/forums", {"name": "Vaso de leche"}, form_page="/forums/new")
    await rosa.submit("/forums/remote", {"address": f"obras-y-servicios@{host(ves)}"})
    await operator.submit("/forums/remote", {"address": f"vaso-de-leche@{host(vmt)}"})
    await settle(ves, vmt)

    opening = {"title": "Reservorio de la loma", "body": "Falta agua en el sector 3"}
    response = await operator.submit("/f/obras-y-servicios/threads", opening, form_page="/f/obras-y-servicios")
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    mirror = f"obras-y-servicios@{host(ves)}"
    await rosa.submit(f"/f/{mirror}/threads", {"title": "Pistas de Tablada", "body": "Asfaltado pendiente"},
                      form_page=f"/f/{mirror}")  # fmt: skip
    opening = {"title": "Padrón de beneficiarios", "body": "Lista de beneficiarios de enero"}
    await rosa.submit("/f/vaso-de-leche/threads", opening, form_page="/f/vaso-de-leche")
    await settle(ves, vmt)
    vmt_copy = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")
    response = await rosa.submit(f"/t/{vmt_copy}/replies", {"body": "Pedimos una cisterna para Villa María"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)

    ids = {
        "ves_thread": ves_thread,
        "rosa_thread": await value(ves, "SELECT id FROM thread WHERE title = 'Pistas de Tablada'"),
        "mirrored_thread": await value(ves, "SELECT id FROM thread WHERE title = 'Padrón de beneficiarios'"),
    }
    assert all(ids.values()), ids
    return ves, vmt, operator, ids


async def _what_ves_shows(operator: Visitor, ids: dict[str, int], mirror: str) -> dict[str, bool]:
    """Each place rosa's content can appear on VES, and whether it does."""
    shown: dict[str, bool] = {}
    await operator.get(f"/t/{ids['ves_thread']}")
    shown["reply on the thread page"] = "cisterna para Villa María" in operator.last_html
    await operator.get("/f/obras-y-servicios")
    shown["her thread in the forum's list"] = "Pistas de Tablada" in operator.last_html
    shown["her thread's page"] = (await operator.get(f"/t/{ids['rosa_thread']}")).status == 200
    await operator.get("/forums")
    shown["her server's forum in the list of forums"] = "Vaso de leche" in operator.last_html
    shown["her server's forum's page"] = (await operator.get(f"/f/{mirror}")).status == 200
    shown["a thread of her server's forum"] = (await operator.get(f"/t/{ids['mirrored_thread']}")).status == 200
    await operator.get("/search?q=cisterna")
    shown["her reply in a search"] = "Reservorio de la loma" in operator.last_html
    await operator.get("/search?q=beneficiarios")
    shown["her server's thread in a search"] = "Padrón de beneficiarios" in operator.last_html
    return shown


async def test_a_blocked_servers_posts_and_forums_are_hidden_until_it_is_unblocked(node_factory: Any) -> None:
    ves, vmt, operator, ids = await _exchange(node_factory)
    mirror = f"vaso-de-leche@{host(vmt)}"
    everywhere = await _what_ves_shows(operator, ids, mirror)
    assert all(everywhere.values()), everywhere

    response = await operator.submit("/admin/federation/block", {"host": host(vmt), "reason": "spam"},
                                     form_page="/admin/federation")  # fmt: skip
    assert response.status == 200 and response.url.path == "/admin/federation", operator.last_html
    await settle(ves, vmt)
    nowhere = await _what_ves_shows(operator, ids, mirror)
    assert not any(nowhere.values()), nowhere
    # VES's own thread and forum stay; hiding deleted nothing.
    assert (await operator.get(f"/t/{ids['ves_thread']}")).status == 200
    assert "Falta agua en el sector 3" in operator.last_html
    assert await value(ves, "SELECT count(*) FROM post WHERE source LIKE '%cisterna%' AND deleted_at IS NULL") == 1

    await operator.submit("/admin/federation/unblock", {"host": host(vmt)}, form_page="/admin/federation")
    again = await _what_ves_shows(operator, ids, mirror)
    assert again == everywhere

"""A moderator's removal federates: two real nodes on loopback, a forum of VES followed from VMT.

When a moderator of the forum's node hides a post, its Group announces a Delete of the post by the moderator (with
the reason as its summary), as Lemmy federates a moderator's removal; the follower hides its copy behind the same
reason, and an Announce of the Undo of that Delete shows it again. Nothing is erased on either side.
"""

from __future__ import annotations

from typing import Any

from tests.federation.support import host, member, settle, sql, start, value


async def test_a_moderators_removal_and_its_reversal_reach_the_followers_copies(node_factory: Any) -> None:
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    moderator = await member(ves, "operadora", "operator", "moderator")
    await moderator.submit("/forums", {"name": "Obras y servicios"}, form_page="/forums/new")
    rosa = await member(vmt, "rosa")
    await rosa.submit("/forums/remote", {"address": f"obras-y-servicios@{host(ves)}"})
    await settle(ves, vmt)
    ana = await member(ves, "ana")
    opening = {"title": "Reservorio de la loma", "body": "Falta agua en el sector 3"}
    response = await ana.submit("/f/obras-y-servicios/threads", opening, form_page="/f/obras-y-servicios")
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await ana.submit(f"/t/{ves_thread}/replies", {"body": "Los del sector 4 son unos ladrones"})
    await settle(ves, vmt)
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")
    await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Compren agua en mi tienda"})
    await settle(ves, vmt)
    ana_reply = await value(ves, "SELECT id FROM post WHERE source LIKE 'Los del sector 4%'")
    rosa_reply = await value(ves, "SELECT id FROM post WHERE source LIKE 'Compren agua%'")
    copies = "SELECT source, hidden_reason FROM post WHERE hidden_at IS NOT NULL ORDER BY id"

    response = await moderator.submit(f"/p/{ana_reply}/hide", {"reason": "Acusa sin pruebas"},
                                      form_page=f"/p/{ana_reply}/moderate")  # fmt: skip
    assert response.status == 200, moderator.last_html
    # rosa's reply is hers, written on VMT: VES's moderators still decide what stays in VES's forum, and VMT shows
    # the forum as its node keeps it.
    await moderator.submit(f"/p/{rosa_reply}/hide", {"reason": "Publicidad"}, form_page=f"/p/{rosa_reply}/moderate")
    await settle(ves, vmt)
    hidden = [tuple(row) for row in await sql(vmt, copies)]
    assert hidden == [("Los del sector 4 son unos ladrones", "Acusa sin pruebas"),
                      ("Compren agua en mi tienda", "Publicidad")]  # fmt: skip
    await rosa.get(f"/t/{vmt_thread}")
    assert "ladrones" not in rosa.last_html and "Acusa sin pruebas" in rosa.last_html

    await moderator.submit(f"/p/{ana_reply}/unhide", {"reason": "Lo aclaró"}, form_page=f"/p/{ana_reply}/moderate")
    await settle(ves, vmt)
    hidden = [tuple(row) for row in await sql(vmt, copies)]
    assert hidden == [("Compren agua en mi tienda", "Publicidad")]
    assert await value(vmt, "SELECT count(*) FROM post WHERE deleted_at IS NOT NULL") == 0

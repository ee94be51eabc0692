"""Real district nodes on loopback (two, and three): a forum followed across nodes, with everything members do in it.

Nothing is mocked: each node has its own PostgreSQL database, keys and HTTP server; activities travel as signed
HTTP requests through the delivery queue and the inbox pipeline of the other node.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from federation.crypto.errors import SignatureError
from federation.crypto.multikey import assertion_method_key
from federation.crypto.proofs import verify_proof
from tests.federation.support import forum_followed_across, host, member, settle, sql, start, value
from tests.web.test_live_updates import _events


async def test_a_forum_followed_from_another_node_receives_threads_and_takes_replies(node_factory: Any) -> None:
    ves, vmt, _operator, rosa, mirror = await forum_followed_across(node_factory)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    # Both are deliberate nodes: each read in the other's actors (FEP-844e) that it verifies RFC 9421 signatures,
    # so deliveries between them are signed with Ed25519 RFC 9421 rather than draft-cavage.
    assert await value(ves, "SELECT rfc9421 FROM instance WHERE host = $1", host(vmt))
    assert await value(vmt, "SELECT rfc9421 FROM instance WHERE host = $1", host(ves))
    assert await value(ves, "SELECT count(*) FROM follower WHERE actor_kind = 'group'") == 1

    ana = await member(ves, "ana")
    response = await ana.submit("/f/obras-y-servicios/threads",
                                {"title": "Reservorio de la loma", "body": "Falta **agua** en el sector 3"},
                                form_page="/f/obras-y-servicios")  # fmt: skip
    assert response.status == 200, ana.last_html
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt)

    await rosa.get(f"/f/{mirror}")
    assert "Reservorio de la loma" in rosa.last_html
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")
    await rosa.get(f"/t/{vmt_thread}")
    assert "<strong>agua</strong>" in rosa.last_html and f"ana@{host(ves)}" in rosa.last_html
    # A member here who follows the mirrored forum is told about the new thread like about a local one.
    assert await value(vmt, "SELECT count(*) FROM notification") == 1

    # A reader on VES with the thread open hears the reply from VMT live, once the worker has stored it.
    opening = await value(ves, "SELECT min(id) FROM post WHERE thread_id = $1", ves_thread)
    stream = await (await ves.visitor()).session.get(f"{ves.base_url}/t/{ves_thread}/events?after={opening}")
    response = await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Desde VMT apoyamos el pedido"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    await ana.get(f"/t/{ves_thread}")
    assert "Desde VMT apoyamos el pedido" in ana.last_html and f"rosa@{host(vmt)}" in ana.last_html
    remote_reply = await value(ves, "SELECT max(id) FROM post WHERE thread_id = $1", ves_thread)
    assert await _events(stream, 1) == [remote_reply]
    stream.close()
    # The reply came back to VMT in the forum's Announce and was recognised as our own: no duplicate.
    assert await value(vmt, "SELECT count(*) FROM post WHERE thread_id = $1", vmt_thread) == 2

    # A third member on VES answers; VMT gets it through the Group's Announce with ana's proof checked.
    response = await ana.submit(f"/t/{ves_thread}/replies", {"body": "Gracias, vecinas de VMT"})
    await settle(ves, vmt)
    await rosa.get(f"/t/{vmt_thread}")
    assert "Gracias, vecinas de VMT" in rosa.last_html
    for node in (ves, vmt):  # every activity either node received was taken, none refused
        errors = await sql(node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL")
        assert errors == [], errors
    # Three new posts, each announced twice (as Lemmy does: the Create, and the post itself for Mastodon).
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Announce'") == 6


async def test_edits_deletions_and_support_converge_on_both_nodes(node_factory: Any) -> None:
    ves, vmt, _operator, rosa, _mirror = await forum_followed_across(node_factory)
    ana = await member(ves, "ana")
    thread = {"title": "Pistas y veredas", "body": "Primera versión"}
    response = await ana.submit("/f/obras-y-servicios/threads", thread, form_page="/f/obras-y-servicios")
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt)
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")
    ves_opening = await value(ves, "SELECT min(id) FROM post WHERE thread_id = $1", ves_thread)
    vmt_opening = await value(vmt, "SELECT min(id) FROM post WHERE thread_id = $1", vmt_thread)

    response = await ana.submit(f"/p/{ves_opening}/edit", {"body": "Segunda versión, corregida"})
    assert response.status == 200, ana.last_html
    await settle(ves, vmt)
    await rosa.get(f"/t/{vmt_thread}")
    assert "Segunda versión, corregida" in rosa.last_html and "Primera versión" not in rosa.last_html
    assert await value(vmt, "SELECT count(*) FROM post_revision") == 1  # the history travels as history

    await rosa.submit(f"/p/{vmt_opening}/react", {"kind": "apoyo"}, form_page=f"/t/{vmt_thread}")
    await ana.submit(f"/p/{ves_opening}/react", {"kind": "apoyo"}, form_page=f"/t/{ves_thread}")
    await settle(ves, vmt)
    support = "SELECT count(*) FROM reaction WHERE post_id = $1 AND kind = 'apoyo'"
    assert await value(ves, support, ves_opening) == 2
    assert await value(vmt, support, vmt_opening) == 2
    await rosa.submit(f"/p/{vmt_opening}/react", {"kind": "apoyo"}, form_page=f"/t/{vmt_thread}")  # withdrawn
    await settle(ves, vmt)
    assert await value(ves, support, ves_opening) == 1 and await value(vmt, support, vmt_opening) == 1

    await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Un comentario que luego borro"})
    await settle(ves, vmt)
    vmt_reply = await value(vmt, "SELECT max(id) FROM post WHERE thread_id = $1", vmt_thread)
    ves_reply = await value(ves, "SELECT max(id) FROM post WHERE thread_id = $1", ves_thread)
    assert await value(ves, "SELECT source FROM post WHERE id = $1", ves_reply) == "Un comentario que luego borro"
    response = await rosa.submit(f"/p/{vmt_reply}/delete", {}, form_page=f"/t/{vmt_thread}")
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    assert await value(ves, "SELECT deleted_at IS NOT NULL AND source = '' FROM post WHERE id = $1", ves_reply)


async def test_a_locked_thread_refuses_remote_replies_on_both_sides(node_factory: Any) -> None:
    ves, vmt, operator, rosa, _mirror = await forum_followed_across(node_factory)
    response = await operator.submit("/f/obras-y-servicios/threads", {"title": "Cierre de la consulta",
                                     "body": "Gracias a todas"}, form_page="/f/obras-y-servicios")  # fmt: skip
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt)
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")

    # rosa's reply leaves VMT before the lock reaches it; VES, where the thread lives, refuses it.
    await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Una respuesta tardía"})
    response = await operator.submit(f"/t/{ves_thread}/close", {"reason": "Consulta terminada"})
    assert response.status == 200, operator.last_html
    await settle(vmt)  # VMT sends rosa's reply first…
    await settle(ves, vmt)  # …then VES processes it (refused) and announces the lock
    assert await value(ves, "SELECT count(*) FROM post WHERE thread_id = $1", ves_thread) == 1
    assert "thread_locked" in (await value(ves, "SELECT error FROM inbox_activity WHERE type = 'Create'") or "")
    assert await value(vmt, "SELECT locked_at IS NOT NULL FROM thread WHERE id = $1", vmt_thread)

    # Now VMT refuses it too, before anything leaves.
    response = await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Otra más"})
    assert response.status == 409


async def test_a_lock_of_a_thread_started_on_another_node_reaches_its_followers(node_factory: Any) -> None:
    ves, vmt, operator, rosa, mirror = await forum_followed_across(node_factory)
    response = await rosa.submit(f"/f/{mirror}/threads", {"title": "Hilo desde VMT", "body": "Lo abrimos aquí"},
                                 form_page=f"/f/{mirror}")  # fmt: skip
    vmt_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt)
    ves_thread = await value(ves, "SELECT id FROM thread WHERE ap_id = $1", f"{vmt.base_url}/t/{vmt_thread}")
    assert ves_thread is not None

    # The thread's Page lives on VMT, where rosa wrote it: VES's Group cannot send an Update of it (VMT's inbox
    # takes objects only from their own server), so it announces a Lock of it, as Lemmy does.
    response = await operator.submit(f"/t/{ves_thread}/close", {"reason": "Tema resuelto"})
    assert response.status == 200, operator.last_html
    await settle(ves, vmt)
    assert await value(vmt, "SELECT locked_at IS NOT NULL FROM thread WHERE id = $1", vmt_thread)
    response = await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Una más"})
    assert response.status == 409

    response = await operator.submit(f"/t/{ves_thread}/close", {"reason": "Seguimos", "locked": "0"})
    assert response.status == 200, operator.last_html
    await settle(ves, vmt)
    assert await value(vmt, "SELECT locked_at IS NULL FROM thread WHERE id = $1", vmt_thread)
    response = await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Ahora sí"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    assert await value(ves, "SELECT count(*) FROM post WHERE thread_id = $1", ves_thread) == 2
    assert await sql(ves, "SELECT activity_id, state, last_error FROM delivery") == []
    assert await sql(vmt, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL") == []


async def test_a_blocked_node_is_refused_and_its_posts_never_appear(node_factory: Any) -> None:
    ves, vmt, operator, rosa, _mirror = await forum_followed_across(node_factory)
    response = await operator.submit("/f/obras-y-servicios/threads", {"title": "Un hilo abierto",
                                     "body": "Opinen"}, form_page="/f/obras-y-servicios")  # fmt: skip
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt)
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")

    await sql(ves, "UPDATE instance SET blocked_at = now(), block_reason = 'spam' WHERE host = $1", host(vmt))
    await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "Mensaje desde un nodo bloqueado"})
    await settle(ves, vmt)
    assert await value(ves, "SELECT count(*) FROM post WHERE source LIKE '%bloqueado%'") == 0
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE actor_uri LIKE $1", f"{vmt.base_url}%") == 1
    failed = await value(vmt, "SELECT last_error FROM delivery WHERE state = 'failed'")
    assert failed is not None and re.search(r"HTTP 403", failed)


async def test_following_a_forum_brings_its_recent_threads_from_the_outbox(node_factory: Any) -> None:
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    await operator.submit("/forums", {"name": "Vaso de leche"}, form_page="/forums/new")
    for title in ("Padrón de beneficiarios", "Horario de reparto"):
        await operator.submit("/f/vaso-de-leche/threads", {"title": title, "body": "Detalles aquí"},
                              form_page="/f/vaso-de-leche")  # fmt: skip
    rosa = await member(vmt, "rosa")
    await rosa.submit("/forums/remote", {"address": f"vaso-de-leche@{host(ves)}"})
    await settle(ves, vmt)
    titles = {row["title"] for row in await sql(vmt, "SELECT title FROM thread")}
    assert titles == {"Padrón de beneficiarios", "Horario de reparto"}
    assert await value(vmt, "SELECT count(*) FROM thread WHERE ap_id IS NULL") == 0


async def test_reports_reach_the_posts_server_and_a_block_is_announced(node_factory: Any) -> None:
    ves, vmt, operator, rosa, _mirror = await forum_followed_across(node_factory)
    response = await operator.submit("/f/obras-y-servicios/threads", {"title": "Venta de lotes", "body": "Spam"},
                                     form_page="/f/obras-y-servicios")  # fmt: skip
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt)
    vmt_post = await value(vmt, "SELECT p.id FROM post p JOIN thread t ON t.id = p.thread_id WHERE t.ap_id = $1",
                           f"{ves.base_url}/t/{ves_thread}")  # fmt: skip
    response = await rosa.submit(f"/p/{vmt_post}/report", {"reason": "spam", "text": "Publicidad"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    # VES's moderators get the report on the original post, from VMT's node: rosa is not named.
    row = await sql(ves, "SELECT r.text, a.username FROM report r JOIN account a ON a.id = r.reporter_id")
    assert len(row) == 1 and row[0]["text"] == "spam: Publicidad" and "rosa" not in row[0]["username"]
    assert row[0]["username"].endswith(f"@{host(vmt)}")

    await operator.submit("/admin/federation/block", {"host": host(vmt), "reason": "pruebas"},
                          form_page="/admin/federation")  # fmt: skip
    await settle(ves, vmt)
    assert await value(vmt, "SELECT unavailable FROM instance WHERE host = $1", host(ves))
    vmt_thread = await value(vmt, "SELECT thread_id FROM post WHERE id = $1", vmt_post)
    await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "No debería salir"})
    await settle(ves, vmt)
    # VMT keeps rosa's reply queued without trying a server that said it blocked us.
    assert await value(vmt, "SELECT attempts FROM delivery WHERE state = 'pending' AND host = $1", host(ves)) == 0


async def test_objects_are_served_signed_by_their_author_and_copies_point_to_their_origin(node_factory: Any) -> None:
    ves, vmt, operator, _rosa, _mirror = await forum_followed_across(node_factory)
    response = await operator.submit("/f/obras-y-servicios/threads", {"title": "Firmado", "body": "Por su autora"},
                                     form_page="/f/obras-y-servicios")  # fmt: skip
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt)
    as2 = {"Accept": "application/activity+json"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{ves.base_url}/t/{ves_thread}", headers=as2) as got:
            page = await got.json(content_type=None)
        async with session.get(f"{ves.base_url}/u/operadora", headers=as2) as got:
            author = await got.json(content_type=None)
        vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", page["id"])
        async with session.get(f"{vmt.base_url}/t/{vmt_thread}", headers=as2, allow_redirects=False) as got:
            assert got.status == 302 and got.headers["Location"] == page["id"]
    proof = page["proof"]
    assert proof["verificationMethod"] == f"{ves.base_url}/u/operadora#ed25519-key"
    verify_proof(page, proof, assertion_method_key(author, proof["verificationMethod"]))
    tampered = page | {"content": "<p>Otra cosa</p>"}
    with pytest.raises(SignatureError):
        verify_proof(tampered, proof, assertion_method_key(author, proof["verificationMethod"]))


async def test_three_nodes_a_reply_from_one_follower_reaches_the_other_through_the_forum(node_factory: Any) -> None:
    ves, vmt, operator, rosa, mirror = await forum_followed_across(node_factory)
    lurin = await start(node_factory, "lurin")
    lucia = await member(lurin, "lucia")
    await lucia.submit("/forums/remote", {"address": mirror})
    await settle(ves, vmt, lurin)
    response = await operator.submit("/f/obras-y-servicios/threads", {"title": "Mancomunidad", "body": "¿Juntamos?"},
                                     form_page="/f/obras-y-servicios")  # fmt: skip
    ves_thread = int(response.url.path.rsplit("/", 1)[1])
    await settle(ves, vmt, lurin)
    ap_id = f"{ves.base_url}/t/{ves_thread}"
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", ap_id)
    await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "VMT se suma"})
    await settle(ves, vmt, lurin)
    # LURIN never talked to VMT: it got rosa's reply from VES's forum and checked rosa's own signature on it.
    lurin_thread = await value(lurin, "SELECT id FROM thread WHERE ap_id = $1", ap_id)
    await lucia.get(f"/t/{lurin_thread}")
    assert "VMT se suma" in lucia.last_html and f"rosa@{host(vmt)}" in lucia.last_html
    assert await value(lurin, "SELECT count(*) FROM inbox_activity WHERE actor_uri LIKE $1", vmt.base_url + "%") == 0
    assert await sql(lurin, "SELECT error FROM inbox_activity WHERE error IS NOT NULL") == []

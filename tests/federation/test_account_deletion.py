"""Deleting an account across two real nodes: the peer that holds copies of the member's posts is asked to delete
them (and the Person), signed by the member's own key, through the outbox, the delivery queue and its inbox."""

from __future__ import annotations

from typing import Any

from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle, sql, start, value


async def _thread_copied_to_a_peer(node_factory: Any) -> tuple[Node, Node, Visitor, int, int]:
    """ana on VES opened a thread and replied in a forum VMT follows; VMT holds copies of both posts."""
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    response = await operator.submit("/forums", {"name": "Obras y servicios"}, form_page="/forums/new")
    assert response.status == 200 and response.url.path == "/f/obras-y-servicios", operator.last_html
    rosa = await member(vmt, "rosa")
    response = await rosa.submit("/forums/remote", {"address": f"obras-y-servicios@{host(ves)}"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    ana = await member(ves, "ana")
    response = await ana.submit("/f/obras-y-servicios/threads", {"title": "Reservorio", "body": "Falta agua"},
                                form_page="/f/obras-y-servicios")  # fmt: skip
    assert response.status == 200, ana.last_html
    thread_path = response.url.path
    response = await ana.submit(thread_path + "/replies", {"body": "Sigue faltando en el sector 3"},
                                form_page=thread_path)  # fmt: skip
    assert response.status == 200, ana.last_html
    await settle(ves, vmt)
    opening = await value(vmt, "SELECT id FROM post WHERE source = 'Falta agua' AND deleted_at IS NULL")
    reply = await value(vmt, "SELECT id FROM post WHERE source = 'Sigue faltando en el sector 3'")
    assert opening is not None and reply is not None
    return ves, vmt, ana, opening, reply


async def test_deleting_the_account_with_its_posts_tombstones_the_peers_copies(node_factory: Any) -> None:
    ves, vmt, ana, opening, reply = await _thread_copied_to_a_peer(node_factory)
    response = await ana.submit("/account/delete", {"password": "clave-segura-123", "posts": "delete"})
    assert response.status == 200 and response.url.path == "/account/deleted", ana.last_html
    await settle(ves, vmt)

    rows = await sql(vmt, "SELECT id, source, deleted_at FROM post WHERE id = ANY($1::bigint[])", [opening, reply])
    assert all(row["deleted_at"] is not None and row["source"] == "" for row in rows), rows
    # The peer took every activity: the posts' Deletes (relayed by the forum) and the Person's own Delete.
    errors = await sql(vmt, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL")
    assert errors == [], errors
    person = f"{ves.base_url}/u/ana"
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Delete' AND actor_uri = $1",
                       person) == 1  # fmt: skip
    assert await value(ves, "SELECT count(*) FROM delivery WHERE state = 'failed'") == 0


async def test_posts_kept_anonymously_stay_on_the_peer_while_the_person_is_deleted(node_factory: Any) -> None:
    ves, vmt, ana, opening, reply = await _thread_copied_to_a_peer(node_factory)
    response = await ana.submit("/account/delete", {"password": "clave-segura-123", "posts": "anonymous"})
    assert response.status == 200 and response.url.path == "/account/deleted", ana.last_html
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM post WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL",
                       [opening, reply]) == 2  # fmt: skip
    person = f"{ves.base_url}/u/ana"
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Delete' AND actor_uri = $1 "
                            "AND error IS NULL AND processed_at IS NOT NULL", person) == 1  # fmt: skip
    # The peer marks its copy of the person deleted; the posts she left stay, under her (now nameless) handle.
    shadow = await sql(vmt, "SELECT deleted_at, display_name FROM account WHERE username = $1", f"ana@{host(ves)}")
    assert shadow[0]["deleted_at"] is not None and shadow[0]["display_name"] is None, shadow


async def test_a_reply_sent_to_another_nodes_forum_is_deleted_there_with_the_account(node_factory: Any) -> None:
    ves, vmt, _ana, opening, _reply = await _thread_copied_to_a_peer(node_factory)
    rosa = await vmt.visitor()
    await rosa.login("rosa")
    thread = await value(vmt, "SELECT thread_id FROM post WHERE id = $1", opening)
    response = await rosa.submit(f"/t/{thread}/replies", {"body": "Desde VMT también falta"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)
    assert await value(ves, "SELECT count(*) FROM post WHERE source = 'Desde VMT también falta'") == 1

    response = await rosa.submit("/account/delete", {"password": "clave-segura-123", "posts": "delete"})
    assert response.status == 200 and response.url.path == "/account/deleted", rosa.last_html
    await settle(ves, vmt)
    # The forum's own node took rosa's Delete (signed by her key) and tombstoned its copy.
    assert await value(ves, "SELECT count(*) FROM post WHERE source = 'Desde VMT también falta'") == 0
    assert await value(ves, "SELECT count(*) FROM post p JOIN account a ON a.id = p.author_id "
                            "WHERE a.username = $1 AND p.deleted_at IS NOT NULL", f"rosa@{host(vmt)}") == 1  # fmt: skip
    errors = await sql(ves, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL")
    assert errors == [], errors

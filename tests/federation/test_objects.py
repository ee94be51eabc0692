"""Threads and replies as ActivityPub objects, served on their own URLs, readable by our own parser."""

from __future__ import annotations

from typing import Any

from schemas.activitypub import PUBLIC, Post, Tombstone, parse_document
from tests.conftest import Node
from tests.federation.test_discovery_and_actors import AS2, fetch
from tests.web.test_organizations_and_forums_web import found_organization, signed_in


async def forum_with_thread(node: Node) -> tuple[Any, str, str]:
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    rosa = await signed_in(node, "rosa")
    thread_path = (
        await rosa.submit(forum_path + "/threads", {"title": "Agua", "body": "**Sin** agua"}, form_page=forum_path)
    ).url.path
    return rosa, forum_path, thread_path


async def post_ids(node: Node) -> list[int]:
    conn = await node.connect()
    ids = [row["id"] for row in await conn.fetch("SELECT id FROM post ORDER BY id")]
    await conn.close()
    return ids


async def test_a_thread_is_a_page_addressed_to_its_forum_group(node: Node) -> None:
    _, forum_path, thread_path = await forum_with_thread(node)
    status, page, response = await fetch(node, thread_path)
    assert status == 200 and response.content_type == AS2
    assert page["type"] == "Page" and page["name"] == "Agua" and page["id"] == node.base_url + thread_path
    assert page["attributedTo"] == f"{node.base_url}/u/rosa"
    assert page["audience"] == node.base_url + forum_path and PUBLIC in page["to"]
    assert page["source"] == {"content": "**Sin** agua", "mediaType": "text/markdown"}
    assert page["content"] == "<p><strong>Sin</strong> agua</p>\n"
    parsed = parse_document(page)
    assert isinstance(parsed, Post) and parsed.is_public and parsed.audience == node.base_url + forum_path


async def test_replies_are_notes_in_reply_to_what_they_answer(node: Node) -> None:
    rosa, _, thread_path = await forum_with_thread(node)
    juan = await signed_in(node, "juan")
    await juan.submit(thread_path + "/replies", {"body": "Aquí tampoco"}, form_page=thread_path)
    opening, first_reply = await post_ids(node)
    await rosa.submit(thread_path + "/replies", {"body": "¿Desde cuándo?", "reply_to": str(first_reply)},
                      form_page=thread_path)  # fmt: skip
    *_, second_reply = await post_ids(node)
    _, note, _ = await fetch(node, f"/p/{first_reply}")
    assert note["type"] == "Note" and note["inReplyTo"] == node.base_url + thread_path
    assert note["attributedTo"] == f"{node.base_url}/u/juan"
    _, answer, _ = await fetch(node, f"/p/{second_reply}")
    assert answer["inReplyTo"] == f"{node.base_url}/p/{first_reply}"
    _, same_page, _ = await fetch(node, f"/p/{opening}")
    assert same_page["type"] == "Page" and same_page["id"] == node.base_url + thread_path
    status, _, response = await fetch(node, f"/p/{first_reply}", accept="text/html")
    assert status == 200 and response.url.path == thread_path  # a browser goes to the post in its thread


async def test_posts_in_an_organizations_name_are_attributed_to_it_and_removed_ones_are_tombstones(
    node: Node,
) -> None:
    rosa, _, thread_path = await forum_with_thread(node)
    org_path = await found_organization(rosa)
    await rosa.submit(thread_path + "/replies", {"body": "Convocamos", "as_organization": org_path.split("/")[-1]},
                      form_page=thread_path)  # fmt: skip
    *_, org_reply = await post_ids(node)
    _, note, _ = await fetch(node, f"/p/{org_reply}")
    assert note["attributedTo"] == node.base_url + org_path and "/u/rosa" not in str(note)
    await rosa.submit(f"/p/{org_reply}/delete", {}, form_page=thread_path)
    _, gone, _ = await fetch(node, f"/p/{org_reply}")
    assert gone["type"] == "Tombstone" and gone["formerType"] == "Note" and "Convocamos" not in str(gone)
    assert isinstance(parse_document(gone), Tombstone)


async def test_members_only_threads_are_not_served_to_other_servers(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    org_path = await found_organization(rosa)
    forum_path = (await rosa.submit(org_path + "/forums", {"name": "Interno", "visibility": "members"},
                                    form_page=org_path)).url.path  # fmt: skip
    thread_path = (
        await rosa.submit(forum_path + "/threads", {"title": "Reunión", "body": "El lunes"}, form_page=forum_path)
    ).url.path
    (post_id,) = await post_ids(node)
    for path in (thread_path, f"/p/{post_id}"):
        status, problem, _ = await fetch(node, path)
        assert status == 404 and problem["status"] == 404

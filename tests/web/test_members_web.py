"""Members' data on a real node: downloading everything the node holds, deleting the account (posts kept without a
name, or tombstoned), the last-owner refusal, and the privacy page."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Node, Visitor
from tests.federation.support import sql, value
from tests.web.test_notifications_web import open_thread
from tests.web.test_organizations_and_forums_web import found_organization, signed_in


def _keys(document: Any) -> set[str]:
    """Every key at any depth of a JSON document."""
    if isinstance(document, dict):
        return set(document) | {key for item in document.values() for key in _keys(item)}
    if isinstance(document, list):
        return {key for item in document for key in _keys(item)}
    return set()


async def _member_with_content(node: Node) -> tuple[Visitor, str]:
    """rosa (with an e-mail) opened a thread, edited it, reacted, follows it and holds a token."""
    _, thread_path = await open_thread(node)
    rosa = await node.visitor()
    await rosa.login("rosa")
    await sql(node, "UPDATE account SET email = 'rosa@example.pe', phone = '987 654 321' WHERE username = 'rosa'")
    post_id = await value(node, "SELECT min(id) FROM post")
    response = await rosa.submit(f"/p/{post_id}/edit", {"body": "No hay agua desde el lunes"})
    assert response.status == 200, rosa.last_html
    await rosa.submit(f"/p/{post_id}/react", {"kind": "apoyo"}, form_page=thread_path)
    await rosa.submit("/follow", {"kind": "thread", "target": thread_path.split("/")[-1], "next": thread_path},
                      form_page=thread_path)  # fmt: skip
    await rosa.submit("/account/tokens", {"name": "Mi programa"})
    return rosa, thread_path


async def test_a_member_downloads_everything_the_node_holds_about_them_without_any_secret(node: Node) -> None:
    rosa, _ = await _member_with_content(node)
    response = await rosa.get("/account/data")
    assert response.status == 200 and response.content_type == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(await response.text())
    assert data["format"] == "deliberate-member-data/1"
    assert data["account"]["username"] == "rosa" and data["account"]["email"] == "rosa@example.pe"
    [post] = data["posts"]
    assert post["source"] == "No hay agua desde el lunes"
    assert [revision["source"] for revision in post["revisions"]] == ["No hay agua"]
    assert [thread["title"] for thread in data["threads_started"]] == ["Agua"]
    assert [reaction["kind"] for reaction in data["reactions"]] == ["apoyo"]
    assert [s["target_kind"] for s in data["subscriptions"]] == ["thread"]
    assert [token["name"] for token in data["api_tokens"]] == ["Mi programa"]
    assert data["resident_verification"] is None and data["budget_voter_rolls"] == []
    keys = _keys(data)
    assert not keys & {"password_hash", "token_hash", "roll_tag", "receipt_hash", "rsa_private_pem", "choices"}
    # Nobody else's data: the operator's forum is not rosa's.
    assert data["forums_created"] == []


async def test_the_download_is_only_for_the_signed_in_member(node: Node) -> None:
    visitor = await node.visitor()
    response = await visitor.get("/account/data", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


async def test_the_api_gives_the_same_document_to_a_personal_token(node: Node) -> None:
    rosa, _ = await _member_with_content(node)
    await rosa.submit("/account/tokens", {"name": "Exportar"})
    token = re.search(r"dlb_[A-Za-z0-9_-]+", rosa.last_html)
    assert token, rosa.last_html
    client = await node.visitor(Authorization=f"Bearer {token[0]}")
    response = await client.get("/api/v1/account/data")
    assert response.status == 200
    data = await response.json()
    assert data["account"]["username"] == "rosa" and len(data["posts"]) == 1
    anonymous = await node.visitor(Accept="application/json")
    response = await anonymous.get("/api/v1/account/data")
    assert response.status == 401 and response.content_type == "application/problem+json"


async def test_a_wrong_password_deletes_nothing_and_says_so_next_to_the_field(node: Node) -> None:
    rosa, _ = await _member_with_content(node)
    response = await rosa.submit("/account/delete", {"password": "no-es-mi-clave", "posts": "delete"})
    assert response.status == 400
    assert 'id="password-error"' in rosa.last_html and 'value="delete" required checked' in rosa.last_html
    response = await rosa.submit("/account/delete", {"password": "clave-segura-123", "posts": "todo"})
    assert response.status == 400 and 'id="posts-error"' in rosa.last_html
    assert await value(node, "SELECT email FROM account WHERE username = 'rosa'") == "rosa@example.pe"
    assert await value(node, "SELECT count(*) FROM domain_event WHERE kind = 'account_deleted'") == 0


async def test_posts_kept_anonymously_stay_readable_under_cuenta_eliminada(node: Node) -> None:
    rosa, thread_path = await _member_with_content(node)
    rosa_id = await value(node, "SELECT id FROM account WHERE username = 'rosa'")
    response = await rosa.submit("/account/delete", {"password": "clave-segura-123", "posts": "anonymous"})
    assert response.status == 200 and response.url.path == "/account/deleted", rosa.last_html

    reader = await node.visitor()
    await reader.get(thread_path)
    assert "No hay agua desde el lunes" in reader.last_html and "cuenta eliminada" in reader.last_html
    assert "/u/rosa" not in reader.last_html and "@rosa" not in reader.last_html
    row = (await sql(node, "SELECT display_name, email, phone, password_hash, deleted_at FROM account WHERE id = $1",
                     rosa_id))[0]  # fmt: skip
    assert row["display_name"] is None and row["email"] is None and row["phone"] is None
    assert row["password_hash"] == "!" and row["deleted_at"] is not None
    for table in ("subscription", "notification", "reaction", "api_token", "organization_member", "post", "thread"):
        owner = "author_id" if table in ("post", "thread") else "account_id"
        query = f"SELECT count(*) FROM {table} WHERE {owner} = $1"  # noqa: S608 - names from the list above
        assert await value(node, query, rosa_id) == 0, table
    # The text and its history are kept, under the shared anonymous author.
    assert await value(node, "SELECT count(*) FROM post_revision") == 1

    # Logged out everywhere, the password matches nothing, and the name stays taken.
    await rosa.get("/account/data", allow_redirects=False)
    assert (await rosa.get("/account/data", allow_redirects=False)).status == 303
    again = await node.visitor()
    response = await again.login("rosa")
    assert response.url.path == "/login"
    newcomer = await node.visitor()
    await newcomer.submit("/register", {"username": "rosa", "password": "otra-clave-123",
                                        "password_confirm": "otra-clave-123"})  # fmt: skip
    assert await value(node, "SELECT count(*) FROM account WHERE lower(username) = 'rosa'") == 1
    event = await value(node, "SELECT payload FROM domain_event WHERE kind = 'account_deleted'")
    assert event == {"account_id": rosa_id, "username": "rosa", "posts": "anonymous"}


async def test_a_session_that_outlived_the_deletion_signs_nobody_in(node: Node) -> None:
    rosa, _ = await _member_with_content(node)
    assert (await rosa.get("/account/data", allow_redirects=False)).status == 200
    # As if the session store had been unreachable when the deletion ended rosa's sessions: the account is deleted,
    # the session is still there.
    await sql(node, "UPDATE account SET deleted_at = now(), password_hash = '!' WHERE username = 'rosa'")
    assert (await rosa.get("/account/data", allow_redirects=False)).status == 303
    await rosa.get("/")
    assert 'href="/account/delete"' not in rosa.last_html


async def test_deleting_the_posts_leaves_tombstones_and_tells_the_outbox_who_wrote_them(node: Node) -> None:
    rosa, thread_path = await _member_with_content(node)
    rosa_id = await value(node, "SELECT id FROM account WHERE username = 'rosa'")
    response = await rosa.submit("/account/delete", {"password": "clave-segura-123", "posts": "delete"})
    assert response.status == 200 and response.url.path == "/account/deleted", rosa.last_html
    reader = await node.visitor()
    await reader.get(thread_path)
    assert "No hay agua" not in reader.last_html and "/u/rosa" not in reader.last_html
    assert await value(node, "SELECT count(*) FROM post WHERE deleted_at IS NULL") == 0
    assert await value(node, "SELECT count(*) FROM post_revision") == 0
    events = await sql(node, "SELECT kind, payload FROM domain_event WHERE kind IN ('post_deleted', 'account_deleted') "
                             "ORDER BY id")  # fmt: skip
    assert [e["kind"] for e in events] == ["post_deleted", "account_deleted"]
    assert events[0]["payload"]["author_username"] == "rosa"
    assert events[0]["payload"]["author_id"] == rosa_id


async def test_the_last_owner_of_an_organization_is_told_what_to_do_and_nothing_changes(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    await found_organization(rosa, "Comedor Los Olivos")
    await rosa.get("/account/delete")
    assert "Comedor Los Olivos" in rosa.last_html  # warned before trying
    response = await rosa.submit("/account/delete", {"password": "clave-segura-123", "posts": "anonymous"})
    assert response.status == 409 and "Comedor Los Olivos" in rosa.last_html
    assert await value(node, "SELECT deleted_at FROM account WHERE username = 'rosa'") is None
    assert await value(node, "SELECT count(*) FROM organization_member") == 1


async def test_a_co_owner_can_leave_and_the_organization_keeps_its_other_owner(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa, "Vaso de Leche Sector 2")
    await signed_in(node, "juana")
    await sql(
        node,
        """INSERT INTO organization_member (organization_id, account_id, role, joined_at)
                       SELECT o.id, a.id, 'owner', now() FROM organization o, account a WHERE a.username = 'juana'""",
    )
    response = await rosa.submit("/account/delete", {"password": "clave-segura-123", "posts": "anonymous"})
    assert response.status == 200 and response.url.path == "/account/deleted", rosa.last_html
    members = await sql(
        node, "SELECT a.username, m.role FROM organization_member m JOIN account a ON a.id = m.account_id"
    )
    assert [(m["username"], m["role"]) for m in members] == [("juana", "owner")]
    assert (await (await node.visitor()).get(path)).status == 200


async def test_the_privacy_page_is_linked_from_every_page_and_names_the_operators_contact(node_factory: Any) -> None:
    node = await node_factory("ves", operator_contact="datos@ves.example.pe")
    visitor = await node.visitor()
    await visitor.get("/forums")
    assert 'href="/privacy"' in visitor.last_html
    response = await visitor.get("/privacy")
    assert response.status == 200
    assert "datos@ves.example.pe" in visitor.last_html and "29733" in visitor.last_html
    assert 'href="/account/delete"' not in visitor.last_html  # a visitor is told to log in first
    rosa = await signed_in(node, "rosa")
    await rosa.get("/privacy")
    assert 'href="/account/data"' in rosa.last_html and 'href="/account/delete"' in rosa.last_html

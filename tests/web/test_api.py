"""The JSON API (/api/v1) with personal tokens and session cookies, and its published OpenAPI document."""

from __future__ import annotations

import json
import re

import aiohttp

from schemas.openapi import DOCUMENT_PATH, ENDPOINTS, render_document
from tests.conftest import Node, Visitor
from tests.web.test_organizations_and_forums_web import signed_in


async def make_token(visitor: Visitor, name: str = "mi programa") -> str:
    response = await visitor.submit("/account/tokens", {"name": name})
    assert response.status == 200
    match = re.search(r"(dlb_[A-Za-z0-9_-]+)", visitor.last_html)
    assert match, visitor.last_html
    return match[1]


async def api(node: Node, method: str, path: str, token: str | None = None, body: object = None,
              **headers: str) -> tuple[int, dict | None, aiohttp.ClientResponse]:  # fmt: skip
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as session:
        data = json.dumps(body) if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with session.request(method, node.base_url + path, data=data, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None), response


def test_the_checked_in_openapi_document_is_current() -> None:
    assert DOCUMENT_PATH.read_text() == render_document(), "regenerate with: python -m schemas.openapi"


async def test_the_node_serves_the_openapi_document_with_every_endpoint(node: Node) -> None:
    status, document, _ = await api(node, "GET", "/api/openapi.json")
    assert status == 200 and document is not None and document["openapi"] == "3.1.0"
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert operations == {endpoint.operation_id for endpoint in ENDPOINTS}


async def test_a_token_acts_for_its_member_and_stops_when_revoked(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    token = await make_token(rosa)
    status, me, _ = await api(node, "GET", "/api/v1/me", token)
    assert status == 200 and me == {"id": 1, "username": "rosa", "display_name": None, "roles": ["member"]}
    token_id = re.search(r"/account/tokens/(\d+)/revoke", rosa.last_html)
    assert token_id
    await rosa.submit(f"/account/tokens/{token_id[1]}/revoke", {}, form_page="/account/tokens")
    status, problem, response = await api(node, "GET", "/api/v1/me", token)
    assert status == 401 and problem is not None and problem["code"] == "wrong_credentials"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.content_type == "application/problem+json"


async def test_organizations_and_forums_through_the_api(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator")
    await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")
    token = await make_token(await signed_in(node, "rosa"))
    status, org, _ = await api(
        node, "POST", "/api/v1/organizations", token, {"name": "Comedor Santa Rosa", "kind": "comedor_popular"}
    )
    assert status == 201 and org is not None and org["slug"] == "comedor-santa-rosa" and not org["verified"]
    status, thread, _ = await api(
        node, "POST", "/api/v1/forums/general/threads", token,
        {"title": "Agua", "body": "**Hoy** no hay agua", "as_organization": "comedor-santa-rosa"},
    )  # fmt: skip
    assert status == 201 and thread is not None and thread["as_organization"] == "comedor-santa-rosa"
    status, post, _ = await api(node, "POST", f"/api/v1/threads/{thread['id']}/posts", token, {"body": "Sigue igual"})
    assert status == 201 and post is not None
    status, page, _ = await api(node, "GET", f"/api/v1/threads/{thread['id']}/posts")
    assert status == 200 and page is not None
    assert [p["html"] for p in page["items"]] == ["<p><strong>Hoy</strong> no hay agua</p>\n", "<p>Sigue igual</p>\n"]
    status, state, _ = await api(node, "POST", f"/api/v1/posts/{post['id']}/reactions", token, {"kind": "apoyo"})
    assert status == 200 and state == {"kind": "apoyo", "present": True}
    status, hits, _ = await api(node, "GET", "/api/v1/search?q=agua")
    assert status == 200 and hits is not None and len(hits["items"]) >= 1


async def test_bad_api_input_is_a_problem_and_changes_nothing(node: Node) -> None:
    token = await make_token(await signed_in(node, "rosa"))
    cases = [
        ({"name": "x", "kind": "club"}, {"name", "kind"}),
        ({"name": "Comedor", "kind": "otra", "surprise": 1}, {"surprise"}),
    ]
    for body, fields in cases:
        status, problem, _ = await api(node, "POST", "/api/v1/organizations", token, body)
        assert status == 400 and problem is not None and problem["code"] == "invalid_fields"
        assert {e["field"] for e in problem["errors"]} == fields
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            node.base_url + "/api/v1/organizations", data=b"{not json",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        assert response.status == 400 and (await response.json())["code"] == "invalid_input"
    status, problem, _ = await api(node, "POST", "/api/v1/organizations", None, {"name": "Comedor", "kind": "otra"})
    assert status == 403 and problem is not None  # no token and no CSRF token: refused before anything else
    conn = await node.connect()
    assert await conn.fetchval("SELECT count(*) FROM organization") == 0
    await conn.close()


async def test_anonymous_reads_work_and_anonymous_writes_are_unauthenticated(node: Node) -> None:
    status, page, _ = await api(node, "GET", "/api/v1/organizations")
    assert status == 200 and page == {"items": [], "next": None}
    status, problem, _ = await api(node, "GET", "/api/v1/me")
    assert status == 401 and problem is not None and problem["code"] == "unauthenticated"
    status, problem, _ = await api(node, "GET", "/api/v1/organizations/nadie")
    assert status == 404 and problem is not None and problem["status"] == 404


async def test_a_session_cookie_works_with_the_csrf_header(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    token = await rosa.csrf("/")
    response = await rosa.session.post(
        rosa.url("/api/v1/organizations"), json={"name": "Club de Madres", "kind": "mujeres"},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert response.status == 201
    response = await rosa.session.post(rosa.url("/api/v1/organizations"), json={"name": "Otro Club", "kind": "otra"})
    assert response.status == 403


async def test_moderation_through_the_api_is_public_and_accountable(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator")
    await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")
    rosa_token = await make_token(await signed_in(node, "rosa"))
    juan_token = await make_token(await signed_in(node, "juan"))
    moderator_token = await make_token(await signed_in(node, "moderadora", "moderator"))
    _, thread, _ = await api(node, "POST", "/api/v1/forums/general/threads", rosa_token,
                             {"title": "Hola", "body": "Algo feo"})  # fmt: skip
    assert thread is not None
    _, page, _ = await api(node, "GET", f"/api/v1/threads/{thread['id']}/posts")
    assert page is not None
    post_id = page["items"][0]["id"]
    status, created, _ = await api(node, "POST", f"/api/v1/posts/{post_id}/reports", juan_token, {"reason": "insult"})
    assert status == 201 and created is not None
    status, again, _ = await api(node, "POST", f"/api/v1/posts/{post_id}/reports", juan_token, {"reason": "insult"})
    assert status == 409 and again is not None and again["code"] == "already_reported"
    status, problem, _ = await api(node, "GET", "/api/v1/moderation/queue", juan_token)
    assert status == 403 and problem is not None and problem["code"] == "not_moderator"
    status, queue, _ = await api(node, "GET", "/api/v1/moderation/queue", moderator_token)
    assert status == 200 and queue is not None and queue["reported"][0]["reasons"] == ["insult"]
    status, action, _ = await api(
        node, "POST", f"/api/v1/posts/{post_id}/hide", moderator_token, {"reason": "Insultos"}
    )
    assert status == 200 and action is not None and action["kind"] == "hide_post"
    _, page, _ = await api(node, "GET", f"/api/v1/threads/{thread['id']}/posts")
    assert page is not None and page["items"][0]["html"] == "" and page["items"][0]["hidden_reason"] == "Insultos"
    status, log, _ = await api(node, "GET", "/api/v1/moderation/log")
    assert status == 200 and log is not None and log["items"][0]["reason"] == "Insultos"
    status, appealed, _ = await api(node, "POST", f"/api/v1/moderation/actions/{action['id']}/appeal", juan_token,
                                    {"text": "No es mío"})  # fmt: skip
    assert status == 403 and appealed is not None  # only the author may appeal
    status, appealed, _ = await api(node, "POST", f"/api/v1/moderation/actions/{action['id']}/appeal", rosa_token,
                                    {"text": "Fue un malentendido"})  # fmt: skip
    assert status == 201 and appealed is not None and appealed["appeal"]["text"] == "Fue un malentendido"

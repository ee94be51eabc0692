"""Organizations and forums through the pages, as members use them on a real node."""

from __future__ import annotations

import re

from tests.conftest import Node, Visitor
from tests.web.support import es


async def signed_in(node: Node, username: str, *roles: str) -> Visitor:
    visitor = await node.visitor()
    await visitor.register(username)
    if roles:
        conn = await node.connect()
        await conn.execute("UPDATE account SET roles = roles || $2::text[] WHERE username = $1", username, list(roles))
        await conn.close()
    return visitor


async def found_organization(rosa: Visitor, name: str = "Comedor Popular Santa Rosa") -> str:
    response = await rosa.submit(
        "/organizations", {"name": name, "kind": "comedor_popular", "zone": "Sector 3", "registry_number": "R-12"},
        form_page="/organizations/new",
    )  # fmt: skip
    assert response.status == 200 and response.url.path.startswith("/o/"), rosa.last_html
    return response.url.path


async def test_an_organization_is_unverified_until_an_operator_checks_it(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa)
    assert es("not verified") in rosa.last_html and es("Community kitchen (comedor popular)") in rosa.last_html
    operator = await signed_in(node, "operador", "operator")
    response = await operator.submit(path + "/verify", {"verified": "1"}, form_page=path)
    assert response.status == 200 and es("verified") in operator.last_html
    assert es("not verified") not in operator.last_html
    refused = await rosa.submit(path + "/verify", {"verified": "0"}, form_page=path)
    assert refused.status == 403


async def test_a_request_to_join_is_approved_on_the_organization_page(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa)
    juan = await signed_in(node, "juan")
    await juan.submit(path + "/join", {"message": "Soy vecino del sector 3"}, form_page=path)
    await rosa.get(path)
    assert "@juan" in rosa.last_html and "Soy vecino del sector 3" in rosa.last_html
    account_id = re.search(r"/members/(\d+)/approve", rosa.last_html)
    assert account_id
    await rosa.submit(f"{path}/members/{account_id[1]}/approve", {}, form_page=path)
    await juan.get(path)
    assert es("Leave the organization") in juan.last_html


async def test_joining_twice_is_refused_with_a_message(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa)
    response = await rosa.submit(path + "/join", {}, form_page=path)
    assert response.status == 409
    assert es("This person is already a member of the organization.") in rosa.last_html


async def test_a_thread_and_its_replies_render_safely(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator")
    response = await operator.submit("/forums", {"name": "Agua y desagüe"}, form_page="/forums/new")
    forum_path = response.url.path
    assert forum_path.startswith("/f/")
    rosa = await signed_in(node, "rosa")
    response = await rosa.submit(
        forum_path + "/threads",
        {"title": "Corte de agua", "body": "Hoy no hay agua <script>alert(1)</script> [mira](javascript:alert(1))"},
        form_page=forum_path,
    )
    thread_path = response.url.path
    assert thread_path.startswith("/t/") and "<script>alert" not in rosa.last_html
    assert 'href="javascript' not in rosa.last_html and "&lt;script&gt;" in rosa.last_html
    juan = await signed_in(node, "juan")
    response = await juan.submit(thread_path + "/replies", {"body": "**Aquí tampoco**"}, form_page=thread_path)
    assert response.status == 200 and "<strong>Aquí tampoco</strong>" in juan.last_html


async def test_an_empty_reply_is_refused_and_the_thread_is_unchanged(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    thread_path = (
        await operator.submit(forum_path + "/threads", {"title": "Hola", "body": "Primero"}, form_page=forum_path)
    ).url.path
    response = await operator.submit(thread_path + "/replies", {"body": "   "}, form_page=thread_path)
    assert response.status == 400 and es("This field is required.") in operator.last_html
    conn = await node.connect()
    assert await conn.fetchval("SELECT count(*) FROM post") == 1
    await conn.close()


async def test_a_members_only_forum_is_invisible_to_outsiders(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa)
    response = await rosa.submit(path + "/forums", {"name": "Interno", "visibility": "members"}, form_page=path)
    forum_path = response.url.path
    assert forum_path.startswith("/f/")
    outsider = await signed_in(node, "juan")
    assert (await outsider.get(forum_path)).status == 404
    assert (await (await node.visitor()).get(forum_path)).status == 404
    await outsider.get("/forums")
    assert forum_path not in outsider.last_html


async def test_search_finds_words_without_their_accents(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    await operator.submit(
        forum_path + "/threads", {"title": "Asamblea", "body": "Hablemos de la participación vecinal"},
        form_page=forum_path,
    )  # fmt: skip
    visitor = await node.visitor()
    response = await visitor.get("/search?q=participacion")
    assert response.status == 200 and "<mark>participación</mark>" in visitor.last_html


async def test_only_the_organizations_admins_see_who_wrote_in_its_name(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    org_path = await found_organization(rosa)
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    response = await rosa.submit(
        forum_path + "/threads",
        {"title": "Comunicado", "body": "Convocamos a asamblea", "as_organization": org_path.split("/")[-1]},
        form_page=forum_path,
    )
    thread_path = response.url.path
    assert es("written by @%(name)s") % {"name": "rosa"} in rosa.last_html
    neighbour = await signed_in(node, "juan")
    await neighbour.get(thread_path)
    assert "Comedor Popular Santa Rosa" in neighbour.last_html
    assert "@rosa" not in neighbour.last_html
    async with neighbour.session.get(neighbour.url(f"/api/v1/threads/{thread_path.split('/')[-1]}/posts")) as api:
        (post,) = (await api.json())["items"]
    assert post["author"] is None and post["as_organization"] == org_path.split("/")[-1]


async def test_a_member_page_shows_only_the_organizations_they_chose_to_appear_in(node: Node) -> None:
    rosa = await signed_in(node, "rosa")
    path = await found_organization(rosa)
    await found_organization(rosa, "Vaso de Leche Las Lomas")
    await rosa.submit(path + "/listing", {"listed": "0"}, form_page=path)
    visitor = await node.visitor()
    response = await visitor.get("/u/rosa")
    assert response.status == 200
    assert "Vaso de Leche Las Lomas" in visitor.last_html and "Comedor Popular Santa Rosa" not in visitor.last_html
    assert f'<link rel="alternate" type="application/activity+json" href="{node.base_url}/u/rosa">' in (
        visitor.last_html
    )
    assert (await visitor.get("/u/nadie")).status == 404


async def test_every_reaction_can_be_given_from_the_thread_page(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    thread_path = (
        await operator.submit(forum_path + "/threads", {"title": "Hola", "body": "Primero"}, form_page=forum_path)
    ).url.path
    juan = await signed_in(node, "juan")
    await juan.get(thread_path)
    post_id = re.search(r'action="/p/(\d+)/react"', juan.last_html)
    assert post_id and juan.last_html.count('<button type="submit" name="kind"') == 5
    await juan.submit(f"/p/{post_id[1]}/react", {"kind": "gracias"}, form_page=thread_path)
    assert f"{es('Thanks')} (1)" in juan.last_html

"""Who may do what: every state-changing action of organizations and forums, tried by every kind of person.

Each action runs in a fresh world (a node with an organization, its members-only and public forums, a district
forum and a thread) and is attempted by anonymous, member, organization admin, moderator and operator in turn.
Refused attempts must change nothing, so the allowed role goes last.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from deliberate.accounts import service as accounts
from deliberate.clock import SystemClock
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from tests.conftest import Node, Visitor, cheap_passwords

SERIAL = itertools.count()
ROLES = ("anonymous", "member", "org_admin", "moderator", "operator")
PASSWORD = "clave-segura-123"


@dataclass
class World:
    node: Node
    org: str
    category: str
    org_forum: str
    thread: int
    post: int
    author_post: int
    member_id: int
    people: dict[str, Visitor]


async def build_world(node: Node) -> World:
    clock, passwords = SystemClock(), cheap_passwords()
    conn = await node.connect()
    made = {}
    async with conn.transaction():
        for username, roles in [("miembro", ()), ("admin", ()), ("moderadora", ("moderator",)),
                                ("operador", ("operator",)), ("autor", ()), ("postulante", ())]:  # fmt: skip
            made[username] = await accounts.register_account(
                conn, clock=clock, passwords=passwords,
                data={"username": username, "password": PASSWORD, "password_confirm": PASSWORD}, roles=roles,
            )  # fmt: skip
        org = await orgs.create_organization(
            conn, clock=clock, actor=made["admin"], data={"name": "Comedor Central", "kind": "comedor_popular",
                                                          "registry_number": "R-1"},
        )  # fmt: skip
        await orgs.invite_member(conn, clock=clock, actor=made["admin"], slug=org.slug, username="autor")
        await orgs.accept_invitation(conn, clock=clock, actor=made["autor"], slug=org.slug)
        await orgs.request_to_join(conn, clock=clock, actor=made["postulante"], slug=org.slug)
        org_forum = await forums.create_organization_forum(
            conn, clock=clock, actor=made["admin"], organization_slug=org.slug, data={"name": "Asambleas"}
        )
        category = await forums.create_category(conn, clock=clock, actor=made["operador"], data={"name": "General"})
        thread = await forums.start_thread(
            conn, clock=clock, actor=made["autor"], forum_slug=org_forum.slug, data={"title": "Tema", "body": "uno"}
        )
        page = await forums.thread_page(conn, thread_id=thread.id, viewer=None)
    await conn.close()
    people: dict[str, Visitor] = {"anonymous": await node.visitor()}
    for role, username in [("member", "miembro"), ("org_admin", "admin"), ("moderator", "moderadora"),
                           ("operator", "operador"), ("author", "autor")]:  # fmt: skip
        visitor = await node.visitor()
        assert (await visitor.login(username, PASSWORD)).status == 200
        people[role] = visitor
    return World(node, org.slug, category.slug, org_forum.slug, thread.id, page.posts[0].id, page.posts[0].id,
                 made["postulante"].id, people)  # fmt: skip


Attempt = Callable[[World, Visitor], Awaitable[Any]]


def post(path: Callable[[World], str], data: Callable[[World], dict[str, str]] = lambda w: {}) -> Attempt:
    async def attempt(world: World, visitor: Visitor) -> Any:
        return await visitor.submit(path(world), data(world), form_page="/login")  # a page with a token

    return attempt


ACTIONS: dict[str, tuple[Attempt, set[str]]] = {
    "found an organization": (
        post(lambda w: "/organizations", lambda w: {"name": f"Nueva Org {next(SERIAL)}", "kind": "otra"}),
        {"member", "org_admin", "moderator", "operator"},
    ),
    "verify an organization": (post(lambda w: f"/o/{w.org}/verify", lambda w: {"verified": "1"}), {"operator"}),
    "invite a member": (post(lambda w: f"/o/{w.org}/invite", lambda w: {"username": "miembro"}), {"org_admin"}),
    "approve a request": (post(lambda w: f"/o/{w.org}/members/{w.member_id}/approve"), {"org_admin"}),
    "create a district forum": (post(lambda w: "/forums", lambda w: {"name": "Otro foro"}), {"operator"}),
    "create an organization forum": (post(lambda w: f"/o/{w.org}/forums", lambda w: {"name": "Otro"}), {"org_admin"}),
    "start a thread": (
        post(lambda w: f"/f/{w.category}/threads", lambda w: {"title": "Hola a todos", "body": "Hola"}),
        {"member", "org_admin", "moderator", "operator"},
    ),
    "reply": (
        post(lambda w: f"/t/{w.thread}/replies", lambda w: {"body": "De acuerdo"}),
        {"member", "org_admin", "moderator", "operator"},
    ),
    "react": (
        post(lambda w: f"/p/{w.post}/react", lambda w: {"kind": "apoyo"}),
        {"member", "org_admin", "moderator", "operator"},
    ),
    "edit someone else's post": (post(lambda w: f"/p/{w.post}/edit", lambda w: {"body": "cambiado"}), set()),
    "delete someone else's post": (post(lambda w: f"/p/{w.post}/delete"), set()),
    "report a post": (
        post(lambda w: f"/p/{w.post}/report", lambda w: {"reason": "spam"}),
        {"member", "org_admin", "moderator", "operator"},
    ),
    "hide a post": (
        post(lambda w: f"/p/{w.post}/hide", lambda w: {"reason": "Fuera de lugar"}),
        {"org_admin", "moderator"},  # the organization's admins moderate their own forums
    ),
    "suspend an account": (
        post(lambda w: "/u/autor/suspend", lambda w: {"days": "3", "reason": "Insultos repetidos"}),
        {"moderator"},
    ),
    "lock a thread": (
        post(lambda w: f"/t/{w.thread}/close", lambda w: {"locked": "1", "reason": "Tema agotado"}),
        {"org_admin", "moderator"},
    ),
}


async def outcome(response: Any) -> str:
    if response.url.path == "/login":
        return "login"
    return "allowed" if response.status == 200 else f"refused {response.status}"


# Actions that only one person can do to the same target (hiding a post twice is a conflict): each role gets a
# world of its own.
ONCE_PER_TARGET = {"hide a post"}


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_each_action_is_allowed_exactly_to_the_roles_that_may_do_it(node_factory: Any, action: str) -> None:
    world = await build_world(await node_factory("ves"))
    attempt, allowed = ACTIONS[action]
    results = {}
    for role in sorted(ROLES, key=lambda r: r in allowed):  # refused roles first: they must change nothing
        if action in ONCE_PER_TARGET and role in allowed and any(results.get(r) == "allowed" for r in allowed):
            world = await build_world(await node_factory("ves"))
        results[role] = await outcome(await attempt(world, world.people[role]))
    expected = {
        role: "allowed" if role in allowed else ("login" if role == "anonymous" else "refused") for role in ROLES
    }
    assert {role: r.split()[0] for role, r in results.items()} == expected, results


async def test_authors_edit_and_delete_their_own_posts(node_factory: Any) -> None:
    node: Node = await node_factory("ves")
    world = await build_world(node)
    author = world.people["author"]
    assert await outcome(await post(lambda w: f"/p/{w.post}/edit", lambda w: {"body": "mejor así"})(world, author)) == (
        "allowed"
    )
    assert await outcome(await post(lambda w: f"/p/{w.post}/delete")(world, author)) == "allowed"

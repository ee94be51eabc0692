"""Who may do what with consultations: every action, tried through the web by every kind of person (anonymous,
member, verified resident, organization admin, official, operator). Each action runs in a fresh world; refused
attempts go first and must change nothing, then the allowed roles succeed one by one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from deliberate.consultations import service as consultations
from tests.web.test_consultations_web import CLOSED, ROLES, World, build_world, publish_form


@dataclass(frozen=True)
class Action:
    name: str
    allowed: frozenset[str]
    path: Callable[[World], str]
    data: Callable[[World, str], dict[str, str]]
    effect: str  # SQL counting what a success adds
    prepare: Callable[[World], Awaitable[Any]] | None = None


async def _restricted(world: World, audience: str) -> None:
    published = await world.run(lambda conn: consultations.publish_consultation(
        conn, clock=world.clock, actor=world.made["funcionaria"],
        data=publish_form(title=f"Consulta {audience}", audience=audience)))  # fmt: skip
    world.slug = published.slug


async def _closed(world: World) -> None:
    world.clock.current = CLOSED


async def _pending_position(world: World) -> None:
    conn = await world.node.connect()
    try:
        org_id = await conn.fetchval("SELECT id FROM organization WHERE slug = $1", world.org)
        await conn.execute("INSERT INTO organization_member (organization_id, account_id, role, joined_at) "
                           "VALUES ($1, $2, 'member', now())", org_id, world.made["vecina"].id)  # fmt: skip
    finally:
        await conn.close()
    member = await world.run(lambda conn: consultations.submit_position(
        conn, clock=world.clock, actor=world.made["vecina"], slug=world.slug, organization_slug=world.org,
        data={"body": "Postura"}))  # fmt: skip
    world.position_id = member.id  # type: ignore[attr-defined]


EVERYONE_SIGNED_IN = frozenset(ROLES) - {"anonymous"}
ACTIONS = [
    Action("publish", frozenset({"official"}), lambda w: "/consultations",
           lambda w, role: publish_form(title=f"Nueva consulta de {role}"), "SELECT count(*) FROM consultation"),
    Action("new version", frozenset({"official"}), lambda w: f"/c/{w.slug}/edit",
           lambda w, role: publish_form(summary=f"Versión de {role}"), "SELECT count(*) FROM consultation"),
    Action("respond", EVERYONE_SIGNED_IN, lambda w: f"/c/{w.slug}/respond",
           lambda w, role: {"stance_1": "favor"}, "SELECT count(*) FROM consultation_participant"),
    Action("respond (verified residents)", frozenset({"resident"}), lambda w: f"/c/{w.slug}/respond",
           lambda w, role: {"stance_1": "favor"}, "SELECT count(*) FROM consultation_participant",
           lambda w: _restricted(w, "verified_residents")),
    Action("respond (organizations)", frozenset({"org_admin"}), lambda w: f"/c/{w.slug}/respond",
           lambda w, role: {"stance_1": "favor"}, "SELECT count(*) FROM consultation_participant",
           lambda w: _restricted(w, "organizations")),
    Action("comment", EVERYONE_SIGNED_IN, lambda w: f"/c/{w.slug}/sections/1/comments",
           lambda w, role: {"body": f"Comentario de {role}"}, "SELECT count(*) FROM post"),
    Action("submit a position", frozenset({"org_admin"}), lambda w: f"/c/{w.slug}/positions",
           lambda w, role: {"organization": w.org, "body": f"Postura de {role}"},
           "SELECT count(*) FROM consultation_position WHERE approved_at IS NOT NULL"),
    Action("approve a position", frozenset({"org_admin"}),
           lambda w: f"/c/{w.slug}/positions/{w.position_id}/approve",  # type: ignore[attr-defined]
           lambda w, role: {}, "SELECT count(*) FROM consultation_position WHERE approved_at IS NOT NULL",
           _pending_position),
    Action("publish an update", frozenset({"official"}), lambda w: f"/c/{w.slug}/updates",
           lambda w, role: {"body": f"Novedad de {role}"}, "SELECT count(*) FROM consultation_update"),
    Action("name an official", frozenset({"operator"}), lambda w: "/consultations/officials",
           lambda w, role: {"username": "vecina", "name": "Rosa Huamán", "office": "Participación Vecinal"},
           "SELECT count(*) FROM official"),
    Action("answer", frozenset({"official"}), lambda w: f"/c/{w.slug}/answer",
           lambda w, role: {"general": "Respuesta"}, "SELECT count(*) FROM consultation_council_answer", _closed),
]  # fmt: skip


async def _effect(world: World, sql: str) -> int:
    conn = await world.node.connect()
    try:
        value: int = await conn.fetchval(sql)
        return value
    finally:
        await conn.close()


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
async def test_each_action_is_allowed_exactly_to_its_roles(node_factory: Any, action: Action) -> None:
    world = await build_world(node_factory)
    if action.prepare is not None:
        await action.prepare(world)
    order = [r for r in ROLES if r not in action.allowed] + [r for r in ROLES if r in action.allowed]
    for role in order:
        visitor = world.people[role]
        before = await _effect(world, action.effect)
        await visitor.get(f"/c/{world.slug}")
        token = visitor.last_html.split('name="csrf_token" value="', 1)
        csrf = {"csrf_token": token[1].split('"', 1)[0]} if len(token) > 1 else {}
        data = {**action.data(world, role), **csrf}
        response = await visitor.session.post(visitor.url(action.path(world)), data=data, allow_redirects=False)
        after = await _effect(world, action.effect)
        if role in action.allowed:
            assert response.status == 303, (role, response.status, await response.text())
            assert not response.headers["Location"].startswith("/login"), role
            if action.name not in ("new version", "answer", "approve a position"):
                assert after == before + 1, role
        else:
            if role == "anonymous":
                assert response.status in (303, 403) and after == before, (role, response.status)
                if response.status == 303:
                    assert response.headers["Location"].startswith("/login")
            else:
                assert response.status in (403, 404), (role, response.status, await response.text())
                assert after == before, role
        if role in action.allowed and action.name in ("answer", "approve a position"):
            assert after == 1
            break  # done once; a second answer or approval would be a conflict, not a permission
        if role in action.allowed and action.name == "new version":
            assert after == before + 1
            await visitor.get(f"/c/{world.slug}")


async def test_reading_is_open_to_everyone(node_factory: Any) -> None:
    world = await build_world(node_factory)
    for role in ROLES:
        visitor = world.people[role]
        for path in (f"/c/{world.slug}", f"/c/{world.slug}/summary", f"/c/{world.slug}/export.csv",
                     f"/c/{world.slug}/export.json", f"/c/{world.slug}/versions", "/consultations"):  # fmt: skip
            assert (await visitor.get(path)).status == 200, (role, path)


async def test_the_officials_forms_are_refused_to_everyone_else(node_factory: Any) -> None:
    world = await build_world(node_factory)
    for role in ROLES:
        for path in ("/consultations/new", f"/c/{world.slug}/edit", f"/c/{world.slug}/answer",
                     "/consultations/officials"):  # fmt: skip
            response = await world.people[role].get(path, allow_redirects=False)
            allowed = "operator" if path == "/consultations/officials" else "official"
            expected = {allowed: 200, "anonymous": 303}.get(role, 403)
            assert response.status == expected, (role, path, response.status)

"""The multi-node harness: two production apps in one process, isolated from each other."""

from __future__ import annotations

from typing import Any

from yarl import URL

from tests.conftest import Node


async def test_two_nodes_run_side_by_side_with_their_own_data_and_keys(node_factory: Any) -> None:
    ves: Node = await node_factory("ves", node_name="Villa El Salvador")
    vmt: Node = await node_factory("vmt", node_name="Villa María del Triunfo")
    assert ves.base_url != vmt.base_url

    rosa_ves = await ves.visitor()
    await rosa_ves.register("rosa")
    rosa_vmt = await vmt.visitor()
    await rosa_vmt.register("rosa")  # the same name is free on the other node: separate databases

    # A session from one node means nothing on the other (separate Redis databases and secrets).
    sid = rosa_ves.cookies()["sid"]
    stranger = await vmt.visitor()
    stranger.session.cookie_jar.update_cookies({"sid": sid}, response_url=URL(vmt.base_url))
    response = await stranger.get("/account/password")
    assert response.url.path == "/login"

    await rosa_vmt.get("/")
    assert "Villa María del Triunfo" in rosa_vmt.last_html and "Villa El Salvador" not in rosa_vmt.last_html

    keys = []
    for node in (ves, vmt):
        conn = await node.connect()
        keys.append(await conn.fetchrow("SELECT rsa_private_pem, ed25519_private_pem FROM node_key"))
        await conn.close()
    assert keys[0]["rsa_private_pem"] != keys[1]["rsa_private_pem"]
    assert keys[0]["ed25519_private_pem"] != keys[1]["ed25519_private_pem"]

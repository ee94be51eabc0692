"""A coalition across two district nodes in a real browser: an organization of VES founds it and invites one of VMT,
whose administrator accepts on her own node; a statement drafted on VES is signed on both nodes and downloaded.

The nodes' federation workers are run step by step (tests/federation/support.py `settle`) between the steps, so
nothing waits on a timer. The journey runs in all three modes: it is short enough.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import expect

from tests.browser.conftest import JourneyFor, es
from tests.browser.journeys import fits_the_screen, register_organization
from tests.federation.support import host, settle, start

GROUP = "coalicion-red-de-comedores-de-lima"


async def test_a_coalition_founded_on_one_node_and_joined_from_another(
    node_factory: Any, journey_for: JourneyFor
) -> None:
    ves, vmt = await start(node_factory, "ves"), await start(node_factory, "vmt")
    rosa = await journey_for(ves, "rosa", signed_in=True)
    elena = await journey_for(vmt, "elena", signed_in=True)
    santa_rosa = await register_organization(rosa, "Comedor Santa Rosa")
    las_flores = await register_organization(elena, "Vaso de Leche Las Flores")

    await rosa.goto("/coalitions", "coalitions")
    await rosa.follow(es("Found a coalition"))
    await rosa.arrived("new-coalition")
    await rosa.fill(es("Name of the coalition"), "Red de Comedores de Lima")
    await rosa.fill(es("Purpose"), "Defender el presupuesto de los comedores populares.")
    await rosa.fill(es("Charter"), "Cada organización firma por medio de una de sus directivas.")
    await rosa.press(es("Found the coalition"))
    path = rosa.path
    assert path == "/coalitions/red-de-comedores-de-lima", path
    await rosa.arrived("coalition")
    await fits_the_screen(rosa)

    await rosa.fill(es("Organization"), f"{las_flores}@{host(vmt)}")
    await rosa.press(es("Invite"))
    await rosa.arrived("invited")
    await settle(ves, vmt)

    remote = f"/coalitions/{GROUP}@{host(ves)}"
    await elena.goto("/coalitions", "coalitions-invited")
    await elena.follow("Red de Comedores de Lima")
    assert elena.path == remote, elena.path
    await elena.arrived("invitation")
    await elena.press(es("Accept the invitation"))
    await elena.arrived("accepted")
    await settle(ves, vmt)
    await rosa.goto(path, "coalition-two-members")
    await expect(rosa.page.get_by_role("cell", name=host(vmt), exact=True)).to_be_visible()

    await rosa.fill(es("Title"), "Pronunciamiento")
    await rosa.fill(es("Text"), "Pedimos agua potable para todos los comedores.")
    await rosa.press(es("Save the draft"))
    assert "/statements/" in rosa.path, rosa.path
    await rosa.arrived("statement-draft")
    await rosa.press(es("Sign the statement"))
    await rosa.arrived("statement-signed")
    await settle(ves, vmt)

    await elena.goto(remote)
    await elena.follow("Pronunciamiento")
    await elena.arrived("statement-to-sign")
    await fits_the_screen(elena)
    await elena.press(es("Sign the statement"))
    await elena.arrived("statement-signed-by-both")
    await settle(ves, vmt)

    await rosa.goto(rosa.path, "statement-published")
    signers = rosa.page.locator("main li")
    await expect(signers.filter(has_text="Comedor Santa Rosa")).to_have_count(1)
    await expect(signers.filter(has_text="Vaso de Leche Las Flores")).to_have_count(1)
    link = rosa.page.get_by_role("link", name=es("Download the signed statement (JSON)"))
    if rosa.mode.javascript:
        async with rosa.page.expect_download() as download:
            await link.click()
        saved = await (await download.value).path()
        signed = json.loads(saved.read_text())
    else:  # the same link, fetched with the browser's cookies
        response = await rosa.context.request.get(rosa.url(str(await link.get_attribute("href"))))
        assert response.headers["content-type"].startswith("application/"), response.headers
        signed = await response.json()
    assert "Pedimos agua potable para todos los comedores." in json.dumps(signed, ensure_ascii=False)
    assert santa_rosa in json.dumps(signed)

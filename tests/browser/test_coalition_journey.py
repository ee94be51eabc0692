"""A coalition across two district nodes in a real browser: an organization of VES founds it and invites one of VMT,
whose administrator accepts on her own node; a statement drafted on VES is signed on both nodes and downloaded.

The nodes' federation workers are run step by step (tests/federation/support.py `settle`) between the steps, so
nothing waits on a timer. The two-node journey runs in every mode (desktop with JavaScript, without JavaScript, a
360×640 phone); a shorter one on one node also founds the coalition, drafts, signs and downloads a statement through
the same forms without JavaScript and on a phone, each page checked by axe and for fitting the screen.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import expect

from tests.browser.conftest import BROWSER_LOOP, Journey, JourneyFor, es, only_modes
from tests.browser.journeys import fits_a_phone, register_organization
from tests.conftest import Node
from tests.federation.support import host, settle, start

pytestmark = BROWSER_LOOP

GROUP = "coalicion-red-de-comedores-de-lima"


async def found(rosa: Journey) -> str:
    """@rosa founds the coalition in the name of her organization; its path."""
    await rosa.goto("/coalitions", "coalitions")
    await rosa.follow(es("Found a coalition"))
    await rosa.arrived("new-coalition")
    await fits_a_phone(rosa)
    await rosa.fill(es("Name of the coalition"), "Red de Comedores de Lima")
    await rosa.fill(es("Purpose"), "Defender el presupuesto de los comedores populares.")
    await rosa.fill(es("Charter"), "Cada organización firma por medio de una de sus directivas.")
    await rosa.press(es("Found the coalition"))
    path = rosa.path
    assert path == "/coalitions/red-de-comedores-de-lima", path
    await rosa.arrived("coalition")
    await fits_a_phone(rosa)
    return path


async def draft_and_sign(rosa: Journey) -> None:
    """On the coalition's page, @rosa drafts a statement and signs it for her organization."""
    await rosa.fill(es("Title"), "Pronunciamiento")
    await rosa.fill(es("Text"), "Pedimos agua potable para todos los comedores.")
    await rosa.press(es("Save the draft"))
    assert "/statements/" in rosa.path, rosa.path
    await rosa.arrived("statement-draft")
    await fits_a_phone(rosa)
    await rosa.press(es("Sign the statement"))
    await rosa.arrived("statement-signed")


async def download_statement(rosa: Journey) -> Any:
    """The signed statement, downloaded through its link on the statement's page."""
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
    return signed


async def test_a_coalition_founded_on_one_node_and_joined_from_another(
    node_factory: Any, journey_for: JourneyFor
) -> None:
    ves, vmt = await start(node_factory, "ves"), await start(node_factory, "vmt")
    rosa = await journey_for(ves, "rosa", signed_in=True)
    elena = await journey_for(vmt, "elena", signed_in=True)
    santa_rosa = await register_organization(rosa, "Comedor Santa Rosa")
    las_flores = await register_organization(elena, "Vaso de Leche Las Flores")

    path = await found(rosa)

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

    await draft_and_sign(rosa)
    await settle(ves, vmt)

    await elena.goto(remote)
    await elena.follow("Pronunciamiento")
    await elena.arrived("statement-to-sign")
    await fits_a_phone(elena)
    await elena.press(es("Sign the statement"))
    await elena.arrived("statement-signed-by-both")
    await settle(ves, vmt)

    await rosa.goto(rosa.path, "statement-published")
    signers = rosa.page.locator("main li")
    await expect(signers.filter(has_text="Comedor Santa Rosa")).to_have_count(1)
    await expect(signers.filter(has_text="Vaso de Leche Las Flores")).to_have_count(1)
    signed = await download_statement(rosa)
    assert "Pedimos agua potable para todos los comedores." in json.dumps(signed, ensure_ascii=False)
    assert santa_rosa in json.dumps(signed)


@only_modes("nojs", "phone")
async def test_a_coalition_statement_without_javascript_and_on_a_phone(node: Node, journey_for: JourneyFor) -> None:
    rosa = await journey_for(node, "rosa", signed_in=True)
    santa_rosa = await register_organization(rosa, "Comedor Santa Rosa")
    await found(rosa)
    await draft_and_sign(rosa)
    await expect(rosa.page.locator("main li").filter(has_text="Comedor Santa Rosa")).to_have_count(1)
    signed = json.dumps(await download_statement(rosa), ensure_ascii=False)
    assert "Pedimos agua potable para todos los comedores." in signed and santa_rosa in signed

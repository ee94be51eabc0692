"""A member's own data in a real browser, three ways: from the account page she downloads everything the node holds
about her, then deletes her account keeping her posts without her name, after a wrong password is refused next to
the field."""

from __future__ import annotations

import json

from playwright.async_api import expect

from tests.browser.conftest import BROWSER_LOOP, JourneyFor, es, labelled
from tests.browser.journeys import district_forum, fits_the_screen, start_thread
from tests.conftest import Node

pytestmark = BROWSER_LOOP


async def test_a_member_downloads_her_data_and_deletes_her_account(node: Node, journey_for: JourneyFor) -> None:
    forum = await district_forum(node, journey_for)
    rosa = await journey_for(node, "rosa", signed_in=True)
    await start_thread(rosa, forum.path, "Agua", "No hay agua desde el lunes")
    thread_path = rosa.path

    await rosa.follow(es("Your account"))
    await rosa.arrived("account")
    await fits_the_screen(rosa)
    link = rosa.page.get_by_role("link", name=es("Download your data (JSON)"))
    if rosa.mode.javascript:
        async with rosa.page.expect_download() as download:
            await link.click()
        saved = await (await download.value).path()
        data = json.loads(saved.read_text())
    else:  # the same link, fetched with the browser's cookies
        response = await rosa.context.request.get(rosa.url(str(await link.get_attribute("href"))))
        assert response.headers["content-type"].startswith("application/json"), response.headers
        assert "attachment" in response.headers["content-disposition"]
        data = await response.json()
    assert data["account"]["username"] == "rosa"
    assert [thread["title"] for thread in data["threads_started"]] == ["Agua"]

    await rosa.follow(es("Delete your account"))
    await rosa.arrived("delete")
    await fits_the_screen(rosa)
    await rosa.page.get_by_label(
        es("Keep them without my name: they are shown as written by “cuenta eliminada”.")
    ).check()
    await rosa.fill(es("Your password, to confirm"), "no-es-mi-clave")
    await rosa.press(es("Delete my account"))
    await rosa.arrived("delete-refused")
    password = rosa.page.get_by_label(labelled(es("Your password, to confirm")))
    await expect(password).to_have_attribute("aria-invalid", "true")
    described = str(await password.get_attribute("aria-describedby")).split()[0]
    await expect(rosa.page.locator(f"#{described}")).not_to_be_empty()
    await rosa.fill(es("Your password, to confirm"), "clave-segura-123")
    await rosa.press(es("Delete my account"))
    assert rosa.path == "/account/deleted", rosa.path
    await rosa.arrived("deleted")
    await expect(rosa.page.get_by_role("heading", name=es("Your account was deleted"))).to_be_visible()

    await rosa.goto(thread_path, "thread-after")
    await expect(rosa.page.get_by_text("No hay agua desde el lunes")).to_be_visible()
    await expect(rosa.page.get_by_text("cuenta eliminada").first).to_be_visible()
    await expect(rosa.page.get_by_role("link", name="@rosa")).to_have_count(0)

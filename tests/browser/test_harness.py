"""The harness itself can fail: axe-core's findings on a page with known faults reach the test's failure message."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.browser.conftest import ARTIFACTS, BROWSER_LOOP, MODES, Journey, new_context
from tests.conftest import Node

pytestmark = BROWSER_LOOP


async def test_an_unlabelled_field_and_an_image_without_text_are_reported(node: Node, browser: Browser) -> None:
    context = await new_context(browser, MODES[0])
    try:
        page = await context.new_page()
        journey = Journey(node, MODES[0], context, page, ARTIFACTS / "harness", set())
        await page.goto("about:blank")  # no CSP here, so the faulty page may bring its own colours
        await page.set_content(
            '<html lang="es"><head><title>t</title></head><body><main><h1>t</h1>'
            '<input type="text"><img src="/static/icon.svg">'
            '<div style="background:#0b5f55"><button style="color:#0b5f55;background:none">Cambiar</button></div>'
            "</main></body></html>"
        )
        await journey.arrived()
        found = "\n".join(journey.problems)
        assert "critical label" in found and "critical image-alt" in found, found
        assert "serious color-contrast" in found, found  # an outlined button whose words match its background
    finally:
        await context.close()

"""One journey with the keyboard only (Tab, typing, Enter): log in and answer a thread. Every element that takes the
focus on the way must show it (an outline), and the skip link must lead past the header."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import BROWSER_LOOP, MODES, JourneyFor, es
from tests.browser.journeys import district_forum, start_thread
from tests.conftest import Node

pytestmark = BROWSER_LOOP

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || "").trim(),
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
}"""


async def tab_to(page: Page, wanted: str, *, most: int = 80) -> None:
    """Press Tab until the focus is on the element whose id or text is `wanted`; each stop must show its focus."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        assert focused["outline"], f"no visible focus on {focused}"
        if wanted in (focused["id"], focused["text"]):
            return
    raise AssertionError(f"{wanted!r} cannot be reached with Tab")


@pytest.mark.parametrize("mode", [MODES[0]], ids=["desktop"])
async def test_log_in_and_reply_with_the_keyboard_only(node: Node, journey_for: JourneyFor) -> None:
    operator = await district_forum(node, journey_for)
    await start_thread(operator, operator.path, "Corte de agua", "¿A alguien más le cortaron el agua?")
    thread_path = operator.path

    rosa = await journey_for(node, "rosa")
    visitor = await node.visitor()
    await visitor.register("rosa")

    await rosa.goto("/")
    await rosa.page.keyboard.press("Tab")
    focused = await rosa.page.evaluate(FOCUSED)
    assert focused["text"] == es("Skip to the content") and focused["outline"]
    await tab_to(rosa.page, es("Log in"))
    async with rosa.page.expect_navigation():
        await rosa.page.keyboard.press("Enter")
    await rosa.arrived("keyboard-login")
    await tab_to(rosa.page, "username")
    await rosa.page.keyboard.type("rosa")
    await tab_to(rosa.page, "password")
    await rosa.page.keyboard.type("clave-segura-123")
    async with rosa.page.expect_navigation():
        await rosa.page.keyboard.press("Enter")
    await expect(rosa.page.get_by_text("@rosa")).to_be_visible()

    await rosa.goto(thread_path)
    await tab_to(rosa.page, "body")
    await rosa.page.keyboard.type("A mí también, desde las seis")
    await tab_to(rosa.page, es("Publish the reply"))
    async with rosa.page.expect_navigation():
        await rosa.page.keyboard.press("Enter")
    await rosa.arrived("keyboard-replied")
    await expect(rosa.page.get_by_text("A mí también, desde las seis")).to_be_visible()

"""Accounts and languages in a real browser, three ways each (JavaScript on, off, and a 360×640 phone)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import BROWSER_LOOP, JourneyFor, es, t
from tests.conftest import Node

pytestmark = BROWSER_LOOP


async def test_register_then_log_out_and_back_in(node: Node, journey_for: JourneyFor) -> None:
    rosa = await journey_for(node, "rosa")
    await rosa.goto("/", "home")
    await rosa.follow(es("Create an account"))
    await rosa.arrived("register")
    await rosa.fill(es("Username"), "rosa")
    await rosa.fill(es("Password"), "clave-segura-123")
    await rosa.fill(es("Repeat the password"), "otra-clave-distinta")
    await rosa.press(es("Create the account"))
    await rosa.arrived("register-error")
    # The error is written next to the field and read with it by a screen reader.
    repeat = rosa.page.get_by_label(es("Repeat the password"))
    await expect(repeat).to_have_attribute("aria-invalid", "true")
    described = await repeat.get_attribute("aria-describedby")
    assert described and await rosa.page.locator(f"#{described.split()[0]}").is_visible()
    await rosa.fill(es("Password"), "clave-segura-123")
    await rosa.fill(es("Repeat the password"), "clave-segura-123")
    await rosa.press(es("Create the account"))
    await rosa.arrived("home-signed-in")
    await expect(rosa.page.get_by_text("@rosa")).to_be_visible()
    await rosa.press(es("Log out"))
    await rosa.follow(es("Log in"))
    await rosa.arrived("login")
    await rosa.fill(es("Username"), "rosa")
    await rosa.fill(es("Password"), "una-clave-equivocada")
    await rosa.press(es("Log in"), within="main")
    await rosa.arrived("login-error")
    await expect(rosa.page.get_by_role("alert")).to_have_text(es("The username or the password is not correct."))
    await rosa.fill(es("Password"), "clave-segura-123")
    await rosa.press(es("Log in"), within="main")
    assert rosa.path == "/"
    await expect(rosa.page.get_by_text("@rosa")).to_be_visible()


async def test_the_language_switches_from_spanish_to_quechua_to_english(node: Node, journey_for: JourneyFor) -> None:
    visitor = await journey_for(node, "visitante")
    await visitor.goto("/forums", "forums-es")
    for lang, then in (("es", "qu"), ("qu", "en")):
        assert await visitor.page.locator("html").get_attribute("lang") == lang
        await visitor.page.get_by_label(t(lang, "Language"), exact=True).select_option(then)
        await visitor.press(t(lang, "Change"))
        assert visitor.path == "/forums"
        await visitor.arrived(f"forums-{then}")
    assert await visitor.page.locator("html").get_attribute("lang") == "en"
    await expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Forums")

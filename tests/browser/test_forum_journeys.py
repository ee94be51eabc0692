"""Forums in a real browser, three ways each: a thread and its reply, a search, the notices it brings."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import BROWSER_LOOP, JourneyFor, es
from tests.browser.journeys import district_forum, sign_up, start_thread
from tests.conftest import Node

pytestmark = BROWSER_LOOP


async def test_a_thread_is_started_and_answered(node: Node, journey_for: JourneyFor) -> None:
    operator = await district_forum(node, journey_for)
    forum_path = operator.path
    rosa = await journey_for(node, "rosa")
    await sign_up(rosa, "rosa")
    await start_thread(rosa, forum_path, "Corte de agua", "Hoy no hay agua en el **sector 5**")
    thread_path = rosa.path
    await expect(rosa.page.locator("strong", has_text="sector 5")).to_be_visible()

    juan = await journey_for(node, "juan", signed_in=True)
    await juan.goto(thread_path)
    await juan.fill(es("Your reply"), "Aquí tampoco, desde las seis")
    await juan.press(es("Publish the reply"))
    await juan.arrived("thread-with-reply")
    await rosa.goto(thread_path)
    await expect(rosa.page.get_by_text("Aquí tampoco, desde las seis")).to_be_visible()


async def test_a_search_finds_a_thread_and_leads_to_it(node: Node, journey_for: JourneyFor) -> None:
    operator = await district_forum(node, journey_for)
    await start_thread(operator, operator.path, "Asamblea vecinal", "Hablemos de la participación en el presupuesto")
    visitor = await journey_for(node, "visitante")
    await visitor.goto("/forums")
    await visitor.fill(es("Search the forums"), "participacion")
    await visitor.press(es("Search"), within="main")
    assert visitor.path.startswith("/search?q=participacion")
    await visitor.arrived("search-results")
    await expect(visitor.page.locator("mark", has_text="participación")).to_be_visible()
    await visitor.follow("Asamblea vecinal")
    assert visitor.path.startswith("/t/")
    await visitor.arrived()


async def test_a_reply_reaches_the_thread_authors_notices(node: Node, journey_for: JourneyFor) -> None:
    operator = await district_forum(node, journey_for)
    await start_thread(operator, operator.path, "Faena comunal", "El sábado limpiamos el parque")
    thread_path = operator.path
    rosa = await journey_for(node, "rosa", signed_in=True)
    await rosa.goto(thread_path)
    await rosa.fill(es("Your reply"), "Yo llevo las escobas")
    await rosa.press(es("Publish the reply"))
    await operator.goto("/")
    async with operator.page.expect_navigation():
        await operator.page.locator('header a[href="/notifications"]').click()
    await operator.arrived("notifications")
    await expect(operator.page.get_by_role("link", name="Faena comunal")).to_be_visible()

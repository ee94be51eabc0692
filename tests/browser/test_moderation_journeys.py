"""Reporting a post and moderating it in a real browser, three ways: the reason is shown where the post was."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import BROWSER_LOOP, JourneyFor, es
from tests.browser.journeys import district_forum, start_thread
from tests.conftest import Node

pytestmark = BROWSER_LOOP


async def test_a_post_is_reported_and_hidden_with_its_reason_shown_in_place(
    node: Node, journey_for: JourneyFor
) -> None:
    operator = await district_forum(node, journey_for)
    forum_path = operator.path
    rosa = await journey_for(node, "rosa", signed_in=True)
    await start_thread(rosa, forum_path, "Reparto del agua", "Los del sector 5 son unos ladrones")
    thread_path = rosa.path

    juan = await journey_for(node, "juan", signed_in=True)
    await juan.goto(thread_path)
    await juan.follow(es("Report"))
    await juan.arrived("report")
    await juan.page.get_by_label(es("Insults or harassment")).check()
    await juan.fill(es("Tell the moderators more"), "Nos insulta a todos")
    await juan.press(es("Send the report"))
    await juan.arrived("reported")
    await expect(juan.page.get_by_text(es("Thank you. The moderators will look at your report."))).to_be_visible()

    moderator = await journey_for(node, "moderadora", "moderator", signed_in=True)
    await moderator.goto("/moderation", "queue")
    await expect(moderator.page.get_by_text("Nos insulta a todos")).to_be_visible()
    await moderator.follow(es("Decide on this post"))
    await moderator.arrived("moderate")
    hide_form = moderator.page.locator("form", has=moderator.page.get_by_role("button", name=es("Hide the post")))
    await hide_form.get_by_label(es("Reason (everyone can read it in the public moderation log)")).fill(
        "Acusa sin pruebas a todo un sector"
    )
    await moderator.press(es("Hide the post"))
    await moderator.arrived("hidden")

    visitor = await journey_for(node, "visitante")
    await visitor.goto(thread_path, "thread-with-hidden-post")
    await expect(visitor.page.get_by_text("Acusa sin pruebas a todo un sector")).to_be_visible()
    await expect(visitor.page.get_by_text("Los del sector 5 son unos ladrones")).to_have_count(0)

"""Steps several journeys share: signing up through the form, a district forum, a new thread, an organization, and
the check that a page fits the screen."""

from __future__ import annotations

from tests.browser.conftest import Journey, JourneyFor, es, grant
from tests.conftest import Node


async def sign_up(journey: Journey, username: str, *roles: str) -> None:
    """`username` creates an account through the form (and is given `roles` by the node's operator)."""
    await journey.goto("/register")
    await journey.fill(es("Username"), username)
    await journey.fill(es("Password"), "clave-segura-123")
    await journey.fill(es("Repeat the password"), "clave-segura-123")
    await journey.press(es("Create the account"))
    assert journey.path == "/"
    if roles:
        await grant(journey.node, username, *roles)


async def district_forum(node: Node, journey_for: JourneyFor) -> Journey:
    """An operator creates the district forum "General"; their browser, left on the forum's page."""
    operator = await journey_for(node, "operador", "operator", signed_in=True)
    await operator.goto("/forums")
    await operator.follow(es("Create a district forum"))
    await operator.arrived("new-forum")
    await operator.fill(es("Name"), "General")
    await operator.press(es("Create the forum"))
    assert operator.path.startswith("/f/")
    await operator.arrived("forum")
    return operator


async def start_thread(journey: Journey, forum_path: str, title: str, body: str) -> None:
    await journey.goto(forum_path)
    await journey.fill(es("Title"), title)
    await journey.fill(es("Your message"), body)
    await journey.press(es("Publish"))
    assert journey.path.startswith("/t/")
    await journey.arrived("thread")


async def register_organization(journey: Journey, name: str) -> str:
    """`journey`'s person registers a comedor popular through the form (and so administers it); its slug."""
    await journey.goto("/organizations")
    await journey.follow(es("Register an organization"))
    await journey.fill(es("Name of the organization"), name)
    await journey.page.get_by_label(es("Kind of organization")).select_option("comedor_popular")
    await journey.press(es("Register the organization"))
    assert journey.path.startswith("/o/"), journey.path
    return journey.path.removeprefix("/o/")


async def fits_the_screen(journey: Journey) -> None:
    """The whole page does not scroll sideways (a wide table may scroll inside its own box, `.table-scroll`).
    Measured in the modes with JavaScript; the phone is the one where it matters. A failure names the elements that
    stick out."""
    if journey.mode.javascript:
        overflow = await journey.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide = await journey.page.evaluate(WIDEST)
            width = await journey.page.evaluate("window.innerWidth")
            raise AssertionError(f"{journey.path} is {overflow}px wider than the {width}px screen: {wide}")


async def fits_a_phone(journey: Journey) -> None:
    """The page now shown fits a 360 px screen: for the journeys that run whole at desktop size only, so the pages
    only they reach are measured on a phone too (the HTML is the same; axe ran on it at desktop size)."""
    if not journey.mode.javascript:
        return
    size = journey.page.viewport_size
    await journey.page.set_viewport_size({"width": 360, "height": 640})
    try:
        await fits_the_screen(journey)
    finally:
        if size:
            await journey.page.set_viewport_size(size)


WIDEST = """() => [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((e) => !e.closest(".table-scroll") || e.matches(".table-scroll"))
    .slice(0, 8)
    .map((e) => [e.tagName.toLowerCase(), e.id && "#" + e.id, e.getAttribute("class") && "." + e.getAttribute("class"),
                 " " + Math.round(e.getBoundingClientRect().right) + "px"].join(""))"""

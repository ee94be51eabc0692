"""What people do on a node, done in a real browser: each journey runs with JavaScript on, with it off and on a
360×640 phone (the `mode` fixture), and every page it reaches must pass axe-core (tests/browser/conftest.py)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import Journey, JourneyFor, es, t
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
        conn = await journey.node.connect()
        try:
            await conn.execute("UPDATE account SET roles = roles || $2::text[] WHERE username = $1", username, roles)
        finally:
            await conn.close()


async def district_forum(node: Node, journey_for: JourneyFor) -> Journey:
    """An operator creates the district forum "General"; their browser, left on the forum's page."""
    operator = await journey_for(node, "operador")
    await sign_up(operator, "operador", "operator")
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
    await expect(rosa.page.get_by_label(es("Repeat the password"))).to_have_attribute("aria-invalid", "true")
    described = await rosa.page.get_by_label(es("Repeat the password")).get_attribute("aria-describedby")
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


async def test_an_organization_is_created_and_a_second_member_joins(node: Node, journey_for: JourneyFor) -> None:
    rosa = await journey_for(node, "rosa")
    await sign_up(rosa, "rosa")
    await rosa.goto("/organizations", "directory")
    await rosa.follow(es("Register an organization"))
    await rosa.arrived("new-organization")
    await rosa.fill(es("Name of the organization"), "Comedor Popular Santa Rosa")
    await rosa.page.get_by_label(es("Kind of organization")).select_option("comedor_popular")
    await rosa.fill(es("Sector or zone"), "Sector 3")
    await rosa.press(es("Register the organization"))
    organization_path = rosa.path
    assert organization_path.startswith("/o/")
    await rosa.arrived("organization")

    juan = await journey_for(node, "juan")
    await sign_up(juan, "juan")
    await juan.goto(organization_path)
    await juan.fill(es("Message for the organization's administrators"), "Soy vecino del sector 3")
    await juan.press(es("Ask to join"))
    await juan.arrived("asked-to-join")

    await rosa.goto(organization_path, "join-request")
    request = rosa.page.locator("li", has_text="@juan").filter(has_text="Soy vecino del sector 3")
    async with rosa.page.expect_navigation():
        await request.get_by_role("button", name=es("Accept"), exact=True).click()
    await rosa.arrived("member-accepted")

    await juan.goto(organization_path, "organization-as-member")
    await expect(juan.page.get_by_role("button", name=es("Leave the organization"))).to_be_visible()


async def test_a_thread_is_started_and_answered(node: Node, journey_for: JourneyFor) -> None:
    operator = await district_forum(node, journey_for)
    forum_path = operator.path
    rosa = await journey_for(node, "rosa")
    await sign_up(rosa, "rosa")
    await start_thread(rosa, forum_path, "Corte de agua", "Hoy no hay agua en el **sector 5**")
    thread_path = rosa.path
    await expect(rosa.page.locator("strong", has_text="sector 5")).to_be_visible()

    juan = await journey_for(node, "juan")
    await sign_up(juan, "juan")
    await juan.goto(thread_path)
    await juan.fill(es("Your reply"), "Aquí tampoco, desde las seis")
    await juan.press(es("Publish the reply"))
    await juan.arrived("thread-with-reply")
    await rosa.goto(thread_path)
    await expect(rosa.page.get_by_text("Aquí tampoco, desde las seis")).to_be_visible()


async def test_a_post_is_reported_and_hidden_with_its_reason_shown_in_place(
    node: Node, journey_for: JourneyFor
) -> None:
    operator = await district_forum(node, journey_for)
    forum_path = operator.path
    rosa = await journey_for(node, "rosa")
    await sign_up(rosa, "rosa")
    await start_thread(rosa, forum_path, "Reparto del agua", "Los del sector 5 son unos ladrones")
    thread_path = rosa.path

    juan = await journey_for(node, "juan")
    await sign_up(juan, "juan")
    await juan.goto(thread_path)
    await juan.follow(es("Report"))
    await juan.arrived("report")
    await juan.page.get_by_label(es("Insults or harassment")).check()
    await juan.fill(es("Tell the moderators more"), "Nos insulta a todos")
    await juan.press(es("Send the report"))
    await juan.arrived("reported")
    await expect(juan.page.get_by_text(es("Thank you. The moderators will look at your report."))).to_be_visible()

    moderator = await journey_for(node, "moderadora")
    await sign_up(moderator, "moderadora", "moderator")
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


async def test_the_federation_page_for_operators(node: Node, journey_for: JourneyFor) -> None:
    operator = await journey_for(node, "operador")
    await sign_up(operator, "operador", "operator")
    await operator.goto("/forums")
    await operator.follow(es("Federation"))
    await operator.arrived("federation")
    await operator.fill(es("Server (host name)"), "spam.example")
    await operator.press(es("Block"))
    await operator.arrived("federation-blocked")
    await expect(operator.page.get_by_role("cell", name="spam.example")).to_be_visible()


async def test_notifications_page(node: Node, journey_for: JourneyFor) -> None:
    operator = await district_forum(node, journey_for)
    await start_thread(operator, operator.path, "Faena comunal", "El sábado limpiamos el parque")
    thread_path = operator.path
    rosa = await journey_for(node, "rosa")
    await sign_up(rosa, "rosa")
    await rosa.goto(thread_path)
    await rosa.fill(es("Your reply"), "Yo llevo las escobas")
    await rosa.press(es("Publish the reply"))
    await operator.goto("/")
    async with operator.page.expect_navigation():
        await operator.page.locator('header a[href="/notifications"]').click()
    await operator.arrived("notifications")
    await expect(operator.page.get_by_role("link", name="Faena comunal")).to_be_visible()

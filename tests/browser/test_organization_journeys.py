"""Organizations and the operators' federation page in a real browser, three ways each."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import BROWSER_LOOP, JourneyFor, es
from tests.browser.journeys import sign_up
from tests.conftest import Node

pytestmark = BROWSER_LOOP


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

    juan = await journey_for(node, "juan", signed_in=True)
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


async def test_an_operator_blocks_a_server_on_the_federation_page(node: Node, journey_for: JourneyFor) -> None:
    operator = await journey_for(node, "operador", "operator", signed_in=True)
    await operator.goto("/forums")
    await operator.follow(es("Federation"))
    await operator.arrived("federation")
    await operator.fill(es("Server (host name)"), "spam.example")
    await operator.press(es("Block"))
    await operator.arrived("federation-blocked")
    await expect(operator.page.get_by_role("cell", name="spam.example")).to_be_visible()

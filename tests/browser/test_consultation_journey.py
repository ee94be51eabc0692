"""A public consultation in a real browser, on a node whose clock the test moves.

The whole journey (an operator names the official, who publishes; a member answers stances, choices and free text and
comments on a section; an organization's administrator submits and signs a position; the consultation closes, turns
overdue on the home page, and the official answers; the results page with its charts) runs in every mode: desktop
with JavaScript, without JavaScript and on a 360×640 phone. A shorter check besides it covers publishing, answering
and the results page with the forms submitted without JavaScript. The pages are also measured at 360 px from the
desktop run (`fits_a_phone`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.async_api import expect

from deliberate.clock import FrozenClock
from tests.browser.conftest import BROWSER_LOOP, Journey, JourneyFor, _catalogs, es, only_modes
from tests.browser.journeys import fits_a_phone, fits_the_screen, register_organization
from tests.conftest import Node

pytestmark = BROWSER_LOOP

OPEN = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # 5 March 2026, 10:00 in Lima
CLOSED = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
OVERDUE = datetime(2026, 4, 17, 15, 0, tzinfo=UTC)  # three days after the answer was due (14 April, 18:00 in Lima)
DOCUMENT = "## Horario\nDe 6:00 a 18:00.\n\n## Limpieza\nCada puesto limpia su frente.\n"
QUESTIONS = (
    "single: ¿Qué día prefiere para la feria?\nSábado\nDomingo\n\n"
    "multiple: ¿Qué servicios faltan?\nAgua\nBaños\nLuz\n\ntext: ¿Algo más?"
)


def es_plural(singular: str, plural: str, num: int) -> str:
    text: str = _catalogs()["es"].ngettext(singular, plural, num)
    return text % {"num": num}


async def name_official(node: Node, journey_for: JourneyFor) -> Journey:
    """The operator names @funcionaria official of the council on the officials page; her browser."""
    official = await journey_for(node, "funcionaria", signed_in=True)
    operator = await journey_for(node, "operador", "operator", signed_in=True)
    await operator.goto("/consultations/officials", "officials")
    await operator.fill(es("Username"), "funcionaria")
    await operator.fill(es("Name shown"), "Ana Quispe")
    await operator.fill(es("Office"), "Gerencia de Desarrollo Económico")
    await operator.press(es("Name as official"))
    await operator.arrived("official-named")
    await fits_the_screen(operator)
    return official


async def publish(official: Journey) -> str:
    await official.goto("/consultations/new", "publish")
    await fits_the_screen(official)
    await official.fill(es("Title"), "Ordenanza de mercados")
    await official.fill(es("Summary in plain words"), "Cambios al horario y la limpieza de los mercados.")
    await official.fill(es("Opens (Lima time)"), "2026-03-01T08:00")
    await official.fill(es("Closes (Lima time)"), "2026-03-15T18:00")
    await official.page.get_by_label(es("Ask for a stance on each section (in favour, neutral, against)")).check()
    await official.fill(es("The document"), DOCUMENT)
    await official.fill(es("Questions"), QUESTIONS)
    await official.press(es("Publish the consultation"))
    assert official.path == "/c/ordenanza-de-mercados", official.path
    await official.arrived("consultation")
    await expect(official.page.get_by_text("Ana Quispe, Gerencia de Desarrollo Económico")).to_be_visible()
    return official.path


async def respond(member: Journey, path: str) -> None:
    await member.goto(path)
    await member.follow(es("Give your opinion"))
    await member.arrived("respond")
    await fits_the_screen(member)
    page = member.page
    horario = page.get_by_role("group", name="1. Horario")
    await horario.get_by_label(es("In favour")).check()
    await horario.get_by_label(es("Why?")).fill("El horario ayuda a los que trabajan.")
    await page.get_by_role("group", name="2. Limpieza").get_by_label(es("Against")).check()
    await page.get_by_role("group", name="¿Qué día prefiere para la feria?").get_by_label("Sábado").check()
    services = page.get_by_role("group", name="¿Qué servicios faltan?")
    await services.get_by_label("Agua").check()
    await services.get_by_label("Baños").check()
    await page.get_by_role("group", name="¿Algo más?").get_by_label(es("Your answer")).fill("Más seguridad.")
    await member.press(es("Send my answers"))
    assert member.path.startswith(f"{path}?saved=1"), member.path
    await member.arrived("responded")


async def test_a_consultation_from_publication_to_the_council_answer(
    node_factory: Any, journey_for: JourneyFor
) -> None:
    clock = FrozenClock(OPEN)
    node: Node = await node_factory("ves", clock=clock)
    official = await name_official(node, journey_for)
    path = await publish(official)

    vecina = await journey_for(node, "vecina", signed_in=True)
    await respond(vecina, path)
    await vecina.fill(es("Comment on section %(num)s", num=1), "¿Y los domingos?")
    await vecina.press(es("Publish the comment"), within="form:has(#comment-1)")
    await vecina.arrived("commented")
    await fits_a_phone(vecina)
    await expect(vecina.page.get_by_text("¿Y los domingos?")).to_be_visible()

    dirigenta = await journey_for(node, "dirigenta", signed_in=True)
    await register_organization(dirigenta, "Comedor Santa Rosa")
    await dirigenta.goto(path)
    await dirigenta.fill(es("The organization's position"), "El comedor apoya el nuevo horario.")
    await dirigenta.press(es("Submit the position"))
    await dirigenta.arrived("position-submitted")
    await fits_a_phone(dirigenta)
    # Submitted by an administrator of the organization, the position is signed at once.
    await expect(dirigenta.page.get_by_text("El comedor apoya el nuevo horario.")).to_be_visible()

    clock.current = CLOSED
    await official.goto(path, "closed")
    await fits_a_phone(official)
    clock.current = OVERDUE
    reader = await journey_for(node, "lectora")
    await reader.goto("/", "home-overdue")
    await fits_a_phone(reader)
    overdue = reader.page.locator("#overdue")
    await expect(overdue.get_by_role("link", name="Ordenanza de mercados")).to_be_visible()
    await expect(overdue).to_contain_text(es_plural("%(num)s day overdue", "%(num)s days overdue", 3))

    await official.goto(path)
    await official.follow(es("Publish the council's answer"))
    await official.arrived("answer")
    await fits_a_phone(official)
    await official.fill(es("General response"), "Se mantiene el horario; la limpieza se hará por turnos.")
    await official.fill(es("Changes the council accepted"), "Limpieza por turnos.")
    await official.press(es("Publish the answer"))
    await official.arrived("answered")
    await fits_a_phone(official)
    await expect(official.page.get_by_text(es("Closed · the council answered")).first).to_be_visible()

    await reader.goto("/", "home-answered")
    await expect(reader.page.locator("#overdue")).to_have_count(0)
    await reader.goto(path)
    await reader.follow(es("See the results"))
    await reader.arrived("summary")
    await fits_a_phone(reader)
    await expect(reader.page.get_by_role("img", name=es("Stances on section %(num)s", num=1))).to_be_visible()
    await expect(reader.page.get_by_role("img", name="¿Qué servicios faltan?")).to_be_visible()
    await expect(reader.page.get_by_text(es_plural("%(num)s participant", "%(num)s participants", 1))).to_be_visible()


@only_modes("nojs", "phone")
async def test_answering_without_javascript_and_on_a_phone(node_factory: Any, journey_for: JourneyFor) -> None:
    """Publishing, answering and the results page: forms submit without JavaScript, pages fit a phone."""
    clock = FrozenClock(OPEN)
    node: Node = await node_factory("ves", clock=clock)
    official = await name_official(node, journey_for)
    path = await publish(official)
    await fits_the_screen(official)
    vecina = await journey_for(node, "vecina", signed_in=True)
    await respond(vecina, path)
    await fits_the_screen(vecina)
    await vecina.goto(f"{path}/summary", "summary")
    await fits_the_screen(vecina)
    await expect(vecina.page.get_by_text(es_plural("%(num)s participant", "%(num)s participants", 1))).to_be_visible()

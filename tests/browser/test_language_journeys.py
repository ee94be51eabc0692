"""The language switch on a budget process page and on a consultation page: Spanish, then Quechua,
then English (and back to Spanish), and every visible string is in the chosen language.

"In the chosen language" is judged with the catalogs: no text the page shows (nor an accessible name it gives in
aria-label or title) contains a message as another language writes it, where the chosen language writes it
differently. English left on the Quechua page, or Spanish left on the English one, fails and is named.

They run without JavaScript (the switch is a plain form) and on a 360×640 phone (JavaScript on, axe); a desktop run
would check the same HTML a third time.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from functools import cache
from typing import Any

from tests.browser.conftest import BROWSER_LOOP, Journey, JourneyFor, _catalogs, only_modes, t
from tests.browser.journeys import fits_the_screen
from tests.web import test_budgets_web as budget_pages
from tests.web import test_consultations_web as consultation_pages

pytestmark = BROWSER_LOOP

LANGUAGES = ("es", "qu", "en")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|%s")
ATTRIBUTES = re.compile(r'\s(?:aria-label|title|placeholder|alt)="([^"]*)"')


def _texts(lang: str) -> dict[Any, str]:
    """Every message as `lang` writes it, by catalog key (a plural's forms are keys of their own)."""
    catalog: dict[Any, str] = _catalogs()[lang]._catalog
    english: dict[Any, str] = _catalogs()["en"]._catalog
    keys = set(catalog) | set(english)
    found: dict[Any, str] = {}
    for key in keys:
        if key == "":
            continue  # the catalog's header
        text = catalog.get(key) or english.get(key) or (key if isinstance(key, str) else "")
        found[key] = text
    return found


def _telling_pieces(text: str) -> list[str]:
    """The parts of a message that would give it away on a page: its fixed text between placeholders, where that
    is two words or more (a single word can be a name, or the same word in two languages)."""
    pieces = [piece.strip(" .,:;·()¿?¡!—-\n") for piece in PLACEHOLDER.split(text)]
    return [piece for piece in pieces if len(piece.split()) >= 2 and len(piece) >= 10]


@cache
def _foreign(lang: str) -> tuple[tuple[str, str, str], ...]:
    """(piece, its language, the message) for every message another language writes differently from `lang`."""
    mine = _texts(lang)
    mine_pieces = {piece for text in mine.values() for piece in _telling_pieces(text)}
    found: dict[str, tuple[str, str, str]] = {}
    for other in LANGUAGES:
        if other == lang:
            continue
        for key, text in _texts(other).items():
            if text == mine.get(key):
                continue
            for piece in _telling_pieces(text):
                if piece not in mine_pieces:
                    found.setdefault(piece, (piece, other, str(key)))
    return tuple(found.values())


async def assert_all_in(journey: Journey, lang: str) -> None:
    page = journey.page
    assert await page.locator("html").get_attribute("lang") == lang
    shown = await page.locator("body").inner_text()
    shown += "\n" + "\n".join(html.unescape(value) for value in ATTRIBUTES.findall(await page.content()))
    shown = " ".join(shown.split())
    left = [f"{other}: {piece!r} (message {key!r})" for piece, other, key in _foreign(lang) if piece in shown]
    assert not left, f"{journey.path} in {lang} shows text of another language:\n" + "\n".join(left)


async def switch_through_languages(journey: Journey, path: str, name: str) -> None:
    await journey.goto(path, f"{name}-es")
    await assert_all_in(journey, "es")
    for lang, then in (("es", "qu"), ("qu", "en"), ("en", "es")):
        await journey.page.get_by_label(t(lang, "Language"), exact=True).select_option(then)
        await journey.press(t(lang, "Change"))
        assert journey.path == path, journey.path
        await journey.arrived(f"{name}-{then}")
        await assert_all_in(journey, then)
        await fits_the_screen(journey)


@only_modes("nojs", "phone")
async def test_a_budget_process_page_in_spanish_quechua_and_english(node_factory: Any, journey_for: JourneyFor) -> None:
    world = await budget_pages.build_world(node_factory)
    project = await budget_pages.propose(world)
    world.clock.current = world.process.review_starts_at + timedelta(hours=1)
    vecina = await journey_for(world.node, "lectora", signed_in=True)
    await switch_through_languages(vecina, f"/b/{world.process.slug}", "process")
    await switch_through_languages(vecina, f"/b/{world.process.slug}/p/{project}", "project")


@only_modes("nojs", "phone")
async def test_a_consultation_page_in_spanish_quechua_and_english(node_factory: Any, journey_for: JourneyFor) -> None:
    world = await consultation_pages.build_world(node_factory)
    vecina = await journey_for(world.node, "lectora", signed_in=True)
    await switch_through_languages(vecina, f"/c/{world.slug}", "consultation")
    await switch_through_languages(vecina, f"/c/{world.slug}/respond", "respond")

"""Kiosk mode for shared computers (web/handlers/kiosk.py): turned on by an operator on that browser only; there,
sessions end after ten idle minutes by the node's clock and on the "Finish" button, their cookie is not kept, and no
page may be cached. Most tests speak HTTP like a browser (tests/conftest.py Visitor); the last one is a real browser."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from deliberate.clock import FrozenClock
from tests.browser.conftest import BROWSER_LOOP, JourneyFor, es
from tests.browser.journeys import sign_up
from tests.conftest import Node, Visitor
from tests.web.test_organizations_and_forums_web import signed_in
from web.sessions import KIOSK_COOKIE, SESSION_COOKIE

pytestmark = BROWSER_LOOP

PASSWORD = "clave-segura-123"


async def kiosk_computer(node: Node) -> Visitor:
    """A browser an operator has made a kiosk (and been logged out of)."""
    computer = await signed_in(node, "operador", "operator")
    response = await computer.submit("/admin/kiosk/on", {}, form_page="/admin/kiosk")
    assert response.status == 200 and response.url.path == "/", computer.last_html
    assert KIOSK_COOKIE in computer.cookies() and SESSION_COOKIE not in computer.cookies()
    return computer


async def signed_in_as(visitor: Visitor, username: str) -> bool:
    await visitor.get("/")
    return f"@{username}" in visitor.last_html


async def test_only_operators_reach_the_kiosk_page(node: Node) -> None:
    anonymous = await node.visitor()
    response = await anonymous.get("/admin/kiosk", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
    member = await signed_in(node, "rosa")
    assert (await member.get("/admin/kiosk")).status == 403
    assert (await member.submit("/admin/kiosk/on", {}, form_page="/")).status == 403
    assert KIOSK_COOKIE not in member.cookies()
    operator = await signed_in(node, "operador", "operator")
    assert (await operator.get("/admin/kiosk")).status == 200
    assert es("This computer is not in kiosk mode.") in operator.last_html


async def test_turning_kiosk_mode_on_logs_the_operator_out_and_shows_the_notice(node: Node) -> None:
    computer = await kiosk_computer(node)
    await computer.get("/")
    assert 'action="/kiosk/end"' in computer.last_html
    assert es("You are on a shared computer") in computer.last_html
    assert "@operador" not in computer.last_html
    ordinary = await node.visitor()
    await ordinary.get("/")
    assert 'action="/kiosk/end"' not in ordinary.last_html
    assert es("You are on a shared computer") not in ordinary.last_html


async def test_a_forged_kiosk_cookie_is_ignored(node: Node) -> None:
    visitor = await node.visitor()
    visitor.session.cookie_jar.update_cookies({KIOSK_COOKIE: "abc.0123456789abcdef"})
    await visitor.get("/")
    assert 'action="/kiosk/end"' not in visitor.last_html


async def test_a_kiosk_session_ends_after_ten_idle_minutes_by_the_nodes_clock(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    computer = await kiosk_computer(node)
    await computer.register("rosa")
    assert await signed_in_as(computer, "rosa")
    for _ in range(3):  # each request starts the ten minutes again
        clock.advance(minutes=9)
        assert await signed_in_as(computer, "rosa")
    clock.advance(minutes=10, seconds=1)
    assert not await signed_in_as(computer, "rosa")
    response = await computer.get("/notifications", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
    # The session is gone on the server: the old cookie does not come back to life when the clock is kind again.
    clock.advance(minutes=-30)
    assert not await signed_in_as(computer, "rosa")


async def test_a_live_update_stream_does_not_keep_a_kiosk_session_alive(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    computer = await kiosk_computer(node)
    await computer.register("rosa")
    for _ in range(3):  # the thread page's live stream reconnects by itself while nobody is at the computer
        clock.advance(minutes=4)
        response = await computer.get("/", headers={"Accept": "text/event-stream"})
        assert response.status == 200
    assert not await signed_in_as(computer, "rosa")


async def test_an_ordinary_session_survives_ten_idle_minutes(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    home = await signed_in(node, "rosa")
    clock.advance(hours=5)
    assert await signed_in_as(home, "rosa")


async def test_a_session_begun_before_kiosk_mode_gets_the_idle_limit(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    computer = await signed_in(node, "rosa")  # rosa's session, on a browser that becomes a kiosk afterwards
    kiosk = await kiosk_computer(node)
    computer.session.cookie_jar.update_cookies({KIOSK_COOKIE: kiosk.cookies()[KIOSK_COOKIE]})
    assert await signed_in_as(computer, "rosa")
    clock.advance(minutes=11)
    assert not await signed_in_as(computer, "rosa")


async def test_on_a_kiosk_the_session_cookie_is_forgotten_when_the_browser_closes(node: Node) -> None:
    computer = await kiosk_computer(node)
    await computer.register("rosa")
    response = await computer.submit("/login", {"username": "rosa", "password": PASSWORD}, allow_redirects=False)
    assert response.status == 303
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie.value and not cookie["max-age"] and not cookie["expires"]
    ordinary = await node.visitor()
    await ordinary.register("juan")
    response = await ordinary.submit("/login", {"username": "juan", "password": PASSWORD}, allow_redirects=False)
    assert int(response.cookies[SESSION_COOKIE]["max-age"]) > 24 * 3600


async def test_finish_ends_the_session_and_forgets_the_language(node: Node) -> None:
    computer = await kiosk_computer(node)
    await computer.register("rosa")
    await computer.submit("/language", {"lang": "qu", "next": "/"})
    assert computer.cookies().get("lang") == "qu"
    response = await computer.submit("/kiosk/end", {}, form_page="/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert SESSION_COOKIE not in computer.cookies() and "lang" not in computer.cookies()
    assert KIOSK_COOKIE in computer.cookies()
    assert not await signed_in_as(computer, "rosa")


async def test_the_login_form_has_no_remember_me(node: Node) -> None:
    visitor = await node.visitor()
    await visitor.get("/login")
    assert 'type="checkbox"' not in visitor.last_html and "remember" not in visitor.last_html.lower()


async def test_what_browsers_may_cache_with_and_without_kiosk_mode(node: Node) -> None:
    anonymous = await node.visitor()
    assert "Cache-Control" not in (await anonymous.get("/forums")).headers  # public pages, as any reader sees them
    member = await signed_in(node, "rosa")
    for path in ("/", "/forums", "/notifications", "/account/password"):
        assert (await member.get(path)).headers["Cache-Control"] == "private, no-store", path
    computer = await kiosk_computer(node)
    for path in ("/", "/forums", "/login", "/register"):
        assert (await computer.get(path)).headers["Cache-Control"] == "no-store", path
    await computer.register("juan")
    for path in ("/", "/notifications", "/account/password"):
        assert (await computer.get(path)).headers["Cache-Control"] == "no-store", path
    static = await computer.get("/static/style.css")
    assert "immutable" in static.headers["Cache-Control"]


async def test_an_operator_turns_kiosk_mode_off_again(node: Node) -> None:
    computer = await kiosk_computer(node)
    await computer.login("operador")
    await computer.get("/admin/kiosk")
    assert es("This computer is in kiosk mode.") in computer.last_html
    await computer.submit("/admin/kiosk/off", {}, form_page="/admin/kiosk")
    assert KIOSK_COOKIE not in computer.cookies()
    assert es("This computer is not in kiosk mode.") in computer.last_html
    assert await signed_in_as(computer, "operador")


async def test_a_person_at_a_kiosk_presses_finish(node: Node, journey_for: JourneyFor) -> None:
    computer = await journey_for(node, "kiosco")
    await sign_up(computer, "operador", "operator")
    await computer.goto("/admin/kiosk", "kiosk-settings")
    await computer.press(es("Turn kiosk mode on"))
    await computer.arrived("kiosk-home")
    await expect(computer.page.get_by_role("heading", name=es("You are on a shared computer"))).to_be_visible()
    await sign_up(computer, "rosa")
    await computer.arrived("kiosk-signed-in")
    finish = computer.page.get_by_role("banner").get_by_role("button", name=es("Finish"))
    await expect(finish).to_be_visible()
    await computer.press(es("Finish"))
    await computer.arrived("kiosk-finished")
    await expect(computer.page.get_by_text("@rosa")).to_have_count(0)
    await expect(computer.page.get_by_role("heading", name=es("You are on a shared computer"))).to_be_visible()
    # The next person presses Back: the browser kept no copy of rosa's page and asks the node, which knows nobody.
    await computer.page.go_back()
    await computer.page.wait_for_load_state("load")
    await expect(computer.page.get_by_text("@rosa")).to_have_count(0)

"""Accounts through the web, as a person with a browser would use them, on a real node."""

from __future__ import annotations

import pytest

from tests.conftest import Node
from tests.web.support import count_accounts, es


async def test_register_signs_in_and_log_out_signs_out(node: Node) -> None:
    rosa = await node.visitor()
    await rosa.register("rosa.quispe", display_name="Rosa Quispe")
    assert "rosa.quispe" in rosa.last_html
    first_session = rosa.cookies()["sid"]
    response = await rosa.submit("/logout", {})
    assert response.status == 200 and "sid" not in rosa.cookies()
    response = await rosa.login("rosa.quispe")
    assert response.status == 200 and response.url.path == "/"
    # A new session id at every log-in: a planted cookie is worth nothing (session fixation).
    assert rosa.cookies()["sid"] != first_session


async def test_a_wrong_password_is_refused_with_a_translated_message(node: Node) -> None:
    rosa = await node.visitor()
    await rosa.register("rosa.quispe")
    stranger = await node.visitor()
    response = await stranger.login("rosa.quispe", "no-es-la-clave")
    assert response.status == 401
    assert es("The username or the password is not correct.") in stranger.last_html
    assert 'value="rosa.quispe"' in stranger.last_html  # what was typed is kept, the password is not
    assert "no-es-la-clave" not in stranger.last_html
    assert "sid" not in stranger.cookies()


async def test_a_taken_username_is_refused_and_nothing_changes(node: Node) -> None:
    await (await node.visitor()).register("rosa.quispe")
    other = await node.visitor()
    response = await other.submit(
        "/register", {"username": "Rosa.Quispe", "password": "otra-clave-123", "password_confirm": "otra-clave-123",
                      "display_name": "Otra Rosa"},
    )  # fmt: skip
    assert response.status == 400
    assert es("That username is already taken. Please choose another one.") in other.last_html
    assert 'value="Otra Rosa"' in other.last_html
    assert await count_accounts(node) == 1


async def test_an_empty_form_gets_a_message_for_each_field(node: Node) -> None:
    visitor = await node.visitor()
    response = await visitor.submit("/register", {})
    assert response.status == 400
    assert visitor.last_html.count(es("This field is required.")) >= 2
    assert 'aria-invalid="true"' in visitor.last_html
    assert await count_accounts(node) == 0


async def test_a_ten_megabyte_field_is_refused_before_it_is_read(node: Node) -> None:
    visitor = await node.visitor()
    response = await visitor.submit(
        "/register", {"username": "rosa", "display_name": "x" * 10_000_000, "password": "clave-segura-123",
                      "password_confirm": "clave-segura-123"},
    )  # fmt: skip
    assert response.status == 413
    assert es("What you sent is too large.") in visitor.last_html
    assert await count_accounts(node) == 0


async def test_a_form_without_a_csrf_token_is_refused(node: Node) -> None:
    visitor = await node.visitor()
    await visitor.get("/register")
    response = await visitor.session.post(
        visitor.url("/register"),
        data={"username": "rosa", "password": "clave-segura-123", "password_confirm": "clave-segura-123"},
    )
    assert response.status == 403
    assert (
        es("This form was not sent from this site or has expired. Please go back, reload the page and try again.")
        in await response.text()
    )
    assert await count_accounts(node) == 0


async def test_a_form_posted_from_another_site_is_refused_even_with_a_token(node: Node) -> None:
    visitor = await node.visitor()
    token = await visitor.csrf("/register")
    response = await visitor.session.post(
        visitor.url("/register"),
        data={"username": "rosa", "password": "clave-segura-123", "password_confirm": "clave-segura-123",
              "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )  # fmt: skip
    assert response.status == 403
    assert await count_accounts(node) == 0


async def test_a_token_from_another_browser_does_not_work(node: Node) -> None:
    attacker, victim = await node.visitor(), await node.visitor()
    token = await attacker.csrf("/register")
    await victim.get("/register")
    response = await victim.session.post(
        victim.url("/register"),
        data={"username": "rosa", "password": "clave-segura-123", "password_confirm": "clave-segura-123",
              "csrf_token": token},
    )  # fmt: skip
    assert response.status == 403


async def test_log_in_is_rate_limited_per_username_with_a_clear_message(node: Node) -> None:
    await (await node.visitor()).register("rosa.quispe")
    guesser = await node.visitor()
    for attempt in range(node.settings.login_attempts_per_window):
        assert (await guesser.login("rosa.quispe", f"adivina-{attempt}")).status == 401
    response = await guesser.login("rosa.quispe")  # even the right password waits now
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 0
    assert es("Too many attempts. Please wait %(minutes)s minutes and try again.") % {"minutes": 15} in (
        guesser.last_html
    )
    # Another member is not locked out by the guesser's failures.
    await (await node.visitor()).register("juan.mamani")
    assert (await guesser.login("juan.mamani")).status == 200


async def test_changing_the_password_ends_other_sessions(node: Node) -> None:
    phone, ict_centre = await node.visitor(), await node.visitor()
    await phone.register("rosa.quispe")
    assert (await ict_centre.login("rosa.quispe")).status == 200
    response = await phone.submit(
        "/account/password",
        {"current_password": "clave-segura-123", "new_password": "nueva-clave-456",
         "new_password_confirm": "nueva-clave-456"},
    )  # fmt: skip
    assert response.status == 200 and response.url.query.get("done") == "1"
    still_in = await phone.get("/account/password")
    assert still_in.url.path == "/account/password"
    kicked_out = await ict_centre.get("/account/password")
    assert kicked_out.url.path == "/login"
    assert (await ict_centre.login("rosa.quispe", "nueva-clave-456")).status == 200


async def test_a_wrong_current_password_does_not_change_it(node: Node) -> None:
    rosa = await node.visitor()
    await rosa.register("rosa.quispe")
    response = await rosa.submit(
        "/account/password",
        {"current_password": "equivocada-000", "new_password": "nueva-clave-456",
         "new_password_confirm": "nueva-clave-456"},
    )  # fmt: skip
    assert response.status == 400
    assert es("Your current password is not correct.") in rosa.last_html
    assert (await (await node.visitor()).login("rosa.quispe")).status == 200


async def test_after_log_in_the_person_returns_where_they_were_but_never_offsite(node: Node) -> None:
    await (await node.visitor()).register("rosa.quispe")
    visitor = await node.visitor()
    response = await visitor.get("/account/password")
    assert response.url.path == "/login"
    token = await visitor.csrf("/login")
    for target, expected in [("/account/password", "/account/password"), ("//evil.example/x", "/")]:
        response = await visitor.session.post(
            visitor.url("/login"),
            data={
                "username": "rosa.quispe",
                "password": "clave-segura-123",
                "next": target,
                "csrf_token": token,
            },
        )
        assert response.url.path == expected and response.url.host == "127.0.0.1"


@pytest.mark.parametrize("accept", ["application/json", "application/problem+json"])
async def test_api_clients_get_rfc9457_problems(node: Node, accept: str) -> None:
    visitor = await node.visitor()
    token = await visitor.csrf("/register")
    response = await visitor.session.post(
        visitor.url("/register"), data={"username": "x", "csrf_token": token}, headers={"Accept": accept}
    )
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == 400 and problem["code"] == "invalid_fields"
    assert problem["type"].startswith(node.base_url + "/problems/")
    assert {e["field"] for e in problem["errors"]} >= {"username", "password"}
    missing = await visitor.session.get(visitor.url("/no/such/page"), headers={"Accept": accept})
    assert missing.status == 404 and (await missing.json())["code"] == "not_found"


async def test_each_page_masks_the_csrf_token_differently(node: Node) -> None:
    """BREACH: a secret repeated byte for byte in gzipped pages leaks; every page gets a fresh mask."""
    visitor = await node.visitor()
    first, second = await visitor.csrf("/register"), await visitor.csrf("/login")
    assert first != second
    for token in (first, second):  # both still valid for this browser
        response = await visitor.session.post(
            visitor.url("/language"), data={"lang": "en", "next": "/", "csrf_token": token}
        )
        assert response.status == 200

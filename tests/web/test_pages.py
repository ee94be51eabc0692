"""The skeleton every page stands on: languages, security headers, health, metrics, errors."""

from __future__ import annotations

import re

from tests.conftest import Node
from tests.web.support import es, translated


async def test_the_home_page_is_in_spanish_by_default(node: Node) -> None:
    visitor = await node.visitor()
    response = await visitor.get("/")
    assert response.status == 200
    assert '<html lang="es"' in visitor.last_html
    assert response.headers["Content-Language"] == "es"
    assert "Villa El Salvador" in visitor.last_html


async def test_the_browser_language_is_respected_and_the_switch_overrides_it(node: Node) -> None:
    visitor = await node.visitor(**{"Accept-Language": "qu-PE,qu;q=0.9,es;q=0.5"})
    await visitor.get("/")
    assert '<html lang="qu"' in visitor.last_html
    response = await visitor.submit("/language", {"lang": "en", "next": "/register"})
    assert response.status == 200 and response.url.path == "/register"
    assert '<html lang="en"' in visitor.last_html


async def test_an_unknown_language_gets_a_translated_answer_and_changes_nothing(node: Node) -> None:
    visitor = await node.visitor()
    response = await visitor.submit("/language", {"lang": "xx", "next": "/"})
    assert response.status == 400
    assert es("That language is not available. Please choose Español, Runasimi or English.") in visitor.last_html
    assert "lang" not in visitor.cookies()
    await visitor.get("/")
    assert '<html lang="es"' in visitor.last_html


async def test_pages_carry_a_strict_content_security_policy(node: Node) -> None:
    visitor = await node.visitor()
    for path in ["/", "/login", "/register", "/no-such-page"]:
        response = await visitor.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-Id"])
        # No inline script or style anywhere: the policy would block it.
        assert "<script>" not in visitor.last_html and "style=" not in visitor.last_html


async def test_cookies_are_http_only_and_same_site(node: Node) -> None:
    visitor = await node.visitor()
    await visitor.get("/register")
    token = await visitor.csrf("/register")
    fresh = await node.visitor()
    home = await fresh.get("/")
    assert "Set-Cookie" not in home.headers  # a page without a form sets no cookie: the same for every reader
    first = await fresh.get("/login")
    set_cookies = first.headers.getall("Set-Cookie")
    response = await visitor.session.post(
        visitor.url("/register"),
        data={"username": "rosa", "password": "clave-segura-123", "password_confirm": "clave-segura-123",
              "csrf_token": token},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303
    set_cookies += response.headers.getall("Set-Cookie")
    for name in ("sid", "csrf"):
        (line,) = [c for c in set_cookies if c.startswith(name + "=")]
        assert "HttpOnly" in line and "SameSite=Lax" in line and "Path=/" in line
    signed_in = await visitor.get("/")
    assert signed_in.headers["Cache-Control"] == "private, no-store"


async def test_static_files_are_cacheable_for_a_year(node: Node) -> None:
    visitor = await node.visitor()
    await visitor.get("/")
    href = re.search(r'href="(/static/style\.css\?v=[0-9a-f]+)"', visitor.last_html)
    assert href, "the stylesheet link carries a content version"
    response = await visitor.get(href[1])
    assert response.status == 200 and response.content_type == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


async def test_an_unknown_page_is_a_translated_404(node: Node) -> None:
    visitor = await node.visitor(**{"Accept-Language": "qu"})
    response = await visitor.get("/no/hay/nada")
    assert response.status == 404
    assert translated("qu", "Page not found") in visitor.last_html


async def test_healthz_checks_postgres_and_redis(node: Node) -> None:
    visitor = await node.visitor()
    response = await visitor.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_metrics_are_in_prometheus_text_format(node: Node) -> None:
    visitor = await node.visitor()
    await visitor.get("/")
    await visitor.login("nadie", "nada-de-nada")
    response = await visitor.get("/metrics")
    assert response.status == 200 and response.content_type == "text/plain"
    body = await response.text()
    assert 'deliberate_http_request_duration_seconds_count{method="GET",route="/",status="200"}' in body
    assert 'deliberate_login_attempts_total{outcome="refused"} 1.0' in body
    assert "deliberate_db_pool_connections" in body

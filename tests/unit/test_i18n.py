"""Language choice, template translation and Peruvian formats."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import jinja2
import pytest

from web.i18n import format_date, format_datetime, format_money, install_i18n, load_catalogs, negotiate


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        ("qu", "en", "qu"),
        ("xx", "en-US,en;q=0.9", "en"),
        (None, "quz-PE,es;q=0.5", "qu"),
        (None, "es-PE,es;q=0.9,en;q=0.8", "es"),
        (None, "fr-FR,de;q=0.9", "es"),
        (None, "en;q=0.2,qu;q=0.8", "qu"),
        (None, "en;q=0", "es"),
        (None, None, "es"),
        (None, "garbage;q=abc,,,", "es"),
    ],
)
def test_language_negotiation(cookie: str | None, header: str | None, expected: str) -> None:
    assert negotiate(cookie, header, "es") == expected


def test_templates_translate_per_request_with_escaped_values() -> None:
    env = jinja2.Environment(autoescape=True)
    install_i18n(env)
    template = env.from_string('{{ _("Log in") }} | {{ _("Welcome, %(name)s.", name=who) }}')
    catalogs = load_catalogs()
    rendered = {lang: template.render(_translations=catalogs[lang], who="<b>Rosa</b>") for lang in catalogs}
    assert rendered["es"] == "Ingresar | Bienvenida o bienvenido, &lt;b&gt;Rosa&lt;/b&gt;."
    assert rendered["qu"].startswith("Yaykuy | Allin hamusqayki")
    assert rendered["en"].startswith("Log in | Welcome")


def test_plurals() -> None:
    env = jinja2.Environment(autoescape=True)
    install_i18n(env)
    template = env.from_string('{{ ngettext("%(num)s member", "%(num)s members", n) }}')
    es = load_catalogs()["es"]
    assert template.render(_translations=es, n=1) == "1 miembro"
    assert template.render(_translations=es, n=3) == "3 miembros"


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("1234.5"), "S/ 1 234,50"), (0, "S/ 0,00"), (Decimal("1000000"), "S/ 1 000 000,00"),
     (Decimal("999.995"), "S/ 1 000,00"), (Decimal("-12.3"), "-S/ 12,30")],
)  # fmt: skip
def test_money_is_written_the_peruvian_way(amount: Decimal, text: str) -> None:
    assert format_money(amount) == text


def test_dates_are_shown_in_lima_time() -> None:
    moment = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)  # still the 22nd in Lima (UTC-5)
    assert format_datetime(moment) == "22/11/2026 22:30"
    assert format_date(moment, "es") == "22 de noviembre de 2026"
    assert format_date(moment, "en") == "November 22, 2026"

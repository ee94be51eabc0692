"""Language choice, translation in templates (per request, one environment), and the Peruvian formats."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po
from babel.support import Translations

from web.i18n import (
    N_,
    NATIVE_NAMES,
    SUPPORTED,
    format_date,
    format_datetime,
    format_money,
    gettext_for,
    install_i18n,
    load_catalogs,
    negotiate,
)
from web.labels import FILTERS

CATALOGS = load_catalogs()


def environment(**options: Any) -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, **options)
    install_i18n(env)
    return env


def translations_of(messages: dict[str | tuple[str, str], str], locale: str = "es") -> Translations:
    catalog = Catalog(locale=locale)
    for key, text in messages.items():
        context, message = key if isinstance(key, tuple) else (None, key)
        catalog.add(message, string=text, context=context)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def test_the_three_languages_are_named_in_their_own_words() -> None:
    assert SUPPORTED == ("es", "qu", "en")
    assert NATIVE_NAMES == {"es": "Español", "qu": "Runasimi", "en": "English"}
    assert set(CATALOGS) == set(SUPPORTED)


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        ("qu", "en", "qu"),
        ("en", "qu-PE,qu", "en"),
        ("xx", "en-US,en;q=0.9", "en"),
        (None, "qu", "qu"),
        (None, "qu-PE", "qu"),
        (None, "quz-PE,es;q=0.5", "qu"),
        (None, "quy", "qu"),
        (None, "es-PE,es;q=0.9,en;q=0.8", "es"),
        (None, "en-GB, es-PE", "en"),
        (None, "fr-FR,de;q=0.9", "es"),
        (None, "en;q=0.2,qu;q=0.8", "qu"),
        (None, "en;q=0", "es"),
        (None, "*", "es"),
        (None, None, "es"),
        (None, "", "es"),
        (None, "garbage;q=abc,,,", "es"),
    ],
)
def test_the_cookie_wins_then_the_browser_then_the_node_default(
    cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate(cookie, header, "es") == expected


def test_the_node_default_is_used_when_nothing_matches() -> None:
    assert negotiate(None, "fr", "qu") == "qu"
    assert negotiate(None, "fr", "xx") == "es"  # a misconfigured default still gives a page


@pytest.mark.parametrize(("lang", "log_in"), [("es", "Ingresar"), ("qu", "Yaykuy"), ("en", "Log in")])
def test_one_environment_translates_each_request_into_its_own_language(lang: str, log_in: str) -> None:
    template = environment().from_string('{{ _("Log in") }}|{{ gettext("Log in") }}')
    assert template.render(_translations=CATALOGS[lang]) == f"{log_in}|{log_in}"


def test_placeholder_values_are_escaped_but_the_translation_is_not() -> None:
    template = environment().from_string('{{ _("Welcome, %(name)s.", name=who) }}')
    rendered = {lang: template.render(_translations=CATALOGS[lang], who="<b>Rosa</b>") for lang in SUPPORTED}
    assert rendered["es"] == "Bienvenida o bienvenido, &lt;b&gt;Rosa&lt;/b&gt;."
    assert rendered["qu"] == "Allin hamusqayki, &lt;b&gt;Rosa&lt;/b&gt;."
    assert rendered["en"] == "Welcome, &lt;b&gt;Rosa&lt;/b&gt;."


def test_trans_blocks_are_trimmed_and_translated() -> None:
    template = environment().from_string(
        "{% trans name=who %}\n    Welcome,\n    {{ name }}.\n{% endtrans %}",
    )
    assert template.render(_translations=CATALOGS["es"], who="Rosa") == "Bienvenida o bienvenido, Rosa."
    assert template.render(_translations=CATALOGS["qu"], who="Rosa") == "Allin hamusqayki, Rosa."


def test_plurals_follow_the_number() -> None:
    template = environment().from_string('{{ ngettext("%(num)s member", "%(num)s members", n) }}')
    es, qu = CATALOGS["es"], CATALOGS["qu"]
    assert template.render(_translations=es, n=1) == "1 miembro"
    assert template.render(_translations=es, n=3) == "3 miembros"
    # Quechua does not pluralize a noun after a number.
    assert template.render(_translations=qu, n=3) == "3 masi"


def test_messages_with_a_context_are_told_apart() -> None:
    catalog = translations_of({("language switch", "Change"): "Cambiar idioma", "Change": "Cambiar"})
    template = environment().from_string('{{ pgettext("language switch", "Change") }}|{{ _("Change") }}')
    assert template.render(_translations=catalog) == "Cambiar idioma|Cambiar"


def test_without_a_catalog_in_the_context_the_message_id_is_shown() -> None:
    template = environment(undefined=jinja2.StrictUndefined).from_string('{{ _("Log in") }}')
    assert template.render() == "Log in"


def test_python_code_translates_with_gettext_for_and_marks_with_n() -> None:
    assert N_("Log in") == "Log in"
    assert gettext_for(CATALOGS["qu"])(N_("Log out")) == "Lluqsiy"


def test_fuzzy_translations_are_not_used(tmp_path: Path) -> None:
    for lang in SUPPORTED:
        catalog = Catalog(locale=lang)
        catalog.add("Confirmed", string=f"confirmed {lang}")
        catalog.add("Unsure", string=f"unsure {lang}", flags=["fuzzy"])
        path = tmp_path / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True)
        with path.open("wb") as handle:
            write_po(handle, catalog)
    qu = load_catalogs(tmp_path)["qu"]
    assert qu.gettext("Confirmed") == "confirmed qu"
    assert qu.gettext("Unsure") == "Unsure"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234.5"), "S/ 1 234,50"),
        (0, "S/ 0,00"),
        (Decimal("0.5"), "S/ 0,50"),
        (Decimal("999"), "S/ 999,00"),
        (Decimal("1000000"), "S/ 1 000 000,00"),
        (Decimal("999.995"), "S/ 1 000,00"),
        (Decimal("-12.3"), "-S/ 12,30"),
        (2500, "S/ 2 500,00"),
        (0.1 + 0.2, "S/ 0,30"),
    ],
)
def test_money_is_written_the_peruvian_way(amount: Decimal | int | float, text: str) -> None:
    assert format_money(amount) == text


def test_dates_are_shown_in_lima_time() -> None:
    moment = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)  # still the 22nd in Lima (UTC-5, no daylight saving)
    assert format_datetime(moment) == "22/11/2026 22:30"
    assert format_datetime(moment, "en") == "22/11/2026 22:30"
    assert format_date(moment, "es") == "22 de noviembre de 2026"
    assert format_date(moment, "qu") == "22 de noviembre de 2026"
    assert format_date(moment, "en") == "November 22, 2026"
    assert format_date(date(2026, 7, 28), "es") == "28 de julio de 2026"


def test_a_naive_timestamp_is_read_as_utc() -> None:
    assert format_datetime(datetime(2026, 1, 1, 4, 59)) == "31/12/2025 23:59"


def test_the_formats_are_template_filters() -> None:
    template = environment().from_string(
        "{{ when | format_datetime(lang) }} · {{ when | format_date(lang) }} · {{ cost | format_money }}"
    )
    rendered = template.render(when=datetime(2026, 3, 1, 17, 0, tzinfo=UTC), lang="es", cost=Decimal("45000"))
    assert rendered == "01/03/2026 12:00 · 1 de marzo de 2026 · S/ 45 000,00"


# The pages themselves, rendered with the environment create_app builds.

PAGES = jinja2.Environment(
    loader=jinja2.PackageLoader("web", "templates"),
    autoescape=jinja2.select_autoescape(default=True),
    undefined=jinja2.StrictUndefined,
)
install_i18n(PAGES)
PAGES.filters.update(FILTERS)
ROSA = SimpleNamespace(username="rosa.quispe", display_name="Rosa Quispe", roles=frozenset({"member"}))


def render(name: str, lang: str = "es", user: SimpleNamespace | None = None, **context: Any) -> str:
    base = {
        "request": SimpleNamespace(path_qs="/register?x=1"),
        "lang": lang,
        "languages": [(code, NATIVE_NAMES[code]) for code in SUPPORTED],
        "user": user,
        "csrf_token": "t0ken",
        "node_name": "Villa El Salvador",
        "_translations": CATALOGS[lang],
        "static_version": "abc123",
        "unread": 0,
        "base_url": "https://ves.example.pe",
    }
    return PAGES.get_template(name).render({**base, **context})


def test_every_template_compiles() -> None:
    for name in PAGES.list_templates(extensions=["html"]):
        PAGES.get_template(name)


@pytest.mark.parametrize("lang", SUPPORTED)
@pytest.mark.parametrize(
    ("name", "context"),
    [
        ("home.html", {}),
        ("accounts/register.html", {"form": {}, "errors": {}, "form_error": None}),
        ("accounts/login.html", {"form": {"next": "/f/vecinos"}, "errors": {}, "form_error": None}),
        ("accounts/password.html", {"form": {}, "errors": {}, "form_error": None, "done": True}),
        ("error.html", {"status": 404, "title": "No está", "detail": "Nada", "request_id": "0123abcd"}),
    ],
)
def test_pages_render_in_every_language_without_inline_script_or_style(
    lang: str, name: str, context: dict[str, Any]
) -> None:
    for user in (None, ROSA):
        html = render(name, lang, user, **context)
        assert f'<html lang="{lang}">' in html
        assert '<link rel="stylesheet" href="/static/style.css?v=abc123">' in html
        assert "<script" not in html and "style=" not in html and "<style" not in html
        # Forms that change something carry the token; the language form on every page needs none.
        has_form = user is not None or name.startswith("accounts/")
        assert ('name="csrf_token" value="t0ken"' in html) == has_form
        assert '<option value="qu" lang="qu"' in html
        assert f'<option value="{lang}" lang="{lang}" selected>' in html
        assert '<input type="hidden" name="next" value="/register?x=1">' in html


def test_the_menu_offers_log_in_or_the_account_of_the_person_signed_in() -> None:
    signed_out = render("home.html", "qu")
    assert 'href="/login"' in signed_out and 'href="/register"' in signed_out and "/logout" not in signed_out
    signed_in = render("home.html", "qu", ROSA)
    assert "@rosa.quispe" in signed_in and 'href="/account/password"' in signed_in
    assert 'action="/logout"' in signed_in and 'href="/login"' not in signed_in
    assert "Allin hamusqayki, Rosa Quispe." in signed_in


def test_a_refused_form_keeps_what_was_typed_and_ties_each_error_to_its_field() -> None:
    html = render(
        "accounts/register.html",
        form={"username": "rosa<", "display_name": "Rosa"},
        errors={"username": "Ese nombre de usuario ya está en uso."},
        form_error="Corrija los datos marcados abajo, por favor.",
    )
    assert '<p class="form-error" role="alert">Corrija los datos marcados abajo, por favor.</p>' in html
    assert 'value="rosa&lt;"' in html
    assert 'aria-describedby="username-error username-hint" aria-invalid="true"' in html
    assert '<p class="error" id="username-error">Error: Ese nombre de usuario ya está en uso.</p>' in html
    # A password is never sent back.
    assert 'id="password" name="password" type="password" autocomplete' in html
    assert html.count('aria-invalid="true"') == 1


@pytest.mark.parametrize(
    ("lang", "optional", "error"), [("es", "(opcional)", "Error:"), ("qu", "(munaspaqa)", "Pantay:")]
)
def test_the_form_macro_speaks_the_language_of_the_page(lang: str, optional: str, error: str) -> None:
    html = render("accounts/register.html", lang, form={}, errors={"phone": "x"}, form_error=None)
    assert f'<span class="optional">{optional}</span>' in html
    assert f'<p class="error" id="phone-error">{error} x</p>' in html


def test_every_template_imports_the_form_macro_with_the_page_context() -> None:
    """Without `with context` the macro cannot see the page's catalog and would speak English."""
    imports = re.compile(r"{%-?\s*from\s+\"_forms\.html\"\s+import\s+[^%]*%}")
    for name in PAGES.list_templates(extensions=["html"]):
        source = PAGES.loader.get_source(PAGES, name)[0]  # type: ignore[union-attr]
        for statement in imports.findall(source):
            assert statement.rstrip("-%} ").endswith("with context"), (name, statement)

"""Languages of the interface: Spanish (default), Quechua (`qu`) and English, and the Peruvian formats for
dates and money.

Message ids are written in English in the code and the templates; the translations live in
`web/locale/<lang>/LC_MESSAGES/messages.po`. They are compiled in memory at start-up, so there is no build
step and no compiled file in the repository. Templates translate through `_`, `gettext`, `ngettext` and
`pgettext`, which read the request's catalog from the template context (`_translations`): one Jinja
environment serves every language at once.

This module owns only language choice, catalogs and formatting. It must not read requests or settings: the web
layer passes in the cookie, the Accept-Language header and the node's default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import jinja2
from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2.runtime import Context

from deliberate.validation import LIMA  # dates are shown in the district's time

SUPPORTED: tuple[str, ...] = ("es", "qu", "en")
NATIVE_NAMES: dict[str, str] = {"es": "Español", "qu": "Runasimi", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"

# Browsers and phones send several tags for Quechua: the macrolanguage (qu), Cusco (quz), Ayacucho (quy) and
# the ISO 639-3 codes of other Southern varieties. All of them read the Southern Quechua catalog best.
_QUECHUA_TAGS = frozenset({"qu", "quz", "quy", "qxp", "qve", "qxu", "qws", "qvc", "cqu"})
# CLDR's Quechua month names are the Inca calendar ("Qulla puquy"…), which almost nobody uses on paper;
# Quechua speakers in Lima read dates with the Spanish month names, as on every municipal document.
_BABEL_LOCALE = {"es": "es_PE", "qu": "es_PE", "en": "en"}
# A header is read only this far: a long one would otherwise cost work on every request.
_MAX_LANGUAGE_RANGES = 20
# Browsers of one city send a handful of distinct Accept-Language values, and every request asks: the answers are
# remembered for that many distinct (cookie, header, default) values, the least recently used forgotten first, so
# headers made up by a client cost memory only up to this bound.
_NEGOTIATED = 512


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def load_catalogs(locale_dir: Path | None = None) -> dict[str, Translations]:
    """Every supported language's catalog, compiled in memory from its .po file. Fuzzy entries are left out,
    so a translation a reviewer has not confirmed falls back to the English message id."""
    folder = locale_dir or LOCALE_DIR
    catalogs: dict[str, Translations] = {}
    for lang in SUPPORTED:
        path = folder / lang / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        buffer = BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        catalogs[lang] = Translations(buffer)
    return catalogs


def _language_code(tag: str) -> str | None:
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    code = "qu" if primary in _QUECHUA_TAGS else primary
    return code if code in SUPPORTED else None


def q_value(params: list[str]) -> float:
    """The weight (`q`) among the parameters of one element of an Accept-* header (RFC 9110 §12.4.2): 1 when absent,
    0 when unreadable."""
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


@lru_cache(maxsize=_NEGOTIATED)
def negotiate(cookie_value: str | None, accept_language: str | None, default: str) -> str:
    """The person's own choice (the cookie) first, then the browser's best supported language, then the node's
    default. Quality values follow RFC 9110 §12.5.4; among equal qualities the first listed wins.

    A pure function of its three values, so its answers are remembered (see `_NEGOTIATED`)."""
    if cookie_value is not None and cookie_value in SUPPORTED:
        return cookie_value
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:_MAX_LANGUAGE_RANGES]):
        tag, *params = part.split(";")
        code = _language_code(tag)
        if code is None:
            continue
        quality = q_value(params)
        if quality <= 0:
            continue
        candidate = (quality, -position, code)
        if best is None or candidate > best:
            best = candidate
    if best is not None:
        return best[2]
    return default if default in SUPPORTED else SUPPORTED[0]


def gettext_for(translations: NullTranslations) -> Callable[[str], str]:
    """A plain `_` for Python code that already holds a catalog (a handler building a message, a test)."""

    def gettext(message: str) -> str:
        return str(translations.gettext(message))

    return gettext


def _in_lima(value: datetime) -> datetime:
    # The database hands out aware timestamps; a naive one can only be UTC (the node stores nothing else).
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LIMA)


def format_datetime(value: datetime, lang: str = "es") -> str:
    """'22/11/2026 15:04' in Lima time, day first and a 24-hour clock, the way dates are written in Peru. The
    same digits in every language, so a date copied from one page to another still reads the same."""
    return _in_lima(value).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | datetime, lang: str = "es") -> str:
    """'22 de noviembre de 2026' on Spanish and Quechua pages, 'November 22, 2026' on English ones. A datetime
    is first moved to Lima, so a late-evening timestamp shows Lima's day, not UTC's."""
    if isinstance(value, datetime):
        value = _in_lima(value).date()
    return str(babel_format_date(value, format="long", locale=_BABEL_LOCALE.get(lang, "es_PE")))


def format_money(amount: Decimal | int | float | str) -> str:
    """Soles as 'S/ 1 234,50': the sign S/, a plain space between groups of thousands and a decimal comma,
    rounded half up to the céntimo. One convention on every page and in every language."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}S/ {' '.join(groups)},{cents}"


def _catalog(context: Context) -> NullTranslations:
    translations = context.get("_translations")
    return translations if isinstance(translations, NullTranslations) else NullTranslations()


@jinja2.pass_context
def _gettext(context: Context, message: str) -> str:
    return str(_catalog(context).gettext(message))


@jinja2.pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(_catalog(context).ngettext(singular, plural, n))


@jinja2.pass_context
def _pgettext(context: Context, message_context: str, message: str) -> str:
    return str(_catalog(context).pgettext(message_context, message))


@jinja2.pass_context
def _npgettext(context: Context, message_context: str, singular: str, plural: str, n: int) -> str:
    return str(_catalog(context).npgettext(message_context, singular, plural, n))


def install_i18n(env: jinja2.Environment) -> None:
    """Translation calls and the date and money filters for `env`.

    Newstyle gettext: `_("Hello %(name)s", name=x)` fills the placeholders itself and escapes the values, not
    the translation. Every translated message therefore goes through `%` formatting: write a literal percent
    sign as `%%` in a template message. `{% trans %}` blocks are trimmed (line breaks and indentation collapse
    to one space), the same way `web.locale.extract` reads them.
    """
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.filters["format_date"] = format_date
    env.filters["format_datetime"] = format_datetime
    env.filters["format_money"] = format_money

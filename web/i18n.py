"""Languages: Spanish (default), Quechua (`qu`, Southern Quechua in Peru's official three-vowel alphabet) and English.

Message ids are written in English in the code and templates; `web/locale/<lang>/LC_MESSAGES/messages.po` holds the
translations, compiled in memory at start-up (no build step, no compiled files in the repository). Templates
translate through `_`/`gettext`/`ngettext`, which read the request's catalog from the template context
(`_translations`), so one Jinja environment serves every language at once. Dates are shown in America/Lima and
money as "S/ 1 234,50" (thin groups with a space, decimal comma), one convention everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED: tuple[str, ...] = ("es", "qu", "en")
NATIVE_NAMES = {"es": "Español", "qu": "Runasimi", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
LIMA = ZoneInfo("America/Lima")
# Babel has no Quechua date names; Peru's Spanish ones are what people read on every official paper.
_BABEL_LOCALE = {"es": "es_PE", "qu": "es_PE", "en": "en"}
_QUECHUA_TAGS = {"qu", "quz", "quy", "que", "qxp", "qvc"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def load_catalogs(locale_dir: Path | None = None) -> dict[str, Translations]:
    folder = locale_dir or LOCALE_DIR
    catalogs: dict[str, Translations] = {}
    for lang in SUPPORTED:
        path = folder / lang / "LC_MESSAGES" / "messages.po"
        buffer = BytesIO()
        with path.open("rb") as handle:
            write_mo(buffer, read_po(handle, locale=lang), use_fuzzy=False)
        buffer.seek(0)
        catalogs[lang] = Translations(buffer)
    return catalogs


def negotiate(cookie_value: str | None, accept_language: str | None, default: str) -> str:
    """The person's choice (cookie) first, then the browser's best supported language, then the node's default."""
    if cookie_value in SUPPORTED:
        return str(cookie_value)
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        base = tag.strip().lower().split("-")[0]
        code = "qu" if base in _QUECHUA_TAGS else base
        if code in SUPPORTED and quality > 0:
            candidate = (quality, -position, code)
            if best is None or candidate > best:
                best = candidate
    return best[2] if best else default


def gettext_for(translations: NullTranslations) -> Callable[[str], str]:
    return translations.gettext


def format_datetime(value: datetime, lang: str = "es") -> str:
    """'22/11/2026 15:04' in Lima time, the way dates are written in Peru."""
    return value.astimezone(LIMA).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | datetime, lang: str = "es") -> str:
    """'22 de noviembre de 2026' (Spanish and Quechua pages) or 'November 22, 2026'."""
    if isinstance(value, datetime):
        value = value.astimezone(LIMA).date()
    return str(babel_format_date(value, format="long", locale=_BABEL_LOCALE.get(lang, "es_PE")))


def format_money(amount: Decimal | int | float) -> str:
    """Soles as 'S/ 1 234,50': a space between thousands and a decimal comma, as the council's budgets write them."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}S/ {' '.join(groups)},{cents}"


def _catalog(context: Any) -> NullTranslations:
    translations = context.get("_translations")
    return translations if isinstance(translations, NullTranslations) else NullTranslations()


@jinja2.pass_context
def _gettext(context: Any, message: str) -> str:
    return str(_catalog(context).gettext(message))


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return str(_catalog(context).ngettext(singular, plural, n))


def install_i18n(env: jinja2.Environment) -> None:
    env.add_extension("jinja2.ext.i18n")
    # newstyle: `_("Hello %(name)s", name=x)` formats and autoescapes the values, not the translation.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["format_datetime"] = format_datetime
    env.filters["format_date"] = format_date
    env.filters["format_money"] = format_money

"""Keep the three catalogs in step with the code: find every translatable message and merge it into each .po
file.

    python -m web.locale.extract                   # update web/locale/{es,qu,en}/LC_MESSAGES/messages.po
    python -m web.locale.extract --drop-obsolete   # also forget messages the code no longer uses

Python files under deliberate/ and web/ are searched for `_()`, `N_()`, `gettext()`, `ngettext()`,
`lazy_gettext()`, `pgettext()` and `npgettext()`; templates under web/templates for the same calls and for
`{% trans %}` blocks (trimmed, as `web.i18n.install_i18n` renders them). Existing translations are kept, new
messages arrive with an empty translation (tests/unit/test_catalogs.py fails until someone writes it), and
there is no fuzzy guessing: a guess that looks right is how a wrong Quechua sentence reaches a page.
Messages the code no longer uses stay at the end of the file as `#~` entries, so a translation is not lost
when a message id is only reworded; `--drop-obsolete` removes them.

This module only reads source files and writes the .po files; it never compiles catalogs (web.i18n does that
in memory at start-up).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = Path(__file__).resolve().parent
LANGUAGES = ("es", "qu", "en")
LANGUAGE_NAMES = {"es": "Spanish", "qu": "Southern Quechua", "en": "English"}
KEYWORDS: dict[str, Any] = {
    "_": None,
    "N_": None,
    "gettext": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
TEMPLATE_OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"}
# (folder under the project root, Babel method map); paths in the map are relative to that folder.
SOURCES: list[tuple[str, list[tuple[str, str]]]] = [
    ("deliberate", [("**.py", "python")]),
    ("web", [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]),
]
# A fixed date keeps the header from changing on every run, so a .po diff shows only real changes.
_HEADER_DATE = datetime(2026, 1, 1)


def extract_messages(root: Path = ROOT) -> Catalog:
    """Every message the code and templates use, with the files that use it."""
    catalog = Catalog(project="deliberate", charset="utf-8", creation_date=_HEADER_DATE)
    for folder, method_map in SOURCES:
        options_map = {pattern: TEMPLATE_OPTIONS for pattern, method in method_map if method != "python"}
        for filename, lineno, message, comments, context in extract_from_dir(
            str(root / folder),
            method_map=method_map,
            options_map=options_map,
            keywords=KEYWORDS,
            strip_comment_tags=True,
        ):
            first = message[0] if isinstance(message, tuple) else message
            if not first:
                continue
            location = (f"{folder}/{Path(filename).as_posix()}", lineno)
            catalog.add(message, locations=[location], auto_comments=comments, context=context)
    return catalog


def catalog_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / "messages.po"


def _untranslated(catalog: Catalog) -> int:
    count = 0
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            count += 1
    return count


def update_catalogs(
    root: Path = ROOT,
    locale_dir: Path = LOCALE_DIR,
    *,
    drop_obsolete: bool = False,
) -> dict[str, int]:
    """Merge the extracted messages into each language's catalog; returns how many lack a translation per
    language."""
    template = extract_messages(root)
    missing: dict[str, int] = {}
    for lang in LANGUAGES:
        path = catalog_path(lang, locale_dir)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, project="deliberate", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=True)
        if drop_obsolete:
            catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.revision_date = _HEADER_DATE
        catalog.language_team = f"{LANGUAGE_NAMES[lang]} (see web/locale/GLOSSARY.md)"
        catalog.last_translator = "deliberate translators"
        catalog.msgid_bugs_address = ""
        catalog.copyright_holder = "deliberate contributors"
        with path.open("wb") as handle:
            write_po(handle, catalog, width=110, include_lineno=False)
        missing[lang] = _untranslated(catalog)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.locale.extract", description="Update the catalogs.")
    parser.add_argument("--drop-obsolete", action="store_true", help="forget messages no longer used")
    args = parser.parse_args(argv)
    for language, count in update_catalogs(drop_obsolete=args.drop_obsolete).items():
        print(f"{language}: {count} messages without a translation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

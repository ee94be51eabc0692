"""Find every translatable message in the code and templates and add the new ones to the three catalogs.

    python -m web.locale.extract          # update web/locale/*/LC_MESSAGES/messages.po

Existing translations are kept; new messages arrive empty (and the catalog test fails until someone translates
them); messages no longer used are dropped. Python files are searched for `_()`, `N_()`, `gettext()` and
`ngettext()`, templates for the same calls and `{% trans %}` blocks.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = Path(__file__).resolve().parent
LANGUAGES = ("es", "qu", "en")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def extract_messages(root: Path = ROOT) -> Catalog:
    """Every message of the project, with where it is used."""
    catalog = Catalog(project="deliberate", charset="utf-8")
    sources = [
        (root / "deliberate", [("**.py", "python")]),
        (root / "web", [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]),
    ]
    for folder, method_map in sources:
        options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
        for filename, lineno, message, comments, context in extract_from_dir(
            str(folder), method_map=method_map, options_map=options, keywords=KEYWORDS, strip_comment_tags=True
        ):
            if not message or (isinstance(message, tuple) and not message[0]):
                continue
            location = (f"{folder.name}/{filename}", lineno)
            catalog.add(message, locations=[location], auto_comments=comments, context=context)
    return catalog


def update_catalogs(root: Path = ROOT) -> dict[str, int]:
    """Merge the extracted messages into each catalog; returns how many lack a translation per language."""
    template = extract_messages(root)
    missing: dict[str, int] = {}
    for lang in LANGUAGES:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, project="deliberate", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.copyright_holder = "the deliberate authors"
        with path.open("wb") as handle:
            # No line numbers: an edit elsewhere in a file must not rewrite every catalog.
            write_po(handle, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)
        missing[lang] = sum(
            1 for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
        )
    return missing


if __name__ == "__main__":
    for language, count in update_catalogs().items():
        print(f"{language}: {count} messages without a translation")

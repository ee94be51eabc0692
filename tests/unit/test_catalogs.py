"""Every message in the code and templates is translated in Spanish, Quechua and English, with the same
placeholders as its message id."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from web.locale.extract import LANGUAGES, LOCALE_DIR, extract_messages

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract_messages()


def catalog(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def _ids(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_id if isinstance(message_id, tuple) else (message_id,)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(extracted: Catalog, lang: str) -> None:
    translations = catalog(lang)
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = translations.get(message.id)
        strings = _ids(found.string) if found is not None else ()
        if found is None or found.fuzzy or not strings or not all(strings):
            missing.append(_ids(message.id)[0])
    assert not missing, f"{lang} lacks {len(missing)} translations (run python -m web.locale.extract): {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang: str) -> None:
    wrong = []
    for message in catalog(lang):
        if not message.id or not message.string:
            continue
        expected = set(PLACEHOLDER.findall(" ".join(_ids(message.id))))
        for text in _ids(message.string):
            if set(PLACEHOLDER.findall(text)) != expected:
                wrong.append((_ids(message.id)[0], text))
    assert not wrong, f"{lang}: placeholders differ: {wrong}"


def test_the_glossary_words_are_the_ones_the_quechua_catalog_uses() -> None:
    """Reviewers correct the glossary and the catalog together; the key words must agree."""
    glossary = (LOCALE_DIR / "GLOSSARY.md").read_text()
    assert "| Idea | es | qu | en | Note |" in glossary
    quechua = catalog("qu")
    for english, word in [("Organizations", "huñunakuy"), ("Forums", "rimanakuy"), ("Password", "pakasqa simi"),
                          ("Log in", "yaykuy"), ("Members", "masi")]:  # fmt: skip
        assert f"| {word}" in glossary
        translated = quechua.get(english)
        assert translated is not None and word in str(translated.string).lower(), (english, translated)

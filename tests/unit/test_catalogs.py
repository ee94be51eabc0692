"""Every message in the code and templates is translated in Spanish, Quechua and English, with the same
placeholders as its message id; and the extractor that keeps the catalogs in step finds every kind of
message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from web.locale.extract import LANGUAGES, LOCALE_DIR, catalog_path, extract_messages, update_catalogs

# printf-style conversions as Python's `%` operator reads them (a stray "%" followed by anything counts too,
# since it breaks formatting); "%%" is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # name, flags, width, precision, length
    r"(?:[diouxXeEfFgGcrsa%]|.|$)"  # conversion, or whatever breaks formatting
)
# Newstyle gettext marks a translation as safe HTML and templates put some of them inside attributes.
MARKUP = ("<", ">", '"', "&")


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def placeholders(text: str) -> set[str]:
    return {token for token in PLACEHOLDER.findall(text) if token != "%%"}


def _label(message: Message) -> str:
    text = _forms(message.id)[0]
    return f"{message.context}|{text}" if message.context else text


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract_messages()


def catalog(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(extracted: Catalog, lang: str) -> None:
    translations = catalog(lang)
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = translations.get(message.id, context=message.context)
        strings = _forms(found.string) if found is not None else ()
        plural_ok = not message.pluralizable or len(strings) == translations.num_plurals
        if found is None or found.fuzzy or not all(strings) or not plural_ok:
            missing.append(_label(message))
    advice = "run `python -m web.locale.extract`, then translate"
    assert not missing, f"{lang} lacks {len(missing)} translations ({advice}): {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang: str) -> None:
    wrong = []
    for message in catalog(lang):
        if not message.id or not any(_forms(message.string)):
            continue
        ids = _forms(message.id)
        # A plural form may drop the number ("one post") but may not invent a placeholder or lose a name.
        allowed = [placeholders(text) for text in ids]
        for text in _forms(message.string):
            if placeholders(text) not in allowed:
                wrong.append((_label(message), text))
    assert not wrong, f"{lang}: placeholders differ from the message id: {wrong}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_bring_no_markup_of_their_own(lang: str) -> None:
    wrong = []
    for message in catalog(lang):
        source = " ".join(_forms(message.id))
        for text in _forms(message.string):
            if message.id and any(char in text and char not in source for char in MARKUP):
                wrong.append((_label(message), text))
    assert not wrong, f'{lang}: translations add < > " or & (use “quotes” instead): {wrong}'


def test_the_glossary_words_are_the_ones_the_quechua_catalog_uses() -> None:
    """Reviewers correct the glossary and the catalog together; the key words must agree."""
    glossary = (LOCALE_DIR / "GLOSSARY.md").read_text(encoding="utf-8")
    assert "| Idea | es | qu | en | Note |" in glossary
    quechua = catalog("qu")
    for english, word in [
        ("Organizations", "huñunakuy"),
        ("Forums", "rimanakuy"),
        ("Password", "pakasqa simi"),
        ("Log in", "yaykuy"),
        ("Log out", "lluqsiy"),
        ("Members", "masi"),
        ("verified", "chiqaqchasqa"),
        ("moderator", "qhawaq"),
    ]:
        assert f"| {word} |" in glossary, word
        translated = quechua.get(english)
        assert translated is not None and word in str(translated.string).lower(), (english, translated)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_extractor_finds_python_calls_template_calls_and_trans_blocks(tmp_path: Path) -> None:
    _write(
        tmp_path / "deliberate" / "area.py",
        'A = N_("Marked")\nB = lazy_gettext("Lazy")\nC = ngettext("%(num)s vote", "%(num)s votes", 2)\n'
        'D = pgettext("button", "Change")\nE = gettext("Plain")\n',
    )
    _write(tmp_path / "web" / "handler.py", 'F = _("From the web layer")\n')
    _write(
        tmp_path / "web" / "templates" / "page.html",
        "\n".join(
            [
                '{{ _("Hello %(name)s", name=user) }}',
                "{% trans who=user %}",
                "  Welcome,",
                "  {{ who }}.",
                "{% endtrans %}",
            ]
        ),
    )
    found = {(message.context, _forms(message.id)) for message in extract_messages(tmp_path) if message.id}
    assert found == {
        (None, ("Marked",)),
        (None, ("Lazy",)),
        (None, ("%(num)s vote", "%(num)s votes")),
        ("button", ("Change",)),
        (None, ("Plain",)),
        (None, ("From the web layer",)),
        (None, ("Hello %(name)s",)),
        (None, ("Welcome, %(who)s.",)),  # trimmed, as the templates render it
    }


def test_updating_keeps_translations_adds_new_ones_empty_and_sets_unused_ones_aside(tmp_path: Path) -> None:
    _write(tmp_path / "web" / "handler.py", 'A = _("Kept")\nB = _("New")\n')
    locale_dir = tmp_path / "locale"
    for lang in LANGUAGES:
        old = Catalog(locale=lang)
        old.add("Kept", string=f"kept in {lang}")
        old.add("Reworded away", string=f"old text in {lang}")
        catalog_path(lang, locale_dir).parent.mkdir(parents=True)
        with catalog_path(lang, locale_dir).open("wb") as handle:
            write_po(handle, old)

    assert update_catalogs(tmp_path, locale_dir) == {lang: 1 for lang in LANGUAGES}

    with catalog_path("qu", locale_dir).open("rb") as handle:
        updated = read_po(handle, locale="qu")
    kept, new = updated.get("Kept"), updated.get("New")
    assert kept is not None and kept.string == "kept in qu"
    assert new is not None and new.string == "" and not new.fuzzy
    assert "Reworded away" in updated.obsolete

    update_catalogs(tmp_path, locale_dir, drop_obsolete=True)
    with catalog_path("qu", locale_dir).open("rb") as handle:
        assert not read_po(handle, locale="qu").obsolete


def test_spanish_plurals_have_a_plural_form() -> None:
    """'3 participante' reads wrong: every Spanish message with a plural has a plural different from its singular.
    (Quechua keeps the noun singular after a number, so its two forms may be equal.)"""
    same = [_label(m) for m in catalog("es") if m.pluralizable and len(set(_forms(m.string))) < 2]
    assert not same, same

"""How a post from another server becomes a post here: its text made safe, its warning kept, its files as links."""

from __future__ import annotations

import json
from pathlib import Path

from federation.processing import post_text
from schemas.activitypub import Post, parse_document


def _post(raw: dict[str, object]) -> Post:
    parsed = parse_document(raw)
    assert isinstance(parsed, Post)
    return parsed


def test_a_mastodon_attachment_becomes_a_link_and_no_image_is_loaded(shared: Path) -> None:
    raw = json.loads((shared / "fixtures/activitypub/mastodon/objects/note_2.json").read_text())
    text = post_text(_post(raw), raw)
    url = raw["attachment"][0]["url"]
    assert f'href="{url}"' in text.html and "<img" not in text.html
    assert url in text.source


def test_a_content_warning_stays_in_front_of_the_text_and_is_escaped(shared: Path) -> None:
    raw = json.loads((shared / "fixtures/activitypub/mastodon/objects/note_1.json").read_text())
    raw |= {"summary": "Política <b>local</b>", "sensitive": True}
    text = post_text(_post(raw), raw)
    assert text.html.startswith("<p><strong>Política local</strong></p>")
    assert text.source.startswith("Política local\n\n")


def test_a_lemmy_page_summary_is_not_a_warning(shared: Path) -> None:
    raw = json.loads((shared / "fixtures/activitypub/lemmy/objects/page.json").read_text())
    raw |= {"summary": "Resumen"}
    assert not post_text(_post(raw), raw).html.startswith("<p><strong>Resumen")

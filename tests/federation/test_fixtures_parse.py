"""Every real document from 14 Fediverse programs (../shared/fixtures/activitypub) either parses into our wire models
keeping the fields we use, or is refused with a reason; none crashes the parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.activitypub import (
    ACTIVITY_TYPES,
    ACTOR_TYPES,
    POST_TYPES,
    PUBLIC,
    Activity,
    Actor,
    Post,
    Tombstone,
    UnsupportedDocument,
    parse_document,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "activitypub"
DOCUMENTS = sorted(FIXTURES.rglob("*.json"))
UNDERSTOOD = ACTOR_TYPES | POST_TYPES | ACTIVITY_TYPES | {"Tombstone"}


def load(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def test_the_fixtures_are_there() -> None:
    assert len(DOCUMENTS) >= 100


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_each_document_parses_or_is_refused_with_a_reason(path: Path) -> None:
    data = load(path)
    kind = data["type"] if isinstance(data["type"], str) else data["type"][0]  # type: ignore[index]
    if kind not in UNDERSTOOD:
        with pytest.raises(UnsupportedDocument, match=str(kind)):
            parse_document(data)
        return
    document = parse_document(data)
    assert document.type == kind
    if isinstance(document, Actor):
        assert document.id.startswith("http") and document.inbox.startswith("http")
        assert document.public_key is not None and "PUBLIC KEY-----" in document.public_key.public_key_pem
    elif isinstance(document, Post):
        assert document.attributed_to.startswith("http")
        assert document.content is not None or document.name is not None
    elif isinstance(document, Activity):
        assert document.actor.startswith("http") and (document.object_id or document.object)


def test_a_lemmy_page_announced_by_its_community_keeps_what_we_use() -> None:
    announce = parse_document(load(FIXTURES / "lemmy" / "activities" / "community" / "announce_create_page.json"))
    assert isinstance(announce, Activity) and announce.type == "Announce"
    create = announce.object
    assert isinstance(create, Activity) and create.type == "Create"
    page = create.object
    assert isinstance(page, Post) and page.type == "Page" and page.name
    assert page.attributed_to == create.actor  # FEP-1b12: the Group announces what its member created
    assert PUBLIC in page.to + page.cc


def test_a_mastodon_reply_keeps_its_thread_and_addressing() -> None:
    notes = [parse_document(load(p)) for p in sorted((FIXTURES / "mastodon" / "objects").glob("note_*.json"))]
    replies = [d for d in notes if isinstance(d, Post) and d.in_reply_to]
    assert replies, "the Mastodon fixtures include a reply"
    assert all(r.in_reply_to and r.in_reply_to.startswith("https://") for r in replies)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "not a JSON object"),
        ({"id": "https://a.example/1"}, "no type"),
        ({"type": "Note", "id": "https://a.example/1", "content": "x"}, "without an author"),
        ({"type": "Note", "id": "ftp://a.example/1", "attributedTo": "https://a.example/u"}, "absolute"),
        ({"type": "Person", "id": "https://a.example/u"}, "without an inbox"),
        ({"type": "Like", "id": "https://a.example/l", "object": "https://b.example/p"}, "without an actor"),
        ({"type": "Dislike", "id": "https://a.example/d", "actor": "https://a.example/u"}, "Dislike"),
    ],
)
def test_malformed_documents_are_refused_with_a_reason(data: object, reason: str) -> None:
    with pytest.raises(UnsupportedDocument, match=reason):
        parse_document(data)


def test_a_tombstone_is_understood() -> None:
    assert isinstance(parse_document(load(FIXTURES / "lemmy" / "objects" / "tombstone.json")), Tombstone)


def test_every_actors_key_loads_whatever_pem_flavour_its_program_sends() -> None:
    from federation.crypto.multikey import load_public_key_pem

    actors = [d for d in (parse_document(load(p)) for p in DOCUMENTS if load(p)["type"] in ACTOR_TYPES)]
    assert len(actors) >= 10
    for actor in actors:
        assert isinstance(actor, Actor) and actor.public_key is not None
        load_public_key_pem(actor.public_key.public_key_pem)  # SPKI and PKCS#1 ("RSA PUBLIC KEY") both

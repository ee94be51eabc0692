"""Helpers for web tests: expected texts in Spanish, straight from the catalogs the node uses."""

from __future__ import annotations

from functools import cache

from babel.support import Translations

from tests.conftest import Node
from web.i18n import load_catalogs


@cache
def _catalogs() -> dict[str, Translations]:
    return load_catalogs()


def translated(lang: str, message: str) -> str:
    text: str = _catalogs()[lang].gettext(message)
    assert text and (lang == "en" or text != message or message.isupper()), f"no {lang} translation: {message}"
    return text.replace("'", "&#39;").replace('"', "&#34;")


def es(message: str) -> str:
    return translated("es", message)


async def count_accounts(node: Node) -> int:
    conn = await node.connect()
    try:
        value: int = await conn.fetchval("SELECT count(*) FROM account")
        return value
    finally:
        await conn.close()

"""Helpers for web tests: expected texts in Spanish, straight from the catalogs the node uses."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

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


def _as_jinja_escapes(text: str) -> str:
    return html.escape(text).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")


def shown(message: str, **params: Any) -> str:
    """`message` as a Spanish page shows it: translated, filled, escaped the way Jinja escapes."""
    text = _catalogs()["es"].gettext(message)
    return _as_jinja_escapes(text % params if params else text)


def shown_count(singular: str, plural: str, num: int) -> str:
    """A message with a plural as a Spanish page shows it for `num`."""
    return _as_jinja_escapes(_catalogs()["es"].ngettext(singular, plural, num) % {"num": num})


@dataclass
class NodeWorld:
    """A node under test and direct reads and writes on its database, for checking what a request changed."""

    node: Node

    async def count(self, table: str) -> int:
        conn = await self.node.connect()
        try:
            value: int = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names in tests
            return value
        finally:
            await conn.close()

    async def run(self, call: Callable[[Any], Awaitable[Any]]) -> Any:
        conn = await self.node.connect()
        try:
            async with conn.transaction():
                return await call(conn)
        finally:
            await conn.close()


async def count_accounts(node: Node) -> int:
    conn = await node.connect()
    try:
        value: int = await conn.fetchval("SELECT count(*) FROM account")
        return value
    finally:
        await conn.close()

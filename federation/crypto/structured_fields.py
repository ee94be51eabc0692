"""The RFC 8941 Structured Field Values subset that RFC 9421 signature fields use.

``Signature-Input`` is a Dictionary of Inner Lists of Strings with Parameters, ``Signature`` a Dictionary of
Byte Sequences (RFC 9421 §4.1, §4.2). Parsing follows RFC 8941 §4.2 (Dictionary, Inner List, Item,
Parameters, String, Token, Integer, Byte Sequence, Boolean); Decimals are refused as no signature parameter
uses one. Parameters keep their order, because the ``@signature-params`` line re-serialises them as received
(RFC 9421 §2.3). Serialisation follows RFC 8941 §4.1. Every syntax error raises ``MalformedSignature``.
"""

import base64
import binascii
import functools
import re
from dataclasses import dataclass

from federation.crypto.errors import MalformedSignature


@dataclass(frozen=True, slots=True)
class Token:
    value: str


BareItem = str | int | bool | bytes | Token
Parameters = tuple[tuple[str, BareItem], ...]


@dataclass(frozen=True, slots=True)
class Item:
    value: BareItem
    params: Parameters = ()


@dataclass(frozen=True, slots=True)
class InnerList:
    items: tuple[Item, ...]
    params: Parameters = ()


_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
# A string without escapes, all printable ASCII but '"' and '\\' (RFC 8941 §4.2.5): what signature fields carry, read
# in one match instead of a character at a time.
_PLAIN_STRING = re.compile(r'"([\x20\x21\x23-\x5b\x5d-\x7e]*)"')
# The one-member dictionaries signature fields almost always are (RFC 9421 §4.1, §4.2; RFC 9530 §2), read with one
# match: `label=("a" "b");created=1;keyid="k"` or `label=:base64:;p="x"`, plain strings separated by single spaces,
# parameters that are plain strings or integers, no whitespace around. Anything else goes to `_Parser`, as does
# a member whose parameters repeat a key or whose base64 is invalid, so the result (or the error) is the same.
_S = r'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'
_K = r"[a-z*][a-z0-9_\-.*]*"
_SIMPLE_MEMBER = re.compile(
    rf"({_K})=(?:\(((?:{_S}(?: {_S})*)?)\)|:([A-Za-z0-9+/=]*):)((?:;{_K}=(?:{_S}|-?[0-9]{{1,15}}))*)"
)
_SIMPLE_PARAMETER = re.compile(rf'(?:;({_K})=(?:"([^"]*)"|(-?[0-9]+)))')
_SIMPLE_STRING = re.compile(r'"([^"]*)"')


def _simple_dictionary(text: str) -> dict[str, Item | InnerList] | None:
    """`parse_dictionary(text)` for a text `_SIMPLE_MEMBER` matches whole; None for any other text."""
    found = _SIMPLE_MEMBER.fullmatch(text)
    if found is None:
        return None
    key, strings, encoded, parameters = found.groups()
    params: Parameters = ()
    if parameters:
        params = tuple([(name, int(number) if number else string)
                        for name, string, number in _SIMPLE_PARAMETER.findall(parameters)])  # fmt: skip
        if len(params) > 1 and len(dict(params)) != len(params):
            return None  # `_Parser.parameters` keeps the first position and the last value: leave that to it
    if encoded is None:
        return {key: InnerList(_simple_items(strings) if strings else (), params)}
    try:
        return {key: Item(base64.b64decode(encoded, validate=True), params)}
    except binascii.Error:
        return None


@functools.lru_cache(maxsize=64)
def _simple_items(strings: str) -> tuple[Item, ...]:
    """The covered components of an inner list, which a peer's requests repeat: items are immutable, so shared."""
    return tuple([Item(value) for value in _SIMPLE_STRING.findall(strings)])


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    """RFC 8941 §4.2.2; a later duplicate key overrides an earlier one."""
    simple = _simple_dictionary(text)
    return simple if simple is not None else _parse_dictionary(text)


def _parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    parser = _Parser(text)
    members: dict[str, Item | InnerList] = {}
    parser.skip(" ")
    while not parser.done():
        key = parser.key()
        if parser.peek() == "=":
            parser.position += 1
            members[key] = parser.member()
        else:
            members[key] = Item(True, parser.parameters())
        parser.skip(" \t")
        if parser.done():
            break
        parser.expect(",")
        parser.skip(" \t")
        if parser.done():
            raise MalformedSignature("trailing comma in a structured field dictionary")
    return members


def parse_inner_list(text: str) -> InnerList:
    parser = _Parser(text)
    member = parser.member()
    if not parser.done() or not isinstance(member, InnerList):
        raise MalformedSignature("expected exactly one inner list")
    return member


def serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, str):  # the most frequent, and no other bare item type is a str
        if not (value.isascii() and value.isprintable()):  # both: exactly the characters 0x20-0x7E
            raise MalformedSignature("structured field strings are printable ASCII only")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return f":{base64.b64encode(value).decode()}:"
    return value.value  # Token


def serialize_parameters(params: Parameters) -> str:
    return "".join(f";{key}" if value is True else f";{key}={serialize_bare_item(value)}" for key, value in params)


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_parameters(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    return "(" + " ".join(serialize_item(item) for item in inner.items) + ")" + serialize_parameters(inner.params)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def done(self) -> bool:
        return self.position >= len(self.text)

    def peek(self) -> str:
        return self.text[self.position : self.position + 1]  # "" at the end

    def skip(self, chars: str) -> None:
        text, position, end = self.text, self.position, len(self.text)
        while position < end and text[position] in chars:
            position += 1
        self.position = position

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise MalformedSignature(f"expected {char!r} at offset {self.position}")
        self.position += 1

    def match(self, pattern: re.Pattern[str]) -> re.Match[str]:
        found = pattern.match(self.text, self.position)
        if found is None:
            raise MalformedSignature(f"unexpected {self.peek()!r} at offset {self.position}")
        self.position = found.end()
        return found

    def key(self) -> str:
        return self.match(_KEY).group(0)

    def member(self) -> Item | InnerList:
        if self.peek() != "(":
            return Item(self.bare_item(), self.parameters())
        self.position += 1
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.position += 1
                return InnerList(tuple(items), self.parameters())
            items.append(Item(self.bare_item(), self.parameters()))
            if self.peek() not in (" ", ")"):
                raise MalformedSignature(f"bad inner list at offset {self.position}")

    def parameters(self) -> Parameters:
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.position += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.position += 1
                value = self.bare_item()
            params[key] = value
        return tuple(params.items())

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            try:
                return base64.b64decode(self.match(_BYTES).group(1), validate=True)
            except binascii.Error as exc:
                raise MalformedSignature("a byte sequence is not valid base64") from exc
        if char == "?":
            return self.match(re.compile(r"\?[01]")).group(0) == "?1"
        if char == "-" or char.isdigit():
            number = self.match(_INTEGER).group(0)
            if self.peek() == ".":
                raise MalformedSignature("decimals are not used by signature fields")
            return int(number)
        return Token(self.match(_TOKEN).group(0))

    def string(self) -> str:
        plain = _PLAIN_STRING.match(self.text, self.position)
        if plain is not None:
            self.position = plain.end()
            return plain.group(1)
        self.position += 1
        out = []
        while not self.done():
            char = self.text[self.position]
            self.position += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise MalformedSignature("bad escape in a structured field string")
                out.append(escaped)
                self.position += 1
            elif char == '"':
                return "".join(out)
            elif not 0x20 <= ord(char) <= 0x7E:
                raise MalformedSignature("control character in a structured field string")
            else:
                out.append(char)
        raise MalformedSignature("unterminated structured field string")

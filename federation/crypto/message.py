"""The one shape of an HTTP message the signature code reads.

A tiny frozen dataclass, so aiohttp requests and responses (and test fixtures parsed from the RFC examples)
adapt to it in a few lines and the signature modules never import a web framework. Headers stay an ordered
sequence of ``(name, value)`` pairs, not a mapping: repeated fields and their order are part of what both
draft-cavage-12 §2.3 and RFC 9421 §2.1 sign. A tuple rather than a list keeps the message immutable.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from federation.crypto.errors import MissingComponent


@dataclass(frozen=True, slots=True)
class HttpMessage:
    """A request (``method`` and absolute ``url`` set) or a response (``status`` set)."""

    method: str | None = None
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    status: int | None = None

    def header_values(self, name: str) -> list[str]:
        """All values of a field, in message order, compared case-insensitively (RFC 9110 §5.1)."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def request_target(self) -> str:
        """Origin-form request target: path plus ``?query`` when the URL has one (RFC 9112 §3.2.1)."""
        parts = urlsplit(self.require_url())
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path

    def require_url(self) -> str:
        if self.url is None:
            raise MissingComponent("the message has no target URL (is it a response?)")
        return self.url

    def require_method(self) -> str:
        if self.method is None:
            raise MissingComponent("the message has no method (is it a response?)")
        return self.method

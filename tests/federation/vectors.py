"""Paths to the shared official test vectors and a parser for their ``.http`` message files."""

from pathlib import Path

from federation.crypto.message import HttpMessage

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors"


def read_http(path: Path, *, scheme: str = "https") -> tuple[HttpMessage, bytes]:
    """Parse an RFC-example message file (LF line ends) into a message and its body."""
    head, _, body = path.read_text().partition("\n\n")
    start, *lines = head.split("\n")
    headers = tuple((name, value.strip()) for name, _, value in (line.partition(":") for line in lines))
    body_bytes = body.rstrip("\n").encode()
    if start.startswith("HTTP/"):
        return HttpMessage(status=int(start.split()[1]), headers=headers), body_bytes
    method, target, _ = start.split(" ")
    host = next(value for name, value in headers if name.lower() == "host")
    return HttpMessage(method=method, url=f"{scheme}://{host}{target}", headers=headers), body_bytes

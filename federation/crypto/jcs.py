"""RFC 8785 JSON Canonicalization Scheme (JCS): the bytes an object proof hashes.

Canonicalisation is delegated to the PyPI ``rfc8785`` package (Trail of Bits, typed, no dependencies) rather
than written here: the hard part of JCS is the ECMAScript number serialisation of RFC 8785 §3.2.2.3, and that
package reproduces the reference implementation's number test suite (see vectors/jcs-rfc8785/README.md).
This module only narrows its errors to ``NotCanonicalisable`` so callers see one error hierarchy.

Integers beyond ±(2^53−1) are refused, not rounded: RFC 8785 §3.2.2.3 serialises numbers as IEEE-754 doubles
(the I-JSON rule, RFC 7493 §2.2), so two nodes could otherwise sign different values for the same document.
Amounts and counts that can be larger travel as strings in signed documents.
"""

from collections.abc import Mapping

import rfc8785

from federation.crypto.errors import NotCanonicalisable

# RFC 7493 §2.2: the integers a double represents exactly.
MAX_SAFE_INTEGER = 2**53 - 1


def canonicalize(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value, or raise ``NotCanonicalisable``."""
    _refuse_unsafe_integers(value)
    try:
        return rfc8785.dumps(value)  # type: ignore[arg-type]
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonicalisable(f"RFC 8785 cannot represent the value: {exc}") from exc


def _refuse_unsafe_integers(value: object) -> None:
    # Checked here as well as in rfc8785 so the rule holds whatever that package's version does.
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonicalisable(f"integer {value} is beyond ±(2^53−1); send it as a string")
    elif isinstance(value, Mapping):
        for item in value.values():
            _refuse_unsafe_integers(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_unsafe_integers(item)

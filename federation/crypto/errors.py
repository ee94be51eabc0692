"""Typed failures of the federation crypto package.

Every check in this package either returns normally or raises one of these; none of them returns ``False``.
Each class carries a stable machine ``code`` that the web layer maps to an RFC 9457 problem; the message is
for logs, never a substitute for the code. They carry no HTTP status on purpose (see STYLE.md, Synapse).
"""


class SignatureError(Exception):
    """Base class: the message or document cannot be accepted as signed by the claimed key."""

    code = "signature_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedSignature(SignatureError):
    """A signature header, parameter, proof or encoded value does not follow its grammar."""

    code = "signature_malformed"


class UnsupportedAlgorithm(SignatureError):
    """The algorithm, cryptosuite, key type or covered component is not one this node accepts."""

    code = "signature_algorithm_unsupported"


class MissingComponent(SignatureError):
    """A covered header or derived component is absent from the message."""

    code = "signature_component_missing"


class SignatureMismatch(SignatureError):
    """The signature is well formed but does not verify with the given key."""

    code = "signature_mismatch"


class SignatureExpired(SignatureError):
    """The signature's ``expires`` time has passed."""

    code = "signature_expired"


class ContextMismatch(SignatureError):
    """FEP-8b32: an object proof's ``@context`` differs from (or is missing next to) the document's."""

    code = "proof_context_mismatch"


class DigestMismatch(SignatureError):
    """A ``Digest`` or ``Content-Digest`` value does not match the body."""

    code = "digest_mismatch"


class KeyFormatError(SignatureError):
    """A PEM or Multikey value is not a key of an accepted type."""

    code = "key_malformed"


class NotCanonicalisable(SignatureError):
    """RFC 8785 cannot represent the value (e.g. an integer beyond ±(2^53−1)), so it cannot be signed."""

    code = "jcs_not_canonicalisable"

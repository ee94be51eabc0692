"""Pure cryptography for federation: canonical JSON, keys, object proofs and HTTP signatures.

This package owns the byte-level rules that decide whether a remote activity is authentic:

- ``jcs``: RFC 8785 JSON canonicalisation (the input to every object proof).
- ``multikey``: Ed25519 Multikey ``publicKeyMultibase`` and PEM key handling for RSA and Ed25519.
- ``proofs``: FEP-8b32 object integrity proofs with the W3C ``eddsa-jcs-2022`` cryptosuite.
- ``cavage``: draft-cavage-http-signatures-12 (``Signature:`` header, what Mastodon speaks).
- ``rfc9421``: RFC 9421 HTTP Message Signatures (``Signature-Input``/``Signature``).

It must not do I/O: no network, no files, no clock, no database, no aiohttp. Callers pass in the message
(``message.HttpMessage``), the keys they resolved and the current time; every failure raises a
``errors.SignatureError`` subclass with a stable ``code`` so the web layer can map it in one place.
"""

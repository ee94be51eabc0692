"""`deliberate verify FILE.json`: check a downloaded coalition statement's proofs, offline by default.

Keys come from the statement's own ``signers`` (each organization's Multikey, embedded when the statement was first
signed) and from ``--keys FILE`` (a JSON list of Multikey objects or actor documents, or an object mapping key ids to
``publicKeyMultibase`` values); with ``--keys`` only those keys are used. Only ``--fetch`` goes to the network: it
fetches each signer's actor with the hardened fetcher and uses the key the actor lists, which shows the
organization's own node stands behind it.

One line per proof: the signer (verificationMethod), ``valid`` or ``INVALID`` with the reason, and where its key came
from. Exit status 0 when there is at least one proof and every proof holds, 1 otherwise, 2 when the file is unusable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.coalitions import check_proofs, embedded_keys
from federation.crypto.errors import KeyFormatError
from federation.crypto.multikey import assertion_method_key, ed25519_public_key_from_multibase
from federation.crypto.proofs import proofs_of
from federation.fetch import Fetcher, FetchError, FetchPolicy


def _keys_file(data: Any) -> dict[str, ed25519.Ed25519PublicKey]:
    keys: dict[str, ed25519.Ed25519PublicKey] = {}
    if isinstance(data, Mapping) and "assertionMethod" not in data:
        for key_id, multibase in data.items():
            if isinstance(key_id, str) and isinstance(multibase, str):
                keys[key_id] = ed25519_public_key_from_multibase(multibase)
        return keys
    for entry in data if isinstance(data, list) else [data]:
        if not isinstance(entry, Mapping):
            continue
        if "assertionMethod" in entry:
            methods = entry["assertionMethod"]
            for method in methods if isinstance(methods, list) else [methods]:
                if isinstance(method, Mapping) and isinstance(method.get("id"), str):
                    keys[method["id"]] = assertion_method_key(entry, method["id"])
        elif isinstance(entry.get("id"), str) and isinstance(entry.get("publicKeyMultibase"), str):
            keys[entry["id"]] = ed25519_public_key_from_multibase(entry["publicKeyMultibase"])
    return keys


async def _fetched_keys(methods: list[str], *, allow_private: bool) -> dict[str, ed25519.Ed25519PublicKey | str]:
    found: dict[str, ed25519.Ed25519PublicKey | str] = {}
    async with Fetcher(FetchPolicy(allow_private=allow_private)) as fetcher:
        for method in methods:
            actor_url = method.split("#", 1)[0]
            try:
                actor = await fetcher.fetch_document(actor_url)
                found[method] = assertion_method_key(actor, method)
            except (FetchError, KeyFormatError) as exc:
                found[method] = str(exc)
    return found


def _signer_names(document: Mapping[str, Any]) -> dict[str, str]:
    """Actor id → name, as the statement's own list of signers gives them (a claim, like the embedded keys)."""
    signers = document.get("signers")
    return {
        signer["id"]: signer["name"]
        for signer in (signers if isinstance(signers, list) else [])
        if isinstance(signer, Mapping) and isinstance(signer.get("id"), str) and isinstance(signer.get("name"), str)
    }


def run_verify(args: argparse.Namespace) -> int:
    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("the file is not a JSON object")
        keys: dict[str, ed25519.Ed25519PublicKey] = {}
        source: dict[str, str] = {}
        if args.keys is not None:
            keys = _keys_file(json.loads(args.keys.read_text(encoding="utf-8")))
            source = dict.fromkeys(keys, "keys file")
        else:
            keys = {key_id: key for key_id, (_, key) in embedded_keys(document).items()}
            source = dict.fromkeys(keys, "embedded")
    except (OSError, ValueError, KeyFormatError) as exc:
        print(f"deliberate verify: cannot read {exc}", file=sys.stderr)
        return 2
    fetch_failures: dict[str, str] = {}
    if args.fetch:
        try:
            methods = [
                p["verificationMethod"] for p in proofs_of(document) if isinstance(p.get("verificationMethod"), str)
            ]
        except Exception:
            methods = []
        for method, outcome in asyncio.run(
            _fetched_keys(methods, allow_private=args.dev_allow_private_network)
        ).items():
            if isinstance(outcome, str):
                fetch_failures[method] = outcome
                keys.pop(method, None)
            else:
                keys[method], source[method] = outcome, "fetched"
    results = check_proofs(document, keys.get)
    print(f"statement: {document.get('id', '(no id)')}")
    if isinstance(document.get("name"), str):
        print(f"title: {document['name']}")
    names = _signer_names(document)
    for result in results:
        verdict = "valid" if result.valid else "INVALID"
        where = source.get(result.verification_method, "none")
        reason = fetch_failures.get(result.verification_method, result.reason)
        print(f"signer {result.verification_method or '(none)'}: {verdict} — {reason} (key: {where})")
        name = names.get(result.verification_method.split("#", 1)[0])
        if name:
            print(f"  named in the statement as: {name}")
    holding = sum(result.valid for result in results)
    print(f"{holding} of {len(results)} proofs hold")
    return 0 if results and holding == len(results) else 1

"""`deliberate pb verify CHAIN.json`: check a downloaded ballot chain and count it again, with nothing but the file.

Anyone can recount a published participatory budget (issue 5): the node publishes `/b/SLUG/chain.json`, its
anonymized ballots in a hash chain whose head the node signs (`publishing.py`). This command checks every entry's
hash and the signature over the head (`publishing.verify_chain`), counts each zone again under the rule and seed
written in the chain's header (`publishing.recount`, the same pure counting module the node used), and prints the
projects funded, to compare with the results page. With `--receipt CODE` a voter also finds their own ballot in the
file, offline: the code never leaves their machine.

The file carries the public key it was signed with. A forged file could carry its forger's key, so the key is
printed, and `--public-key` compares it with the one the reader trusts (the node's published Ed25519 key, as the
results page shows it). Exit status: 0 when everything checks out, 1 when the chain, the key or the receipt does
not, 2 when the file cannot be read as a chain. No database, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from deliberate.budgets.pabulib import format_number
from deliberate.budgets.publishing import ChainBroken, entry_of, recount, verify_chain
from deliberate.errors import DomainError

FORMAT = "deliberate-ballot-chain/1"


def run_verify(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr  # looked up at each call: tests capture them
    name = Path(args.file).name
    try:
        document = json.loads(Path(args.file).read_bytes())
    except OSError as exc:
        print(f"deliberate: {args.file}: {exc.strerror or exc}", file=err)
        return 2
    except ValueError:
        print(f"deliberate: {args.file}: not JSON", file=err)
        return 2
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        print(f"deliberate: {args.file}: not a ballot chain ({FORMAT})", file=err)
        return 2
    try:
        verify_chain(document)
        outcomes = recount(document)
        zones = {zone["id"]: zone for zone in document["header"]["zones"]}
        projects = {str(p["id"]): p for p in document["header"]["projects"]}
        counted_as = {(p.get("external_id") or str(p["id"])): p for p in document["header"]["projects"]}
    except ChainBroken as exc:
        print(f"deliberate: {args.file}: the chain does not verify: {exc}", file=err)
        return 1
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        print(f"deliberate: {args.file}: not a ballot chain ({type(exc).__name__}: {exc})", file=err)
        return 2
    if args.public_key and args.public_key.strip() != document["public_key"]:
        print(f"deliberate: {args.file}: signed with the key {document['public_key']}, not the one given", file=err)
        return 1
    found: Mapping[str, Any] | None = None
    if args.receipt:
        try:
            found = entry_of(document, args.receipt)
        except DomainError:
            print("deliberate: a receipt code has 16 letters and digits, like 7KQ2-M9XD-4TRA-HV0E", file=err)
            return 2
        if found is None:
            print(f"deliberate: {args.file}: no ballot in this chain has that receipt code", file=err)
            return 1
    # Counted under `count_ids` (an imported file's own ids, else the node's): back to the chain's projects.
    by_id = {**projects, **counted_as}
    report = {
        "file": name,
        "process": document["header"]["process"],
        "verified": True,
        "entries": len(document["entries"]),
        "head": document["head"],
        "public_key": document["public_key"],
        "key_id": document.get("key_id"),
        "zones": [
            {
                "id": zone_id,
                "name": zones[zone_id]["name"],
                "amount": zones[zone_id]["amount"],
                "selected": [by_id[p]["id"] for p in outcome.selected],
                "titles": [by_id[p]["title"] for p in outcome.selected],
                "total_cost": format_number(outcome.total_cost),
            }
            for zone_id, outcome in outcomes.items()
        ],
        "receipt": None if found is None else {k: found[k] for k in ("position", "zone", "choices")},
    }
    if args.json:
        json.dump(report, out, ensure_ascii=False)
        out.write("\n")
    else:
        _write(report, document["header"]["title"], out)
    return 0


def _write(report: dict[str, Any], title: str, out: TextIO) -> None:
    out.write(f"{report['file']}: {title}\n")
    out.write(f"chain verified: {report['entries']} ballots, head {report['head']}\n")
    out.write(f"signed with the public key {report['public_key']}")
    out.write(f" ({report['key_id']})\n" if report["key_id"] else "\n")
    if report["receipt"] is not None:
        out.write(f"your ballot is entry {report['receipt']['position']}, unchanged: {report['receipt']['choices']}\n")
    for zone in report["zones"]:
        out.write(f"\n{zone['name']} ({zone['amount']}): {len(zone['selected'])} funded, {zone['total_cost']} in all\n")
        for project_id, project_title in zip(zone["selected"], zone["titles"], strict=True):
            out.write(f"  {project_id:>8}  {project_title}\n")

"""The migrated schema equals the checked-in snapshot `deliberate/db/schema.sql`, so every schema change shows up as
a readable diff in review. After adding a migration, regenerate it with:

    UPDATE_SCHEMA_SNAPSHOT=1 .venv/bin/pytest tests/db/test_schema_snapshot.py
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from deliberate.runtime.embedded import pg_bin
from tests.conftest import TEMPLATE_DB, Servers

SNAPSHOT = Path(__file__).resolve().parents[2] / "deliberate" / "db" / "schema.sql"


def normalised_dump(dsn: str) -> str:
    out = subprocess.run(
        [str(pg_bin("pg_dump")), "--schema-only", "--no-owner", "--no-privileges", "--no-comments", dsn],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = []
    for line in out.splitlines():
        # Drop what varies between runs and versions: comments, SET lines, pg_dump's \restrict nonce.
        if line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")):
            continue
        lines.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def test_migrated_schema_matches_the_snapshot(servers: Servers) -> None:
    dump = normalised_dump(servers.dsn(TEMPLATE_DB))
    if os.environ.get("UPDATE_SCHEMA_SNAPSHOT"):
        SNAPSHOT.write_text(dump)
    assert SNAPSHOT.exists(), "no snapshot: run with UPDATE_SCHEMA_SNAPSHOT=1"
    assert dump == SNAPSHOT.read_text(), "schema differs from deliberate/db/schema.sql; regenerate it if intended"

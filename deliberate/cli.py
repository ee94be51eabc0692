"""The `deliberate` command: serve a node, run the two-node demo or the federation worker, migrate, administer
accounts and peers, count a participatory budget (`pb tally`, no database).

Flags override `DELIBERATE_*` environment variables, which override defaults (see `deliberate/settings.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deliberate.settings import Settings

EPILOG = (
    "Every option can also be set with an environment variable: --public-url is DELIBERATE_PUBLIC_URL, and so on.\n"
    "Without a database or Redis URL the node starts embedded PostgreSQL and Redis in its data directory."
)


RAW = argparse.RawDescriptionHelpFormatter


def _node_options(parser: argparse.ArgumentParser, *, web: bool) -> None:
    group = parser.add_argument_group("node settings (default: DELIBERATE_* environment variables)")
    group.add_argument("--data-dir", type=Path, help="directory for embedded servers and node files (var/node)")
    group.add_argument("--database-url", help="PostgreSQL URL; omit to use an embedded PostgreSQL")
    group.add_argument("--redis-url", help="Redis URL; omit to use an embedded Redis")
    if web:
        group.add_argument("--host", help="address to listen on (127.0.0.1)")
        group.add_argument("--port", type=int, help="port to listen on (8000)")
        group.add_argument("--public-url", help="URL people and peers use; part of every ActivityPub id")
        group.add_argument("--node-name", help="name shown on pages, e.g. 'Villa El Salvador'")
        group.add_argument("--default-language", choices=["es", "qu", "en"], help="language for new visitors (es)")
        group.add_argument("--log-format", choices=["json", "text"], help="log lines as JSON or text")
        group.add_argument(
            "--dev-allow-private-network",
            action="store_true",
            default=None,
            help="development only: let federation reach loopback/private addresses over plain http",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deliberate",
        description="deliberate: a district node for forums, council consultations and participatory budgets.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run a node (migrates the database first)", epilog=EPILOG, formatter_class=RAW
    )
    _node_options(serve, web=True)

    demo = commands.add_parser(
        "demo", help="run two federating district nodes (VES :8001, VMT :8002) with sample content"
    )
    demo.add_argument("--data-dir", type=Path, default=Path("var/demo"), help="where both nodes keep their data")
    demo.add_argument("--reset", action="store_true", help="delete the demo data first and start clean")
    demo.add_argument("--base-port", type=int, default=8001, help="VES listens here, VMT on the next port (8001)")

    migrate = commands.add_parser(
        "migrate", help="apply pending database migrations", epilog=EPILOG, formatter_class=RAW
    )
    migrate.add_argument("--check", action="store_true", help="only report; exit status 1 if any are pending")
    _node_options(migrate, web=False)

    worker = commands.add_parser(
        "worker",
        help="run only the federation worker (web processes then run with DELIBERATE_FEDERATION_WORKER=false)",
        epilog=EPILOG, formatter_class=RAW,
    )  # fmt: skip
    _node_options(worker, web=True)

    federation = commands.add_parser("federation", help="peers, the delivery queue, blocks and keys")
    federation_commands = federation.add_subparsers(dest="federation_command", required=True, metavar="ACTION")
    _node_options(federation_commands.add_parser("status", help="the delivery queue per peer server"), web=False)
    for name, text in (
        ("block", "refuse a server: its requests get 403, nothing more is delivered to it"),
        ("unblock", "hear a blocked server again"),
        ("allow", "let a server in (allow-list mode)"),
        ("disallow", "take a server off the allow-list"),
    ):
        action = federation_commands.add_parser(name, help=text)
        action.add_argument("host", help="the server's host, with :port when it is not the default")
        if name == "block":
            action.add_argument("--reason", default="", help="why, for the record")
        _node_options(action, web=False)
    rotate = federation_commands.add_parser(
        "rotate-key", help="new keys for an actor, announced to peers with an Update"
    )
    rotate.add_argument("actor", help="node, u/USERNAME, o/ORGANIZATION or f/FORUM")
    _node_options(rotate, web=True)

    backup = commands.add_parser(
        "backup",
        help="write an encrypted backup of the node (database, keys, generated secret) while it runs",
        description="The passphrase is read from DELIBERATE_BACKUP_PASSPHRASE or, when that is unset, from the "
        "first line of standard input (asked twice on a terminal). Without it the backup cannot be restored.",
        epilog=EPILOG, formatter_class=RAW,
    )  # fmt: skip
    backup.add_argument("file", type=Path, metavar="FILE", help="the file to write (replaced when complete)")
    _node_options(backup, web=True)
    restore = commands.add_parser(
        "restore",
        help="restore a backup into an empty data directory (or an empty external database)",
        description="The passphrase is read from DELIBERATE_BACKUP_PASSPHRASE or standard input. Then start the "
        "node with `deliberate serve --data-dir` on the same directory.",
        epilog=EPILOG, formatter_class=RAW,
    )  # fmt: skip
    restore.add_argument("file", type=Path, metavar="FILE", help="a file written by `deliberate backup`")
    _node_options(restore, web=False)

    admin = commands.add_parser("admin", help="administer accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    operator = admin_commands.add_parser(
        "create-operator", help="create the first operator account (or make an existing account an operator)"
    )
    operator.add_argument("username")
    operator.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _node_options(operator, web=False)
    official = admin_commands.add_parser(
        "make-official", help="mark an account as an official of the council, with the name and office it signs with"
    )
    official.add_argument("username")
    official.add_argument("--name", required=True, help='the name shown on what it publishes ("Ana Quispe")')
    official.add_argument("--office", required=True, help='its office ("Gerencia de Desarrollo Urbano")')
    _node_options(official, web=False)

    pb = commands.add_parser("pb", help="participatory budgets: count pabulib .pb files (no database needed)")
    pb_commands = pb.add_subparsers(dest="pb_command", required=True, metavar="ACTION")
    tally = pb_commands.add_parser("tally", help="count a .pb file with greedy or the Method of Equal Shares")
    tally.add_argument("file", metavar="FILE.pb", help="a pabulib file")
    tally.add_argument("--rule", required=True, choices=["greedy", "greedy-threshold", "mes"])
    tally.add_argument("--satisfaction", default="cost", choices=["cost", "cardinality"], help="(cost)")
    tally.add_argument(
        "--completion",
        default="none",
        choices=["none", "greedy", "add1", "add1-greedy", "add1-until-infeasible"],
        help="Method of Equal Shares only (none)",
    )
    tally.add_argument("--tie-break", default="id", choices=["id", "equalshares"], help="(id: as pabutools)")
    tally.add_argument("--seed", default="", help="the published seed of the lot for --tie-break equalshares")
    tally.add_argument("--json", action="store_true", help="print one JSON object")
    # Budgets: check a downloaded ballot chain and count it again (no database, no network).
    chain = pb_commands.add_parser("verify", help="check a downloaded chain.json of ballots and count it again")
    chain.add_argument("file", metavar="CHAIN.json", help="the ballot chain downloaded from a results page")
    chain.add_argument("--receipt", default="", metavar="CODE", help="find the ballot of this receipt code in it")
    chain.add_argument("--public-key", default="", metavar="KEY",
                       help="the key it must be signed with: the node actor's Ed25519 Multikey (z6Mk…)")  # fmt: skip
    chain.add_argument("--json", action="store_true", help="print one JSON object")
    # Budgets (voting half): import a .pb file as a closed, published process of this node.
    pb_import = pb_commands.add_parser(
        "import", help="create a published budget process from a .pb file (its projects and ballots)"
    )
    pb_import.add_argument("file", metavar="FILE.pb", type=Path, help="a pabulib file")
    pb_import.add_argument("--as", dest="official", required=True, metavar="USERNAME",
                           help="the official or operator account the process is created by")  # fmt: skip
    # Each left out: as the file's META says (a rule this node cannot reproduce is refused unless --rule is given).
    pb_import.add_argument("--rule", choices=["greedy", "greedy-threshold", "mes"], help="(as the file says)")
    pb_import.add_argument("--completion", choices=["none", "greedy", "add1", "add1-greedy", "add1-until-infeasible"],
                           help="Method of Equal Shares only (as the file says)")  # fmt: skip
    pb_import.add_argument("--satisfaction", choices=["cost", "cardinality"], help="(as the file says, else cost)")
    pb_import.add_argument("--tie-break", choices=["id", "equalshares"], help="(as the file says, else id)")
    _node_options(pb_import, web=False)
    # Coalitions: check a downloaded statement's proofs (no database; the network only with --fetch).
    verify = commands.add_parser("verify", help="check the signatures of a downloaded coalition statement")
    verify.add_argument("file", metavar="FILE.json", type=Path, help="a statement downloaded from a coalition page")
    verify.add_argument("--keys", type=Path, metavar="KEYS.json", help="use these keys instead of the embedded ones")
    verify.add_argument("--fetch", action="store_true", help="fetch each signer's actor for its key (network)")
    verify.add_argument("--dev-allow-private-network", action="store_true", help="development only: loopback")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    names = ("data_dir", "database_url", "redis_url", "host", "port", "public_url", "node_name",
             "default_language", "log_format", "dev_allow_private_network")  # fmt: skip
    overrides: dict[str, Any] = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    return Settings(**overrides)


def _multikey_as_b64url(text: str) -> str:
    """An Ed25519 Multikey (`z6Mk…`) as the chain document writes its key: the raw 32 bytes in base64url."""
    from cryptography.hazmat.primitives import serialization

    from deliberate.budgets.publishing import b64url
    from federation.crypto.multikey import ed25519_public_key_from_multibase

    try:
        key = ed25519_public_key_from_multibase(text)
    except ValueError:
        return text  # compared as given: it will not match
    return b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _fail(message: str) -> int:
    print(f"deliberate: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "pb" and args.pb_command == "tally":
        if args.rule != "mes" and args.completion != "none":
            parser.error("--completion applies to --rule mes only")
        from deliberate.budgets.tally_cli import run_tally

        return run_tally(args)
    if args.command == "pb" and args.pb_command == "verify":
        from deliberate.budgets.chain_cli import run_verify as run_chain_verify

        if args.public_key.startswith("z"):  # the Multikey form of the node's actor document (assertionMethod)
            args.public_key = _multikey_as_b64url(args.public_key)
        return run_chain_verify(args)
    if args.command == "verify":
        from federation.verify_cli import run_verify

        return run_verify(args)
    try:
        if args.command == "demo":
            from web.logs import configure_logging

            configure_logging("text")
            from deliberate.runtime.demo import run_demo

            asyncio.run(run_demo(args.data_dir, reset=args.reset, base_port=args.base_port))
            return 0
        settings = _settings(args)
        if args.command == "serve":
            return _run_serving(_serve(settings), on_uvloop=settings.uvloop)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings, check=args.check))
        if args.command in ("worker", "federation"):
            return asyncio.run(_federation_command(args, settings))
        if args.command in ("backup", "restore"):
            return asyncio.run(_backup_command(args, settings))
        if args.command == "pb" and args.pb_command == "import":
            if args.rule not in (None, "mes") and args.completion not in (None, "none"):
                parser.error("--completion applies to --rule mes only")
            text = args.file.read_text(encoding="utf-8-sig")
            return asyncio.run(_pb_import(settings, args.file, text, args.official, args))
        if args.command == "admin" and args.admin_command == "make-official":
            return asyncio.run(_make_official(settings, args.username, name=args.name, office=args.office))
        if args.command == "admin" and args.admin_command == "create-operator":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = getpass.getpass("Password for the operator: ")
                if getpass.getpass("Repeat the password: ") != password:
                    return _fail("the two passwords are not the same")
            return asyncio.run(_create_operator(settings, args.username, password))
    except ValidationError as exc:
        return _fail(
            "invalid settings:\n" + "\n".join(f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        )
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from deliberate.errors import DomainError
        from deliberate.runtime.backup import BackupError
        from deliberate.runtime.embedded import EmbeddedServerError

        if isinstance(exc, EmbeddedServerError | DomainError | BackupError | OSError | ValueError):
            return _fail(str(exc))
        raise
    return _fail("unknown command")


def _run_serving(main: Coroutine[Any, Any, int], *, on_uvloop: bool) -> int:
    """Run a serving process on uvloop (libuv) when it is installed and not turned off (`DELIBERATE_UVLOOP=false`),
    on asyncio's own loop otherwise: the loop and its socket transports are a large part of what a small request
    costs (tests/bench/README.md, the inbox). Other commands, and the tests, keep asyncio's loop."""
    if not on_uvloop:
        return asyncio.run(main)
    try:
        import uvloop
    except ImportError:  # not installed: a platform without its wheels (pyproject.toml)
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def _serve(settings: Settings) -> int:
    from deliberate.runtime.node import run_node
    from web.logs import configure_logging

    configure_logging(settings.log_format if not sys.stderr.isatty() else "text")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def ready(live: Settings, _runner: object) -> None:
        print(
            f"{live.node_name} is serving at {live.base_url} (listening on {live.host}:{live.port})",
            flush=True,
        )

    await run_node(settings, stop=stop, on_ready=ready)
    return 0


async def _federation_command(args: argparse.Namespace, settings: Settings) -> int:
    from deliberate.runtime import operations

    if args.command == "worker":
        from web.logs import configure_logging

        configure_logging(settings.log_format if not sys.stderr.isatty() else "text")
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await operations.run_worker(settings, stop=stop)
        return 0
    action = args.federation_command
    if action == "status":
        return await operations.status(settings)
    if action in ("block", "unblock"):
        return await operations.block(settings, args.host, getattr(args, "reason", ""), blocked=action == "block")
    if action in ("allow", "disallow"):
        return await operations.allow(settings, args.host, allowed=action == "allow")
    return await operations.rotate_key(settings, args.actor)


async def _migrate(settings: Settings, *, check: bool) -> int:
    from deliberate.db.migrate import pending_migrations
    from deliberate.db.pool import connect
    from deliberate.runtime.node import migrate_database, node_services

    async with node_services(settings) as live:
        if check:
            conn = await connect(live.database_url)
            try:
                pending = await pending_migrations(conn)
            finally:
                await conn.close()
            for migration in pending:
                print(f"pending: {migration.version:04d}_{migration.name}")
            print("the database is up to date" if not pending else f"{len(pending)} migrations pending")
            return 1 if pending else 0
        applied = await migrate_database(live.database_url)
        print("\n".join(f"applied: {name}" for name in applied) or "the database is up to date")
        return 0


def _backup_passphrase(*, confirm: bool) -> str:
    """From DELIBERATE_BACKUP_PASSPHRASE, a terminal (asked twice when making a backup) or standard input; never a
    flag, which every user of the machine could read in the process list."""
    import os

    from deliberate.runtime.backup import PASSPHRASE_VARIABLE, BackupError

    if value := os.environ.get(PASSPHRASE_VARIABLE):
        return value
    if sys.stdin.isatty():
        passphrase = getpass.getpass("Backup passphrase: ")
        if confirm and getpass.getpass("Repeat the passphrase: ") != passphrase:
            raise BackupError("the two passphrases are not the same")
        return passphrase
    return sys.stdin.readline().rstrip("\n")


async def _backup_command(args: argparse.Namespace, settings: Settings) -> int:
    from deliberate.clock import SystemClock
    from deliberate.runtime import backup

    if args.command == "backup":
        passphrase = _backup_passphrase(confirm=True)
        done = await backup.backup(settings, args.file, passphrase, clock=SystemClock())
        print(f"backup written to {done.path} ({done.size_bytes} bytes); keep the passphrase apart from it")
        return 0
    restored = await backup.restore(settings, args.file, _backup_passphrase(confirm=False))
    made = restored.manifest.get("created_at", "?")
    where = "the database of DELIBERATE_DATABASE_URL" if restored.database_url else str(restored.data_dir)
    print(f"restored the backup of {restored.manifest.get('public_url') or 'a node'} made at {made} into {where}")
    print(f"start it with: deliberate serve --data-dir {restored.data_dir}")
    if restored.manifest.get("public_url"):
        print(f"(with DELIBERATE_PUBLIC_URL={restored.manifest['public_url']}: other nodes know it by that address)")
    return 0


async def _create_operator(settings: Settings, username: str, password: str) -> int:
    from deliberate.accounts import service as accounts
    from deliberate.accounts.passwords import Passwords
    from deliberate.clock import SystemClock
    from deliberate.db.pool import connect
    from deliberate.runtime.node import migrate_database, node_services
    from deliberate.validation import InvalidFields

    async with node_services(settings) as live:
        await migrate_database(live.database_url)
        conn = await connect(live.database_url)
        try:
            async with conn.transaction():
                account = await accounts.create_operator(
                    conn, clock=SystemClock(), passwords=Passwords(), username=username, password=password
                )
        except InvalidFields as exc:
            return _fail("; ".join(f"{e.field}: {e.message % e.params if e.params else e.message}" for e in exc.errors))
        finally:
            await conn.close()
    print(f"{account.username} is an operator ({', '.join(sorted(account.roles))}).")
    return 0


async def _make_official(settings: Settings, username: str, *, name: str, office: str) -> int:
    """`deliberate admin make-official USERNAME --name --office`: the operators' way to name council officials."""
    from deliberate.clock import SystemClock
    from deliberate.consultations import service as consultations
    from deliberate.db.pool import connect
    from deliberate.runtime.node import migrate_database, node_services
    from deliberate.validation import InvalidFields

    async with node_services(settings) as live:
        await migrate_database(live.database_url)
        conn = await connect(live.database_url)
        try:
            async with conn.transaction():
                official = await consultations.appoint_official(
                    conn, clock=SystemClock(), actor=None, username=username, data={"name": name, "office": office}
                )
        except InvalidFields as exc:
            return _fail("; ".join(f"{e.field}: {e.message % e.params if e.params else e.message}" for e in exc.errors))
        finally:
            await conn.close()
    print(f"{official.username} is an official: {official.name}, {official.office}.")
    return 0


async def _pb_import(settings: Settings, file: Path, text: str, official: str, args: argparse.Namespace) -> int:
    """`deliberate pb import FILE.pb --as USERNAME [--rule …]`: the same import as the officials' form
    /budgets/import, with the same optional choice of rules instead of the file's."""
    from deliberate.accounts import service as accounts
    from deliberate.budgets import exchange
    from deliberate.clock import SystemClock
    from deliberate.db.pool import connect
    from deliberate.errors import InvalidPbFile
    from deliberate.runtime.node import migrate_database, node_services
    from deliberate.validation import InvalidFields

    async with node_services(settings) as live:
        await migrate_database(live.database_url)
        conn = await connect(live.database_url)
        try:
            async with conn.transaction():
                actor = await accounts.access_account_by_username(conn, official)
                rules = exchange.ImportRules(args.rule, args.completion, args.satisfaction, args.tie_break)
                process = await exchange.import_pabulib(
                    conn, clock=SystemClock(), actor=actor, text=text, name=file.stem, rules=rules
                )
        except InvalidPbFile as exc:
            print(f"deliberate: {file}: line {exc.params['line']}: {exc.params['reason']}", file=sys.stderr)
            return 2
        except InvalidFields as exc:  # a chosen rule that does not go with the file's (or the chosen) others
            return _fail("; ".join(f"{e.field}: {e.message % e.params if e.params else e.message}" for e in exc.errors))
        finally:
            await conn.close()
    print(f"{process.slug}: {process.title} (imported and published)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

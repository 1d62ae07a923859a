"""Running the server: init, serve, migrate, users, tokens, the audit trail."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import getpass
import os
import sys
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.engine import make_url

from entente import audit, auth, db, parties, platformkeys
from entente.app import create_app
from entente.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, command, command_group, database, run, settings
from entente.cli.trust.demo import seed_demo_keys
from entente.cli.trust.statement import seed_demo_statement
from entente.clock import system_clock
from entente.errors import InvalidInputError
from entente.models import Role
from entente.settings import Settings

DEMO_PASSWORD_ENV = "ENTENTE_DEMO_PASSWORD"  # noqa: S105 (a variable name)
DEFAULT_DEMO_PASSWORD = "entente-demo-2026"  # noqa: S105 (printed for the demo on purpose)


def register(commands: Any) -> None:
    p = command(commands, "init", cmd_init)
    p.add_argument("--demo", action="store_true", help="seed the demo coalition and print the demo logins")

    p = command(commands, "serve", cmd_serve)
    p.add_argument("--host", help="address to listen on (default: server.host)")
    p.add_argument("--port", type=int, help="port to listen on (default: server.port)")

    p = command(commands, "migrate", cmd_migrate)
    p.add_argument("--autogenerate", metavar="MESSAGE", help="(developers) write a new migration for model changes")
    p.add_argument("--rev-id", help="(developers) revision id for --autogenerate, e.g. 0005")

    user = command_group(commands, "user", help="manage users")
    p = command(user, "add", cmd_user_add)
    p.add_argument("username")
    p.add_argument("--party", required=True, help="party code, e.g. EE")
    p.add_argument(
        "--role", action="append", required=True, choices=[r.value for r in Role], help="a role (repeat for several)"
    )
    p.add_argument("--name", help="display name (default: the username)")
    p.add_argument("--no-password", action="store_true", help="API tokens only; no browser sign-in")

    token = command_group(commands, "token", help="manage API tokens")
    p = command(token, "create", cmd_token_create)
    p.add_argument("username")
    p.add_argument("--name", default="cli", help="what the token is for")
    p.add_argument("--days", type=int, help="validity in days (default: auth.token_days)")

    trail = command_group(commands, "audit", help="the audit trail")
    command(trail, "verify", cmd_audit_verify)


def cmd_init(args: argparse.Namespace) -> int:
    """create or upgrade the database; --demo seeds the demo coalition

    Apply migrations; with --demo, seed the parties and users of the coalition file."""
    config = settings(args)
    run(db.migrate(config.database_url))
    print(f"database ready: {_display_url(config.database_url)}")
    _platform_keys(config)
    if not args.demo:
        return EXIT_OK
    coalition = parties.load_coalition(config.paths.coalition)
    chosen = os.environ.get(DEMO_PASSWORD_ENV)
    password = chosen or DEFAULT_DEMO_PASSWORD

    async def seed() -> tuple[int, list[str], list[str]]:
        async with database(config) as maker, maker.begin() as session:
            now = system_clock()
            # an explicit ENTENTE_DEMO_PASSWORD is applied to the demo users that exist already
            changed, kept = await parties.apply_demo_password(
                session, coalition, password=password, now=now, apply=bool(chosen)
            )
            added = await parties.seed_coalition(session, coalition, password=password, now=now)
            return added, changed, kept

    added, changed, kept = run(seed())
    users = [(u.username, p.code, ", ".join(r.value for r in u.roles)) for p in coalition for u in p.users]
    print(f"demo coalition: {len(coalition)} parties, {len(users)} users ({added} new)")
    if changed:
        print(f"{DEMO_PASSWORD_ENV} applied: {len(changed)} existing demo user(s) now use the new password")
    if kept:
        print(
            f"demo password NOT changed for {len(kept)} existing demo user(s): they keep the password they had; "
            f"set {DEMO_PASSWORD_ENV} to give them a new one"
        )
        print(f"demo password for the other demo users: {password}")
    else:
        print(f"demo password for every demo user: {password}")
    width = max(len(u[0]) for u in users)
    for username, party, roles in users:
        print(f"  {username:<{width}}  {party:<5} {roles}")
    keys = seed_demo_keys(config, coalition)
    seed_demo_statement(config, keys)
    return EXIT_OK


def _platform_keys(config: Settings) -> None:
    folder = config.platform_keys_dir
    host = _host(config.server.public_url)
    made = platformkeys.ensure_platform_keys(folder, common_name=f"Entente publications ({host})", now=system_clock())
    print(f"platform keys (transparency log, PDF signing): {folder}" + (f" ({', '.join(made)} made)" if made else ""))
    if not os.environ.get(platformkeys.PASSPHRASE_ENV):
        print(f"  encrypted with the demo passphrase; set {platformkeys.PASSPHRASE_ENV} for a real deployment")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def cmd_serve(args: argparse.Namespace) -> int:
    """run the server

    Run the HTTP server until interrupted."""
    config = settings(args)
    host = args.host or config.server.host
    port = args.port if args.port is not None else config.server.port
    config = _served_address(config, host, port)
    app = create_app(config)
    address = f"http://{host}:{port}/"
    announce = f"Entente is serving on {address} (sign in at {address}login; Ctrl+C stops)"
    # aiohttp calls ``print`` once the socket is listening, so nothing is announced before startup succeeds.
    try:
        web.run_app(app, host=host, port=port, print=lambda _: print(announce, flush=True), access_log=None)
    except OSError as exc:
        reason = {errno.EADDRINUSE: "the port is in use (another server runs there?)",
                  errno.EACCES: "permission denied (ports below 1024 need privileges)",
                  errno.EADDRNOTAVAIL: "this machine has no such address"}.get(exc.errno or 0, exc.strerror or str(exc))
        print(f"entente: cannot listen on {host}:{port}: {reason}; choose another with --port "
              f"(or `make demo PORT=...`)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _served_address(config: Settings, host: str, port: int) -> Settings:
    """A public address on the loopback (the shipped default) is this server's own: it follows the
    address actually served, so the OpenAPI document and published links name the real port."""
    public = urlsplit(config.server.public_url)
    if public.hostname not in ("127.0.0.1", "localhost", "::1"):
        return config
    everywhere = ("", "0.0.0.0", "::")  # noqa: S104 (compared with, not bound to)
    name = public.hostname if host in everywhere else host  # listening everywhere: keep the public name
    shown = f"[{name}]" if ":" in name else name
    url = f"{public.scheme or 'http'}://{shown}:{port}"
    return config.replace(server=dataclasses.replace(config.server, public_url=url))


def cmd_migrate(args: argparse.Namespace) -> int:
    """apply database migrations

    Bring the schema to the latest migration."""
    config = settings(args)
    if args.autogenerate:
        if not args.rev_id:
            print("entente: --autogenerate needs --rev-id", file=sys.stderr)
            return EXIT_USAGE
        run(db.migrate(config.database_url))
        run(db.autogenerate(config.database_url, message=args.autogenerate, rev_id=args.rev_id))
        return EXIT_OK
    run(db.migrate(config.database_url))
    print(f"database at revision {db.head_revision()}: {_display_url(config.database_url)}")
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace) -> int:
    """add a user to a party

    Add a user. The password is read from standard input when it is not a terminal."""
    config = settings(args)
    password = None if args.no_password else _read_password()

    async def add() -> None:
        password_hash = await auth.hash_password(password) if password else None  # outside the transaction
        async with database(config) as maker, maker.begin() as session:
            await auth.create_user(
                session,
                username=args.username,
                display_name=args.name or args.username,
                party=args.party,
                roles=[Role(r) for r in args.role],
                password=password,
                password_hash=password_hash,
                now=system_clock(),
                actor="cli",
            )

    run(add())
    print(f"user {args.username} added to {args.party} with roles {', '.join(args.role)}")
    return EXIT_OK


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise InvalidInputError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        raise InvalidInputError("a password needs at least 12 characters")
    return password


def cmd_token_create(args: argparse.Namespace) -> int:
    """create an API token for a user and print it once"""
    config = settings(args)
    days = args.days or config.auth.token_days

    async def create() -> str:
        async with database(config) as maker, maker.begin() as session:
            user = await auth.get_user(session, args.username)
            secret, _ = await auth.create_token(session, user, name=args.name, days=days, now=system_clock())
            return secret

    print(run(create()))
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """walk the hash chain and report the first broken link"""
    config = settings(args)

    async def verify() -> audit.ChainReport:
        async with database(config) as maker, maker() as session:
            return await audit.verify_chain(session)

    report = run(verify())
    if report.ok:
        print(f"audit trail intact: {report.entries} entries")
        return EXIT_OK
    print(
        f"audit trail BROKEN at entry {report.broken_at}: {report.reason} ({report.entries} entries before it verify)"
    )
    return EXIT_FAILED


def _display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)

"""``entente sanctions export|import``: a sanctions package's designations as EU/OFAC XML or flat CSV.

Both go through the API at ``$ENTENTE_URL`` with ``$ENTENTE_TOKEN`` (an API token of a drafter), so
the server's disclosure rules decide what an export holds (what the token's party may see, or only the
public part with ``--public``) and an import is checked exactly as ``POST .../import`` checks it
(all rows or none, each error with its row and column).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from entente.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, TOKEN_ENV, URL_ENV, command, command_group, run
from entente.errors import UnavailableError

FORMATS = ("eu-xml", "ofac-xml", "csv")


def _package(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise argparse.ArgumentTypeError(f"{text!r}: a package id is a number")
    return int(text)


def register(commands: Any) -> None:
    sanctions = command_group(
        commands,
        "sanctions",
        help="export and import the designations of a sanctions package (through the API)",
        description=f"Talks to ${URL_ENV} with ${TOKEN_ENV} (a drafter's API token).",
    )

    p = command(sanctions, "export", cmd_export)
    p.add_argument("package", type=_package, metavar="PACKAGE")
    p.add_argument("--format", choices=FORMATS, default="csv")
    p.add_argument("--public", action="store_true", help="only the public part (no confidential material)")
    p.add_argument("--out", metavar="FILE", help="write here (default: standard output)")

    p = command(sanctions, "import", cmd_import)
    p.add_argument("package", type=_package, metavar="PACKAGE")
    p.add_argument("file", metavar="FILE", help="a UTF-8 CSV of the export's shape")
    p.add_argument("--confirm", action="store_true", help="add rows that probably match existing designations")


def _endpoint() -> tuple[str, str] | None:
    url, token = os.environ.get(URL_ENV), os.environ.get(TOKEN_ENV)
    if not (url and token):
        print(f"entente: set {URL_ENV} and {TOKEN_ENV}", file=sys.stderr)
        return None
    return url.rstrip("/"), token


def _with_endpoint(step: Callable[[argparse.Namespace, str, str], int]) -> Callable[[argparse.Namespace], int]:
    """The command ``step``, given the server's URL and the token from the environment (exit 2 when either is
    unset)."""

    @functools.wraps(step)
    def with_endpoint(args: argparse.Namespace) -> int:
        endpoint = _endpoint()
        return EXIT_USAGE if endpoint is None else step(args, *endpoint)

    return with_endpoint


async def _call(method: str, url: str, token: str, **kwargs: Any) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    try:
        async with aiohttp.ClientSession() as client, client.request(method, url, headers=headers, **kwargs) as r:
            return r.status, await r.read()
    except aiohttp.ClientError as exc:
        raise UnavailableError(f"cannot reach {url}: {exc}") from None


def _refused(status: int, body: bytes) -> int:
    try:
        problem = json.loads(body)
    except ValueError:
        problem = {"detail": body[:200].decode("utf-8", "replace")}
    print(
        f"entente: the server refused ({status} {problem.get('code', '')}): {problem.get('detail', '')}",
        file=sys.stderr,
    )
    for error in problem.get("errors", []) or []:
        where = f"row {error.get('row')}" + (f", column {error['column']}" if error.get("column") else "")
        print(f"  {where}: {error.get('reason')}", file=sys.stderr)
    return EXIT_FAILED


@_with_endpoint
def cmd_export(args: argparse.Namespace, url: str, token: str) -> int:
    """export a package as eu-xml, ofac-xml or csv"""
    view = "public" if args.public else "party"
    status, body = run(
        _call("GET", f"{url}/api/v1/sanctions/packages/{args.package}/export?format={args.format}&view={view}", token)
    )
    if status != 200:
        return _refused(status, body)
    if args.out:
        Path(args.out).write_bytes(body)
        print(f"package {args.package} written to {args.out} ({args.format}, {view})", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    return EXIT_OK


@_with_endpoint
def cmd_import(args: argparse.Namespace, url: str, token: str) -> int:
    """import a flat CSV into a package: all rows or none"""
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"entente: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    query = "?confirm=true" if args.confirm else ""
    status, body = run(
        _call(
            "POST",
            f"{url}/api/v1/sanctions/packages/{args.package}/import{query}",
            token,
            data=data,
            headers={"Content-Type": "text/csv"},
        )
    )
    if status != 201:
        return _refused(status, body)
    package = json.loads(body)
    print(f"imported into package {args.package}: now {len(package['designations'])} designations")
    return EXIT_OK

"""The ``entente`` command.

Each module of this package adds its subcommands to the parser; every command returns an exit
status: 0 ok, 1 failed, 2 usage or configuration, 3 indeterminate (verification only).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from entente import __version__
from entente.cli import common
from entente.errors import ConfigError, EntenteError, UnavailableError

MODULES = ["admin", "ladder", "trust", "templates", "sanctions", "transparency"]
OFFLINE = {"verify": "trust.verify", "sign": "trust.keys", "keys": "trust.keys"}
"""Commands that read files, not the server's database: only their module is imported (``entente verify``
starts without loading aiohttp, SQLAlchemy or WeasyPrint)."""


def build_parser(modules: Sequence[str] = MODULES) -> argparse.ArgumentParser:
    parser = common.ArgumentParser(
        prog="entente",
        description="Entente: co-draft, sign off, embargo and publish verifiable joint statements.",
    )
    parser.add_argument("--version", action="version", version=f"entente {__version__}")
    parser.add_argument(
        "--config", metavar="FILE", help="configuration file (default: $ENTENTE_CONFIG or config/entente.toml)"
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=common.ArgumentParser
    )
    for name in modules:
        importlib.import_module(f"entente.cli.{name}").register(commands)
    return parser


def _modules_for(argv: Sequence[str]) -> Sequence[str]:
    words = [word for word in argv if not word.startswith("-")]
    command = words[0] if words and "--config" not in argv else None
    return [OFFLINE[command]] if command in OFFLINE else MODULES


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_modules_for(arguments))
    try:
        args = parser.parse_args(arguments)
    except common.UsageError as exc:
        print(f"entente: {exc}", file=sys.stderr)
        return common.EXIT_USAGE
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:
        print(f"entente: {exc}", file=sys.stderr)
        return common.EXIT_USAGE
    except UnavailableError as exc:
        print(f"entente: {exc}", file=sys.stderr)
        return common.EXIT_FAILED
    except EntenteError as exc:
        print(f"entente: {exc}", file=sys.stderr)
        return common.EXIT_FAILED
    except KeyboardInterrupt:
        return common.EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (`entente ... | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return common.EXIT_FAILED

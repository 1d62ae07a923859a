"""The ``entente`` command.

Each module of this package adds its subcommands to the parser; every command returns an exit
status: 0 ok, 1 failed, 2 usage or configuration, 3 indeterminate (verification only).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from entente import __version__
from entente.cli import admin, common, ladder, sanctions, templates, transparency, trust
from entente.errors import ConfigError, EntenteError, UnavailableError

MODULES = [admin, ladder, trust, templates, sanctions, transparency]


def build_parser() -> argparse.ArgumentParser:
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
    for module in MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
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

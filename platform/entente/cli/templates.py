"""``entente templates list|show|presign``: crisis templates and their pre-signatures.

``presign`` builds the pre-signature object from the template file on this machine (so the party
signs what it reviewed, not what a server says), signs it locally, and either submits it to
``$ENTENTE_URL`` with ``$ENTENTE_TOKEN`` or writes the request body to ``--out`` for curl.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from entente import parties, signing
from entente.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    TOKEN_ENV,
    URL_ENV,
    command,
    command_group,
    database,
    days,
    post_json,
    run,
    settings,
)
from entente.cli.trust import files
from entente.clock import isoformat, system_clock
from entente.crisis import CrisisTemplate, load_templates
from entente.ladder import load_ladder
from entente.models import TemplatePublic
from entente.parties.presignatures import get_template
from entente.settings import Settings


def register(commands: Any) -> None:
    templates = command_group(
        commands,
        "templates",
        help="crisis templates and their pre-signatures",
        description="List crisis templates, show one, and pre-sign one for a party.",
    )

    p = command(templates, "list", cmd_list)
    p.add_argument("--json", action="store_true", help="print as JSON (the shape of GET /api/v1/templates)")

    p = command(templates, "show", cmd_show)
    p.add_argument("template_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="print as JSON (the shape of GET /api/v1/templates/ID)")

    p = command(
        templates,
        "presign",
        cmd_presign,
        description=f"Sign the pre-signature object of template ID (from the template files of this machine) "
        f"and submit it to ${URL_ENV} with ${TOKEN_ENV} (a signatory's API token), or write the request "
        "body to --out for `curl --data @FILE`.",
    )
    p.add_argument("template_id", metavar="ID")
    p.add_argument("--key", required=True, metavar="FILE", help="the party's private key file")
    p.add_argument("--party", required=True, help="party code, e.g. EE")
    p.add_argument("--tiers", required=True, type=_tiers, help="tiers the template may be used at, e.g. 2,3")
    p.add_argument("--days", type=days, default=365, help="validity from now, in days (default 365)")
    p.add_argument("--out", metavar="FILE", help="write the request body here instead of submitting it")


def _tiers(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and len(part) <= 2 for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: list tiers as whole numbers, e.g. 2,3")
    return [int(part) for part in parts]


def _templates(config: Settings) -> dict[str, CrisisTemplate]:
    return load_templates(config.paths.templates / "crisis", ladder=load_ladder(config.paths.ladder))


def cmd_list(args: argparse.Namespace) -> int:
    """templates with their digest and who pre-signed them (database)"""
    config = settings(args)
    templates = _templates(config)

    async def load() -> list[TemplatePublic]:
        async with database(config) as maker, maker() as session:
            return await parties.template_summaries(session, templates, now=system_clock())

    summaries = run(load())
    if args.json:
        print(files.pretty([summary.model_dump(mode="json") for summary in summaries]))
        return EXIT_OK
    for summary in summaries:
        print(f"{summary.id:<24} v{summary.version}  tiers {','.join(map(str, summary.tiers)):<8} {summary.digest}")
        for item in summary.presignatures:
            print(
                f"  {item.party:<5} {item.state:<16} tiers {','.join(map(str, item.tiers)):<8} "
                f"{isoformat(item.not_before)} to {isoformat(item.not_after)}  kid {item.kid[:12]}…"
            )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """one template: header, parameters, sections, pre-signatures"""
    config = settings(args)
    templates = _templates(config)

    async def load() -> Any:
        async with database(config) as maker, maker() as session:
            return await parties.template_detail(session, templates, args.template_id, now=system_clock())

    detail = run(load())
    if args.json:
        print(detail.model_dump_json(indent=2))
        return EXIT_OK
    print(f"{detail.id} v{detail.version}: {detail.title}")
    print(f"  kind {detail.kind}, tiers {', '.join(map(str, detail.tiers))}, digest {detail.digest}")
    for name, parameter in detail.parameters.items():
        print(f"  parameter {name}: {parameter['type']}{'' if parameter['required'] else ' (optional)'}")
    for section in detail.sections:
        print(f"  section {section['id']} [{section['marking']}]: {section['heading']}")
    for item in detail.presignatures:
        print(f"  pre-signed by {item.party}: {item.state}, tiers {item.tiers}, until {isoformat(item.not_after)}")
    return EXIT_OK


def cmd_presign(args: argparse.Namespace) -> int:
    """pre-sign a template for a party with its private key"""
    config = settings(args)
    template = get_template(_templates(config), args.template_id)
    party = parties.check_party_code(args.party)
    url, token = os.environ.get(URL_ENV), os.environ.get(TOKEN_ENV)
    if not args.out and not (url and token):
        print(f"entente: set {URL_ENV} and {TOKEN_ENV} to submit, or pass --out FILE", file=sys.stderr)
        return EXIT_USAGE
    key = files.load_private(args.key)
    now = system_clock().replace(microsecond=0)
    not_before, not_after = now, now + timedelta(days=args.days)
    payload = parties.presignature_payload(
        template, party=party, tiers=args.tiers, not_before=not_before, not_after=not_after
    )
    envelope = signing.sign_detached(payload, [key], typ=parties.PRESIGNATURE_JWS_TYPE, iat=int(now.timestamp()))
    body = {
        "party": party,
        "tiers": sorted(set(args.tiers)),
        "not_before": isoformat(not_before),
        "not_after": isoformat(not_after),
        "template_digest": template.digest,
        "jws": envelope,
    }
    if args.out:
        files.write_new(Path(args.out), (files.pretty(body) + "\n").encode())
        print(f"pre-signature of {template.id} v{template.version} for {party} written to {args.out}; submit with:")
        print(
            f"  curl -H \"Authorization: Bearer ${TOKEN_ENV}\" -H 'Content-Type: application/json' "
            f"--data @{args.out} ${URL_ENV}/api/v1/templates/{template.id}/presignatures"
        )
        return EXIT_OK
    assert url is not None and token is not None
    status, answer = run(_submit(f"{url.rstrip('/')}/api/v1/templates/{template.id}/presignatures", token, body))
    if status != 201:
        print(
            f"entente: the server refused the pre-signature ({status} {answer.get('code', '')}): "
            f"{answer.get('detail', answer)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(
        f"pre-signed {template.id} v{template.version} for {party}: tiers {answer['tiers']}, "
        f"{answer['state']} until {answer['not_after']} (pre-signature {answer['id']})"
    )
    return EXIT_OK


async def _submit(url: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as client:
        return await post_json(client, url, body, headers={"Authorization": f"Bearer {token}"})

"""``entente verify --payload FILE JWS-FILE``: check a detached JWS offline, against a roster chain
or JWK Sets. Exit 0 valid, 1 invalid, 2 usage, 3 indeterminate (no trusted keys to check against).

A single FILE without ``--payload`` is reserved for PDFs and publication bundles.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from entente import canonical, quorum, signing
from entente.cli.common import EXIT_FAILED, EXIT_INDETERMINATE, EXIT_OK, EXIT_USAGE
from entente.cli.trust import files
from entente.clock import isoformat, system_clock
from entente.errors import EntenteError, InvalidInputError
from entente.parties import chain

UNKNOWN_PARTY = "?"


def register(commands: Any) -> None:
    p = commands.add_parser(
        "verify",
        help="verify a detached JWS (with --payload) against a roster chain or JWK Sets",
        description="With --payload: check every signature of JWS-FILE over the exact bytes of the payload "
        "file, with keys from a roster chain (--roster, the first one pinned) or JWK Sets (--jwks). "
        "Exit 0 valid, 1 invalid, 2 usage, 3 indeterminate (no keys to check against, or a signer's key "
        "is unknown, or the roster chain cannot be trusted).",
    )
    p.add_argument("file", metavar="FILE", help="the JWS file (with --payload)")
    p.add_argument("--payload", metavar="FILE", help="the detached payload: the exact bytes that were signed")
    p.add_argument(
        "--roster",
        action="append",
        default=[],
        metavar="FILE",
        help="a published roster document (N.json); the first is pinned, repeat for the chain",
    )
    p.add_argument(
        "--jwks",
        action="append",
        default=[],
        metavar="FILE",
        help="a JWK Set (GET /api/v1/parties/CODE/keys) or a single public JWK; repeatable",
    )
    p.add_argument("--typ", help="require this JWS typ (e.g. entente-signoff+jws)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    if args.payload is None:
        return verify_document(args)
    payload = files.read_bytes(args.payload)
    envelope_text = files.read_bytes(args.file)
    report: dict[str, Any] = {"payload_digest": canonical.digest(payload), "roster": None, "signatures": []}
    keys, problem = _keys(args, report)
    if problem is not None:
        return _finish(args, report, "indeterminate", problem, EXIT_INDETERMINATE)
    if not keys:
        return _finish(
            args, report, "indeterminate", "no keys to check against: give --roster or --jwks", EXIT_INDETERMINATE
        )
    try:
        envelope = signing.parse_envelope(envelope_text)
        result = quorum.evaluate(
            payload,
            [envelope],
            keys=keys,
            participants={k.party for k in keys},
            policy=quorum.Policy(all_participants=False, threshold=1),
            typ=args.typ,
        )
    except EntenteError as exc:
        return _finish(args, report, "invalid", f"{args.file}: {exc}", EXIT_FAILED)
    report["signatures"] = _verdicts(result, keys)
    reasons = [entry["reason"] for entry in report["signatures"] if not entry["valid"]]
    if any(reason != signing.Reason.UNKNOWN_KEY for reason in reasons):
        return _finish(args, report, "invalid", "a signature does not verify", EXIT_FAILED)
    if reasons:
        return _finish(
            args, report, "indeterminate", "a signature was made with a key not among those given", EXIT_INDETERMINATE
        )
    return _finish(args, report, "valid", None, EXIT_OK)


def verify_document(args: argparse.Namespace) -> int:
    """Reserved: ``entente verify FILE-OR-URL`` will check a PDF or a publication bundle."""
    print(
        f"entente: verifying a PDF or publication bundle ({args.file}) is not available yet; "
        "to check a detached JWS: entente verify --payload PAYLOAD-FILE JWS-FILE --roster ROSTER.json",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _keys(args: argparse.Namespace, report: dict[str, Any]) -> tuple[list[quorum.KeyRecord], str | None]:
    keys: list[quorum.KeyRecord] = []
    if args.roster:
        documents = [chain.read_roster_document(files.read_bytes(path)) for path in args.roster]
        (pinned, pinned_envelopes), rest = documents[0], documents[1:]
        rest.sort(key=lambda item: _version(item[0]))
        result = chain.verify_roster_chain(pinned, rest, system_clock(), pinned_envelopes=pinned_envelopes or None)
        report["roster"] = result.to_dict()
        if not result.ok or result.trusted is None:
            return [], f"the roster chain cannot be trusted: {result.reason}: {result.detail}"
        keys.extend(result.trusted.keys)
    for path in args.jwks:
        keys.extend(_jwks_records(path))
    return keys, None


def _version(data: bytes) -> int:
    try:
        value = json.loads(data).get("version")
    except (ValueError, AttributeError):
        return 0
    return value if isinstance(value, int) else 0


def _jwks_records(path: str) -> list[quorum.KeyRecord]:
    value = files.read_json(path)
    if not isinstance(value, dict):
        raise InvalidInputError(f"{path}: not a JWK Set or JWK")
    entries = value.get("keys") if "keys" in value else [value]
    party = value.get("party") if isinstance(value.get("party"), str) else UNKNOWN_PARTY
    if not isinstance(entries, list):
        raise InvalidInputError(f"{path}: 'keys' must be an array")
    try:
        return [chain.key_record_from_jwk(party, entry, f"/keys/{i}") for i, entry in enumerate(entries)]
    except chain.RosterError as exc:
        raise InvalidInputError(f"{path}: {exc}") from None


def _verdicts(result: quorum.QuorumResult, keys: list[quorum.KeyRecord]) -> list[dict[str, Any]]:
    party_of = {record.key.fingerprint: record.party for record in keys}
    refused = {item.index: item for item in result.invalid}
    out = []
    for check in result.checks[0]:
        item = refused.get(check.index)
        out.append(
            {
                "index": check.index,
                "kid": check.kid,
                "party": item.party if item else party_of.get(check.key.fingerprint if check.key else ""),
                "valid": item is None,
                "reason": item.reason if item else None,
                "iat": isoformat(_instant(check.iat)) if check.iat is not None else None,
                "typ": check.header.get("typ"),
            }
        )
    return out


def _instant(iat: int) -> datetime:
    try:
        return datetime.fromtimestamp(iat, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.max.replace(tzinfo=UTC)


def _finish(args: argparse.Namespace, report: dict[str, Any], result: str, reason: str | None, status: int) -> int:
    report = {"result": result, "reason": reason, **report}
    if args.json:
        print(files.pretty(report))
        return status
    for entry in report["signatures"]:
        verdict = "valid" if entry["valid"] else f"INVALID ({entry['reason']})"
        print(
            f"signature {entry['index']}: {verdict}  party {entry['party'] or '?'}  kid {entry['kid']}  "
            f"iat {entry['iat']}"
        )
    if report["roster"] and report["roster"]["version"] is not None:
        print(f"roster: version {report['roster']['version']} {report['roster']['digest']}")
    print(f"{result}" + (f": {reason}" if reason else ""))
    return status

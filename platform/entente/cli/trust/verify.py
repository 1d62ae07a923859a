"""``entente verify FILE-OR-URL``: check a published PDF, a publication bundle, or a release's URL
offline (see :mod:`entente.verification`); ``entente verify --payload FILE JWS-FILE``: check a detached
JWS against a roster chain or JWK Sets. Exit 0 valid, 1 invalid, 2 usage, 3 indeterminate.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from entente import canonical, quorum, signing
from entente.cli.common import EXIT_FAILED, EXIT_INDETERMINATE, EXIT_OK, EXIT_USAGE, command
from entente.cli.trust import files
from entente.clock import isoformat, system_clock
from entente.errors import EntenteError, InvalidInputError, UnavailableError
from entente.parties import chain

UNKNOWN_PARTY = "?"


def register(commands: Any) -> None:
    p = command(commands, "verify", cmd_verify)
    p.add_argument("file", metavar="FILE-OR-URL", help="a PDF, a bundle, a release URL; or the JWS file (--payload)")
    p.add_argument(
        "--roster-pin", metavar="FILE", help="a roster document you trust (/.well-known/entente/roster/1.json)"
    )
    p.add_argument("--log-key", metavar="KEY", help="the log's verifier key string you trust (or a file holding it)")
    p.add_argument("--certificate", metavar="PEM", help="the PDF signing certificate you trust")
    p.add_argument(
        "--cosignatures", type=int, default=0, metavar="K", help="require K party cosignatures of the log checkpoint"
    )
    p.add_argument(
        "--explain", action="store_true", help="print the same checks as openssl, pdfsig and Python commands"
    )
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


def cmd_verify(args: argparse.Namespace) -> int:
    """verify a published PDF, a publication bundle or a release URL; or a detached JWS (--payload)

    FILE-OR-URL: a published PDF, a publication bundle, or the URL of a release page
    (https://host/releases/ID brings both). Checks the PDF signature (PAdES), the embedded files against each other,
    the roster chain, the canonical bytes, every JWS, the quorum, every disclosure, the log's inclusion proofs against
    a signed checkpoint, cosignatures, and that the text was committed in the log before the release. With --payload:
    check every signature of a JWS file over the exact bytes of the payload file, with keys from a roster chain
    (--roster) or JWK Sets (--jwks). Exit 0 valid, 1 invalid, 2 usage, 3 indeterminate (something could not be
    checked)."""
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
    """``entente verify FILE-OR-URL``: a PDF, a bundle, or both from a release URL."""
    from entente import verification
    from entente.verification import explain, sources

    if args.cosignatures < 0:
        print("entente: --cosignatures must not be negative", file=sys.stderr)
        return EXIT_USAGE
    options = verification.VerifyOptions(
        roster_pin=files.read_bytes(args.roster_pin) if args.roster_pin else None,
        log_key=_log_key(args.log_key),
        certificate=files.read_bytes(args.certificate) if args.certificate else None,
        cosigners=args.cosignatures,
    )
    try:
        material = sources.load(args.file)
    except UnavailableError as exc:
        return _verdict(args, verification.Report(args.file), f"cannot check: {exc}", EXIT_INDETERMINATE)
    except InvalidInputError as exc:
        report = verification.Report(args.file)
        report.fail("input", str(exc))
        return _report(args, report)
    if args.explain:
        print(explain.script(material, source=args.file), end="")
        return EXIT_OK
    if material.pdf is not None:
        report = verification.verify_pdf(material.pdf, options, subject=material.subject, bundle=material.bundle)
    else:
        report = verification.verify_bundle(material.bundle, options, subject=material.subject)
    return _report(args, report)


def _log_key(value: str | None) -> str | None:
    if value is None or "+" in value:
        return value
    return files.read_bytes(value).decode("utf-8", "replace").strip()


def _report(args: argparse.Namespace, report: Any) -> int:
    status = {"valid": EXIT_OK, "invalid": EXIT_FAILED, "indeterminate": EXIT_INDETERMINATE}[report.verdict]
    return _verdict(args, report, report.reason, status)


def _verdict(args: argparse.Namespace, report: Any, reason: str | None, status: int) -> int:
    verdict = {EXIT_OK: "valid", EXIT_FAILED: "invalid"}.get(status, "indeterminate")
    if args.json:
        print(files.pretty({**report.to_dict(), "result": verdict, "reason": reason}))
        return status
    marks = {"ok": "ok  ", "failed": "FAIL", "indeterminate": "??  "}
    for check in report.checks:
        print(f"{marks[str(check.status)]} {check.name}: {check.detail}")
    for trusted in report.trusted:
        print(f"trusted: {trusted}")
    print(verdict + (f": {reason}" if reason and verdict != "valid" else ""))
    return status


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
    party = value.get("party")
    party = party if isinstance(party, str) else UNKNOWN_PARTY
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

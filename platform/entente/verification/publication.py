"""The checks of a publication: over a bundle (``verify_bundle``) or a signed PDF (``verify_pdf``).

Both come down to the same parts: the exact version bytes, the public disclosures, the sign-off
envelopes, the roster chain, and the log's commitment (and, in a bundle, the publication entry). Each
check adds one line to the :class:`Report`; a malformed part fails its check with a reason and the
checks that need it are skipped, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from entente import canonical, quorum
from entente.errors import EntenteError
from entente.parties import chain as roster_chain
from entente.verification.alignments import check_alignments
from entente.verification.logcheck import check_log
from entente.verification.parts import Parts, VerifyOptions, guard
from entente.verification.report import Report

SIGNOFF_TYP = "entente-signoff+jws"
VERSION_TYPE = "entente-communique-version"
#: Version object formats: 1 lists each item's marking in the clear, 2 only the digest of its disclosure.
FORMATS = (1, 2)
ATTACHMENTS = ("version.json", "disclosures.json", "signoffs.json", "roster.json", "log-proof.json")
PARTY_VIEW = (
    'it carries no roster and no log proof; check it by hand (docs/verification.md, "Checking a party\'s own PDF")'
)


# --- the parts -------------------------------------------------------------------------------------


def _check_version(report: Report, parts: Parts) -> None:
    obj = canonical.require_canonical(parts.version)
    if not isinstance(obj, dict) or obj.get("type") != VERSION_TYPE:
        report.fail("version", f"not an {VERSION_TYPE} object")
        return
    if obj.get("format", 1) not in FORMATS:
        report.fail("version", f"version object format {obj.get('format')!r} is not one this verifier knows (1, 2)")
        return
    digest = canonical.digest(parts.version)
    parts.facts.update(obj=obj, digest=digest)
    if parts.record is not None and parts.record.get("version_digest") != digest:
        report.fail("version", f"the bytes hash to {digest}, the record says {parts.record.get('version_digest')}")
        return
    report.ok("version", f"canonical RFC 8785 bytes, {digest} (version {obj.get('version')} of “{obj.get('title')}”)")


def _check_disclosures(report: Report, parts: Parts) -> None:
    obj = parts.facts["obj"]
    shown = parts.disclosures
    if not isinstance(shown, Mapping):
        raise ValueError("disclosures must be an object {sections, annex}")
    counts = {}
    markings_hidden = obj.get("format", 1) == 2
    for part in ("sections", "annex"):
        encoded = shown.get(part, [])
        entries = obj[part]
        if not isinstance(entries, list) or not all(_entry_ok(entry, markings_hidden) for entry in entries):
            report.fail("disclosures", f"the version object's {part} are not well-formed digest entries")
            return
        listed = [entry["digest"] for entry in entries]
        if not isinstance(encoded, list) or not all(isinstance(e, str) for e in encoded):
            raise ValueError(f"disclosures.{part} must be a list of strings")
        result = canonical.check_disclosures(encoded, listed)
        if not result.ok:
            report.fail(
                "disclosures",
                f"{part}: {len(result.unknown) + len(result.malformed)} disclosure(s) match nothing signed",
            )
            return
        counts[part] = (len(result.matched), len(listed) - len(result.matched))
    if parts.record is not None:
        withheld = parts.record.get("withheld", {})
        if withheld != {"sections": counts["sections"][1], "annex": counts["annex"][1]}:
            report.fail("disclosures", f"the record says {withheld} withheld, the version object says otherwise")
            return
    report.ok(
        "disclosures",
        f"{counts['sections'][0]} section(s) and {counts['annex'][0]} annex item(s) shown match their signed digests; "
        f"{counts['sections'][1]} section(s) and {counts['annex'][1]} annex item(s) withheld from the public"
        + (
            " (their markings too: the signatures cover them as digests)"
            if markings_hidden
            else " (format 1: the version object lists every item's marking in the clear)"
        ),
    )


def _entry_ok(entry: Any, markings_hidden: bool) -> bool:
    """A version object's item entry: ``{"digest", "marking"}``, the marking a digest (format 2) or an
    object (format 1)."""
    if not isinstance(entry, Mapping) or set(entry) != {"digest", "marking"} or not isinstance(entry["digest"], str):
        return False
    return isinstance(entry["marking"], str) if markings_hidden else isinstance(entry["marking"], Mapping)


def _signing_instant(envelopes: list[Any]) -> datetime | None:
    instants = []
    for envelope in envelopes:
        for signature in envelope.get("signatures", []) if isinstance(envelope, Mapping) else []:
            try:
                header = canonical.parse_strict(canonical.b64url_decode(signature["protected"]))
                instants.append(int(header["iat"]))
            except (EntenteError, KeyError, TypeError, ValueError):
                continue
    return datetime.fromtimestamp(max(instants), tz=UTC) if instants else None


def _check_roster(report: Report, parts: Parts, options: VerifyOptions) -> None:
    documents = parts.roster
    if documents == []:
        report.fail("roster", "the publication carries no signed roster: no key can be trusted for the signatures")
        return
    if not isinstance(documents, list):
        raise ValueError("the roster chain must be a list of roster documents")
    read = [roster_chain.read_roster_document(canonical.canonical_bytes(d)) for d in documents]
    start = 0
    if options.roster_pin is not None:
        pinned_bytes, _ = roster_chain.read_roster_document(options.roster_pin)
        start = next((i for i, (data, _) in enumerate(read) if data == pinned_bytes), -1)
        if start < 0:
            report.fail("roster", "the pinned roster is not in this publication's roster chain")
            return
    else:
        report.trusted.append("the first roster version as published with it (pin one with --roster-pin)")
    (first, first_envelopes), rest = read[start], read[start + 1 :]
    signoffs = parts.signoffs if isinstance(parts.signoffs, Mapping) else {}
    at = _signing_instant(list(signoffs.get("explicit", []))) or datetime.now(UTC)
    result = roster_chain.verify_roster_chain(first, rest, at, pinned_envelopes=first_envelopes or None)
    if not result.ok or result.trusted is None:
        report.fail("roster", f"the roster chain does not hold: {result.reason}: {result.detail}")
        return
    parts.facts["roster"] = result.trusted
    report.ok(
        "roster",
        f"chain of {len(read) - start} version(s) holds; version {result.trusted.version} {result.trusted.digest}",
    )


def _check_signatures(report: Report, parts: Parts) -> None:
    obj, roster = parts.facts["obj"], parts.facts["roster"]
    signoffs = parts.signoffs
    if not isinstance(signoffs, Mapping):
        raise ValueError("signoffs must be an object {explicit, presigned}")
    explicit, presigned = list(signoffs.get("explicit", [])), list(signoffs.get("presigned", []))
    policy = roster.policy_for(obj["kind"])
    result = quorum.evaluate(
        parts.version, explicit, keys=roster.keys, participants=obj["parties"], policy=policy, typ=SIGNOFF_TYP
    )
    if result.invalid:
        bad = result.invalid[0]
        report.fail(
            "signatures", f"{len(result.invalid)} signature(s) refused; first: {bad.party or bad.kid}: {bad.reason}"
        )
        return
    parts.facts["signed_at_release"] = list(result.signed)
    count = sum(len(checks) for checks in result.checks)
    report.ok(
        "signatures",
        f"{count} JWS signature(s) verify over the exact version bytes: {', '.join(result.signed) or 'none'}",
    )
    if result.met:
        report.ok(
            "quorum", f"met: signed by {', '.join(result.signed)} of {', '.join(obj['parties'])} ({_policy(policy)})"
        )
    elif presigned:
        report.unsure(
            "quorum",
            f"explicit signatures lack {', '.join(result.missing) or f'{result.needed} more party'}; "
            f"{len(presigned)} crisis-template pre-signature(s) may cover them: re-render the template to check",
        )
    else:
        lacking = ", ".join(result.missing) if result.missing else f"{result.needed} more party(ies)"
        report.fail("quorum", f"not met: missing {lacking} ({_policy(policy)})")


def _policy(policy: quorum.Policy) -> str:
    if policy.all_participants:
        return "policy: every participating party signs"
    return f"policy: {policy.threshold} of the participants" + (
        f", including {', '.join(sorted(policy.required))}" if policy.required else ""
    )


def _run(report: Report, parts: Parts, options: VerifyOptions) -> Report:
    if not guard(report, "version", lambda: _check_version(report, parts)) or "obj" not in parts.facts:
        return report
    guard(report, "disclosures", lambda: _check_disclosures(report, parts))
    if guard(report, "roster", lambda: _check_roster(report, parts, options)) and "roster" in parts.facts:
        guard(report, "signatures", lambda: _check_signatures(report, parts))
    guard(report, "log", lambda: check_log(report, parts, options))
    if parts.alignments and "roster" in parts.facts:
        guard(report, "alignments", lambda: check_alignments(report, parts))
    return report


# --- entry points ----------------------------------------------------------------------------------------


def verify_bundle(bundle: Any, options: VerifyOptions, *, subject: str = "bundle", pdf: bytes | None = None) -> Report:
    """Check a publication bundle (``GET /api/v1/public/communiques/{id}/bundle``), and the PDF's digest
    against the publication entry when the PDF is given too."""
    report = Report(subject)
    try:
        if not isinstance(bundle, Mapping) or bundle.get("type") != "entente-bundle":
            raise ValueError("not an Entente publication bundle")
        record = bundle["record"]
        parts = Parts(
            version=canonical.b64url_decode(record["version"]),
            disclosures=record["disclosures"],
            signoffs=record["signoffs"],
            roster=bundle["roster"],
            log=bundle["log"],
            record=record,
            pdf_digest=canonical.digest(pdf) if pdf is not None else None,
            alignments=bundle.get("alignments"),
        )
    except (EntenteError, ValueError, KeyError, TypeError) as exc:
        report.fail("bundle", str(exc).splitlines()[0][:200] or "malformed")
        return report
    return _run(report, parts, options)


def verify_pdf(pdf: bytes, options: VerifyOptions, *, subject: str = "PDF", bundle: Any = None) -> Report:
    """Check a published PDF: its PAdES signature, its embedded files against each other, and (given the
    bundle too) that the log's publication entry names this PDF, and the bundle's later alignments."""
    from entente.documents.checking import check_pdf

    report = Report(subject)
    checked = check_pdf(pdf, options.certificate)
    if not checked.valid:
        report.fail("PDF signature", checked.reason)
        return report
    report.ok("PDF signature", f"PAdES signature valid over the whole file, by {checked.signer} ({checked.signed_at})")
    if options.certificate is None:
        report.trusted.append("the PDF signing certificate embedded in the PDF (pin it with --certificate)")
    files = checked.attachments
    missing = [name for name in ATTACHMENTS if name not in files]
    if missing == ["roster.json", "log-proof.json"]:  # what a party's own PDF of a version lacks
        report.fail("attachments", f"a party's own view of a version, not a publication: {PARTY_VIEW}")
        return report
    if missing:
        report.fail("attachments", f"missing {', '.join(missing)}")
        return report
    try:
        parts = Parts(
            version=files["version.json"],
            disclosures=canonical.parse_strict(files["disclosures.json"]),
            signoffs=canonical.parse_strict(files["signoffs.json"]),
            roster=canonical.parse_strict(files["roster.json"]),
            log=canonical.parse_strict(files["log-proof.json"]),
            alignments=canonical.parse_strict(files["alignments.json"]) if "alignments.json" in files else None,
        )
    except EntenteError as exc:
        report.fail("attachments", f"an embedded file is not strict JSON: {exc}")
        return report
    report.ok("attachments", f"{len(ATTACHMENTS)} embedded files: {', '.join(ATTACHMENTS)}")
    _run(report, parts, options)
    if bundle is not None:
        from_bundle = verify_bundle(bundle, options, subject="bundle", pdf=pdf)
        same = isinstance(bundle, Mapping) and _bundle_version(bundle) == parts.version
        # The bundle's later alignments too, when this PDF embeds none (the original PDF of a release).
        report.checks.extend(
            c
            for c in from_bundle.checks
            if c.name in {"log publication", "bundle"} or (parts.alignments is None and c.name.startswith("alignment"))
        )
        if not same:
            report.fail("bundle", "the bundle's version bytes are not the PDF's")
    return report


def _bundle_version(bundle: Mapping[str, Any]) -> bytes | None:
    try:
        return canonical.b64url_decode(bundle["record"]["version"])
    except (EntenteError, KeyError, TypeError):
        return None

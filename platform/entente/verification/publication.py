"""The checks of a publication: over a bundle (``verify_bundle``) or a signed PDF (``verify_pdf``).

Both come down to the same parts: the exact version bytes, the public disclosures, the sign-off
envelopes, the roster chain, and the log's commitment (and, in a bundle, the publication entry). Each
check adds one line to the :class:`Report`; a malformed part fails its check with a reason and the
checks that need it are skipped, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from entente import canonical, quorum
from entente.errors import EntenteError
from entente.parties import chain as roster_chain
from entente.verification.report import Report

__all__ = ["VerifyOptions", "verify_bundle", "verify_pdf"]

SIGNOFF_TYP = "entente-signoff+jws"
ALIGNMENT_TYP = "entente-alignment+jws"
VERSION_TYPE = "entente-communique-version"
#: Version object formats: 1 lists each item's marking in the clear, 2 only the digest of its disclosure.
FORMATS = (1, 2)
ATTACHMENTS = ("version.json", "disclosures.json", "signoffs.json", "roster.json", "log-proof.json")
MAX_PROOF = 64  # an RFC 9162 proof of any tree below 2^64 leaves is shorter


@dataclass(frozen=True)
class VerifyOptions:
    roster_pin: bytes | None = None  # a roster document the verifier trusts (the chain starts there)
    log_key: str | None = None  # the log's verifier key string, pinned
    certificate: bytes | None = None  # the platform's PDF signing certificate (PEM), pinned
    cosigners: int = 0  # how many party cosignatures of the checkpoint are required


@dataclass
class _Parts:
    version: bytes
    disclosures: Any
    signoffs: Any
    roster: Any
    log: Any
    record: dict[str, Any] | None = None
    pdf_digest: str | None = None
    alignments: Any = None
    facts: dict[str, Any] = field(default_factory=dict)


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def _guard(report: Report, name: str, step: Callable[[], None]) -> bool:
    """Run one check; any malformed input becomes a failed check with a one-line reason."""
    try:
        step()
    except EntenteError as exc:
        report.fail(name, _line(exc.detail))
        return False
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        report.fail(name, f"malformed: {_line(str(exc)) or type(exc).__name__}")
        return False
    return True


def _line(text: str) -> str:
    return text.splitlines()[0][:200] if text else ""


# --- the parts -------------------------------------------------------------------------------------


def _check_version(report: Report, parts: _Parts) -> None:
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


def _check_disclosures(report: Report, parts: _Parts) -> None:
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


def _check_roster(report: Report, parts: _Parts, options: VerifyOptions) -> None:
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


def _check_signatures(report: Report, parts: _Parts) -> None:
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


# --- the log ------------------------------------------------------------------------------------------


def _check_log(report: Report, parts: _Parts, options: VerifyOptions) -> None:
    from entente.transparency import merkle, note

    log = parts.log
    if not isinstance(log, Mapping):
        raise ValueError("the log part must be an object")
    key = options.log_key or log.get("key")
    if not isinstance(key, str) or not key:
        report.fail("log checkpoint", "no log key to check the checkpoint with")
        return
    if options.log_key is None:
        report.trusted.append("the log key as published with it (pin it with --log-key)")
    if not log.get("checkpoint"):
        report.unsure("log checkpoint", "the log has signed no checkpoint yet (try again in a minute)")
        return
    log_verifier = note.parse_verifier_key(key)
    roster = parts.facts.get("roster")
    cosigners = [
        note.Verifier(note.cosigner_name(log_verifier.name, party.code), record.key, note.COSIGNATURE_TYPE)
        for party in (roster.parties if roster is not None else ())
        for record in party.keys
        if record.key.alg == "Ed25519"
    ]
    opened = note.open_checkpoint(
        str(log.get("checkpoint") or ""), log_verifier, cosigners=cosigners, require=options.cosigners
    )
    checkpoint = opened.checkpoint
    parts.facts["checkpoint"] = checkpoint
    report.ok("log checkpoint", f"{checkpoint.origin} size {checkpoint.size}, signed by the log key")
    if opened.cosigned or options.cosigners:
        names = ", ".join(name.rsplit("/", 1)[-1] for name in sorted(opened.cosigned))
        report.ok("cosignatures", f"{len(opened.cosigned)} party cosignature(s) of this checkpoint: {names or 'none'}")

    def included(entry: Mapping[str, Any]) -> bytes:
        leaf = _b64(entry["leaf"])
        proof = [_b64(h) for h in entry["proof"]]
        if len(proof) > MAX_PROOF:
            raise ValueError("the proof is too long")
        merkle.verify_inclusion(merkle.leaf_hash(leaf), int(entry["index"]), checkpoint.size, proof, checkpoint.root)
        return leaf

    commitment = log["commitment"]
    if commitment is None:
        report.unsure("log commitment", "no signed checkpoint covers the commitment yet (try again in a minute)")
        return
    leaf = canonical.parse_strict(included(commitment))
    salt = canonical.b64url_decode(commitment["salt"])
    expected = "sha256:" + hashlib.sha256(salt + parts.facts["digest"].encode("ascii")).hexdigest()
    if leaf.get("type") != "entente-commitment" or leaf.get("commitment") != expected:
        report.fail("log commitment", "the logged commitment does not open to this version's digest")
        return
    report.ok("log commitment", f"entry {commitment['index']} commits to this version since {leaf.get('at')}")
    publication = log.get("publication")
    if parts.record is None:
        return
    if publication is None:
        report.unsure("log publication", "the publication entry is not in the log yet (try again in a minute)")
        return
    entry = canonical.parse_strict(included(publication))
    record = parts.record
    envelopes = canonical.digest(canonical.canonical_bytes(record["signoffs"]))
    wrong = [
        name
        for name, ok in (
            ("type", entry.get("type") == "entente-publication"),
            ("version digest", entry.get("version_digest") == parts.facts["digest"]),
            ("envelopes digest", entry.get("envelopes_digest") == envelopes),
            ("release instant", entry.get("released_at") == record.get("embargo_at")),
            ("commitment", entry.get("commitment") == {"index": commitment["index"], "salt": commitment["salt"]}),
            ("order", int(commitment["index"]) < int(publication["index"])),
            ("PDF digest", parts.pdf_digest is None or entry.get("pdf_digest") == parts.pdf_digest),
        )
        if not ok
    ]
    if wrong:
        report.fail("log publication", f"entry {publication['index']} disagrees: {', '.join(wrong)}")
        return
    report.ok(
        "log publication",
        f"entry {publication['index']} records the release at {entry['released_at']}, after the commitment "
        f"(entry {commitment['index']}): the text was fixed before the embargo lifted",
    )


# --- later alignments ---------------------------------------------------------------------------------


def _statement_digest(statement: str) -> str:
    import unicodedata

    return "sha256:" + hashlib.sha256(unicodedata.normalize("NFC", statement.strip()).encode("utf-8")).hexdigest()


def _included(parts: _Parts, entry: Mapping[str, Any]) -> bytes | None:
    """The leaf of ``entry`` once its inclusion proof holds against the checked checkpoint (None: no checkpoint)."""
    from entente.transparency import merkle

    checkpoint = parts.facts.get("checkpoint")
    if checkpoint is None:
        return None
    leaf = _b64(entry["leaf"])
    proof = [_b64(h) for h in entry["proof"]]
    if len(proof) > MAX_PROOF:
        raise ValueError("the proof is too long")
    merkle.verify_inclusion(merkle.leaf_hash(leaf), int(entry["index"]), checkpoint.size, proof, checkpoint.root)
    return leaf


def _check_alignment(report: Report, parts: _Parts, item: Mapping[str, Any], aligned: list[str]) -> None:
    roster = parts.facts["roster"]
    party, statement, envelope = item["party"], item.get("statement"), item["envelope"]
    name = f"alignment {party}"
    if party in parts.facts.get("signed_at_release", ()):
        report.fail(name, f"{party} signed at release already: an alignment cannot be counted twice")
        return
    result = quorum.evaluate(
        parts.version,
        [envelope],
        keys=roster.keys,
        participants=[party],
        policy=quorum.Policy(all_participants=False, threshold=1),
        typ=ALIGNMENT_TYP,
    )
    if result.invalid or result.signed != [party]:
        bad = result.invalid[0].reason if result.invalid else f"no signature by a key of {party} in the roster"
        report.fail(name, f"the alignment signature is refused: {bad}")
        return
    expected = _statement_digest(statement) if statement is not None else None
    for header in _headers(envelope):
        if header.get("statement_digest") != expected:
            report.fail(name, "the statement shown is not the one the party signed (statement_digest)")
            return
    entry = item.get("log")
    if entry is None:
        report.unsure(name, f"{party}'s signature verifies; its log entry is not covered by a checkpoint yet")
        return
    leaf_bytes = _included(parts, entry)
    if leaf_bytes is None:
        report.unsure(name, f"{party}'s signature verifies; no checkpoint to check its log entry against")
        return
    leaf = canonical.parse_strict(leaf_bytes)
    record_id = parts.record.get("communique") if parts.record is not None else leaf.get("communique")
    wrong = [
        label
        for label, ok in (
            ("type", leaf.get("type") == "entente-alignment"),
            ("communiqué", leaf.get("communique") == record_id),
            ("version digest", leaf.get("version_digest") == parts.facts["digest"]),
            ("party", leaf.get("party") == party),
            ("envelope digest", leaf.get("envelope_digest") == canonical.digest(canonical.canonical_bytes(envelope))),
            ("statement digest", leaf.get("statement_digest") == expected),
            ("date", leaf.get("aligned_at") == item.get("aligned_at")),
        )
        if not ok
    ]
    if wrong:
        report.fail(name, f"log entry {entry['index']} disagrees: {', '.join(wrong)}")
        return
    withdrawn = item.get("withdrawn")
    if withdrawn:
        if withdrawn.get("log") is None:
            report.unsure(name, f"{party} withdrew its alignment; the withdrawal is not covered by a checkpoint yet")
            return
        w_bytes = _included(parts, withdrawn["log"])
        w = canonical.parse_strict(w_bytes or b"{}")
        if (
            w.get("type") != "entente-alignment-withdrawal"
            or w.get("alignment") != entry["index"]
            or w.get("party") != party
            or w.get("withdrawn_at") != withdrawn.get("at")
            or w.get("reason_digest") != _statement_digest(str(withdrawn.get("reason", "")))
        ):
            report.fail(name, f"withdrawal log entry {withdrawn['log']['index']} disagrees with the bundle")
            return
        report.ok(
            name,
            f"aligned at {item['aligned_at']} (log entry {entry['index']}), withdrawn at {withdrawn['at']} "
            f"(log entry {withdrawn['log']['index']}): {withdrawn.get('reason')}",
        )
        return
    aligned.append(party)
    report.ok(
        name,
        f"aligned at {item['aligned_at']}: JWS verifies over the released version bytes with {party}'s key; "
        f"log entry {entry['index']}" + (" (with a signed statement)" if statement is not None else ""),
    )


def _headers(envelope: Any) -> list[dict[str, Any]]:
    out = []
    for signature in envelope.get("signatures", []) if isinstance(envelope, Mapping) else []:
        header = canonical.parse_strict(canonical.b64url_decode(signature["protected"]))
        out.append(header if isinstance(header, dict) else {})
    return out


def _check_alignments(report: Report, parts: _Parts) -> None:
    items = parts.alignments
    if not items:
        return
    if not isinstance(items, list):
        raise ValueError("alignments must be a list")
    aligned: list[str] = []
    for item in items:
        _guard(
            report,
            f"alignment {item.get('party') if isinstance(item, Mapping) else '?'}",
            partial(_check_alignment, report, parts, item, aligned),
        )
    at_release = parts.facts.get("signed_at_release", [])
    report.ok(
        "alignments",
        f"at release: {', '.join(at_release) or 'none'}; aligned later (not withdrawn): {', '.join(aligned) or 'none'}",
    )


def _run(report: Report, parts: _Parts, options: VerifyOptions) -> Report:
    if not _guard(report, "version", lambda: _check_version(report, parts)) or "obj" not in parts.facts:
        return report
    _guard(report, "disclosures", lambda: _check_disclosures(report, parts))
    if _guard(report, "roster", lambda: _check_roster(report, parts, options)) and "roster" in parts.facts:
        _guard(report, "signatures", lambda: _check_signatures(report, parts))
    _guard(report, "log", lambda: _check_log(report, parts, options))
    if parts.alignments and "roster" in parts.facts:
        _guard(report, "alignments", lambda: _check_alignments(report, parts))
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
        parts = _Parts(
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
    bundle too) that the log's publication entry names this PDF."""
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
    if missing:
        report.fail("attachments", f"missing {', '.join(missing)}")
        return report
    try:
        parts = _Parts(
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
        report.checks.extend(c for c in from_bundle.checks if c.name in {"log publication", "bundle"})
        if not same:
            report.fail("bundle", "the bundle's version bytes are not the PDF's")
    return report


def _bundle_version(bundle: Mapping[str, Any]) -> bytes | None:
    try:
        return canonical.b64url_decode(bundle["record"]["version"])
    except (EntenteError, KeyError, TypeError):
        return None

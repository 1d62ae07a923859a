"""Later alignments in a publication: each party's signature over the released version bytes, its
signed statement, and its log entry (and its withdrawal's), checked against the roster and checkpoint."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import partial
from typing import Any

from entente import canonical, quorum
from entente.verification.parts import Parts, guard, included
from entente.verification.report import Report

ALIGNMENT_TYP = "entente-alignment+jws"


def _statement_digest(statement: str) -> str:
    import unicodedata

    return "sha256:" + hashlib.sha256(unicodedata.normalize("NFC", statement.strip()).encode("utf-8")).hexdigest()


def _included(parts: Parts, entry: Mapping[str, Any]) -> bytes | None:
    """The leaf of ``entry`` once its inclusion proof holds against the checked checkpoint (None: no checkpoint)."""
    checkpoint = parts.facts.get("checkpoint")
    return included(checkpoint, entry) if checkpoint is not None else None


def _check_alignment(report: Report, parts: Parts, item: Mapping[str, Any], aligned: list[str]) -> None:
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


def check_alignments(report: Report, parts: Parts) -> None:
    items = parts.alignments
    if not items:
        return
    if not isinstance(items, list):
        raise ValueError("alignments must be a list")
    aligned: list[str] = []
    for item in items:
        guard(
            report,
            f"alignment {item.get('party') if isinstance(item, Mapping) else '?'}",
            partial(_check_alignment, report, parts, item, aligned),
        )
    at_release = parts.facts.get("signed_at_release", [])
    report.ok(
        "alignments",
        f"at release: {', '.join(at_release) or 'none'}; aligned later (not withdrawn): {', '.join(aligned) or 'none'}",
    )

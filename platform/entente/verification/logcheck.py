"""The log's part of a publication: the checkpoint (and its cosignatures), the commitment opened to
the version's digest, and the publication entry agreeing with the record (see docs/verification.md)."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping

from entente import canonical
from entente.verification.parts import Parts, VerifyOptions, included
from entente.verification.report import Report


def check_log(report: Report, parts: Parts, options: VerifyOptions) -> None:
    from entente.transparency import note

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

    commitment = log["commitment"]
    if commitment is None:
        report.unsure("log commitment", "no signed checkpoint covers the commitment yet (try again in a minute)")
        return
    leaf = canonical.parse_strict(included(checkpoint, commitment))
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
    entry = canonical.parse_strict(included(checkpoint, publication))
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

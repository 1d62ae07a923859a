"""Building a ``DocumentSpec``: the public PDF from a public release record, and a party's own view.

:func:`public_spec` reads only the public release record (``releases/artefact.py``): the disclosures
of public items, the withheld counts, the sign-off envelopes and the keys; it never sees anything else.
:func:`party_spec` starts from the reader's :class:`~entente.drafting.reading.VersionView`, which went
through the one visibility function: a party's PDF holds exactly the items its JSON view holds, and (format
2) the same marking disclosures, so the TLP labels it prints can be checked against what the parties signed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from entente import canonical, signing
from entente.clock import parse_instant
from entente.disclosure import Marking
from entente.documents.spec import (
    AUDIENCE_PUBLIC,
    AlignmentRow,
    DesignationRow,
    DocumentAttachment,
    DocumentSpec,
    PartyName,
    SectionSpec,
    SignatureRow,
)
from entente.drafting.versions import object_format

__all__ = [
    "DESIGNATION_KIND",
    "alignment_rows",
    "designation_row",
    "marking_disclosures",
    "party_spec",
    "public_check_steps",
    "public_spec",
    "signature_rows",
]

DESIGNATION_KIND = "designation"
EVIDENCE_KIND = "designation_evidence"


def _instant(value: str) -> datetime:
    return parse_instant(value)


def _when(iat: Any) -> str:
    if type(iat) is not int:
        return ""
    try:
        return datetime.fromtimestamp(iat, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return ""


def _payload_party(envelope: Mapping[str, Any]) -> str | None:
    payload = envelope.get("payload")
    if not isinstance(payload, str):
        return None
    try:
        value = json.loads(canonical.b64url_decode(payload))
    except (ValueError, TypeError):
        return None
    party = value.get("party") if isinstance(value, dict) else None
    return party if isinstance(party, str) else None


def signature_rows(
    explicit: Iterable[Mapping[str, Any]],
    presigned: Iterable[Mapping[str, Any]],
    party_of_kid: Mapping[str, str],
    party_names: Mapping[str, str],
) -> tuple[SignatureRow, ...]:
    """One row per signature of each envelope: party, key fingerprint (kid), signing time, how it was given."""
    rows = []
    for how, envelopes in (("explicit", explicit), ("pre-signed", presigned)):
        for envelope in envelopes:
            for header in signing.protected_headers(envelope):
                if header is None:
                    continue
                kid = header.get("kid")
                kid = kid if isinstance(kid, str) else ""
                party = party_of_kid.get(kid) or _payload_party(envelope) or ""
                rows.append(SignatureRow(party_names.get(party, party), kid, _when(header.get("iat")), how))
    return tuple(sorted(rows, key=lambda r: (r.how != "explicit", r.party, r.kid)))


def _line(*parts: Any) -> str:
    return ", ".join(str(p) for p in parts if p)


def _name(value: Mapping[str, Any] | None) -> tuple[str, str | None, str | None]:
    """(original whole name, its language, the transliterated whole name)."""
    value = value or {}
    original = value.get("original") or {}
    transliterated = value.get("transliterated") or {}
    return str(original.get("whole_name", "")), original.get("language"), transliterated.get("whole_name")


def _identifiers(content: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for title in content.get("titles", ()):
        out.append(str(title))
    for function in content.get("functions", ()):
        out.append(str(function))
    for date in content.get("dates_of_birth", ()):
        out.append(f"born {date.get('text', '')}")
    for place in content.get("places_of_birth", ()):
        out.append("born in " + _line(place.get("city"), place.get("region"), place.get("country")))
    if content.get("nationalities"):
        out.append("nationality " + ", ".join(content["nationalities"]))
    for document in content.get("documents", ()):
        kind = str(document.get("type", "")).replace("_", " ")
        out.append(f"{kind} {document.get('number', '')} ({document.get('country', '')})")
    for registration in content.get("registrations", ()):
        kind = str(registration.get("type", "")).replace("_", " ")
        country = f" ({registration['country']})" if registration.get("country") else ""
        out.append(f"{kind} {registration.get('number', '')}{country}")
    for address in content.get("addresses", ()):
        out.append(
            _line(
                address.get("street"), address.get("city"), address.get("region"),
                address.get("postal_code"), address.get("country"),
            )
        )
    return tuple(out)


def designation_row(
    content: Mapping[str, Any],
    *,
    label: str = "TLP:CLEAR",
    releasable_to: tuple[str, ...] | None = None,
    evidence: Sequence[str] = (),
) -> DesignationRow:
    """A table row from a designation's annex content (names in their original script first)."""
    name, language, transliterated = _name(content.get("primary_name"))
    aliases = []
    for other in content.get("other_names", ()):
        aliases.append(" / ".join(t for t in _name(other)[::2] if t))
    for alias in content.get("aliases", ()):
        aliases.append(" / ".join(t for t in _name(alias.get("name"))[::2] if t))
    return DesignationRow(
        id=str(content.get("id", "")),
        subject_type=str(content.get("subject_type", "")),
        name=name,
        language=language if isinstance(language, str) else None,
        transliterated=transliterated if isinstance(transliterated, str) else None,
        aliases=tuple(aliases),
        identifiers=_identifiers(content),
        measures=tuple(str(m) for m in content.get("measures", ())),
        reasons=str(content.get("reasons", "")),
        label=label,
        releasable_to=releasable_to,
        evidence=tuple(evidence),
    )


def _annex_section(
    kind: str, content: Any, *, label: str = "TLP:CLEAR", to: tuple[str, ...] | None = None
) -> SectionSpec:
    body = "```\n" + json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True) + "\n```"
    return SectionSpec(f"Annex: {kind.replace('_', ' ')}", body, label, to)


def public_check_steps(base_url: str = "") -> tuple[str, ...]:
    where = f"{base_url.rstrip('/')}/.well-known/entente/pdf-signing.pem" if base_url else (
        "/.well-known/entente/pdf-signing.pem on the publishing server"
    )
    return (
        f"This file is signed by the publishing platform (PAdES). Check it with any PDF reader or with "
        f"poppler's pdfsig; the signing certificate is published at {where}.",
        "Extract the attached files (pdfdetach -saveall). version.json holds the exact bytes the parties "
        "signed: their SHA-256 is the version digest printed above.",
        "Each JSON Web Signature in signoffs.json verifies over those bytes (detached payload) with the "
        "party keys listed in roster.json, the coalition's signed roster.",
        "Each entry of disclosures.json hashes to a digest the version lists: the text above is the text "
        "that was signed. Withheld items, and who may read them, are listed only by digest.",
        "log-proof.json proves this publication is in the public transparency log. "
        "`entente verify <this file>` runs every check at once.",
    )


def public_spec(
    record: Mapping[str, Any],
    party_names: Mapping[str, str],
    attachments: Sequence[DocumentAttachment],
    *,
    base_url: str = "",
) -> DocumentSpec:
    """The public PDF's spec from a public release record (the artefact of ``releases.render_artefact``)."""
    sections: list[SectionSpec] = []
    for encoded in record["disclosures"]["sections"]:
        value = canonical.decode_disclosure(encoded).value
        sections.append(SectionSpec(str(value["heading"]), str(value["body"])))
    designations: list[DesignationRow] = []
    evidence: dict[str, list[str]] = {}
    others: list[SectionSpec] = []
    annex = [canonical.decode_disclosure(encoded).value for encoded in record["disclosures"]["annex"]]
    for value in annex:
        if value["kind"] == EVIDENCE_KIND:
            evidence.setdefault(str(value["content"].get("designation")), []).append(str(value["content"]["text"]))
    for value in annex:
        if value["kind"] == DESIGNATION_KIND:
            content = value["content"]
            designations.append(designation_row(content, evidence=evidence.get(str(content.get("id")), ())))
        elif value["kind"] != EVIDENCE_KIND:
            others.append(_annex_section(str(value["kind"]), value["content"]))
    party_of_kid = {k["kid"]: k["party"] for k in record.get("keys", ())}
    names = {code: party_names.get(code, code) for code in record["parties"]}
    withheld = record["withheld"]
    return DocumentSpec(
        title=str(record["title"]),
        kind=str(record["kind"]),
        lead=PartyName(record["lead"], party_names.get(record["lead"], record["lead"])),
        parties=tuple(PartyName(code, names[code]) for code in record["parties"]),
        sections=(*sections, *others),
        designations=tuple(designations),
        withheld=int(withheld["sections"]) + int(withheld["annex"]),
        released_at=_instant(record["embargo_at"]),
        signatures=signature_rows(
            record["signoffs"]["explicit"], record["signoffs"]["presigned"], party_of_kid, party_names
        ),
        version_number=int(record["version_number"]),
        version_digest=str(record["version_digest"]),
        how_to_check=public_check_steps(base_url),
        audience=AUDIENCE_PUBLIC,
        attachments=tuple(attachments),
    )


def alignment_rows(alignments: Iterable[Mapping[str, Any]], party_names: Mapping[str, str]) -> tuple[AlignmentRow, ...]:
    """One row per later alignment of a publication bundle's ``alignments`` part."""
    rows = []
    for item in alignments:
        kids = [
            header.get("kid", "")
            for header in signing.protected_headers(item["envelope"])
            if header is not None
        ]
        withdrawn = item.get("withdrawn")
        rows.append(
            AlignmentRow(
                party=party_names.get(item["party"], item["party"]),
                kid=", ".join(str(k) for k in kids),
                aligned_at=_instant(item["aligned_at"]).strftime("%Y-%m-%d %H:%M UTC"),
                statement=item.get("statement"),
                withdrawn=(
                    f"{_instant(withdrawn['at']).strftime('%Y-%m-%d %H:%M UTC')}: {withdrawn['reason']}"
                    if withdrawn
                    else None
                ),
            )
        )
    return tuple(rows)


def _names(codes: Iterable[str], party_names: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(party_names.get(code, code) for code in sorted(codes))


def releasable_header(markings: Iterable[Marking], party_names: Mapping[str, str]) -> str:
    """What a whole view may be shown to: the strictest marking among its items (their intersection)."""
    restricted = [m.parties for m in markings if not m.public]
    if not restricted:
        return "TLP:CLEAR · every item of this view is public text"
    common = frozenset.intersection(*restricted)
    label = "TLP:RED" if len(common) <= 1 else "TLP:AMBER"
    names = ", ".join(_names(common, party_names)) or "nobody outside the authors"
    return f"{label} · Releasable to {names} only"


def marking_disclosures(view: Any) -> dict[str, Any] | None:
    """``markings.json`` of a party's view: the disclosure of the marking of each item it shows, as the JSON
    view gives it beside the item, or None for a format 1 version, whose object lists every marking in the
    clear. A withheld item's marking (who may read it), which the JSON view gives a participant, stays out:
    the PDF is labelled by what it shows, and a file labelled TLP:CLEAR may travel where that must not.

    ``sections`` and ``annex`` follow ``disclosures.json``; each entry names its item's digest, so the
    marking disclosure's own digest is found beside it in the version object."""
    if object_format(canonical.parse_strict(view.version.content)) == 1:
        return None
    return {
        "sections": [{"digest": s.digest, "marking_disclosure": s.marking_disclosure} for s in view.sections],
        "annex": [{"digest": s.digest, "marking_disclosure": s.marking_disclosure} for s in view.annex],
    }


def party_spec(
    view: Any,
    *,
    viewer_party: str,
    party_names: Mapping[str, str],
    explicit: Sequence[Mapping[str, Any]],
    presigned: Sequence[Mapping[str, Any]],
    party_of_kid: Mapping[str, str],
    released_at: datetime | None,
    embargoed_until: datetime | None,
) -> DocumentSpec:
    """A party's own view of a version as a PDF: only the items in ``view`` (a ``VersionView``, already
    filtered by the visibility function), each with its TLP banner."""
    from entente.sanctions.annex import assemble

    obj = canonical.parse_strict(view.version.content)
    sections = tuple(
        SectionSpec(
            s.item.heading,
            s.item.body,
            s.item.marking.tlp,
            None if s.item.marking.public else _names(s.item.marking.parties, party_names),
        )
        for s in view.sections
    )
    designations = []
    for placed in assemble(view.annex):
        content = placed.designation.to_annex_content()
        lines = [
            f"{e['marking'].get('tlp', '')} {e['text']}".strip() for e in content.get("evidence", ())
        ]
        marking = placed.marking
        designations.append(
            designation_row(
                content,
                label=marking.tlp,
                releasable_to=None if marking.public else _names(marking.parties, party_names),
                evidence=lines,
            )
        )
    others = tuple(
        _annex_section(
            str(s.item.value["kind"]), s.item.value["content"], label=s.item.marking.tlp,
            to=None if s.item.marking.public else _names(s.item.marking.parties, party_names),
        )
        for s in view.annex
        if s.item.value["kind"] not in (DESIGNATION_KIND, EVIDENCE_KIND, "designation_link")
    )
    withheld = view.withheld
    viewer = party_names.get(viewer_party, viewer_party)
    markings = [s.item.marking for s in view.sections] + [s.item.marking for s in view.annex]
    disclosures = {"sections": [s.disclosure for s in view.sections], "annex": [s.disclosure for s in view.annex]}
    attachments: tuple[DocumentAttachment, ...] = (
        DocumentAttachment(
            "version.json", bytes(view.version.content), "application/json",
            "The exact version bytes (RFC 8785) the parties sign", "Source",
        ),
        DocumentAttachment(
            "disclosures.json", canonical.canonical_bytes(disclosures), "application/json",
            f"The disclosures of the items {viewer} may see", "Data",
        ),
        DocumentAttachment(
            "signoffs.json",
            canonical.canonical_bytes({"explicit": list(explicit), "presigned": list(presigned)}),
            "application/json", "The JWS sign-offs of this version", "Data",
        ),
    )
    how_to_check: tuple[str, ...] = (
        f"This is the view of {viewer}: it holds only the items marked public or releasable to it. "
        "Do not pass it on beyond what each item's TLP label allows.",
        "version.json holds the exact signed bytes (SHA-256 = the version digest above); each entry of "
        "disclosures.json hashes to a digest the version lists; signoffs.json holds the JWS sign-offs.",
    )
    disclosed_markings = marking_disclosures(view)
    if disclosed_markings is not None:
        attachments += (
            DocumentAttachment(
                "markings.json", canonical.canonical_bytes(disclosed_markings), "application/json",
                f"The disclosure of the marking of every item shown to {viewer}", "Data",
            ),
        )
        how_to_check += (
            "Each marking disclosure in markings.json hashes (SHA-256, base64url) to the marking digest the "
            "version lists beside its item's digest, and names the TLP label and the parties printed on "
            "that item: the labels above are the ones the parties signed.",
        )
    return DocumentSpec(
        title=str(obj["title"]),
        kind=str(obj["kind"]),
        lead=PartyName(obj["lead"], party_names.get(obj["lead"], obj["lead"])),
        parties=tuple(PartyName(code, party_names.get(code, code)) for code in obj["parties"]),
        sections=(*sections, *others),
        designations=tuple(designations),
        withheld=int(withheld.sections) + int(withheld.annex),
        released_at=released_at,
        embargoed_until=embargoed_until,
        releasable_to=releasable_header(markings, party_names),
        signatures=signature_rows(explicit, presigned, party_of_kid, party_names),
        version_number=view.version.number,
        version_digest=view.version.digest,
        how_to_check=how_to_check,
        audience=viewer,
        attachments=attachments,
    )

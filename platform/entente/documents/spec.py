"""What one PDF says: a ``DocumentSpec`` of plain values, built on the event loop and rendered in a worker.

A spec is frozen and picklable (strings, numbers, tuples, bytes), so it crosses into the process pool
whole; the worker needs nothing else (no database, no settings) but the templates folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "AUDIENCE_PUBLIC",
    "AlignmentRow",
    "DesignationRow",
    "DocumentAttachment",
    "DocumentSpec",
    "MEASURE_NAMES",
    "PartyName",
    "ReportSpec",
    "SectionSpec",
    "SignatureRow",
    "measure_name",
]

AUDIENCE_PUBLIC = "the public"


@dataclass(frozen=True)
class PartyName:
    code: str
    name: str


@dataclass(frozen=True)
class SectionSpec:
    """One section: Markdown body, its TLP label and, unless public, the parties it is releasable to."""

    heading: str
    body: str
    label: str = "TLP:CLEAR"
    releasable_to: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DesignationRow:
    """One row of a sanctions package's designation table (names in their original script)."""

    id: str
    subject_type: str
    name: str
    language: str | None
    transliterated: str | None
    aliases: tuple[str, ...]
    identifiers: tuple[str, ...]
    measures: tuple[str, ...]
    reasons: str
    label: str = "TLP:CLEAR"
    releasable_to: tuple[str, ...] | None = None
    evidence: tuple[str, ...] = ()


#: How a designation's measures read, in the PDF and on the pages (an unknown code reads with spaces).
MEASURE_NAMES = {
    "asset_freeze": "asset freeze",
    "funds_prohibition": "funds prohibition",
    "travel_ban": "travel ban",
    "export_restrictions": "export restrictions",
    "import_restrictions": "import restrictions",
    "investment_restrictions": "investment restrictions",
    "financial_services_restrictions": "financial services restrictions",
}


def measure_name(code: str) -> str:
    return MEASURE_NAMES.get(code, str(code).replace("_", " "))


@dataclass(frozen=True)
class SignatureRow:
    party: str  # full name
    kid: str
    signed_at: str  # "2026-11-27 09:00 UTC", or "" when the envelope carries no time
    how: str  # "explicit" or "pre-signed"


@dataclass(frozen=True)
class AlignmentRow:
    """A party that aligned with the released version later: its own date and signature."""

    party: str  # full name
    kid: str
    aligned_at: str  # "2026-12-04 09:00 UTC"
    statement: str | None
    withdrawn: str | None = None  # "2026-12-06 09:00 UTC: reason", once withdrawn


@dataclass(frozen=True)
class DocumentAttachment:
    name: str
    data: bytes
    mime_type: str
    description: str
    relationship: str = "Data"  # AFRelationship: "Data" or "Source"

    def __post_init__(self) -> None:
        if self.relationship not in ("Data", "Source"):
            raise ValueError(f"AFRelationship {self.relationship!r}: use Data or Source")


@dataclass(frozen=True)
class DocumentSpec:
    """One PDF: the public communiqué of a release, or a party's own view of a version."""

    title: str
    kind: str
    lead: PartyName
    parties: tuple[PartyName, ...]
    sections: tuple[SectionSpec, ...]
    version_number: int
    version_digest: str
    audience: str = AUDIENCE_PUBLIC
    designations: tuple[DesignationRow, ...] = ()
    withheld: int = 0
    released_at: datetime | None = None  # the release instant (UTC), printed on the public PDF
    embargoed_until: datetime | None = None  # an EMBARGOED UNTIL watermark on every page
    releasable_to: str | None = None  # a per-party PDF's header: what this view may be shown to
    signatures: tuple[SignatureRow, ...] = ()
    alignments: tuple[AlignmentRow, ...] = ()
    how_to_check: tuple[str, ...] = ()
    attachments: tuple[DocumentAttachment, ...] = field(default=(), repr=False)

    @property
    def is_public(self) -> bool:
        return self.audience == AUDIENCE_PUBLIC


@dataclass(frozen=True)
class ReportSpec:
    """One oversight report: a party's view of a period, its sections in Markdown, its JSON attached.

    ``digest`` is the SHA-256 of the report's canonical JSON (the attachment carries it too).
    """

    title: str
    party: PartyName
    period_from: datetime
    period_to: datetime
    generated_at: datetime
    digest: str
    sections: tuple[SectionSpec, ...]
    attachments: tuple[DocumentAttachment, ...] = field(default=(), repr=False)

    layout = "report.html"
    kind = "oversight_report"
    released_at = None
    embargoed_until = None

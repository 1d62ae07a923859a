"""PDFs: the public communiqué of a release and each party's own view, rendered off the event loop.

- :mod:`.spec`: ``DocumentSpec``, the plain values one PDF says;
- :mod:`.rendering`: WeasyPrint, PDF/A-3b, embedded files, a URL fetcher confined to templates/documents/;
- :mod:`.signature`: the platform's PAdES signature (pyHanko);
- :mod:`.checking`: ``check_pdf`` for the offline verifier;
- :mod:`.pool`: ``DocumentRenderer``, the process pool that renders and signs;
- :mod:`.specs`: ``public_spec`` (from a public release record) and ``party_spec`` (a reader's view).

Rendering modules import WeasyPrint; import them only where a PDF is made (a worker process).
"""

from __future__ import annotations

from entente.documents.checking import PdfCheck, check_pdf
from entente.documents.spec import (
    AUDIENCE_PUBLIC,
    DesignationRow,
    DocumentAttachment,
    DocumentSpec,
    PartyName,
    ReportSpec,
    SectionSpec,
    SignatureRow,
)

__all__ = [
    "AUDIENCE_PUBLIC",
    "DesignationRow",
    "DocumentAttachment",
    "DocumentSpec",
    "PartyName",
    "PdfCheck",
    "ReportSpec",
    "SectionSpec",
    "SignatureRow",
    "check_pdf",
]

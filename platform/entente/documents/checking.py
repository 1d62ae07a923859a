"""Checking a published PDF offline: its PAdES signature and its embedded files (for ``entente verify``).

Imports stay light until a PDF is actually checked (pyHanko is imported inside :func:`check_pdf`), so the
verifier starts fast. Hostile input (garbage, a truncated file, a decompression bomb, cyclic objects)
yields a result with a one-line reason, never a traceback.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from io import BytesIO
from types import SimpleNamespace
from typing import Any

__all__ = ["MAX_ATTACHMENT_BYTES", "MAX_PDF_BYTES", "PdfCheck", "check_pdf"]

MAX_PDF_BYTES = 64 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024
MAX_ATTACHMENTS = 64


@dataclass(frozen=True)
class PdfCheck:
    """What :func:`check_pdf` found.

    ``valid``: one signature, intact, cryptographically valid, covering the whole file and (when a
    certificate was given) made with that certificate. ``reason`` says why not, in one line.
    ``modified`` is True when the file was changed after signing (bytes altered or an update appended).
    """

    valid: bool
    reason: str
    modified: bool = False
    signer: str | None = None  # the signer certificate's subject, e.g. "Common Name: Entente publications"
    signer_certificate: bytes | None = None  # DER
    certificate_matches: bool | None = None  # None when no certificate was given to compare with
    signed_at: str | None = None
    attachments: dict[str, bytes] = field(default_factory=dict)
    relationships: dict[str, str] = field(default_factory=dict)


def _fail(reason: str, **more: Any) -> PdfCheck:
    return PdfCheck(valid=False, reason=reason, **more)


def check_pdf(pdf: bytes, certificate_pem: bytes | None = None) -> PdfCheck:
    """Check the platform's signature on ``pdf`` and read its embedded files (name -> bytes)."""
    if len(pdf) > MAX_PDF_BYTES:
        return _fail(f"the file is larger than {MAX_PDF_BYTES // (1024 * 1024)} MiB")
    if not pdf.startswith(b"%PDF-"):
        return _fail("not a PDF file (no %PDF- header)")
    imports = _imports()
    try:
        return _check(pdf, certificate_pem, imports)
    except RecursionError:
        return _fail("the PDF's objects nest too deeply (a malformed or hostile file)")
    except MemoryError:
        return _fail("the PDF needs too much memory to read (a malformed or hostile file)")
    except Exception as exc:  # noqa: BLE001 - any fault of a hostile file is a one-line answer
        text = " ".join(str(exc).split())[:200] or type(exc).__name__
        return _fail(f"the PDF cannot be read: {text}")


def _expected_certificate(certificate_pem: bytes) -> bytes:
    from pyhanko.keys import load_certs_from_pemder_data

    certificates = list(load_certs_from_pemder_data(certificate_pem))
    if len(certificates) != 1:
        raise ValueError("the certificate file must hold exactly one certificate")
    return certificates[0].dump()


def _imports() -> SimpleNamespace:
    """pyHanko, imported when a PDF is first checked (outside the try: a missing module is no bad PDF)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    return SimpleNamespace(
        PdfFileReader=PdfFileReader,
        validate_pdf_signature=validate_pdf_signature,
        SignatureValidationError=SignatureValidationError,
        SignatureCoverageLevel=SignatureCoverageLevel,
        ValidationContext=ValidationContext,
    )


def _check(pdf: bytes, certificate_pem: bytes | None, ph: SimpleNamespace) -> PdfCheck:
    expected = _expected_certificate(certificate_pem) if certificate_pem is not None else None
    reader = ph.PdfFileReader(BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    attachments, relationships = _embedded_files(reader)
    if not signatures:
        return _fail("the PDF carries no signature", attachments=attachments, relationships=relationships)
    if len(signatures) != 1:
        return _fail(f"the PDF carries {len(signatures)} signatures; a publication carries one")
    embedded = signatures[0]
    signer_der = embedded.signer_cert.dump()
    context = ph.ValidationContext(
        trust_roots=[embedded.signer_cert], allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = ph.validate_pdf_signature(embedded, signer_validation_context=context)
    except ph.SignatureValidationError as exc:
        return _fail(f"the signature cannot be validated: {exc}", modified=True)
    subject = embedded.signer_cert.subject.human_friendly
    matches = None if expected is None else signer_der == expected
    common = {
        "signer": subject,
        "signer_certificate": signer_der,
        "certificate_matches": matches,
        "signed_at": status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        "attachments": attachments,
        "relationships": relationships,
    }
    if not status.intact:
        return _fail("the PDF was modified after signing: its signed bytes do not match the signature", modified=True,
                     **common)
    if not status.valid:
        return _fail("the PDF's signature does not verify with its certificate", modified=True, **common)
    if status.coverage != ph.SignatureCoverageLevel.ENTIRE_FILE:
        return _fail("the PDF was modified after signing: content was appended after the signature", modified=True,
                     **common)
    if matches is False:
        return _fail(f"the PDF was signed by another certificate ({subject})", **common)
    return PdfCheck(valid=True, reason="the signature covers the whole file and is valid", **common)


def _inflate(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise ValueError(f"an embedded file inflates beyond {limit // (1024 * 1024)} MiB")
    return out


def _get(obj: Any, key: str) -> Any:
    """A dictionary member, dereferenced (pyHanko's ``[]`` follows indirect references, ``get`` does not)."""
    return obj[key] if key in obj else None


def _stream_bytes(stream: Any) -> bytes:
    """An embedded file's bytes, inflating FlateDecode with a cap (a bomb stops, it does not fill memory)."""
    filters = _get(stream, "/Filter")
    names = [] if filters is None else [str(f) for f in (filters if isinstance(filters, list) else [filters])]
    data = bytes(stream.encoded_data)
    if not names:
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValueError("an embedded file is too large")
        return data
    if names == ["/FlateDecode"]:
        return _inflate(data, MAX_ATTACHMENT_BYTES)
    raise ValueError(f"an embedded file uses an unsupported filter {names}")


def _embedded_files(reader: Any) -> tuple[dict[str, bytes], dict[str, str]]:
    names_tree = _get(reader.root, "/Names")
    embedded = _get(names_tree, "/EmbeddedFiles") if names_tree is not None else None
    pairs = _get(embedded, "/Names") if embedded is not None else None
    if pairs is None:
        return {}, {}
    files: dict[str, bytes] = {}
    relationships: dict[str, str] = {}
    for i in range(0, len(pairs) - 1, 2):
        if len(files) >= MAX_ATTACHMENTS:
            raise ValueError(f"more than {MAX_ATTACHMENTS} embedded files")
        spec = pairs[i + 1]
        name = str(_get(spec, "/UF") or _get(spec, "/F") or pairs[i])
        files[name] = _stream_bytes(spec["/EF"]["/F"])
        relationship = _get(spec, "/AFRelationship")
        if relationship is not None:
            relationships[name] = str(relationship).lstrip("/")
    return files, relationships

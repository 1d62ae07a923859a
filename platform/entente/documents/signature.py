"""The platform's PAdES signature on every published PDF (pyHanko, PAdES B-B, ECDSA P-256).

Parties sign with Ed25519, which PDF readers and poppler's ``pdfsig`` do not accept, so the PDF itself
carries the platform's signature; the parties' JWS sign-offs travel inside it as attachments.
"""

from __future__ import annotations

from io import BytesIO

__all__ = ["SIGNATURE_FIELD", "sign_pdf"]

SIGNATURE_FIELD = "EntentePublication"


def sign_pdf(pdf: bytes, key_der: bytes, certificate_pem: bytes) -> bytes:
    """``pdf`` with an incremental update holding a PAdES B-B signature over the whole file.

    ``key_der`` is the PKCS#8 DER of the platform's P-256 key (``signing.private_key_der``), handed to a
    worker process of this server; ``certificate_pem`` its certificate (served at
    ``/.well-known/entente/pdf-signing.pem``).
    """
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificates = list(load_certs_from_pemder_data(certificate_pem))
    if len(certificates) != 1:
        raise ValueError("the PDF signing certificate file must hold exactly one certificate")
    signer = signers.SimpleSigner(
        signing_cert=certificates[0],
        signing_key=load_private_key_from_pemder_data(key_der, passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs(certificates),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="Published by Entente: this file is the signed record of the release",
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = BytesIO()
    signers.PdfSigner(metadata, signer=signer).sign_pdf(writer, output=out)
    return out.getvalue()

"""The platform's PDF signing identity: a self-signed P-256 certificate, and the key as DER for the
PDF render workers.

PDF readers and poppler's ``pdfsig`` do not accept Ed25519, so the PDF signature (PAdES, made by
pyHanko in :mod:`entente.documents`) uses ECDSA P-256. Building a certificate signs it: that is
why it lives here.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes, serialization

from entente.errors import InvalidInputError
from entente.signing.keys import Algorithm, PrivateKey

__all__ = ["private_key_der", "self_signed_certificate"]


def self_signed_certificate(key: PrivateKey, common_name: str, *, not_before: Any, days: int = 3650) -> bytes:
    """A self-signed X.509 certificate (PEM) for a P-256 key: the platform's PDF signing identity.

    PDF readers and poppler's ``pdfsig`` do not accept Ed25519, so the PDF signature (PAdES) uses
    ECDSA P-256; the certificate is published at ``/.well-known/entente/pdf-signing.pem``.
    """
    from datetime import timedelta  # imported here: x509 is slow to import, and only `init` needs it

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    if key.alg != Algorithm.ES256:
        raise InvalidInputError("the PDF signing key must be ECDSA P-256", field="alg")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    public = key._key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    certificate = builder.sign(key._key, hashes.SHA256())
    return certificate.public_bytes(serialization.Encoding.PEM)


def private_key_der(key: PrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 DER, only to hand it to a PDF rendering worker process of this
    server (never written anywhere)."""
    return key._key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

"""Keys, JWK thumbprints, and detached JWS: the only package that touches signature primitives.

- :mod:`.keys`: Ed25519 and ECDSA P-256 keys, JWK import, RFC 7638 thumbprints (``kid``), raw
  signatures, private keys on disk (PKCS#8, encrypted with a passphrase)
- :mod:`.jws`: detached JWS in General JSON Serialization: ``sign_detached``, ``parse_envelope``,
  ``verify_detached`` (a :class:`SignatureCheck` with a stable :class:`Reason` per signature)
- :mod:`.mac`: HMAC-SHA256 of webhook bodies (``Entente-Signature``)
- :mod:`.certificate`: the platform's self-signed P-256 certificate for the PDF signature

Import the names from here: ``from entente.signing import PrivateKey`` or ``signing.sign_detached``.
"""

from entente.signing.certificate import private_key_der, self_signed_certificate
from entente.signing.jws import (
    MAX_PROTECTED_HEADER_CHARS,
    RESERVED_HEADER_NAMES,
    PreparedPayload,
    Reason,
    SignatureCheck,
    envelope_bytes,
    envelope_from_compact,
    parse_envelope,
    prepare_payload,
    protected_headers,
    sign_detached,
    verify_detached,
)
from entente.signing.keys import (
    Algorithm,
    PrivateKey,
    PublicKey,
    ed25519_private_key_from_seed,
    generate_private_key,
    load_private_key,
    load_private_key_pem,
    private_key_pem,
    public_key_from_jwk,
    save_private_key,
    sign_bytes,
    thumbprint,
    verify_bytes,
)
from entente.signing.mac import new_webhook_secret, webhook_signature, webhook_signature_valid

__all__ = [
    "MAX_PROTECTED_HEADER_CHARS",
    "RESERVED_HEADER_NAMES",
    "new_webhook_secret",
    "webhook_signature",
    "webhook_signature_valid",
    "Algorithm",
    "PreparedPayload",
    "PrivateKey",
    "PublicKey",
    "Reason",
    "SignatureCheck",
    "ed25519_private_key_from_seed",
    "envelope_bytes",
    "envelope_from_compact",
    "generate_private_key",
    "load_private_key",
    "load_private_key_pem",
    "parse_envelope",
    "prepare_payload",
    "private_key_der",
    "private_key_pem",
    "protected_headers",
    "public_key_from_jwk",
    "save_private_key",
    "self_signed_certificate",
    "sign_bytes",
    "sign_detached",
    "thumbprint",
    "verify_bytes",
    "verify_detached",
]

"""Strict JSON, RFC 8785 canonical bytes, digests, and salted disclosures.

- :mod:`.strict`: the strict reader (``parse_strict``, ``normalize``): no floats, safe integers
  only, no duplicate keys or lone surrogates, bounded depth, NFC text
- :mod:`.jcs`: ``canonical_bytes`` (RFC 8785), ``require_canonical``, ``digest``, strict base64url,
  ``random_salt``
- :mod:`.disclosures`: SD-JWT disclosures (RFC 9901) and their checks

Import the names from here: ``canonical.canonical_bytes``, ``from entente.canonical import ...``.
"""

from entente.canonical.disclosures import (
    Disclosure,
    DisclosureCheck,
    check_disclosures,
    decode_disclosure,
    disclosure_digest,
    make_disclosure,
    require_disclosures,
)
from entente.canonical.jcs import (
    SALT_BYTES,
    b64url_decode,
    b64url_encode,
    canonical_bytes,
    digest,
    digest_of,
    is_canonical,
    random_salt,
    require_canonical,
)
from entente.canonical.strict import DEFAULT_MAX_DEPTH, MAX_SAFE_INTEGER, normalize, parse_strict

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "SALT_BYTES",
    "Disclosure",
    "DisclosureCheck",
    "b64url_decode",
    "b64url_encode",
    "canonical_bytes",
    "check_disclosures",
    "decode_disclosure",
    "digest",
    "digest_of",
    "disclosure_digest",
    "is_canonical",
    "make_disclosure",
    "normalize",
    "parse_strict",
    "random_salt",
    "require_canonical",
    "require_disclosures",
]

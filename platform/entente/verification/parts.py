"""What every check of a publication shares: the options, the parts being checked, and the guards.

``Parts`` holds a publication's parts as found (in a bundle or a PDF's embedded files) and, in ``facts``,
what earlier checks established (the version digest, the roster, the checkpoint) for later ones.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from entente.errors import EntenteError
from entente.verification.report import Report

MAX_PROOF = 64  # an RFC 9162 proof of any tree below 2^64 leaves is shorter


@dataclass(frozen=True)
class VerifyOptions:
    roster_pin: bytes | None = None  # a roster document the verifier trusts (the chain starts there)
    log_key: str | None = None  # the log's verifier key string, pinned
    certificate: bytes | None = None  # the platform's PDF signing certificate (PEM), pinned
    cosigners: int = 0  # how many party cosignatures of the checkpoint are required


@dataclass
class Parts:
    version: bytes
    disclosures: Any
    signoffs: Any
    roster: Any
    log: Any
    record: dict[str, Any] | None = None
    pdf_digest: str | None = None
    alignments: Any = None
    facts: dict[str, Any] = field(default_factory=dict)


def b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def guard(report: Report, name: str, step: Callable[[], None]) -> bool:
    """Run one check; any malformed input becomes a failed check with a one-line reason."""
    try:
        step()
    except EntenteError as exc:
        report.fail(name, line(exc.detail))
        return False
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        report.fail(name, f"malformed: {line(str(exc)) or type(exc).__name__}")
        return False
    return True


def line(text: str) -> str:
    return text.splitlines()[0][:200] if text else ""


def included(checkpoint: Any, entry: Mapping[str, Any]) -> bytes:
    """The leaf of a log ``entry`` ({index, leaf, proof}) once its inclusion proof holds against ``checkpoint``."""
    from entente.transparency import merkle

    leaf = b64(entry["leaf"])
    proof = [b64(h) for h in entry["proof"]]
    if len(proof) > MAX_PROOF:
        raise ValueError("the proof is too long")
    merkle.verify_inclusion(merkle.leaf_hash(leaf), int(entry["index"]), checkpoint.size, proof, checkpoint.root)
    return leaf

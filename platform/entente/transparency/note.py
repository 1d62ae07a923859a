"""C2SP signed notes, checkpoints and cosignatures, for the log's Ed25519 key and the parties' keys.

- signed-note (c2sp.org/signed-note): text, a blank line, then lines ``— <name> base64(key ID || sig)``;
  Ed25519 signatures are type 0x01, key ID = SHA-256(name || "\\n" || 0x01 || public key)[:4]; a
  verifier key is written ``name+hex(key ID)+base64(0x01 || public key)`` (as golang.org/x/mod/sumdb/note).
- tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text ``<origin>\\n<size>\\n<base64 root>\\n``.
- tlog-cosignature/v1 (c2sp.org/tlog-cosignature): type 0x04; the signed message is
  ``cosignature/v1\\ntime <T>\\n`` followed by the checkpoint text, the signature is the 8-byte
  big-endian T followed by the Ed25519 signature.

Pure: only ``entente.signing`` and ``entente.canonical``, so ``entente verify`` stays light. Opening a
note ignores signatures from keys it was not given, refuses the note when a given key's signature
fails, and returns who signed (not a boolean).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from entente import canonical, signing
from entente.errors import InvalidInputError, SignatureError

__all__ = [
    "COSIGNATURE_TYPE",
    "ED25519_TYPE",
    "Checkpoint",
    "CheckpointCheck",
    "NoteError",
    "OpenedNote",
    "SignatureLine",
    "Signer",
    "Verifier",
    "checkpoint_text",
    "cosign",
    "cosignature_message",
    "cosigner_name",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_note",
    "signature_lines",
    "split_note",
    "verify_cosignature",
]

ED25519_TYPE = 0x01
COSIGNATURE_TYPE = 0x04
COSIGNATURE_HEADER = "cosignature/v1\n"
MAX_SIGNATURES = 100
"""Lines of signatures a note may carry (the spec asks verifiers to accept at least 16)."""
MAX_TIMESTAMP = 2**63 - 1
_DASH = "\u2014 "
_SIGNER_PREFIX = "PRIVATE+KEY+"
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class NoteError(SignatureError):
    """A note, checkpoint or cosignature is malformed or does not verify."""

    code = "note_invalid"
    title = "Signed note refused"


def _b64decode(text: str, what: str) -> bytes:
    if not _B64.fullmatch(text) or len(text) % 4:
        raise NoteError(f"{what} is not standard base64")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise NoteError(f"{what} is not standard base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or any(c.isspace() or c == "+" for c in name):
        raise InvalidInputError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def _raw_ed25519(key: signing.PublicKey) -> bytes:
    if key.alg != signing.Algorithm.ED25519:
        raise InvalidInputError(f"signed notes take Ed25519 keys here, not {key.alg}")
    return canonical.b64url_decode(key.jwk["x"])


def _ed25519_from_raw(raw: bytes) -> signing.PublicKey:
    return signing.public_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": canonical.b64url_encode(raw)})


def key_id(name: str, key_type: int, public: bytes) -> bytes:
    """SHA-256(name || "\\n" || type || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public key under a name, for one signature type (0x01 note signatures, 0x04 cosignatures)."""

    name: str
    key: signing.PublicKey
    key_type: int = ED25519_TYPE

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, _raw_ed25519(self.key))

    def __str__(self) -> str:
        """The verifier key string: ``name+hex8+base64(type || public key)``."""
        raw = bytes([self.key_type]) + _raw_ed25519(self.key)
        return f"{self.name}+{self.key_id.hex()}+{_b64(raw)}"


@dataclass(frozen=True)
class Signer:
    name: str
    key: signing.PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key.public_key)


def parse_verifier_key(text: str) -> Verifier:
    """Read ``name+hex8+base64(type || key)`` (type 0x01 or 0x04, Ed25519), checking the key ID."""
    name, _, rest = text.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    if not name or len(hex_id) != 8 or not encoded:
        raise NoteError("a verifier key is name+hex8+base64")
    raw = _b64decode(encoded, "the verifier key")
    if len(raw) != 33 or raw[0] not in (ED25519_TYPE, COSIGNATURE_TYPE):
        raise NoteError("the verifier key is not an Ed25519 key (type 0x01 or 0x04)")
    try:
        verifier = Verifier(_check_name(name), _ed25519_from_raw(raw[1:]), raw[0])
    except InvalidInputError as exc:
        raise NoteError(f"the verifier key is unusable: {exc.detail}") from None
    if verifier.key_id.hex() != hex_id.lower():
        raise NoteError("the verifier key's hash does not match its name and key")
    return verifier


def parse_signer_key(text: str) -> Signer:
    """Read ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)`` (golang.org/x/mod/sumdb/note's form)."""
    if not text.startswith(_SIGNER_PREFIX):
        raise NoteError("a signer key starts PRIVATE+KEY+")
    name, _, rest = text[len(_SIGNER_PREFIX) :].strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    raw = _b64decode(encoded, "the signer key")
    if len(raw) != 33 or raw[0] != ED25519_TYPE:
        raise NoteError("the signer key is not an Ed25519 seed")
    signer = Signer(_check_name(name), signing.ed25519_private_key_from_seed(raw[1:]))
    if signer.verifier.key_id.hex() != hex_id.lower():
        raise NoteError("the signer key's hash does not match its name and key")
    return signer


# --- notes ------------------------------------------------------------------------------------------


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note holds no control characters other than newline")


def signature_line(name: str, signature: bytes) -> str:
    return f"{_DASH}{name} {_b64(signature)}\n"


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """The signed note: ``text``, a blank line, and one Ed25519 signature line per signer."""
    _check_text(text)
    if not signers:
        raise InvalidInputError("sign a note with at least one key")
    data = text.encode("utf-8")
    lines = []
    for signer in signers:
        verifier = signer.verifier
        signature = signing.sign_bytes(signer.key, data)
        lines.append(signature_line(_check_name(signer.name), verifier.key_id + signature))
    return text + "\n" + "".join(lines)


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    signature: bytes
    line: str


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: ``signed`` names the given keys that verified it;
    ``unverified`` are the lines of keys that were not given (ignored, as the spec says)."""

    text: str
    signed: tuple[Verifier, ...]
    unverified: tuple[SignatureLine, ...]


def split_note(note: str) -> tuple[str, list[SignatureLine]]:
    """The text and the parsed signature lines of a note (no signature checked)."""
    if not isinstance(note, str) or not note.endswith("\n"):
        raise NoteError("a signed note ends with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a signed note holds no control characters other than newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("a signed note has a blank line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    lines = block.splitlines(keepends=True)
    if not lines:
        raise NoteError("the note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    return text, [_parse_line(line) for line in lines]


def _parse_line(line: str) -> SignatureLine:
    if not line.startswith(_DASH) or not line.endswith("\n"):
        raise NoteError("a signature line is '— <name> <base64>'")
    name, space, encoded = line[len(_DASH) : -1].partition(" ")
    if not space or not name or "+" in name or " " in encoded:
        raise NoteError("a signature line is '— <name> <base64>'")
    raw = _b64decode(encoded, "a note signature")
    if len(raw) < 5:
        raise NoteError("a note signature is a key ID and a signature")
    return SignatureLine(name, raw[:4], raw[4:], line)


def signature_lines(note: str) -> list[str]:
    """The signature lines of a note as written (each ending in a newline)."""
    return [item.line for item in split_note(note)[1]]


def open_note(note: str, verifiers: Iterable[Verifier]) -> OpenedNote:
    """Check the note's Ed25519 (0x01) signatures against ``verifiers``.

    Lines of other keys are ignored; a line of a given key that does not verify refuses the note,
    and so does a note no given key signed.
    """
    text, lines = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers if v.key_type == ED25519_TYPE}
    data = text.encode("utf-8")
    signed: list[Verifier] = []
    unverified: list[SignatureLine] = []
    for item in lines:
        verifier = known.get((item.name, item.key_id))
        if verifier is None:
            unverified.append(item)
            continue
        if not signing.verify_bytes(verifier.key, data, item.signature):
            raise NoteError(f"the signature of {item.name} does not verify", code="note_signature_invalid")
        if verifier not in signed:
            signed.append(verifier)
    if not signed:
        raise NoteError("no known key signed this note", code="note_unsigned")
    return OpenedNote(text, tuple(signed), tuple(unverified))


# --- checkpoints ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return checkpoint_text(self.origin, self.size, self.root, self.extensions)


def checkpoint_text(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """``<origin>\\n<size>\\n<base64 root>\\n`` (then any extension lines)."""
    if not origin or "\n" in origin or any(ord(c) < 0x20 for c in origin):
        raise InvalidInputError("a checkpoint origin is one non-empty line")
    if type(size) is not int or size < 0:
        raise InvalidInputError("a checkpoint size is a whole number")
    return f"{origin}\n{size}\n{_b64(root)}\n" + "".join(f"{line}\n" for line in extensions)


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint's text (the note text, not its signatures)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint is an origin, a size and a root hash, one per line")
    origin, size_text, root_text, *extensions = lines[:-1]
    if not origin:
        raise NoteError("the checkpoint's origin is empty")
    if not (size_text.isascii() and size_text.isdigit()) or (size_text != "0" and size_text[0] == "0"):
        raise NoteError("the checkpoint's size is not a decimal number")
    if any(not line for line in extensions):
        raise NoteError("a checkpoint extension line is empty")
    root = _b64decode(root_text, "the checkpoint's root hash")
    if len(root) != 32:
        raise NoteError("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


# --- cosignatures -----------------------------------------------------------------------------------


def cosigner_name(origin: str, party: str) -> str:
    """The name under which a party cosigns this log's checkpoints: ``<origin>/cosigner/<PARTY>``."""
    return _check_name(f"{origin}/cosigner/{party}")


def cosignature_message(checkpoint: str, timestamp: int) -> bytes:
    """What a tlog-cosignature/v1 signs: the header line, the time line, the checkpoint text."""
    _check_text(checkpoint)
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InvalidInputError("a cosignature time is whole seconds since the epoch")
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint}".encode()


def cosign(checkpoint: str, name: str, key: signing.PrivateKey, timestamp: int) -> str:
    """A cosignature line (type 0x04) over the checkpoint text, made at ``timestamp``."""
    verifier = Verifier(_check_name(name), key.public_key, COSIGNATURE_TYPE)
    signature = signing.sign_bytes(key, cosignature_message(checkpoint, timestamp))
    return signature_line(name, verifier.key_id + timestamp.to_bytes(8, "big") + signature)


def verify_cosignature(checkpoint: str, line: str, verifier: Verifier) -> int:
    """The time of a cosignature line by ``verifier`` (type 0x04) over the checkpoint text, or a
    :class:`NoteError` saying why it is not one."""
    item = _parse_line(line if line.endswith("\n") else line + "\n")
    if verifier.key_type != COSIGNATURE_TYPE:
        raise NoteError("a cosignature is checked with a cosigner key (type 0x04)")
    if (item.name, item.key_id) != (verifier.name, verifier.key_id):
        raise NoteError(f"the cosignature is not by {verifier.name} with this key", code="cosignature_unknown_key")
    if len(item.signature) != 8 + 64:
        raise NoteError("a cosignature is an 8-byte time and a 64-byte Ed25519 signature")
    timestamp = int.from_bytes(item.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise NoteError("the cosignature's time is out of range")
    if not signing.verify_bytes(verifier.key, cosignature_message(checkpoint, timestamp), item.signature[8:]):
        raise NoteError(f"the cosignature of {verifier.name} does not verify", code="cosignature_invalid")
    return timestamp


@dataclass(frozen=True)
class CheckpointCheck:
    """An opened checkpoint: signed by the log; ``cosigned`` names the cosigners whose lines verified
    (with their times), ``missing`` the cosigners given that did not cosign."""

    checkpoint: Checkpoint
    cosigned: dict[str, int]
    missing: tuple[str, ...]


def open_checkpoint(
    note: str, log: Verifier, *, cosigners: Iterable[Verifier] = (), require: int = 0
) -> CheckpointCheck:
    """Check a served checkpoint: the log's signature, then the cosignatures of ``cosigners``
    (type 0x04 verifiers); refuse it when fewer than ``require`` of them cosigned it.

    A cosignature line of a given cosigner that fails refuses the note, as a bad signature of a
    known key does; lines of cosigners not given are ignored.
    """
    opened = open_note(note, [log])
    checkpoint = parse_checkpoint(opened.text)
    if checkpoint.origin != log.name:
        raise NoteError(f"the checkpoint is of {checkpoint.origin!r}, not of the log {log.name!r}")
    wanted = {(c.name, c.key_id): c for c in cosigners if c.key_type == COSIGNATURE_TYPE}
    cosigned: dict[str, int] = {}
    for item in opened.unverified:
        cosigner = wanted.get((item.name, item.key_id))
        if cosigner is not None:
            cosigned[cosigner.name] = verify_cosignature(opened.text, item.line, cosigner)
    missing = tuple(sorted({c.name for c in wanted.values()} - set(cosigned)))
    if len(cosigned) < require:
        raise NoteError(
            f"{len(cosigned)} of the required {require} cosignatures ({', '.join(missing) or 'none'} missing)",
            code="cosignatures_missing",
        )
    return CheckpointCheck(checkpoint, cosigned, missing)

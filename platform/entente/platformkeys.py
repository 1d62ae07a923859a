"""The platform's own keys, made by ``entente init`` and kept encrypted under ``<paths.var>/platform-keys``:

- ``log.pem``: the transparency log's Ed25519 key (signs checkpoints as C2SP signed notes);
- ``pdf.pem`` and ``pdf-certificate.pem``: the ECDSA P-256 key and self-signed certificate that sign
  every published PDF (PAdES; PDF readers do not accept Ed25519).

Private keys are PKCS#8 encrypted with the passphrase from ``ENTENTE_PLATFORM_KEY_PASSPHRASE`` (the demo
passphrase when it is unset, which ``entente init`` says). The server checks at start that the files
exist and decrypts them on first use only, so starting (and every test that never signs) stays cheap.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from entente import signing
from entente.errors import ConfigError, InvalidInputError

__all__ = [
    "PASSPHRASE_ENV",
    "PlatformKeys",
    "ensure_platform_keys",
    "load_platform_keys",
    "platform_keys_dir",
    "require_platform_keys",
    "LazyPlatformKeys",
]

PASSPHRASE_ENV = "ENTENTE_PLATFORM_KEY_PASSPHRASE"  # noqa: S105  (the variable's name)
DEMO_PASSPHRASE = "entente-demo-platform-keys"  # noqa: S105  (printed by `entente init` when the variable is unset)
LOG_KEY, PDF_KEY, PDF_CERTIFICATE = "log.pem", "pdf.pem", "pdf-certificate.pem"
FILES = (LOG_KEY, PDF_KEY, PDF_CERTIFICATE)


@dataclass(frozen=True)
class PlatformKeys:
    log: signing.PrivateKey
    pdf: signing.PrivateKey
    pdf_certificate: bytes  # PEM


def passphrase() -> str:
    return os.environ.get(PASSPHRASE_ENV) or DEMO_PASSPHRASE


def platform_keys_dir(var: Path) -> Path:
    return var / "platform-keys"


def ensure_platform_keys(folder: Path, *, common_name: str, now: datetime) -> list[str]:
    """Create whichever of the platform's key files is missing (never overwrite one); the names made."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot create the platform key folder: {exc.strerror}") from None
    made: list[str] = []
    secret = passphrase()
    if not (folder / LOG_KEY).exists():
        signing.save_private_key(signing.generate_private_key(), folder / LOG_KEY, secret)
        made.append(LOG_KEY)
    if not (folder / PDF_KEY).exists():
        signing.save_private_key(signing.generate_private_key(signing.Algorithm.ES256), folder / PDF_KEY, secret)
        (folder / PDF_CERTIFICATE).unlink(missing_ok=True)  # a certificate is only good for its own key
        made.append(PDF_KEY)
    if not (folder / PDF_CERTIFICATE).exists():
        key = signing.load_private_key(folder / PDF_KEY, secret)
        pem = signing.self_signed_certificate(key, common_name, not_before=now)
        (folder / PDF_CERTIFICATE).write_bytes(pem)
        made.append(PDF_CERTIFICATE)
    return made


def require_platform_keys(folder: Path) -> None:
    """Fail start-up clearly when ``entente init`` has not made the platform's keys."""
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise ConfigError(f"{folder}: the platform's keys are missing ({', '.join(missing)}): run `entente init`")


def load_platform_keys(folder: Path) -> PlatformKeys:
    """Decrypt the platform's keys (a ``ConfigError`` naming the file when one does not open)."""
    require_platform_keys(folder)
    secret = passphrase()
    try:
        log = signing.load_private_key(folder / LOG_KEY, secret)
        pdf = signing.load_private_key(folder / PDF_KEY, secret)
    except InvalidInputError as exc:
        hint = f"set {PASSPHRASE_ENV} to the passphrase they were made with"
        raise ConfigError(f"{folder}: {exc.detail} ({hint})") from None
    if log.alg != signing.Algorithm.ED25519 or pdf.alg != signing.Algorithm.ES256:
        raise ConfigError(f"{folder}: {LOG_KEY} must be Ed25519 and {PDF_KEY} ECDSA P-256")
    return PlatformKeys(log=log, pdf=pdf, pdf_certificate=(folder / PDF_CERTIFICATE).read_bytes())


class LazyPlatformKeys:
    """The platform's keys, decrypted on first use (once, under a lock) and kept for the app's life."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: PlatformKeys | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> PlatformKeys:
        if self._keys is None:
            async with self._lock:
                if self._keys is None:
                    self._keys = await asyncio.to_thread(load_platform_keys, self.folder)
        return self._keys

"""Reading key files, JWS files and passphrases for the trust commands."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from entente import canonical, signing
from entente.errors import ConfigError, InvalidInputError

PASSPHRASE_ENV = "ENTENTE_KEY_PASSPHRASE"  # noqa: S105  (the variable's name)


def read_bytes(path: str | Path) -> bytes:
    """A file named on the command line; an unreadable one is a usage error (exit 2)."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def read_json(path: str | Path) -> Any:
    data = read_bytes(path)
    try:
        return canonical.parse_strict(data)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{path}: {exc.detail}") from None


def passphrase(*, confirm: bool = False) -> str:
    """From ``ENTENTE_KEY_PASSPHRASE``, or asked on the terminal (twice when creating a key)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        raise ConfigError(f"set {PASSPHRASE_ENV}, or run on a terminal to be asked for the key passphrase")
    value = getpass.getpass("key passphrase: ")
    if confirm and getpass.getpass("again: ") != value:
        raise InvalidInputError("the two passphrases differ")
    if not value:
        raise InvalidInputError("the passphrase is empty")
    return value


def is_private_key_file(data: bytes) -> bool:
    return data.lstrip().startswith(b"-----BEGIN")


def load_private(path: str | Path) -> signing.PrivateKey:
    data = read_bytes(path)
    if not is_private_key_file(data):
        raise InvalidInputError(f"{path}: not a PEM private key file (a public JWK cannot sign)")
    try:
        return signing.load_private_key_pem(data, passphrase())
    except InvalidInputError as exc:
        raise InvalidInputError(f"{path}: {exc.detail}") from None


def load_public(path: str | Path) -> signing.PublicKey:
    """The public key of a private key file (passphrase needed) or of a public JWK file."""
    data = read_bytes(path)
    if is_private_key_file(data):
        return load_private(path).public_key
    jwk = read_json(path)
    try:
        return signing.public_key_from_jwk(jwk)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{path}: {exc.detail}") from None


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet (never overwrite keys or signatures silently)."""
    try:
        with path.open("xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise InvalidInputError(f"{path} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)

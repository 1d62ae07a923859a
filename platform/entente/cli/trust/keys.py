"""``entente keys generate|show|register`` and ``entente sign``."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from entente import parties, signing
from entente.cli.common import EXIT_OK, command, command_group, database, run, settings
from entente.cli.trust import files
from entente.clock import InstantError, isoformat, parse_instant, system_clock
from entente.errors import ConfigError

DEFAULT_TYP = "entente-signoff+jws"


def register(commands: Any) -> None:
    keys = command_group(
        commands, "keys", help="party signing keys", description="Generate, inspect and register party signing keys."
    )

    p = command(
        keys,
        "generate",
        cmd_keys_generate,
        description="Write DIR/<CODE>-<kid>.pem (PKCS#8, encrypted with the passphrase from "
        f"{files.PASSPHRASE_ENV} or asked twice) and DIR/<CODE>-<kid>.jwk.json (the public key).",
    )
    p.add_argument("--party", required=True, help="party code, e.g. EE")
    p.add_argument("--alg", choices=["Ed25519", "ES256"], default="Ed25519", help="key type (default Ed25519)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the two files into")

    p = command(keys, "show", cmd_keys_show)
    p.add_argument("file", metavar="FILE")

    p = command(keys, "register", cmd_keys_register)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--party", required=True, help="party code, e.g. EE")
    p.add_argument("--not-before", type=_instant, help="start of validity, RFC 3339 (default now)")
    p.add_argument("--not-after", type=_instant, help="end of validity, RFC 3339 (default none)")

    p = command(commands, "sign", cmd_sign)
    p.add_argument("--key", required=True, metavar="FILE", help="private key file (PKCS#8 PEM, encrypted)")
    p.add_argument("payload", metavar="PAYLOAD-FILE")
    p.add_argument("--typ", default=DEFAULT_TYP, help=f"the JWS typ header (default {DEFAULT_TYP})")
    p.add_argument("--out", metavar="JWS-FILE", help="write the JWS here (must not exist)")
    p.add_argument(
        "--statement",
        metavar="TEXT-FILE",
        help="an alignment statement (UTF-8 text) to bind to the signature: its digest goes into the protected "
        "header as statement_digest (use with --typ entente-alignment+jws)",
    )


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except InstantError as exc:
        raise argparse.ArgumentTypeError(exc.detail) from None


def cmd_keys_generate(args: argparse.Namespace) -> int:
    """generate a key pair: encrypted private key (mode 0600) and public JWK"""
    code = parties.check_party_code(args.party)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot create: {exc.strerror}") from None
    secret = files.passphrase(confirm=True)
    key = signing.generate_private_key(signing.Algorithm(args.alg))
    private = out / f"{code}-{key.kid}.pem"
    public = out / f"{code}-{key.kid}.jwk.json"
    signing.save_private_key(key, private, secret)
    files.write_new(public, (files.pretty(key.jwk) + "\n").encode())
    print(f"kid:         {key.kid}")
    print(f"alg:         {key.alg}")
    print(f"fingerprint: {key.fingerprint}")
    print(f"private key: {private} (encrypted, mode 0600; never share it)")
    print(f"public key:  {public}")
    return EXIT_OK


def cmd_keys_show(args: argparse.Namespace) -> int:
    """print kid, alg, fingerprint and public JWK of a key file

    FILE is a private key file (the passphrase is needed) or a public JWK file."""
    key = files.load_public(args.file)
    print(f"kid:         {key.kid}")
    print(f"alg:         {key.alg}")
    print(f"fingerprint: {key.fingerprint}")
    print(files.pretty(key.jwk))
    return EXIT_OK


def cmd_keys_register(args: argparse.Namespace) -> int:
    """register a public key for a party in the configured database (operators)

    Register the public key of FILE (a public JWK, or a private key file) for a party."""
    key = files.load_public(args.file)
    config = settings(args)

    async def add() -> Any:
        async with database(config) as maker, maker.begin() as session:
            return await parties.add_key(
                session,
                party=args.party,
                jwk=key.jwk,
                not_before=args.not_before,
                not_after=args.not_after,
                actor="cli",
                now=system_clock(),
            )

    row = run(add())
    until = isoformat(row.not_after) if row.not_after else "no end"
    print(f"registered key {row.kid} ({row.alg}) for {row.party_code}, valid {isoformat(row.not_before)} to {until}")
    return EXIT_OK


def statement_digest(text: str) -> str:
    """As the server computes it: ``sha256:`` + hex of SHA-256 over the UTF-8 of the statement, trimmed of
    surrounding white space and NFC-normalised."""
    import hashlib
    import unicodedata

    return "sha256:" + hashlib.sha256(unicodedata.normalize("NFC", text.strip()).encode("utf-8")).hexdigest()


def cmd_sign(args: argparse.Namespace) -> int:
    """sign a payload file: detached JWS, general JSON serialization

    Sign the exact bytes of PAYLOAD-FILE with a private key file; writes the JWS (general JSON, detached
    payload, minified) to --out or standard output."""
    payload = files.read_bytes(args.payload)
    key = files.load_private(args.key)
    extra = None
    if args.statement:
        extra = {"statement_digest": statement_digest(files.read_bytes(args.statement).decode("utf-8"))}
    envelope = signing.sign_detached(payload, [key], typ=args.typ, iat=int(system_clock().timestamp()), extra=extra)
    data = signing.envelope_bytes(envelope)
    if args.out:
        files.write_new(Path(args.out), data)
        print(f"signed {len(payload)} bytes with {key.kid}: {args.out}", file=sys.stderr)
    else:
        print(data.decode("ascii"))
    return EXIT_OK

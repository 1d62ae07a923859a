"""``entente init --demo``: a key per demo party, registered, and roster version 1 signed by all.

Private keys go to ``<paths.keys>/private/<CODE>.pem`` (PKCS#8, encrypted with the passphrase from
``ENTENTE_KEY_PASSPHRASE`` or :data:`DEMO_PASSPHRASE`), public JWKs to ``<paths.keys>/<CODE>.jwk.json``.
Re-running reuses the files and adds nothing that exists: no second key, no second roster.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from entente import parties, signing
from entente.cli.common import database, run
from entente.cli.trust import files
from entente.clock import system_clock
from entente.errors import ConfigError, InvalidInputError
from entente.parties.keys import find_key_by_fingerprint
from entente.settings import Settings

DEMO_PASSPHRASE = "entente-demo-keys"  # noqa: S105  (a printed demo default, by design)


def _demo_key(folder: Path, code: str, passphrase: str) -> tuple[signing.PrivateKey, bool]:
    path = folder / "private" / f"{code}.pem"
    if path.exists():
        try:
            return signing.load_private_key(path, passphrase), False
        except InvalidInputError:
            raise InvalidInputError(
                f"{path} exists but does not open with this passphrase; set {files.PASSPHRASE_ENV} to the one "
                "printed when it was made, or delete keys/private/ and keys/*.jwk.json to start afresh"
            ) from None
    key = signing.generate_private_key()
    signing.save_private_key(key, path, passphrase)
    return key, True


def seed_demo_keys(config: Settings, coalition: Sequence[parties.SeedParty]) -> dict[str, signing.PrivateKey]:
    """Generate (or reuse) each demo party's key, register it, and make roster version 1; the keys by party."""
    passphrase = os.environ.get(files.PASSPHRASE_ENV) or DEMO_PASSPHRASE
    folder = config.paths.keys
    try:
        (folder / "private").mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot create the demo key folder: {exc.strerror}") from None
    keys: dict[str, signing.PrivateKey] = {}
    generated = 0
    for party in coalition:
        key, new = _demo_key(folder, party.code, passphrase)
        keys[party.code], generated = key, generated + new
        public = folder / f"{party.code}.jwk.json"
        text = files.pretty(key.jwk) + "\n"
        if not public.exists() or public.read_text(encoding="utf-8") != text:
            public.write_text(text, encoding="utf-8")
    now = system_clock()

    async def seed() -> tuple[int, parties.Roster | None]:
        async with database(config) as maker, maker.begin() as session:
            registered = 0
            for code, key in keys.items():
                if await find_key_by_fingerprint(session, key.fingerprint) is None:
                    await parties.add_key(session, party=code, jwk=key.jwk, actor="init", now=now)
                    registered += 1
            adopted = await parties.seed_roster(session, keys=keys, actor="init", now=now)
            return registered, parties.parse_roster(adopted.body) if adopted else None

    registered, roster = run(seed())
    print(f"demo keys: {len(keys)} parties ({generated} generated, {registered} registered) in {folder}")
    print(f"  private keys: {folder / 'private'}/<CODE>.pem, passphrase: {passphrase}")
    print(f"  public keys:  {folder}/<CODE>.jwk.json")
    if roster is not None:
        print(f"roster version {roster.version} signed by {len(keys)} parties: {roster.digest}")
    return keys

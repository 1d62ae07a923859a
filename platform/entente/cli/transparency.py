"""``entente log cosign``: a party checks the log's newest checkpoint and cosigns it (C2SP tlog-cosignature).

The command talks to the server's public endpoints only: it fetches the log key (pinned in the state
file on first use, and refused if it ever changes), the checkpoint (verified with that key), and a
consistency proof from the last checkpoint this party cosigned (kept in the state file); only then does
it cosign with the party's Ed25519 key and post the line to ``/api/v1/log/cosignatures``. The
signature says who sent it, so no API token is needed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from entente import signing
from entente.cli.common import EXIT_FAILED, EXIT_OK, command, command_group, post_json, run
from entente.cli.trust import files
from entente.clock import system_clock
from entente.errors import ConfigError, InvalidInputError, SignatureError, UnavailableError
from entente.parties import check_party_code
from entente.transparency import merkle, note

WELL_KNOWN_LOG = "/.well-known/entente/log"
STATE_VERSION = 1


def register(commands: Any) -> None:
    group = command_group(
        commands,
        "log",
        help="the transparency log: cosign its checkpoints as a party",
        description="Work with an Entente server's transparency log.",
    )
    p = command(
        group,
        "cosign",
        cmd_cosign,
        description="Fetch the log key (pinned in --state on first use) and the newest checkpoint, verify "
        "the log's signature, check consistency with the last checkpoint this party cosigned (--state), "
        f"cosign it (C2SP tlog-cosignature/v1) with --key (passphrase from {files.PASSPHRASE_ENV}) and post it.",
    )
    p.add_argument("--url", required=True, metavar="BASE", help="the server's public URL, e.g. https://entente.example")
    p.add_argument("--key", required=True, metavar="KEY.pem", help="the party's Ed25519 private key file (encrypted)")
    p.add_argument("--party", required=True, metavar="CODE", help="the party cosigning, e.g. EE")
    p.add_argument(
        "--state",
        metavar="FILE",
        help="where the pinned log key and the last cosigned checkpoint are kept (default: entente-log-CODE.json)",
    )


async def _fetch(client: aiohttp.ClientSession, url: str) -> str:
    try:
        async with client.get(url) as response:
            body = await response.text()
            if response.status != 200:
                raise UnavailableError(f"{url} answered {response.status}: {body[:200].strip()}")
            return body
    except aiohttp.ClientError as exc:
        raise UnavailableError(f"cannot reach {url}: {exc}") from None


def _read_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = json.loads(files.read_bytes(path))
    except ValueError:
        raise ConfigError(f"{path}: not a cosigning state file (not JSON)") from None
    usable = isinstance(state, dict) and state.get("version") == STATE_VERSION
    if not (usable and isinstance(state.get("log_key"), str)):
        raise ConfigError(f"{path}: not a cosigning state file")
    return state


def _write_state(path: Path, state: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None


async def _cosign(args: argparse.Namespace, key: signing.PrivateKey, state_path: Path) -> int:
    base = args.url.rstrip("/")
    state = _read_state(state_path)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client:
        served_key = (await _fetch(client, f"{base}{WELL_KNOWN_LOG}/key")).strip()
        if state is None:
            log_key = note.parse_verifier_key(served_key)
            print(f"pinned the log key on first use: {served_key} (kept in {state_path})")
        else:
            log_key = note.parse_verifier_key(state["log_key"])
            if served_key != state["log_key"]:
                print(
                    f"entente: the log key changed: pinned {state['log_key']}, served {served_key}; refusing "
                    f"(remove {state_path} only if the operator announced a new key)",
                    file=sys.stderr,
                )
                return EXIT_FAILED
        check = note.open_checkpoint(await _fetch(client, f"{base}{WELL_KNOWN_LOG}/checkpoint"), log_key)
        checkpoint = check.checkpoint
        if state is not None and state.get("size"):
            await _check_consistency(client, base, state, checkpoint)
        name = note.cosigner_name(checkpoint.origin, args.party)
        line = note.cosign(checkpoint.text, name, key, int(system_clock().timestamp()))
        status, answer = await post_json(
            client, f"{base}/api/v1/log/cosignatures", {"party": args.party, "size": checkpoint.size, "line": line}
        )
    if status != 201:
        detail = answer.get("detail", answer) if isinstance(answer, dict) else answer
        code = answer.get("code", "") if isinstance(answer, dict) else ""
        print(f"entente: the server refused the cosignature ({status} {code}): {detail}", file=sys.stderr)
        return EXIT_FAILED
    _write_state(
        state_path,
        {
            "version": STATE_VERSION,
            "log_key": str(log_key),
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode("ascii"),
        },
    )
    print(f"cosigned {checkpoint.origin} at size {checkpoint.size} as {name}")
    return EXIT_OK


async def _check_consistency(
    client: aiohttp.ClientSession, base: str, state: dict[str, Any], checkpoint: note.Checkpoint
) -> None:
    """Raise unless the checkpoint extends the one this party cosigned last."""
    size, root = int(state["size"]), base64.b64decode(state["root"])
    if checkpoint.origin != state.get("origin"):
        raise SignatureError(f"the checkpoint is of {checkpoint.origin!r}, the state file of {state.get('origin')!r}")
    if checkpoint.size < size:
        raise SignatureError(f"the log shrank: size {checkpoint.size}, after {size} was cosigned")
    if checkpoint.size == size:
        merkle.verify_consistency(size, size, root, checkpoint.root, [])
        return
    query = urlencode({"first": size, "second": checkpoint.size})
    proof = json.loads(await _fetch(client, f"{base}{WELL_KNOWN_LOG}/proof/consistency?{query}"))
    try:
        hashes = [base64.b64decode(h, validate=True) for h in proof["hashes"]]
    except (KeyError, TypeError, ValueError):
        raise SignatureError('the server\'s consistency proof is not {"hashes": [base64, ...]}') from None
    merkle.verify_consistency(size, checkpoint.size, root, checkpoint.root, hashes)


def cmd_cosign(args: argparse.Namespace) -> int:
    """check the newest checkpoint for consistency and cosign it with a party key"""
    try:
        args.party = check_party_code(args.party)
    except InvalidInputError as exc:
        raise ConfigError(f"--party: {exc.detail}") from None
    state_path = Path(args.state or f"entente-log-{args.party}.json")
    key = files.load_private(args.key)
    if key.alg != signing.Algorithm.ED25519:
        raise InvalidInputError(f"{args.key}: cosignatures take an Ed25519 key, not {key.alg}")
    return run(_cosign(args, key, state_path))

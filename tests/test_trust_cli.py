"""The trust commands: keys, sign, verify (exit codes 0/1/2/3), the roster, pre-signing, the demo
keys, and the openssl recipe of docs/verification.md run as written."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from entente import canonical, signing
from entente.clock import system_clock
from tests.support.cli import Entente

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "a passphrase for tests"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(entente: Entente, tmp_path: Path) -> Run:
    """Run ``entente`` in this process with only the ENTENTE_* variables given (plus a var folder)."""

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        result = entente(*args, env={"ENTENTE_PATHS_VAR": str(tmp_path / "var")} | (env or {}))
        return result.returncode, result.stdout, result.stderr

    return run


KEY_ENV = {"ENTENTE_KEY_PASSPHRASE": PASSPHRASE}


def test_every_trust_command_answers_help(cli: Run) -> None:
    for args in (
        ["keys", "generate"],
        ["keys", "show"],
        ["keys", "register"],
        ["sign"],
        ["verify"],
        ["roster", "show"],
        ["roster", "propose"],
        ["roster", "sign"],
        ["roster", "export"],
        ["roster", "verify"],
        ["templates", "list"],
        ["templates", "show"],
        ["templates", "presign"],
    ):
        code, out, _ = cli(*args, "--help")
        assert code == 0 and "usage:" in out, args


def generate(cli: Run, folder: Path, party: str = "EE", alg: str = "Ed25519") -> tuple[Path, Path]:
    code, out, err = cli("keys", "generate", "--party", party, "--alg", alg, "--out", str(folder), env=KEY_ENV)
    assert code == 0, err
    private = next(folder.glob(f"{party}-*.pem"))
    public = next(folder.glob(f"{party}-*.jwk.json"))
    assert private.name.removesuffix(".pem") == public.name.removesuffix(".jwk.json")
    return private, public


@pytest.mark.parametrize("alg", ["Ed25519", "ES256"])
def test_generate_sign_verify_round_trip(cli: Run, tmp_path: Path, alg: str) -> None:
    private, public = generate(cli, tmp_path / "keys", alg=alg)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in private.read_bytes()
    jwk = json.loads(public.read_text())
    assert "d" not in jwk and jwk["alg"] == alg and private.name == f"EE-{jwk['kid']}.pem"
    for path in (private, public):
        code, out, _ = cli("keys", "show", str(path), env=KEY_ENV)
        assert code == 0 and f"kid:         {jwk['kid']}" in out and f"alg:         {alg}" in out

    payload = tmp_path / "payload.json"
    payload.write_bytes(b'{"statement":"The allies condemn the operation."}')
    jws = tmp_path / "payload.jws"
    code, _, err = cli("sign", "--key", str(private), str(payload), "--out", str(jws), env=KEY_ENV)
    assert code == 0, err
    envelope = json.loads(jws.read_bytes())
    header = json.loads(canonical.b64url_decode(envelope["signatures"][0]["protected"]))
    assert header["typ"] == "entente-signoff+jws" and header["digest"] == canonical.digest(payload.read_bytes())
    assert "payload" not in envelope

    code, out, _ = cli("verify", "--payload", str(payload), str(jws), "--jwks", str(public))
    assert code == 0 and out.strip().endswith("valid")
    code, out, _ = cli(
        "verify", "--payload", str(payload), str(jws), "--jwks", str(public), "--json", "--typ", "entente-signoff+jws"
    )
    report = json.loads(out)
    assert code == 0 and report["result"] == "valid" and report["signatures"][0]["kid"] == jwk["kid"]

    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(payload.read_bytes().replace(b"condemn", b"welcome"))
    code, out, _ = cli("verify", "--payload", str(tampered), str(jws), "--jwks", str(public))
    assert code == 1 and "INVALID (digest_mismatch)" in out
    code, out, _ = cli("verify", "--payload", str(payload), str(jws), "--jwks", str(public), "--typ", "other")
    assert code == 1 and "typ_mismatch" in out

    code, out, _ = cli("verify", "--payload", str(payload), str(jws))
    assert code == 3 and "no keys to check against" in out
    _, other = generate(cli, tmp_path / "other", party="FR")
    code, out, _ = cli("verify", "--payload", str(payload), str(jws), "--jwks", str(other))
    assert code == 3 and "unknown_key" in out


def test_a_jwks_from_the_api_is_a_key_source_with_validity(cli: Run, tmp_path: Path) -> None:
    key = signing.generate_private_key()
    payload = b'{"x":1}'
    (tmp_path / "p.json").write_bytes(payload)
    jws = signing.sign_detached(payload, [key], typ="t", iat=2_000_000_000)
    (tmp_path / "p.jws").write_bytes(signing.envelope_bytes(jws))
    jwks = {"party": "EE", "keys": [{**key.jwk, "not_before": "2030-01-01T00:00:00Z"}]}
    (tmp_path / "keys.json").write_text(json.dumps(jwks))
    code, out, _ = cli(
        "verify", "--payload", str(tmp_path / "p.json"), str(tmp_path / "p.jws"), "--jwks", str(tmp_path / "keys.json")
    )
    assert code == 0 and "party EE" in out
    jwks["keys"][0]["revoked_at"] = "2033-01-01T00:00:00Z"
    (tmp_path / "keys.json").write_text(json.dumps(jwks))
    code, out, _ = cli(
        "verify", "--payload", str(tmp_path / "p.json"), str(tmp_path / "p.jws"), "--jwks", str(tmp_path / "keys.json")
    )
    assert code == 1 and "key_revoked" in out


def test_usage_and_key_file_errors(cli: Run, tmp_path: Path) -> None:
    code, _, err = cli("keys", "generate", "--party", "EE", "--out", str(tmp_path))
    assert code == 2 and "ENTENTE_KEY_PASSPHRASE" in err
    private, public = generate(cli, tmp_path / "keys")
    payload = tmp_path / "p.json"
    payload.write_text("{}")
    code, _, err = cli("sign", "--key", str(private), str(payload), env={"ENTENTE_KEY_PASSPHRASE": "wrong"})
    assert code == 1 and "wrong passphrase" in err
    code, _, err = cli("sign", "--key", str(public), str(payload), env=KEY_ENV)
    assert code == 1 and "public JWK cannot sign" in err
    code, _, err = cli("sign", "--key", str(tmp_path / "missing.pem"), str(payload), env=KEY_ENV)
    assert code == 2 and "cannot read" in err
    code, out, err = cli("verify", str(payload))
    assert code == 1 and "not an Entente publication bundle" in out
    code, _, _ = cli("keys", "generate", "--party", "ee", "--out", str(tmp_path), env=KEY_ENV)
    assert code == 1
    (tmp_path / "broken.jws").write_text('{"signatures": []}')
    code, out, _ = cli("verify", "--payload", str(payload), str(tmp_path / "broken.jws"), "--jwks", str(public))
    assert code == 1 and "invalid" in out


def readme_recipe() -> str:
    text = (REPO / "docs" / "verification.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- recipe: openssl[^>]*-->\n```sh\n(.*?)\n```", text, re.S)
    assert found, "docs/verification.md lost its openssl recipe"
    return found.group(1)


def test_the_openssl_recipe_in_the_docs_verifies_a_signature(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    usage = subprocess.run(["openssl", "pkeyutl", "-help"], capture_output=True, text=True, check=False)
    if "-rawin" not in usage.stdout + usage.stderr:
        pytest.skip("this openssl has no pkeyutl -rawin (OpenSSL 3.0 or newer has)")
    key = signing.generate_private_key()
    payload = canonical.canonical_bytes({"communique": 42, "title": "Déclaration commune", "version": 3})
    envelope = signing.sign_detached(payload, [key], typ="entente-signoff+jws", iat=1_790_000_000)
    (tmp_path / "payload.json").write_bytes(payload)
    (tmp_path / "signoff.jws").write_bytes(signing.envelope_bytes(envelope))
    (tmp_path / "EE.jwk.json").write_text(json.dumps(key.jwk))
    recipe = readme_recipe()
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Signature Verified Successfully" in done.stdout
    assert canonical.digest(payload).removeprefix("sha256:") in done.stdout
    assert f'"kid":"{key.kid}"' in done.stdout and '"digest":"sha256:' in done.stdout
    (tmp_path / "payload.json").write_bytes(payload.replace(b"42", b"43"))
    tampered = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=tmp_path, capture_output=True, text=True)
    assert tampered.returncode != 0 and "Signature Verified Successfully" not in tampered.stdout


def test_init_demo_keys_then_a_rotation_through_the_roster_commands(
    cli: Run, database_url: str, tmp_path: Path
) -> None:
    keys_dir = tmp_path / "keys"
    # No PDF for the demo statement (as in tests/test_cli.py): rendering starts a WeasyPrint process, and
    # tests/test_public_pdf.py checks the public PDF of a release end to end.
    env = {
        "ENTENTE_DATABASE_URL": database_url,
        "ENTENTE_PATHS_KEYS": str(keys_dir),
        "ENTENTE_DOCUMENTS_PDF": "false",
        **KEY_ENV,
    }
    code, out, err = cli("init", "--demo", env=env)
    assert code == 0, err
    assert "demo keys: 14 parties (14 generated, 14 registered)" in out and f"passphrase: {PASSPHRASE}" in out
    assert "roster version 1 signed by 14 parties" in out
    demo = re.search(r"demo statement: communiqué (\d+) signed by EE, LV, LT and released: /releases/(\d+)\n", out)
    assert demo is not None and demo[1] == demo[2], out  # a random id, like every communiqué's
    pems = sorted((keys_dir / "private").glob("*.pem"))
    assert len(pems) == 14 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in pems)
    assert len(list(keys_dir.glob("*.jwk.json"))) == 14
    code, out, _ = cli("init", "--demo", env=env)
    assert code == 0 and "(0 generated, 0 registered)" in out and "roster version" not in out
    assert "demo statement: already released" in out
    code, out, _ = cli("audit", "verify", env=env)
    assert code == 0, out  # every demo step was audited, and the chain holds

    code, out, _ = cli("roster", "show", env=env)
    assert code == 0 and "effective roster: version 1" in out and "threshold 8 of 14" in out
    # EE rotates: a new key registered, roster 2 proposed and signed under both thresholds.
    new_private, new_public = generate(cli, tmp_path / "ee")
    assert cli("keys", "register", str(new_public), "--party", "EE", env=env)[0] == 0
    code, _, err = cli("keys", "register", str(new_public), "--party", "FR", env=env)
    assert code == 1 and "already registered" in err
    payload = tmp_path / "roster-2.json"
    code, out, _ = cli("roster", "propose", "--out", str(payload), env=env)
    assert code == 0 and "proposed roster version 2" in out
    assert cli("roster", "sign", "--key", str(new_private), env=env)[0] == 0
    old = {p.stem: p for p in pems}
    signers = ["CA", "DE", "EE", "EU", "FI", "FR", "LT", "LV"]
    for code_name in signers[:-1]:
        code, out, _ = cli("roster", "sign", "--key", str(old[code_name]), env=env)
        assert code == 0 and "more signatures are needed" in out
    code, out, _ = cli("roster", "sign", "--key", str(old["LV"]), env=env)
    assert code == 0 and "roster version 2 is now effective" in out
    code, _, err = cli("roster", "sign", "--key", str(old["PL"]), env=env)
    assert code == 1 and "no roster proposal is pending" in err

    exported = tmp_path / "rosters"
    assert cli("roster", "export", "--out", str(exported), env=env)[0] == 0
    code, out, _ = cli("roster", "verify", str(exported / "1.json"), str(exported / "2.json"))
    assert code == 0 and "roster chain valid: version 2" in out
    code, out, _ = cli("roster", "verify", str(exported / "1.json"), str(exported / "2.json"), "--json")
    assert json.loads(out)["steps"][-1]["old"]["signed"] == sorted(signers)
    document = json.loads((exported / "2.json").read_bytes())
    document["roster"]["parties"][0]["name"] = "Somewhere else"
    del document["digest"]
    (tmp_path / "forged.json").write_text(json.dumps(document))
    code, out, _ = cli("roster", "verify", str(exported / "1.json"), str(tmp_path / "forged.json"))
    assert code == 1 and "INVALID at version 2: bad_signature" in out
    code, out, _ = cli("roster", "verify", str(exported / "2.json"), str(exported / "1.json"))
    assert code == 1 and "replayed_version" in out

    # A sign-off by EE's new key verifies against the chain, not against roster 1 alone.
    statement = tmp_path / "statement.json"
    statement.write_bytes(b'{"a":1}')
    jws = tmp_path / "statement.jws"
    assert cli("sign", "--key", str(new_private), str(statement), "--out", str(jws), env=KEY_ENV)[0] == 0
    code, out, _ = cli(
        "verify",
        "--payload",
        str(statement),
        str(jws),
        "--roster",
        str(exported / "1.json"),
        "--roster",
        str(exported / "2.json"),
    )
    assert code == 0 and "party EE" in out and "roster: version 2" in out
    code, _, _ = cli("verify", "--payload", str(statement), str(jws), "--roster", str(exported / "1.json"))
    assert code == 3
    code, out, _ = cli(
        "verify",
        "--payload",
        str(statement),
        str(jws),
        "--roster",
        str(exported / "1.json"),
        "--roster",
        str(tmp_path / "forged.json"),
    )
    assert code == 3 and "roster chain cannot be trusted" in out


async def test_templates_presign_submits_or_writes_a_body_for_curl(world, settings, cli: Run, tmp_path: Path) -> None:
    async def entente(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
        """The command in a thread of its own, so the test server keeps answering meanwhile."""
        return await asyncio.to_thread(cli, *args, env=env)

    # The command signs with the real time: the server's clock must agree (a little ahead of it).
    world.clock.set(system_clock() - timedelta(minutes=1))
    key = signing.generate_private_key()
    signing.save_private_key(key, tmp_path / "EE.pem", PASSPHRASE)
    response = await world.client.post(
        "/api/v1/parties/EE/keys", json={"jwk": key.jwk}, headers=await world.token("ee.signatory")
    )
    assert response.status == 201
    world.clock.set(system_clock() + timedelta(minutes=2))
    env = {"ENTENTE_PATHS_VAR": str(tmp_path / "var"), "ENTENTE_DATABASE_URL": settings.database_url, **KEY_ENV}
    args = ("templates", "presign", "joint-advisory", "--key", str(tmp_path / "EE.pem"), "--party", "EE")

    code, _, err = await entente(*args, "--tiers", "2,3", env=env)
    assert code == 2 and "ENTENTE_URL" in err
    code, out, err = await entente(*args, "--tiers", "2", "--days", "30", "--out", str(tmp_path / "body.json"), env=env)
    assert code == 0 and "curl" in out, err
    body = json.loads((tmp_path / "body.json").read_text())
    submitted = await world.client.post(
        "/api/v1/templates/joint-advisory/presignatures", json=body, headers=await world.token("ee.signatory")
    )
    assert submitted.status == 201, await submitted.text()

    token = (await world.token("ee.signatory"))["Authorization"].removeprefix("Bearer ")
    remote = env | {"ENTENTE_URL": str(world.client.make_url("")), "ENTENTE_TOKEN": token}
    code, out, err = await entente(*args, "--tiers", "3,4", env=remote)
    assert code == 0, err
    assert "pre-signed joint-advisory v1 for EE: tiers [3, 4], valid until" in out
    code, _, err = await entente(*args, "--tiers", "9", env=remote)
    assert code == 1 and "not among the template's tiers" in err

    code, out, err = await entente("templates", "list", env=env)
    assert code == 0, err
    listed = out.split("joint-advisory", 1)[1].split("\n", 2)[1:]
    assert listed[0].split()[:2] == ["EE", "valid"] and listed[1].split()[:2] == ["EE", "valid"]

"""The public verify page (/verify) in a real browser: the checks run in Chromium, on files the test builds.

Until the bundle endpoint exists, the bundle is assembled here from the real pieces: a released
communiqué's public record, the roster documents the site serves, and a log part computed here (a
small RFC 9162 tree and a C2SP signed note made with entente.signing).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from entente import canonical, signing
from entente.appkeys import platform_keys_key
from tests import test_browser, test_roster, test_signoffs
from tests.releasing import release_communique, signed_communique
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is installed by `make test`")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs Debian's)")

base_url = test_browser.base_url  # the fixtures: the app on a loopback port, one Ed25519 key per party
keys = test_signoffs.keys
ORIGIN = "127.0.0.1:8080/log"
EXPECTED_CHECKS = [
    "File read in this browser",
    "Version bytes are RFC 8785 canonical JSON",
    "Disclosures match the version's digests (SD-JWT, RFC 9901 section 7.1)",
    "Roster chain from the first roster (TUF root rule)",
    "Sign-off signatures (JWS, RFC 7515, detached payload)",
    "Quorum",
    "Log key",
    "Checkpoint signed by the log key (C2SP signed note)",
    "Cosignatures by roster parties (C2SP tlog-cosignature/v1)",
    "Commitment included in the log (RFC 9162 section 2.1.3.2)",
    "Commitment opens to the version digest",
    "Publication included in the log (RFC 9162 section 2.1.3.2)",
    "Publication entry names this version, its sign-offs and a prior commitment",
]


def _expected_console_noise(message: Any) -> bool:
    """The page asks this site for its log key; until the log lands on main the answer is a 404,
    which the browser reports as a failed load. Nothing else is allowed."""
    url = (message.location or {}).get("url", "")
    return "status of 404" in message.text and url.endswith("/.well-known/entente/log/key")


@pytest.fixture
async def browser_page():
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await (await browser.new_context()).new_page()
        problems: list[str] = []
        requests: list[str] = []
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type == "error" and not _expected_console_noise(m) else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        yield page, problems, requests
        await browser.close()


# --- the log part: RFC 9162 Merkle tree, C2SP signed note and tlog-cosignature/v1 ----------------------


def _leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return hashlib.sha256(b"\x01" + _root(hashes[:k]) + _root(hashes[k:])).digest()


def _path(m: int, hashes: list[bytes]) -> list[bytes]:
    """RFC 9162 section 2.1.3.1: PATH(m, D[n])."""
    if len(hashes) == 1:
        return []
    k = _split(len(hashes))
    if m < k:
        return _path(m, hashes[:k]) + [_root(hashes[k:])]
    return _path(m - k, hashes[k:]) + [_root(hashes[:k])]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _raw_public(key: signing.PrivateKey) -> bytes:
    return canonical.b64url_decode(key.jwk["x"])


def _signature_line(name: str, key_type: int, key: signing.PrivateKey, message: bytes, prefix: bytes = b"") -> str:
    key_hash = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + _raw_public(key)).digest()[:4]
    return f"\u2014 {name} {_b64(key_hash + prefix + signing.sign_bytes(key, message))}\n"


def log_part(
    record: dict[str, Any], cosigner: signing.PrivateKey, at: str, log_key: signing.PrivateKey, origin: str = ORIGIN
) -> dict[str, Any]:
    """Seven leaves: others, the commitment at 3, others, the publication at 6; a checkpoint at size 7
    signed by ``log_key`` and cosigned with ``cosigner`` (a party key of the roster)."""
    salt = canonical.random_salt()
    opened = hashlib.sha256(canonical.b64url_decode(salt) + record["version_digest"].encode()).hexdigest()
    commitment = canonical.canonical_bytes({"at": at, "commitment": f"sha256:{opened}", "type": "entente-commitment"})
    publication = canonical.canonical_bytes(
        {
            "at": at,
            "commitment": {"index": 3, "salt": salt},
            "communique": record["communique"],
            "envelopes_digest": canonical.digest_of(record["signoffs"]),
            "pdf_digest": None,
            "released_at": record["embargo_at"],
            "type": "entente-publication",
            "version_digest": record["version_digest"],
        }
    )
    other = [canonical.canonical_bytes({"n": n, "type": "other"}) for n in range(5)]
    leaves = other[:3] + [commitment] + other[3:] + [publication]
    hashes = [_leaf_hash(leaf) for leaf in leaves]
    body = f"{origin}\n{len(leaves)}\n{_b64(_root(hashes))}\n"
    time = 1_800_000_000
    cosigned = f"cosignature/v1\ntime {time}\n".encode() + body.encode()
    checkpoint = (
        body
        + "\n"
        + _signature_line(origin, 0x01, log_key, body.encode())
        + _signature_line("ee.example/witness", 0x04, cosigner, cosigned, time.to_bytes(8, "big"))
    )
    key_data = b"\x01" + _raw_public(log_key)
    key_hash = hashlib.sha256(origin.encode() + b"\n" + key_data).digest()[:4]
    return {
        "origin": origin,
        "key": f"{origin}+{key_hash.hex()}+{_b64(key_data)}",
        "checkpoint": checkpoint,
        "commitment": {
            "index": 3,
            "leaf": _b64(commitment),
            "salt": salt,
            "proof": [_b64(h) for h in _path(3, hashes)],
        },
        "publication": {"index": 6, "leaf": _b64(publication), "proof": [_b64(h) for h in _path(6, hashes)]},
    }


# --- a released communiqué and its bundle ----------------------------------------------------------------


async def adopt_rosters(world, keys) -> list[dict[str, Any]]:
    """Roster 1 with the parties' keys (signed by EE and FR), then roster 2 adding a fresh EE key
    (signed by both thresholds); the two documents as this site serves them."""
    first = await test_roster.propose(world)
    for code in ("EE", "FR"):
        assert (await test_roster.submit(world, first, keys[code], f"{code.lower()}.signatory")).status == 200
    world.clock.advance(timedelta(minutes=5))
    fresh = await test_roster.register_keys(world, "EE")
    second = await test_roster.propose(world)
    for key, user in ((fresh["EE"], "ee.signatory"), (keys["EE"], "ee.signatory"), (keys["FR"], "fr.signatory")):
        response = await test_roster.submit(world, second, key, user)
        assert response.status == 200, await response.text()
    assert (await response.json())["status"] == "adopted"
    return [await (await world.client.get(f"/.well-known/entente/roster/{n}.json")).json() for n in (1, 2)]


@pytest.fixture
async def bundle(world, keys) -> dict[str, Any]:
    rosters = await adopt_rosters(world, keys)
    cid = await signed_communique(world, keys)
    at = (world.clock() + timedelta(days=1)).replace(second=0, microsecond=0)
    await release_communique(world, cid, at)
    world.clock.advance(timedelta(days=1, minutes=1))
    response = await world.client.get(f"/api/v1/public/communiques/{cid}")
    assert response.status == 200
    record = await response.json()
    # The checkpoint is signed here with the site's own log key, so that the key the page fetches from
    # /.well-known/entente/log/key matches (the real bundle endpoint will make this part).
    served = (await (await world.client.get("/.well-known/entente/log/key")).text()).strip()
    platform = await world.client.app[platform_keys_key].get()
    log = log_part(record, keys["EE"], record["embargo_at"], platform.log, served.split("+")[0])
    assert log["key"] == served
    return {"type": "entente-bundle", "communique": cid, "record": record, "roster": rosters, "log": log, "pdf": None}


def as_file(name: str, value: Any) -> dict[str, Any]:
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    return {"name": name, "mimeType": "application/json", "buffer": data}


async def check_file(page: Any, base_url: str, file: dict[str, Any]) -> tuple[str, dict[str, tuple[str, str]]]:
    """Open /verify, give it ``file`` through the file input; the verdict and each check's (status, reason)."""
    await page.goto(base_url + "verify")
    await page.set_input_files("#file", files=[file])
    return await outcome(page)


async def outcome(page: Any) -> tuple[str, dict[str, tuple[str, str]]]:
    verdict = await page.wait_for_selector("#verdict[data-verdict]")
    rows = await page.eval_on_selector_all(
        "#checks li",
        "items => items.map(li => [li.dataset.check, li.className,"
        " (li.querySelector('.why') || {}).textContent || ''])",
    )
    return await verdict.get_attribute("data-verdict"), {name: (status, why) for name, status, why in rows}


# --- the tests ------------------------------------------------------------------------------------------


async def test_the_verify_page_is_linked_from_the_public_pages_and_works_without_an_upload(world) -> None:
    index = await (await world.client.get("/")).text()
    assert 'href="/verify"' in index
    page = await world.client.get("/verify")
    text = await page.text()
    assert page.status == 200 and 'id="file"' in text and "uploaded" in text
    assert "/static/verify.js" in text and "<script>" not in text  # no inline script under the CSP


async def test_a_valid_bundle_passes_every_check_in_the_browser(browser_page, base_url, bundle, tmp_path) -> None:
    page, problems, requests = browser_page
    await page.goto(base_url + "verify")
    # A real drop: a DataTransfer holding the file, dispatched on the drop zone.
    transfer = await page.evaluate_handle(
        "([name, text]) => { const t = new DataTransfer();"
        " t.items.add(new File([text], name, {type: 'application/json'})); return t; }",
        ["bundle.json", json.dumps(bundle)],
    )
    await page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    verdict, checks = await outcome(page)
    assert list(checks) == EXPECTED_CHECKS
    assert {name: status for name, (status, _) in checks.items()} == {name: "pass" for name in EXPECTED_CHECKS}, (
        json.dumps(checks, indent=1)
    )
    assert verdict == "valid"
    assert "Valid" in await page.inner_text("#verdict")
    trusted = await page.inner_text("#trusted")
    assert "the first roster as served by this site" in trusted
    assert "the log key as served by this site" in trusted
    assert "roster 1" in checks[EXPECTED_CHECKS[3]][1] and "roster 2" in checks[EXPECTED_CHECKS[3]][1]
    assert "signed by EE, EU, FR" in checks["Quorum"][1]
    assert "cosigned by EE" in checks[EXPECTED_CHECKS[8]][1]
    await page.screenshot(path=str(tmp_path / "verify-valid.png"), full_page=True)
    # Nothing left the browser: the only requests after the page went to this site's well-known documents.
    paths = {url.removeprefix(base_url).split("?")[0] for url in requests if not url.startswith("data:")}
    assert paths <= {
        "verify",
        "static/entente.css",
        "static/verify.js",
        ".well-known/entente/roster/1.json",
        ".well-known/entente/log/key",
    }, requests
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"


def _with_version_byte_changed(bundle: dict[str, Any]) -> dict[str, Any]:
    tampered = json.loads(json.dumps(bundle))
    data = bytearray(canonical.b64url_decode(tampered["record"]["version"]))
    at = data.index(b"Baltic")
    data[at] = ord("b")
    tampered["record"]["version"] = canonical.b64url_encode(bytes(data))
    return tampered


def _with_version_and_digest_changed(bundle: dict[str, Any]) -> dict[str, Any]:
    """A careful forger: the text changed and the record's digest recomputed to match."""
    tampered = _with_version_byte_changed(bundle)
    tampered["record"]["version_digest"] = canonical.digest(canonical.b64url_decode(tampered["record"]["version"]))
    return tampered


def _with_a_signature_changed(bundle: dict[str, Any]) -> dict[str, Any]:
    tampered = json.loads(json.dumps(bundle))
    entry = tampered["record"]["signoffs"]["explicit"][1]["signatures"][0]
    signature = bytearray(canonical.b64url_decode(entry["signature"]))
    signature[10] ^= 0x01
    entry["signature"] = canonical.b64url_encode(bytes(signature))
    return tampered


def _with_the_checkpoint_root_changed(bundle: dict[str, Any]) -> dict[str, Any]:
    tampered = json.loads(json.dumps(bundle))
    lines = tampered["log"]["checkpoint"].split("\n")
    lines[2] = _b64(secrets.token_bytes(32))
    tampered["log"]["checkpoint"] = "\n".join(lines)
    return tampered


TAMPERING = [
    (_with_version_byte_changed, "Version bytes are RFC 8785 canonical JSON", "SHA-256 of the version bytes is"),
    (_with_version_and_digest_changed, "Sign-off signatures (JWS, RFC 7515, detached payload)", "digest_mismatch"),
    (_with_a_signature_changed, "Sign-off signatures (JWS, RFC 7515, detached payload)", "bad_signature"),
    (_with_the_checkpoint_root_changed, "Checkpoint signed by the log key (C2SP signed note)", "does not verify"),
]


async def test_a_tampered_bundle_shows_the_failing_check_and_invalid(browser_page, base_url, bundle) -> None:
    """One released bundle (built once: releasing takes seconds), four forgeries of it."""
    page, problems, _ = browser_page
    for tamper, failing, reason in TAMPERING:
        verdict, checks = await check_file(page, base_url, as_file("bundle.json", tamper(bundle)))
        status, why = checks[failing]
        assert (status, verdict) == ("fail", "invalid"), (tamper.__name__, checks)
        assert reason in why, (tamper.__name__, why)
        assert "Invalid" in await page.inner_text("#verdict")
        if tamper is _with_version_and_digest_changed:  # the forged digest opens no commitment either
            assert checks["Commitment opens to the version digest"][0] == "fail"
            assert checks["Publication entry names this version, its sign-offs and a prior commitment"][0] == "fail"
        if tamper is _with_a_signature_changed:
            assert checks["Quorum"][0] == "fail" and "missing" in checks["Quorum"][1]
    assert problems == [], problems


async def test_a_pinned_first_roster_that_differs_makes_the_chain_fail(browser_page, base_url, bundle) -> None:
    page, problems, _ = browser_page
    await page.goto(base_url + "verify")
    await page.fill("#pin", "sha256:" + "0" * 64)
    await page.set_input_files("#file", files=[as_file("bundle.json", bundle)])
    verdict, checks = await outcome(page)
    assert verdict == "invalid"
    assert "not the pinned" in checks["Roster chain from the first roster (TUF root rule)"][1]
    await page.goto(base_url + "verify")
    await page.fill("#pin", bundle["roster"][0]["digest"])
    await page.set_input_files("#file", files=[as_file("bundle.json", bundle)])
    verdict, checks = await outcome(page)
    assert verdict == "valid", checks
    assert "the first roster you pinned" in await page.inner_text("#trusted")
    assert problems == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("noise.json", bytes(range(256)) * 2, "neither a PDF nor a publication bundle"),
        ("other.json", {"hello": "world"}, "not an Entente publication bundle"),
        (
            "broken.pdf",
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
            "carries none of a statement's attachments",
        ),
    ],
    ids=["noise", "other-json", "pdf-without-attachments"],
)
async def test_garbage_gets_a_clear_message(browser_page, base_url, world, name, content, message) -> None:
    page, problems, _ = browser_page
    verdict, checks = await check_file(page, base_url, as_file(name, content))
    assert verdict == "invalid"
    assert list(checks) == ["File read in this browser"]
    assert message in checks["File read in this browser"][1]
    assert "cannot be checked here" in await page.inner_text("#verdict")
    assert problems == []


# --- the PDF path ------------------------------------------------------------------------------------------


async def public_pdf(bundle: dict[str, Any]) -> bytes:
    """The public PDF as the documents module makes it (WeasyPrint PDF/A-3b with the five attachments,
    then a PAdES signature, in a worker process as on the server), from the bundle's pieces. The public
    route /releases/{id}.pdf is not on main yet; when it is, fetch it instead."""
    from entente.documents.pool import DocumentRenderer
    from entente.documents.spec import DocumentAttachment
    from entente.documents.specs import public_spec
    from entente.platformkeys import PlatformKeys

    record, log = bundle["record"], bundle["log"]
    files = {
        "version.json": canonical.b64url_decode(record["version"]),
        "disclosures.json": canonical.canonical_bytes(record["disclosures"]),
        "signoffs.json": canonical.canonical_bytes(record["signoffs"]),
        "roster.json": canonical.canonical_bytes(bundle["roster"]),
        "log-proof.json": canonical.canonical_bytes({k: log[k] for k in ("origin", "key", "checkpoint", "commitment")}),
    }
    attachments = [DocumentAttachment(name, data, "application/json", name) for name, data in files.items()]
    key = signing.generate_private_key(signing.Algorithm.ES256)
    certificate = signing.self_signed_certificate(key, "Entente test", not_before=datetime.now(UTC))
    renderer = DocumentRenderer(Path(__file__).parent.parent / "templates")
    try:
        return await renderer.render(
            public_spec(record, {}, attachments), PlatformKeys(log=key, pdf=key, pdf_certificate=certificate)
        )
    finally:
        await renderer.close()


@pytest.mark.pdf
async def test_a_signed_public_pdf_passes_the_attachment_checks_in_the_browser(
    browser_page, base_url, bundle, tmp_path
) -> None:
    page, problems, _ = browser_page
    pdf = await public_pdf(bundle)
    assert b"/ObjStm" in pdf  # the attachments' file specifications sit in compressed object streams
    file = {"name": "statement.pdf", "mimeType": "application/pdf", "buffer": pdf}
    verdict, checks = await check_file(page, base_url, file)
    assert checks["File read in this browser"][1].startswith(f"statement.pdf: PDF, {len(pdf)} bytes, SHA-256 ")
    assert hashlib.sha256(pdf).hexdigest() in checks["File read in this browser"][1]
    assert checks["PDF signature (PAdES)"] == (
        "skip",
        "not checked in the browser: run pdfsig FILE.pdf or entente verify FILE.pdf",
    )
    publication = [name for name in checks if name.startswith("Publication")]
    assert all(checks[name][0] == "skip" and "a PDF cannot carry it" in checks[name][1] for name in publication)
    passed = [name for name, (status, _) in checks.items() if status == "pass"]
    assert passed == [name for name in EXPECTED_CHECKS if not name.startswith("Publication")], checks
    assert verdict == "valid"
    await page.screenshot(path=str(tmp_path / "verify-pdf.png"), full_page=True)
    # One changed byte in the PDF's version attachment is caught: re-render with another title byte.
    forged = dict(bundle, record=_with_version_and_digest_changed(bundle)["record"])
    forged_pdf = await public_pdf(forged)
    verdict, checks = await check_file(page, base_url, {**file, "buffer": forged_pdf})
    assert (
        verdict == "invalid" and "digest_mismatch" in checks["Sign-off signatures (JWS, RFC 7515, detached payload)"][1]
    )
    assert problems == [], problems

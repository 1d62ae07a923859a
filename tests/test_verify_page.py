"""The public verify page (/verify) in a real browser: the checks run in Chromium, on exactly what the
server publishes for a released communiqué: its bundle (GET /api/v1/public/communiques/{id}/bundle) and
its signed public PDF (/releases/{id}.pdf), a version of format 1, and parties that aligned later (in the
bundle and in the PDF rendered again with them, /releases/{id}/aligned.pdf).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest

from entente import canonical
from entente.drafting import writing as drafting_writing
from entente.transparency import note
from tests.support import roster
from tests.support.aligning import (
    align,
    alignment_jws,
    public_version,
    released_without_ee,
    with_a_forged_alignment,
    withdrawn_and_aligned_again,
)
from tests.support.browser import BROWSER_MARKS, watched_page
from tests.support.drafting import BASE
from tests.support.releasing import bundle_of, released, scheduled
from tests.support.versions import format_1_build_version

pytestmark = BROWSER_MARKS
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


@pytest.fixture
async def browser_page(chromium):
    async with watched_page(chromium) as (page, problems):
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        yield page, problems, requests


# --- a released communiqué and its bundle, as the server publishes them -----------------------------------


async def adopt_roster_2(world, keys) -> None:
    """Roster 2 through the roster proposals API: a fresh EE key registered, the proposal signed by it and
    by EE's and FR's keys of roster 1 (the old threshold and the new), so the bundle carries a chain."""
    world.clock.advance(timedelta(minutes=5))
    fresh = await roster.register_keys(world, "EE")
    proposal = await roster.propose(world)
    assert proposal["version"] == 2
    for key, user in ((fresh["EE"], "ee.signatory"), (keys["EE"], "ee.signatory"), (keys["FR"], "fr.signatory")):
        response = await roster.submit(world, proposal, key, user)
        assert response.status == 200, await response.text()
    assert (await response.json())["status"] == "adopted"


async def cosign_checkpoint(world, party: str, key) -> None:
    """``party`` cosigns the log's newest checkpoint and sends the line to the log, as a party's witness does."""
    checkpoint = await (await world.client.get("/.well-known/entente/log/checkpoint")).text()
    body = checkpoint.split("\n\n")[0] + "\n"
    origin, size = body.split("\n")[:2]
    line = note.cosign(body, note.cosigner_name(origin, party), key, int(world.clock().timestamp()))
    response = await world.client.post(
        "/api/v1/log/cosignatures", json={"party": party, "size": int(size), "line": line}
    )
    assert response.status == 201, await response.text()


@pytest.fixture
async def bundle(world, rostered) -> dict[str, Any]:
    """Roster 1 (seeded, signed by every party), roster 2 adopted, a communiqué released by the scheduler,
    the checkpoint cosigned by EE; the bundle the server answers."""
    await adopt_roster_2(world, rostered)
    cid = await released(world, rostered)
    await cosign_checkpoint(world, "EE", rostered["EE"])
    published = await bundle_of(world, cid)
    assert [document["roster"]["version"] for document in published["roster"]] == [1, 2]
    return published


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
    lines[2] = base64.b64encode(hashlib.sha256(b"another tree").digest()).decode()
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


# --- a bundle fetched before the scheduler logged the release --------------------------------------------


async def test_a_bundle_the_log_does_not_cover_yet_is_indeterminate(browser_page, base_url, world, rostered) -> None:
    """Between the instant and the scheduler's next tick the bundle is public, but no signed checkpoint
    covers the release's log entries yet: the page says so and stays indeterminate, without failing."""
    page, problems, _ = browser_page
    cid = await scheduled(world, rostered)
    world.clock.advance(timedelta(hours=1))
    early = await bundle_of(world, cid)
    assert early["log"]["publication"] is None
    verdict, checks = await check_file(page, base_url, as_file("bundle.json", early))
    assert verdict == "indeterminate", checks
    assert not [name for name, (status, _) in checks.items() if status == "fail"], checks
    publication = checks["Publication included in the log (RFC 9162 section 2.1.3.2)"]
    assert publication[0] == "warn" and "not yet in the log" in publication[1], publication
    assert checks["Commitment included in the log (RFC 9162 section 2.1.3.2)"][0] == "pass"  # logged at scheduling
    assert "Indeterminate" in await page.inner_text("#verdict")
    # What the server answers when its newest checkpoint predates the commitment too, or when it signed none.
    for uncovered in ({"commitment": None}, {"commitment": None, "checkpoint": None}):
        log = {**early["log"], **uncovered}
        verdict, checks = await check_file(page, base_url, as_file("bundle.json", {**early, "log": log}))
        assert verdict == "indeterminate", (uncovered, checks)
        assert not [name for name, (status, _) in checks.items() if status == "fail"], checks
        commitment = checks["Commitment included in the log (RFC 9162 section 2.1.3.2)"]
        assert commitment[0] == "warn" and "not yet in the log" in commitment[1], commitment
        assert checks["Commitment opens to the version digest"][0] == "skip"
    assert checks["Checkpoint signed by the log key (C2SP signed note)"][0] == "warn"
    assert problems == [], problems


# --- the PDF path ------------------------------------------------------------------------------------------


def forged_version_attachment(pdf: bytes) -> bytes:
    """The PDF with an incremental update appended that redefines version.json's embedded file with one
    title byte changed (what a forger would do: the page reads the last definition of each object)."""
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
    reference = specs["version.json"]["/EF"].raw_get("/F")
    data = bytearray(reader.get_object(reference).get_data())
    data[data.index(b"Baltic")] = ord("b")
    stream = b"%d 0 obj\n<< /Type /EmbeddedFile /Length %d >>\nstream\n" % (reference.idnum, len(data))
    return pdf + b"\n" + stream + bytes(data) + b"\nendstream\nendobj\n"


@pytest.mark.pdf
async def test_the_signed_public_pdf_passes_the_attachment_checks_in_the_browser(
    browser_page, base_url, world, rostered, tmp_path
) -> None:
    """The PDF the server serves at /releases/{id}.pdf once the scheduler released it (rendered and
    PAdES-signed by the documents module, attachments in compressed object streams)."""
    page, problems, _ = browser_page
    cid = await released(world, rostered)  # scheduler.tick: renders the PDF, releases, signs the checkpoint
    response = await world.client.get(f"/releases/{cid}.pdf")
    assert response.status == 200, await response.text()
    pdf = await response.read()
    assert (await bundle_of(world, cid))["pdf"]["digest"] == canonical.digest(pdf)
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
    # One changed byte in the PDF's version attachment is caught by the sign-offs (the PAdES signature,
    # which an appended update also breaks, is left to pdfsig).
    verdict, checks = await check_file(page, base_url, {**file, "buffer": forged_version_attachment(pdf)})
    assert (
        verdict == "invalid" and "digest_mismatch" in checks["Sign-off signatures (JWS, RFC 7515, detached payload)"][1]
    ), checks
    # A party's own PDF of the version is no publication, and the page says so.
    own = await world.client.get(f"{BASE}/{cid}/versions/head/pdf", headers=await world.token("fr.drafter"))
    assert own.status == 200, await own.text()
    verdict, checks = await check_file(page, base_url, {**file, "name": "fr.pdf", "buffer": await own.read()})
    assert verdict == "invalid"
    assert "a party's own view of a version, not a publication" in checks["File read in this browser"][1], checks
    assert problems == [], problems


# --- a version of format 1 ---------------------------------------------------------------------------------


async def test_a_format_1_release_passes_every_check_in_the_browser(
    browser_page, base_url, world, rostered, monkeypatch
) -> None:
    """A version written before format 2 (each marking in the clear, no format member) keeps verifying."""
    page, problems, _ = browser_page
    with monkeypatch.context() as patch:
        patch.setattr(drafting_writing, "build_version", format_1_build_version)
        cid = await released(world, rostered)
    published = await bundle_of(world, cid)
    assert "format" not in canonical.parse_strict(canonical.b64url_decode(published["record"]["version"]))
    verdict, checks = await check_file(page, base_url, as_file("bundle.json", published))
    assert verdict == "valid", checks
    assert {name: status for name, (status, _) in checks.items()} == {name: "pass" for name in EXPECTED_CHECKS}
    assert checks[EXPECTED_CHECKS[2]][1] == (
        "1 of 2 sections, 0 of 0 annex disclosed; the rest withheld (counted, not shown; format 1 lists their markings)"
    )
    assert problems == [], problems


# --- parties that aligned later ------------------------------------------------------------------------------


ALIGNED = "Alignment by EE, {} (JWS over the released version bytes, log entry)"


async def test_later_alignments_are_checked_one_by_one_and_a_forged_one_fails(
    browser_page, base_url, world, rostered
) -> None:
    """EE aligned a week after the release, withdrew, aligned again: each alignment is checked on its own
    after the quorum at release, the withdrawn one shown as withdrawn; one signed by a key outside the
    roster fails."""
    page, problems, _ = browser_page
    published = await withdrawn_and_aligned_again(world, rostered)
    withdrawn, standing = published["alignments"]
    first, second = ALIGNED.format("2026-12-04T10:00:00Z"), ALIGNED.format("2026-12-06T10:00:00Z")

    verdict, checks = await check_file(page, base_url, as_file("bundle.json", published))
    assert list(checks) == [*EXPECTED_CHECKS, first, second, "Later alignments"]
    assert verdict == "valid" and all(status == "pass" for status, _ in checks.values()), checks
    assert checks["Quorum"][1] == "signed by EU, FR of EU, FR (every participating party)"  # the quorum at release
    assert checks[first][1] == (
        f"withdrawn: aligned at 2026-12-04T10:00:00Z (log entry {withdrawn['log']['index']}), withdrawn at "
        f"2026-12-06T10:00:00Z (log entry {withdrawn['withdrawn']['log']['index']}): new evidence"
    )
    assert checks[second][1] == (
        "aligned at 2026-12-06T10:00:00Z: JWS verifies over the released version bytes with EE's key; "
        f"log entry {standing['log']['index']} (with a signed statement)"
    )
    assert checks["Later alignments"][1] == "at release: EU, FR; aligned later (not withdrawn): EE"

    forged = with_a_forged_alignment(published, world)
    verdict, checks = await check_file(page, base_url, as_file("bundle.json", forged))
    assert verdict == "invalid" and checks[first][0] == "pass", checks
    assert checks[second] == ("fail", "the alignment signature is refused: unknown_key")
    assert checks["Later alignments"][1] == "at release: EU, FR; aligned later (not withdrawn): none"
    assert problems == [], problems


@pytest.mark.pdf
async def test_the_pdf_rendered_again_with_an_alignment_passes_in_the_browser(
    browser_page, base_url, world, rostered
) -> None:
    """/releases/{id}/aligned.pdf embeds alignments.json beside the five files of the original: the page
    reads it and checks the alignment as in a bundle."""
    page, problems, _ = browser_page
    cid = await released_without_ee(world, rostered)
    _, version = await public_version(world, cid)
    world.clock.advance(timedelta(days=7))
    aligned = await align(world, cid, alignment_jws(rostered["EE"], version, world))
    assert aligned.status == 201, await aligned.text()  # the checkpoint covering it signed, the PDF rendered again
    response = await world.client.get(f"/releases/{cid}/aligned.pdf")
    assert response.status == 200, await response.text()
    file = {"name": "aligned.pdf", "mimeType": "application/pdf", "buffer": await response.read()}
    verdict, checks = await check_file(page, base_url, file)
    assert verdict == "valid", checks
    assert checks[ALIGNED.format("2026-12-04T10:00:00Z")][0] == "pass", checks
    assert checks["Later alignments"] == ("pass", "at release: EU, FR; aligned later (not withdrawn): EE")
    assert problems == [], problems

"""Late alignment, replayed on SolarWinds 2021: a partner aligns with a released declaration a week
later. Its signatory signs the released version bytes with its own key (and an alignment statement);
the original record and signatures stay as they were; the bundle, page, list and feed show the
alignment with its own date; jwcrypto and `entente verify` check it; the log records it; it can be
withdrawn, recorded and never erased.

Every step runs through the real API on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from sqlmodel import select

from entente import canonical, releases, scheduler, signing
from entente.app import create_app
from entente.appkeys import public_index_key, publisher_key
from entente.cli import main as entente_main
from entente.models import AuditEntry
from entente.signoffs import SIGNOFF_TYP
from entente.verification import VerifyOptions, verify_bundle, verify_pdf
from tests.support.aligning import (
    STATEMENT,
    align,
    alignment_jws,
    public_version,
    released_without_ee,
    with_a_forged_alignment,
    withdrawn_and_aligned_again,
)
from tests.support.drafting import create, section
from tests.support.releasing import PUBLIC, bundle_of
from tests.support.signoffs import payload


async def problem(response, status: int, code: str) -> dict:
    assert response.status == status, await response.text()
    body = await response.json(content_type=None)
    assert body["code"] == code, body
    return body


async def test_a_partner_aligns_a_week_later_and_everyone_can_check_it(world, rostered, tmp_path: Path) -> None:
    keys = rostered
    cid = await released_without_ee(world, keys)
    record_before, version = await public_version(world, cid)
    bundle_before = await bundle_of(world, cid)
    signatures_before = bundle_before["record"]["signoffs"]

    world.clock.advance(timedelta(days=7))
    aligned = await align(world, cid, alignment_jws(keys["EE"], version, world))
    assert aligned.status == 201, await aligned.text()
    body = await aligned.json()
    assert body["party"] == "EE" and body["statement"] == STATEMENT
    assert body["aligned_at"] == "2026-12-04T10:00:00Z" and body["log_index"] is not None

    # The original record and its signatures stay exactly as they were.
    record_after, _ = await public_version(world, cid)
    assert record_after == record_before
    await scheduler.tick(world.client.app[publisher_key])  # a checkpoint covering the alignment entry
    bundle = await bundle_of(world, cid)
    assert bundle["record"]["signoffs"] == signatures_before
    [item] = bundle["alignments"]
    assert item["party"] == "EE" and item["aligned_at"] == "2026-12-04T10:00:00Z" and item["withdrawn"] is None

    # jwcrypto checks the alignment over the released bytes with EE's published key, and nothing else.
    jwk = jwcrypto_jwk.JWK(**item["keys"][0]["jwk"])
    for entry in item["envelope"]["signatures"]:
        token = jwcrypto_jws.JWS()
        token.deserialize(json.dumps(entry))
        token.verify(jwk, detached_payload=version)
        assert token.is_valid
        header = json.loads(base64.urlsafe_b64decode(entry["protected"] + "=="))
        assert header["typ"] == "entente-alignment+jws"
        assert header["statement_digest"] == releases.statement_digest(STATEMENT)

    # entente verify reports the quorum at release and the alignment separately.
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "valid", report.to_dict()
    checks = {c.name: c.detail for c in report.checks}
    assert "signed by EU, FR" in checks["quorum"] or "signed by FR, EU" in checks["quorum"]
    assert checks["alignment EE"].startswith("aligned at 2026-12-04T10:00:00Z")
    assert checks["alignments"] == "at release: EU, FR; aligned later (not withdrawn): EE"
    path = tmp_path / "bundle.json"
    path.write_bytes(json.dumps(bundle).encode())
    assert entente_main(["verify", "--json", str(path)]) == 0

    # A statement changed after the fact, or the alignment moved to another party, fails.
    tampered = copy.deepcopy(bundle)
    tampered["alignments"][0]["statement"] = "Estonia fully endorses offensive measures."
    report = verify_bundle(tampered, VerifyOptions())
    assert report.verdict == "invalid" and "statement" in (report.reason or "")
    tampered = copy.deepcopy(bundle)
    tampered["alignments"][0]["aligned_at"] = "2026-11-27T10:00:00Z"  # back-dated to the release
    assert verify_bundle(tampered, VerifyOptions()).verdict == "invalid"
    tampered_path = tmp_path / "tampered.json"
    tampered_path.write_bytes(json.dumps(tampered).encode())
    assert entente_main(["verify", str(tampered_path)]) == 1

    # The log holds the alignment leaf; the page, list and feed show it with its own date.
    leaf = canonical.parse_strict(base64.b64decode(item["log"]["leaf"]))
    assert (
        leaf["type"] == "entente-alignment"
        and leaf["party"] == "EE"
        and leaf["version_digest"] == bundle["record"]["version_digest"]
    )
    page = await (await world.client.get(f"/releases/{cid}")).text()
    assert "Later alignments" in page and "Republic of Estonia" in page and STATEMENT in page
    assert "2026-12-04 10:00 UTC" in page
    listed = await (await world.client.get(PUBLIC)).json()
    assert listed[0]["alignments"] == [{"party": "EE", "aligned_at": "2026-12-04T10:00:00Z", "withdrawn_at": None}]
    feed = feedparser.parse(await (await world.client.get("/releases.atom")).read())
    assert feed.entries[0].updated == "2026-12-04T10:00:00Z"
    assert "Republic of Estonia aligned with it on 2026-12-04T10:00:00Z" in feed.entries[0].summary
    public = await (await world.client.get(f"{PUBLIC}/{cid}/alignments")).json()
    assert [(a["party"], a["statement"], a["signer"]) for a in public] == [("EE", STATEMENT, None)]


async def test_an_alignment_is_withdrawn_recorded_and_never_erased(world, rostered) -> None:
    keys = rostered
    cid = await released_without_ee(world, keys)
    _, version = await public_version(world, cid)
    world.clock.advance(timedelta(days=7))
    alignment = await (await align(world, cid, alignment_jws(keys["EE"], version, world, None), None)).json()
    path = f"/api/v1/communiques/{cid}/alignments/{alignment['id']}/withdrawal"
    await problem(
        await world.client.post(path, json={"reason": "no"}, headers=await world.token("fr.signatory")),
        403,
        "wrong_party",
    )
    world.clock.advance(timedelta(days=2))
    withdrawn = await world.client.post(
        path, json={"reason": "new evidence"}, headers=await world.token("ee.signatory")
    )
    assert withdrawn.status == 200, await withdrawn.text()
    assert (await withdrawn.json())["withdrawn_at"] == "2026-12-06T10:00:00Z"
    await problem(
        await world.client.post(path, json={"reason": "again"}, headers=await world.token("ee.signatory")),
        409,
        "alignment_withdrawn",
    )
    await scheduler.tick(world.client.app[publisher_key])
    bundle = await bundle_of(world, cid)
    [item] = bundle["alignments"]
    assert item["withdrawn"]["reason"] == "new evidence" and item["withdrawn"]["log"] is not None
    leaf = canonical.parse_strict(base64.b64decode(item["withdrawn"]["log"]["leaf"]))
    assert leaf["type"] == "entente-alignment-withdrawal" and leaf["alignment"] == item["log"]["index"]
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "valid", report.to_dict()
    checks = {c.name: c.detail for c in report.checks}
    assert "withdrawn at 2026-12-06T10:00:00Z" in checks["alignment EE"]
    assert checks["alignments"].endswith("aligned later (not withdrawn): none")
    page = await (await world.client.get(f"/releases/{cid}")).text()
    assert "Withdrawn on" in page and "new evidence" in page
    # Aligning again after a withdrawal is a new alignment beside the withdrawn one.
    again = await align(world, cid, alignment_jws(keys["EE"], version, world))
    assert again.status == 201, await again.text()
    async with world.sessions() as session:
        events = (
            (
                await session.execute(
                    select(AuditEntry.event)
                    .where(AuditEntry.event.like("releases:alignment:%"))
                    .order_by(AuditEntry.seq)
                )
            )
            .scalars()
            .all()
        )
    assert events == ["releases:alignment:add", "releases:alignment:withdraw", "releases:alignment:add"]


def explained(entente, published: dict | bytes, work: Path) -> subprocess.CompletedProcess[str]:
    """The script `entente verify --explain FILE` prints for a bundle or a PDF, run in an empty folder."""
    work.mkdir()
    source = work.with_suffix(".pdf" if isinstance(published, bytes) else ".json")
    source.write_bytes(published if isinstance(published, bytes) else json.dumps(published).encode())
    printed = entente("verify", "--explain", str(source))
    assert printed.returncode == 0, printed.stderr
    (work / "check.sh").write_text(printed.stdout, encoding="utf-8")
    return subprocess.run(["sh", "check.sh"], cwd=work, capture_output=True, text=True, timeout=60)  # noqa: S607


@pytest.mark.skipif(shutil.which("openssl") is None, reason="OpenSSL 3 is not installed")
async def test_the_explain_script_checks_alignments_and_stops_at_a_forged_one(
    world, rostered, entente, tmp_path: Path
) -> None:
    """Standard tools (openssl, sha256sum, plain python3) check a withdrawn alignment and a standing one
    as `entente verify` does, refuse an alignment signed by a key the roster does not hold, and leave one the
    log does not cover yet open."""
    bundle = await withdrawn_and_aligned_again(world, rostered)
    forged = with_a_forged_alignment(bundle, world)
    assert verify_bundle(bundle, VerifyOptions()).verdict == "valid"
    assert verify_bundle(forged, VerifyOptions()).verdict == "invalid"

    run = explained(entente, bundle, tmp_path / "aligned")
    assert run.returncode == 0, run.stdout + run.stderr
    withdrawn, standing = bundle["alignments"]
    assert (
        f"EE aligned at 2026-12-04T10:00:00Z (log entry {withdrawn['log']['index']}), WITHDRAWN at "
        f"2026-12-06T10:00:00Z (log entry {withdrawn['withdrawn']['log']['index']}): new evidence"
    ) in run.stdout
    assert f"EE aligned at 2026-12-06T10:00:00Z (log entry {standing['log']['index']}) with a signed statement" in (
        run.stdout
    )
    assert "alignments: at release: EU, FR; aligned later (not withdrawn): EE" in run.stdout
    # FR's and EU's sign-offs, the log's checkpoint, and both of EE's alignments (the withdrawn one too).
    assert run.stdout.count("Signature Verified Successfully") == 5
    assert run.stdout.rstrip().endswith("every check above passed")

    run = explained(entente, forged, tmp_path / "forged")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "alignment 1 (EE): signed with a key of no party of the roster" in run.stderr
    assert "every check above passed" not in run.stdout

    # An alignment no checkpoint covers yet: its signature is checked, the verdict left open (exit 3).
    pending = copy.deepcopy(bundle)
    pending["alignments"][1]["log"] = None
    assert verify_bundle(pending, VerifyOptions()).verdict == "indeterminate"
    run = explained(entente, pending, tmp_path / "pending")
    assert run.returncode == 3, run.stdout + run.stderr
    assert run.stdout.count("Signature Verified Successfully") == 5
    assert "indeterminate: EE's alignment is not in a checkpoint yet" in run.stdout


async def test_what_an_alignment_must_be(world, rostered) -> None:
    keys = rostered
    cid = await released_without_ee(world, keys)
    _, version = await public_version(world, cid)
    # An original signer is in the record already.
    await problem(
        await align(world, cid, alignment_jws(keys["FR"], version, world), user="fr.signatory"), 409, "already_signed"
    )
    # A sign-off JWS is not an alignment, and EE's signatory cannot sign with FR's key.
    await problem(
        await align(world, cid, alignment_jws(keys["EE"], version, world, typ=SIGNOFF_TYP)), 422, "signature_invalid"
    )
    await problem(await align(world, cid, alignment_jws(keys["FR"], version, world)), 422, "key_not_of_party")
    # The statement is bound to the signature.
    await problem(
        await align(world, cid, alignment_jws(keys["EE"], version, world), "Another statement."),
        422,
        "statement_mismatch",
    )
    await problem(await align(world, cid, alignment_jws(keys["EE"], version, world, None)), 422, "statement_mismatch")
    # Other bytes than the released version.
    await problem(await align(world, cid, alignment_jws(keys["EE"], version + b" ", world)), 422, "wrong_version")
    # Only signatories; and only released communiqués (an unreleased one answers like a missing one).
    await problem(
        await align(world, cid, alignment_jws(keys["EE"], version, world), user="ee.comms"), 403, "role_required"
    )
    draft = (
        await create(
            world.client, await world.token("fr.drafter"), title="Draft", sections=[section("S", "Not released.")]
        )
    )["communique"]
    data = await payload(world, await world.token("fr.drafter"), draft)
    unreleased = await align(world, draft, alignment_jws(keys["EE"], data, world))
    missing = await align(world, 999999, alignment_jws(keys["EE"], data, world))
    assert unreleased.status == missing.status == 404
    ok = await align(world, cid, alignment_jws(keys["EE"], version, world))
    assert ok.status == 201
    await problem(await align(world, cid, alignment_jws(keys["EE"], version, world)), 409, "already_aligned")


async def test_entente_sign_makes_an_alignment_with_its_statement(world, rostered, entente, tmp_path: Path) -> None:
    """The signatory's own machine: the released bytes from the public record, its key file, a statement file."""
    keys = rostered
    cid = await released_without_ee(world, keys)
    _, version = await public_version(world, cid)
    (tmp_path / "version.json").write_bytes(version)
    (tmp_path / "statement.txt").write_text(STATEMENT + "\n", encoding="utf-8")
    signing.save_private_key(keys["EE"], tmp_path / "ee.pem", "a passphrase")
    run = entente(
        "sign",
        "--key",
        str(tmp_path / "ee.pem"),
        "--typ",
        "entente-alignment+jws",
        "--statement",
        str(tmp_path / "statement.txt"),
        str(tmp_path / "version.json"),
        env={"ENTENTE_KEY_PASSPHRASE": "a passphrase"},
    )
    assert run.returncode == 0, run.stderr
    envelope = json.loads(run.stdout)
    header = json.loads(base64.urlsafe_b64decode(envelope["signatures"][0]["protected"] + "=="))
    assert header["typ"] == "entente-alignment+jws" and header["digest"] == canonical.digest(version)
    assert header["statement_digest"] == releases.statement_digest(STATEMENT)  # the file's newline trimmed
    # The command signs with the machine's clock: the server is asked at that time (days after the release).
    world.clock.set(datetime.fromtimestamp(header["iat"], UTC) + timedelta(minutes=1))
    assert world.clock() > datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    aligned = await align(world, cid, envelope, STATEMENT + "\n")
    assert aligned.status == 201, await aligned.text()
    await scheduler.tick(world.client.app[publisher_key])
    assert verify_bundle(await bundle_of(world, cid), VerifyOptions()).verdict == "valid"


@pytest.mark.pdf
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
async def test_the_pdf_is_rendered_again_with_the_alignment_and_the_original_stays(
    world, rostered, entente, tmp_path: Path
) -> None:
    keys = rostered
    cid = await released_without_ee(world, keys)
    original = await (await world.client.get(f"/releases/{cid}.pdf")).read()
    assert (await world.client.get(f"/releases/{cid}/aligned.pdf")).status == 404
    _, version = await public_version(world, cid)
    world.clock.advance(timedelta(days=7))
    assert (await align(world, cid, alignment_jws(keys["EE"], version, world))).status == 201

    assert await (await world.client.get(f"/releases/{cid}.pdf")).read() == original
    response = await world.client.get(f"/releases/{cid}/aligned.pdf")
    assert response.status == 200 and response.content_type == "application/pdf"
    assert "immutable" not in response.headers["Cache-Control"]
    aligned = await response.read()
    path = tmp_path / "aligned.pdf"
    path.write_bytes(aligned)
    command = ["pdftotext", "-layout", str(path), "-"]
    text = (await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60)).stdout
    assert "Later alignments" in text and "Republic of Estonia" in text and "2026-12-04 10:00 UTC" in text
    assert "Estonia aligns itself" in text
    report = verify_pdf(aligned, VerifyOptions())
    assert report.verdict == "valid", report.to_dict()
    checks = {c.name: c.detail for c in report.checks}
    assert checks["alignments"] == "at release: EU, FR; aligned later (not withdrawn): EE"
    assert verify_pdf(original, VerifyOptions()).verdict == "valid"
    with_bundle = verify_pdf(original, VerifyOptions(), bundle=await bundle_of(world, cid))  # as for a release URL
    assert with_bundle.verdict == "valid", with_bundle.to_dict()
    assert {c.name: c.detail for c in with_bundle.checks}["alignments"] == checks["alignments"]
    # The script of standard tools finds alignments.json among the PDF's files and checks it the same way.
    run = explained(entente, aligned, tmp_path / "explained")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "alignments: at release: EU, FR; aligned later (not withdrawn): EE" in run.stdout
    page = await (await world.client.get(f"/releases/{cid}")).text()
    assert f'href="/releases/{cid}/aligned.pdf"' in page and f'href="/releases/{cid}.pdf"' in page


@pytest.mark.pdf
async def test_a_page_read_while_the_pdf_with_alignments_renders_links_it_once_stored(
    world, rostered, monkeypatch, settings, clock, aiohttp_client
) -> None:
    """A reader arriving between the alignment and its PDF sees the page without the PDF; the page is
    made again once the PDF is stored, at once on this instance and after its refresh on another."""
    from entente import publisher

    other = await aiohttp_client(create_app(settings, clock=clock))
    elapsed = [0.0]
    other.app[public_index_key].monotonic = lambda: elapsed[0]
    cid = await released_without_ee(world, rostered)
    _, version = await public_version(world, cid)
    world.clock.advance(timedelta(days=7))
    store, pages = publisher.store_aligned_pdf, []

    async def read_then_store(*args, **kwargs):
        for client in (world.client, other):
            pages.append(await (await client.get(f"/releases/{cid}")).text())
        return await store(*args, **kwargs)

    monkeypatch.setattr(publisher, "store_aligned_pdf", read_then_store)
    assert (await align(world, cid, alignment_jws(rostered["EE"], version, world))).status == 201
    assert len(pages) == 2 and all("aligned.pdf" not in p and "Republic of Estonia" in p for p in pages)
    link = f'href="/releases/{cid}/aligned.pdf"'
    assert link in await (await world.client.get(f"/releases/{cid}")).text()
    elapsed[0] = settings.release.public_refresh_seconds
    assert link in await (await other.get(f"/releases/{cid}")).text()

"""Per-party PDFs over HTTP, the PDF signing certificate route, and the leak tests extended to PDFs.

A participant's PDF is rendered (in the server's process pool) from the same filtered view as its JSON
reads: its text (pdftotext) and its attachments never hold a section the reader may not see, and its
``markings.json`` holds the marking disclosure that JSON view gives beside each item shown, each checking
against the signed version and naming the TLP label printed on its item, and none of a withheld item.
"""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entente import canonical, platformkeys
from entente.appkeys import settings_key
from entente.documents import check_pdf
from entente.drafting.versions import entry_marking
from entente.models import CommuniqueVersion, VersionItem
from entente.verification import VerifyOptions, verify_pdf
from tests.support.disclosure import found, ground_truth
from tests.support.drafting import BASE, head, section
from tests.support.examples import examples
from tests.support.releasing import RESTRICTED_MARKER, release_communique, signed_communique, three_party

VERIFICATION = Path(__file__).resolve().parents[1] / "docs" / "verification.md"
NAMES = {"EE": "Republic of Estonia", "FR": "French Republic", "EU": "European Union"}


def pdf_url(cid: int, version: str = "head") -> str:
    return f"{BASE}/{cid}/versions/{version}/pdf"


def pdftotext(pdf: bytes, tmp_path: Path, name: str, *options: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def everything_in(pdf: bytes, tmp_path: Path, name: str) -> str:
    """The PDF's text and every embedded file's bytes, as one string to search."""
    result = check_pdf(pdf)
    assert result.valid, result.reason
    attached = "\n".join(data.decode("utf-8", "replace") for data in result.attachments.values())
    return pdftotext(pdf, tmp_path, name) + "\n" + attached


def attached_files(pdf: bytes) -> dict[str, bytes]:
    """The PDF's embedded files as pypdf reads them (no Entente code)."""
    return {name: data[0] for name, data in pypdf.PdfReader(io.BytesIO(pdf)).attachments.items()}


def as_json_view_gives(view: dict[str, Any]) -> dict[str, Any]:
    """The marking disclosures of the items a JSON version view shows, in the shape of a party PDF's
    markings.json."""
    return {
        "sections": [{"digest": s["digest"], "marking_disclosure": s["marking_disclosure"]} for s in view["sections"]],
        "annex": [{"digest": a["digest"], "marking_disclosure": a["marking_disclosure"]} for a in view["annex"]],
    }


def printed_banner(marking: Any) -> str:
    """The banner a party PDF prints over an item with this marking (names for codes, sorted by code)."""
    to = (
        "Public"
        if marking["public"]
        else "Releasable to " + ", ".join(NAMES[c] for c in sorted(marking["releasable_to"]))
    )
    return f"{marking['tlp']} {to}"


def check_shown_markings(files: dict[str, bytes], text: str) -> int:
    """Each shown section's marking disclosure checks against version.json and is the banner printed over
    the section; the number of sections checked."""
    obj = canonical.parse_strict(files["version.json"])
    markings = canonical.parse_strict(files["markings.json"])
    shown = canonical.parse_strict(files["disclosures.json"])
    entries = {entry["digest"]: entry for entry in obj["sections"]}
    for encoded, item in zip(shown["sections"], markings["sections"], strict=True):
        disclosure = canonical.decode_disclosure(encoded)
        assert disclosure.digest == item["digest"]
        marking = entry_marking(obj, entries[item["digest"]], item["marking_disclosure"])
        assert f"{printed_banner(marking)} {disclosure.value['heading']}" in text
    return len(markings["sections"])


def party_markings_recipe() -> str:
    found = re.search(r"<!-- recipe: party-markings[^>]*-->\n```sh\n(.*?)\n```", VERIFICATION.read_text("utf-8"), re.S)
    assert found, "docs/verification.md lost its party-markings recipe"
    return found.group(1)


def run_recipe(pdf: bytes, folder: Path) -> subprocess.CompletedProcess[str]:
    """The docs' by-hand check of a party PDF's markings, run as written (pdfdetach, python3) in ``folder``."""
    folder.mkdir(exist_ok=True)
    (folder / "v5-ee.pdf").write_bytes(pdf)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", party_markings_recipe()], cwd=folder, capture_output=True, text=True
    )


@pytest.mark.pdf
async def test_party_pdf_shows_its_view_with_tlp_banners_and_the_embargo(world, keys, tmp_path) -> None:
    cid = await signed_communique(world, keys)
    at = world.clock() + timedelta(hours=3)
    await release_communique(world, cid, at)

    ee = await world.client.get(pdf_url(cid), headers=await world.token("ee.drafter"))
    assert ee.status == 200, await ee.text()
    assert ee.content_type == "application/pdf"
    assert ee.headers["Cache-Control"] == "no-store"
    ee_pdf = await ee.read()
    ee_text = " ".join(everything_in(ee_pdf, tmp_path, "ee").split())
    assert RESTRICTED_MARKER in ee_text
    assert "TLP:AMBER" in ee_text and "TLP:CLEAR" in ee_text
    assert "tlp:amber · releasable to republic of estonia, french republic only" in ee_text.lower()
    assert f"EMBARGOED UNTIL {at:%Y-%m-%d %H:%M} UTC" in ee_text
    certificate = (world.client.app[settings_key].platform_keys_dir / platformkeys.PDF_CERTIFICATE).read_bytes()
    assert check_pdf(ee_pdf, certificate).certificate_matches

    eu = await world.client.get(pdf_url(cid), headers=await world.token("eu.signatory"))
    assert eu.status == 200
    eu_pdf = await eu.read()
    eu_text = " ".join(everything_in(eu_pdf, tmp_path, "eu").split())
    assert RESTRICTED_MARKER not in eu_text
    assert "1 item was withheld from European Union" in eu_text
    assert "tlp:clear · every item of this view is public text" in eu_text.lower()

    # Each PDF embeds the marking disclosures its reader's JSON view gives beside the items shown, no more:
    # EE reads both sections, EU one; the other's marking (who may read it) stays out of EU's PDF, which is
    # labelled TLP:CLEAR by what it shows.
    ee_files, eu_files = attached_files(ee_pdf), attached_files(eu_pdf)
    for files, user in ((ee_files, "ee.drafter"), (eu_files, "eu.signatory")):
        view = await head(world.client, await world.token(user), cid)
        assert canonical.parse_strict(files["markings.json"]) == as_json_view_gives(view)
    for files, pdf, shown in ((ee_files, ee_pdf, 2), (eu_files, eu_pdf, 1)):
        text = " ".join(pdftotext(pdf, tmp_path, "banners", "-nodiag").split())  # without the diagonal watermark
        assert check_shown_markings(files, text) == shown
    [withheld] = (await head(world.client, await world.token("eu.signatory"), cid))["withheld_markings"]
    assert not any(withheld["marking_disclosure"].encode() in data for data in eu_files.values())
    obj = canonical.parse_strict(eu_files["version.json"])

    # A forged marking disclosure (a fresh salt, a wider marking) or another item's fails the check.
    markings = canonical.parse_strict(ee_files["markings.json"])
    restricted = obj["sections"][1]
    forged = canonical.make_disclosure("marking", {"public": True, "tlp": "TLP:CLEAR"}).encoded
    for wrong in (forged, markings["sections"][0]["marking_disclosure"]):
        with pytest.raises(ValueError, match="does not match"):
            entry_marking(obj, restricted, wrong)

    # The by-hand check of docs/verification.md passes on both PDFs and fails on a forged markings.json.
    done = run_recipe(ee_pdf, tmp_path / "recipe-ee")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 marking(s) match the signed version"
    assert re.match(r"TLP:AMBER\s+Releasable to EE, FR\s+Handling$", lines[1])
    done = run_recipe(eu_pdf, tmp_path / "recipe-eu")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 marking(s) match the signed version"
    markings["sections"][1]["marking_disclosure"] = forged
    (tmp_path / "recipe-ee" / "markings.json").write_bytes(canonical.canonical_bytes(markings))
    recipe = party_markings_recipe().split("\n", 1)[1]  # the same check, without detaching the files again
    tampered = await asyncio.to_thread(
        subprocess.run, ["bash", "-euo", "pipefail", "-c", recipe], cwd=tmp_path / "recipe-ee", capture_output=True,
        text=True,
    )
    assert tampered.returncode != 0 and "is not the one signed" in tampered.stderr

    # `entente verify` checks publications; a party's PDF is none (no roster, no log proof).
    report = await asyncio.to_thread(verify_pdf, ee_pdf, VerifyOptions())  # pyHanko runs its own event loop
    assert report.verdict == "invalid"
    detail = next(c for c in report.checks if c.name == "attachments").detail
    assert "a party's own view of a version, not a publication" in detail and "by hand" in detail


async def test_party_pdf_is_not_found_when_pdfs_are_off_or_the_reader_is_no_participant(world) -> None:
    cid = await three_party(world)
    answer = await world.client.get(pdf_url(cid), headers=await world.token("ee.drafter"))
    assert answer.status == 404  # documents.pdf is off outside tests marked pdf
    missing = await world.client.get(pdf_url(cid + 100), headers=await world.token("ee.drafter"))
    assert missing.status == 404
    assert (await answer.json())["code"] == (await missing.json())["code"]
    assert (await world.client.get(pdf_url(cid))).status == 401


async def test_pdf_signing_certificate_is_published(client) -> None:
    answer = await client.get("/.well-known/entente/pdf-signing.pem")
    assert answer.status == 200
    folder = client.app[settings_key].platform_keys_dir
    assert await answer.read() == (folder / platformkeys.PDF_CERTIFICATE).read_bytes()
    assert (await answer.read()).startswith(b"-----BEGIN CERTIFICATE-----")


async def head_marking_disclosures(world, cid: int) -> dict[str, str]:
    """Item digest -> marking disclosure of every item of the head version, from the stored rows."""
    async with world.sessions() as session:
        version_id = (
            await session.execute(
                sa.select(CommuniqueVersion.id)
                .where(CommuniqueVersion.communique_id == cid)
                .order_by(sa.desc(CommuniqueVersion.number))
                .limit(1)
            )
        ).scalar_one()
        rows = await session.execute(
            sa.select(VersionItem.digest, VersionItem.marking_disclosure).where(VersionItem.version_id == version_id)
        )
        return {digest: disclosure for digest, disclosure in rows.all()}


PARTIES = ["EE", "FR", "EU"]
READERS = {"EE": "ee.drafter", "FR": "fr.drafter", "EU": "eu.secretariat"}
markings = st.one_of(st.none(), st.sets(st.sampled_from(PARTIES), min_size=1, max_size=3))


@pytest.mark.pdf
@settings(
    max_examples=examples(3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(marks=st.lists(markings, min_size=1, max_size=5))
async def test_no_section_text_reaches_a_party_pdf_it_is_not_releasable_to(
    world, database_url, marks, tmp_path
) -> None:
    if not database_url.startswith("sqlite"):
        # Which items a party's PDF holds comes from the same view as its JSON read, whose leak test runs
        # on both backends; rendering does not depend on the backend, and nine renders cost a minute.
        pytest.skip("the PDF leak test renders on SQLite only: the view under it is tested on both backends")
    serial = iter(range(10_000))
    run = next(serial)  # tokens stay unique across examples sharing one database
    tokens = [(f"TOK{run}x{i}H", f"TOK{run}x{i}B") for i in range(len(marks))]
    sections = [
        section(heading, body, to=None if mark is None else sorted(mark))
        for (heading, body), mark in zip(tokens, marks, strict=True)
    ]
    cid = await three_party(world, sections=sections, title=f"Leak probe {id(marks)}")
    allowed, _, everything, _ = await ground_truth(world, cid)
    stored = await head_marking_disclosures(world, cid)
    for party, user in READERS.items():
        answer = await world.client.get(pdf_url(cid), headers=await world.token(user))
        assert answer.status == 200, await answer.text()
        pdf = await answer.read()
        seen = found(everything_in(pdf, tmp_path, f"{party}-{cid}"))
        assert not seen - allowed[party], f"{party} saw {sorted(seen - allowed[party])}"
        assert seen <= everything
        # The marking disclosures: exactly those the reader's JSON view gives beside the items shown (as
        # stored), and none of an item withheld from the reader.
        files = attached_files(pdf)
        markings = canonical.parse_strict(files["markings.json"])
        assert markings == as_json_view_gives(await head(world.client, await world.token(user), cid))
        given = [(m["digest"], m["marking_disclosure"]) for part in markings.values() for m in part]
        assert dict(given).items() <= stored.items()
        shown = canonical.parse_strict(files["disclosures.json"])["sections"]
        assert [m["digest"] for m in markings["sections"]] == [canonical.decode_disclosure(d).digest for d in shown]

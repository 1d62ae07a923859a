"""Per-party PDFs over HTTP, the PDF signing certificate route, and the leak tests extended to PDFs.

A participant's PDF is rendered (in the server's process pool) from the same filtered view as its JSON
reads: its text (pdftotext) and its attachments never hold a section the reader may not see.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entente import platformkeys
from entente.appkeys import settings_key
from entente.documents import check_pdf
from tests.support.disclosure import found, ground_truth
from tests.support.drafting import BASE, section
from tests.support.examples import examples
from tests.support.releasing import RESTRICTED_MARKER, release_communique, signed_communique, three_party


def pdf_url(cid: int, version: str = "head") -> str:
    return f"{BASE}/{cid}/versions/{version}/pdf"


def pdftotext(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def everything_in(pdf: bytes, tmp_path: Path, name: str) -> str:
    """The PDF's text and every embedded file's bytes, as one string to search."""
    result = check_pdf(pdf)
    assert result.valid, result.reason
    attached = "\n".join(data.decode("utf-8", "replace") for data in result.attachments.values())
    return pdftotext(pdf, tmp_path, name) + "\n" + attached


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
    eu_text = " ".join(everything_in(await eu.read(), tmp_path, "eu").split())
    assert RESTRICTED_MARKER not in eu_text
    assert "1 item was withheld from European Union" in eu_text
    assert "tlp:clear · every item of this view is public text" in eu_text.lower()


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
    for party, user in READERS.items():
        answer = await world.client.get(pdf_url(cid), headers=await world.token(user))
        assert answer.status == 200, await answer.text()
        seen = found(everything_in(await answer.read(), tmp_path, f"{party}-{cid}"))
        assert not seen - allowed[party], f"{party} saw {sorted(seen - allowed[party])}"
        assert seen <= everything

"""A coordinated sanctions package all the way to the public PDF, the way real sanctions lists look:
names in Cyrillic, Hangul, Han and Arabic with their transliterations, aliases, dates of birth as
written, identifiers and measures, next to one designation and some evidence that are not public.

Released through the API (incident, tier, legal review, package, designations, acceptance, sign-off
by every party, embargo, scheduler tick), then read back with poppler: every public name is in the
PDF's text in its own script, every font is embedded and has a glyph for it, nothing withheld is
there, and `entente verify` says valid for the PDF and for the bundle. One release per backend.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import feedparser
import pypdf
import pytest

from entente import canonical, scheduler
from entente.appkeys import publisher_key
from entente.cli import main as entente_main
from entente.verification import VerifyOptions, verify_bundle, verify_pdf
from tests.support.releasing import bundle_of
from tests.support.sanctions import DESIGNATIONS, SANCTIONS, Desk

pytestmark = [
    pytest.mark.pdf,
    pytest.mark.skipif(
        any(shutil.which(t) is None for t in ("pdftotext", "pdffonts")),
        reason="poppler-utils (pdftotext, pdffonts) is not installed",
    ),
]

ARABIC = {
    "id": "D-011",
    "subject_type": "person",
    "proposed_by": "EE",
    "primary_name": {
        "original": {"whole_name": "عبد الرحمن يوسف الحداد", "language": "ar"},
        "transliterated": {"whole_name": "Abd al-Rahman Yusuf al-Haddad"},
    },
    "aliases": [
        {"type": "aka", "name": {"original": {"whole_name": "أبو يوسف"}, "transliterated": {"whole_name": "Abu Yusuf"}}}
    ],
    "gender": "male",
    "dates_of_birth": [{"text": "14.03.1979"}, {"text": "circa 1980"}],
    "places_of_birth": [{"city": "Aleppo", "country": "SY"}],
    "nationalities": ["SY"],
    "documents": [{"type": "passport", "number": "N014792253", "country": "SY"}],
    "measures": ["asset_freeze", "travel_ban"],
    "reasons": "Abd al-Rahman al-Haddad ran the bulletproof hosting used to stage the intrusion.",
    "parties": [{"party": "EE"}, {"party": "FR"}, {"party": "EU"}],
}
KOREAN_ENTITY = {
    "id": "D-012",
    "subject_type": "entity",
    "proposed_by": "EU",
    "primary_name": {
        "original": {"whole_name": "조선엑스포합영회사", "language": "ko"},
        "transliterated": {"whole_name": "Chosun Expo Joint Venture"},
    },
    "aliases": [
        {
            "type": "aka",
            "name": {"original": {"whole_name": "조선엑스포"}, "transliterated": {"whole_name": "Chosun Expo"}},
        },
        {"type": "aka", "name": {"original": {"whole_name": "Korea Export Joint Venture", "language": "en"}}},
    ],
    "addresses": [{"city": "Shenyang", "region": "Liaoning", "country": "CN"}],
    "registrations": [{"type": "company_registration", "number": "210100400012345", "country": "CN"}],
    "measures": ["asset_freeze", "funds_prohibition"],
    "reasons": "A front company that employed and paid the operators of the Chollima Cyber Unit abroad.",
    "parties": [{"party": "EE"}, {"party": "FR"}, {"party": "EU"}],
}
PUBLIC_EVIDENCE = "Hosting contract filed in public court records, 2026-03-02."
CHINESE = copy.deepcopy(DESIGNATIONS["D-008"]) | {
    "aliases": [
        {"type": "aka", "name": {"original": {"whole_name": "Jianguo Wang"}}},
        {"type": "aka", "name": {"original": {"whole_name": "王建國", "language": "zh"}}},
    ],
    "evidence": [{"id": "E-008", "text": PUBLIC_EVIDENCE, "marking": {"public": True}}],
}
PUBLIC = [DESIGNATIONS["D-001"], DESIGNATIONS["D-003"], DESIGNATIONS["D-005"], CHINESE, ARABIC, KOREAN_ENTITY]
RESTRICTED = DESIGNATIONS["D-004"]  # 박성철, releasable to EE and FR only
#: Text of what is not public: the restricted designation, and D-001's and D-005's evidence.
NOT_PUBLIC = [
    "박성철",
    "Pak Song Chol",
    "Hamhung",
    "between 1970 and 1975",
    "Intercepted tasking orders",
    "Source report on the unit",
    "Bank records of payments",
]
ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def names_of(designation: dict[str, Any]) -> list[str]:
    """Every name a designation is written under: primary, other names and aliases, each form."""
    names = [designation["primary_name"], *designation.get("other_names", ())]
    names += [a["name"] for a in designation.get("aliases", ())]
    return [form["whole_name"] for n in names for form in (n["original"], n.get("transliterated")) if form]


def has_arabic(expected: str, text: str) -> bool:
    """An Arabic name is in ``text`` in logical or visual order (poppler may reverse RTL runs, and may
    give presentation forms, which NFKC folds back into letters)."""
    folded = unicodedata.normalize("NFKC", text)
    words = expected.split()
    return all(w in folded or w[::-1] in folded for w in words)


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603


def embedded_fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table as rows (name, type, encoding, emb, sub, uni)."""
    lines = tool("pdffonts", str(path)).stdout.splitlines()
    assert lines[1].startswith("---"), lines
    rows = []
    for line in lines[2:]:
        parts = line.split()
        # name type [type words] encoding emb sub uni object ID: the last five are fixed.
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3], "line": line})
    return rows


def missing_glyphs(pdf: bytes) -> dict[str, str]:
    """Text drawn with no glyph (.notdef, "tofu"), by font. WeasyPrint encodes a character its font lacks
    as a code its own encoding CMap maps to CID 0 (the font is then no longer ``Identity-H``); the font's
    ToUnicode map still gives the character, so pdftotext alone would never notice."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    missing: dict[str, str] = {}
    for page in reader.pages:
        for ref in page.get("/Resources", {}).get("/Font", {}).values():
            font = ref.get_object()
            encoding = font.get("/Encoding")
            if encoding is None or not hasattr(encoding.get_object(), "get_data"):
                continue  # a named encoding (Identity-H): every code is its glyph
            cmap = encoding.get_object().get_data().decode("latin-1")
            codes = re.findall(r"^<([0-9a-f]+)>\s+0$", cmap, re.M | re.I)
            codes += [
                lo
                for lo, _hi, cid in re.findall(r"^<([0-9a-f]+)>\s*<([0-9a-f]+)>\s+(\d+)$", cmap, re.M | re.I)
                if cid == "0"
            ]
            if not codes:
                continue
            to_unicode = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            chars = dict(re.findall(r"^<([0-9a-f]+)>\s*<([0-9a-f]+)>$", to_unicode, re.M | re.I))
            text = "".join(bytes.fromhex(chars.get(c, "fffd")).decode("utf-16-be", "replace") for c in codes)
            missing[str(font.get("/BaseFont"))] = missing.get(str(font.get("/BaseFont")), "") + text
    return missing


async def release_package(world, keys) -> int:
    """The package drafted, accepted, signed by EE, FR and EU, scheduled and released by one tick."""
    desk = Desk(world)
    desk.keys = keys
    pid = await desk.package()
    for designation in PUBLIC:
        body = {"designation": copy.deepcopy(designation)}
        await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/designations", body, status=201)
    restricted = {"designation": RESTRICTED, "marking": {"releasable_to": ["EE", "FR"]}}
    await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/designations", restricted, status=201)
    await desk.release(pid)
    assert await scheduler.tick(world.client.app[publisher_key]) == [pid]
    return pid


async def test_a_sanctions_package_in_four_scripts_reaches_a_verifiable_public_pdf(
    world, rostered, tmp_path: Path
) -> None:
    pid = await release_package(world, rostered)
    response = await world.client.get(f"/releases/{pid}.pdf")
    assert response.status == 200 and response.content_type == "application/pdf"
    pdf = await response.read()
    path = tmp_path / "package.pdf"
    path.write_bytes(pdf)

    # Every public name in its own script and its transliteration; nothing that is not public.
    text = nfc(tool("pdftotext", "-enc", "UTF-8", str(path), "-").stdout)
    # One line of text, with the statement of reasons' automatic hyphenation (U+2010 at a line end) undone.
    flat = " ".join(re.sub("\u2010\n", "", text).split())
    assert "\ufffd" not in text
    for designation in PUBLIC:
        for name in names_of(designation):
            if ARABIC_LETTERS.search(name):
                assert has_arabic(nfc(name), flat), name
            else:
                assert nfc(name) in flat, name
        for date in designation.get("dates_of_birth", ()):
            assert f"born {date['text']}" in flat, date
    for number in ("75 1234567", "836410123", "1027700132195", "110101-19831004-5678", "N014792253"):
        assert number in flat, number
    assert "asset freeze" in flat and "travel ban" in flat and "funds prohibition" in flat
    assert PUBLIC_EVIDENCE in flat
    for secret in NOT_PUBLIC:
        assert secret not in flat, secret
    assert "items were withheld" in flat
    attached = pypdf.PdfReader(path).attachments
    assert not any(s.encode() in b"".join(d[0] for d in attached.values()) for s in NOT_PUBLIC)

    # Every font embedded, none drawing .notdef, and the scripts set in their own faces.
    fonts = embedded_fonts(path)
    assert fonts and all(f["emb"] == "yes" for f in fonts), [f["line"] for f in fonts]
    assert missing_glyphs(pdf) == {}
    faces = " ".join(f["name"] for f in fonts)
    assert "CJK" in faces and "Arabic" in faces, faces

    # entente verify: the PDF, and the bundle whose publication entry names the PDF's digest.
    bundle = await bundle_of(world, pid)
    digest = "sha256:" + hashlib.sha256(pdf).hexdigest()
    publication = canonical.parse_strict(base64.b64decode(bundle["log"]["publication"]["leaf"]))
    assert publication["pdf_digest"] == digest and bundle["pdf"]["digest"] == digest
    report = await asyncio.to_thread(verify_pdf, pdf, VerifyOptions(), bundle=bundle)
    assert report.verdict == "valid", report.to_dict()
    alone = await asyncio.to_thread(verify_bundle, bundle, VerifyOptions())
    assert alone.verdict == "valid", alone.to_dict()
    assert await asyncio.to_thread(entente_main, ["verify", str(path)]) == 0
    assert await asyncio.to_thread(entente_main, ["verify", str(world.client.make_url(f"/releases/{pid}"))]) == 0

    # The feed lists it once public.
    feed = feedparser.parse(await (await world.client.get("/releases.atom")).read())
    (entry,) = [e for e in feed.entries if e.link.endswith(f"/releases/{pid}")]
    assert entry.title == "Cyber sanctions package 1" and not any(s in str(entry) for s in NOT_PUBLIC)


def test_the_missing_glyph_check_sees_tofu() -> None:
    """The check above is not vacuous: a character no installed font has is reported, by font."""
    from weasyprint import HTML

    pdf = HTML(string='<p style="font-family: Noto Sans">ab \U0010fffd x</p>').write_pdf()
    assert list(missing_glyphs(pdf).values()) == ["\U0010fffd"]
    assert missing_glyphs(HTML(string='<p style="font-family: Noto Sans">ab x</p>').write_pdf()) == {}


def test_a_name_takes_the_direction_of_its_first_strong_character() -> None:
    from entente.documents.rendering import direction

    assert direction("عبد الرحمن") == "rtl" and direction("«شركة» ABC") == "rtl"
    assert direction("조선엑스포") == "ltr" and direction("Abu Yusuf / أبو يوسف") == "ltr" and direction("12 ") == "ltr"

"""No metadata for outsiders: public ids reveal no unreleased communiqué, and no public view names who a
withheld item is releasable to; participants still see every marking, checkable against what they sign.

Through the real server on SQLite and PostgreSQL. The public views (list, record, bundle, feed, pages) are
read as JSON or text and every embedded base64url part the public could decode (the version bytes, the
disclosures, the JWS headers) is decoded and searched too. Versions written before format 2 (markings in
the clear) are replayed with the old builder and must still verify.
"""

from __future__ import annotations

import asyncio
import base64
import html
import io
import itertools
import json
import re
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from hypothesis import example
from hypothesis import strategies as st

from entente import canonical, parties, scheduler
from entente.appkeys import publisher_key
from entente.drafting import versions as drafting_versions
from entente.drafting import writing as drafting_writing
from entente.models import Party, PartyKind, Role
from entente.verification import VerifyOptions, verify_bundle, verify_pdf
from tests.support.backends import on_both_backends
from tests.support.drafting import BASE, accept, create, head, section
from tests.support.releasing import PUBLIC, RESTRICTED_MARKER, bundle_of, release_communique, sign_head, three_party
from tests.support.versions import format_1_build_version
from tests.support.world import PASSWORD

LATVIA = parties.SeedParty(
    "LV", "Republic of Latvia", PartyKind.STATE, "Europe/Riga", (parties.SeedUser("lv.drafter", "LV", (Role.DRAFTER,)),)
)
RANDOM_LOOKING = re.compile(r"^(sha256:)?[A-Za-z0-9_-]{20,}={0,2}$")


async def release_now(world, cid: int) -> None:
    """Agree and schedule ``cid`` for an hour from now, move the clock there, let the scheduler publish."""
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=1))
    assert cid in await scheduler.tick(world.client.app[publisher_key])


# --- what the public could read ----------------------------------------------------------------------------


def record_texts(record: dict[str, Any]) -> list[Any]:
    """The record and every part of it a reader can decode: the version object, each disclosure, each JWS
    protected header."""
    parts: list[Any] = [record, canonical.parse_strict(canonical.b64url_decode(record["version"]))]
    for group in ("sections", "annex"):
        parts += [canonical.decode_disclosure(d).value for d in record["disclosures"][group]]
    for envelope in record["signoffs"]["explicit"] + record["signoffs"]["presigned"]:
        for signature in envelope.get("signatures", []):
            parts.append(canonical.parse_strict(canonical.b64url_decode(signature["protected"])))
    return parts


def bundle_texts(bundle: dict[str, Any]) -> list[Any]:
    parts: list[Any] = [bundle, *record_texts(bundle["record"])]
    for name in ("commitment", "publication"):
        entry = bundle["log"].get(name)
        if entry:
            parts.append(canonical.parse_strict(base64.b64decode(entry["leaf"])))
    return parts


def strings(value: Any) -> list[str]:
    """Every key and string in ``value``, leaving out the random-looking ones (digests, salts, signatures,
    key material), which cannot carry a party code but may contain two capitals by chance."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key, *strings(item)]]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    if isinstance(value, str):
        return [] if RANDOM_LOOKING.match(value) else [value]
    return []


def page_text(markup: str) -> str:
    """The visible text and attribute values of a page, without long random-looking tokens."""
    text = html.unescape(re.sub(r"<[^>]*?>", " ", markup))
    attributes = " ".join(html.unescape(v) for v in re.findall(r'="([^"]*)"', markup))
    return " ".join(word for word in f"{text} {attributes}".split() if not RANDOM_LOOKING.match(word))


def names(code: str, texts: list[str]) -> bool:
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(code)}(?![A-Za-z0-9])")
    return any(pattern.search(text) for text in texts)


async def public_views(world, cid: int) -> dict[str, list[str]]:
    """Every public view of a released communiqué, as lists of texts to search."""
    listed = await (await world.client.get(PUBLIC)).json()
    record = json.loads(await (await world.client.get(f"{PUBLIC}/{cid}")).read())
    bundle = await bundle_of(world, cid)
    feed = await (await world.client.get("/releases.atom")).text()
    page = await world.client.get(f"/releases/{cid}")
    assert page.status == 200
    index = await (await world.client.get("/releases")).text()
    return {
        "list": strings(listed),
        "record": [s for part in record_texts(record) for s in strings(part)],
        "bundle": [s for part in bundle_texts(bundle) for s in strings(part)],
        "feed": [page_text(feed)],
        "page": [page_text(await page.text())],
        "releases page": [page_text(index)],
    }


def has_marking(value: Any) -> bool:
    """Whether ``value`` holds a marking naming parties, or a TLP label of restricted material."""
    if isinstance(value, dict):
        return "releasable_to" in value or any(has_marking(v) for v in value.values())
    if isinstance(value, list):
        return any(has_marking(v) for v in value)
    return isinstance(value, str) and value in ("TLP:AMBER", "TLP:RED")


# --- ids -------------------------------------------------------------------------------------------------


async def test_public_ids_reveal_no_unreleased_communique(world, rostered) -> None:
    """Four communiqués, one released: nothing public tells that the three others exist, and no id lets
    anyone count or guess them."""
    ee = await world.token("ee.drafter")
    drafts = [(await create(world.client, ee, title=f"Draft {n}"))["communique"] for n in range(2)]
    released = await three_party(world, title="Released statement")
    await sign_head(world, rostered, released)
    scheduled = await three_party(world, title="Scheduled, still embargoed")
    await sign_head(world, rostered, scheduled)
    await release_communique(world, scheduled, world.clock() + timedelta(days=2))

    # Before any release: nothing public at all.
    assert await (await world.client.get(PUBLIC)).json() == []
    await release_now(world, released)

    listed = await (await world.client.get(PUBLIC)).json()
    assert [item["id"] for item in listed] == [released]
    ids = [*drafts, released, scheduled]
    # Random 31-bit ids: not small, not consecutive, not in creation order.
    assert len(set(ids)) == 4 and all(1 <= i < 2**31 for i in ids)
    assert all(abs(a - b) > 1000 for a, b in itertools.combinations(ids, 2)), ids
    assert released > 1000
    # The neighbours of the public id are nothing (as any unknown id): the same 404 for all.
    answers = set()
    for guess in (released - 1, released + 1, 1, 2, 3):
        response = await world.client.get(f"{PUBLIC}/{guess}")
        answers.add((response.status, (await response.json())["detail"].replace(str(guess), "N")))
    assert answers == {(404, "no public communiqué N")}
    # And no other communiqué's id or title is in any public view.
    views = await public_views(world, released)
    for other in (*drafts, scheduled):
        for where, texts in views.items():
            assert not names(str(other), texts), f"{where} names communiqué {other}"
    feed = " ".join(views["feed"])
    assert "Draft 0" not in feed and "Scheduled, still embargoed" not in feed


async def test_lists_show_newest_first_by_creation_not_by_id(world) -> None:
    ee = await world.token("ee.drafter")
    made = []
    for n in range(4):
        made.append((await create(world.client, ee, title=f"Statement {n}"))["communique"])
        world.clock.advance(timedelta(minutes=1))
    listed = await (await world.client.get(BASE, headers=ee)).json()
    assert [c["id"] for c in listed if c["id"] in made] == list(reversed(made))


# --- markings ------------------------------------------------------------------------------------------------


async def test_public_record_bundle_and_pages_carry_no_marking_of_a_withheld_item(world, rostered) -> None:
    cid = await three_party(world)  # a public section, and one releasable to EE and FR only
    await sign_head(world, rostered, cid)
    await release_now(world, cid)

    record = json.loads(await (await world.client.get(f"{PUBLIC}/{cid}")).read())
    assert record["withheld"] == {"sections": 1, "annex": 0}
    obj = canonical.parse_strict(canonical.b64url_decode(record["version"]))
    assert obj["format"] == 2
    assert all(set(entry) == {"digest", "marking"} and isinstance(entry["marking"], str) for entry in obj["sections"])
    for part in record_texts(record):
        assert not has_marking(part), part
    bundle = await bundle_of(world, cid)
    for part in bundle_texts(bundle):
        assert not has_marking(part), part
    assert RESTRICTED_MARKER not in json.dumps(bundle)
    page = page_text(await (await world.client.get(f"/releases/{cid}")).text())
    assert "1 section(s)" in page and "releasable" not in page.lower() and "TLP:AMBER" not in page
    # The bundle verifies, and says that the markings were withheld too.
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "valid", report.to_dict()
    disclosures = next(c for c in report.checks if c.name == "disclosures")
    assert "1 section(s) and 0 annex item(s) withheld" in disclosures.detail and "markings too" in disclosures.detail


async def test_participants_still_see_every_marking_and_can_check_it(world) -> None:
    cid = await three_party(world)
    obj_entries = (await head(world.client, await world.token("ee.drafter"), cid))["object"]["sections"]
    # EU may not read the handling section: it gets its marking, and the disclosure that proves it.
    eu = await head(world.client, await world.token("eu.secretariat"), cid)
    assert eu["withheld"] == {"sections": 1, "annex": 0}
    [hidden] = eu["withheld_markings"]
    assert hidden["part"] == "section" and hidden["position"] == 1
    assert hidden["marking"] == {"public": False, "releasable_to": ["EE", "FR"], "tlp": "TLP:AMBER"}
    opened = canonical.decode_disclosure(hidden["marking_disclosure"])
    assert opened.digest == obj_entries[1]["marking"] and hidden["digest"] == obj_entries[1]["digest"]
    assert opened.name == "marking" and opened.value == hidden["marking"]
    obj = (await head(world.client, await world.token("ee.drafter"), cid))["object"]
    assert drafting_versions.entry_marking(obj, obj_entries[1], hidden["marking_disclosure"]) == hidden["marking"]
    with pytest.raises(ValueError, match="does not match"):  # another item's marking disclosure is refused
        drafting_versions.entry_marking(obj, obj_entries[0], hidden["marking_disclosure"])
    # FR reads both sections; each marking it is shown matches the digest the object lists.
    fr = await head(world.client, await world.token("fr.drafter"), cid)
    assert fr["withheld_markings"] == []
    for shown, entry in zip(fr["sections"], obj_entries, strict=True):
        opened = canonical.decode_disclosure(shown["marking_disclosure"])
        assert opened.digest == entry["marking"] and {"releasable_to": [], **opened.value} == shown["marking"]
    # The sign-off status still counts what each party cannot see.
    status = await (
        await world.client.get(f"{BASE}/{cid}/versions/head/signoffs", headers=await world.token("ee.drafter"))
    ).json()
    hidden_counts = {s["party"]: s["hidden_sections"] for s in status["signatories"]}
    assert hidden_counts == {"EE": 0, "FR": 0, "EU": 1}
    # Two versions never share marking digests (fresh salts), so comparing objects tells nothing.
    markings = {entry["marking"] for entry in obj_entries}
    assert len(markings) == 2


# --- format 1 versions keep verifying --------------------------------------------------------------------------


async def test_format_1_versions_keep_verifying_and_reading(world, rostered, monkeypatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(drafting_writing, "build_version", format_1_build_version)
        cid = await three_party(world)
    eu = await head(world.client, await world.token("eu.secretariat"), cid)
    assert "format" not in eu["object"] and eu["object"]["sections"][1]["marking"]["releasable_to"] == ["EE", "FR"]
    assert eu["withheld_markings"][0]["marking"]["releasable_to"] == ["EE", "FR"]
    assert eu["withheld_markings"][0]["marking_disclosure"] is None
    status = await sign_head(world, rostered, cid)
    assert status["ready_for_release"] is True
    await release_now(world, cid)
    report = verify_bundle(await bundle_of(world, cid), VerifyOptions())
    assert report.verdict == "valid", report.to_dict()
    assert "format 1" in next(c for c in report.checks if c.name == "disclosures").detail


async def test_an_unknown_version_format_is_refused_by_the_verifier(world, rostered) -> None:
    cid = await three_party(world)
    await sign_head(world, rostered, cid)
    await release_now(world, cid)
    bundle = await bundle_of(world, cid)
    obj = canonical.parse_strict(canonical.b64url_decode(bundle["record"]["version"]))
    obj["format"] = 3
    bundle["record"]["version"] = canonical.b64url_encode(canonical.canonical_bytes(obj))
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "invalid"
    assert "format" in next(c for c in report.checks if c.name == "version").detail


# --- the property ----------------------------------------------------------------------------------------------

PARTIES = ["EE", "FR", "EU", "LV"]  # LV is invited, never accepts: it reads and signs nothing
item_markings = st.lists(
    st.one_of(st.none(), st.sets(st.sampled_from(PARTIES), min_size=1, max_size=3)), min_size=1, max_size=4
)
counter = itertools.count()


@example(markings=[None, {"LV"}])
@example(markings=[{"EE", "LV"}, {"FR"}, None])
async def _no_public_view_names_a_party_only_a_withheld_marking_names(world, rostered, markings) -> None:
    """For any version with restricted items, no public view (list, record, bundle, feed, pages) contains a
    party code that only a withheld item's marking names, nor any restricted marking at all."""
    async with world.sessions.begin() as session:
        if await session.get(Party, "LV") is None:
            await parties.seed_coalition(session, [LATVIA], password=PASSWORD, now=world.clock())
    n = next(counter)
    ee = await world.token("ee.drafter")
    sections = [
        section(f"Heading {n}-{i}", f"Body {n}-{i}", to=None if m is None else sorted(m | {"EE"}))
        for i, m in enumerate(markings)
    ]
    if all(m is None for m in markings):
        sections.append(section(f"Heading {n}-restricted", "Restricted", to=["EE", "LV"]))
    created = await create(world.client, ee, title=f"Property {n}", participants=["FR", "EU", "LV"], sections=sections)
    cid = created["communique"]
    await accept(world.client, await world.token("fr.drafter"), cid)
    await accept(world.client, await world.token("eu.secretariat"), cid)
    await sign_head(world, rostered, cid)
    await release_now(world, cid)

    withheld = [s for s in sections if s["marking"].get("releasable_to")]
    public_context = {"EE", "FR", "EU"}  # the parties of the version, which the public may know
    only_in_markings = {code for s in withheld for code in s["marking"]["releasable_to"]} - public_context
    views = await public_views(world, cid)
    for where, texts in views.items():
        for code in only_in_markings:
            assert not names(code, texts), f"the public {where} names {code}"
        assert not any("releasable" in text.lower() or "TLP:AMBER" in text or "TLP:RED" in text for text in texts), (
            where
        )
    record = json.loads(await (await world.client.get(f"{PUBLIC}/{cid}")).read())
    assert record["withheld"]["sections"] == len(withheld)
    for part in record_texts(record):
        assert not has_marking(part)


(
    test_no_public_view_names_a_party_only_a_withheld_marking_names,
    test_no_public_view_names_a_party_only_a_withheld_marking_names_on_postgresql,
) = on_both_backends(
    _no_public_view_names_a_party_only_a_withheld_marking_names, examples=6, strategies={"markings": item_markings}
)


@pytest.fixture(autouse=True)
def _no_leftover_patch() -> None:
    """The format 1 builder is only ever patched in for one test."""
    assert drafting_writing.build_version is drafting_versions.build_version


@pytest.mark.pdf
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
async def test_the_public_pdf_counts_withheld_items_and_attaches_no_marking(world, rostered, tmp_path) -> None:
    cid = await three_party(world)  # one section releasable to EE and FR only
    await sign_head(world, rostered, cid)
    await release_now(world, cid)
    response = await world.client.get(f"/releases/{cid}.pdf")
    assert response.status == 200
    pdf = await response.read()
    attachments = {name: b"".join(data) for name, data in pypdf.PdfReader(io.BytesIO(pdf)).attachments.items()}
    version = canonical.parse_strict(attachments["version.json"])
    assert version["format"] == 2 and not has_marking(version)
    for name in ("disclosures.json", "signoffs.json", "log-proof.json"):
        assert not has_marking(canonical.parse_strict(attachments[name])), name
    path = tmp_path / "release.pdf"
    path.write_bytes(pdf)
    extracted = await asyncio.to_thread(
        subprocess.run, ["pdftotext", str(path), "-"], capture_output=True, text=True, timeout=60
    )
    text = " ".join(extracted.stdout.split())
    assert "1 item was withheld from the public" in text
    assert "TLP:AMBER" not in text and "releasable" not in text.lower() and RESTRICTED_MARKER not in text
    report = await asyncio.to_thread(verify_pdf, pdf, VerifyOptions())  # pyHanko runs its own event loop
    assert report.verdict == "valid", report.to_dict()
    assert "markings too" in next(c for c in report.checks if c.name == "disclosures").detail

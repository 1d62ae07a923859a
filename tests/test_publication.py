"""The public trail of a release: the commitment logged at scheduling, the publication entry at release,
the publication bundle, the Atom feed, and `entente verify` over a bundle (PDFs: tests/test_public_pdf.py).

Every check runs through the real server on SQLite and PostgreSQL, and the bundle is verified both by
``entente.verification`` and by an independent RFC 9162 checker written here from the RFC text.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from sqlmodel import select

from entente import canonical, parties, scheduler, signing
from entente.appkeys import publisher_key
from entente.cli import main as entente_main
from entente.models import Release
from entente.transparency import note
from entente.verification import VerifyOptions, verify_bundle
from tests.support.releasing import PUBLIC, RESTRICTED_MARKER, TITLE, bundle_of, released, scheduled

LOG = "/.well-known/entente/log"


async def log_entries(world) -> list[bytes]:
    checkpoint = await (await world.client.get(f"{LOG}/checkpoint")).text()
    size = int(checkpoint.split("\n")[1])
    return [await (await world.client.get(f"{LOG}/entries/{i}")).read() for i in range(size)]


# --- an independent RFC 9162 check (section 2.1.3.2), written from the RFC, sharing nothing with entente ---


def rfc9162_root_from_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    def h(data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    fn, sn, r = index, size - 1, h(b"\x00" + leaf)
    for p in proof:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = h(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = h(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


# --- before the instant --------------------------------------------------------------------------------


async def test_scheduling_logs_an_opaque_commitment_and_nothing_public_before_the_instant(world, rostered) -> None:
    cid = await scheduled(world, rostered)
    entries = await log_entries(world)
    assert len(entries) == 1
    leaf = canonical.parse_strict(entries[0])
    assert set(leaf) == {"type", "commitment", "at"} and leaf["type"] == "entente-commitment"
    async with world.sessions() as session:
        from sqlmodel import select

        from entente.models import Release

        release = (await session.execute(select(Release).where(Release.communique_id == cid))).scalars().one()
    # The leaf says nothing of the text: not the digest, not the title, not a restricted word.
    text = entries[0].decode()
    assert release.version_digest not in text and TITLE not in text and RESTRICTED_MARKER not in text
    assert (await world.client.get(f"{PUBLIC}/{cid}/bundle")).status == 404
    feed = await (await world.client.get("/releases.atom")).read()
    assert TITLE.encode() not in feed and feedparser.parse(feed).entries == []


# --- after the instant -----------------------------------------------------------------------------------


async def test_the_bundle_verifies_offline_and_the_commitment_precedes_the_publication(world, rostered) -> None:
    cid = await released(world, rostered)
    bundle = await bundle_of(world, cid)
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "valid", report.to_dict()
    names = [c.name for c in report.checks]
    for name in ("version", "disclosures", "roster", "signatures", "quorum", "log checkpoint", "log commitment"):
        assert name in names
    assert "log publication" in names
    log = bundle["log"]
    assert log["commitment"]["index"] < log["publication"]["index"]
    assert RESTRICTED_MARKER not in json.dumps(bundle)
    # The independent checker agrees with the checkpoint's root for both entries.
    checkpoint_text = log["checkpoint"].split("\n\n")[0] + "\n"
    _, size, root = checkpoint_text.split("\n")[:3]
    for entry in (log["commitment"], log["publication"]):
        leaf = base64.b64decode(entry["leaf"])
        proof = [base64.b64decode(h) for h in entry["proof"]]
        assert rfc9162_root_from_inclusion(leaf, entry["index"], int(size), proof) == base64.b64decode(root)
    publication = canonical.parse_strict(base64.b64decode(log["publication"]["leaf"]))
    assert publication["version_digest"] == bundle["record"]["version_digest"]
    assert publication["released_at"] == bundle["record"]["embargo_at"]
    assert publication["pdf_digest"] is None  # this server renders no PDFs (tests/test_public_pdf.py does)
    salt = canonical.b64url_decode(publication["commitment"]["salt"])
    committed = canonical.parse_strict(base64.b64decode(log["commitment"]["leaf"]))["commitment"]
    assert committed == "sha256:" + hashlib.sha256(salt + publication["version_digest"].encode()).hexdigest()


async def test_the_log_key_served_checks_the_checkpoint_in_the_bundle(world, rostered) -> None:
    cid = await released(world, rostered)
    bundle = await bundle_of(world, cid)
    key = await (await world.client.get(f"{LOG}/key")).text()
    assert key.strip() == bundle["log"]["key"]
    opened = note.open_checkpoint(bundle["log"]["checkpoint"], note.parse_verifier_key(key))
    assert opened.checkpoint.size == 2
    pinned = verify_bundle(bundle, VerifyOptions(log_key=key.strip()))
    assert pinned.verdict == "valid" and not any("log key" in t for t in pinned.trusted)


def tampered(bundle: dict, change) -> dict:
    copied = copy.deepcopy(bundle)
    change(copied)
    return copied


def flip_version_byte(b: dict) -> None:
    data = bytearray(canonical.b64url_decode(b["record"]["version"]))
    data[data.index(b'"title"') + 10] ^= 0x01
    b["record"]["version"] = canonical.b64url_encode(bytes(data))


def other_tree_proof(b: dict) -> None:
    b["log"]["publication"]["proof"][0] = base64.b64encode(hashlib.sha256(b"another tree").digest()).decode()


def forged_checkpoint(b: dict) -> None:
    head, _, signatures = b["log"]["checkpoint"].partition("\n\n")
    lines = head.split("\n")
    lines[1] = str(int(lines[1]) + 1)
    b["log"]["checkpoint"] = "\n".join(lines) + "\n\n" + signatures


def dropped_signature(b: dict) -> None:
    b["record"]["signoffs"]["explicit"].pop()


def changed_disclosure(b: dict) -> None:
    encoded = b["record"]["disclosures"]["sections"][0]
    value = json.loads(canonical.b64url_decode(encoded))
    value[2]["body"] += " (and more)"
    b["record"]["disclosures"]["sections"][0] = canonical.b64url_encode(json.dumps(value).encode())


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        (flip_version_byte, "version"),
        (other_tree_proof, "log"),
        (forged_checkpoint, "log"),
        (dropped_signature, "quorum"),
        (changed_disclosure, "disclosures"),
    ],
)
async def test_a_tampered_bundle_is_invalid_with_a_reason(world, rostered, change, failed) -> None:
    cid = await released(world, rostered)
    report = verify_bundle(tampered(await bundle_of(world, cid), change), VerifyOptions())
    assert report.verdict == "invalid", report.to_dict()
    assert report.reason is not None and report.reason.startswith(failed), report.reason


async def test_a_bundle_signed_with_a_key_revoked_before_it_signed_is_invalid(world, rostered) -> None:
    """A later roster (signed by every party) revokes EE's key back to before its signature."""
    cid = await released(world, rostered)
    bundle = await bundle_of(world, cid)
    first = bundle["roster"][0]["roster"]
    second = copy.deepcopy(first)
    second["version"], second["previous"] = 2, bundle["roster"][0]["digest"]
    for party in second["parties"]:
        if party["code"] == "EE":
            party["keys"][0]["revoked_at"] = "2026-01-01T00:00:00Z"
            party["keys"][0]["revocation_reason"] = "compromised"
    data = canonical.canonical_bytes(second)
    envelope = signing.sign_detached(
        data, list(rostered.values()), typ=parties.ROSTER_JWS_TYPE, iat=int(world.clock().timestamp())
    )
    bundle["roster"].append({"roster": second, "digest": canonical.digest(data), "jws": envelope})
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "invalid" and report.reason.startswith("signatures"), report.to_dict()


# --- entente verify, the command -------------------------------------------------------------------------


async def test_entente_verify_exit_codes_for_a_bundle_file(world, rostered, tmp_path: Path, capsys) -> None:
    cid = await released(world, rostered)
    bundle = await bundle_of(world, cid)
    good = tmp_path / "bundle.json"
    good.write_bytes(canonical.canonical_bytes(bundle))
    assert entente_main(["verify", str(good)]) == 0
    assert capsys.readouterr().out.strip().endswith("valid")
    bad = tmp_path / "bad.json"
    bad.write_bytes(canonical.canonical_bytes(tampered(bundle, flip_version_byte)))
    assert entente_main(["verify", str(bad)]) == 1
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\xff not json")
    assert entente_main(["verify", str(garbage)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert entente_main(["verify", str(tmp_path / "missing.pdf")]) == 2
    assert entente_main(["verify", "--json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == "valid"


async def test_entente_verify_says_indeterminate_when_the_url_cannot_be_reached(capsys) -> None:
    assert entente_main(["verify", "http://127.0.0.1:9/releases/1"]) == 3
    assert "cannot check" in capsys.readouterr().out


# --- the feed --------------------------------------------------------------------------------------------


async def test_the_atom_feed_lists_a_release_only_after_its_instant(world, rostered) -> None:
    cid = await scheduled(world, rostered)
    before = await world.client.get("/releases.atom")
    assert before.status == 200 and before.content_type == "application/atom+xml"
    assert feedparser.parse(await before.read()).entries == []
    world.clock.advance(timedelta(hours=1))
    await scheduler.tick(world.client.app[publisher_key])
    response = await world.client.get("/releases.atom")
    body = await response.read()
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    (entry,) = feed.entries
    assert entry.title == TITLE and entry.link.endswith(f"/releases/{cid}")
    assert entry.author == "Republic of Estonia"
    assert RESTRICTED_MARKER.encode() not in body
    etag = response.headers["ETag"]
    again = await world.client.get("/releases.atom", headers={"If-None-Match": etag})
    assert again.status == 304
    page = await (await world.client.get("/releases")).text()
    assert 'type="application/atom+xml"' in page


VERIFICATION = Path(__file__).resolve().parents[1] / "docs" / "verification.md"


async def test_the_docs_joserfc_recipe_verifies_every_signature_of_a_bundle(
    world, rostered, tmp_path: Path, monkeypatch, capsys
) -> None:
    """joserfc refuses unknown header fields: docs/verification.md registers `digest` and `iat`, and it works."""
    found = re.search(r"<!-- recipe: joserfc[^>]*-->\n```python\n(.*?)\n```", VERIFICATION.read_text("utf-8"), re.S)
    assert found, "docs/verification.md lost its joserfc recipe"
    cid = await released(world, rostered)
    (tmp_path / "bundle.json").write_bytes(canonical.canonical_bytes(await bundle_of(world, cid)))
    monkeypatch.chdir(tmp_path)
    exec(compile(found.group(1), "docs/verification.md joserfc recipe", "exec"), {})  # noqa: S102 (the docs' own code)
    assert capsys.readouterr().out.count("valid:") == 3


async def test_a_release_scheduled_before_the_log_existed_commits_before_it_is_published(world, rostered) -> None:
    """An upgrade: a release scheduled by a server without the log has no commitment; the scheduler logs
    one before the publication entry, so the order the verifier checks still holds."""
    cid = await scheduled(world, rostered)
    async with world.sessions.begin() as session:
        release = (await session.execute(select(Release).where(Release.communique_id == cid))).scalars().one()
        release.commitment_index, release.commitment_salt = None, None
        session.add(release)
    world.clock.advance(timedelta(hours=1))
    assert await scheduler.tick(world.client.app[publisher_key]) == [cid]
    bundle = await bundle_of(world, cid)
    assert bundle["log"]["commitment"]["index"] == 1 and bundle["log"]["publication"]["index"] == 2
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "valid", report.to_dict()

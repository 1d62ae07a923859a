"""PDF rendering, the platform's PAdES signature and the offline check (no server: the documents package alone).

One signed PDF is rendered per module and shared by the assertions; rendering is what costs here.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
from collections import Counter
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest

from entente import canonical, signing
from entente.documents import (
    DesignationRow,
    DocumentAttachment,
    DocumentSpec,
    PartyName,
    SectionSpec,
    SignatureRow,
    check_pdf,
)
from entente.documents.pool import render_and_sign
from entente.documents.rendering import LocalFetcher, RefusedFetchError, render_pdf
from entente.documents.specs import public_spec

pytestmark = pytest.mark.pdf

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"
RELEASED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NAMES = {
    "ru": "Александр Сергеевич Петров",
    "ko": "김철수",
    "zh": "网络作战部队",
    "ar": "محمد الأحمد",
}


def sample_spec(**changes) -> DocumentSpec:
    spec = DocumentSpec(
        title="Joint statement on the disruption of the Baltic electricity grid",
        kind="sanctions_package",
        lead=PartyName("EE", "Republic of Estonia"),
        parties=(
            PartyName("EE", "Republic of Estonia"),
            PartyName("FR", "French Republic"),
            PartyName("EU", "European Union"),
        ),
        sections=(
            SectionSpec("Statement", "We, the undersigned, **condemn** the attack on the grid of 4 March 2026."),
            SectionSpec("Measures", "The parties adopt the restrictive measures listed below."),
        ),
        designations=tuple(
            DesignationRow(
                f"D-00{i}", "person", name, lang, f"Transliterated {i}", (), ("born 1983",), ("asset_freeze",),
                "Directed the intrusion.",
            )
            for i, (lang, name) in enumerate(NAMES.items(), start=1)
        ),
        withheld=2,
        released_at=RELEASED,
        signatures=(
            SignatureRow("Republic of Estonia", "kid-ee-" + "a" * 36, "2026-11-27 09:00 UTC", "explicit"),
            SignatureRow("European Union", "kid-eu-" + "b" * 36, "2026-11-26 10:00 UTC", "pre-signed"),
        ),
        version_number=4,
        version_digest="sha256:" + "ab" * 32,
        how_to_check=("Run pdfsig on this file.",),
        attachments=(
            DocumentAttachment("version.json", b'{"v":4}', "application/json", "the exact version bytes", "Source"),
            DocumentAttachment("signoffs.json", b'{"explicit":[]}', "application/json", "the JWS sign-offs", "Data"),
        ),
    )
    from dataclasses import replace

    return replace(spec, **changes)


@pytest.fixture(scope="module")
def pdf_key() -> tuple[bytes, bytes]:
    key = signing.generate_private_key(signing.Algorithm.ES256)
    return signing.private_key_der(key), signing.self_signed_certificate(key, "Entente (tests)", not_before=RELEASED)


@pytest.fixture(scope="module")
def signed(pdf_key, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "communique.pdf"
    path.write_bytes(render_and_sign(sample_spec(), TEMPLATES, *pdf_key))
    return path


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False, timeout=60).stdout


def test_public_pdf_reads_like_a_communique(signed) -> None:
    text = run("pdftotext", "-layout", signed, "-")
    for expected in (
        "Joint statement on the disruption",
        "Republic of Estonia",
        "French Republic",
        "European Union",
        "1 December 2026, 09:00 UTC",
        "2 items were withheld from the public",
        "sha256:" + "ab" * 32,
        "kid-ee-",
        "pre-signed",
        "How to check this document",
    ):
        assert expected in text, expected
    assert "TLP:" not in text  # the public PDF carries no markings, not even TLP:CLEAR banners


def test_names_in_original_scripts_render_with_embedded_fonts(signed) -> None:
    text = " ".join(run("pdftotext", signed, "-").split())
    for lang in ("ru", "ko", "zh"):
        assert NAMES[lang] in text, lang
    # poppler extracts the lam-alef ligature of "الأحمد" in visual order (األ): check the first word
    # exactly and every letter of the name by count.
    assert NAMES["ar"].split()[0] in text
    assert not Counter(NAMES["ar"].replace(" ", "")) - Counter(text), NAMES["ar"]
    assert "\ufffd" not in text
    fonts = run("pdffonts", signed).splitlines()[2:]
    assert fonts
    for line in fonts:
        columns = line.split()
        assert columns[-5:-2] == ["yes", "yes", "yes"], line  # embedded, subset, with a ToUnicode map
    families = " ".join(fonts)
    for needed in ("Noto-Sans-CJK-KR", "Noto-Sans-CJK-SC", "Noto-Sans-Arabic", "Noto-Sans"):
        assert needed in families, needed


def test_pdf_is_pdfa_3b_with_its_attachments(signed) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(signed.read_bytes()))
    xmp = reader.root["/Metadata"].data.decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp or 'pdfaid:part="3"' in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp or 'pdfaid:conformance="B"' in xmp
    result = check_pdf(signed.read_bytes())
    assert result.attachments == {"version.json": b'{"v":4}', "signoffs.json": b'{"explicit":[]}'}
    assert result.relationships == {"version.json": "Source", "signoffs.json": "Data"}
    assert "version.json" in run("pdfdetach", "-list", signed)


def test_pdfsig_and_check_pdf_accept_the_signature(signed, pdf_key) -> None:
    out = run("pdfsig", signed)
    assert "Signature is Valid." in out and "Total document signed" in out
    result = check_pdf(signed.read_bytes(), pdf_key[1])
    assert result.valid and result.certificate_matches and not result.modified, result.reason
    other = signing.generate_private_key(signing.Algorithm.ES256)
    stranger = check_pdf(signed.read_bytes(), signing.self_signed_certificate(other, "x", not_before=RELEASED))
    assert not stranger.valid and "another certificate" in stranger.reason


def test_a_flipped_byte_is_reported_modified(signed, tmp_path) -> None:
    data = bytearray(signed.read_bytes())
    data[len(data) // 3] ^= 0x01
    changed = tmp_path / "flipped.pdf"
    changed.write_bytes(bytes(data))
    assert "Signature is Valid." not in run("pdfsig", changed)
    result = check_pdf(bytes(data))
    assert not result.valid


def test_an_appended_update_altering_the_text_is_reported_modified(signed, tmp_path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed.read_bytes()))
    forged = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 72 Td (FORGED) Tj ET"))
    writer.add_stream_to_page(0, forged)
    out = BytesIO()
    writer.write(out)
    changed = tmp_path / "updated.pdf"
    changed.write_bytes(out.getvalue())
    assert "Total document signed" not in run("pdfsig", changed)
    result = check_pdf(out.getvalue())
    assert not result.valid and result.modified
    assert "appended" in result.reason


@pytest.mark.parametrize(
    "data",
    [b"", b"not a pdf at all", b"%PDF-1.7\n" + b"[" * 200_000, b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"],
    ids=["empty", "garbage", "nested", "no-trailer"],
)
def test_hostile_input_gives_a_one_line_reason(data) -> None:
    result = check_pdf(data)
    assert not result.valid and result.reason and "\n" not in result.reason


def test_truncated_pdf_gives_a_one_line_reason(signed) -> None:
    result = check_pdf(signed.read_bytes()[:4096])
    assert not result.valid and "\n" not in result.reason


def test_an_attachment_bomb_stops_at_the_cap() -> None:
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    bomb = embed.EmbeddedFileObject.from_file_data(writer, b"\0" * (40 * 1024 * 1024), compress=True)
    embed.embed_file(writer, embed.FileSpec(file_spec_string="bomb.bin", embedded_data=bomb))
    out = BytesIO()
    writer.write(out)
    assert len(out.getvalue()) < 200_000
    result = check_pdf(out.getvalue())
    assert not result.valid and "MiB" in result.reason


class Listener:
    """A TCP port on 127.0.0.1 that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def test_the_renderer_fetches_nothing_outside_the_document_layouts(caplog, tmp_path) -> None:
    listener = Listener()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG secret")
    body = (
        f"![a](http://127.0.0.1:{listener.port}/a.png) [b](http://127.0.0.1:{listener.port}/b) "
        f"![c](file://{secret}) ![d](data:image/png;base64,iVBORw0KGgo=) ![e](../pages/base.html)"
    )
    fetcher = LocalFetcher(TEMPLATES / "documents")
    try:
        with caplog.at_level(logging.WARNING, logger="entente.documents"):
            pdf = render_pdf(sample_spec(sections=(SectionSpec("Hostile", body),), attachments=()), TEMPLATES,
                             fetcher=fetcher)
    finally:
        listener.close()
    assert pdf.startswith(b"%PDF-")
    assert listener.connections == 0
    assert all(url.endswith("/templates/documents/communique.css") for url in fetcher.fetched), fetcher.fetched
    assert any(str(listener.port) in url for url in fetcher.refused)
    assert any("refused to fetch" in r.getMessage() for r in caplog.records)
    for url in ("file:///etc/passwd", "data:text/plain,hello", f"http://127.0.0.1:{listener.port}/x",
                (TEMPLATES / "pages" / "base.html").as_uri(), (TEMPLATES / "documents" / ".." / "pages").as_uri()):
        with pytest.raises(RefusedFetchError):
            fetcher.fetch(url)
    assert fetcher.fetch((TEMPLATES / "documents" / "communique.css").as_uri()).status == 200


def test_public_spec_reads_only_the_public_record() -> None:
    version = b'{"v":1}'
    statement = canonical.make_disclosure("s1", {"heading": "Statement", "body": "We condemn.", "origin": None})
    designation = canonical.make_disclosure(
        "a1",
        {
            "kind": "designation",
            "content": {
                "id": "D-001",
                "subject_type": "person",
                "primary_name": {"original": {"whole_name": NAMES["ru"], "language": "ru"},
                                 "transliterated": {"whole_name": "Aleksandr Petrov"}},
                "measures": ["asset_freeze"],
                "reasons": "Directed the intrusion.",
                "documents": [{"type": "passport", "number": "75 1234567", "country": "RU"}],
            },
            "origin": None,
        },
    )
    key = signing.generate_private_key()
    jwk = key.public_key.jwk
    kid = signing.thumbprint(jwk)
    envelope = signing.sign_detached(version, [key], typ="entente-signoff+jws", iat=1_795_000_000)
    record = {
        "type": "entente-release", "communique": 7, "kind": "sanctions_package", "title": "Measures",
        "lead": "EE", "parties": ["EE", "FR"], "embargo_at": "2026-12-01T09:00:00Z",
        "version_number": 3, "version_digest": canonical.digest(version), "version": canonical.b64url_encode(version),
        "disclosures": {"sections": [statement.encoded], "annex": [designation.encoded]},
        "withheld": {"sections": 1, "annex": 2},
        "signoffs": {"explicit": [envelope], "presigned": []},
        "keys": [{"party": "EE", "kid": kid, "jwk": jwk}],
    }
    spec = public_spec(record, {"EE": "Republic of Estonia", "FR": "French Republic"}, [], base_url="https://x.test")
    assert [p.name for p in spec.parties] == ["Republic of Estonia", "French Republic"]
    assert spec.sections == (SectionSpec("Statement", "We condemn."),)
    assert spec.designations[0].name == NAMES["ru"] and spec.designations[0].transliterated == "Aleksandr Petrov"
    assert "passport 75 1234567 (RU)" in spec.designations[0].identifiers
    assert spec.withheld == 3 and spec.released_at == RELEASED
    assert [(r.party, r.kid, r.how) for r in spec.signatures] == [("Republic of Estonia", kid, "explicit")]
    assert spec.signatures[0].signed_at.endswith("UTC")
    assert any("https://x.test/.well-known/entente/pdf-signing.pem" in line for line in spec.how_to_check)


def test_a_party_view_of_a_sanctions_package_tables_its_designations_with_their_evidence(tmp_path) -> None:
    import json
    from types import SimpleNamespace

    from entente.disclosure import Marking
    from entente.documents.specs import party_spec
    from entente.sanctions.model import Designation

    package = json.loads((REPO / "tests" / "data" / "sanctions" / "package.json").read_text(encoding="utf-8"))

    def stored(item_id: str, kind: str, content, marking: Marking):
        item = SimpleNamespace(id=item_id, value={"kind": kind, "content": content}, marking=marking)
        return SimpleNamespace(item=item, disclosure=f"disclosure-{item_id}")

    annex = []
    for n, raw in enumerate(package["designations"]):
        designation = Designation.from_annex_content(raw)
        content = designation.evolve(evidence=(), same_as=(), bump=False).to_annex_content()
        annex.append(stored(f"a{n}", "designation", content, Marking.everyone()))
        for evidence in designation.evidence:
            if evidence.marking.public or "FR" in evidence.marking.parties:  # what FR's view would hold
                body = {"designation": designation.id, "id": evidence.id, "text": evidence.text}
                annex.append(stored(f"e{n}{evidence.id}", "designation_evidence", body, evidence.marking))
    version = b'{"kind":"sanctions_package","lead":"EE","parties":["EE","FR","EU"],"title":"Cyber measures"}'
    view = SimpleNamespace(
        version=SimpleNamespace(content=version, number=2, digest=canonical.digest(version)),
        sections=[],
        annex=annex,
        withheld=SimpleNamespace(sections=0, annex=1),
    )
    names = {"EE": "Republic of Estonia", "FR": "French Republic", "EU": "European Union"}
    spec = party_spec(
        view, viewer_party="FR", party_names=names, explicit=[], presigned=[], party_of_kid={},
        released_at=None, embargoed_until=None,  # the diagonal watermark's letters would interleave the text
    )
    assert len(spec.designations) == len(package["designations"])
    first = spec.designations[0]
    assert first.name == "Александр Сергеевич Петров" and first.language == "ru"
    assert first.transliterated == "Aleksandr Sergeyevich Petrov"
    assert "passport 75 1234567 (RU)" in first.identifiers
    assert first.evidence == ("TLP:AMBER Intercepted tasking orders signed by Petrov, 2026-02-14.",)
    assert spec.releasable_to == "TLP:AMBER · Releasable to Republic of Estonia, French Republic only"

    pdf = write(tmp_path, render_pdf(spec, TEMPLATES))
    text = " ".join(run("pdftotext", pdf, "-").split())
    for row in spec.designations:
        assert row.name in text, row.name
    assert "Source report on the unit" not in text  # E-002 is EE's only
    assert "Evidence: TLP:AMBER Intercepted" in text


def write(folder: Path, pdf: bytes) -> Path:
    path = folder / "view.pdf"
    path.write_bytes(pdf)
    return path


@pytest.mark.parametrize("old_format", [False, True], ids=["format-2", "format-1"])
def test_a_party_view_embeds_the_marking_disclosures_of_a_format_2_version_only(old_format) -> None:
    """A format 2 view embeds markings.json: the marking disclosure of each item shown, as the JSON view gives
    it beside the item, and none of a withheld item; a format 1 object lists its markings in the clear:
    nothing to add."""
    from types import SimpleNamespace

    from entente.disclosure import Marking
    from entente.documents.specs import party_spec
    from entente.drafting import versions
    from tests.support.versions import format_1_build_version

    items = [
        versions.make_item("section", "s-1", {"heading": "Statement", "body": "We condemn."}, Marking.everyone(), "EE"),
        versions.make_item(
            "section", "s-2", {"heading": "Handling", "body": "Sources."},
            Marking.releasable_to(["EE", "FR"], author="EE"), "EE",
        ),
    ]
    build = format_1_build_version if old_format else versions.build_version
    built = build(
        communique=7, number=1, prev=None, kind="joint_statement", title="On the grid", lead="EE",
        parties=["EE", "FR", "EU"], template=None, sections=items, annex=[],
    )
    view = SimpleNamespace(  # EU's view: the public section, the other withheld
        version=SimpleNamespace(content=built.content, number=1, digest=built.digest),
        sections=built.sections[:1],
        annex=[],
        withheld=SimpleNamespace(sections=1, annex=0),
        withheld_items=[("section", 1, built.sections[1])],
    )
    spec = party_spec(
        view, viewer_party="EU", party_names={}, explicit=[], presigned=[], party_of_kid={},
        released_at=None, embargoed_until=None,
    )
    files = {a.name: a.data for a in spec.attachments}
    if old_format:
        assert "markings.json" not in files
        assert not any("markings.json" in line for line in spec.how_to_check)
        return
    markings = canonical.parse_strict(files["markings.json"])
    shown, hidden = built.sections
    assert markings == {
        "sections": [{"digest": shown.digest, "marking_disclosure": shown.marking_disclosure}],
        "annex": [],
    }
    assert hidden.marking_disclosure not in files["markings.json"].decode()  # a withheld marking stays out
    obj = canonical.parse_strict(files["version.json"])
    for entry, stored in zip(obj["sections"], built.sections, strict=True):
        marking = versions.entry_marking(obj, entry, stored.marking_disclosure)
        assert marking == stored.item.marking.to_dict()
    assert any("markings.json" in line for line in spec.how_to_check)

"""The public PDF of a release, end to end, read back with real tools: rendered after scheduling, signed
(PAdES), served at /releases/{id}.pdf once public, checked by pdfsig, pypdf, pdftotext and
`entente verify` from its URL, and refused by all of them after a one-byte change or an appended update.

One rendered release per backend: rendering is the slow part, so each test does the whole journey.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import sys
import zlib
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest

from entente import scheduler
from entente.appkeys import publisher_key
from entente.cli import main as entente_main
from entente.verification import VerifyOptions, verify_pdf
from tests.support.releasing import RESTRICTED_MARKER, TITLE, bundle_of, scheduled

pytestmark = [
    pytest.mark.pdf,
    pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils (pdfsig, pdftotext) is not installed"),
]
ATTACHED = {"version.json", "disclosures.json", "signoffs.json", "roster.json", "log-proof.json"}


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60)  # noqa: S603


def appended_update(pdf: bytes) -> bytes:
    """An incremental update appended after the signature, writing new text on the first page."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    forged = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 72 Td (WITHDRAWN) Tj ET"))
    writer.add_stream_to_page(0, forged)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_the_public_pdf_is_signed_complete_and_verifiable_from_its_url(world, rostered, tmp_path: Path) -> None:
    cid = await scheduled(world, rostered)
    # Rendered at scheduling, not public before the instant.
    assert (await world.client.get(f"/releases/{cid}.pdf")).status == 404
    world.clock.advance(timedelta(hours=1))
    assert await scheduler.tick(world.client.app[publisher_key]) == [cid]

    response = await world.client.get(f"/releases/{cid}.pdf")
    assert response.status == 200 and response.content_type == "application/pdf"
    assert "immutable" in response.headers["Cache-Control"]
    pdf = await response.read()
    assert (
        await world.client.get(f"/releases/{cid}.pdf", headers={"If-None-Match": response.headers["ETag"]})
    ).status == 304
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)

    # pdfsig: the platform's signature is valid and covers the whole file.
    signed = tool("pdfsig", str(path))
    assert "Signature is Valid." in signed.stdout, signed.stdout + signed.stderr
    # pypdf: PDF/A-3b, with the five files attached.
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert set(reader.attachments) >= ATTACHED
    assert b"pdfaid:part" in pdf or "pdfaid" in str(reader.xmp_metadata.rdf_root.toxml() if reader.xmp_metadata else "")
    # pdftotext: it reads like a communiqué, and nothing restricted is in it.
    text = tool("pdftotext", "-layout", str(path), "-").stdout
    assert TITLE.split()[0] in text and "Republic of Estonia" in text and "French Republic" in text
    assert "withheld" in text and RESTRICTED_MARKER not in text
    version = reader.attachments["version.json"][0]
    assert RESTRICTED_MARKER.encode() not in b"".join(d[0] for d in reader.attachments.values())
    bundle = await bundle_of(world, cid)
    assert bundle["pdf"]["digest"] == "sha256:" + __import__("hashlib").sha256(pdf).hexdigest()
    assert json.loads(version)["title"] == TITLE

    # entente verify: the PDF alone, and the release's URL (PDF and bundle, with the log's publication entry).
    alone = await asyncio.to_thread(verify_pdf, pdf, VerifyOptions())  # pyHanko runs its own event loop
    assert alone.verdict == "valid", alone.to_dict()
    url = str(world.client.make_url(f"/releases/{cid}"))
    assert await asyncio.to_thread(entente_main, ["verify", url]) == 0
    certificate = await (await world.client.get("/.well-known/entente/pdf-signing.pem")).read()
    pinned = await asyncio.to_thread(verify_pdf, pdf, VerifyOptions(certificate=certificate), bundle=bundle)
    assert pinned.verdict == "valid" and "log publication" in [c.name for c in pinned.checks], pinned.to_dict()

    # One flipped byte inside the signed range: pdfsig and entente verify both refuse it.
    flipped = bytearray(pdf)
    at = pdf.index(b"/Title") + 3
    flipped[at] ^= 0x01
    bad = tmp_path / "flipped.pdf"
    bad.write_bytes(bytes(flipped))
    assert "Signature is Valid." not in tool("pdfsig", str(bad)).stdout
    assert await asyncio.to_thread(entente_main, ["verify", str(bad)]) == 1
    # An incremental update appended after signing: the signature no longer covers the whole file.
    updated = tmp_path / "updated.pdf"
    updated.write_bytes(appended_update(pdf))
    report = tool("pdfsig", str(updated)).stdout
    assert "Not total document signed" in report, report
    assert await asyncio.to_thread(entente_main, ["verify", str(updated)]) == 1

    # --explain prints commands that check the same with pdfsig, pdfdetach, openssl and plain Python.
    script = tmp_path / "check.sh"
    work = tmp_path / "explain"
    work.mkdir()
    out = await asyncio.to_thread(
        subprocess.run,
        ["sh", "-c", f"{sys.executable} -m entente verify --explain {path} > {script} && sh {script}"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("Signature Verified Successfully") >= 4  # three parties and the log's checkpoint
    assert "every check above passed" in out.stdout


async def test_garbage_truncated_and_bomb_pdfs_get_a_one_line_reason(tmp_path: Path, capsys) -> None:
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    bomb = tmp_path / "bomb.pdf"
    stream = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)
    header = f"%PDF-1.7\n1 0 obj << /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
    bomb.write_bytes(header + stream + b"\nendstream\nendobj\n%%EOF")
    for path in (truncated, bomb):
        assert await asyncio.to_thread(entente_main, ["verify", str(path)]) == 1
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err and "invalid" in out.out


def test_the_explain_script_refuses_a_party_code_that_would_reach_the_shell(tmp_path, monkeypatch) -> None:
    """The script writes each signature's files under its party's code and runs openssl on them from a
    shell script; a code from an unauthenticated roster such as ``EE;touch PWNED`` or ``../x`` stops it."""
    import base64

    from entente.verification import explain

    monkeypatch.chdir(tmp_path)
    script: dict = {"base64": base64}
    exec(explain._OPENSSL_FILES, script)  # the Python the script runs (S102: the project's own code)  # noqa: S102
    envelope = {"protected": "e30", "signature": "AA"}
    for code in ("EE;touch PWNED", "../EE", "EE $(id)"):
        with pytest.raises(AssertionError, match="refusing the party code"):
            script["openssl_check"](f"{code}-0-0", {"kty": "OKP", "x": "AA"}, envelope, b"")
    assert list(tmp_path.iterdir()) == []  # nothing written (a valid code's run: the explain tests above)

"""``entente sanctions export|import`` against the running test server (ENTENTE_URL, ENTENTE_TOKEN)."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from entente.cli import main
from entente.sanctions import import_csv
from tests.support.sanctions import DESIGNATIONS, SANCTIONS, Desk


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def _cli(monkeypatch, desk: Desk, user: str, *argv: str) -> int:
    headers = await desk.world.token(user)
    monkeypatch.setenv("ENTENTE_URL", str(desk.world.client.make_url("/")).rstrip("/"))
    monkeypatch.setenv("ENTENTE_TOKEN", headers["Authorization"].removeprefix("Bearer "))
    return await asyncio.to_thread(main, list(argv))


async def test_export_and_import_round_trip_through_the_cli(desk, monkeypatch, tmp_path) -> None:
    source = await desk.package()
    await desk.add(source, "D-001")
    await desk.add(source, "D-006")
    out = tmp_path / "package.csv"
    assert await _cli(monkeypatch, desk, "ee.drafter", "sanctions", "export", str(source), "--out", str(out)) == 0
    exported = import_csv(out.read_bytes())
    assert [d.id for d in exported] == ["D-001", "D-006"]
    assert (
        exported[0].primary_name.original.whole_name == DESIGNATIONS["D-001"]["primary_name"]["original"]["whole_name"]
    )
    target = await desk.package()
    code = await _cli(monkeypatch, desk, "ee.drafter", "sanctions", "import", str(target), str(out), "--confirm")
    assert code == 0
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{target}", status=200)
    assert [d["designation"]["id"] for d in package["designations"]] == ["D-001", "D-006"]
    for fmt in ("eu-xml", "ofac-xml"):
        xml_out = tmp_path / f"package-{fmt}.xml"
        args = ("sanctions", "export", str(source), "--format", fmt, "--public", "--out", str(xml_out))
        assert await _cli(monkeypatch, desk, "ee.drafter", *args) == 0
        text = xml_out.read_text("utf-8")
        ET.fromstring(text)
        assert "Intercepted tasking orders" not in text


async def test_a_refused_import_exits_1_and_stores_nothing(desk, monkeypatch, tmp_path, capsys) -> None:
    target = await desk.package()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id;name\n1;2\n")
    assert await _cli(monkeypatch, desk, "ee.drafter", "sanctions", "import", str(target), str(bad)) == 1
    assert "row 1" in capsys.readouterr().err
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{target}", status=200)
    assert package["designations"] == []


async def test_the_cli_needs_the_url_and_token(monkeypatch) -> None:
    monkeypatch.delenv("ENTENTE_URL", raising=False)
    monkeypatch.delenv("ENTENTE_TOKEN", raising=False)
    assert main(["sanctions", "export", "1"]) == 2

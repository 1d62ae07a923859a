"""``entente sanctions export|import`` against the running test server (ENTENTE_URL, ENTENTE_TOKEN)."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from entente.sanctions import import_csv
from tests.support.cli import Entente, Run
from tests.support.sanctions import DESIGNATIONS, SANCTIONS, Desk


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def _cli(entente: Entente, desk: Desk, user: str, *argv: str) -> Run:
    """The command in a thread of its own, so the test server keeps answering meanwhile."""
    headers = await desk.world.token(user)
    env = {
        "ENTENTE_URL": str(desk.world.client.make_url("/")).rstrip("/"),
        "ENTENTE_TOKEN": headers["Authorization"].removeprefix("Bearer "),
    }
    return await asyncio.to_thread(entente, *argv, env=env)


async def test_export_and_import_round_trip_through_the_cli(desk, entente, tmp_path) -> None:
    source = await desk.package()
    await desk.add(source, "D-001")
    await desk.add(source, "D-006")
    out = tmp_path / "package.csv"
    exported_run = await _cli(entente, desk, "ee.drafter", "sanctions", "export", str(source), "--out", str(out))
    assert exported_run.returncode == 0
    exported = import_csv(out.read_bytes())
    assert [d.id for d in exported] == ["D-001", "D-006"]
    assert (
        exported[0].primary_name.original.whole_name == DESIGNATIONS["D-001"]["primary_name"]["original"]["whole_name"]
    )
    target = await desk.package()
    imported = await _cli(entente, desk, "ee.drafter", "sanctions", "import", str(target), str(out), "--confirm")
    assert imported.returncode == 0, imported.stderr
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{target}", status=200)
    assert [d["designation"]["id"] for d in package["designations"]] == ["D-001", "D-006"]
    for fmt in ("eu-xml", "ofac-xml"):
        xml_out = tmp_path / f"package-{fmt}.xml"
        args = ("sanctions", "export", str(source), "--format", fmt, "--public", "--out", str(xml_out))
        assert (await _cli(entente, desk, "ee.drafter", *args)).returncode == 0
        text = xml_out.read_text("utf-8")
        ET.fromstring(text)
        assert "Intercepted tasking orders" not in text


async def test_a_refused_import_exits_1_and_stores_nothing(desk, entente, tmp_path) -> None:
    target = await desk.package()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id;name\n1;2\n")
    refused = await _cli(entente, desk, "ee.drafter", "sanctions", "import", str(target), str(bad))
    assert refused.returncode == 1
    assert "row 1" in refused.stderr
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{target}", status=200)
    assert package["designations"] == []


def test_the_cli_needs_the_url_and_token(entente: Entente) -> None:
    assert entente("sanctions", "export", "1").returncode == 2

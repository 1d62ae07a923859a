"""Small things that bite: a form address opened as a page, a busy port, the OpenAPI address, re-running
``init --demo`` with another password, the Markdown preview, and acceptances in the history."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from entente import auth
from entente.app import create_app
from entente.cli.admin import _served_address
from entente.clock import FixedClock
from entente.settings import Settings, load_settings
from tests.support.drafting import head
from tests.support.pages import browser
from tests.support.releasing import three_party
from tests.support.world import REPO, START


async def test_a_form_address_opened_as_a_page_leads_to_the_page_not_a_405(world) -> None:
    cid = await three_party(world)
    ee = await browser(world, "ee.comms")
    for path, target in (
        (f"/communiques/{cid}/release", f"/communiques/{cid}"),
        (f"/communiques/{cid}/briefings", f"/communiques/{cid}"),
        (f"/communiques/{cid}/acceptance", f"/communiques/{cid}"),
        ("/notices/read", "/notices"),
        ("/logout", "/"),
    ):
        response = await world.client.get(path, headers=ee.headers, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == target, path
    # a form sent to a page that takes none: the page
    response, _ = await ee.post("/dashboard", {})
    assert response.headers["Location"] == "/dashboard"
    # the API keeps its problem answer
    response = await world.client.get(f"/api/v1/communiques/{cid}/release/lift", headers=await world.token("ee.comms"))
    assert response.status == 405 and (await response.json())["code"] == "method_not_allowed"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "ENTENTE_PATHS_VAR": str(tmp_path / "var"),
        "ENTENTE_PATHS_KEYS": str(tmp_path / "keys"),
        "ENTENTE_DOCUMENTS_PDF": "false",
    }


def test_serving_on_a_busy_port_says_so_in_one_line(entente, env: dict[str, str]) -> None:
    assert entente("init", env=env).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # the real command: ``serve`` installs signal handlers, which only the main thread of a process may
        result = subprocess.run(
            [sys.executable, "-m", "entente", "serve", "--port", str(port)],
            cwd=REPO,
            env=os.environ | env | {"PYTHONPATH": str(REPO / "platform")},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        f"entente: cannot listen on 127.0.0.1:{port}: the port is in use (another server runs there?); "
        "choose another with --port (or `make demo PORT=...`)"
    )
    assert "Traceback" not in result.stderr + result.stdout


async def test_the_openapi_document_names_the_address_served(aiohttp_client, settings: Settings) -> None:
    served = _served_address(settings, "127.0.0.1", 9137)
    assert served.server.public_url == "http://127.0.0.1:9137"
    everywhere = _served_address(settings, "0.0.0.0", 9138)
    assert everywhere.server.public_url == "http://127.0.0.1:9138"
    public = load_settings(
        REPO / "config" / "entente.toml", env={"ENTENTE_SERVER_PUBLIC_URL": "https://entente.example.org"}
    )
    assert _served_address(public, "127.0.0.1", 9139).server.public_url == "https://entente.example.org"
    client = await aiohttp_client(create_app(served, clock=FixedClock(START)))
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert document["servers"] == [{"url": "http://127.0.0.1:9137"}]


def test_init_demo_applies_a_new_demo_password_or_says_it_did_not(entente, env: dict[str, str]) -> None:
    first = entente("init", "--demo", env=env | {"ENTENTE_DEMO_PASSWORD": "first demo password"})
    assert first.returncode == 0, first.stderr
    assert "demo password for every demo user: first demo password" in first.stdout
    second = entente("init", "--demo", env=env | {"ENTENTE_DEMO_PASSWORD": "second demo password"})
    assert second.returncode == 0, second.stderr
    assert "ENTENTE_DEMO_PASSWORD applied:" in second.stdout
    assert "demo password for every demo user: second demo password" in second.stdout
    third = entente("init", "--demo", env=env)
    assert "demo password NOT changed for" in third.stdout and "keep the password they had" in third.stdout
    assert "demo password for every demo user" not in third.stdout
    fourth = entente("init", "--demo", env=env | {"ENTENTE_DEMO_PASSWORD": "second demo password"})
    assert "applied" not in fourth.stdout and "demo password for every demo user: second demo password" in fourth.stdout


async def test_a_demo_password_applied_again_is_the_one_that_signs_in(world) -> None:
    from entente import parties
    from entente.models import Role

    coalition = [
        parties.SeedParty(
            "EE",
            "Republic of Estonia",
            "state",
            "Europe/Tallinn",
            (parties.SeedUser("ee.drafter", "EE drafter", (Role.DRAFTER,)),),
        )
    ]
    async with world.sessions.begin() as session:
        changed, kept = await parties.apply_demo_password(
            session, coalition, password="a brand new one", now=world.clock(), apply=False
        )
        assert (changed, kept) == ([], ["ee.drafter"])
        changed, kept = await parties.apply_demo_password(
            session, coalition, password="a brand new one", now=world.clock(), apply=True
        )
        assert (changed, kept) == (["ee.drafter"], [])
        user = await auth.get_user(session, "ee.drafter")
        assert await auth.check_password(user.password_hash, "a brand new one")


async def test_the_editor_previews_markdown_without_saving(world) -> None:
    cid = await three_party(world)
    before = await head(world.client, await world.token("ee.drafter"), cid)
    ee = await browser(world, "ee.drafter")
    page = await ee.get(f"/communiques/{cid}")
    assert 'name="preview" value="1"' in page
    fields = {
        "base": before["digest"],
        "title": "Draft title",
        "new.heading": "Preview me",
        "new.body": "We **condemn** it.\n\n- one\n- two\n\n<script>alert(1)</script>",
        "new.marking": "public",
    }
    _, text = await ee.post(f"/communiques/{cid}", fields | {"preview": "1"}, status=200)
    preview = text[text.index('id="preview"') : text.index("</section>", text.index('id="preview"'))]
    assert "<strong>condemn</strong>" in preview and "<li>one</li>" in preview
    assert "<script>alert" not in text and "&lt;script&gt;" in preview
    assert 'value="Preview me"' in text  # the form keeps what was typed
    after = await head(world.client, await world.token("ee.drafter"), cid)
    assert after["digest"] == before["digest"]


async def test_an_acceptance_reads_as_joining_in_the_history_not_as_an_edit(world) -> None:
    cid = await three_party(world)
    page = await (await browser(world, "ee.drafter")).get(f"/communiques/{cid}/versions")
    rows = page[page.index("<tbody>") : page.index("</tbody>")].split("<tr>")[1:]
    assert len(rows) == 3
    assert "joined</span> EU accepted to take part" in rows[0] and "changes</a>" not in rows[0]
    assert "joined</span> FR accepted to take part" in rows[1]
    assert "started" in rows[2]

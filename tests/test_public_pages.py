"""The public pages read as the public expects: party names, instants to the second, released sanctions
as a readable table in their own scripts, and the way to the PDF, the feed and the verify page."""

from __future__ import annotations

import re
from datetime import timedelta

from entente import scheduler
from entente.appkeys import publisher_key
from tests.support.releasing import release_communique, signed_communique
from tests.support.sanctions import Desk
from tests.support.world import REPO


async def test_a_released_sanctions_package_is_a_table_in_its_own_scripts(world, keys) -> None:
    desk = Desk(world)
    desk.keys = keys
    pid = await desk.package()
    for did in ("D-001", "D-003", "D-005"):
        await desk.add(pid, did)
    await desk.release(pid)
    assert await scheduler.tick(world.client.app[publisher_key]) == [pid]
    page = await (await world.client.get(f"/releases/{pid}")).text()
    table = page[page.index('id="designations"') : page.index("</table>")]
    assert "Persons and entities designated" in table
    for original, latin in (
        ("Александр Сергеевич Петров", "Aleksandr Sergeyevich Petrov"),
        ("김정호", "Kim Jong Ho"),
        ("ООО «Технологии Безопасности»", "OOO Tekhnologii Bezopasnosti"),
    ):
        assert original in table and latin in table
    assert "asset freeze" in table and "travel ban" in table and "export restrictions" in table
    assert "\\u04" not in page and "\\u" not in table and '"primary_name"' not in page
    assert 'lang="ru"' in table and 'lang="ko"' in table


async def test_the_release_list_names_parties_and_links_the_feed_and_verify_page(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=1))
    for path in ("/releases", "/"):
        page = await (await world.client.get(path)).text()
        assert "led by Republic of Estonia" in page and '<span class="code">EE</span>' not in page
        assert "2026-11-27 10:00 UTC" in page and 'datetime="2026-11-27T10:00:00Z"' in page
    listing = await (await world.client.get("/releases")).text()
    assert f"/api/v1/public/communiques/{cid}/bundle" in listing and 'href="/verify"' in listing
    assert 'href="/releases.atom"' in listing
    page = await (await world.client.get(f"/releases/{cid}")).text()
    assert 'href="/verify"' in page and 'href="/releases.atom"' in page
    assert "Republic of Estonia" in page and "French Republic" in page and "European Union" in page


async def test_an_early_lift_prints_its_instant_without_microseconds(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(minutes=7, seconds=33, microseconds=123456))
    response = await world.client.post(
        f"/api/v1/communiques/{cid}/release/lift", json={"reason": "leaked"}, headers=await world.token("ee.comms")
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["embargo_at"] in ("2026-11-27T09:07:33Z", "2026-11-27T09:07:33+00:00")
    for path in ("/releases", f"/releases/{cid}", f"/api/v1/public/communiques/{cid}"):
        text = await (await world.client.get(path)).text()
        assert "123456" not in text and ".123" not in text, path
    page = await (await world.client.get(f"/releases/{cid}")).text()
    assert 'released <time datetime="2026-11-27T09:07:33Z">2026-11-27 09:07:33 UTC</time>' in page
    assert re.search(r"\d\d:\d\d:\d\d\.\d", page) is None


async def test_static_files_are_served_from_memory_with_an_etag_and_nothing_else(client) -> None:
    response = await client.get("/static/entente.css")
    assert response.status == 200 and response.content_type == "text/css"
    assert await response.read() == (REPO / "templates" / "pages" / "static" / "entente.css").read_bytes()
    again = await client.get("/static/entente.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304
    script = await client.get("/static/websign.js")
    assert script.content_type == "text/javascript" and script.charset == "utf-8"
    for path in ("/static/nothing.css", "/static/..%2Fbase.html", "/static/%2e%2e%2F%2e%2e%2Fconfig%2Fentente.toml"):
        assert (await client.get(path)).status == 404, path

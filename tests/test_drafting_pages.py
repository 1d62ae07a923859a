"""The communiqué pages, driven as a browser without JavaScript would: forms, CSRF tokens, redirects."""

from __future__ import annotations

import re
from datetime import timedelta

from entente import parties, signing
from entente.signoffs import SIGNOFF_TYP
from tests.support.drafting import BASE, create, editable, head, save, section, two_party
from tests.support.pages import browser


def form_fields(page: str) -> dict[str, str]:
    """The editor form's current values, as a browser would submit them untouched."""
    fields: dict[str, str] = {}
    form = page[page.index('id="editor"') : page.index("</form>", page.index('id="editor"'))]
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        if 'type="checkbox"' in name or name == "csrf_token":
            continue
        fields[name] = value
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name and ('type="checkbox"' in tag or 'type="radio"' in tag):
            fields.pop(name.group(1), None) if 'type="checkbox"' in tag else None
            if " checked" in tag:
                fields[name.group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.S):
        fields[name] = (
            value.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&#34;", '"')
            .replace("&amp;", "&")
        )
    return fields


async def test_pages_need_a_signed_in_user(client) -> None:
    response = await client.get("/communiques", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


async def test_two_drafters_co_write_through_the_pages_and_resolve_a_conflict(world) -> None:
    ee, fr = await browser(world, "ee.drafter"), await browser(world, "fr.drafter")
    assert "Start a communiqué" in await ee.get("/communiques")
    response, _ = await ee.post(
        "/communiques/new",
        {
            "title": "On the attack on the grid",
            "kind": "joint_statement",
            "with.FR": "1",
            "heading": "Statement",
            "body": "We condemn\r\nthe attack.",
        },
    )
    editor_url = response.headers["Location"]
    cid = int(editor_url.rsplit("/", 1)[1])
    invited = await fr.get(editor_url)
    assert "Accept for FR" in invited and "We condemn" not in invited
    await fr.post(f"{editor_url}/acceptance", {})
    fr_page = await fr.get(editor_url)
    assert "We condemn\nthe attack." in fr_page and "TLP:CLEAR" in fr_page
    base_fields = form_fields(fr_page)
    # FR adds a section only France may see, EE edits the statement from the same base: merged.
    await fr.post(
        editor_url,
        base_fields
        | {"new.heading": "FR note", "new.body": "fr eyes only", "new.marking": "restricted", "new.to.FR": "1"},
    )
    _, _ = await ee.post(editor_url, base_fields | {"s0.body": "We firmly condemn the attack."})
    ee_page = await ee.get(editor_url)
    assert "We firmly condemn the attack." in ee_page and "fr eyes only" not in ee_page
    assert "1 section(s) you cannot see" in ee_page
    fr_page = await fr.get(editor_url)
    assert "fr eyes only" in fr_page and "TLP:RED" in fr_page and "band-red" in fr_page
    # Both now change the statement from the same version: the second gets the conflict page.
    current = form_fields(ee_page)
    await ee.post(editor_url, current | {"s0.body": "Estonia's wording."})
    _, conflict = await fr.post(editor_url, current | {"s0.body": "France's wording."}, status=409)
    assert "Both sides changed the same text" in conflict and "Estonia&#39;s wording." in conflict
    resolved = form_fields(conflict)
    assert resolved["s0.body"] == "France's wording."
    await fr.post(editor_url, resolved | {"s0.body": "The agreed wording."})
    final = await head(world.client, await world.token("ee.drafter"), cid)
    assert [s["body"] for s in final["sections"]] == ["The agreed wording."]
    history = await ee.get(f"{editor_url}/versions")
    assert "merged" in history
    diff = await ee.get(f"{editor_url}/diff/2/head")
    assert "<ins>" in diff and "fr eyes only" not in diff


async def test_editor_refuses_html_in_markdown_and_keeps_what_was_typed(world) -> None:
    v, _, _ = await two_party(world)
    ee = await browser(world, "ee.drafter")
    url = f"/communiques/{v['communique']}"
    fields = form_fields(await ee.get(url))
    _, page = await ee.post(url, fields | {"s0.body": "<script>alert(1)</script>"}, status=422)
    assert "raw HTML is not accepted" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert (await head(world.client, await world.token("ee.drafter"), v["communique"]))["number"] == 2


async def test_rendered_markdown_is_inert(world) -> None:
    ee = await world.token("ee.drafter")
    v1 = await create(world.client, ee, sections=[section("S", "**bold** and `<b>code</b>`")])
    page = await (await browser(world, "ee.drafter")).get(f"/communiques/{v1['communique']}/versions/head")
    assert "<strong>bold</strong>" in page and "<code>&lt;b&gt;code&lt;/b&gt;</code>" in page


async def test_comments_on_the_reading_page_post_reply_and_resolve(world) -> None:
    v, _, _ = await two_party(world, sections=[section("Public"), section("Secret", "x", to=["EE"])])
    ee, fr = await browser(world, "ee.drafter"), await browser(world, "fr.drafter")
    cid = v["communique"]
    ids = [s["id"] for s in (await head(world.client, await world.token("ee.drafter"), cid))["sections"]]
    response, _ = await fr.post(f"/communiques/{cid}/sections/{ids[0]}/comments", {"body": "Too strong?"})
    assert response.headers["Location"].endswith(f"#section-{ids[0]}")
    await ee.post(f"/communiques/{cid}/sections/{ids[1]}/comments", {"body": "estonian aside"})
    await fr.post(f"/communiques/{cid}/sections/{ids[1]}/comments", {"body": "x"}, status=404)
    fr_page = await fr.get(f"/communiques/{cid}/versions/head")
    assert "Too strong?" in fr_page and "estonian aside" not in fr_page
    thread = re.search(r"/comments/(\d+)/resolve", fr_page).group(1)
    await ee.post(f"/communiques/{cid}/comments/{thread}/resolve", {})
    assert "resolved by ee.drafter" in await fr.get(f"/communiques/{cid}/versions/head")


async def test_signoff_page_shows_what_is_signed_and_takes_a_pasted_jws(world) -> None:
    v, ee_api, fr_api = await two_party(world, sections=[section("Public"), section("EE only", "x", to=["EE"])])
    cid = v["communique"]
    key = signing.generate_private_key()
    async with world.sessions.begin() as session:
        await parties.add_key(
            session,
            party="FR",
            jwk=key.public_key.jwk,
            actor="t",
            now=world.clock(),
            not_before=world.clock() - timedelta(days=1),
        )
    fr = await browser(world, "fr.signatory")
    page = await fr.get(f"/communiques/{cid}/signoff")
    current = await head(world.client, fr_api, cid)
    assert current["digest"] in page and "You can see 1 of 2 section(s)" in page and "Withheld from FR: 1" in page
    payload = await (await world.client.get(f"{BASE}/{cid}/versions/head/signing-payload", headers=fr_api)).read()
    envelope = signing.sign_detached(payload, [key], typ=SIGNOFF_TYP, iat=int(world.clock().timestamp()))
    import json

    await fr.post(f"/communiques/{cid}/signoff", {"action": "sign", "jws": json.dumps(envelope)})
    after = await fr.get(f"/communiques/{cid}/signoff")
    assert "Withdraw FR's sign-off" in after
    _, refused = await fr.post(f"/communiques/{cid}/signoff", {"action": "sign", "jws": "not json"}, status=422)
    assert "paste the JWS as JSON" in refused


async def test_a_party_off_the_roster_gets_the_not_found_page(world) -> None:
    v, _, _ = await two_party(world)
    eu = await browser(world, "eu.secretariat")
    for path in ("", "/versions", "/versions/head", "/diff/1/2", "/signoff"):
        page = await eu.get(f"/communiques/{v['communique']}{path}", status=404)
        assert "Joint statement" not in page


async def test_untouched_editor_form_saves_identical_text(world) -> None:
    v, ee_api, _ = await two_party(world, sections=[section("A", "line one\nline two\n"), section("B", "", to=["EE"])])
    ee = await browser(world, "ee.drafter")
    url = f"/communiques/{v['communique']}"
    await ee.post(url, form_fields(await ee.get(url)))
    after = await head(world.client, ee_api, v["communique"])
    before = await (await world.client.get(f"{BASE}/{v['communique']}/versions/2", headers=ee_api)).json()
    assert editable(after) == editable(before) and after["number"] == 3
    await save(world.client, ee_api, v["communique"], after["digest"], title="still editable")

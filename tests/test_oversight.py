"""The oversight role: read-only, per party. It reads its own party's decisions, legal reviews, sign-offs,
after-action reviews and audit trail (and nothing of another party's unless marked releasable to it);
every write refuses it; the oversight report of a period exports as JSON and as a signed PDF."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import timedelta

import pytest
from sqlmodel import func, select

from entente import canonical
from entente.clock import isoformat
from entente.models import AuditEntry
from tests.support.drafting import accept, create, section
from tests.support.incidents import TIER_3, Desk
from tests.support.releasing import release_communique, sign_head
from tests.support.world import sign_in

SECRET = "FR-EYES-ONLY-c81e"


async def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """A poppler tool, off the event loop."""
    return await asyncio.to_thread(subprocess.run, args, check=check, capture_output=True, text=True, timeout=60)


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def audit_count(world) -> int:
    async with world.sessions() as session:
        return (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one()


async def with_record(desk: Desk, keys) -> tuple[dict, dict, int]:
    """EE leads an incident with FR (decided, reviewed, evidence marked FR-only, a signed communiqué); FR and
    EU run another that EE is not part of. Returns (EE incident, FR incident, communiqué id)."""
    incident = await desk.open(metrics=TIER_3, participants=["FR"])
    base = f"/api/v1/incidents/{incident['id']}"
    await desk.decide("ee.drafter", incident, 3)
    await desk.decide("fr.signatory", incident, 3)
    await desk.review("ee.drafter", incident, 3)
    await desk.call("fr.drafter", "POST", f"{base}/evidence",
                    {"kind": "technical_data", "title": f"t {SECRET}", "body": f"b {SECRET}", "source": "s",
                     "marking": {"releasable_to": []}}, status=201)
    await desk.call("fr.drafter", "POST", f"{base}/evidence",
                    {"kind": "technical_data", "title": "shared with EE", "body": "FR-TO-EE-4410", "source": "s",
                     "marking": {"releasable_to": ["EE"]}}, status=201)
    other = await desk.open("fr.drafter", title="FR-EU-ONLY incident 9d2", participants=["EU"])
    ee = await desk.world.token("ee.drafter")
    created = await create(desk.world.client, ee, title="On the hospitals", participants=["FR"],
                           incident=incident["id"], sections=[section("Statement", "We condemn.")])
    cid = created["communique"]
    await accept(desk.world.client, await desk.world.token("fr.drafter"), cid)
    await sign_head(desk.world, keys, cid, parties=("EE", "FR"))
    return incident, other, cid


async def test_oversight_reads_its_party_record_and_nothing_of_others(desk, keys) -> None:
    incident, other, cid = await with_record(desk, keys)
    base = f"/api/v1/incidents/{incident['id']}"
    _, listed = await desk.call("ee.oversight", "GET", "/api/v1/incidents", status=200)
    assert [i["id"] for i in listed] == [incident["id"]]
    _, seen = await desk.call("ee.oversight", "GET", base, status=200)
    assert {d["party"]: d["tier"] for d in seen["decisions"]} == {"EE": 3, "FR": 3}
    assert [r["party"] for r in seen["legal_reviews"]] == ["EE"]
    text = str(seen)
    assert SECRET not in text and "FR-TO-EE-4410" in text
    _, history = await desk.call("ee.oversight", "GET", f"{base}/history", status=200)
    assert SECRET not in str(history)
    for path in (f"/api/v1/incidents/{other['id']}", f"/api/v1/incidents/{other['id']}/de-escalation",
                 f"/api/v1/incidents/{other['id']}/after-action"):
        response, body = await desk.call("ee.oversight", "GET", path)
        assert response.status == 404, path
    _, signoffs = await desk.call("ee.oversight", "GET", f"/api/v1/communiques/{cid}/versions/head/signoffs",
                                  status=200)
    assert "EE" in str(signoffs) and "FR" in str(signoffs)
    await desk.call("ee.oversight", "GET", f"/api/v1/communiques/{cid}/versions/head", status=200)

    _, trail = await desk.call("ee.oversight", "GET", "/api/v1/audit?limit=1000", status=200)
    assert trail and {e["party"] for e in trail} == {"EE"}
    assert {"incidents:tier:decide", "incidents:legal_review:record", "signoffs:signoff:add"} <= {
        e["event"] for e in trail
    }
    assert [e["seq"] for e in trail] == sorted((e["seq"] for e in trail), reverse=True)
    _, page = await desk.call("ee.oversight", "GET", f"/api/v1/audit?limit=2&before={trail[0]['seq']}", status=200)
    assert [e["seq"] for e in page] == [e["seq"] for e in trail[1:3]]
    _, fr_trail = await desk.call("fr.oversight", "GET", "/api/v1/audit?limit=1000", status=200)
    assert {e["party"] for e in fr_trail} == {"FR"}


async def _write_routes(client) -> list[tuple[str, str]]:
    routes = []
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method in ("POST", "PUT", "PATCH", "DELETE") and path:
            routes.append((route.method, path))
    return routes


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: ids.get(m.group(1).split(":")[0], "1"), path)


async def test_every_write_refuses_the_oversight_role_and_changes_nothing(desk, keys) -> None:
    incident, _, cid = await with_record(desk, keys)
    ids = {"incident_id": str(incident["id"]), "communique": str(cid), "version": "head",
           "incident": str(incident["id"]), "package": str(cid), "step_down": "1"}
    routes = await _write_routes(desk.world.client)
    assert len(routes) > 40
    headers = await desk.headers("ee.oversight")
    before = await audit_count(desk.world)
    own_account = ("/logout", "/account/tokens", "/api/v1/tokens")
    checked = 0
    for method, path in routes:
        url = _fill(path, ids)
        if any(url == p or url.startswith(p + "/") for p in own_account) or url == "/login":
            continue
        response = await desk.world.client.request(method, url, json={}, headers=headers)
        body = await response.text()
        assert response.status == 403, (method, url, response.status, body)
        if url.startswith("/api/"):
            assert '"code": "read_only_role"' in body or '"code":"read_only_role"' in body, (method, url, body)
        checked += 1
    assert checked > 40
    assert await audit_count(desk.world) == before

    # Through the pages, signed in with a browser session and a valid CSRF token: refused the same way.
    client = desk.world.client
    csrf = await sign_in(client, "ee.oversight")
    response = await client.post(f"/incidents/{incident['id']}/decisions",
                                 data={"tier": "1", "justification": "x", "csrf_token": csrf},
                                 allow_redirects=False)
    assert response.status == 403
    assert await audit_count(desk.world) == before + 1  # the sign-in itself
    # Its own credentials remain its own: it may make an API token and sign out.
    response = await client.post("/account/tokens", data={"name": "committee", "csrf_token": csrf})
    assert response.status == 200


async def test_the_oversight_report_covers_the_period_as_the_party_may_see_it(desk, keys) -> None:
    start = desk.world.clock()
    incident, other, cid = await with_record(desk, keys)
    await release_communique(desk.world, cid, desk.world.clock() + timedelta(hours=2))
    desk.world.clock.advance(timedelta(hours=2))
    from entente import scheduler
    from entente.appkeys import publisher_key

    assert await scheduler.tick(desk.world.client.app[publisher_key]) == [cid]
    await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{incident['id']}/close", {"reason": "done"}, status=200)
    await desk.call("fr.drafter", "POST", f"/api/v1/incidents/{incident['id']}/after-action/lessons",
                    {"topic": "tools", "body": f"FR lesson {SECRET}", "marking": {"releasable_to": []}}, status=201)
    await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{incident['id']}/after-action/lessons",
                    {"topic": "messages", "body": "Shared lesson 5521", "marking": {"releasable_to": ["FR"]}},
                    status=201)
    desk.world.clock.advance(timedelta(hours=1))
    query = f"?from={isoformat(start)}&to={isoformat(desk.world.clock())}"
    _, report = await desk.call("ee.oversight", "GET", f"/api/v1/oversight/report{query}".replace("+", "%2B"),
                                status=200)
    assert report["party"] == "EE" and [i["id"] for i in report["incidents"]] == [incident["id"]]
    row = report["incidents"][0]
    assert {(d["party"], d["tier"]) for d in row["decisions"]} == {("EE", 3), ("FR", 3)}
    assert [r["party"] for r in row["legal_reviews"]] == ["EE"]
    assert [r["communique"] for r in row["releases"]] == [cid]
    assert {s["party"] for s in row["signoffs"]} == {"EE", "FR"}
    assert row["timings"]["closed"] is not None and row["timings"]["first_release"] is not None
    assert [lesson["body"] for lesson in row["lessons"]] == ["Shared lesson 5521"]
    assert SECRET not in str(report) and "FR-EU-ONLY" not in str(report)
    summary = report["summary"]
    assert summary["incidents"] == 1 and summary["closed"] == 1 and summary["releases"] == 1
    assert summary["decisions"] == 2 and summary["lessons"] == 1
    body = {k: v for k, v in report.items() if k != "digest"}
    assert report["digest"] == canonical.digest(canonical.canonical_bytes(body))

    _, fr_report = await desk.call("fr.oversight", "GET", f"/api/v1/oversight/report{query}".replace("+", "%2B"),
                                   status=200)
    assert {i["id"] for i in fr_report["incidents"]} == {incident["id"], other["id"]}
    assert SECRET in str(fr_report)

    # A period before anything happened is empty; a period ending before it starts is refused.
    _, empty = await desk.call("ee.oversight", "GET",
                               "/api/v1/oversight/report?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z", status=200)
    assert empty["incidents"] == [] and empty["summary"]["incidents"] == 0
    _, problem = await desk.call("ee.oversight", "GET",
                                 "/api/v1/oversight/report?from=2020-02-01T00:00:00Z&to=2020-01-01T00:00:00Z",
                                 status=422)
    assert problem["code"] == "invalid_period"
    _, problem = await desk.call("ee.oversight", "GET", "/api/v1/oversight/report?from=2020-02-01T00:00:00",
                                 status=422)
    assert problem["code"] == "invalid_period"
    await desk.call(None, "GET", "/api/v1/oversight/report", status=401)


@pytest.mark.pdf
async def test_the_oversight_report_pdf_is_signed_and_carries_its_json(desk, keys, tmp_path) -> None:
    start = desk.world.clock()
    incident, _, _ = await with_record(desk, keys)
    desk.world.clock.advance(timedelta(hours=1))
    query = f"?from={isoformat(start)}&to={isoformat(desk.world.clock())}"
    _, report = await desk.call("ee.oversight", "GET", f"/api/v1/oversight/report{query}", status=200)
    response = await desk.world.client.get(f"/api/v1/oversight/report.pdf{query}",
                                           headers=await desk.headers("ee.oversight"))
    assert response.status == 200 and response.content_type == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(await response.read())
    text = (await run("pdftotext", str(pdf), "-")).stdout
    assert "Oversight report" in text and "Republic of Estonia" in text
    assert f"Incident {incident['id']}" in text and SECRET not in text
    assert report["digest"] in text.replace("\n", "")
    await run("pdfdetach", "-saveall", "-o", str(tmp_path), str(pdf))
    attached = (tmp_path / "oversight-report.json").read_bytes()
    assert canonical.digest(attached) == report["digest"]
    signed = (await run("pdfsig", str(pdf), check=False)).stdout
    assert "Signature #1" in signed

"""The ladder on the web and the command line: GET /api/v1/ladder, POST /api/v1/ladder/score, the /ladder
page, `entente ladder show` and `entente ladder score FILE`. The rubric itself is tested in test_ladder.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.world import sign_in

REPO = Path(__file__).resolve().parents[1]

TIER_1 = {"probes_per_day": 200, "attribution_confidence": "unlikely"}
TIER_2 = {"disruption_hours": 6, "countries_affected": 3, "attribution_confidence": "likely"}
TIER_3 = {
    "economic_loss_eur": 60_000_000,
    "critical_sectors": ["energy", "health"],
    "state_backing": "state-encouraged",
    "attribution_confidence": "highly_likely",
}
TIER_4 = {
    "disruption_hours": {"value": 96, "unit": "hours"},
    "harm_to_life": "loss_of_life",
    "state_backing": "state-ordered",
    "attribution_confidence": "almost_certain",
}
# Tier 4 harm and state direction, but evidence only "likely": capped at tier 2.
CAPPED = TIER_4 | {"attribution_confidence": "likely"}


async def score(world, metrics, user="ee.drafter"):
    headers = await world.token(user)
    return await world.client.post("/api/v1/ladder/score", json={"metrics": metrics}, headers=headers)


@pytest.mark.parametrize(
    ("metrics", "tier", "legal_review"),
    [({}, 1, False), (TIER_1, 1, False), (TIER_2, 2, False), (TIER_3, 3, True), (TIER_4, 4, True)],
)
async def test_score_endpoint_recommends_the_tier_with_its_reasons(world, metrics, tier, legal_review) -> None:
    response = await score(world, metrics)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["tier"] == tier
    assert body["legal_review_required"] is legal_review
    assert body["explanation"].startswith(f"tier {tier}")
    assert body["tier_name"]
    assert "public_diplomacy" in body["responses"]
    assert body["review_days"] > 0
    if tier > 1:
        assert {f["tier"] for f in body["fired"]} >= {tier}
    if tier < 4:
        assert body["next_tier"] == tier + 1 and body["missing"]
    else:
        assert body["next_tier"] is None and body["missing"] == []


async def test_score_endpoint_says_when_evidence_caps_the_tier(world) -> None:
    body = await (await score(world, CAPPED)).json()
    assert body["tier"] == 2 and body["indicated_tier"] == 4 and body["capped"] is True
    assert "below the evidence standard" in body["cap_reason"]
    assert body["templates"] == ["joint-advisory", "warning-declaration", "de-escalation", "measures-lifting"]
    assert body["measures"] == []
    assert body["metrics"]["disruption_hours"] == 96


@pytest.mark.parametrize(
    ("metrics", "field", "reason"),
    [
        ({"economic_loss_eur": -5}, "/metrics/economic_loss_eur", "between"),
        ({"disruption_hours": {"value": 5, "unit": "days"}}, "/metrics/disruption_hours", "unit must be 'hours'"),
        ({"blast_radius": 3}, "/metrics/blast_radius", "unknown metric"),
        ({"state_backing": "state-ish"}, "/metrics/state_backing", "must be one of"),
        ({"critical_sectors": ["energy", "energy"]}, "/metrics/critical_sectors", "twice"),
    ],
)
async def test_invalid_metrics_answer_422_naming_each_field(world, metrics, field, reason) -> None:
    response = await score(world, metrics)
    assert response.status == 422
    problem = await response.json(content_type=None)
    assert problem["code"] == "invalid_input"
    assert problem["field"] == field
    assert reason in problem["errors"][0]["reason"]


async def test_every_invalid_metric_is_listed_at_once(world) -> None:
    problem = await (await score(world, {"economic_loss_eur": "a lot", "nonsense": 1, "recurrence": 9999})).json()
    assert {e["field"] for e in problem["errors"]} == {
        "/metrics/economic_loss_eur",
        "/metrics/nonsense",
        "/metrics/recurrence",
    }


async def test_scoring_needs_a_signed_in_caller(client) -> None:
    response = await client.post("/api/v1/ladder/score", json={"metrics": {}})
    assert response.status == 401


async def test_ladder_endpoint_describes_tiers_rules_and_metrics(world) -> None:
    response = await world.client.get("/api/v1/ladder", headers=await world.token("fr.signatory"))
    assert response.status == 200
    ladder = await response.json()
    assert [t["tier"] for t in ladder["tiers"]] == [1, 2, 3, 4]
    tier3 = ladder["tiers"][2]
    assert tier3["legal_review"] is True and tier3["evidence_standard"] == "highly_likely"
    assert tier3["evidence_band"] == [80, 90]
    assert "joint-attribution" in tier3["templates"] and "asset_freeze" in tier3["measures"]
    assert tier3["combine"] == "all"
    serious = next(r for r in tier3["rules"] if r["id"] == "serious-harm")
    assert "economic loss at least 50 M EUR" in [c["text"] for c in serious["conditions"]]
    metrics = {m["name"]: m for m in ladder["metrics"]}
    assert metrics["economic_loss_eur"]["unit"] == "eur" and metrics["economic_loss_eur"]["min"] == 0
    assert "state-ordered" in metrics["state_backing"]["values"]
    assert metrics["critical_sectors"]["kind"] == "set"


# --- the /ladder page -------------------------------------------------------------------------------


async def test_ladder_page_shows_the_table_and_scores_a_posted_form_without_javascript(world) -> None:
    csrf = await sign_in(world.client, "ee.drafter")
    page = await world.client.get("/ladder")
    assert page.status == 200
    html = await page.text()
    assert "Targeted sanctions and cooperative defence" in html and "highly likely" in html
    assert "<script" not in html
    form = {
        "csrf_token": csrf,
        "metric.economic_loss_eur": "60000000",
        "metric.critical_sectors.energy": "on",
        "metric.critical_sectors.health": "on",
        "metric.state_backing": "state-encouraged",
        "metric.attribution_confidence": "highly_likely",
        "metric.disruption_hours": "",
    }
    response = await world.client.post("/ladder", data=form)
    assert response.status == 200
    html = await response.text()
    assert "Recommended: tier 3" in html
    assert "economic loss 60 M EUR (threshold 50 M EUR)" in html
    assert "Legal review required" in html


async def test_ladder_page_reports_bad_metrics_beside_the_form(world) -> None:
    csrf = await sign_in(world.client, "ee.drafter")
    response = await world.client.post(
        "/ladder", data={"csrf_token": csrf, "metric.disruption_hours": "ten", "metric.recurrence": "9999"}
    )
    assert response.status == 422
    html = await response.text()
    assert "disrupted for" in html and "a number" in html
    assert "campaigns by the same actor: must be between 0" in html


async def test_ladder_page_needs_sign_in(client) -> None:
    response = await client.get("/ladder", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


# --- the command line ---------------------------------------------------------------------------------


def test_cli_ladder_show_prints_the_table_and_json(entente) -> None:
    result = entente("ladder", "show")
    assert result.returncode == 0, result.stderr
    assert "Targeted sanctions and cooperative defence" in result.stdout
    assert "legal review" in result.stdout
    assert "economic loss at least 50 M EUR" in result.stdout
    as_json = entente("ladder", "show", "--json")
    assert as_json.returncode == 0
    assert [t["tier"] for t in json.loads(as_json.stdout)["tiers"]] == [1, 2, 3, 4]


def test_cli_ladder_score_reads_json_or_toml_and_prints_tier_and_explanation(entente, tmp_path: Path) -> None:
    as_json = tmp_path / "incident.json"
    as_json.write_text(json.dumps({"metrics": TIER_3}))
    result = entente("ladder", "score", str(as_json))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tier 3: Targeted sanctions and cooperative defence")
    assert "economic loss 60 M EUR (threshold 50 M EUR)" in result.stdout
    assert "legal review required" in result.stdout

    as_toml = tmp_path / "incident.toml"
    as_toml.write_text(
        'disruption_hours = 36.5\nstate_backing = "state-ordered"\n'
        'attribution_confidence = "almost_certain"\ncritical_sectors = ["energy", "water", "health"]\n'
    )
    result = entente("ladder", "score", str(as_toml), "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["tier"] == 4 and body["metrics"]["disruption_hours"] == 36.5


def test_cli_ladder_score_exits_1_naming_each_bad_metric(entente, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"economic_loss_eur": -1, "frobs": 2}))
    result = entente("ladder", "score", str(path))
    assert result.returncode == 1
    assert "metrics.economic_loss_eur" in result.stderr and "between" in result.stderr
    assert "metrics.frobs" in result.stderr and "unknown metric" in result.stderr
    assert "Traceback" not in result.stderr
    as_json = entente("ladder", "score", str(path), "--json")
    assert as_json.returncode == 1
    assert {e["field"] for e in json.loads(as_json.stdout)["errors"]} == {"metrics.economic_loss_eur", "metrics.frobs"}


def test_cli_ladder_score_reads_standard_input_and_refuses_unreadable_files(entente, tmp_path: Path) -> None:
    result = entente("ladder", "score", "-", stdin=json.dumps(TIER_2))
    assert result.returncode == 0 and result.stdout.startswith("tier 2")
    missing = entente("ladder", "score", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("this is = = not toml")
    result = entente("ladder", "score", str(broken))
    assert result.returncode == 1 and "broken.toml" in result.stderr and "Traceback" not in result.stderr

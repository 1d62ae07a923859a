"""The escalation ladder: loading config/ladder.toml, refusing broken ladders, and the rubric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entente import ladder as L
from entente.errors import ConfigError, InvalidInputError
from entente.ladder.tomlsource import TomlSource

LADDER_PATH = Path(__file__).resolve().parents[1] / "config" / "ladder.toml"
LADDER_TEXT = LADDER_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ladder() -> L.Ladder:
    return L.load_ladder(LADDER_PATH)


# --- the shipped ladder -----------------------------------------------------------------------


def test_shipped_ladder_has_four_tiers_with_rising_standards(ladder: L.Ladder) -> None:
    assert [t.number for t in ladder.tiers] == [1, 2, 3, 4]
    assert [t.evidence_standard for t in ladder.tiers] == [
        L.Confidence.REMOTE_CHANCE, L.Confidence.LIKELY, L.Confidence.HIGHLY_LIKELY, L.Confidence.ALMOST_CERTAIN,
    ]
    assert [t.legal_review for t in ladder.tiers] == [False, False, True, True]
    assert not ladder.tier(1).rules
    assert set(ladder.metrics) >= {
        "disruption_hours", "critical_sectors", "countries_affected", "records_exfiltrated", "data_exfiltrated_gb",
        "probes_per_day", "recurrence", "economic_loss_eur", "harm_to_life", "state_backing", "attribution_confidence",
    }


def test_public_diplomacy_is_allowed_at_every_tier(ladder: L.Ladder) -> None:
    for tier in ladder.tiers:
        assert ladder.allows_response(tier.number, L.ResponseCategory.PUBLIC_DIPLOMACY)


def test_public_diplomacy_is_allowed_even_when_the_file_omits_it(tmp_path: Path) -> None:
    path = _write(tmp_path, _replace(
        'responses = ["information_sharing", "joint_advisory", "public_diplomacy"]',
        'responses = ["information_sharing", "joint_advisory"]',
    ))
    ladder = L.load_ladder(path)
    assert L.ResponseCategory.PUBLIC_DIPLOMACY not in ladder.tier(1).responses
    assert ladder.allows_response(1, L.ResponseCategory.PUBLIC_DIPLOMACY)
    assert L.ResponseCategory.PUBLIC_DIPLOMACY in L.score(ladder, {}).responses


def test_confidence_yardstick_carries_the_phia_bands() -> None:
    assert L.Confidence.HIGHLY_LIKELY.band == (80, 90)
    assert L.Confidence.REALISTIC_POSSIBILITY.label == "realistic possibility"
    assert len(L.StateBacking) == 10


# --- the rubric: every tier and every boundary --------------------------------------------------

T2 = {"attribution_confidence": "likely"}
T3 = {"attribution_confidence": "highly_likely", "state_backing": "state-encouraged"}
T4 = {"attribution_confidence": "almost_certain", "state_backing": "state-ordered"}

INCIDENTS = [
    # (name, metrics, expected tier)
    ("nothing reported", {}, 1),
    ("disruption just below 4 h", {**T2, "disruption_hours": 3.99}, 1),
    ("disruption at 4 h", {**T2, "disruption_hours": 4}, 2),
    ("no sector", {**T2, "critical_sectors": []}, 1),
    ("one sector", {**T2, "critical_sectors": ["water"]}, 2),
    ("one country", {**T2, "countries_affected": 1}, 1),
    ("two countries", {**T2, "countries_affected": 2}, 2),
    ("records just below", {**T2, "records_exfiltrated": 99_999}, 1),
    ("records at threshold", {**T2, "records_exfiltrated": 100_000}, 2),
    ("data just below", {**T2, "data_exfiltrated_gb": 9.9}, 1),
    ("data at threshold", {**T2, "data_exfiltrated_gb": 10}, 2),
    ("probes just below", {**T2, "probes_per_day": 9_999}, 1),
    ("probes at threshold", {**T2, "probes_per_day": 10_000}, 2),
    ("two campaigns", {**T2, "recurrence": 2}, 1),
    ("three campaigns", {**T2, "recurrence": 3}, 2),
    ("loss just below 1 M", {**T2, "economic_loss_eur": 999_999}, 1),
    ("loss at 1 M", {**T2, "economic_loss_eur": 1_000_000}, 2),
    ("no harm", {**T2, "harm_to_life": "none"}, 1),
    ("risk to life", {**T2, "harm_to_life": "risk_to_life"}, 2),
    ("tier 3: disruption just below 24 h", {**T3, "disruption_hours": 23.5}, 2),
    ("tier 3: disruption at 24 h", {**T3, "disruption_hours": 24}, 3),
    ("tier 3: one sector", {**T3, "critical_sectors": ["energy"]}, 2),
    ("tier 3: two sectors", {**T3, "critical_sectors": ["energy", "health"]}, 3),
    ("tier 3: elections", {**T3, "critical_sectors": ["elections"]}, 3),
    ("tier 3: records just below", {**T3, "records_exfiltrated": 999_999}, 2),
    ("tier 3: records at threshold", {**T3, "records_exfiltrated": 1_000_000}, 3),
    ("tier 3: data just below", {**T3, "data_exfiltrated_gb": 99.9}, 2),
    ("tier 3: data at threshold", {**T3, "data_exfiltrated_gb": 100}, 3),
    ("tier 3: five campaigns", {**T3, "recurrence": 5}, 2),
    ("tier 3: six campaigns", {**T3, "recurrence": 6}, 3),
    ("tier 3: loss just below 50 M", {**T3, "economic_loss_eur": 49_999_999}, 2),
    ("tier 3: loss at 50 M", {**T3, "economic_loss_eur": 50_000_000}, 3),
    ("tier 3: risk to life only", {**T3, "harm_to_life": "risk_to_life"}, 2),
    ("tier 3: injury", {**T3, "harm_to_life": "injury"}, 3),
    ("tier 3: backing just below", {**T3, "state_backing": "state-ignored", "disruption_hours": 24}, 2),
    ("tier 3: backing not reported", {"attribution_confidence": "highly_likely", "disruption_hours": 24}, 2),
    ("tier 4: disruption just below 72 h", {**T4, "disruption_hours": 71.9}, 3),
    ("tier 4: disruption at 72 h", {**T4, "disruption_hours": 72}, 4),
    ("tier 4: two sectors", {**T4, "critical_sectors": ["energy", "water"]}, 3),
    ("tier 4: three sectors", {**T4, "critical_sectors": ["energy", "water", "health"]}, 4),
    ("tier 4: loss just below 500 M", {**T4, "economic_loss_eur": 499_999_999}, 3),
    ("tier 4: loss at 500 M", {**T4, "economic_loss_eur": 500_000_000}, 4),
    ("tier 4: injury", {**T4, "harm_to_life": "injury"}, 3),
    ("tier 4: loss of life", {**T4, "harm_to_life": "loss_of_life"}, 4),
    ("tier 4: coordinated, not ordered", {**T4, "state_backing": "state-coordinated", "disruption_hours": 72}, 3),
    ("tier 4: rogue conduct stays at 3", {**T4, "state_backing": "state-rogue-conducted", "disruption_hours": 72}, 3),
    ("tier 4: state-executed", {**T4, "state_backing": "state-executed", "disruption_hours": 72}, 4),
]


@pytest.mark.parametrize(("metrics", "expected"), [(m, t) for _, m, t in INCIDENTS], ids=[n for n, _, _ in INCIDENTS])
def test_rubric_recommends_the_tier_of_each_incident(ladder: L.Ladder, metrics: dict, expected: int) -> None:
    assessment = L.score(ladder, metrics)
    assert assessment.tier == expected
    assert not assessment.capped
    assert assessment.evidence_met
    assert assessment.explanation.startswith(f"tier {expected}: ")
    tier = ladder.tier(expected)
    assert assessment.legal_review_required is tier.legal_review
    assert assessment.templates == tier.templates
    assert assessment.review_days == tier.review_days
    assert L.ResponseCategory.PUBLIC_DIPLOMACY in assessment.responses


def test_tier_one_is_the_floor_and_says_why(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {})
    assert assessment.tier == assessment.indicated_tier == 1
    assert assessment.fired == ()
    assert assessment.explanation == "tier 1: no escalation rule fired; information sharing is always appropriate"


def test_explanation_reads_as_sentences(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {
        "disruption_hours": 36, "critical_sectors": ["energy"], "state_backing": "state-ordered",
        "attribution_confidence": "highly_likely",
    })
    assert assessment.tier == 3
    assert assessment.explanation == (
        "tier 3: essential services disrupted for 36 h (threshold 24 h); "
        "state backing state-ordered (threshold state-encouraged)"
    )
    assert {(f.tier, f.rule) for f in assessment.fired} == {
        (2, "service-disruption"), (2, "sector-affected"), (3, "serious-harm"), (3, "state-nexus"),
    }


def test_nearest_missing_rule_for_the_next_tier_says_what_is_missing(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {
        "economic_loss_eur": 12_000_000, "state_backing": "state-encouraged", "attribution_confidence": "highly_likely",
    })
    assert assessment.tier == 2
    assert assessment.next_tier == 3
    assert [f.to_dict() for f in assessment.missing] == [
        {"tier": 3, "rule": "serious-harm", "sentence": "economic loss 12 M EUR (threshold 50 M EUR)"},
    ]


def test_missing_lists_every_unfired_rule_of_an_all_tier_and_the_evidence(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {**T3, "disruption_hours": 30})
    assert assessment.tier == 3
    assert [(f.rule, f.sentence) for f in assessment.missing] == [
        ("severe-harm", "essential services disrupted for 30 h (threshold 72 h)"),
        ("state-direction",
         "state backing state-encouraged (threshold one of state-ordered, state-executed, state-integrated)"),
        ("evidence_standard", "attribution confidence highly likely (threshold almost certain)"),
    ]


def test_unreported_metrics_are_named_as_such(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {"economic_loss_eur": 5_000_000, "attribution_confidence": "likely"})
    assert assessment.tier == 2
    assert "state backing: not reported (threshold state-encouraged)" in [f.sentence for f in assessment.missing]


def test_top_tier_has_no_next_tier(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {**T4, "harm_to_life": "loss_of_life"})
    assert assessment.tier == 4
    assert assessment.next_tier is None and assessment.missing == ()


# --- evidence capping ---------------------------------------------------------------------------


def test_harm_without_evidence_is_capped_and_the_reason_given(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {
        "disruption_hours": 36, "state_backing": "state-ordered", "attribution_confidence": "likely",
    })
    assert assessment.indicated_tier == 3
    assert assessment.tier == 2
    assert assessment.capped
    assert assessment.cap_reason == (
        "attribution confidence likely (55-75%) is below the evidence standard for tier 3, highly likely (80-90%)"
    )
    assert assessment.explanation.startswith("tier 2 (capped from tier 3: attribution confidence likely")
    assert assessment.evidence_met
    assert assessment.legal_review_required is False
    assert L.ResponseCategory.SANCTIONS not in assessment.responses
    assert [(f.tier, f.rule, f.sentence) for f in assessment.missing] == [
        (3, "evidence_standard", "attribution confidence likely (threshold highly likely)"),
    ]


def test_tier_four_harm_with_tier_three_evidence_is_capped_to_three(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {**T4, "attribution_confidence": "highly_likely", "harm_to_life": "loss_of_life"})
    assert (assessment.indicated_tier, assessment.tier) == (4, 3)
    assert assessment.legal_review_required


def test_no_attribution_at_all_leaves_the_floor(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {"state_backing": "state-executed", "harm_to_life": "loss_of_life"})
    assert (assessment.indicated_tier, assessment.tier) == (4, 1)
    assert assessment.attribution_confidence is None
    assert "attribution confidence not reported" in (assessment.cap_reason or "")
    assert assessment.evidence_met  # tier 1 asks for nothing


def test_realistic_possibility_does_not_support_a_warning(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {"countries_affected": 3, "attribution_confidence": "realistic_possibility"})
    assert (assessment.indicated_tier, assessment.tier) == (2, 1)


# --- metric validation --------------------------------------------------------------------------


def test_metric_values_may_carry_their_unit(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {**T2, "disruption_hours": {"value": 4, "unit": "hours"}})
    assert assessment.tier == 2
    assert assessment.metrics["disruption_hours"] == 4


def test_unreported_metric_may_be_null(ladder: L.Ladder) -> None:
    assert L.score(ladder, {"economic_loss_eur": None}).tier == 1


def test_every_metric_problem_is_reported_at_once(ladder: L.Ladder) -> None:
    with pytest.raises(InvalidInputError) as caught:
        L.score(ladder, {
            "blast_radius": 3,
            "disruption_hours": -1,
            "countries_affected": 2.5,
            "records_exfiltrated": "many",
            "probes_per_day": True,
            "economic_loss_eur": {"value": 10, "unit": "usd"},
            "critical_sectors": ["energy", "energy"],
            "state_backing": "state-sponsored",
            "harm_to_life": ["injury"],
            "data_exfiltrated_gb": float("nan"),
            "recurrence": 366,
        })
    error = caught.value
    reasons = {e["field"]: e["reason"] for e in error.extra["errors"]}
    assert error.field == "metrics.blast_radius"
    assert set(reasons) == {
        "metrics.blast_radius", "metrics.disruption_hours", "metrics.countries_affected",
        "metrics.records_exfiltrated", "metrics.probes_per_day", "metrics.economic_loss_eur",
        "metrics.critical_sectors", "metrics.state_backing", "metrics.harm_to_life", "metrics.data_exfiltrated_gb",
        "metrics.recurrence",
    }
    assert reasons["metrics.blast_radius"].startswith("unknown metric")
    assert reasons["metrics.disruption_hours"] == "must be between 0 h and 8,760 h"
    assert reasons["metrics.countries_affected"] == "must be a whole number"
    assert reasons["metrics.records_exfiltrated"] == "must be a number of count"
    assert reasons["metrics.probes_per_day"] == "must be a number of per_day"
    assert reasons["metrics.economic_loss_eur"] == "unit must be 'eur', not 'usd'"
    assert reasons["metrics.critical_sectors"] == "lists 'energy' twice"
    assert reasons["metrics.state_backing"].startswith("must be one of: state-prohibited,")
    assert reasons["metrics.data_exfiltrated_gb"] == "must be a finite number"
    assert reasons["metrics.recurrence"] == "must be between 0 in 12 months and 365 in 12 months"
    assert "and 10 more problems" in error.detail


def test_unknown_sector_is_refused(ladder: L.Ladder) -> None:
    with pytest.raises(InvalidInputError) as caught:
        L.score(ladder, {"critical_sectors": ["energy", "casinos"]})
    assert caught.value.field == "metrics.critical_sectors"
    assert "unknown sector 'casinos'" in caught.value.detail


def test_metrics_must_be_an_object(ladder: L.Ladder) -> None:
    with pytest.raises(InvalidInputError) as caught:
        L.score(ladder, ["disruption_hours"])  # type: ignore[arg-type]
    assert caught.value.field == "metrics"


def test_assessment_to_dict_is_json(ladder: L.Ladder) -> None:
    assessment = L.score(ladder, {**T3, "critical_sectors": ["health", "energy"], "disruption_hours": 1.5})
    data = json.loads(json.dumps(assessment.to_dict()))
    assert data["tier"] == 3
    assert data["metrics"]["critical_sectors"] == ["energy", "health"]  # scale order, not input order
    assert data["evidence_standard"] == "highly_likely"
    assert "public_diplomacy" in data["responses"]
    assert data["measures"] == ["asset_freeze", "funds_prohibition", "travel_ban", "export_restrictions"]
    assert data["fired"][0] == {"tier": 2, "rule": "sector-affected",
                                "sentence": "sectors affected 2: energy, health (threshold 1)"}


def test_score_is_pure(ladder: L.Ladder) -> None:
    metrics = {**T3, "economic_loss_eur": 60_000_000}
    assert L.score(ladder, metrics) == L.score(ladder, dict(metrics))
    assert metrics == {**T3, "economic_loss_eur": 60_000_000}


# --- broken ladders are refused with file and line ------------------------------------------------


def _replace(old: str, new: str, count: int = 1) -> str:
    assert old in LADDER_TEXT, old
    return LADDER_TEXT.replace(old, new, count)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ladder.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1


BROKEN = [
    # (name, old, new, needle of the offending line, expected message fragment)
    ("unknown metric",
     '{ metric = "economic_loss_eur", op = ">=", value = 50_000_000 }',
     '{ metric = "economic_loss_usd", op = ">=", value = 50_000_000 }',
     "economic_loss_usd", "tier 3 rule 'serious-harm': unknown metric 'economic_loss_usd'"),
    ("gap in tier numbers", "tier = 3\n", "tier = 4\n", "tier = 4\n",
     "tier 4: tier 4 follows tier 2: tier numbers run 1, 2, 3, ... in order, without gaps"),
    ("threshold below the lower tier's",
     '{ metric = "disruption_hours", op = ">=", value = 24 }',
     '{ metric = "disruption_hours", op = ">=", value = 3 }',
     '{ metric = "disruption_hours", op = ">=", value = 3 }',
     "tier 3: rule 'serious-harm': threshold 3 h for 'disruption_hours >=' is below tier 2's 4 h (line "),
    ("count threshold below the lower tier's",
     '{ metric = "critical_sectors", op = "count>=", value = 3 }',
     '{ metric = "critical_sectors", op = "count>=", value = 1 }',
     '{ metric = "critical_sectors", op = "count>=", value = 1 },\n'
     '  { metric = "economic_loss_eur", op = ">=", value = 500',
     "tier 4: rule 'severe-harm': threshold 1 for 'critical_sectors count>=' is below tier 3's 2"),
    ("ordinal threshold below the lower tier's",
     '{ metric = "harm_to_life", op = ">=", value = "loss_of_life" }',
     '{ metric = "harm_to_life", op = ">=", value = "none" }',
     'value = "none"', "is below tier 3's injury"),
    ("evidence standard falls", 'evidence_standard = "almost_certain"', 'evidence_standard = "likely"',
     'evidence_standard = "likely"\nlegal_review = true',
     "tier 4: evidence standard 'likely' is below tier 3's 'highly_likely'"),
    ("unknown key", "review_days = 60\n", "review_days = 60\ncolour = \"amber\"\n", "colour",
     "tier 3: unknown key 'colour'"),
    ("wrong type", "legal_review = true", 'legal_review = "yes"', 'legal_review = "yes"',
     "tier 3: 'legal_review' must be true or false, not a string ('yes')"),
    ("comparator that does not fit", '{ metric = "countries_affected", op = ">=", value = 2 }',
     '{ metric = "countries_affected", op = "contains_any", value = 2 }', 'op = "contains_any"',
     "tier 2 rule 'cross-border': comparator 'contains_any' does not apply to quantity metric 'countries_affected'"),
    ("threshold outside the metric's range", '{ metric = "disruption_hours", op = ">=", value = 4 }',
     '{ metric = "disruption_hours", op = ">=", value = -4 }', "value = -4",
     "threshold an integer (-4) for 'disruption_hours' must be between 0 h and 8,760 h"),
    ("unknown scale value", 'value = "state-encouraged"', 'value = "state-sponsored"', "state-sponsored",
     "threshold a string ('state-sponsored') is not a state_backing value"),
    ("unknown scale", 'scale = "harm"', 'scale = "pain"', 'scale = "pain"',
     "metric 'harm_to_life': unknown scale 'pain'"),
    ("unknown response", '"cooperative_defence", "diplomatic_measures"', '"cooperative_defence", "cyber_war"',
     '"cyber_war"', "tier 4: 'responses' item a string ('cyber_war') is not a response category"),
    ("duplicate rule id", 'id = "economic-loss"', 'id = "data-theft"', 'id = "data-theft"\ndescription = "Material',
     "rule id 'data-theft' is used twice in the ladder"),
    ("tier without rules", "combine = \"all\"\n\n[[tiers.rules]]\nid = \"severe-harm\"",
     "combine = \"all\"\n\n[[tiers.xrules]]\nid = \"severe-harm\"", "[[tiers.xrules]]", "tier 4: unknown key 'xrules'"),
    ("invalid TOML", "review_days = 90\n", "review_days = = 90\n", "review_days = = 90", "invalid TOML"),
    ("evidence metric missing", "[metrics.attribution_confidence]", "[metrics.attribution_certainty]",
     "[metrics.disruption_hours]", "must declare metric 'attribution_confidence'"),
    ("unknown exit ramp kind", 'kind = "cooperation_on_investigation"\ndescription = "The state concerned cooperates',
     'kind = "apology"\ndescription = "The state concerned cooperates', 'kind = "apology"',
     "tier 3 exit ramp 'sanctions-cooperation': unknown exit ramp kind 'apology'"),
    ("quiet period without days", 'days = 180\ndescription = "Six', 'description = "Six',
     '[[tiers.exit_ramps]]\nid = "sanctions-quiet-period"',
     "tier 3 exit ramp 'sanctions-quiet-period': missing key 'days'"),
    ("days on a ramp that is not a quiet period", 'id = "warning-heeded"\nkind = "verifiable_restraint"\n',
     'id = "warning-heeded"\nkind = "verifiable_restraint"\ndays = 30\n', "days = 30",
     "tier 2 exit ramp 'warning-heeded': 'days' applies to time_without_recurrence only"),
    ("duplicate exit ramp id", 'id = "isolation-restraint"', 'id = "sanctions-restraint"',
     'id = "sanctions-restraint"\nkind = "verifiable_restraint"\ndescription = "The state concerned publicly',
     "exit ramp id 'sanctions-restraint' is used twice in the ladder"),
    ("misspelt exit ramp key", '\ndays = 365\n', '\ndayz = 365\n',
     '[[tiers.exit_ramps]]\nid = "isolation-quiet-period"',
     "tier 4 exit ramp 'isolation-quiet-period': missing key 'days'"),
]


@pytest.mark.parametrize(("old", "new", "needle", "fragment"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_ladder_is_refused_with_file_and_line(tmp_path: Path, old: str, new: str, needle: str,
                                                     fragment: str) -> None:
    text = _replace(old, new)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        L.load_ladder(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{_line_of(text, needle)}: "), message
    assert fragment in message
    assert "\n" not in message


def test_the_floor_has_no_exit_ramps(tmp_path: Path) -> None:
    text = _replace('review_days = 180\n', 'review_days = 180\n\n[[tiers.exit_ramps]]\nid = "floor-ramp"\n'
                    'kind = "verifiable_restraint"\ndescription = "x"\n')
    with pytest.raises(ConfigError, match="tier 1 is the floor: there is no tier below it"):
        L.load_ladder(_write(tmp_path, text))


def test_exit_ramps_are_read_with_their_tier(ladder: L.Ladder) -> None:
    quiet = ladder.tier(3).exit_ramp("sanctions-quiet-period")
    assert quiet is not None and quiet.kind is L.ExitRampKind.TIME_WITHOUT_RECURRENCE and quiet.days == 180
    assert ladder.tier(1).exit_ramps == ()
    for tier in ladder.tiers[1:]:
        kinds = {r.kind for r in tier.exit_ramps}
        assert {L.ExitRampKind.VERIFIABLE_RESTRAINT, L.ExitRampKind.TIME_WITHOUT_RECURRENCE} <= kinds
        assert all(r.days is None for r in tier.exit_ramps if r.kind is not L.ExitRampKind.TIME_WITHOUT_RECURRENCE)


def test_tiers_above_one_need_rules(tmp_path: Path) -> None:
    start = LADDER_TEXT.index("[[tiers.rules]]\nid = \"severe-harm\"")
    path = _write(tmp_path, LADDER_TEXT[:start])
    with pytest.raises(ConfigError, match=r"only tier 1 \(the floor\) may have no rules"):
        L.load_ladder(path)


def test_missing_ladder_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ladder\.toml:1: cannot read"):
        L.load_ladder(tmp_path / "ladder.toml")


def test_toml_source_locates_tables_keys_and_inline_items(tmp_path: Path) -> None:
    text = (
        "# comment\n"
        "[a]\n"
        "x = 1\n"
        "[[t]]\n"
        "n = '''\n"
        "multi [[not a header]]\n"
        "'''\n"
        "[[t.r]]\n"
        "c = [\n"
        "  { m = \"p\" },\n"
        "  { m = \"q\", \"quoted key\" = 2 },\n"
        "]\n"
        "[[t]]\n"
        "[[t.r]]\n"
        "[[t.r]]\n"
        "s = \"a # not a comment\"  # comment\n"
    )
    source = TomlSource(tmp_path / "x.toml", text)
    assert source.line(("a", "x")) == 3
    assert source.line(("t", 0)) == 4
    assert source.line(("t", 0, "n")) == 5
    assert source.content_line(("t", 0, "n")) == 6
    assert source.line(("t", 0, "r", 0, "c", 1, "m")) == 11
    assert source.line(("t", 0, "r", 0, "c", 1, "quoted key")) == 11
    assert source.line(("t", 1)) == 13
    assert source.line(("t", 1, "r", 1)) == 15
    assert source.line(("t", 1, "r", 1, "s")) == 16
    assert source.line(("t", 1, "r", 1, "missing")) == 15  # falls back to the table

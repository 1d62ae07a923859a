"""Crisis templates: loading and refusing, parameter validation, sandboxed rendering, pre-signatures."""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from entente import canonical, crisis
from entente import ladder as L
from entente.crisis.sandbox import SECTION_OUTPUT_LIMIT, BodyError, render_body
from entente.errors import ConfigError, InvalidInputError

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates" / "crisis"
LADDER_PATH = ROOT / "config" / "ladder.toml"

PARTIES = {
    "EE": "Republic of Estonia",
    "LV": "Republic of Latvia",
    "GB": "United Kingdom",
    "US": "United States of America",
    "EU": "European Union",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "joint-advisory": {
        "participants": ["EE", "LV", "GB"],
        "activity": "exploitation of a vulnerability in remote access gateways",
        "first_observed": "2024-03-12",
        "sectors": ["energy", "health care"],
        "summary": "The actor gains access through unpatched gateways and deploys a web shell.",
        "mitigations": ["Apply the vendor's update.", "Reset credentials used on affected gateways."],
        "indicators": ["198.51.100[.]7", "evil[.]example"],
    },
    "warning-declaration": {
        "participants": ["EU", "GB"],
        "activity": "a sustained campaign of disruptive cyber activities",
        "targets": "hospitals and water utilities in several participating states",
        "since": "2024-01-15",
        "actor_state": "Examplestan",
        "demarche_points": ["We have evidence of the activity.", "We expect it to stop."],
    },
    "joint-attribution": {
        "participants": ["EE", "LV", "GB", "US"],
        "actor_state": "Examplestan",
        "responsible_entity": "its military intelligence service",
        "actor_names": ["APT-X", "Sandy Bear"],
        "activity": "the compromise of e-mail servers used by thousands of organisations",
        "first_observed": "2024-02-01",
        "sectors": ["government", "defence"],
        "confidence": "highly_likely",
        "technical_summary": "Infrastructure overlaps with earlier campaigns; tooling shares code.",
    },
    "sanctions-announcement": {
        "participants": ["EU", "GB"],
        "activity": "the cyber-attacks against the energy grid of two participating states in January",
        "actor_state": "Examplestan",
        "designated": ["Ivan EXAMPLE", "Example Technologies LLC"],
        "legal_bases": ["Council Decision (CFSP) 2019/797 and Council Regulation (EU) 2019/796 (European Union)"],
        "effective": "2024-05-01T10:00:00+02:00",
        "review_date": "2025-05-01",
        "evidence_summary": "Financial records link the company to the operators.",
    },
    "diplomatic-measures": {
        "participants": ["EE", "LV"],
        "actor_state": "Examplestan",
        "activity": "the disruption of hospitals and power distribution in three participating states",
        "measures": ["the suspension of the bilateral dialogue on cyber issues"],
        "effective": "2024-06-01T00:00:00Z",
        "review_date": "2024-12-01",
        "conditions": ["the end of the activity"],
        "channel": "Notified by the ambassadors of the participants.",
    },
    "de-escalation": {
        "participants": ["EE", "LV", "EU"],
        "actor_state": "Examplestan",
        "steps_observed": ["the arrest of members of the group responsible"],
        "measures_under_review": ["the suspension of the bilateral dialogue on cyber issues"],
        "review_date": "2024-12-01",
        "forum": "osce",
        "verification": "Participating CERTs monitor the infrastructure for 90 days.",
    },
    "measures-lifting": {
        "participants": ["EE", "LV"],
        "actor_state": "Examplestan",
        "conditions_met": ["six months without a recurrence"],
        "measures_lifted": ["the travel ban on the persons designated on 1 June 2024"],
        "effective": "2025-01-01",
        "monitoring": "Participating CERTs keep the infrastructure under watch for a year.",
    },
}


@pytest.fixture(scope="module")
def ladder() -> L.Ladder:
    return L.load_ladder(LADDER_PATH)


@pytest.fixture(scope="module")
def templates(ladder: L.Ladder) -> dict[str, crisis.CrisisTemplate]:
    return crisis.load_templates(TEMPLATES, ladder=ladder)


# --- the shipped templates ----------------------------------------------------------------------


def test_shipped_templates_cover_every_kind_and_agree_with_the_ladder(
    templates: dict[str, crisis.CrisisTemplate], ladder: L.Ladder
) -> None:
    assert {t.kind for t in templates.values()} == set(crisis.TemplateKind)
    assert set(templates) == {tid for tier in ladder.tiers for tid in tier.templates}
    crisis.check_ladder_templates(ladder, templates)
    for template in templates.values():
        markings = {s.marking for s in template.sections}
        assert crisis.Marking.PUBLIC in markings, template.id
        assert len(template.sections) >= 3


@pytest.mark.parametrize("template_id", sorted(SAMPLES))
def test_each_template_renders_its_sample_deterministically(
    templates: dict[str, crisis.CrisisTemplate], template_id: str
) -> None:
    template = templates[template_id]
    first = crisis.render(template, SAMPLES[template_id], parties=PARTIES)
    second = crisis.render(template, dict(SAMPLES[template_id]), parties=dict(PARTIES))
    assert canonical.canonical_bytes(first.to_dict()) == canonical.canonical_bytes(second.to_dict())
    assert (first.template_id, first.version, first.digest) == (template.id, template.version, template.digest)
    assert [s.id for s in first.sections] == [s.id for s in template.sections]
    for section in first.sections:
        assert section.body and "{{" not in section.body and "{%" not in section.body
        assert section.body == section.body.strip()
    assert list(first.params) == list(template.parameters)


def test_rendering_applies_defaults_and_normalises_values(templates: dict[str, crisis.CrisisTemplate]) -> None:
    sanctions = crisis.render(templates["sanctions-announcement"], SAMPLES["sanctions-announcement"], parties=PARTIES)
    assert sanctions.params["measures"] == "asset_freeze_and_travel_ban"
    assert sanctions.params["effective"] == "2024-05-01T08:00:00Z"
    assert sanctions.params["designated"] == ("Ivan EXAMPLE", "Example Technologies LLC")
    body = {s.id: s.body for s in sanctions.sections}
    assert "take effect on 1 May 2024, 08:00 UTC" in body["announcement"]
    assert "European Union and United Kingdom are today imposing" in body["announcement"]
    assert "freeze of the funds and economic resources" in body["measures"]
    advisory = crisis.render(templates["joint-advisory"], SAMPLES["joint-advisory"], parties=PARTIES)
    assert advisory.params["actor"] == "a malicious cyber actor"
    assert "1. Apply the vendor's update.\n2. Reset credentials" in advisory.sections[1].body


def test_attribution_uses_the_yardstick_words(templates: dict[str, crisis.CrisisTemplate]) -> None:
    rendered = crisis.render(templates["joint-attribution"], SAMPLES["joint-attribution"], parties=PARTIES)
    attribution = next(s for s in rendered.sections if s.id == "attribution")
    assert "judge it highly likely that the actors tracked as APT-X and Sandy Bear" in attribution.body
    assert attribution.marking is crisis.Marking.PUBLIC
    annex = next(s for s in rendered.sections if s.id == "technical-annex")
    assert annex.marking is crisis.Marking.PARTICIPANTS and annex.marking.tlp == "TLP:AMBER"


def test_template_digest_is_recomputable_from_the_file(templates: dict[str, crisis.CrisisTemplate]) -> None:
    """Anyone holding the file: parse the TOML, write out the two defaults, canonicalise, hash."""
    for template in templates.values():
        assert template.source_path is not None
        data = tomllib.loads(template.source_path.read_text(encoding="utf-8"))
        parameters = {}
        for name, entry in data.get("parameters", {}).items():
            entry = {"required": True, **entry}
            if entry["type"] in ("party_list", "string_list"):
                entry = {"min_items": 0, **entry}
            parameters[name] = entry
        sections = [{k: unicodedata.normalize("NFC", v) for k, v in s.items()} for s in data["sections"]]
        recomputed = canonical.digest(canonical.canonical_bytes(
            {"template": data["template"], "parameters": parameters, "sections": sections}
        ))
        assert recomputed == template.digest, template.id
        assert template.digest == canonical.digest(canonical.canonical_bytes(template.to_canonical()))


def test_any_change_to_a_body_changes_the_digest(tmp_path: Path, templates: dict[str, crisis.CrisisTemplate]) -> None:
    original = templates["de-escalation"]
    path = tmp_path / "de-escalation.toml"
    path.write_text((TEMPLATES / "de-escalation.toml").read_text().replace("We welcome", "We note"))
    changed = crisis.load_template(path)
    assert changed.digest != original.digest
    assert crisis.load_template(TEMPLATES / "de-escalation.toml").digest == original.digest


# --- a small template exercising every parameter type -------------------------------------------

BASE = """\
[template]
id = "test-template"
version = 1
title = "Test"
kind = "joint_advisory"
tiers = [1, 2]
response = "joint_advisory"

[parameters.name]
type = "string"
label = "Name"
description = "A name."
max_length = 40

[parameters.code]
type = "string"
label = "Code"
description = "A code."
max_length = 10
pattern = "[A-Z]{2}-[0-9]+"
required = false

[parameters.choice]
type = "enum"
label = "Choice"
description = "A choice."
values = ["alpha", "beta"]
default = "alpha"

[parameters.day]
type = "date"
label = "Day"
description = "A day."
required = false

[parameters.moment]
type = "instant"
label = "Moment"
description = "An instant."
required = false

[parameters.parties]
type = "party_list"
label = "Parties"
description = "Parties."
min_items = 1
max_items = 3

[parameters.items]
type = "string_list"
label = "Items"
description = "Items."
required = false
max_items = 3
max_length = 20

[parameters.confidence]
type = "confidence"
label = "Confidence"
description = "Confidence."
required = false

[[sections]]
id = "main"
heading = "Main"
marking = "public"
body = '''
Hello {{ name }} from {{ parties | party_name | and_list }}.
{% if items %}
{% for item in items %}
- {{ item }}
{% endfor %}
{% endif %}
'''
"""


def _write(tmp_path: Path, text: str, name: str = "test.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _base(tmp_path: Path) -> crisis.CrisisTemplate:
    return crisis.load_template(_write(tmp_path, BASE))


def _line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle)) + 1


def test_small_template_renders_and_optional_values_are_none(tmp_path: Path) -> None:
    rendered = crisis.render(_base(tmp_path), {"name": "  Ada  ", "parties": ["EE", "GB"]}, parties=PARTIES)
    assert rendered.sections[0].body == "Hello Ada from Republic of Estonia and United Kingdom."
    assert rendered.params == {"name": "Ada", "code": None, "choice": "alpha", "day": None, "moment": None,
                               "parties": ("EE", "GB"), "items": None, "confidence": None}


GOOD = {"name": "Ada", "parties": ["EE"]}
BAD_PARAMS = [
    # (name, params, field, reason fragment)
    ("unknown parameter", {**GOOD, "colour": "red"}, "params.colour", "unknown parameter"),
    ("required missing", {"parties": ["EE"]}, "params.name", "is required"),
    ("string too long", {**GOOD, "name": "x" * 41}, "params.name", "at most 40 characters"),
    ("string empty", {**GOOD, "name": "   "}, "params.name", "must not be empty"),
    ("string with newline", {**GOOD, "name": "a\nb"}, "params.name", "one line"),
    ("string with bidi override", {**GOOD, "name": "abc\u202edef"}, "params.name", "bidirectional"),
    ("string of wrong type", {**GOOD, "name": 42}, "params.name", "must be a string, not an integer (42)"),
    ("pattern mismatch", {**GOOD, "code": "ab-1"}, "params.code", "does not match the pattern"),
    ("enum value", {**GOOD, "choice": "gamma"}, "params.choice", "must be one of: alpha, beta"),
    ("impossible date", {**GOOD, "day": "2024-02-30"}, "params.day", "YYYY-MM-DD"),
    ("date in another format", {**GOOD, "day": "12/03/2024"}, "params.day", "YYYY-MM-DD"),
    ("instant without offset", {**GOOD, "moment": "2024-03-12T14:00:00"}, "params.moment", "with an offset"),
    ("instant as a date", {**GOOD, "moment": "2024-03-12"}, "params.moment", "RFC 3339"),
    ("unknown party", {**GOOD, "parties": ["EE", "XX"]}, "params.parties", "item 2: a string ('XX') is not a party"),
    ("duplicate party", {**GOOD, "parties": ["EE", "EE"]}, "params.parties", "listed twice"),
    ("too few parties", {**GOOD, "parties": []}, "params.parties", "between 1 and 3 items, not 0"),
    ("too many parties", {**GOOD, "parties": ["EE", "LV", "GB", "US"]}, "params.parties", "not 4"),
    ("party list not a list", {**GOOD, "parties": "EE"}, "params.parties", "must be a list"),
    ("list item too long", {**GOOD, "items": ["ok", "y" * 21]}, "params.items", "item 2: must be at most 20"),
    ("list item not text", {**GOOD, "items": [1]}, "params.items", "item 1: must be a string"),
    ("confidence value", {**GOOD, "confidence": "probable"}, "params.confidence", "must be one of: remote_chance"),
]


@pytest.mark.parametrize(("params", "field", "fragment"), [b[1:] for b in BAD_PARAMS], ids=[b[0] for b in BAD_PARAMS])
def test_bad_parameter_is_refused_with_its_field(tmp_path: Path, params: dict, field: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        crisis.render(_base(tmp_path), params, parties=PARTIES)
    assert caught.value.field == field
    errors = caught.value.extra["errors"]
    assert [e["field"] for e in errors] == [field]
    assert fragment in errors[0]["reason"]


def test_one_message_per_bad_field(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        crisis.render(_base(tmp_path), {"name": "", "parties": ["XX", "YY"], "day": "soon", "extra": 1},
                      parties=PARTIES)
    assert sorted(e["field"] for e in caught.value.extra["errors"]) == [
        "params.day", "params.extra", "params.name", "params.parties",
    ]


def test_good_values_are_normalised(tmp_path: Path) -> None:
    values = crisis.validate_params(_base(tmp_path).parameters, {
        **GOOD, "code": "AB-12", "choice": "beta", "day": "2024-03-12", "moment": "2024-03-12T16:30:00+02:00",
        "items": ["Cafe\u0301"], "confidence": "almost_certain",
    }, PARTIES)
    assert values["moment"] == "2024-03-12T14:30:00Z"
    assert values["items"] == ("Caf\u00e9",)  # NFC
    assert values["day"] == "2024-03-12"


def test_parameter_text_cannot_inject_markdown_or_html(tmp_path: Path) -> None:
    hostile = "*bold* _em_ <script>alert(1)</script> [link](https://evil.example) `code` &amp; # | ~~x~~"
    template = crisis.load_template(_write(tmp_path, BASE.replace("max_length = 40", "max_length = 200")))
    rendered = crisis.render(template, {"name": hostile, "parties": ["EE"], "items": ["- item", "1. one"]},
                             parties=PARTIES)
    html = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").render(rendered.sections[0].body)
    for tag in ("<em>", "<strong>", "<script", "<a ", "<code>", "<s>", "<ol>", "<ul>\n<li>\n<ul>"):
        assert tag not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "*bold* _em_" in html and "[link](https://evil.example)" in html and "&amp;amp;" in html
    assert html.count("<li>") == 2  # the template's own list still works


# --- the sandbox ------------------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ params.__class__ }}",
    "{{ name.__class__.__init__.__globals__ }}",
    "{{ range(10**9) }}",
    "{{ 'x' * 10**9 }}",
    "{{ items * 10**9 }}",
    "{{ 10**10**10 }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ namespace() }}",
    "{{ dict(a=1) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ name.ljust(999999999) }}",
    "{{ '%999999999d' % 1 }}",
    "{{ name['__class__'] }}",
    "{{ self.__init__ }}",
    "{% for i in items %}{{ loop.cycle.__globals__ }}{% endfor %}",
]


@pytest.mark.parametrize("body", ESCAPES)
def test_sandbox_escape_is_refused_by_render(tmp_path: Path, body: str) -> None:
    template = dataclasses.replace(
        _base(tmp_path), sections=(crisis.Section("main", "Main", crisis.Marking.PUBLIC, body),)
    )
    with pytest.raises(InvalidInputError) as caught:
        crisis.render(template, {"name": "Ada", "parties": ["EE"], "items": ["a"]}, parties=PARTIES)
    assert caught.value.code == "template_unsafe"
    assert caught.value.field == "sections.main"


@pytest.mark.parametrize("body", ESCAPES)
def test_sandbox_escape_is_refused_at_run_time_too(body: str) -> None:
    """The runtime layer alone (no static check), as for a template that never went through the loader."""
    with pytest.raises(BodyError) as caught:
        render_body(body, {"name": "Ada", "items": ("a",)}, parties=PARTIES)
    assert caught.value.unsafe


def test_output_is_capped_even_when_every_step_is_legal(tmp_path: Path) -> None:
    text = BASE.replace("max_items = 3\nmax_length = 20", "max_items = 100\nmax_length = 1000").replace(
        "{% for item in items %}\n- {{ item }}\n{% endfor %}",
        "{% for a in items %}{% for b in items %}{{ b }}{% endfor %}{% endfor %}",
    )
    template = crisis.load_template(_write(tmp_path, text))
    items = [f"{i:04d}" + "x" * 996 for i in range(100)]
    with pytest.raises(InvalidInputError) as caught:
        crisis.render(template, {"name": "Ada", "parties": ["EE"], "items": items}, parties=PARTIES)
    assert caught.value.code == "template_unsafe"
    assert f"output longer than {SECTION_OUTPUT_LIMIT} characters" in caught.value.detail


def test_ordinary_rendering_mistake_is_not_called_unsafe(tmp_path: Path) -> None:
    template = dataclasses.replace(
        _base(tmp_path), sections=(crisis.Section("main", "Main", crisis.Marking.PUBLIC, "{{ name | format_date }}"),)
    )
    with pytest.raises(InvalidInputError) as caught:
        crisis.render(template, GOOD, parties=PARTIES)
    assert caught.value.code == "template_render_failed"


def test_filters(tmp_path: Path) -> None:
    body = (
        "{{ parties | and_list }}|{{ parties | party_name | join('; ') }}|{{ name | upper }}|{{ name | lower }}"
        "|{{ items | length }}|{{ code | default('none') }}|{{ day | format_date }}|{{ moment | format_instant }}"
        "|{{ confidence | yardstick }}|"
        "{% for i in items %}{{ loop.index }}{% if not loop.last %},{% endif %}{% endfor %}"
    )
    template = dataclasses.replace(_base(tmp_path), sections=(crisis.Section("m", "M", crisis.Marking.LEAD, body),))
    rendered = crisis.render(template, {
        "name": "Ada", "parties": ["EE", "LV", "GB"], "items": ["a", "b", "c"], "day": "2024-03-01",
        "moment": "2024-03-12T23:30:00-01:00", "confidence": "realistic_possibility",
    }, parties=PARTIES)
    assert rendered.sections[0].body == (
        "EE, LV and GB|Republic of Estonia; Republic of Latvia; United Kingdom|ADA|ada|3|none|1 March 2024"
        "|13 March 2024, 00:30 UTC|realistic possibility|1,2,3"
    )


# --- malformed templates are refused with file and line ---------------------------------------------

MALFORMED = [
    # (name, old, new, needle of the offending line, message fragment)
    ("unknown header key", 'title = "Test"\n', 'title = "Test"\nauthor = "x"\n', "author",
     "template 'test-template': unknown key 'author'"),
    ("version of the wrong type", "version = 1", 'version = "1"', 'version = "1"',
     "'version' must be an integer, not a string ('1')"),
    ("unknown kind", 'kind = "joint_advisory"', 'kind = "press_release"', "press_release",
     "unknown template kind 'press_release'"),
    ("tiers out of order", "tiers = [1, 2]", "tiers = [2, 1]", "tiers = [2, 1]", "in increasing order"),
    ("unknown marking", 'marking = "public"', 'marking = "secret"', "secret", "unknown marking 'secret'"),
    ("string without max_length", 'description = "A name."\nmax_length = 40\n', 'description = "A name."\n',
     "[parameters.name]", "parameter 'name': missing key 'max_length'"),
    ("key that does not fit the type", 'values = ["alpha", "beta"]', 'values = ["alpha", "beta"]\nmax_length = 3',
     "max_length = 3", "parameter 'choice': unknown key 'max_length'"),
    ("invalid pattern", 'pattern = "[A-Z]{2}-[0-9]+"', 'pattern = "[A-Z"', 'pattern = "[A-Z"',
     "'pattern' is not a regular expression"),
    ("enum default not a value", 'default = "alpha"', 'default = "gamma"', "gamma",
     "default must be one of: alpha, beta"),
    ("default not in normal form", 'description = "An instant."\nrequired = false',
     'description = "An instant."\ndefault = "2024-03-12T14:00:00+02:00"', 'default = "2024',
     "write the default in normal form: '2024-03-12T12:00:00Z'"),
    ("party list default", "min_items = 1\nmax_items = 3", 'min_items = 1\nmax_items = 3\ndefault = ["EE"]',
     'default = ["EE"]', "a party_list parameter cannot have a default"),
    ("reserved parameter name", "[parameters.items]", "[parameters.loop]", "[parameters.loop]",
     "parameter 'loop': a parameter name"),
    ("jinja syntax error", "Hello {{ name }}", "Hello {{ name + }}", "Hello {{ name + }}",
     "section 'main': template syntax: unexpected 'end of print statement'"),
    ("unknown name in body", "Hello {{ name }}", "Hello {{ nmae }}", "Hello {{ nmae }}",
     "unknown name 'nmae' (not a parameter of this template)"),
    ("loop over text", "{% for item in items %}", "{% for item in name %}", "{% for item in name %}",
     "a loop may only walk a list parameter"),
    ("assignment", "{% endif %}\n'''", "{% endif %}\n{% set x = 1 %}\n'''", "{% set x", "{% set %} is not allowed"),
    ("call", "{% endif %}\n'''", "{% endif %}\n{{ name.upper() }}\n'''", "{{ name.upper() }}", "a call is not allowed"),
    ("attribute", "{% endif %}\n'''", "{% endif %}\n{{ name.__class__ }}\n'''", "{{ name.__class__ }}",
     "attribute '__class__' is not allowed"),
    ("unknown filter", "{{ item }}", "{{ item | format }}", "{{ item | format }}", "unknown filter 'format'"),
    ("loops nested three deep", "- {{ item }}\n", "{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}\n",
     "{% for a in items %}{% for b", "loops nest at most 2 deep"),
    ("duplicate section id", "[[sections]]\nid = \"main\"",
     "[[sections]]\nid = \"main\"\nheading = \"A\"\nmarking = \"lead\"\nbody = \"x\"\n\n[[sections]]\nid = \"main\"",
     "id = \"main\"\nheading = \"Main\"", "section id 'main' is used twice"),
    ("no sections", "[[sections]]", "[[chapters]]", "[template]", "missing key 'sections'"),
]


@pytest.mark.parametrize(("old", "new", "needle", "fragment"), [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_malformed_template_is_refused_with_file_and_line(tmp_path: Path, old: str, new: str, needle: str,
                                                          fragment: str) -> None:
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        crisis.load_template(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{_line_of(text, needle)}: "), message
    assert fragment in message, message
    assert "\n" not in message


def _copy_templates(tmp_path: Path, *, skip: str = "") -> Path:
    directory = tmp_path / "crisis"
    directory.mkdir()
    for path in TEMPLATES.glob("*.toml"):
        if path.stem != skip:
            shutil.copy(path, directory / path.name)
    return directory


def test_duplicate_template_ids_are_refused(tmp_path: Path) -> None:
    directory = _copy_templates(tmp_path)
    shutil.copy(TEMPLATES / "de-escalation.toml", directory / "zz-copy.toml")
    with pytest.raises(ConfigError) as caught:
        crisis.load_templates(directory)
    message = str(caught.value)
    assert message.startswith(f"{directory / 'zz-copy.toml'}:")
    assert f"template 'de-escalation': id already used by {directory / 'de-escalation.toml'}" in message


def test_template_the_ladder_names_must_exist(tmp_path: Path, ladder: L.Ladder) -> None:
    directory = _copy_templates(tmp_path, skip="de-escalation")
    with pytest.raises(ConfigError) as caught:
        crisis.load_templates(directory, ladder=ladder)
    text = LADDER_PATH.read_text()
    line = _line_of(text, 'templates = ["joint-advisory", "warning-declaration", "de-escalation", "measures-lifting"]')
    assert str(caught.value) == (
        f"{LADDER_PATH}:{line}: tier 2: template 'de-escalation' is not among the crisis templates"
    )


def test_template_tier_outside_the_ladder_is_refused(tmp_path: Path, ladder: L.Ladder) -> None:
    directory = _copy_templates(tmp_path)
    path = directory / "joint-attribution.toml"
    path.write_text(path.read_text().replace("tiers = [3, 4]", "tiers = [3, 4, 5]"))
    with pytest.raises(ConfigError) as caught:
        crisis.load_templates(directory, ladder=ladder)
    assert str(caught.value).startswith(f"{path}:{_line_of(path.read_text(), 'tiers = [3, 4, 5]')}: ")
    assert "template 'joint-attribution': tier 5 is not a tier of the ladder (1 to 4)" in str(caught.value)


def test_template_tier_the_ladder_does_not_list_is_refused(tmp_path: Path, ladder: L.Ladder) -> None:
    text = (TEMPLATES / "joint-attribution.toml").read_text().replace("tiers = [3, 4]", "tiers = [2, 3, 4]")
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="tier 2 of the ladder .* does not list this template"):
        crisis.load_template(path, ladder=ladder)


def test_ladder_listing_a_template_at_a_tier_it_does_not_declare_is_refused(tmp_path: Path, ladder: L.Ladder) -> None:
    directory = _copy_templates(tmp_path)
    path = directory / "joint-advisory.toml"
    path.write_text(path.read_text().replace("tiers = [1, 2, 3, 4]", "tiers = [1, 2, 3]"))
    with pytest.raises(ConfigError) as caught:
        crisis.load_templates(directory, ladder=ladder)
    assert str(caught.value).startswith(f"{LADDER_PATH}:")
    assert "tier 4: template 'joint-advisory' does not declare tier 4" in str(caught.value)


def test_template_response_must_be_allowed_at_its_tiers(tmp_path: Path) -> None:
    ladder_text = LADDER_PATH.read_text().replace(
        'templates = ["joint-advisory", "warning-declaration", "de-escalation", "measures-lifting"]',
        'templates = ["joint-advisory", "warning-declaration", "de-escalation", "measures-lifting", '
        '"sanctions-announcement"]',
    )
    ladder = L.load_ladder(_write(tmp_path, ladder_text, "ladder.toml"))
    path = _write(tmp_path, (TEMPLATES / "sanctions-announcement.toml").read_text().replace(
        "tiers = [3, 4]", "tiers = [2, 3, 4]"))
    with pytest.raises(ConfigError, match="response 'sanctions' is not allowed at tier 2"):
        crisis.load_template(path, ladder=ladder)


# --- pre-signatures -------------------------------------------------------------------------------

START = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
END = datetime(2025, 3, 1, 11, 0, tzinfo=UTC)


def _presignature(template: crisis.CrisisTemplate, tiers: list[int] | None = None) -> dict[str, Any]:
    return crisis.presignature_object(template, party="EE", tiers=tiers or [4, 3], not_before=START, not_after=END)


def test_presignature_object_is_canonical_json(templates: dict[str, crisis.CrisisTemplate]) -> None:
    template = templates["joint-attribution"]
    obj = _presignature(template)
    assert obj == {
        "type": "entente-template-presignature",
        "template": {"id": "joint-attribution", "version": 1, "digest": template.digest},
        "parameters": template.schema(),
        "tiers": [3, 4],
        "party": "EE",
        "not_before": "2024-03-01T11:00:00Z",
        "not_after": "2025-03-01T11:00:00Z",
    }
    assert canonical.require_canonical(canonical.canonical_bytes(obj)) == obj
    assert obj["parameters"]["confidence"] == {
        "type": "confidence", "label": "Confidence", "required": True,
        "description": "The participants' joint assessment on the PHIA yardstick.",
    }


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"tiers": [2, 3]}, "tiers"),
    ({"tiers": []}, "tiers"),
    ({"not_after": START}, "not_after"),
    ({"not_before": datetime(2024, 3, 1)}, "not_before"),
    ({"party": ""}, "party"),
])
def test_presignature_object_refuses_bad_requests(templates: dict[str, crisis.CrisisTemplate], kwargs: dict,
                                                  field: str) -> None:
    arguments = {"party": "EE", "tiers": [3], "not_before": START, "not_after": END, **kwargs}
    with pytest.raises(InvalidInputError) as caught:
        crisis.presignature_object(templates["joint-attribution"], **arguments)
    assert caught.value.field == field


def test_presignature_covers_inside_its_window_and_tiers(templates: dict[str, crisis.CrisisTemplate]) -> None:
    template = templates["joint-attribution"]
    obj = _presignature(template, tiers=[3])
    assert crisis.presignature_covers(obj, template, 3, START) is None
    assert crisis.presignature_covers(obj, template, 3, END - timedelta(seconds=1)) is None
    assert crisis.presignature_covers(obj, template, 3, START - timedelta(seconds=1)) == "not_yet_valid"
    assert crisis.presignature_covers(obj, template, 3, END) == "expired"
    assert crisis.presignature_covers(obj, template, 4, START) == "tier_not_allowed"
    assert crisis.presignature_covers(obj, template, 4, START) is crisis.PresignatureRefusal.TIER_NOT_ALLOWED


def test_presignature_does_not_cover_another_template_or_text(
    tmp_path: Path, templates: dict[str, crisis.CrisisTemplate]
) -> None:
    template = templates["joint-attribution"]
    obj = _presignature(template)
    assert crisis.presignature_covers(obj, templates["sanctions-announcement"], 3, START) == "template_digest_mismatch"
    edited = crisis.load_template(_write(tmp_path, (TEMPLATES / "joint-attribution.toml").read_text().replace(
        "pattern of irresponsible behaviour", "pattern of reckless behaviour")))
    assert crisis.presignature_covers(obj, edited, 3, START) == "template_digest_mismatch"
    widened = {**obj, "parameters": {**obj["parameters"], "actor_state": {**obj["parameters"]["actor_state"],
                                                                          "max_length": 5000}}}
    assert crisis.presignature_covers(widened, template, 3, START) == "template_digest_mismatch"


@pytest.mark.parametrize("broken", [
    {}, {"type": "something-else"}, {"not_before": "yesterday"}, {"not_after": "2025-03-01T11:00:00"}, {"tiers": "3"},
])
def test_malformed_presignature_is_reported(templates: dict[str, crisis.CrisisTemplate], broken: dict) -> None:
    template = templates["joint-attribution"]
    obj = {**_presignature(template), **broken} if broken else {}
    assert crisis.presignature_covers(obj, template, 3, START) == "malformed"


def test_presignature_check_needs_an_aware_instant(templates: dict[str, crisis.CrisisTemplate]) -> None:
    template = templates["joint-attribution"]
    with pytest.raises(InvalidInputError):
        crisis.presignature_covers(_presignature(template), template, 3, datetime(2024, 6, 1))

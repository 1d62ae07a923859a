"""Crisis templates: pre-agreed texts with blanks, loaded from ``templates/crisis/*.toml``.

A template is data that partners sign in advance (see :mod:`entente.crisis.presignature`), so its
identity is its digest: SHA-256 over the RFC 8785 bytes of :meth:`CrisisTemplate.to_canonical`,
which anyone holding the file can recompute: parse the TOML, keep ``template``, ``parameters`` and
``sections``, write out the two defaults (``required = true``; ``min_items = 0`` for lists),
NFC-normalise text, canonicalise. Loading refuses
a malformed template with ``file:line: reason``: unknown keys, wrong types, unsafe or broken
section bodies (checked by :func:`entente.crisis.sandbox.check_body`), and, given the ladder,
tiers the ladder does not have or does not list the template at.

Markings of sections (what a reader may see, enforced later by ``disclosure.py``):

- ``public``: published at release (TLP:CLEAR);
- ``participants``: releasable to the parties taking part in the communiqué (TLP:AMBER);
- ``lead``: the lead party only, e.g. handling notes for the drafting desk (TLP:RED).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import canonical
from ..errors import ConfigError
from ..ladder import Ladder, ResponseCategory
from ..ladder.tomlsource import TomlSource, TomlTable, read_toml
from .sandbox import BodyError, check_body
from .schema import Parameter, parse_parameter

__all__ = [
    "CrisisTemplate",
    "Marking",
    "Section",
    "TemplateKind",
    "check_ladder_templates",
    "load_template",
    "load_templates",
]

_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")
MAX_PARAMETERS = 40
MAX_SECTIONS = 20
MAX_BODY = 20_000


class TemplateKind(StrEnum):
    JOINT_ADVISORY = "joint_advisory"
    WARNING_DECLARATION = "warning_declaration"
    JOINT_ATTRIBUTION = "joint_attribution"
    SANCTIONS_ANNOUNCEMENT = "sanctions_announcement"
    DIPLOMATIC_MEASURES = "diplomatic_measures"
    DE_ESCALATION = "de_escalation"


class Marking(StrEnum):
    """Who may read a section; see the module docstring. ``tlp`` gives the TLP 2.0 label."""

    PUBLIC = "public"
    PARTICIPANTS = "participants"
    LEAD = "lead"

    @property
    def tlp(self) -> str:
        return {"public": "TLP:CLEAR", "participants": "TLP:AMBER", "lead": "TLP:RED"}[self.value]


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    marking: Marking
    body: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "heading": self.heading, "marking": str(self.marking), "body": self.body}


@dataclass(frozen=True)
class CrisisTemplate:
    """A loaded template. ``source`` (where it came from) serves error messages only."""

    id: str
    version: int
    title: str
    kind: TemplateKind
    tiers: tuple[int, ...]
    response: ResponseCategory
    parameters: Mapping[str, Parameter] = field(hash=False)
    sections: tuple[Section, ...]
    source: TomlSource | None = field(default=None, compare=False, repr=False)

    def header(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "title": self.title, "kind": str(self.kind),
                "tiers": list(self.tiers), "response": str(self.response)}

    def schema(self) -> dict[str, Any]:
        """The parameter schema as signed in a pre-signature."""
        return {name: parameter.to_dict() for name, parameter in self.parameters.items()}

    def to_canonical(self) -> dict[str, Any]:
        """Header, parameter schema and section sources: what the digest covers."""
        return {"template": self.header(), "parameters": self.schema(),
                "sections": [section.to_dict() for section in self.sections]}

    @property
    def source_path(self) -> Path | None:
        return self.source.path if self.source is not None else None

    @cached_property
    def digest(self) -> str:
        return canonical.digest(canonical.canonical_bytes(self.to_canonical()))


def load_template(path: Path | str, *, ladder: Ladder | None = None) -> CrisisTemplate:
    """Read and check one template file; with ``ladder``, also check its tiers against the ladder."""
    source, data = read_toml(path)
    root = TomlTable(source, (), data, "")
    header = root.table("template", "[template]")
    template_id = header.string("id", pattern=_ID, hint="lower case letters, digits and '-'")
    header.context = f"template '{template_id}'"
    version = header.integer("version", minimum=1, maximum=1_000_000)
    title = _nfc(header.string("title", max_length=200))
    kind = header.choice("kind", TemplateKind, "template kind")
    tiers = header.items("tiers", lambda v: v if type(v) is int and 1 <= v <= 20 else None, "a tier number")
    if not tiers or list(tiers) != sorted(tiers):
        header.fail("'tiers' must list at least one tier, in increasing order", key="tiers")
    response = header.choice("response", ResponseCategory, "response category")
    header.finish()

    parameters: dict[str, Parameter] = {}
    if root.has("parameters"):
        for name, table in root.subtables("parameters", lambda n: f"template '{template_id}' parameter '{n}'"):
            parameters[name] = parse_parameter(name, table)
    if len(parameters) > MAX_PARAMETERS:
        root.fail(f"a template has at most {MAX_PARAMETERS} parameters", key="parameters")

    sections = tuple(
        _section(table, parameters)
        for table in root.tables("sections", lambda i, t: f"template '{template_id}' section '{t.get('id', i + 1)}'",
                                 max_items=MAX_SECTIONS)
    )
    if not sections:
        root.fail("a template needs at least one section", key="sections")
    seen: set[str] = set()
    for index, section in enumerate(sections):
        if section.id in seen:
            root.fail(f"section id '{section.id}' is used twice", line=source.line(("sections", index, "id")))
        seen.add(section.id)
    root.finish()
    template = CrisisTemplate(
        id=template_id, version=version, title=title, kind=kind, tiers=tiers, response=response,
        parameters=MappingProxyType(parameters), sections=sections, source=source,
    )
    if ladder is not None:
        _check_template_tiers(template, ladder)
    return template


def _section(table: TomlTable, parameters: Mapping[str, Parameter]) -> Section:
    section = Section(
        id=table.string("id", pattern=_ID, hint="lower case letters, digits and '-'"),
        heading=_nfc(table.string("heading", max_length=200)),
        marking=table.choice("marking", Marking, "marking"),
        body=_nfc(table.string("body", max_length=MAX_BODY)),
    )
    table.finish()
    try:
        check_body(section.body, parameters)
    except BodyError as exc:
        line = table.source.content_line((*table.path, "body")) + (exc.lineno or 1) - 1
        table.fail(exc.reason, line=line)
    return section


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def load_templates(directory: Path | str, *, ladder: Ladder | None = None) -> dict[str, CrisisTemplate]:
    """Load every ``*.toml`` in ``directory`` (sorted by name); with ``ladder``, cross-check both ways."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"{directory}:1: not a directory of crisis templates")
    templates: dict[str, CrisisTemplate] = {}
    for path in sorted(directory.glob("*.toml")):
        template = load_template(path, ladder=ladder)
        if template.id in templates:
            earlier = templates[template.id].source_path
            raise _template_error(template, ("template", "id"), f"id already used by {earlier}")
        templates[template.id] = template
    if ladder is not None:
        check_ladder_templates(ladder, templates)
    return templates


def check_ladder_templates(ladder: Ladder, templates: Mapping[str, CrisisTemplate]) -> None:
    """The ladder and the templates must agree: a tier lists a template exactly when the template
    declares that tier, every template the ladder names exists, and each template's response
    category is allowed at each of its tiers. Raises ConfigError pointing at the file to fix."""
    for template in templates.values():
        _check_template_tiers(template, ladder)
    for tier in ladder.tiers:
        for index, template_id in enumerate(tier.templates):
            listed = templates.get(template_id)
            if listed is None:
                raise _ladder_error(ladder, tier.number, index,
                                    f"template '{template_id}' is not among the crisis templates")
            if tier.number not in listed.tiers:
                raise _ladder_error(ladder, tier.number, index,
                                    f"template '{template_id}' does not declare tier {tier.number} "
                                    f"({listed.source_path})")


def _check_template_tiers(template: CrisisTemplate, ladder: Ladder) -> None:
    for number in template.tiers:
        if number not in ladder.numbers:
            reason = f"tier {number} is not a tier of the ladder (1 to {len(ladder.tiers)})"
        elif template.id not in ladder.tier(number).templates:
            reason = f"tier {number} of the ladder ({ladder.path}) does not list this template"
        elif not ladder.allows_response(number, template.response):
            reason = f"response '{template.response}' is not allowed at tier {number}"
        else:
            continue
        raise _template_error(template, ("template", "tiers"), reason)


def _template_error(template: CrisisTemplate, path: tuple[str, ...], reason: str) -> ConfigError:
    message = f"template '{template.id}': {reason}"
    if template.source is None:
        return ConfigError(message)
    return template.source.error(template.source.line(path), message)


def _ladder_error(ladder: Ladder, tier: int, index: int, reason: str) -> ConfigError:
    """Point at the ladder file's line for tier ``tier``'s template number ``index``."""
    try:
        source, _ = read_toml(ladder.path)
    except ConfigError:
        return ConfigError(f"{ladder.path}: tier {tier}: {reason}")
    return source.error(source.line(("tiers", tier - 1, "templates", index)), f"tier {tier}: {reason}")

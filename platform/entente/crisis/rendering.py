"""Filling a crisis template: validated parameters in, Markdown sections out, byte for byte repeatable.

Rendering is deterministic (no clock, no randomness, no locale, schema order for parameters), so
anyone holding the template and the parameters can re-render and compare: that is how a
communiqué version is recognised as an unedited rendering of a pre-signed template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import InvalidInputError
from .sandbox import BodyError, check_body, render_body
from .schema import ParamValue, validate_params
from .template import CrisisTemplate, Marking

__all__ = ["RenderedSection", "RenderedTemplate", "render"]


@dataclass(frozen=True)
class RenderedSection:
    id: str
    heading: str
    body: str
    marking: Marking

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "heading": self.heading, "body": self.body, "marking": str(self.marking)}


@dataclass(frozen=True)
class RenderedTemplate:
    """A rendering and what it was rendered from (template id, version, digest, normalised params)."""

    template_id: str
    version: int
    digest: str
    params: Mapping[str, ParamValue] = field(hash=False)
    sections: tuple[RenderedSection, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": {"id": self.template_id, "version": self.version, "digest": self.digest},
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "sections": [section.to_dict() for section in self.sections],
        }


def render(template: CrisisTemplate, params: Mapping[str, object], *, parties: Mapping[str, str]) -> RenderedTemplate:
    """Validate ``params`` against the schema, then render every section in the sandbox.

    ``parties`` maps the coalition's party codes to names (party_list values must be among them).
    Bad parameters raise InvalidInputError listing each field; a body the sandbox refuses raises
    InvalidInputError with code ``template_unsafe`` (``template_render_failed`` for an ordinary
    rendering mistake such as a filter given the wrong kind of value).
    """
    values = validate_params(template.parameters, params, parties)
    sections = []
    for section in template.sections:
        try:
            check_body(section.body, template.parameters)
            body = render_body(section.body, values, parties=parties)
        except BodyError as exc:
            where = f" (line {exc.lineno} of the body)" if exc.lineno else ""
            raise InvalidInputError(
                f"template '{template.id}' section '{section.id}'{where}: {exc.reason}",
                code="template_unsafe" if exc.unsafe else "template_render_failed",
                field=f"sections.{section.id}",
            ) from None
        sections.append(RenderedSection(section.id, section.heading, body.strip(), section.marking))
    return RenderedTemplate(template.id, template.version, template.digest, MappingProxyType(values), tuple(sections))

"""Crisis templates: loading, parameter schemas, sandboxed rendering, pre-signatures.

- :mod:`.template`: :class:`CrisisTemplate`, :func:`load_template`, :func:`load_templates`,
  :func:`check_ladder_templates`, markings and kinds
- :mod:`.schema`: parameter types and the validation of parameter values
- :mod:`.sandbox`: the static check and the sandboxed Jinja environment for section bodies
- :mod:`.rendering`: :func:`render` and :class:`RenderedTemplate`
- :mod:`.presignature`: :func:`presignature_object` and :func:`presignature_covers`
"""

from .presignature import PRESIGNATURE_TYPE, PresignatureRefusal, presignature_covers, presignature_object
from .rendering import RenderedSection, RenderedTemplate, render
from .sandbox import SECTION_OUTPUT_LIMIT, escape_markdown
from .schema import Parameter, ParameterType, ParamValue, validate_params
from .template import (
    CrisisTemplate,
    Marking,
    Section,
    TemplateKind,
    check_ladder_templates,
    load_template,
    load_templates,
)

__all__ = [
    "PRESIGNATURE_TYPE",
    "SECTION_OUTPUT_LIMIT",
    "CrisisTemplate",
    "Marking",
    "ParamValue",
    "Parameter",
    "ParameterType",
    "PresignatureRefusal",
    "RenderedSection",
    "RenderedTemplate",
    "Section",
    "TemplateKind",
    "check_ladder_templates",
    "escape_markdown",
    "load_template",
    "load_templates",
    "presignature_covers",
    "presignature_object",
    "render",
    "validate_params",
]

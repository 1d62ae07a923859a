"""What an export contains, and how every export is written.

Three conventions share one selection rule (:func:`select`): the designations the viewer may
see (a ``keep`` callable, or a list the caller already filtered through :mod:`entente.disclosure`),
without confidential evidence unless ``include_evidence`` is set, and then only the evidence items
whose markings the ``viewer`` may see. Exports are deterministic: the same designations and
``generated_at`` give the same bytes, UTF-8, with every name exactly as entered and signed (original
script, and the Latin transliteration only when the designation gives one).

- :func:`entente.sanctions.eu_fsf.export_eu_xml`: the EU Financial Sanctions Files structure
- :func:`entente.sanctions.ofac_sdn.export_ofac_xml`: the OFAC SDN list structure
- :func:`entente.sanctions.flat_csv.export_csv`: one row per designation (and its reader,
  :func:`entente.sanctions.imports.import_csv`)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from ..disclosure import Viewer, visible
from .model import Designation
from .parts import Name, NameForm

__all__ = ["DEFAULT_PROGRAMME", "Keep", "select", "sub", "written_forms", "xml_bytes"]

#: The programme (sanctions regime) code written into the XML exports unless another is given.
DEFAULT_PROGRAMME = "CYBER"

Keep = Callable[[Designation], bool]


def select(
    designations: Iterable[Designation],
    *,
    keep: Keep | None = None,
    include_evidence: bool = False,
    viewer: Viewer | None = None,
) -> list[Designation]:
    """The designations to export, in the order given, with evidence as the flags say."""
    chosen = [d for d in designations if keep is None or keep(d)]
    if not include_evidence:
        return [d.without_evidence() if d.evidence or any(p.reason for p in d.parties) else d for d in chosen]
    if viewer is None:
        return chosen
    out = []
    for designation in chosen:
        shown = tuple(visible(designation.evidence, viewer, lambda e: e.marking, admitted=True))
        out.append(designation if shown == designation.evidence else designation.evolve(evidence=shown, bump=False))
    return out


def xml_bytes(root: ET.Element) -> bytes:
    """Indented UTF-8 XML with a declaration; characters outside ASCII are written as themselves."""
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """A child element; attributes keep the order given (the byte output is deterministic)."""
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def written_forms(name: Name) -> list[NameForm]:
    """How a name is written, exactly as entered and signed: the original, then the transliteration given.

    A sanctions file is a legal text: no export adds a machine transliteration nobody signed (the
    drafter is offered one as a suggestion, :meth:`Designation.transliteration_suggestions`).
    """
    return list(name.forms())

"""Pre-signatures: what a party signs in advance so that a crisis template can speak for it.

A party signs :func:`presignature_object` (canonical bytes, via :mod:`entente.signing`): the template's
id, version and digest, its parameter schema, the tiers at which it may be used, and a validity
window. Later, a communiqué version that is an unedited rendering of that template, at a covered
tier and inside the window, counts as that party's sign-off. :func:`presignature_covers` answers
the non-cryptographic half of that question; the signature itself is checked by :mod:`entente.signing`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from ..clock import check_instant, isoformat, parse_instant
from ..errors import InvalidInputError
from .template import CrisisTemplate

__all__ = ["PRESIGNATURE_TYPE", "PresignatureRefusal", "presignature_covers", "presignature_object"]

PRESIGNATURE_TYPE = "entente-template-presignature"


class PresignatureRefusal(StrEnum):
    """Why a pre-signature does not cover a use of a template."""

    MALFORMED = "malformed"
    TEMPLATE_DIGEST_MISMATCH = "template_digest_mismatch"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    TIER_NOT_ALLOWED = "tier_not_allowed"


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError("must be a datetime", code="instant_invalid", field=name)
    return check_instant(value, field=name)


def presignature_object(
    template: CrisisTemplate, *, party: str, tiers: list[int], not_before: datetime, not_after: datetime
) -> dict[str, Any]:
    """The object a party signs in advance; refuses tiers the template lacks and empty windows."""
    if not isinstance(party, str) or not party:
        raise InvalidInputError("must be a party code", field="party")
    if not tiers or not all(type(t) is int for t in tiers):
        raise InvalidInputError("must list at least one tier", field="tiers")
    outside = sorted(set(tiers) - set(template.tiers))
    if outside:
        raise InvalidInputError(
            f"tier(s) {', '.join(map(str, outside))} not among the template's tiers "
            f"({', '.join(map(str, template.tiers))})",
            field="tiers",
        )
    start, end = _aware(not_before, "not_before"), _aware(not_after, "not_after")
    if end <= start:
        raise InvalidInputError("must be after not_before", field="not_after")
    return {
        "type": PRESIGNATURE_TYPE,
        "template": {"id": template.id, "version": template.version, "digest": template.digest},
        "parameters": template.schema(),
        "tiers": sorted(set(tiers)),
        "party": party,
        "not_before": isoformat(start),
        "not_after": isoformat(end),
    }


def presignature_covers(obj: Any, template: CrisisTemplate, tier: int, at: datetime) -> str | None:
    """None when ``obj`` covers using ``template`` at ``tier`` at instant ``at``, else the reason.

    Reasons, checked in this order: ``malformed``, ``template_digest_mismatch`` (another template,
    version, text or schema), ``not_yet_valid``, ``expired`` (the window is [not_before, not_after)),
    ``tier_not_allowed``.
    """
    at = _aware(at, "at")
    try:
        if obj["type"] != PRESIGNATURE_TYPE:
            return PresignatureRefusal.MALFORMED
        start = parse_instant(obj["not_before"])
        end = parse_instant(obj["not_after"])
        signed_template, schema, tiers = obj["template"], obj["parameters"], obj["tiers"]
        if not isinstance(tiers, list):
            return PresignatureRefusal.MALFORMED
        reference = (signed_template["id"], signed_template["version"], signed_template["digest"])
    except (KeyError, TypeError, ValueError):
        return PresignatureRefusal.MALFORMED
    if reference != (template.id, template.version, template.digest) or schema != template.schema():
        return PresignatureRefusal.TEMPLATE_DIGEST_MISMATCH
    if at < start:
        return PresignatureRefusal.NOT_YET_VALID
    if at >= end:
        return PresignatureRefusal.EXPIRED
    if tier not in tiers:
        return PresignatureRefusal.TIER_NOT_ALLOWED
    return None

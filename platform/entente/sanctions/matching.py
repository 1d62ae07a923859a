"""Probable duplicates: does a new designation match one that exists already?

:func:`find_matches` compares a candidate with existing designations and returns each probable
match with a score from 0 to 100 and the reasons, in words a drafter can check:

=====================================================================  =====
signal                                                                 score
=====================================================================  =====
same identity document (type, issuing country, number normalised)      100
same registration number (type, country, number normalised)            100
names equal after transliteration and normalisation                     80
  (through a weak alias: 60)
one name's words all among the other's (a missing patronymic)           60
names that sound alike (consonant skeletons)                            40
same day of birth                                                      +15
dates of birth that may be the same (partial dates, circa, spans)      +10
dates of birth on both sides that cannot be the same                   -30
=====================================================================  =====

The best identifier or name signal counts, adjusted by the dates of birth; names only match
between two persons or two entities. Matches scoring at least :data:`MATCH_THRESHOLD` are returned.
A score of :data:`DUPLICATE_SCORE` or more means the same subject: a shared identifier, or equal
names with the same day of birth. :func:`require_no_duplicate_in_package` refuses a package that
lists one subject twice; lesser matches are warnings the drafter links or confirms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import ConflictError
from .model import Designation
from .names import name_keys, name_tokens, sound_keys, token_subset
from .parts import AliasType, Name, SubjectType

__all__ = ["DUPLICATE_SCORE", "MATCH_THRESHOLD", "Match", "find_matches", "match", "require_no_duplicate_in_package"]

MATCH_THRESHOLD = 50
DUPLICATE_SCORE = 95


@dataclass(frozen=True)
class Match:
    """``existing_id`` probably names the same subject as the candidate; ``score`` 0..100."""

    existing_id: str
    score: int
    reasons: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {"existing_id": self.existing_id, "score": self.score, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class _Form:
    text: str
    weak: bool
    tokens: tuple[str, ...]
    keys: frozenset[str]
    sounds: frozenset[str]


def _forms(designation: Designation) -> list[_Form]:
    entity = designation.subject_type is SubjectType.ENTITY
    out = []
    for _, name, alias_type in designation.named_forms():
        for text in _texts(name):
            out.append(
                _Form(
                    text=text,
                    weak=alias_type is AliasType.WEAK,
                    tokens=name_tokens(text, entity=entity),
                    keys=name_keys(text, entity=entity),
                    sounds=sound_keys(text, entity=entity),
                )
            )
    return out


def _texts(name: Name) -> list[str]:
    texts = [form.whole_name for form in name.forms()]
    for form in name.forms():
        parts = [p for p in (form.first_name, form.middle_name, form.last_name) if p]
        if len(parts) >= 2:
            texts.append(" ".join(parts))
    return list(dict.fromkeys(texts))


def _name_signal(candidate: list[_Form], existing: list[_Form]) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for a in candidate:
        for b in existing:
            weak = a.weak or b.weak
            if a.keys & b.keys:
                score, how = (60, "names match through a weak alias") if weak else (80, "names match")
                found = (score, f"{how} after transliteration and normalisation: {a.text!r} ~ {b.text!r}")
            elif token_subset(a.tokens, b.tokens):
                found = (60 if not weak else 45, f"one name holds all the words of the other: {a.text!r} ~ {b.text!r}")
            elif a.sounds & b.sounds:
                found = (40, f"names sound alike: {a.text!r} ~ {b.text!r}")
            else:
                continue
            if best is None or found[0] > best[0]:
                best = found
    return best


def _identifier_signals(candidate: Designation, existing: Designation) -> list[str]:
    reasons = []
    theirs = {doc.key: doc for doc in existing.documents}
    for doc in candidate.documents:
        if doc.key in theirs:
            reasons.append(
                f"same {doc.type.value.replace('_', ' ')} number {doc.number} issued by {doc.country}"
                + (f" (listed as {theirs[doc.key].number})" if theirs[doc.key].number != doc.number else "")
            )
    registered = {reg.key for reg in existing.registrations}
    for reg in candidate.registrations:
        if reg.key in registered:
            where = f" ({reg.country})" if reg.country else ""
            reasons.append(f"same {reg.type.value.replace('_', ' ')} {reg.number}{where}")
    return reasons


def _birth_signal(candidate: Designation, existing: Designation) -> tuple[int, str] | None:
    if not (candidate.dates_of_birth and existing.dates_of_birth):
        return None
    pairs = [(a, b) for a in candidate.dates_of_birth for b in existing.dates_of_birth]
    for a, b in pairs:
        if a.same_day(b):
            return 15, f"same date of birth {a.normalised}"
    for a, b in pairs:
        if a.overlaps(b):
            return 10, f"dates of birth may be the same: {a.text!r} ~ {b.text!r}"
    shown_a = ", ".join(d.text for d in candidate.dates_of_birth)
    shown_b = ", ".join(d.text for d in existing.dates_of_birth)
    return -30, f"dates of birth differ: {shown_a} / {shown_b}"


def match(candidate: Designation, existing: Designation) -> Match | None:
    """The match between two designations, whatever its score (None when nothing matches at all)."""
    reasons: list[str] = []
    score = 0
    identifiers = _identifier_signals(candidate, existing)
    if identifiers:
        score, reasons = 100, identifiers
    if candidate.subject_type is existing.subject_type:
        named = _name_signal(_forms(candidate), _forms(existing))
        if named is not None:
            score = max(score, named[0])
            reasons.append(named[1])
    if not reasons:
        return None
    born = _birth_signal(candidate, existing)
    if born is not None:
        score += born[0]
        reasons.append(born[1])
    return Match(existing_id=existing.id, score=max(0, min(100, score)), reasons=tuple(reasons))


def find_matches(
    candidate: Designation, existing: Iterable[Designation], *, threshold: int = MATCH_THRESHOLD
) -> list[Match]:
    """Existing designations that probably name the candidate's subject, best first (ties by id).

    Versions of the candidate itself (same id) are skipped.
    """
    found = [m for other in existing if other.id != candidate.id and (m := match(candidate, other)) is not None]
    return sorted((m for m in found if m.score >= threshold), key=lambda m: (-m.score, m.existing_id))


def require_no_duplicate_in_package(designations: Sequence[Designation]) -> None:
    """Refuse a package that lists one subject twice: the same id, or a match of DUPLICATE_SCORE or more."""
    seen: dict[str, int] = {}
    for index, designation in enumerate(designations):
        if designation.id in seen:
            raise ConflictError(
                f"designation {designation.id} is listed twice in this package",
                code="duplicate_designation",
                field=f"/{index}",
                extra={"first": designation.id, "second": designation.id},
            )
        seen[designation.id] = index
    for i, first in enumerate(designations):
        for j in range(i + 1, len(designations)):
            second = designations[j]
            found = match(second, first)
            if found is not None and found.score >= DUPLICATE_SCORE:
                raise ConflictError(
                    f"{second.id} ({second.display_name}) and {first.id} ({first.display_name}) are the same "
                    f"subject: {'; '.join(found.reasons)}",
                    code="duplicate_designation",
                    field=f"/{j}",
                    extra={"first": first.id, "second": second.id, "reasons": list(found.reasons)},
                )

"""The life of a designation after release, as pure functions over immutable versions.

A designation takes effect at its package's release instant and is time-limited: its review date
(the ladder tier's ``review_days`` after the effective instant) is also its expiry. Before then the
partners renew it (a new review date), amend it (typically the statement of reasons, rewritten at
review) or lift it. Each step returns a NEW version (``version`` + 1, ``version_at`` = the instant
of the step); nothing is mutated or deleted, so a designation's history (all its versions) answers
what was in force at any instant (:func:`in_force`):

- the version that applied at ``t`` is the latest whose ``version_at`` is at or before ``t``;
- it was in force when it had taken effect, had not reached its review date, and was not lifted.

A designation not renewed by its review date lapses; renewing it later restores it from the
renewal instant (the gap stays in the history).

On the server every step happens at a package's release instant: a released package is never
edited, so a designation in force is renewed, amended or lifted by a *successor* package that
carries it with a :class:`~.parts.ReviewStep` (or rewritten content) and takes effect when that
package is released. :func:`release_record` folds a chain of released packages into histories.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..clock import check_instant, isoformat
from ..errors import ConflictError, InvalidInputError
from ..ladder import Measure, Tier
from .model import STATE, Designation
from .parts import ReviewStep

__all__ = [
    "DEFAULT_REVIEW_NOTICE",
    "amend",
    "check_measures",
    "due_for_review",
    "in_force",
    "in_force_on",
    "is_in_force",
    "lift",
    "next_version",
    "release_record",
    "require_active",
    "released",
    "renew",
    "review_date",
    "standing_of",
    "take_effect",
    "version_at",
]

#: How far ahead :func:`due_for_review` looks by default.
DEFAULT_REVIEW_NOTICE = timedelta(days=30)

#: Members a lifecycle step owns; :func:`amend` refuses to change them.
_LIFECYCLE_FIELDS = frozenset({"id", "subject_type", "proposed_by", *STATE})


def _aware(instant: datetime, field: str = "at") -> datetime:
    """``instant`` in UTC; InvalidInputError for a naive datetime or anything else."""
    if not isinstance(instant, datetime):
        raise InvalidInputError("an instant carries its UTC offset", code="instant_invalid", field=field)
    return check_instant(instant, field=field)


def check_measures(designation: Designation, allowed: Tier | Iterable[Measure], *, tier: int | None = None) -> None:
    """Refuse measures the ladder does not allow at the incident's tier (InvalidInputError listing each)."""
    if isinstance(allowed, Tier):
        tier, permitted = allowed.number, frozenset(allowed.measures)
    else:
        permitted = frozenset(allowed)
    where = f"at tier {tier}" if tier is not None else "here"
    errors = [
        {"field": f"/measures/{index}", "reason": f"measure not allowed {where}", "measure": measure.value}
        for index, measure in enumerate(designation.measures)
        if measure not in permitted
    ]
    if errors:
        shown = ", ".join(e["measure"] for e in errors)
        allowed_text = ", ".join(sorted(m.value for m in permitted)) or "none"
        raise InvalidInputError(
            f"measure not allowed {where}: {shown} (allowed: {allowed_text})",
            code="measure_not_allowed",
            field=errors[0]["field"],
            extra={"errors": errors, "tier": tier, "allowed": sorted(m.value for m in permitted)},
        )


def review_date(effective_at: datetime, review_days: int) -> datetime:
    """The review (and expiry) instant: ``review_days`` after the effective instant."""
    if isinstance(review_days, bool) or not isinstance(review_days, int) or review_days < 1:
        raise InvalidInputError("the review period is a positive number of days", field="review_days")
    return _aware(effective_at) + timedelta(days=review_days)


def next_version(designation: Designation, *, at: datetime, **changes: Any) -> Designation:
    """The next version, made at ``at`` (never before the version it follows)."""
    at = _aware(at)
    if designation.version_at is not None and at < designation.version_at:
        raise ConflictError(
            f"a new version cannot predate version {designation.version} ({isoformat(designation.version_at)})",
            code="version_out_of_order",
        )
    return designation.evolve(version_at=at, **changes)


def require_active(designation: Designation, step: str) -> None:
    """Only a designation that took effect and is not lifted is renewed, amended or lifted."""
    if designation.effective_at is None:
        raise ConflictError(
            f"only a designation in effect can be {step}; this one has not taken effect "
            "(it does when its package is released)",
            code="designation_not_effective",
        )
    if designation.lifted_at is not None:
        raise ConflictError(
            f"this designation was lifted at {isoformat(designation.lifted_at)}; it cannot be {step}",
            code="designation_lifted",
        )


def take_effect(designation: Designation, *, at: datetime, review_days: int) -> Designation:
    """The designation takes effect at the package's release instant ``at``, reviewed ``review_days`` later."""
    if designation.effective_at is not None:
        raise ConflictError(
            f"this designation took effect at {isoformat(designation.effective_at)}", code="designation_effective"
        )
    at = _aware(at)
    return next_version(designation, at=at, effective_at=at, review_at=review_date(at, review_days))


def renew(designation: Designation, *, at: datetime, review_days: int) -> Designation:
    """Renew for another period: from the current review date, or from ``at`` if it had lapsed."""
    require_active(designation, "renewed")
    assert designation.review_at is not None
    at = _aware(at)
    start = designation.review_at if at <= designation.review_at else at
    return next_version(designation, at=at, review_at=review_date(start, review_days))


def amend(designation: Designation, *, at: datetime, reasons: str | None = None, **changes: Any) -> Designation:
    """Amend a designation in effect: new ``reasons`` (and any other content changes) as a new version."""
    require_active(designation, "amended")
    owned = sorted(set(changes) & _LIFECYCLE_FIELDS)
    if owned:
        raise InvalidInputError(f"{owned[0]} is not changed by an amendment", field=f"/{owned[0]}")
    unknown = sorted(set(changes) - set(Designation.model_fields))
    if unknown:
        raise InvalidInputError(f"a designation has no member {unknown[0]!r}", field=f"/{unknown[0]}")
    if reasons is not None:
        changes["reasons"] = reasons
    if not changes:
        raise InvalidInputError("an amendment changes something", field="/reasons")
    return next_version(designation, at=at, **changes)


def lift(designation: Designation, *, at: datetime) -> Designation:
    """Lift the designation for the coalition at ``at`` (a new version; the history keeps the rest)."""
    require_active(designation, "lifted")
    at = _aware(at)
    assert designation.effective_at is not None
    if at < designation.effective_at:
        raise InvalidInputError("a designation is lifted only after it took effect", field="/lifted_at")
    return next_version(designation, at=at, lifted_at=at)


def is_in_force(designation: Designation, at: datetime) -> bool:
    """True when this version, taken alone, was in force at ``at``."""
    at = _aware(at)
    return (
        designation.effective_at is not None
        and designation.effective_at <= at
        and (designation.review_at is None or at < designation.review_at)
        and (designation.lifted_at is None or at < designation.lifted_at)
    )


def _check_history(history: Sequence[Designation]) -> list[Designation]:
    ids = {d.id for d in history}
    if len(ids) > 1:
        raise InvalidInputError(f"a history holds versions of one designation, not {sorted(ids)}", field="history")
    ordered = sorted(history, key=lambda d: d.version)
    numbers = [d.version for d in ordered]
    if len(set(numbers)) != len(numbers):
        raise InvalidInputError("a history lists a version twice", field="history")
    return ordered


def version_at(history: Sequence[Designation], at: datetime) -> Designation | None:
    """The version that applied at ``at``: the latest made at or before it (None before the first)."""
    at = _aware(at)
    current = None
    for version in _check_history(history):
        if version.version_at is not None and version.version_at <= at:
            current = version
    return current


def in_force(history: Sequence[Designation], at: datetime) -> Designation | None:
    """The version of this designation in force at ``at``, or None if it was not in force then."""
    current = version_at(history, at)
    return current if current is not None and is_in_force(current, at) else None


def in_force_on(histories: Iterable[Sequence[Designation]], at: datetime) -> list[Designation]:
    """What was in force at ``at`` across a package's designations, ordered by id."""
    found = (in_force(history, at) for history in histories)
    return sorted((d for d in found if d is not None), key=lambda d: d.id)


def due_for_review(
    designations: Iterable[Designation], now: datetime, *, within: timedelta = DEFAULT_REVIEW_NOTICE
) -> list[Designation]:
    """Designations in effect whose review date is before ``now + within`` (overdue ones too), soonest first."""
    horizon = _aware(now) + within
    due = [
        d
        for d in designations
        if d.effective_at is not None and d.lifted_at is None and d.review_at is not None and d.review_at <= horizon
    ]
    return sorted(due, key=lambda d: (d.review_at, d.id))


def _same_content(a: Designation, b: Designation) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in Designation.model_fields if name not in STATE)


#: The instants of a designation version: made, took effect, to be reviewed, lifted.
_INSTANTS = ("version_at", "effective_at", "review_at", "lifted_at")


def standing_of(content: Designation, standing: Designation | None, **changes: Any) -> Designation:
    """``content`` (not a new version) with no review step and the instants of ``standing`` (none
    when None): what it stands as once released."""
    instants = {name: getattr(standing, name) if standing is not None else None for name in _INSTANTS}
    return content.evolve(bump=False, step=None, **instants, **changes)


def released(
    previous: Designation | None, carried: Designation, *, at: datetime, review_days: int
) -> Designation | None:
    """What the release at ``at`` of a package holding ``carried`` made of the designation, given the
    version ``previous`` in the record (None: first released now). None when it changed nothing.

    New: it takes effect at ``at``. Carried with :attr:`ReviewStep.RENEW` or ``LIFT``: renewed or lifted
    at ``at``. Carried with other content (reasons rewritten, a party's position): amended at ``at``.
    """
    content = standing_of(carried, None)
    if previous is None:
        return content.evolve(
            bump=False, version=1, version_at=at, effective_at=at, review_at=review_date(at, review_days)
        )
    current = standing_of(content, previous, version=previous.version)
    if carried.step is ReviewStep.RENEW:
        return renew(current, at=at, review_days=review_days)
    if carried.step is ReviewStep.LIFT:
        return lift(current, at=at)
    if _same_content(current, previous):
        return None
    return next_version(current, at=at)


def release_record(
    releases: Iterable[tuple[datetime, Sequence[Designation]]], *, review_days: int
) -> dict[str, list[Designation]]:
    """The in-force record of a chain of released packages, ``(release instant, designations)`` each:
    every designation's versions as the releases made them, oldest first (see :func:`in_force`)."""
    histories: dict[str, list[Designation]] = {}
    for at, designations in sorted(releases, key=lambda r: _aware(r[0])):
        for carried in designations:
            history = histories.setdefault(carried.id, [])
            made = released(history[-1] if history else None, carried, at=_aware(at), review_days=review_days)
            if made is not None:
                history.append(made)
    return histories

"""What drafters and parties do to a sanctions package; each step saves one new communiqué version.

- :func:`add_designation` / :func:`update_designation` (measures, duplicates, confirm)
- :func:`record_adoption` (adopt with the legal act / decline with a reason / lift, per party)
- :func:`review_designation` (renew, lift, keep or amend): in a successor package, what its release
  does to a designation in effect (:mod:`.chains`, :mod:`.lifecycle`)
- :func:`import_designations` (a flat CSV, all or nothing)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entente import drafting
from entente.auth import Caller
from entente.disclosure import Marking
from entente.errors import ConflictError, InvalidInputError, PermissionDeniedError
from entente.ladder import Ladder

from . import adoption, lifecycle
from .annex import LinkKey, PlacedDesignation
from .chains import chain_ids, require_not_frozen
from .imports import import_csv
from .matching import require_no_duplicate_in_package
from .model import STANDING, Designation
from .packages import (
    Package,
    check_designation,
    find_designation,
    get_package,
    link_marking,
    package_designations,
    require_adopter,
    save_designations,
)
from .parts import AdoptionState, ReviewStep

__all__ = [
    "add_designation",
    "import_designations",
    "record_adoption",
    "review_designation",
    "REVIEW_ACTIONS",
    "update_designation",
]


def _marking(given: Mapping[str, Any] | None, author: str) -> Marking | None:
    if given is None:
        return None
    return Marking.from_dict(dict(given), author=author, field="/marking")


async def _others(session: AsyncSession, caller: Caller, package: Package) -> list[tuple[Package, PlacedDesignation]]:
    """Designations of the caller's packages, for duplicate checks; one that another package of this
    package's chain carries under an id this package holds is the same designation, not a duplicate."""
    chain = set(await chain_ids(session, package.id))
    present = {p.designation.id for p in package.designations}
    return [
        (other, placed)
        for other, placed in await package_designations(session, caller)
        if not (other.id != package.id and other.id in chain and placed.designation.id in present)
    ]


async def _check(
    session: AsyncSession, package: Package, designation: Designation, *, caller: Caller, ladder: Ladder, confirm: bool
) -> dict[LinkKey, Marking]:
    """:func:`check_designation` against the caller's packages; the markings of the designation's links."""
    found = await _others(session, caller, package)
    others = [(other.id, placed.designation) for other, placed in found]
    check_designation(package, designation, ladder=ladder, others=others, confirm=confirm)
    index = {(other.id, placed.designation.id): (other, placed) for other, placed in found}
    return {
        (link.package, link.designation): link_marking(
            package, *index[(link.package, link.designation)], author=caller.party
        )
        for link in designation.same_as
    }


async def _editable(session: AsyncSession, package_id: int, caller: Caller) -> Package:
    package = await get_package(session, package_id, caller, lock=True)
    if not caller.has_role(*drafting.EDIT_ROLES):
        raise PermissionDeniedError("editing designations needs the drafter role", code="role_required")
    require_not_frozen(package)
    return package


async def _write(
    session: AsyncSession,
    package: Package,
    designation: Designation,
    marking: Marking | None,
    *,
    caller: Caller,
    confirm: bool,
    now: datetime,
    ladder: Ladder,
    max_sections: int,
    event: str,
) -> Package:
    """Check ``designation`` (and its links) and save it as a new package version."""
    links = await _check(session, package, designation, caller=caller, ladder=ladder, confirm=confirm)
    return await save_designations(
        session,
        package,
        caller=caller,
        changed=[(designation, marking)],
        now=now,
        max_sections=max_sections,
        event=event,
        links=links,
    )


def _editable_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """What an editor sends, without the members only releases set."""
    return {name: value for name, value in content.items() if name not in STANDING}


async def add_designation(
    session: AsyncSession,
    *,
    package_id: int,
    caller: Caller,
    content: Mapping[str, Any],
    marking: Mapping[str, Any] | None,
    confirm: bool,
    now: datetime,
    ladder: Ladder,
    max_sections: int,
) -> Package:
    """Add a designation (version 1, proposed by the caller's party) as a new package version."""
    package = await _editable(session, package_id, caller)
    values = {"proposed_by": caller.party} | _editable_content(content) | {"version": 1, "version_at": now.isoformat()}
    designation = Designation.from_annex_content(values)
    if find_designation(package.designations, designation.id) is not None:
        raise ConflictError(
            f"designation {designation.id} is already in this package",
            code="duplicate_designation",
            field="/designation/id",
        )
    chosen = _marking(marking, caller.party) or Marking.everyone()
    return await _write(
        session,
        package,
        designation,
        chosen,
        caller=caller,
        confirm=confirm,
        now=now,
        ladder=ladder,
        max_sections=max_sections,
        event="add",
    )


async def update_designation(
    session: AsyncSession,
    *,
    package_id: int,
    designation_id: str,
    caller: Caller,
    content: Mapping[str, Any],
    marking: Mapping[str, Any] | None,
    confirm: bool,
    now: datetime,
    ladder: Ladder,
    max_sections: int,
) -> Package:
    """Replace a designation's content (its id, lifecycle instants and parties' positions are kept)."""
    package = await _editable(session, package_id, caller)
    old = package.get(designation_id).designation
    values = _editable_content(content) | {
        "id": old.id,
        "proposed_by": old.proposed_by,
        "version": old.version + 1,
        "version_at": now.isoformat(),
        "parties": [p.model_dump(mode="json", exclude_none=True) for p in old.parties],
        **old.model_dump(mode="json", include=set(STANDING), exclude_none=True),
    }
    return await _write(
        session,
        package,
        Designation.from_annex_content(values),
        _marking(marking, caller.party),
        caller=caller,
        confirm=confirm,
        now=now,
        ladder=ladder,
        max_sections=max_sections,
        event="update",
    )


async def record_adoption(
    session: AsyncSession,
    *,
    package_id: int,
    designation_id: str,
    caller: Caller,
    party: str,
    state: AdoptionState,
    legal_act: str | None,
    legal_basis: str | None,
    reason: str | None,
    on: date | None,
    now: datetime,
    max_sections: int,
    reason_marking: Mapping[str, Any] | None = None,
) -> Package:
    """``party`` adopts (with ``legal_act``), declines (with ``reason``), lifts, or reconsiders (``proposed``).

    A reason for declining is the party's own text under ``reason_marking`` (``{"public": true}`` only
    when the party chooses; by default releasable to the package's participants; always to the party;
    never wider than the designation). A party that may not see the designation gets the
    NotFoundError a missing designation gets."""
    require_adopter(caller, party)
    package = await get_package(session, package_id, caller, lock=True)
    require_not_frozen(package)
    placed = package.get(designation_id)
    day = on or now.date()
    d, marking = placed.designation, placed.marking
    if state is AdoptionState.ADOPTED:
        if not legal_act:
            raise InvalidInputError("adopting names the legal act", code="legal_act_required", field="/legal_act")
        changed = adoption.adopt(
            d, party=party, legal_act=legal_act, on=day, at=now, legal_basis=legal_basis, marking=marking
        )
    elif state is AdoptionState.DECLINED:
        if not reason:
            raise InvalidInputError("declining gives a reason", code="reason_required", field="/reason")
        shown = _marking(reason_marking, party) or Marking.releasable_to(package.access.accepted_parties, author=party)
        changed = adoption.decline(
            d, party=party, on=day, reason=reason, at=now, marking=marking, reason_marking=shown
        )
    elif state is AdoptionState.LIFTED:
        changed = adoption.lift_for_party(d, party=party, on=day, at=now, marking=marking)
    else:
        changed = adoption.reconsider(d, party=party, at=now, marking=marking)
    return await save_designations(
        session, package, caller=caller, changed=[(changed, None)], now=now, max_sections=max_sections, event="adoption"
    )


#: What a successor package records for a designation in effect, each taking effect at its release:
#: the step it sets (``keep`` takes back a renewal or lifting), or, for ``amend``, rewritten reasons.
REVIEW_ACTIONS: dict[str, ReviewStep | None] = {
    "renew": ReviewStep.RENEW,
    "lift": ReviewStep.LIFT,
    "keep": None,
    "amend": None,
}


async def review_designation(
    session: AsyncSession,
    *,
    package_id: int,
    designation_id: str,
    caller: Caller,
    action: str,
    reasons: str | None = None,
    now: datetime,
    max_sections: int,
) -> Package:
    """In a successor package, record what its release does to a designation in effect: ``renew`` it for
    another review period (from the review date, or from the release if it had lapsed), ``lift`` it,
    ``keep`` it as it stood, or ``amend`` its statement of reasons."""
    if action not in REVIEW_ACTIONS:
        raise InvalidInputError(f"no review action {action[:20]!r}", code="invalid_action", field="/action")
    package = await _editable(session, package_id, caller)
    old = package.get(designation_id).designation
    lifecycle.require_active(old, {"renew": "renewed", "lift": "lifted", "keep": "kept", "amend": "amended"}[action])
    if action == "amend":
        if not reasons or not reasons.strip():
            raise InvalidInputError("an amendment rewrites the statement of reasons", field="/reasons")
        changes: dict[str, Any] = {"reasons": reasons}
    else:
        changes = {"step": REVIEW_ACTIONS[action]}
    d = old.evolve(version_at=now, **changes)
    return await save_designations(
        session, package, caller=caller, changed=[(d, None)], now=now, max_sections=max_sections, event=action
    )


async def import_designations(
    session: AsyncSession,
    *,
    package_id: int,
    caller: Caller,
    data: bytes,
    confirm: bool,
    now: datetime,
    ladder: Ladder,
    max_sections: int,
) -> Package:
    """Add every designation of a flat CSV, all or nothing (row and column for each error)."""
    package = await _editable(session, package_id, caller)
    imported = import_csv(data)
    present = {p.designation.id for p in package.designations}
    others = [(other.id, placed.designation) for other, placed in await _others(session, caller, package)]
    errors: list[dict[str, Any]] = []
    fresh: list[Designation] = []
    for row, designation in enumerate(imported, start=2):
        if designation.id in present:
            errors.append(
                {"row": row, "column": "id", "reason": f"designation {designation.id} is already in this package"}
            )
            continue
        d = designation.evolve(version=1, version_at=now, effective_at=None, review_at=None, lifted_at=None, bump=False)
        try:
            check_designation(package, d, ladder=ladder, others=others, confirm=confirm)
        except (InvalidInputError, ConflictError) as exc:
            errors.append({"row": row, "column": None, "reason": exc.detail, "code": exc.code, **exc.extra})
            continue
        fresh.append(d)
    if not errors:
        try:
            require_no_duplicate_in_package([p.designation for p in package.designations] + fresh)
        except ConflictError as exc:
            errors.append({"row": None, "column": None, "reason": exc.detail, "code": exc.code})
    if errors:
        raise InvalidInputError(
            f"{len(errors)} row{'s' if len(errors) > 1 else ''} cannot be imported; nothing was imported",
            code="import_invalid",
            field="",
            extra={"errors": errors},
        )
    return await save_designations(
        session,
        package,
        caller=caller,
        changed=[(d, None) for d in fresh],
        now=now,
        max_sections=max_sections,
        event="import",
        links={},
    )

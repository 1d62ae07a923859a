"""Each party's adoption of a designation under its own law, as pure state transitions.

::

    proposed --adopt--> adopted --lift--> lifted
        \\                 ^
         --decline--> declined (a party may adopt later, or reconsider: back to proposed)

Adopting needs the reference of the legal act and its date; declining a date and a reason, which
is the declining party's own text with its own marking (never public unless the party says so);
lifting is possible only after adopting, and keeps the adoption's act and date beside the lifting
date. Every step returns a new designation version (``version_at`` = the instant it was recorded);
a step the current state does not allow raises :class:`~entente.errors.ConflictError` (code
``adoption_transition``). When the designation's annex-item marking is given, a party that may not
see the designation gets the same :class:`~entente.errors.NotFoundError` as a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from ..disclosure import Marking, Viewer, require_visible
from ..errors import ConflictError
from .lifecycle import next_version
from .model import Designation, invalid_input
from .parts import AdoptionState, PartyPosition

__all__ = [
    "TRANSITIONS",
    "adopt",
    "decline",
    "lift_for_party",
    "propose_to",
    "reconsider",
    "set_legal_basis",
]

#: The states a party may move to from each state.
TRANSITIONS: Mapping[AdoptionState, frozenset[AdoptionState]] = MappingProxyType(
    {
        AdoptionState.PROPOSED: frozenset({AdoptionState.ADOPTED, AdoptionState.DECLINED}),
        AdoptionState.DECLINED: frozenset({AdoptionState.ADOPTED, AdoptionState.PROPOSED}),
        AdoptionState.ADOPTED: frozenset({AdoptionState.LIFTED}),
        AdoptionState.LIFTED: frozenset(),
    }
)


def _visible_to(party: str, marking: Marking | None) -> None:
    if marking is not None:
        require_visible(marking, Viewer(party=party), admitted=True, what="no such designation")


def _move(
    designation: Designation,
    *,
    party: str,
    to: AdoptionState,
    at: datetime,
    marking: Marking | None,
    fields: dict[str, Any],
) -> Designation:
    _visible_to(party, marking)
    current = designation.position(party) or PartyPosition(party=party)
    if to not in TRANSITIONS[current.state]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current.state])) or "nothing (final)"
        raise ConflictError(
            f"{party} cannot move this designation from {current.state.value} to {to.value} "
            f"(from {current.state.value}: {allowed})",
            code="adoption_transition",
            field="/parties",
            extra={"party": party, "state": current.state.value, "requested": to.value},
        )
    keep = {"party": party, "legal_basis": current.legal_basis, "state": to}
    if to is AdoptionState.LIFTED:
        keep |= {"legal_act": current.legal_act, "adopted_on": current.adopted_on}
    return _replace_position(designation, _position(designation, keep | fields), at=at)


def _position(designation: Designation, values: dict[str, Any]) -> PartyPosition:
    index = next((i for i, p in enumerate(designation.parties) if p.party == values["party"]), len(designation.parties))
    try:
        return PartyPosition.model_validate(values)
    except ValidationError as exc:
        raise invalid_input(exc, prefix=f"/parties/{index}") from None


def _replace_position(designation: Designation, position: PartyPosition, *, at: datetime) -> Designation:
    parties = tuple(position if p.party == position.party else p for p in designation.parties)
    if designation.position(position.party) is None:
        parties += (position,)
    return next_version(designation, at=at, parties=parties)


def propose_to(
    designation: Designation,
    *,
    party: str,
    at: datetime,
    legal_basis: str | None = None,
    marking: Marking | None = None,
) -> Designation:
    """Add ``party`` in the proposed state (ConflictError when it already has a position)."""
    _visible_to(party, marking)
    if designation.position(party) is not None:
        raise ConflictError(
            f"{party} already has a position on this designation", code="adoption_transition", field="/parties"
        )
    return _replace_position(designation, _position(designation, {"party": party, "legal_basis": legal_basis}), at=at)


def set_legal_basis(
    designation: Designation, *, party: str, legal_basis: str, at: datetime, marking: Marking | None = None
) -> Designation:
    """Record the legal basis ``party`` designates under (any state but lifted)."""
    _visible_to(party, marking)
    current = designation.position(party) or PartyPosition(party=party)
    if current.state is AdoptionState.LIFTED:
        raise ConflictError(f"{party} has lifted this designation", code="adoption_transition", field="/parties")
    values = dict(current) | {"legal_basis": legal_basis}
    return _replace_position(designation, _position(designation, values), at=at)


def adopt(
    designation: Designation,
    *,
    party: str,
    legal_act: str,
    on: date,
    at: datetime,
    legal_basis: str | None = None,
    marking: Marking | None = None,
) -> Designation:
    """``party`` adopted the designation by ``legal_act`` dated ``on``."""
    fields: dict[str, Any] = {"legal_act": legal_act, "adopted_on": on}
    if legal_basis is not None:
        fields["legal_basis"] = legal_basis
    return _move(designation, party=party, to=AdoptionState.ADOPTED, at=at, marking=marking, fields=fields)


def decline(
    designation: Designation,
    *,
    party: str,
    on: date,
    reason: str,
    at: datetime,
    marking: Marking | None = None,
    reason_marking: Marking | None = None,
) -> Designation:
    """``party`` declined to adopt, on ``on``, for ``reason``: its own text, releasable as
    ``reason_marking`` says (the party itself always included; by default the party only, the
    server's default being the package's participants, see ``operations.record_adoption``)."""
    shown = reason_marking or Marking.releasable_to((), author=party)
    if not shown.public:
        shown = Marking.releasable_to(shown.parties, author=party)
    return _move(
        designation,
        party=party,
        to=AdoptionState.DECLINED,
        at=at,
        marking=marking,
        fields={"declined_on": on, "reason": reason, "reason_marking": shown},
    )


def reconsider(designation: Designation, *, party: str, at: datetime, marking: Marking | None = None) -> Designation:
    """A party that declined puts the designation back to proposed."""
    return _move(designation, party=party, to=AdoptionState.PROPOSED, at=at, marking=marking, fields={})


def lift_for_party(
    designation: Designation, *, party: str, on: date, at: datetime, marking: Marking | None = None
) -> Designation:
    """``party`` lifted its adoption on ``on`` (only after adopting)."""
    return _move(designation, party=party, to=AdoptionState.LIFTED, at=at, marking=marking, fields={"lifted_on": on})

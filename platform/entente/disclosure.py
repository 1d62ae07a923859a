"""Markings, and the one function that decides what a viewer may see.

Every section, annex item, attachment, comment thread and evidence item carries a ``Marking``:
public, or releasable to a set of parties (the author's party always among them). TLP 2.0 labels
follow: ``TLP:CLEAR`` for public, ``TLP:AMBER`` for several named parties, ``TLP:RED`` for one.

``may_see`` is the only place a read path asks "may this viewer see this item?". Every list,
count, diff, search, PDF, feed and error goes through it (usually through ``visible``), and an
item a viewer may not see is answered exactly like one that does not exist (``require_visible``
raises the same ``NotFoundError``).

Two gates combine: the *container* gate (``admitted``: the viewer's party takes part and has
accepted, or the public at a time the release predicate says is released), decided by the domain
module that owns the container, and the item's own marking, decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from entente.errors import InvalidInputError, NotFoundError

T = TypeVar("T")

TLP_CLEAR = "TLP:CLEAR"
TLP_AMBER = "TLP:AMBER"
TLP_RED = "TLP:RED"


@dataclass(frozen=True)
class Marking:
    """Public, or releasable to ``parties`` only (never empty: the author's party is always there)."""

    public: bool
    parties: frozenset[str] = frozenset()

    @classmethod
    def everyone(cls) -> Marking:
        return cls(public=True)

    @classmethod
    def releasable_to(cls, parties: Iterable[str], *, author: str) -> Marking:
        return cls(public=False, parties=frozenset(parties) | {author})

    @property
    def tlp(self) -> str:
        if self.public:
            return TLP_CLEAR
        return TLP_RED if len(self.parties) == 1 else TLP_AMBER

    def widens(self, other: Marking) -> bool:
        """True when ``other`` reveals to someone this marking does not."""
        if self.public:
            return False
        return other.public or not other.parties <= self.parties

    def to_dict(self) -> dict[str, Any]:
        if self.public:
            return {"public": True, "tlp": self.tlp}
        return {"public": False, "releasable_to": sorted(self.parties), "tlp": self.tlp}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], *, author: str, field: str = "marking") -> Marking:
        """Read ``{"public": true}`` or ``{"releasable_to": [...]}`` (a ``tlp`` member is ignored)."""
        if not isinstance(value, Mapping):
            raise InvalidInputError("a marking is an object", field=field)
        unknown = set(value) - {"public", "releasable_to", "tlp"}
        if unknown:
            raise InvalidInputError(f"unknown marking member {sorted(unknown)[0]!r}", field=field)
        public = value.get("public", False)
        parties = value.get("releasable_to", [])
        if (
            not isinstance(public, bool)
            or not isinstance(parties, list)
            or not all(isinstance(p, str) for p in parties)
        ):
            raise InvalidInputError("public is true or false; releasable_to is a list of party codes", field=field)
        if public and parties:
            raise InvalidInputError("a public marking names no parties", field=field)
        if public:
            return cls.everyone()
        return cls.releasable_to(parties, author=author)


@dataclass(frozen=True)
class Viewer:
    """Who is reading: a user of ``party``, or the public (``party`` is None)."""

    party: str | None

    @classmethod
    def public(cls) -> Viewer:
        return cls(party=None)

    @property
    def is_public(self) -> bool:
        return self.party is None


def may_see(marking: Marking, viewer: Viewer, *, admitted: bool) -> bool:
    """The visibility rule: admitted to the container, and the marking covers the viewer."""
    if not admitted:
        return False
    if marking.public:
        return True
    return viewer.party is not None and viewer.party in marking.parties


def visible(items: Iterable[T], viewer: Viewer, marking_of: Callable[[T], Marking], *, admitted: bool) -> list[T]:
    """The items ``viewer`` may see, in their order."""
    return [item for item in items if may_see(marking_of(item), viewer, admitted=admitted)]


def require_visible(marking: Marking, viewer: Viewer, *, admitted: bool, what: str = "nothing here") -> None:
    """Raise the same ``NotFoundError`` a missing item raises, when the viewer may not see it."""
    if not may_see(marking, viewer, admitted=admitted):
        raise NotFoundError(what)

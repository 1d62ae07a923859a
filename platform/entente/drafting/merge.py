"""Three-way merge of ordered items (sections, annex items) against their common ancestor (pure).

``base`` is the version an editor started from, ``theirs`` what the communiqué holds now, ``yours``
what the editor sends. Per item (matched by id, compared by content):

- changed on one side only: that side wins; changed identically on both: fine;
- changed differently on both sides: ``edit_edit`` conflict;
- deleted on one side and changed on the other: ``edit_delete`` (theirs deleted) or
  ``delete_edit`` (you deleted) conflict; deleted on one side, untouched on the other: deleted;
- added on one side: kept, placed after its nearest predecessor that survives; added on both
  sides with the same id and different content: ``add_add`` conflict.

Order: when only one side reordered the items they share, its order wins and the other side's
additions are slotted in; when both reordered differently, an ``order`` conflict. A conflict never
produces a result: the caller reports it and saves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from entente.drafting.versions import Item

__all__ = ["Conflict", "MergeResult", "merge_items", "place_missing", "proposal"]


@dataclass(frozen=True)
class Conflict:
    part: str
    id: str | None
    kind: str
    base: Item | None = None
    theirs: Item | None = None
    yours: Item | None = None


@dataclass
class MergeResult:
    items: list[Item] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.conflicts


def place_missing(ordered: list[str], source: Sequence[str], missing: Iterable[str]) -> list[str]:
    """Insert each id of ``missing`` into ``ordered`` after its nearest predecessor in ``source``
    that ``ordered`` holds (at the start when there is none), keeping ``source``'s order."""
    result = list(ordered)
    wanted = set(missing)
    for index, item_id in enumerate(source):
        if item_id not in wanted or item_id in result:
            continue
        at = 0
        for previous in reversed(source[:index]):
            if previous in result:
                at = result.index(previous) + 1
                break
        result.insert(at, item_id)
    return result


def _content(items: Sequence[Item]) -> dict[str, Item]:
    return {item.id: item for item in items}


def _merge_one(item_id: str, b: Item | None, t: Item | None, y: Item | None) -> tuple[Item | None, Conflict | None]:
    part = (b or t or y).part  # type: ignore[union-attr]  # at least one side holds the id
    same = _same
    if b is None:
        if t is None or y is None or same(t, y):
            return t or y, None
        return None, Conflict(part, item_id, "add_add", None, t, y)
    if t is None and y is None:
        return None, None
    if t is None:
        return (None, None) if same(y, b) else (None, Conflict(part, item_id, "edit_delete", b, None, y))
    if y is None:
        return (None, None) if same(t, b) else (None, Conflict(part, item_id, "delete_edit", b, t, None))
    if same(t, b) or same(t, y):
        return y, None
    if same(y, b):
        return t, None
    return None, Conflict(part, item_id, "edit_edit", b, t, y)


def _same(a: Item | None, b: Item | None) -> bool:
    return a is not None and b is not None and a.content_hash == b.content_hash


def _order(base: list[str], theirs: list[str], yours: list[str], survivors: set[str]) -> list[str] | None:
    shared = set(base) & set(theirs) & set(yours) & survivors
    b = [i for i in base if i in shared]
    t = [i for i in theirs if i in shared]
    y = [i for i in yours if i in shared]
    if y == b or t == y:
        skeleton, other = [i for i in theirs if i in survivors], yours
    elif t == b:
        skeleton, other = [i for i in yours if i in survivors], theirs
    else:
        return None
    return place_missing(skeleton, other, survivors - set(skeleton))


def merge_items(base: Sequence[Item], theirs: Sequence[Item], yours: Sequence[Item]) -> MergeResult:
    """Merge ``yours`` into ``theirs`` against ``base``; see the module docstring for the rules."""
    b, t, y = _content(base), _content(theirs), _content(yours)
    merged: dict[str, Item] = {}
    result = MergeResult()
    ids = list(dict.fromkeys([*b, *t, *y]))
    for item_id in ids:
        item, conflict = _merge_one(item_id, b.get(item_id), t.get(item_id), y.get(item_id))
        if conflict is not None:
            result.conflicts.append(conflict)
        elif item is not None:
            merged[item_id] = item
    order = _order(list(b), list(t), list(y), set(merged))
    if order is None:
        part = (base or theirs or yours)[0].part
        result.conflicts.append(Conflict(part, None, "order"))
    if result.conflicts:
        return result
    assert order is not None
    result.items = [merged[item_id] for item_id in order]
    return result


def proposal(base: Sequence[Item], theirs: Sequence[Item], yours: Sequence[Item]) -> list[tuple[Item, bool]]:
    """What an editor should start from after a conflict: the merge where it succeeds, yours where
    both changed an item, theirs where you deleted what they edited. Each entry says whether it must
    be sent as a new item (``True``: its id is gone from ``theirs``)."""
    b, t, y = _content(base), _content(theirs), _content(yours)
    chosen: dict[str, Item] = {}
    fresh: set[str] = set()
    for item_id in dict.fromkeys([*b, *t, *y]):
        item, conflict = _merge_one(item_id, b.get(item_id), t.get(item_id), y.get(item_id))
        if conflict is None:
            if item is not None:
                chosen[item_id] = item
        elif conflict.kind == "delete_edit":
            chosen[item_id] = t[item_id]
        else:
            chosen[item_id] = y[item_id]
            if conflict.kind != "edit_edit":
                fresh.add(item_id)
    order = _order(list(b), list(t), list(y), set(chosen))
    if order is None:
        skeleton = [i for i in t if i in chosen]
        order = place_missing(skeleton, list(y), set(chosen) - set(skeleton))
    return [(chosen[item_id], item_id in fresh) for item_id in order]

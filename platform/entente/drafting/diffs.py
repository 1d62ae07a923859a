"""Differences between two versions, item by item, with word-level changes (pure).

The caller passes only the items the reader may see in each version (``disclosure.visible``), so a
section the reader cannot see in one of them looks added or removed, exactly as if it did not exist
there; nothing here can reveal that an invisible section changed.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from entente.disclosure import Marking
from entente.drafting.versions import Item

__all__ = ["ADDED", "CHANGED", "REMOVED", "UNCHANGED", "ItemDiff", "diff_items", "word_diff"]

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
EQUAL, DELETE, INSERT = "=", "-", "+"
_TOKEN = re.compile(r"\S+\s*|\s+")

Ops = list[list[str]]


def word_diff(before: str, after: str) -> Ops:
    """``[[op, text], ...]`` with op ``=``, ``-`` or ``+``; joining the ``=``/``-`` texts gives
    ``before`` back and the ``=``/``+`` texts give ``after``. A token is a word with the space
    after it (half as many tokens as words and spaces apart: difflib is quadratic)."""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    blocks: list[list[str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            blocks.append([EQUAL, "".join(a[i1:i2])])
        elif blocks and blocks[-1][0] == _CHANGE:
            blocks[-1][1] += "".join(a[i1:i2])
            blocks[-1][2] += "".join(b[j1:j2])
        else:
            blocks.append([_CHANGE, "".join(a[i1:i2]), "".join(b[j1:j2])])
    ops: Ops = []
    for block in _shift_whitespace(_fold_whitespace(_trim_common(blocks))):
        if block[0] == EQUAL:
            _push(ops, EQUAL, block[1])
        else:
            _push(ops, DELETE, block[1])
            _push(ops, INSERT, block[2])
    return ops


_CHANGE = "~"
_LEADING_SPACE = re.compile(r"\s+")


def _boundary(text: str, at: int) -> bool:
    """Whether ``at`` falls between words of ``text`` (or at an end)."""
    return at <= 0 or at >= len(text) or text[at - 1].isspace() or text[at].isspace()


def _trim_common(blocks: list[list[str]]) -> list[list[str]]:
    """ "-x +x y" reads "x[+ y]": a replacement's common start and end, cut at word boundaries,
    become unchanged text."""
    out: list[list[str]] = []
    for block in blocks:
        if block[0] != _CHANGE or not block[1] or not block[2]:
            out.append(block)
            continue
        old, new = block[1], block[2]
        start = len(os.path.commonprefix([old, new]))
        while start and not (_boundary(old, start) and _boundary(new, start)):
            start -= 1
        end = len(os.path.commonprefix([old[start:][::-1], new[start:][::-1]]))
        while end and not (_boundary(old, len(old) - end) and _boundary(new, len(new) - end)):
            end -= 1
        if start:
            out.append([EQUAL, old[:start]])
        out.append([_CHANGE, old[start : len(old) - end], new[start : len(new) - end]])
        if end:
            out.append([EQUAL, old[len(old) - end :]])
    return out


def _fold_whitespace(blocks: list[list[str]]) -> list[list[str]]:
    """A lone space between two changes joins them: "-We +FR = -condemn +edit" reads "-We condemn +FR edit"."""
    out: list[list[str]] = []
    for block in blocks:
        if (
            block[0] == _CHANGE
            and len(out) >= 2
            and out[-1][0] == EQUAL
            and out[-1][1].isspace()
            and out[-2][0] == _CHANGE
        ):
            space = out.pop()[1]
            out[-1][1] += space + block[1]
            out[-1][2] += space + block[2]
        else:
            out.append(block)
    return out


def _shift_whitespace(blocks: list[list[str]]) -> list[list[str]]:
    """A pure insertion or deletion that starts with the space the next unchanged run starts with is
    shifted by that space: "we[+ firmly] condemn" reads "we [+firmly ]condemn"."""
    index = 0
    while index < len(blocks):
        block = blocks[index]
        index += 1
        if block[0] != _CHANGE or index >= len(blocks) or blocks[index][0] != EQUAL:
            continue
        changed = [text for text in block[1:] if text]
        space = _LEADING_SPACE.match(changed[0]) if len(changed) == 1 else None
        following = blocks[index][1]
        if space is None or not following.startswith(space.group()):
            continue
        width = len(space.group())
        block[1:] = [text[width:] + space.group() if text else text for text in block[1:]]
        blocks[index][1] = following[width:]
        if index >= 2 and blocks[index - 2][0] == EQUAL:
            blocks[index - 2][1] += space.group()
        else:
            blocks.insert(index - 1, [EQUAL, space.group()])
            index += 1
    return blocks


def _push(ops: Ops, op: str, text: str) -> None:
    if not text:
        return
    if ops and ops[-1][0] == op:
        ops[-1][1] += text
    else:
        ops.append([op, text])


@dataclass(frozen=True)
class ItemDiff:
    id: str
    change: str
    heading: Ops | None = None
    body: Ops | None = None
    content: dict[str, Any] | None = None
    marking_from: Marking | None = None
    marking_to: Marking | None = None
    moved: bool = False


def _moved(before: Sequence[str], after: Sequence[str]) -> set[str]:
    """Ids of items present in both whose relative order changed (outside the longest common run)."""
    common = set(before) & set(after)
    a = [i for i in before if i in common]
    b = [i for i in after if i in common]
    kept: set[str] = set()
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        kept.update(a[block.a : block.a + block.size])
    return common - kept


def _text_ops(before: str, after: str) -> Ops:
    return [[EQUAL, after]] if before == after else word_diff(before, after)


def _item_diff(old: Item | None, new: Item | None, moved: bool) -> ItemDiff:
    if old is None:
        assert new is not None
        return ItemDiff(new.id, ADDED, marking_to=new.marking, **_whole(new, INSERT))
    if new is None:
        return ItemDiff(old.id, REMOVED, marking_from=old.marking, **_whole(old, DELETE))
    change = UNCHANGED if old.content_hash == new.content_hash else CHANGED
    if old.part == "annex":
        content = None if old.value == new.value else {"from": old.value, "to": new.value}
        return ItemDiff(new.id, change, content=content, marking_from=old.marking, marking_to=new.marking, moved=moved)
    return ItemDiff(
        new.id,
        change,
        heading=_text_ops(old.heading, new.heading),
        body=_text_ops(old.body, new.body),
        marking_from=old.marking,
        marking_to=new.marking,
        moved=moved,
    )


def _whole(item: Item, op: str) -> dict[str, Any]:
    if item.part == "annex":
        return {"content": {"from" if op == DELETE else "to": item.value}}
    return {"heading": [[op, item.heading]], "body": [[op, item.body]] if item.body else []}


def diff_items(before: Sequence[Item], after: Sequence[Item]) -> list[ItemDiff]:
    """One entry per item of either side: in ``after``'s order, removed items where they stood."""
    old = {item.id: item for item in before}
    new = {item.id: item for item in after}
    moved = _moved([i.id for i in before], [i.id for i in after])
    order = list(new)
    for index, item in enumerate(before):
        if item.id in new:
            continue
        at = 0
        for previous in reversed(before[:index]):
            if previous.id in order:
                at = order.index(previous.id) + 1
                break
        order.insert(at, item.id)
    return [_item_diff(old.get(i), new.get(i), i in moved) for i in order]

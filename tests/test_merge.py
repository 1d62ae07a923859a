"""Section-level three-way merge: the pure rules, a property over random edits, and many concurrent writers."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from entente.disclosure import Marking
from entente.drafting import Item, make_item, merge_items
from entente.drafting.diffs import word_diff
from tests.support.drafting import BASE, create, editable, head, if_match, section
from tests.support.examples import examples


def item(item_id: str, body: str = "", marking: Marking | None = None) -> Item:
    return make_item(
        "section", item_id, {"heading": item_id.upper(), "body": body}, marking or Marking.everyone(), "EE"
    )


def ids(result) -> list[str]:
    return [i.id for i in result.items]


def test_unchanged_side_takes_the_other_side() -> None:
    base = [item("a"), item("b")]
    theirs = [item("a", "edited"), item("b")]
    assert merge_items(base, theirs, base).items == theirs
    assert merge_items(base, base, theirs).items == theirs


def test_different_sections_edited_on_each_side_both_survive() -> None:
    base = [item("a"), item("b")]
    result = merge_items(base, [item("a", "A2"), item("b")], [item("a"), item("b", "B2")])
    assert [i.body for i in result.items] == ["A2", "B2"]


def test_same_section_edited_differently_is_an_edit_edit_conflict() -> None:
    base = [item("a", "1")]
    result = merge_items(base, [item("a", "2")], [item("a", "3")])
    assert not result.ok and result.items == []
    (conflict,) = result.conflicts
    assert (conflict.kind, conflict.base.body, conflict.theirs.body, conflict.yours.body) == (
        "edit_edit",
        "1",
        "2",
        "3",
    )


def test_same_edit_on_both_sides_is_no_conflict() -> None:
    base = [item("a", "1")]
    assert merge_items(base, [item("a", "2")], [item("a", "2")]).items == [item("a", "2")]


def test_marking_change_counts_as_an_edit() -> None:
    base = [item("a", "1")]
    narrowed = item("a", "1", Marking.releasable_to(["EE"], author="EE"))
    assert merge_items(base, [narrowed], [item("a", "2")]).conflicts[0].kind == "edit_edit"


def test_delete_against_unchanged_deletes_and_against_an_edit_conflicts() -> None:
    base = [item("a"), item("b")]
    assert ids(merge_items(base, [item("b")], base)) == ["b"]
    assert merge_items(base, [item("b")], [item("a", "x"), item("b")]).conflicts[0].kind == "edit_delete"
    assert merge_items(base, [item("a", "x"), item("b")], [item("b")]).conflicts[0].kind == "delete_edit"


def test_insertions_land_after_their_predecessor() -> None:
    base = [item("a"), item("b"), item("c")]
    theirs = [item("a"), item("t"), item("b"), item("c")]
    yours = [item("a"), item("b"), item("c"), item("y")]
    assert ids(merge_items(base, theirs, yours)) == ["a", "t", "b", "c", "y"]
    first = [item("y"), item("a"), item("b"), item("c")]
    assert ids(merge_items(base, theirs, first)) == ["y", "a", "t", "b", "c"]


def test_one_sided_reorder_wins_and_keeps_the_other_sides_additions() -> None:
    base = [item("a"), item("b"), item("c")]
    reordered = [item("c"), item("a"), item("b")]
    added = [item("a"), item("n"), item("b"), item("c")]
    assert ids(merge_items(base, reordered, added)) == ["c", "a", "n", "b"]
    assert ids(merge_items(base, added, reordered)) == ["c", "a", "n", "b"]


def test_two_different_reorders_conflict() -> None:
    base = [item("a"), item("b"), item("c")]
    result = merge_items(base, [item("c"), item("a"), item("b")], [item("b"), item("a"), item("c")])
    assert [c.kind for c in result.conflicts] == ["order"]


def test_both_adding_the_same_id_with_different_content_conflicts() -> None:
    assert merge_items([], [item("n", "1")], [item("n", "2")]).conflicts[0].kind == "add_add"


@st.composite
def disjoint_edits(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    base = [item(f"s{i}", f"text {i}") for i in range(count)]
    mine = draw(st.sets(st.integers(0, count - 1)))
    theirs_only = draw(st.sets(st.integers(0, count - 1).filter(lambda i: i not in mine)))
    deleted = draw(st.sets(st.integers(0, count - 1).filter(lambda i: i not in mine and i not in theirs_only)))
    added = draw(st.integers(0, 3))
    return base, mine, theirs_only, deleted, added


@given(disjoint_edits())
@settings(max_examples=examples(200), deadline=None)
def test_edits_of_disjoint_sections_always_merge_without_losing_any(case) -> None:
    base, mine, theirs_only, deleted, added = case
    theirs = [item(b.id, b.body + " theirs") if i in theirs_only else b for i, b in enumerate(base) if i not in deleted]
    yours = [item(b.id, b.body + " yours") if i in mine else b for i, b in enumerate(base)]
    yours += [item(f"new{k}", "added") for k in range(added)]
    result = merge_items(base, theirs, yours)
    assert result.ok
    merged = {i.id: i.body for i in result.items}
    for i, b in enumerate(base):
        if i in deleted:
            assert b.id not in merged
        elif i in mine:
            assert merged[b.id].endswith(" yours")
        elif i in theirs_only:
            assert merged[b.id].endswith(" theirs")
        else:
            assert merged[b.id] == b.body
    assert [f"new{k}" for k in range(added)] == [i for i in ids(result) if i.startswith("new")]


@given(st.text(alphabet="ab \n.", max_size=40), st.text(alphabet="ab \n.", max_size=40))
@settings(max_examples=examples(300), deadline=None)
def test_word_diff_rebuilds_both_texts(before: str, after: str) -> None:
    ops = word_diff(before, after)
    assert "".join(text for op, text in ops if op != "+") == before
    assert "".join(text for op, text in ops if op != "-") == after
    assert all(text for _, text in ops)


# --- many concurrent writers, on the real app and database ------------------------------------


WRITERS = 20


async def test_concurrent_writers_of_different_sections_from_one_base_all_merge_and_none_is_lost(world) -> None:
    ee = await world.token("ee.drafter")
    v1 = await create(world.client, ee, sections=[section(f"S{i}", f"original {i}") for i in range(WRITERS)])
    cid = v1["communique"]
    sections = editable(v1)

    async def write(i: int):
        edited = [dict(s, body=f"edited by writer {i}") if n == i else s for n, s in enumerate(sections)]
        return await world.client.post(
            f"{BASE}/{cid}/versions", json={"sections": edited}, headers=ee | if_match(v1["digest"])
        )

    responses = await asyncio.gather(*(write(i) for i in range(WRITERS)))
    assert [r.status for r in responses] == [201] * WRITERS, [await r.text() for r in responses if r.status != 201]
    numbers = sorted([(await r.json())["number"] for r in responses])
    assert numbers == list(range(2, WRITERS + 2))
    final = await head(world.client, ee, cid)
    assert final["number"] == WRITERS + 1
    assert [s["body"] for s in final["sections"]] == [f"edited by writer {i}" for i in range(WRITERS)]


async def test_concurrent_writers_of_the_same_section_exactly_one_wins_and_the_others_get_409(world) -> None:
    ee = await world.token("ee.drafter")
    v1 = await create(world.client, ee, sections=[section("Contested", "original")])
    cid = v1["communique"]
    (contested,) = editable(v1)

    async def write(i: int):
        return await world.client.post(
            f"{BASE}/{cid}/versions",
            json={"sections": [dict(contested, body=f"version of writer {i}")]},
            headers=ee | if_match(v1["digest"]),
        )

    responses = await asyncio.gather(*(write(i) for i in range(10)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 9
    winner = next(r for r in responses if r.status == 201)
    final = await head(world.client, ee, cid)
    assert final["number"] == 2 and final["digest"] == (await winner.json())["digest"]
    for loser in (r for r in responses if r.status == 409):
        body = await loser.json(content_type=None)
        assert body["code"] == "merge_conflict"
        assert body["conflicts"][0]["theirs"]["body"] == final["sections"][0]["body"]

"""The lean hot paths of issue 15 answer exactly what the full paths answer, with fewer statements.

No timings here (those are in tests/bench/): the sign-off and the head read are shown to skip the
version and item rows once the version is known by its digest, and to answer the same bodies; the
fast canonical bytes are shown equal to the reference RFC 8785 implementation.
"""

from __future__ import annotations

import random
from typing import Any

import rfc8785
from sqlalchemy import event

from entente import canonical, signing
from entente.appkeys import engine_key, read_engine_key
from entente.errors import CanonicalFormError
from tests.support.drafting import BASE, editable, head, save
from tests.support.releasing import three_party
from tests.support.signoffs import jws, payload, sign


class Statements:
    def __init__(self, app: Any) -> None:
        self.statements: list[str] = []
        self.engines = {app[engine_key].sync_engine, app[read_engine_key].sync_engine}
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def touching(self, table: str) -> list[str]:
        return [s for s in self.statements if f"FROM {table} " in s or f"FROM {table}\n" in s]

    def close(self) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._seen)


# --- canonical bytes ---------------------------------------------------------------------------

_CHARS = [chr(c) for c in (*range(0x80), 0xA0, 0xE9, 0x2028, 0xD7FF, 0xE000, 0xFEFF, 0xFFFF, 0x10000, 0x1F600)]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 6)))


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randint(0, 5 if depth < 4 else 3)
    if kind == 0:
        return _text(rng)
    if kind == 1:
        return rng.randint(-(2**53) + 1, 2**53 - 1)
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.randint(-300, 300)
    if kind == 4:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {_text(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def test_canonical_bytes_are_the_reference_rfc8785_bytes() -> None:
    rng = random.Random(15)
    checked = 0
    for _ in range(4000):
        value = _value(rng)
        try:
            normal = canonical.normalize(value)
        except CanonicalFormError:
            continue
        expected = rfc8785.dumps(normal)
        assert canonical.canonical_bytes(value) == expected
        assert canonical.require_canonical(expected) == normal
        checked += 1
    assert checked > 3000
    # UTF-16 order, not code point order, beyond the BMP: U+1F600 sorts before U+E000.
    keys = {"\ue000": 1, "\U0001f600": 2, "a": 3}
    assert canonical.canonical_bytes(keys) == rfc8785.dumps(keys)
    assert canonical.canonical_bytes(keys).index("\U0001f600".encode()) < canonical.canonical_bytes(keys).index(
        "\ue000".encode()
    )


def test_a_disclosure_digest_is_that_of_its_decoded_form() -> None:
    made = canonical.make_disclosure("marking", {"public": False, "releasable_to": ["EE"], "tlp": "TLP:RED"})
    assert canonical.disclosure_digest(made.encoded) == made.digest == canonical.decode_disclosure(made.encoded).digest


# --- sign-off ----------------------------------------------------------------------------------


async def test_a_sign_off_reads_no_version_or_item_row_once_the_head_is_known_and_answers_the_same(
    world, keys, monkeypatch
) -> None:
    cid = await three_party(world)
    data = await payload(world, await world.token("ee.drafter"), cid)
    await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world))
    verified: list[bytes] = []
    verify = signing.verify_bytes
    monkeypatch.setattr(signing.jws, "verify_bytes", lambda key, d, s: verified.append(d) or verify(key, d, s))
    counter = Statements(world.client.app)
    try:
        status = await sign(world, "fr.signatory", cid, jws(keys["FR"], data, world))
    finally:
        counter.close()
    assert len(verified) == 1  # only the new signature
    assert counter.touching("communique_version") == [] and counter.touching("communique_version_item") == []
    full = await world.client.get(
        f"{BASE}/{cid}/versions/head/signoffs", headers=await world.token("ee.drafter")
    )  # the full path: ORM rows, every envelope parsed
    assert full.status == 200
    assert await full.json() == status
    assert status["signed"] == ["EE", "FR"] and status["met"] is False
    done = await sign(world, "eu.signatory", cid, jws(keys["EU"], data, world))
    assert done["met"] is True and done["ready_for_release"] is True


async def test_a_sign_off_of_a_superseded_version_is_refused_after_a_save(world, keys) -> None:
    cid = await three_party(world)
    ee = await world.token("ee.drafter")
    data = await payload(world, ee, cid)
    await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world))  # the version is kept in memory
    version = await head(world.client, ee, cid)
    await save(world.client, ee, cid, version["digest"], sections=editable(version)[:1])
    refused = await sign(world, "fr.signatory", cid, jws(keys["FR"], data, world), status=422)
    assert refused["code"] == "wrong_version"
    fresh = await payload(world, ee, cid)
    status = await sign(world, "fr.signatory", cid, jws(keys["FR"], fresh, world))
    assert status["signed"] == ["FR"] and status["version"]["number"] == version["number"] + 1


# --- head read ---------------------------------------------------------------------------------


async def test_the_head_read_is_one_statement_past_the_communique_once_read_and_follows_saves(world) -> None:
    cid = await three_party(world)
    ee = await world.token("ee.drafter")
    first = await head(world.client, ee, cid)
    counter = Statements(world.client.app)
    try:
        again = await head(world.client, ee, cid)
        by_number = await world.client.get(f"{BASE}/{cid}/versions/{first['number']}", headers=ee)
        by_digest = await world.client.get(f"{BASE}/{cid}/versions/{first['digest']}", headers=ee)
    finally:
        counter.close()
    assert again == first == await by_number.json() == await by_digest.json()
    assert counter.touching("communique_version") == [] and counter.touching("communique_version_item") == []
    fr = await world.token("fr.drafter")
    fr_view = await head(world.client, fr, cid)
    assert fr_view["withheld"] == first["withheld"]  # FR may read both sections, as EE
    saved = await save(world.client, ee, cid, first["digest"], sections=editable(first)[:1])
    now = await head(world.client, ee, cid)
    assert now["digest"] == saved["digest"] != first["digest"] and len(now["sections"]) == 1
    old = await world.client.get(f"{BASE}/{cid}/versions/{first['number']}", headers=ee)
    assert await old.json() == first

"""The transparency log in the database and over HTTP: gap-free appends, proofs checked by an independent
RFC 9162 reader, signed checkpoints, party cosignatures, and ``entente log cosign``."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from entente import canonical, parties, signing
from entente.appkeys import log_tree_key, sessionmaker_key
from entente.cli import main
from entente.clock import system_clock
from entente.errors import InvalidInputError
from entente.models import LogCheckpoint
from entente.transparency import log, merkle, note
from tests.support import rfc9162

LOG = "/.well-known/entente/log"
PASSPHRASE = "a passphrase for tests"


def leaf(i: int) -> bytes:
    return canonical.canonical_bytes({"kind": "publication", "n": i, "digest": f"sha256:{i:064x}"})


async def append(client, count: int, start: int = 0) -> None:
    async with client.app[sessionmaker_key].begin() as session:
        for i in range(start, start + count):
            await log.append_entry(session, kind="publication", leaf=leaf(i), now=system_clock())


async def log_key(client) -> note.Verifier:
    response = await client.get(f"{LOG}/key")
    assert response.status == 200 and response.content_type == "text/plain"
    return note.parse_verifier_key(await response.text())


async def checkpoint(client, key: note.Verifier, **kwargs) -> note.CheckpointCheck:
    response = await client.get(f"{LOG}/checkpoint")
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain" and response.charset == "utf-8"
    return note.open_checkpoint(await response.text(), key, **kwargs)


async def proof(client, kind: str, **query: int) -> list[bytes]:
    response = await client.get(f"{LOG}/proof/{kind}", params={k: str(v) for k, v in query.items()})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert set(body) == {"hashes"}
    return [base64.b64decode(h, validate=True) for h in body["hashes"]]


async def test_appends_are_gap_free_and_entries_answer_their_exact_bytes(client) -> None:
    maker = client.app[sessionmaker_key]
    await append(client, 3)

    async def one(i: int) -> int:
        async with maker.begin() as session:
            return await log.append_entry(session, kind="commitment", leaf=leaf(100 + i), now=system_clock())

    indexes = await asyncio.gather(*(one(i) for i in range(12)))
    assert sorted(indexes) == list(range(3, 15))
    async with maker() as session:
        assert await log.tree_size(session) == 15
        with pytest.raises(InvalidInputError):
            await log.append_entry(session, kind="publication", leaf=b'{"b":1, "a":2}', now=system_clock())
        with pytest.raises(InvalidInputError):
            await log.append_entry(session, kind="gossip", leaf=leaf(1), now=system_clock())
    response = await client.get(f"{LOG}/entries/1")
    assert response.status == 200 and response.content_type == "application/json"
    assert await response.read() == leaf(1)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    again = await client.get(f"{LOG}/entries/1", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


async def test_an_inclusion_proof_served_over_http_passes_an_independent_rfc9162_check(client) -> None:
    await append(client, 13)
    key = await log_key(client)
    first = (await checkpoint(client, key)).checkpoint
    assert first.size == 13 and first.origin == "127.0.0.1:8080/log" == key.name
    for index in (0, 6, 12):
        data = await (await client.get(f"{LOG}/entries/{index}")).read()
        hashes = await proof(client, "inclusion", index=index, size=13)
        assert rfc9162.verify_inclusion(index, 13, rfc9162.leaf_hash(data), hashes, first.root)
        assert not rfc9162.verify_inclusion(index, 13, rfc9162.leaf_hash(data + b" "), hashes, first.root)
    await append(client, 9, start=13)
    second = (await checkpoint(client, key)).checkpoint
    assert second.size == 22
    hashes = await proof(client, "consistency", first=13, second=22)
    assert rfc9162.verify_consistency(13, 22, first.root, second.root, hashes)
    merkle.verify_consistency(13, 22, first.root, second.root, hashes)
    # an old size keeps answering against the root of its own checkpoint
    data = await (await client.get(f"{LOG}/entries/5")).read()
    assert rfc9162.verify_inclusion(
        5, 13, rfc9162.leaf_hash(data), await proof(client, "inclusion", index=5, size=13), first.root
    )


async def test_a_checkpoint_is_signed_once_per_size(client) -> None:
    key = await log_key(client)
    empty = (await checkpoint(client, key)).checkpoint
    assert empty.size == 0 and empty.root == merkle.EMPTY_ROOT
    await append(client, 2)
    one = await client.get(f"{LOG}/checkpoint")
    two = await client.get(f"{LOG}/checkpoint")
    assert await one.text() == await two.text()
    async with client.app[sessionmaker_key]() as session:
        assert await session.scalar(select(func.count()).select_from(LogCheckpoint)) == 2
        assert (await log.get_checkpoint(session, 2)) == await one.text()


async def test_bad_proof_and_entry_parameters_answer_problem_json(client) -> None:
    await append(client, 4)
    cases = [
        (f"{LOG}/proof/inclusion?index=1", 400, "malformed_input"),
        (f"{LOG}/proof/inclusion?index=-1&size=4", 400, "malformed_input"),
        (f"{LOG}/proof/inclusion?index=1&size=1e3", 400, "malformed_input"),
        (f"{LOG}/proof/inclusion?index=4&size=4", 422, "invalid_input"),
        (f"{LOG}/proof/inclusion?index=0&size=5", 422, "invalid_input"),
        (f"{LOG}/proof/consistency?first=0&second=3", 422, "invalid_input"),
        (f"{LOG}/proof/consistency?first=3&second=2", 422, "invalid_input"),
        (f"{LOG}/proof/consistency?first=1&second=99999999999", 400, "malformed_input"),
        (f"{LOG}/entries/4", 404, "unknown_log_entry"),
        (f"{LOG}/entries/x", 400, "malformed_input"),
    ]
    for url, status, code in cases:
        response = await client.get(url)
        assert response.status == status, (url, await response.text())
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == code, url
    assert await proof(client, "consistency", first=4, second=4) == []


async def test_entries_appended_in_a_rolled_back_transaction_never_reach_the_cache(client) -> None:
    maker, cache = client.app[sessionmaker_key], client.app[log_tree_key]
    await append(client, 5)
    async with maker() as session:
        await session.begin()
        for i in range(3):
            await log.append_entry(session, kind="publication", leaf=leaf(900 + i), now=system_clock())
        seen = await log.inclusion_proof(session, 6, 8, cache=cache)
        await session.rollback()
    assert cache.tree.size == 5
    await append(client, 3, start=5)
    async with maker() as session:
        cached = await log.inclusion_proof(session, 6, 8, cache=cache)
        assert cached == await log.inclusion_proof(session, 6, 8)
        assert cached != seen
        assert await log.root_hash(session, 8, cache=cache) == merkle.root_hash(
            [merkle.leaf_hash(leaf(i)) for i in range(8)]
        )


async def register_key(world, code: str, key: signing.PrivateKey) -> None:
    async with world.sessions.begin() as session:
        await parties.add_key(
            session, party=code, jwk=key.jwk, not_before=None, not_after=None, actor="test", now=world.clock()
        )


async def test_a_party_cosignature_is_checked_and_served_with_the_checkpoint(world) -> None:
    client = world.client
    ee, fr = signing.generate_private_key(), signing.generate_private_key()
    world.clock.set(system_clock() - timedelta(minutes=1))
    await register_key(world, "EE", ee)
    await register_key(world, "FR", fr)
    await append(client, 3)
    key = await log_key(client)
    check = await checkpoint(client, key)
    text = check.checkpoint.text
    now = int(world.clock().timestamp()) + 30
    names = {code: note.cosigner_name(key.name, code) for code in ("EE", "FR")}

    async def post(party: str, line: str, size: int = 3):
        return await client.post("/api/v1/log/cosignatures", json={"party": party, "size": size, "line": line})

    line = note.cosign(text, names["EE"], ee, now)
    response = await post("EE", line)
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["party"] == "EE" and body["kid"] == ee.kid and body["timestamp"] == now
    assert (await post("EE", line)).status == 201  # the same cosignature again changes nothing

    refusals = [
        ("FR", note.cosign(text, names["FR"], ee, now), 422, "unknown_key"),  # EE's key is not FR's
        ("FR", note.cosign(text, names["EE"], fr, now), 422, "note_invalid"),  # FR cosigns under EE's name
        ("FR", note.cosign(text.replace("\n3\n", "\n4\n"), names["FR"], fr, now), 422, "cosignature_invalid"),
        ("FR", note.cosign(text, names["FR"], fr, now + 3600), 422, "cosignature_time_invalid"),
        ("FR", "— not a line", 422, "note_invalid"),
        ("FR", line + note.cosign(text, names["FR"], fr, now), 422, "note_invalid"),  # one line per request
        ("XX", note.cosign(text, names["FR"], fr, now), 404, "unknown_party"),
    ]
    for party, bad, status, code in refusals:
        refused = await post(party, bad)
        assert refused.status == status, (code, await refused.text())
        assert (await refused.json())["code"] == code
    assert (await post("FR", note.cosign(text, names["FR"], fr, now), size=9)).status == 404

    cosigners = [note.Verifier(names[c], k.public_key, note.COSIGNATURE_TYPE) for c, k in (("EE", ee), ("FR", fr))]
    served = await checkpoint(client, key, cosigners=cosigners, require=1)
    assert set(served.cosigned) == {names["EE"]} and served.missing == (names["FR"],)
    assert (await post("FR", note.cosign(text, names["FR"], fr, now))).status == 201
    assert len((await checkpoint(client, key, cosigners=cosigners, require=2)).cosigned) == 2

    async with world.sessions.begin() as session:
        await parties.revoke_key(
            session, await world_caller(session), party="FR", kid=fr.kid, reason="test", at=None, now=world.clock()
        )
    assert (await post("FR", note.cosign(text, names["FR"], fr, now + 1))).status == 422


async def world_caller(session):
    from entente import auth

    return await auth.caller_for(session, "fr.signatory", via="test", until=system_clock() + timedelta(minutes=5))


def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """``entente`` in this process, its output captured (called in a thread: the test server keeps answering)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return code, out.getvalue(), err.getvalue()


async def test_entente_log_cosign_pins_the_key_checks_consistency_and_posts(world, tmp_path: Path) -> None:
    client = world.client
    ee = signing.generate_private_key()
    signing.save_private_key(ee, tmp_path / "EE.pem", PASSPHRASE)
    world.clock.set(system_clock() - timedelta(minutes=1))
    await register_key(world, "EE", ee)
    world.clock.set(system_clock() + timedelta(minutes=1))
    await append(client, 4)
    base = str(client.make_url("")).rstrip("/")
    state = tmp_path / "state.json"
    args = ("log", "cosign", "--url", base, "--key", str(tmp_path / "EE.pem"), "--party", "EE", "--state", str(state))
    env = {"ENTENTE_KEY_PASSPHRASE": PASSPHRASE}

    code, out, err = await asyncio.to_thread(run_cli, *args, env=env)
    assert code == 0, err
    assert "pinned the log key on first use" in out and "at size 4" in out
    assert json.loads(state.read_text())["size"] == 4
    await append(client, 3, start=4)
    code, out, err = await asyncio.to_thread(run_cli, *args, env=env)
    assert code == 0, err
    assert "pinned" not in out and "at size 7" in out

    key = await log_key(client)
    cosigner = note.Verifier(note.cosigner_name(key.name, "EE"), ee.public_key, note.COSIGNATURE_TYPE)
    assert (await checkpoint(client, key, cosigners=[cosigner], require=1)).cosigned

    forked = json.loads(state.read_text()) | {"root": base64.b64encode(b"\x07" * 32).decode()}
    state.write_text(json.dumps(forked))
    await append(client, 1, start=7)
    code, _, err = await asyncio.to_thread(run_cli, *args, env=env)
    assert code == 1 and "root" in err
    other = note.Verifier(key.name, signing.generate_private_key().public_key)
    state.write_text(json.dumps(forked | {"log_key": str(other)}))
    code, _, err = await asyncio.to_thread(run_cli, *args, env=env)
    assert code == 1 and "the log key changed" in err

"""The transparency log's pure parts: RFC 9162 Merkle trees and proofs, C2SP signed notes, checkpoints
and cosignatures, against the shared conformance vectors and an independent RFC 9162 checker."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from entente import signing
from entente.errors import SignatureError
from entente.transparency import merkle, note
from tests.support import rfc9162

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "vectors"
MERKLE = VECTORS / "merkle"
NOTE_VECTOR = VECTORS / "note" / "go-sumdb-example.json"
ABSENT = f"vectors not found under {VECTORS} (expected ../shared/vectors beside the repository)"


def _cases(folder: str) -> list[object]:
    root = MERKLE / folder
    if not root.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT))]
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.json"))


def _b64(text: str | None) -> bytes:
    return base64.b64decode(text or "")


def _load(folder: str, name: str) -> dict:
    return json.loads((MERKLE / folder / name).read_text())


# --- the shared vectors -----------------------------------------------------------------------------


def test_roots_of_the_rfc6962_test_leaves_for_every_size() -> None:
    path = MERKLE / "rfc6962-roots.json"
    if not path.is_file():
        pytest.skip(ABSENT)
    data = json.loads(path.read_text())
    leaves = [merkle.leaf_hash(bytes.fromhex(x)) for x in data["leaf_inputs_hex"]]
    for size, expected in enumerate(data["root_hashes_hex_by_size"]):
        assert merkle.root_hash(leaves[:size]).hex() == expected
        assert merkle.Tree(leaves).root(size).hex() == expected


@pytest.mark.parametrize("name", _cases("inclusion"))
def test_inclusion_vector(name: str) -> None:
    case = _load("inclusion", name)
    proof = [_b64(h) for h in case["proof"] or []]
    args = (_b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("name", _cases("consistency"))
def test_consistency_vector(name: str) -> None:
    case = _load("consistency", name)
    proof = [_b64(h) for h in case["proof"] or []]
    args = (case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof)
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_the_go_sumdb_note_is_reproduced_byte_for_byte() -> None:
    if not NOTE_VECTOR.is_file():
        pytest.skip(ABSENT)
    case = json.loads(NOTE_VECTOR.read_text())
    signer = note.parse_signer_key(case["signer_key"])
    verifier = note.parse_verifier_key(case["verifier_key"])
    assert str(verifier) == str(signer.verifier) == case["verifier_key"]
    assert verifier.key_id.hex() == case["key_hash_hex"]
    assert note.sign_note(case["text"], [signer]) == case["note"]
    opened = note.open_note(case["note"], [verifier])
    assert opened.text == case["text"] and opened.signed == (verifier,)
    with pytest.raises(note.NoteError) as refused:
        note.open_note(case["tampered_note"], [verifier])
    assert refused.value.code == "note_signature_invalid"


# --- proofs we make, checked by our verifier and by the RFC's own algorithm -------------------------


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def test_every_inclusion_proof_up_to_size_40_verifies_both_ways() -> None:
    leaves = _leaves(40)
    tree = merkle.Tree(leaves)
    for size in range(1, 41):
        root = tree.root(size)
        assert root == merkle.root_hash(leaves[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == merkle.inclusion_proof(leaves, index, size)
            merkle.verify_inclusion(leaves[index], index, size, proof, root)
            assert rfc9162.verify_inclusion(index, size, leaves[index], proof, root)
            assert not rfc9162.verify_inclusion(index, size, leaves[(index + 1) % size], proof, root) or size == 1


def test_every_consistency_proof_up_to_size_40_verifies_both_ways() -> None:
    leaves = _leaves(40)
    tree = merkle.Tree(leaves)
    for second in range(1, 41):
        for first in range(1, second + 1):
            proof = tree.consistency_proof(first, second)
            assert proof == merkle.consistency_proof(leaves, first, second)
            merkle.verify_consistency(first, second, tree.root(first), tree.root(second), proof)
            if first < second:
                assert rfc9162.verify_consistency(first, second, tree.root(first), tree.root(second), proof)
                with pytest.raises(merkle.ProofError):
                    merkle.verify_consistency(first, second, tree.root(first), tree.root(second - 1), proof)


def test_a_tree_truncated_and_copied_answers_as_one_built_afresh() -> None:
    leaves = _leaves(37)
    tree = merkle.Tree(leaves)
    clone = tree.copy()
    tree.truncate(21)
    assert tree.size == 21 and tree.root() == merkle.root_hash(leaves[:21])
    assert clone.root() == merkle.root_hash(leaves)
    for item in leaves[21:]:
        tree.append(item)
    assert tree.inclusion_proof(30, 37) == clone.inclusion_proof(30, 37)


def test_proof_errors_are_signature_errors_with_reasons() -> None:
    leaves = _leaves(5)
    proof = merkle.inclusion_proof(leaves, 2)
    with pytest.raises(SignatureError) as caught:
        merkle.verify_inclusion(leaves[2], 2, 5, proof[:-1], merkle.root_hash(leaves))
    assert caught.value.code == "proof_malformed" and "needs 3" in caught.value.detail
    with pytest.raises(merkle.ProofError, match="not below"):
        merkle.verify_inclusion(leaves[2], 5, 5, proof, merkle.root_hash(leaves))
    with pytest.raises(ValueError):
        merkle.Tree(leaves).inclusion_proof(0, 6)


# --- checkpoints and cosignatures -------------------------------------------------------------------


def _log() -> note.Signer:
    return note.Signer("example.org/log", signing.generate_private_key())


def test_a_checkpoint_note_reads_back_with_the_log_key() -> None:
    log = _log()
    root = merkle.root_hash(_leaves(3))
    text = note.checkpoint_text(log.name, 3, root)
    assert text == f"example.org/log\n3\n{base64.b64encode(root).decode()}\n"
    signed = note.sign_note(text, [log])
    check = note.open_checkpoint(signed, log.verifier)
    assert check.checkpoint == note.Checkpoint("example.org/log", 3, root)
    assert note.parse_verifier_key(str(log.verifier)) == log.verifier
    other = note.Signer("example.org/log", signing.generate_private_key())
    with pytest.raises(note.NoteError, match="no known key"):
        note.open_checkpoint(signed, other.verifier)
    for bad in ("example.org/log\n03\nAAAA\n", "example.org/log\n3\n", "\n3\n" + text.split("\n")[2] + "\n"):
        with pytest.raises(note.NoteError):
            note.parse_checkpoint(bad)


def test_cosignatures_count_towards_a_required_number() -> None:
    log = _log()
    text = note.checkpoint_text(log.name, 7, merkle.root_hash(_leaves(7)))
    signed = note.sign_note(text, [log])
    keys = {code: signing.generate_private_key() for code in ("EE", "FR", "LV")}
    names = {code: note.cosigner_name(log.name, code) for code in keys}
    cosigners = [note.Verifier(names[c], k.public_key, note.COSIGNATURE_TYPE) for c, k in keys.items()]
    lines = [note.cosign(text, names[c], keys[c], 1_790_000_000 + i) for i, c in enumerate(("EE", "FR"))]
    assert lines[0].startswith("\u2014 example.org/log/cosigner/EE ")
    served = signed + "".join(lines)

    check = note.open_checkpoint(served, log.verifier, cosigners=cosigners, require=2)
    assert check.cosigned == {names["EE"]: 1_790_000_000, names["FR"]: 1_790_000_001}
    assert check.missing == (names["LV"],)
    assert note.open_note(served, [log.verifier]).text == text  # a plain note reader ignores cosignatures
    with pytest.raises(note.NoteError) as short:
        note.open_checkpoint(served, log.verifier, cosigners=cosigners, require=3)
    assert short.value.code == "cosignatures_missing"
    assert note.verify_cosignature(text, lines[0], cosigners[0]) == 1_790_000_000
    with pytest.raises(note.NoteError):
        note.verify_cosignature(text.replace("\n7\n", "\n8\n"), lines[0], cosigners[0])
    with pytest.raises(note.NoteError):
        note.verify_cosignature(text, lines[0], cosigners[1])
    renamed = lines[1].replace(names["FR"], names["LV"])  # LV's name, FR's key ID: not LV's line, ignored
    assert note.open_checkpoint(signed + renamed, log.verifier, cosigners=cosigners).cosigned == {}
    raw = base64.b64decode(lines[1].split()[-1])
    forged = f"\u2014 {names['LV']} {base64.b64encode(cosigners[2].key_id + raw[4:]).decode()}\n"
    with pytest.raises(note.NoteError) as bad:  # LV's name and key ID, a signature LV never made
        note.open_checkpoint(signed + forged, log.verifier, cosigners=cosigners)
    assert bad.value.code == "cosignature_invalid"


def test_a_cosigner_key_string_carries_type_4() -> None:
    key = signing.generate_private_key()
    verifier = note.Verifier("example.org/log/cosigner/EE", key.public_key, note.COSIGNATURE_TYPE)
    text = str(verifier)
    assert base64.b64decode(text.split("+", 2)[2])[0] == 4  # base64 may hold "+" itself
    assert note.parse_verifier_key(text) == verifier
    with pytest.raises(note.NoteError, match="hash"):
        note.parse_verifier_key(text.replace("EE", "FR", 1))


def test_malformed_notes_are_refused_with_a_reason() -> None:
    log = _log()
    signed = note.sign_note("hello\n", [log])
    for bad in (signed.rstrip("\n"), "hello\n", signed.replace("\u2014", "-"), signed + "\x07\n", "hello\n\n"):
        with pytest.raises(note.NoteError):
            note.open_note(bad, [log.verifier])

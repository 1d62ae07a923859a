"""RFC 9162 Merkle trees (the RFC 6962 hashing): leaf and node hashes, roots, proofs, and their checks.

Pure: hashlib only, so the offline verifier can use it without the server. :class:`Tree` keeps every
complete subtree hash of an append-only list of leaf hashes, so a root or a proof of any size up to
its own costs O(log² n) hashes however long the log is. The ``verify_*`` functions follow the
decomposition of transparency-dev/merkle (the Go reference); each failure raises :class:`ProofError`
with a one-line reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from entente.errors import SignatureError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ProofError",
    "Tree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string (RFC 9162 section 2.1.1)."""


class ProofError(SignatureError):
    """An inclusion or consistency proof does not hold (or cannot, for its sizes)."""

    code = "proof_invalid"
    title = "Proof refused"


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf's exact bytes."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """An append-only Merkle tree over leaf hashes, keeping every complete (perfect) subtree's hash.

    ``levels[k][i]`` is the hash of the 2^k leaves from ``i * 2^k``. Appending costs O(1) amortised;
    the hash of any range the RFC's recursion visits (it always starts on a multiple of a power of
    two at least its length) is O(log n) lookups and hashes.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for item in leaf_hashes:
            self.append(item)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def append(self, hash_: bytes) -> None:
        if len(hash_) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        levels = self._levels
        levels[0].append(hash_)
        k = 0
        while len(levels[k]) % 2 == 0:
            if len(levels) == k + 1:
                levels.append([])
            levels[k + 1].append(node_hash(levels[k][-2], levels[k][-1]))
            k += 1

    def truncate(self, size: int) -> None:
        """Forget every leaf from ``size`` on (and the subtrees that covered them)."""
        for k, level in enumerate(self._levels):
            del level[size >> k :]

    def copy(self) -> Tree:
        clone = Tree()
        clone._levels = [list(level) for level in self._levels]
        return clone

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range whose start is a multiple of a power of two >= its length."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0:
            k = n.bit_length() - 1
            return self._levels[k][start >> k]
        k = _split(n)
        return node_hash(self._range_hash(start, start + k), self._range_hash(start + k, end))

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is beyond the tree's {self.size} leaves")

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all of them by default)."""
        size = self.size if size is None else size
        self._check_size(size)
        return self._range_hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1, leaf side first."""
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"index {index} is not below size {size}")
        path: list[bytes] = []
        start, end, m = 0, size, index
        while end - start > 1:
            k = _split(end - start)
            if m < k:
                path.append(self._range_hash(start + k, end))
                end = start + k
            else:
                path.append(self._range_hash(start, start + k))
                start, m = start + k, m - k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[0:second]) of RFC 9162 section 2.1.4.1 (empty when the sizes are equal)."""
        self._check_size(second)
        if not 0 < first <= second:
            raise ValueError(f"a consistency proof needs 0 < first <= second (got {first}, {second})")
        proof: list[bytes] = []
        start, end, m, whole = 0, second, first, True
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                proof.append(self._range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._range_hash(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            proof.append(self._range_hash(start, end))
        proof.reverse()
        return proof


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over ``leaf_hashes`` (SHA-256 of the empty string when there are none)."""
    return Tree(leaf_hashes).root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    size = len(leaf_hashes) if size is None else size
    return Tree(leaf_hashes[:size]).inclusion_proof(index, size)


def consistency_proof(leaf_hashes: Sequence[bytes], first: int, second: int | None = None) -> list[bytes]:
    second = len(leaf_hashes) if second is None else second
    return Tree(leaf_hashes[:second]).consistency_proof(first, second)


# --- checking proofs --------------------------------------------------------------------------------


def _mismatch(calculated: bytes, expected: bytes, what: str) -> None:
    if calculated != expected:
        raise ProofError(f"the proof leads to another {what} than the one given", code="proof_root_mismatch")


def _decompose(index: int, size: int) -> tuple[int, int]:
    """How many proof hashes lie below the point where the paths to ``index`` and ``size - 1`` part
    (inner), and how many above it (border)."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _check_hashes(proof: Sequence[bytes]) -> None:
    if any(not isinstance(h, bytes) or len(h) != HASH_SIZE for h in proof):
        raise ProofError("every proof hash is 32 bytes", code="proof_malformed")


def root_from_inclusion_proof(leaf_hash_: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not below tree size {size}", code="proof_malformed")
    if len(leaf_hash_) != HASH_SIZE:
        raise ProofError("the leaf hash is not 32 bytes", code="proof_malformed")
    _check_hashes(proof)
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        wanted = inner + border
        raise ProofError(f"the proof has {len(proof)} hashes; size {size} needs {wanted}", code="proof_malformed")
    return _chain_border_right(_chain_inner(leaf_hash_, proof[:inner], index), proof[inner:])


def verify_inclusion(leaf_hash_: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows leaf ``index`` with ``leaf_hash_`` in the tree of
    ``size`` leaves whose root is ``root``."""
    _mismatch(root_from_inclusion_proof(leaf_hash_, index, size, proof), root, "root")


def verify_consistency(first: int, second: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the tree of ``first`` leaves with ``root1`` is a
    prefix of the tree of ``second`` leaves with ``root2``."""
    if not 0 <= first <= second:
        raise ProofError(f"first size {first} is beyond second size {second}", code="proof_malformed")
    if first == second:
        if proof:
            raise ProofError("equal sizes take an empty proof", code="proof_malformed")
        if first == 0 and root1 != EMPTY_ROOT:
            raise ProofError("the empty tree's root is SHA-256 of nothing", code="proof_root_mismatch")
        _mismatch(root1, root2, "root")
        return
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing", code="proof_malformed")
    if not proof:
        raise ProofError("the proof is empty", code="proof_malformed")
    _check_hashes(proof)
    inner, border = _decompose(first - 1, second)
    shift = (first & -first).bit_length() - 1  # trailing zeros of first
    inner -= shift
    seed, rest = proof[0], proof[1:]
    if first == 1 << shift:  # first is a whole subtree: it is its own seed, given by root1
        seed, rest = root1, proof
    if len(rest) != inner + border:
        raise ProofError(f"the proof has {len(proof)} hashes, not the number these sizes need", code="proof_malformed")
    mask = (first - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _mismatch(hash1, root1, "first root")
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    _mismatch(hash2, root2, "second root")

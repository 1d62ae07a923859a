"""RFC 9162 proof verification written a second time, from the RFC's text and nothing of Entente's,
so the tests check what the server answers with an independent reader.

Section 2.1.3.2 (inclusion) and section 2.1.4.2 (consistency), step by step; hashes are bytes.
"""

from __future__ import annotations

import hashlib


def _hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def verify_inclusion(leaf_index: int, tree_size: int, leaf_hash_: bytes, path: list[bytes], root: bytes) -> bool:
    # 1. Compare leaf_index from the inclusion_proof_v2 structure against tree_size. If leaf_index is
    #    greater than or equal to tree_size, then fail the proof verification.
    if leaf_index >= tree_size:
        return False
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = leaf_index, tree_size - 1
    # 3. Set r to hash.
    r = leaf_hash_
    # 4. For each value p in the inclusion_path array:
    for p in path:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = _hash_children(p, r)
            # ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn)
            #     is set or fn is 0.
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        # Otherwise: set r to HASH(0x01 || r || p).
        else:
            r = _hash_children(r, p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the root_hash
    #    are equal, then the log has proven the inclusion of hash. Otherwise, fail the proof verification.
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]) -> bool:
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not path:
        return False
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            fr = _hash_children(c, fr)
            sr = _hash_children(c, sr)
            # iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn)
            #      is set or fn is 0.
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        # Otherwise: set sr to HASH(0x01 || sr || c).
        else:
            sr = _hash_children(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. After completing iterating through the consistency_path array as described above, verify that
    #    the fr calculated is equal to the first_hash supplied, that the sr calculated is equal to the
    #    second_hash supplied, and that sn is 0.
    return fr == first_hash and sr == second_hash and sn == 0

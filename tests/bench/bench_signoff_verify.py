"""Benchmark: checking a 32-party sign-off of a ~100 KB version, against bare signature checks.

Run as ``python tests/bench/bench_signoff_verify.py`` (``make bench`` runs every bench script).

(a) our whole path: ``canonical.parse_strict`` of the payload, ``canonical.is_canonical``, and
    ``quorum.evaluate`` with 32 registered keys over one envelope holding 32 signatures;
(b) the floor: 32 calls of cryptography's ``Ed25519PublicKey.verify`` on the very same signing
    inputs, prepared in advance.

Both are measured in the same run, alternating, as the median over several rounds. The budget is
(a) <= 2 x (b); the script exits 1 when it is exceeded.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from entente import canonical, quorum, signing

PARTIES = 32
TARGET_BYTES = 100_000
ROUNDS = 7
ITERATIONS = 15
BUDGET = 2.0
TYP = "entente-signoff+jws"
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)

_WORDS = (
    "coalition statement cyber operation attribution critical infrastructure sanctions "
    "déclaration commune opérations économie Bundesregierung Maßnahmen Zusammenarbeit "
    "współpraca państwa Ελλάδα κυβερνοασφάλεια Україна кібератака partners condemn"
).split()


def version_object(parties: list[str]) -> dict[str, object]:
    """A version shaped like DESIGN.md's: metadata, participants, sections with disclosure digests."""
    rng = random.Random(7)
    sections = []
    while True:
        body = " ".join(rng.choice(_WORDS) for _ in range(120))
        disclosure = canonical.make_disclosure(f"s{len(sections) + 1}", {"body": body}, salt=f"salt{len(sections)}")
        sections.append(
            {
                "id": f"s{len(sections) + 1}",
                "heading": f"Section {len(sections) + 1}",
                "marking": "TLP:CLEAR" if len(sections) % 3 else "TLP:AMBER",
                "releasable_to": sorted(rng.sample(parties, 5)),
                "body": body,
                "disclosure": disclosure.digest,
            }
        )
        value = {
            "communique": "c-2027-0042",
            "version": 7,
            "prev": canonical.digest(b"previous version"),
            "kind": "joint_statement",
            "title": "Joint statement on the cyber operation against allied infrastructure",
            "parties": parties,
            "template": {"id": "crisis-attribution", "digest": canonical.digest(b"template")},
            "sections": sections,
            "salt": canonical.random_salt(),
        }
        if len(canonical.canonical_bytes(value)) >= TARGET_BYTES:
            return value


def seconds_per_call(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(ITERATIONS):
        action()
    return (time.perf_counter() - start) / ITERATIONS


def main() -> int:
    parties = [f"P{i:02d}" for i in range(PARTIES)]
    crypto_keys = [Ed25519PrivateKey.generate() for _ in parties]
    keys = [signing.PrivateKey(key) for key in crypto_keys]
    payload = canonical.canonical_bytes(version_object(parties))
    iat = int(NOW.timestamp())
    envelope = signing.sign_detached(payload, keys, typ=TYP, iat=iat)
    records = [
        quorum.KeyRecord(party, key.public_key, NOW - timedelta(days=30), NOW + timedelta(days=30))
        for party, key in zip(parties, keys, strict=True)
    ]
    policy = quorum.Policy()

    def whole_path() -> None:
        canonical.parse_strict(payload)
        if not canonical.is_canonical(payload):
            raise AssertionError("payload is not canonical")
        result = quorum.evaluate(payload, [envelope], keys=records, participants=parties, policy=policy, typ=TYP)
        if not result.met:
            raise AssertionError(result.to_dict())

    segment = canonical.b64url_encode(payload)
    bare_inputs = [
        (key.public_key(), canonical.b64url_decode(entry["signature"]), f"{entry['protected']}.{segment}".encode())
        for key, entry in zip(crypto_keys, envelope["signatures"], strict=True)
    ]

    def bare_verify() -> None:
        for public_key, signature, signing_input in bare_inputs:
            public_key.verify(signature, signing_input)

    parts = {
        "parse_strict": lambda: canonical.parse_strict(payload),
        "is_canonical": lambda: canonical.is_canonical(payload),
        "quorum.evaluate": lambda: quorum.evaluate(
            payload, [envelope], keys=records, participants=parties, policy=policy, typ=TYP
        ),
    }

    whole_path()  # warm up, and check the path is correct before timing it
    bare_verify()
    ours, bare = [], []
    for _ in range(ROUNDS):
        ours.append(seconds_per_call(whole_path))
        bare.append(seconds_per_call(bare_verify))
    a, b = statistics.median(ours), statistics.median(bare)
    ratio = a / b

    print(f"payload: {len(payload):,} bytes canonical JSON; {PARTIES} Ed25519 signatures in one envelope")
    print(f"(a) parse_strict + is_canonical + quorum.evaluate: {a * 1e3:8.2f} ms per sign-off")
    print(f"(b) {PARTIES} bare cryptography verify calls:          {b * 1e3:8.2f} ms per sign-off")
    print(f"ratio (a)/(b): {ratio:.2f}x (budget {BUDGET:.1f}x)")
    print("components, timed separately:")
    for name, action in parts.items():
        print(f"    {name:16s} {statistics.median(seconds_per_call(action) for _ in range(3)) * 1e3:8.2f} ms")
    if ratio > BUDGET:
        print("OVER BUDGET")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

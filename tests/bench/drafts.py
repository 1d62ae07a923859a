"""What the drafting benchmarks write with: a caller of a party, and section text of a realistic length."""

from __future__ import annotations

from entente.auth import Caller
from entente.models import Role

WORDS = (
    "the coalition condemns the malicious cyber activity against critical infrastructure and calls on the "
    "responsible state to cease it immediately in accordance with its international obligations"
).split()


def caller(party: str, *roles: Role) -> Caller:
    """A caller of ``party`` with ``roles`` (a drafter when none is named), as a signed-in user is."""
    return Caller(0, f"{party.lower()}.user", party, party, frozenset(roles or (Role.DRAFTER,)), "token")


def body(seed: int) -> str:
    """Sixty words of a statement, varied by ``seed``."""
    return " ".join(WORDS[(seed + i) % len(WORDS)] for i in range(60))

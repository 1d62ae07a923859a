"""What the drafting benchmarks write with: a caller of a party, and section text of a realistic length."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from entente import drafting
from entente.auth import Caller
from entente.models import CommuniqueCreate, CommuniqueKind, Role, SectionInput

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


async def started_statement(maker: Any, *, parties: list[str], sections: int, title: str, now: datetime) -> int:
    """A joint statement of ``sections`` sections led by ``parties[0]``, created through the domain and
    accepted by every other party; its id."""
    data = CommuniqueCreate(
        kind=CommuniqueKind.JOINT_STATEMENT,
        title=title,
        participants=parties[1:],
        sections=[SectionInput(heading=f"Section {i}", body=body(i)) for i in range(sections)],
    )
    async with maker.begin() as session:
        communique, _ = await drafting.create_communique(
            session,
            caller=caller(parties[0]),
            data=data,
            now=now,
            max_sections=max(sections, 1),
            templates={},
            ladder=None,  # type: ignore[arg-type]  # no incident path here
        )
    for code in parties[1:]:
        async with maker.begin() as session:
            await drafting.accept_invitation(session, communique_id=communique.id, caller=caller(code), now=now)
    assert communique.id is not None
    return communique.id

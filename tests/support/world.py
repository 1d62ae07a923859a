"""The small coalition every database test can seed, and how to act as its users."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from entente import parties
from entente.appkeys import sessionmaker_key
from entente.clock import FixedClock
from entente.models import PartyKind, Role

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
TOKEN_DAYS = 30
TOKEN_REUSE = timedelta(days=7)


@dataclass
class World:
    """A small coalition seeded into the test database, with helpers to act as its users."""

    client: TestClient
    clock: FixedClock
    #: Each user's API token, made at START when the coalition was seeded (the ``world`` fixture).
    tokens: dict[str, str] = field(default_factory=dict)
    _made: dict[str, tuple[datetime, dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._made = {user: (START, {"Authorization": f"Bearer {secret}"}) for user, secret in self.tokens.items()}

    @property
    def sessions(self) -> Any:
        return self.client.app[sessionmaker_key]

    async def token(self, username: str) -> dict[str, str]:
        """Authorization headers carrying an API token of ``username``: the one seeded with the coalition,
        or one made later; a new one once the test's clock is a week past it (a token lasts 30 days)
        or before it."""
        from entente import auth

        now = self.clock()
        made, headers = self._made.get(username, (None, {}))
        if made is not None and made <= now < made + TOKEN_REUSE:
            return headers
        async with self.sessions.begin() as session:
            user = await auth.get_user(session, username)
            secret, _ = await auth.create_token(session, user, name="test", days=TOKEN_DAYS, now=now)
        self._made[username] = (now, {"Authorization": f"Bearer {secret}"})
        return self._made[username][1]


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(client: TestClient, username: str) -> str:
    """Sign ``client`` in through the login form, as a browser does; the session's CSRF token."""
    page = await client.get("/login")
    token = CSRF_FIELD.search(await page.text()).group(1)  # type: ignore[union-attr]
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303, await response.text()
    page = await client.get("/dashboard")
    return CSRF_FIELD.search(await page.text()).group(1)  # type: ignore[union-attr]


SMALL_COALITION = [
    parties.SeedParty(
        "EE",
        "Republic of Estonia",
        PartyKind.STATE,
        "Europe/Tallinn",
        (
            parties.SeedUser("ee.drafter", "EE drafter", (Role.DRAFTER,)),
            parties.SeedUser("ee.signatory", "EE signatory", (Role.SIGNATORY,)),
            parties.SeedUser("ee.comms", "EE comms", (Role.COMMS,)),
            parties.SeedUser("ee.oversight", "EE parliamentary committee", (Role.OVERSIGHT,)),
        ),
    ),
    parties.SeedParty(
        "FR",
        "French Republic",
        PartyKind.STATE,
        "Europe/Paris",
        (
            parties.SeedUser("fr.drafter", "FR drafter", (Role.DRAFTER,)),
            parties.SeedUser("fr.signatory", "FR signatory", (Role.SIGNATORY,)),
            parties.SeedUser("fr.comms", "FR comms", (Role.COMMS,)),
            parties.SeedUser("fr.oversight", "FR ombudsperson", (Role.OVERSIGHT,)),
        ),
    ),
    parties.SeedParty(
        "EU",
        "European Union",
        PartyKind.ORGANISATION,
        "Europe/Brussels",
        (
            parties.SeedUser("eu.secretariat", "Secretariat", (Role.SECRETARIAT,)),
            parties.SeedUser("eu.signatory", "EU signatory", (Role.SIGNATORY,)),
            parties.SeedUser("eu.comms", "EU comms", (Role.COMMS,)),
        ),
    ),
]

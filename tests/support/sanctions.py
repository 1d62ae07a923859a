"""The sanctions desk: acts as the coalition's users on sanctions packages through the API; the fixture designations."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.releasing import release_communique, sign_head
from tests.support.signoffs import register_keys

FIXTURE = json.loads((Path(__file__).parents[1] / "data" / "sanctions" / "package.json").read_text("utf-8"))
DESIGNATIONS = {d["id"]: d for d in FIXTURE["designations"]}
TIER_3 = {
    "economic_loss_eur": 60_000_000,
    "critical_sectors": ["energy", "health"],
    "state_backing": "state-encouraged",
    "attribution_confidence": "highly_likely",
}
SANCTIONS = "/api/v1/sanctions/packages"
D002_LATIN = DESIGNATIONS["D-002"]["primary_name"]["transliterated"]["whole_name"]


class Desk:
    def __init__(self, world: Any) -> None:
        self.world = world
        self.tokens: dict[str, dict[str, str]] = {}
        self.keys: dict[str, Any] = {}

    async def call(self, user: str, method: str, path: str, json: Any = None, *, status: int | None = None, **kw):
        if user not in self.tokens:
            self.tokens[user] = await self.world.token(user)
        response = await self.world.client.request(method, path, json=json, headers=self.tokens[user], **kw)
        text = await response.text()
        if status is not None:
            assert response.status == status, text
        try:
            body = json_loads(text)
        except ValueError:
            body = text
        return response, body

    async def incident(self, *, tier: int = 3, review: str | None = "cleared") -> int:
        body = {"title": "Grid intrusion campaign", "metrics": TIER_3, "participants": ["FR", "EU"]}
        _, incident = await self.call("ee.drafter", "POST", "/api/v1/incidents", body, status=201)
        iid = incident["id"]
        decision = {"tier": tier, "justification": "weighed"}
        await self.call("ee.signatory", "POST", f"/api/v1/incidents/{iid}/decisions", decision, status=201)
        if review is not None:
            legal = {"tier": tier, "outcome": review, "reviewer": "Legal Adviser", "conclusion": "Proportionate."}
            await self.call("ee.signatory", "POST", f"/api/v1/incidents/{iid}/legal-reviews", legal, status=201)
        return iid

    async def package(self, parties: tuple[str, ...] = ("FR", "EU")) -> int:
        iid = await self.incident()
        body = {"title": "Cyber sanctions package 1", "participants": list(parties)}
        _, package = await self.call(
            "ee.drafter", "POST", f"/api/v1/incidents/{iid}/sanctions-packages", body, status=201
        )
        await self.accept(package["id"], parties)
        return package["id"]

    async def add(self, pid: int, did: str, *, status: int = 201, user: str = "ee.drafter", **extra: Any):
        body = {"designation": copy.deepcopy(DESIGNATIONS[did])} | extra
        return (await self.call(user, "POST", f"{SANCTIONS}/{pid}/designations", body, status=status))[1]

    async def accept(self, pid: int, parties: tuple[str, ...] = ("FR", "EU")) -> None:
        for party in parties:
            user = {"FR": "fr.drafter", "EU": "eu.secretariat"}[party]
            await self.call(user, "POST", f"/api/v1/communiques/{pid}/acceptance", status=200)

    async def sign_all(self, pid: int) -> dict[str, Any]:
        """Every party's signatory signs the head with a key registered for the test."""
        if not self.keys:
            self.keys = await register_keys(self.world)
        return await sign_head(self.world, self.keys, pid)

    async def release(self, pid: int, *, after: timedelta = timedelta(hours=1)) -> datetime:
        """Sign off, agree an embargo ``after`` from now, schedule, and move the clock past it."""
        await self.sign_all(pid)
        at = self.world.clock() + after
        await release_communique(self.world, pid, at)
        self.world.clock.advance(after + timedelta(minutes=1))
        self.tokens.clear()  # sessions and tokens may have expired meanwhile
        return at


def json_loads(text: str) -> Any:
    return json.loads(text) if text else None

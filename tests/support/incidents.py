"""The incident desk: acts as the coalition's users on incidents through the API; metrics for each tier."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TIER_2 = {"disruption_hours": 6, "countries_affected": 3, "attribution_confidence": "likely"}
TIER_3 = {
    "economic_loss_eur": 60_000_000,
    "critical_sectors": ["energy", "health"],
    "state_backing": "state-encouraged",
    "attribution_confidence": "highly_likely",
}
TIER_4 = {"disruption_hours": 96, "state_backing": "state-ordered", "attribution_confidence": "almost_certain"}

ATTRIBUTION_PARAMS = {
    "actor_state": "the Federation of Examplia",
    "actor_names": ["EXAMPLE BEAR"],
    "activity": "the compromise of hospital networks",
    "first_observed": "2026-09-01",
    "sectors": ["health"],
    "confidence": "highly_likely",
    "technical_summary": "Shared infrastructure and tooling with earlier campaigns.",
}


@dataclass
class Desk:
    """Acts as the coalition's users through the API, one cached token per user."""

    world: Any
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    async def headers(self, user: str | None) -> dict[str, str]:
        if user is None:
            return {}
        if user not in self.tokens:
            self.tokens[user] = await self.world.token(user)
        return self.tokens[user]

    async def call(
        self,
        user: str | None,
        method: str,
        path: str,
        json: Any = None,
        *,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> tuple[Any, Any]:
        response = await self.world.client.request(
            method, path, json=json, headers=(await self.headers(user)) | (headers or {})
        )
        text = await response.text()
        body = await response.json(content_type=None) if text else None
        if status is not None:
            assert response.status == status, text
        return response, body

    async def open(self, user: str = "ee.drafter", **fields: Any) -> dict:
        body = {"title": "Hospital ransomware campaign", "metrics": TIER_3, "participants": ["FR"]} | fields
        return (await self.call(user, "POST", "/api/v1/incidents", body, status=201))[1]

    async def decide(self, user: str, incident: dict, tier: int, status: int = 201, **extra: Any) -> Any:
        body = {"tier": tier, "justification": f"{user} weighed the evidence"} | extra
        return (await self.call(user, "POST", f"/api/v1/incidents/{incident['id']}/decisions", body, status=status))[1]

    async def review(self, user: str, incident: dict, tier: int, outcome: str = "cleared", status: int = 201) -> Any:
        body = {"tier": tier, "outcome": outcome, "reviewer": "Legal Adviser, MFA", "conclusion": "Proportionate."}
        return (
            await self.call(user, "POST", f"/api/v1/incidents/{incident['id']}/legal-reviews", body, status=status)
        )[1]

    async def get(self, user: str, incident: dict) -> dict:
        return (await self.call(user, "GET", f"/api/v1/incidents/{incident['id']}", status=200))[1]

    async def draft(
        self,
        user: str,
        incident: dict,
        template: str = "joint-attribution",
        params: dict | None = None,
        participants: list[str] | None = None,
    ) -> tuple[Any, Any]:
        body = {
            "template": template,
            "params": ATTRIBUTION_PARAMS if params is None else params,
            "participants": ["FR"] if participants is None else participants,
        }
        return await self.call(user, "POST", f"/api/v1/incidents/{incident['id']}/communique-drafts", body)

"""A world with one of everything a drafter can reach, for the hostile tests that walk every route.

``seed_everything`` returns the signed-in drafter's headers and a value for every path parameter
name, so a request reaches the handler's body reading and domain code instead of stopping at a 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from tests.support.drafting import create, head, section
from tests.support.sanctions import SANCTIONS, Desk

from entente.models import AuditEntry


@dataclass
class Seeded:
    headers: dict[str, str]
    params: dict[str, str]

    def path(self, template: str, **override: str) -> str:
        values = self.params | override
        return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "renew"), template)


async def seed_everything(world: Any) -> Seeded:
    desk = Desk(world)
    pid = await desk.package()
    await desk.add(pid, "D-001")
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    designation = package["designations"][0]["designation"]["id"]
    iid = await desk.incident()
    evidence = {"kind": "technical_data", "title": "Log", "body": "b", "source": "s", "marking": {"public": True}}
    _, incident = await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{iid}/evidence", evidence, status=201)
    headers = await world.token("ee.drafter")
    created = await create(world.client, headers, sections=[section("Opening", "text")])
    cid = created["communique"]
    version = await head(world.client, headers, cid)
    section_id = version["sections"][0]["id"]
    comment = await world.client.post(
        f"/api/v1/communiques/{cid}/sections/{section_id}/comments", json={"body": "Too strong?"}, headers=headers
    )
    assert comment.status == 201, await comment.text()
    tokens = await (await world.client.get("/api/v1/tokens", headers=headers)).json()
    params = {
        "communique": str(cid),
        "version": str(version["number"]),
        "before": "1",
        "after": str(version["number"]),
        "section": section_id,
        "comment": str((await comment.json())["id"]),
        "incident_id": str(iid),
        "incident": str(iid),
        "evidence_id": str(incident["evidence"][-1]["id"]) if "evidence" in incident else "1",
        "package": str(pid),
        "designation": designation,
        "token_id": str(tokens[0]["id"]),
        "code": "EE",
        "party": "EE",
        "template_id": "joint-advisory",
        "file": "latest.json",
    }
    return Seeded(headers, params)


async def database_state(world: Any) -> dict[str, Any]:
    """Row counts of every table and the head of the audit chain: what a refused request must not change."""
    from sqlmodel import SQLModel

    async with world.sessions() as session:
        counts = {
            table.name: (await session.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
            for table in SQLModel.metadata.sorted_tables
            if table.name not in ("login_attempt",)
        }
        last = (await session.execute(sa.select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1))).scalar()
    return {"counts": counts, "audit_head": last}

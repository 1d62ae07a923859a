"""Shared helpers of the drafting tests (no tests here: the name only keeps it among the drafting test files)."""

from __future__ import annotations

from typing import Any

BASE = "/api/v1/communiques"


def section(heading: str, body: str = "", *, to: list[str] | None = None, id: str | None = None) -> dict[str, Any]:
    marking: dict[str, Any] = {"public": True} if to is None else {"releasable_to": to}
    value: dict[str, Any] = {"heading": heading, "body": body, "marking": marking}
    if id is not None:
        value["id"] = id
    return value


def editable(version: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections of a version view as an editor sends them back."""
    return [
        {"id": s["id"], "heading": s["heading"], "body": s["body"], "marking": s["marking"]}
        for s in version["sections"]
    ]


def if_match(digest: str) -> dict[str, str]:
    return {"If-Match": f'"{digest}"'}


async def create(
    client,
    headers,
    *,
    title="Joint statement",
    participants=(),
    sections=(),
    kind="joint_statement",
    status=201,
    **extra,
) -> dict[str, Any]:
    body = {"kind": kind, "title": title, "participants": list(participants), "sections": list(sections), **extra}
    response = await client.post(BASE, json=body, headers=headers)
    assert response.status == status, await response.text()
    return await response.json(content_type=None)


async def save(client, headers, cid: int, base: str, *, status=201, **body) -> dict[str, Any]:
    response = await client.post(f"{BASE}/{cid}/versions", json=body, headers=headers | if_match(base))
    assert response.status == status, await response.text()
    return await response.json(content_type=None)


async def accept(client, headers, cid: int) -> dict[str, Any]:
    response = await client.post(f"{BASE}/{cid}/acceptance", headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def head(client, headers, cid: int, *, status=200) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{cid}/versions/head", headers=headers)
    assert response.status == status, await response.text()
    return await response.json(content_type=None)


async def two_party(world, *, sections=None) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """EE leads, FR invited and accepted; returns (head version, ee headers, fr headers)."""
    ee = await world.token("ee.drafter")
    fr = await world.token("fr.drafter")
    created = await create(
        world.client,
        ee,
        participants=["FR"],
        sections=sections if sections is not None else [section("Summary", "We condemn the operation.")],
    )
    await accept(world.client, fr, created["communique"])
    return await head(world.client, ee, created["communique"]), ee, fr

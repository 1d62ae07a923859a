"""Roster helpers through the API: register keys, propose a roster version, submit a signature."""

from __future__ import annotations

from entente import signing
from entente.parties import chain


async def register_keys(world, *codes: str) -> dict[str, signing.PrivateKey]:
    out = {}
    headers = await world.token("eu.secretariat")
    for code in codes:
        key = signing.generate_private_key()
        response = await world.client.post(f"/api/v1/parties/{code}/keys", json={"jwk": key.jwk}, headers=headers)
        assert response.status == 201, await response.text()
        out[code] = key
    return out


async def propose(world, body: dict | None = None) -> dict:
    response = await world.client.post(
        "/api/v1/roster/proposals", json=body or {}, headers=await world.token("eu.secretariat")
    )
    assert response.status == 201, await response.text()
    return await response.json()


async def submit(world, proposal: dict, key: signing.PrivateKey, user: str, *, iat: int | None = None, **extra):
    payload = await (
        await world.client.get(f"/api/v1/roster/proposals/{proposal['id']}/payload", headers=await world.token(user))
    ).read()
    envelope = signing.sign_detached(
        payload, [key], typ=chain.ROSTER_JWS_TYPE, iat=iat if iat is not None else int(world.clock().timestamp())
    )
    return await world.client.post(
        f"/api/v1/roster/proposals/{proposal['id']}/signatures",
        json={"jws": envelope, **extra},
        headers=await world.token(user),
    )

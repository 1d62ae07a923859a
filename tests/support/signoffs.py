"""Sign-off helpers: register one key per party, fetch the signing payload, sign a version."""

from __future__ import annotations

from datetime import timedelta

from tests.support.drafting import BASE

from entente import parties, signing
from entente.signoffs import SIGNOFF_TYP


async def register_keys(world) -> dict[str, signing.PrivateKey]:
    """Generate and register one Ed25519 key per party of the small coalition."""
    made = {party: signing.generate_private_key() for party in ("EE", "FR", "EU")}
    async with world.sessions.begin() as session:
        for party, key in made.items():
            await parties.add_key(
                session,
                party=party,
                jwk=key.public_key.jwk,
                actor="test",
                now=world.clock(),
                not_before=world.clock() - timedelta(days=1),
            )
    return made


async def payload(world, headers, cid: int, number: int | str = "head") -> bytes:
    response = await world.client.get(f"{BASE}/{cid}/versions/{number}/signing-payload", headers=headers)
    assert response.status == 200
    return await response.read()


def jws(key: signing.PrivateKey, data: bytes, world, *, iat_shift: timedelta = timedelta(0), typ: str = SIGNOFF_TYP):
    return signing.sign_detached(data, [key], typ=typ, iat=int((world.clock() + iat_shift).timestamp()))


async def sign(world, username: str, cid: int, envelope, *, version="head", status=201) -> dict:
    headers = await world.token(username)
    response = await world.client.post(
        f"{BASE}/{cid}/versions/{version}/signoffs", json={"jws": envelope}, headers=headers
    )
    assert response.status == status, await response.text()
    return await response.json(content_type=None)

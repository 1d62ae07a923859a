"""``entente init --demo``: one joint statement gone all the way to the public, so the public site and
its verification recipe have something to show from the first start.

EE drafts it with LV and LT (one public section, one releasable to the three only), each party's
signatory signs the exact version with its demo key, the comms officers agree an instant, EE's
schedules it and lifts the embargo at once (the reason says why), and it is published. Every step goes
through the same domain functions as the API, as the demo users, and is audited. Re-running adds
nothing when the statement exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import auth, drafting, releases, signing, signoffs
from entente.cli.common import database, run
from entente.clock import system_clock
from entente.ladder import load_ladder
from entente.models import Communique, CommuniqueCreate, CommuniqueKind, Release, ReleaseDecision, SectionInput
from entente.publisher import publisher_for
from entente.settings import Settings

__all__ = ["DEMO_PARTIES", "DEMO_TITLE", "seed_demo_statement"]

DEMO_TITLE = "Joint statement on the disruption of the Baltic power grid"
DEMO_PARTIES = ("EE", "LV", "LT")
SECTIONS = [
    SectionInput(
        heading="Statement",
        body=(
            "Estonia, Latvia and Lithuania **condemn** the cyber operation that disrupted the Baltic power "
            "grid on 12 November 2026 and left 400 000 households without power for up to 30 hours.\n\n"
            "We will respond together, in line with international law."
        ),
    ),
    SectionInput.model_validate(
        {
            "heading": "Handling note",
            "body": "Attribution rests on partner reporting; do not cite sources.",
            "marking": {"public": False, "releasable_to": list(DEMO_PARTIES)},
        }
    ),
]


async def _seed(config: Settings, keys: Mapping[str, signing.PrivateKey], now: datetime) -> int | None:
    """The demo statement's id, released; None when it was there already."""
    async with database(config) as maker:
        async with maker.begin() as session:
            release = await _schedule(config, keys, now, session)
        if release is None:
            return None
        # As the server does after scheduling and at its next tick: the log's checkpoint, the signed
        # public PDF, then the publication entry.
        async with publisher_for(config, maker) as publisher:
            await publisher.after_release_change(release.id or 0)
            await publisher.tick()
        return release.communique_id


async def _schedule(
    config: Settings, keys: Mapping[str, signing.PrivateKey], now: datetime, session: AsyncSession
) -> Release | None:
    """Draft, sign, agree, schedule and lift the demo statement; None when it exists already."""
    if await session.scalar(select(Communique.id).where(Communique.title == DEMO_TITLE)) is not None:
        return None
    until = now + timedelta(minutes=5)

    async def user(name: str) -> auth.Caller:
        return await auth.caller_for(session, name, via="init", until=until)

    data = CommuniqueCreate(
        kind=CommuniqueKind.JOINT_STATEMENT,
        title=DEMO_TITLE,
        participants=list(DEMO_PARTIES[1:]),
        sections=SECTIONS,
    )
    communique, _ = await drafting.create_communique(
        session,
        caller=await user("ee.drafter"),
        data=data,
        now=now,
        max_sections=config.limits.max_sections,
        templates={},
        ladder=load_ladder(config.paths.ladder),
    )
    cid = communique.id or 0
    for code in DEMO_PARTIES[1:]:
        await drafting.accept_invitation(
            session, communique_id=cid, caller=await user(f"{code.lower()}.drafter"), now=now
        )
    head = await drafting.find_version(session, cid, communique.head_number)
    assert head is not None
    for code in DEMO_PARTIES:
        envelope = signing.sign_detached(
            head.content, [keys[code]], typ=signoffs.SIGNOFF_TYP, iat=int(now.timestamp())
        )
        await signoffs.add_signoff(
            session,
            communique_id=cid,
            caller=await user(f"{code.lower()}.signatory"),
            version="head",
            envelope=envelope,
            templates={},
            now=now,
        )
    at = (now + timedelta(minutes=1)).replace(microsecond=0)
    await releases.propose_release(session, communique_id=cid, caller=await user("ee.comms"), at=at, now=now)
    for code in DEMO_PARTIES[1:]:
        await releases.respond_release(
            session,
            communique_id=cid,
            caller=await user(f"{code.lower()}.comms"),
            party=code,
            decision=ReleaseDecision.ACCEPT,
            at=at,
            now=now,
        )
    comms = await user("ee.comms")
    await releases.schedule_release(session, communique_id=cid, caller=comms, now=now)
    reason = "demo: published at once so the public site has a statement to show"
    return await releases.lift_release(session, communique_id=cid, caller=comms, reason=reason, now=now)


def seed_demo_statement(config: Settings, keys: Mapping[str, signing.PrivateKey]) -> None:
    missing = [code for code in DEMO_PARTIES if code not in keys]
    if missing:
        print(f"demo statement: skipped ({', '.join(missing)} not in the demo coalition)")
        return
    cid = run(_seed(config, keys, system_clock()))
    if cid is None:
        print("demo statement: already released")
    else:
        print(
            f"demo statement: communiqué {cid} signed by {', '.join(DEMO_PARTIES)} and released: /releases/{cid}"
        )

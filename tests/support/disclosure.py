"""What each party may see of a communiqué, worked out from the stored rows alone, never through the code
under test."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import sqlalchemy as sa

from entente import canonical
from entente.models import CommuniqueParticipant, CommuniqueVersion, SectionComment, VersionItem

VIEWERS = {"EE": "ee.drafter", "FR": "fr.drafter", "EU": "eu.secretariat", "LV": "lv.drafter"}
#: The read-only oversight users of two parties: each may see exactly what its party may see.
OVERSIGHT = {"EE": "ee.oversight", "FR": "fr.oversight"}
TOKEN = re.compile(r"TOK\d+x\d+[HBC]")
B64 = re.compile(r"[A-Za-z0-9_-]{40,}")


async def ground_truth(world, cid: int) -> tuple[dict[str, set[str]], set[str], set[str], int]:
    """Tokens each party may see, every section id, every token written anywhere, the version count."""
    async with world.sessions() as session:
        accepted = set(
            (
                await session.execute(
                    sa.select(CommuniqueParticipant.party).where(
                        CommuniqueParticipant.communique_id == cid, CommuniqueParticipant.accepted
                    )
                )
            ).scalars()
        )
        versions = (
            (
                await session.execute(
                    sa.select(CommuniqueVersion)
                    .where(CommuniqueVersion.communique_id == cid)
                    .order_by(CommuniqueVersion.number)
                )
            )
            .scalars()
            .all()
        )
        items = (
            await session.execute(
                sa.select(VersionItem.version_id, VersionItem.disclosure, VersionItem.marking_disclosure).where(
                    VersionItem.communique_id == cid
                )
            )
        ).all()
        query = sa.select(SectionComment).where(SectionComment.communique_id == cid)
        comments = (await session.execute(query)).scalars().all()
    by_version: dict[int, list[str]] = {}
    marking_of: dict[str, Any] = {}  # format 2: marking disclosure digest -> the marking it discloses
    for version_id, disclosure, marking_disclosure in items:
        by_version.setdefault(version_id, []).append(disclosure)
        if marking_disclosure is not None:
            opened = canonical.decode_disclosure(marking_disclosure)
            marking_of[opened.digest] = opened.value
    allowed: dict[str, set[str]] = {party: set() for party in VIEWERS}
    everything: set[str] = set()
    latest: dict[str, dict[str, Any]] = {}
    for version in versions:
        obj = json.loads(version.content)
        # Format 1 objects hold each marking; format 2 objects its disclosure's digest.
        marks = {
            entry["digest"]: entry["marking"] if isinstance(entry["marking"], dict) else marking_of[entry["marking"]]
            for entry in obj["sections"] + obj["annex"]
        }
        for encoded in by_version.get(version.id, []):
            disclosure = canonical.decode_disclosure(encoded)
            mark = marks[disclosure.digest]
            tokens = set(TOKEN.findall(json.dumps(disclosure.value)))
            everything |= tokens
            latest[disclosure.name] = mark
            for party in accepted:
                if mark["public"] or party in mark["releasable_to"]:
                    allowed[party] |= tokens
    for comment in comments:
        tokens = set(TOKEN.findall(comment.body))
        everything |= tokens
        mark = latest[comment.section_id]
        for party in accepted:
            if mark["public"] or party in mark["releasable_to"]:
                allowed[party] |= tokens
    return allowed, set(latest), everything, len(versions)


def found(text: str) -> set[str]:
    """Tokens in an answer, including inside base64url strings (disclosures)."""
    tokens = set(TOKEN.findall(text))
    for chunk in B64.findall(text):
        try:
            decoded = base64.urlsafe_b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        tokens |= set(TOKEN.findall(decoded))
    return tokens

"""No text of a section ever reaches a viewer it is not releasable to, through any endpoint.

Hypothesis generates edit histories of one communiqué (EE leads, FR takes part, EU is invited and
may accept late, LV is never on the roster): sections added with random markings by each party,
edits, narrowing and (refused or allowed) widening, stale saves that merge or conflict, comments.
Every section heading, body and comment carries a unique token. Afterwards the ground truth is read
from the stored version objects and disclosures (never through the code under test), and every
read path is probed as every viewer: JSON (lists, versions, payloads, diffs, comments, sign-off
status), write and error answers, and the HTML pages. Base64url strings in answers (disclosures)
are decoded and searched too.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta
from typing import Any

from hypothesis import example
from hypothesis import strategies as st

from entente import auth, parties
from entente.models import (
    BrowserSession,
    Party,
    PartyKind,
    Role,
)
from tests.support.backends import on_both_backends
from tests.support.disclosure import OVERSIGHT, VIEWERS, found, ground_truth
from tests.support.drafting import BASE, create, editable, if_match
from tests.support.world import PASSWORD

PARTIES = ["EE", "FR", "EU"]
EDITORS = {"EE": "ee.drafter", "FR": "fr.drafter", "EU": "eu.secretariat"}
counter = itertools.count()

markings = st.one_of(st.none(), st.sets(st.sampled_from(PARTIES), min_size=1, max_size=3))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(PARTIES), markings),
        st.tuples(st.just("edit"), st.sampled_from(PARTIES), st.integers(0, 6), st.one_of(st.just("keep"), markings)),
        st.tuples(st.just("stale"), st.sampled_from(PARTIES), st.integers(0, 6)),
        st.tuples(st.just("comment"), st.sampled_from(PARTIES), st.integers(0, 6)),
        st.tuples(st.just("accept"), st.just("EU")),
    ),
    min_size=2,
    max_size=9,
)


def marking(value: set[str] | None) -> dict[str, Any]:
    return {"public": True} if value is None else {"releasable_to": sorted(value)}


class History:
    def __init__(self, world, headers: dict[str, dict[str, str]]) -> None:
        self.world, self.headers = world, headers
        self.example = next(counter)
        self.serial = itertools.count()
        self.cid = 0
        self.oldest_digest = ""
        self.answers: list[tuple[str, str, set[str]]] = []  # (viewer party, answer text, tokens it sent)

    def token(self, kind: str) -> str:
        return f"TOK{self.example}x{next(self.serial)}{kind}"

    async def head(self, party: str) -> dict[str, Any] | None:
        response = await self.world.client.get(f"{BASE}/{self.cid}/versions/head", headers=self.headers[party])
        return await response.json(content_type=None) if response.status == 200 else None

    async def post(self, party: str, path: str, body: dict[str, Any], sent: set[str], headers=None) -> None:
        response = await self.world.client.post(path, json=body, headers=self.headers[party] | (headers or {}))
        assert response.status < 500, await response.text()
        self.answers.append((party, await response.text(), sent))

    async def save(self, party: str, base: str, sections: list[dict[str, Any]], sent: set[str]) -> None:
        await self.post(party, f"{BASE}/{self.cid}/versions", {"sections": sections}, sent, if_match(base))

    async def run(self, op: tuple) -> None:
        kind, party = op[0], op[1]
        if kind == "accept":
            await self.post(party, f"{BASE}/{self.cid}/acceptance", {}, set())
            return
        view = await self.head(party)
        if view is None:
            return
        sections = editable(view)
        if kind == "add":
            heading, body = self.token("H"), self.token("B")
            new = {"heading": heading, "body": body, "marking": marking(op[2])}
            await self.save(party, view["digest"], [*sections, new], {heading, body})
        elif kind == "edit" and sections:
            index = op[2] % len(sections)
            body = self.token("B")
            changed = dict(sections[index], body=body)
            if op[3] != "keep":
                changed["marking"] = marking(op[3])
            sections[index] = changed
            await self.save(party, view["digest"], sections, {body})
        elif kind == "stale":
            old = await self.world.client.get(
                f"{BASE}/{self.cid}/versions/{self.oldest_digest}", headers=self.headers[party]
            )
            if old.status != 200:
                return
            old_sections = editable(await old.json())
            if old_sections:
                body = self.token("B")
                index = op[2] % len(old_sections)
                old_sections[index] = dict(old_sections[index], body=body)
                await self.save(party, self.oldest_digest, old_sections, {body})
        elif kind == "comment" and sections:
            body = self.token("C")
            target = sections[op[2] % len(sections)]["id"]
            await self.post(party, f"{BASE}/{self.cid}/sections/{target}/comments", {"body": body}, {body})


async def probe(world, headers: dict[str, str], cookie: dict[str, str], cid: int, ids: set[str], count: int) -> str:
    """Everything ``party`` can read about the communiqué, concatenated."""
    client = world.client
    texts: list[str] = []

    async def get(path: str, use: dict[str, str]) -> None:
        response = await client.get(path, headers=use, allow_redirects=False)
        assert response.status < 500, await response.text()
        texts.append(await response.text())

    for path in ("", f"/{cid}", f"/{cid}/versions", f"/{cid}/comments", f"/{cid}/versions/head/signoffs"):
        await get(BASE + path, headers)
    for number in range(1, count + 1):
        await get(f"{BASE}/{cid}/versions/{number}", headers)
        await get(f"{BASE}/{cid}/diff/{max(1, number - 1)}/{number}", headers)
    await get(f"{BASE}/{cid}/diff/1/head", headers)
    await get(f"{BASE}/{cid}/versions/head/signing-payload", headers)
    for section_id in sorted(ids):
        response = await client.post(
            f"{BASE}/{cid}/sections/{section_id}/comments", json={"body": "<b>probe</b>"}, headers=headers
        )
        texts.append(await response.text())
    for path in (
        "/communiques",
        f"/communiques/{cid}",
        f"/communiques/{cid}/versions",
        f"/communiques/{cid}/versions/head",
        f"/communiques/{cid}/diff/1/head",
        f"/communiques/{cid}/signoff",
    ):
        await get(path, cookie)
    return "\n".join(texts)


CREDENTIALS: dict[int, tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]] = {}


async def credentials(world) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """API tokens and browser session cookies of every viewer (made once per test database)."""
    key = id(world)
    if key not in CREDENTIALS:
        CREDENTIALS.clear()
        everyone = VIEWERS | {user: user for user in OVERSIGHT.values()}  # oversight users keyed by name
        headers = {party: await world.token(user) for party, user in everyone.items()}
        cookies = {}
        async with world.sessions.begin() as session:
            for party, user in everyone.items():
                secret = secrets.token_urlsafe(32)
                row = await auth.get_user(session, user)
                session.add(
                    BrowserSession(
                        id_hash=auth.credential_hash(secret),
                        user_id=row.id,
                        csrf_token="x",
                        created_at=world.clock(),
                        expires_at=world.clock() + timedelta(hours=1),
                    )
                )
                cookies[party] = {"Cookie": f"entente_session={secret}"}
        CREDENTIALS[key] = (headers, cookies)
    return CREDENTIALS[key]


@example(
    history=[
        ("add", "EE", {"EE"}),
        ("comment", "EE", 1),
        ("edit", "FR", 0, {"FR"}),
        ("stale", "FR", 0),
        ("accept", "EU"),
    ]
)
@example(
    history=[
        ("accept", "EU"),
        ("add", "FR", {"FR", "EU"}),
        ("comment", "EU", 1),
        ("edit", "EE", 0, "keep"),
        ("edit", "EU", 1, {"EU"}),
        ("stale", "EE", 0),
    ]
)
async def _no_section_text_reaches_a_viewer_it_is_not_releasable_to(world, history) -> None:
    async with world.sessions.begin() as session:
        if await session.get(Party, "LV") is None:
            await parties.seed_coalition(session, [LATVIA], password=PASSWORD, now=world.clock())
    headers, cookies = await credentials(world)
    run = History(world, headers)
    v1 = await create(
        world.client,
        headers["EE"],
        participants=["FR", "EU"],
        sections=[{"heading": run.token("H"), "body": run.token("B"), "marking": {"public": True}}],
    )
    run.cid = v1["communique"]
    accepted = await world.client.post(f"{BASE}/{run.cid}/acceptance", headers=headers["FR"])
    run.oldest_digest = accepted.headers["ETag"].strip('"')
    for op in history:
        await run.run(op)
    allowed, ids, everything, count = await ground_truth(world, run.cid)
    for party, text, sent in run.answers:
        leaked = found(text) - allowed[party] - sent
        assert not leaked, f"{party} got {sorted(leaked)} from a write answer"
    for party in VIEWERS:
        seen = found(await probe(world, headers[party], cookies[party], run.cid, ids, count))
        leaked = seen - allowed[party]
        assert not leaked, f"{party} saw {sorted(leaked)}; allowed {sorted(allowed[party])}"
        assert seen <= everything
    # A party's oversight body reads what its party may read, never more (and, not vacuously, that much).
    for party, user in OVERSIGHT.items():
        seen = found(await probe(world, headers[user], cookies[user], run.cid, ids, count))
        leaked = seen - allowed[party]
        assert not leaked, f"{user} saw {sorted(leaked)}; allowed {sorted(allowed[party])}"
        assert seen, f"{user} saw nothing of its party's communiqué"


(
    test_no_section_text_reaches_a_viewer_it_is_not_releasable_to,
    test_no_section_text_reaches_a_viewer_it_is_not_releasable_to_on_postgresql,
) = on_both_backends(
    _no_section_text_reaches_a_viewer_it_is_not_releasable_to, examples=10, strategies={"history": operations}
)


LATVIA = parties.SeedParty(
    "LV", "Republic of Latvia", PartyKind.STATE, "Europe/Riga", (parties.SeedUser("lv.drafter", "LV", (Role.DRAFTER,)),)
)

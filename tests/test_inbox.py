"""What waits for me, notices and their deliveries (SMTP sink, signed webhooks), and what a notice may say."""

from __future__ import annotations

import asyncio
import email
import itertools
import json
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from hypothesis import example
from hypothesis import strategies as st

from entente import auth, inbox, parties, signing
from entente.models import Delivery, DeliveryState, Notice, Party, PartyKind, Role, User, UserSetting
from entente.settings import NotifySettings
from tests.support.backends import on_both_backends
from tests.support.drafting import BASE, accept, create, editable, head, if_match, section
from tests.support.pages import browser
from tests.support.releasing import release_url, signed_communique, three_party
from tests.support.world import PASSWORD

COUNT = re.compile(r'id="waiting-count">(\d+)<')


async def dispatch(world, *, email: bool = False) -> int:
    async with world.sessions.begin() as session:
        return await inbox.dispatch_notices(session, world.clock(), email=email)


async def notices_of(world, username: str) -> list[Notice]:
    async with world.sessions() as session:
        user = await auth.get_user(session, username)
        return list(await inbox.list_notices(session, user.id or 0, limit=500))


def waiting_section(page: str) -> str:
    start = page.index('id="waiting"')
    return page[start : page.index("</section>", start)]


async def test_the_dashboard_leads_with_what_waits_for_me_and_the_top_bar_counts_it(world) -> None:
    cid = await three_party(world)
    fr_signatory = await browser(world, "fr.signatory")
    page = await fr_signatory.get("/dashboard")
    shown = waiting_section(page)
    assert "Versions to sign" in shown and f"/communiques/{cid}/signoff" in shown
    assert "version 3 waits for FR" in shown
    assert COUNT.search(page).group(1) == "1"
    assert page.index('id="waiting"') < page.index("The coalition")

    # an invitation waits for the invited party's drafter until it accepts
    ee = await world.token("ee.drafter")
    other = await create(world.client, ee, title="Second statement", participants=["FR"])
    fr_drafter = await browser(world, "fr.drafter")
    shown = waiting_section(await fr_drafter.get("/dashboard"))
    assert "Invitations to accept" in shown and "Second statement" in shown and "EE invited FR" in shown
    await accept(world.client, await world.token("fr.drafter"), other["communique"])
    assert "Second statement" not in waiting_section(await fr_drafter.get("/dashboard"))

    # an instant proposed by EE waits for FR's and EU's comms officers, not for EE's
    at = world.clock() + timedelta(hours=3)
    response = await world.client.post(
        release_url(cid), json={"at": at.isoformat()}, headers=await world.token("ee.comms")
    )
    assert response.status == 201, await response.text()
    fr_comms = await browser(world, "fr.comms")
    page = await fr_comms.get("/dashboard")
    assert "Embargo instants to accept or counter" in waiting_section(page)
    assert "EE proposed 2026-11-27T12:00:00Z" in waiting_section(page)
    assert 'data-countdown="2026-11-27T12:00:00Z"' in waiting_section(page)
    ee_comms = await browser(world, "ee.comms")
    assert "Nothing waits for you now." in waiting_section(await ee_comms.get("/dashboard"))

    # the instant passes before scheduling: a conflict to resolve
    world.clock.advance(timedelta(hours=4))
    ee_comms = await browser(world, "ee.comms")  # a new session: the first one ended after an hour
    shown = waiting_section(await ee_comms.get("/dashboard"))
    assert "Conflicts to resolve" in shown and "passed before scheduling" in shown


async def test_notices_follow_the_audit_trail_once_and_name_only_the_roster(world) -> None:
    cid = await three_party(world)
    assert await dispatch(world) > 0
    assert await dispatch(world) == 0  # idempotent: the cursor moved
    fr = [n.text for n in await notices_of(world, "fr.drafter")]
    assert any(f"EE invites FR to take part in communiqué {cid}" in t for t in fr)
    signatory = [n.text for n in await notices_of(world, "fr.signatory")]
    assert any("waits for FR's sign-off" in t for t in signatory)
    assert await notices_of(world, "fr.comms") == []  # nothing for comms until there is a release step

    # the top bar shows unread notices; reading them clears the count
    page_browser = await browser(world, "fr.signatory")
    page = await page_browser.get("/dashboard")
    assert 'id="unread-count"' in page and "Latest notices" in page
    notices_page = await page_browser.get("/notices")
    assert "waits for FR" in notices_page
    await page_browser.post("/notices/read", {})
    assert 'id="unread-count"' not in await page_browser.get("/dashboard")


async def test_a_lift_is_noticed_to_every_participating_party_with_its_reason(world, keys) -> None:
    cid = await signed_communique(world, keys)
    from tests.support.releasing import release_communique

    await release_communique(world, cid, world.clock() + timedelta(hours=2))
    await dispatch(world)
    fr = await browser(world, "fr.comms")
    _, text = await fr.post(f"/communiques/{cid}/release", {"action": "lift", "reason": "leaked to a newspaper"}, 422)
    assert "confirmation_required" in text
    await fr.post(
        f"/communiques/{cid}/release", {"action": "lift", "reason": "leaked to a newspaper", "confirm": "yes"}
    )
    await dispatch(world)
    for user in ("ee.comms", "eu.comms", "ee.signatory", "fr.drafter"):
        texts = [n.text for n in await notices_of(world, user)]
        assert any("FR lifted the embargo early" in t and "leaked to a newspaper" in t for t in texts), (user, texts)


# --- e-mail through a local SMTP sink -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


async def test_notices_are_e_mailed_through_smtp_when_configured(world) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async with world.sessions.begin() as session:
            user = await auth.get_user(session, "fr.drafter")
            session.add(UserSetting(user_id=user.id or 0, email="fr.drafter@example.org", updated_at=world.clock()))
        cid = await three_party(world)
        await dispatch(world, email=True)
        settings_ = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="entente@example.org")
        delivered = await inbox.deliver_due(world.sessions, settings_, world.clock())
        assert delivered
        await asyncio.sleep(0.05)
        assert len(sink.messages) == 1
        message = sink.messages[0]
        assert message["To"] == "fr.drafter@example.org" and message["From"] == "entente@example.org"
        assert f"EE invites FR to take part in communiqué {cid}" in message.get_payload(decode=True).decode()
        async with world.sessions() as session:
            row = (await session.execute(sa.select(Delivery))).scalar_one()
        assert row.state == DeliveryState.DELIVERED and row.attempts == 1
    finally:
        controller.stop()


async def test_an_unreachable_smtp_server_is_retried_with_backoff_then_marked_failed(world) -> None:
    async with world.sessions.begin() as session:
        user = await auth.get_user(session, "fr.drafter")
        session.add(UserSetting(user_id=user.id or 0, email="fr@example.org", updated_at=world.clock()))
    await three_party(world)
    await dispatch(world, email=True)
    settings_ = NotifySettings(smtp_host="127.0.0.1", smtp_port=1, attempts=3, retry_seconds=10, timeout_seconds=2)
    assert await inbox.deliver_due(world.sessions, settings_, world.clock()) == []
    async with world.sessions() as session:
        row = (await session.execute(sa.select(Delivery))).scalar_one()
    assert row.attempts == 1 and row.state == DeliveryState.PENDING and row.last_error
    assert row.next_at == world.clock() + timedelta(seconds=10)
    assert await inbox.deliver_due(world.sessions, settings_, world.clock()) == []  # not due yet
    world.clock.advance(timedelta(seconds=10))
    await inbox.deliver_due(world.sessions, settings_, world.clock())
    async with world.sessions() as session:
        row = (await session.execute(sa.select(Delivery))).scalar_one()
    assert row.attempts == 2 and row.next_at == world.clock() + timedelta(seconds=20)
    world.clock.advance(timedelta(seconds=20))
    await inbox.deliver_due(world.sessions, settings_, world.clock())
    async with world.sessions() as session:
        row = (await session.execute(sa.select(Delivery))).scalar_one()
    assert row.attempts == 3 and row.state == DeliveryState.FAILED


# --- signed webhooks ------------------------------------------------------------------------------


@asynccontextmanager
async def webhook_receiver(
    answers: Iterator[int],
) -> AsyncIterator[tuple[TestServer, list[tuple[dict[str, str], bytes]]]]:
    """A webhook receiver on loopback answering ``answers`` in turn, and what it received."""
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=next(answers))

    receiver = web.Application()
    receiver.router.add_post("/entente", hook)
    server = TestServer(receiver, host="127.0.0.1")
    await server.start_server()
    try:
        yield server, received
    finally:
        await server.close()


async def test_a_party_webhook_is_signed_with_hmac_retried_and_logged(world) -> None:
    async with webhook_receiver(itertools.chain([500], itertools.repeat(204))) as (server, received):
        fr = await browser(world, "fr.comms")
        page = await fr.get("/account/settings")
        assert "Webhook of FR" in page
        _, page = await fr.post("/account/webhook", {"url": str(server.make_url("/entente"))}, status=200)
        secret = re.search(r'id="webhook-secret">([^<]+)<', page).group(1)
        drafter = await browser(world, "fr.drafter")
        assert "Webhook of FR" not in await drafter.get("/account/settings")  # comms or secretariat only

        cid = await three_party(world)
        await dispatch(world)
        settings_ = NotifySettings(retry_seconds=5, webhook_private_addresses=True)  # the receiver is on loopback
        first = await inbox.deliver_due(world.sessions, settings_, world.clock())
        async with world.sessions() as session:
            queued = (await session.execute(sa.select(Delivery).order_by(Delivery.id))).scalars().all()
        assert len(queued) >= 2 and all(d.channel == "webhook" and d.party == "FR" for d in queued)
        refused = queued[0]  # the receiver answered 500 once
        assert refused.id not in first and refused.state == DeliveryState.PENDING and refused.last_status == 500
        assert refused.next_at == world.clock() + timedelta(seconds=5)
        assert await inbox.deliver_due(world.sessions, settings_, world.clock()) == []  # not due yet
        world.clock.advance(timedelta(seconds=5))
        assert await inbox.deliver_due(world.sessions, settings_, world.clock()) == [refused.id]
        assert len(received) == len(queued) + 1
        headers, body = received[-1]
        assert signing.webhook_signature_valid(secret, headers["Entente-Signature"], body)
        assert not signing.webhook_signature_valid("whsec_wrong", headers["Entente-Signature"], body)
        notice = json.loads(body)
        assert notice["party"] == "FR" and f"communique:{cid}" == notice["object"]
        assert headers["Entente-Signature"].startswith(f"t={int(world.clock().timestamp())},v1=")
        log = await fr.get("/account/settings")
        assert "Delivery log" in log and "delivered" in log and "<td>204 </td>" in log and "<td>2</td>" in log


async def test_a_webhook_reaches_public_addresses_only_unless_configured(world) -> None:
    async with webhook_receiver(itertools.repeat(204)) as (server, received):
        fr = await browser(world, "fr.comms")
        by_name = str(server.make_url("/entente")).replace("127.0.0.1", "localhost")
        for target in (str(server.make_url("/entente")), by_name):
            await fr.post("/account/webhook", {"url": target}, status=200)
            await three_party(world)
            await dispatch(world)
            await inbox.deliver_due(world.sessions, NotifySettings(), world.clock())
            async with world.sessions() as session:
                refused = (await session.execute(sa.select(Delivery).where(Delivery.target == target))).scalars().all()
            assert refused and all(d.state == DeliveryState.PENDING and d.attempts == 1 for d in refused)
            assert all("refused" in (d.last_error or "") and "public address" in d.last_error for d in refused), [
                d.last_error for d in refused
            ]
        assert received == []  # nothing left the server
        assert "notify.webhook_private_addresses" in await fr.get("/account/settings")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # a cloud's metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_what_counts_as_a_public_address(address: str, public: bool) -> None:
    assert inbox.deliveries.public_address(address) is public


async def test_a_webhook_needs_an_http_url_and_the_comms_role(world) -> None:
    fr = await browser(world, "fr.comms")
    _, page = await fr.post("/account/webhook", {"url": "file:///etc/passwd"}, status=422)
    assert "webhook_url_invalid" in page
    drafter = await browser(world, "fr.drafter")
    _, page = await drafter.post("/account/webhook", {"url": "https://example.org/x"}, status=403)
    assert "role_required" in page


async def test_preferences_refuse_an_unknown_zone_or_address_and_keep_a_good_one(world) -> None:
    fr = await browser(world, "fr.comms")
    _, page = await fr.post("/account/settings", {"timezone": "Mars/Olympus", "email": ""}, status=422)
    assert "zone_unknown" in page
    _, page = await fr.post("/account/settings", {"timezone": "UTC", "email": "not an address"}, status=422)
    assert "email_invalid" in page
    await fr.post("/account/settings", {"timezone": "America/New_York", "email": "fr.comms@example.org"})
    page = await fr.get("/account/settings")
    assert 'value="America/New_York"' in page and 'value="fr.comms@example.org"' in page


# --- nothing in a notice reveals more than the recipient may see ----------------------------------

PARTIES = ("EE", "FR", "EU")
EDITORS = {"EE": "ee.drafter", "FR": "fr.drafter", "EU": "eu.secretariat"}
COMMS = {"EE": "ee.comms", "FR": "fr.comms", "EU": "eu.comms"}
TOKEN = re.compile(r"TOK\d+x\d+[HBCTR]")
serial = itertools.count()
markings = st.one_of(st.none(), st.sets(st.sampled_from(PARTIES), min_size=1, max_size=3))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(PARTIES), markings),
        st.tuples(st.just("comment"), st.sampled_from(PARTIES)),
        st.tuples(st.just("title"), st.sampled_from(PARTIES)),
        st.tuples(st.just("accept"), st.sampled_from(("EU", "LV"))),
        st.tuples(st.just("propose"), st.sampled_from(PARTIES)),
        st.tuples(st.just("cancel"), st.sampled_from(PARTIES)),
    ),
    min_size=1,
    max_size=7,
)
LATVIA = parties.SeedParty(
    "LV",
    "Republic of Latvia",
    PartyKind.STATE,
    "Europe/Riga",
    (
        parties.SeedUser("lv.drafter", "LV", (Role.DRAFTER,)),
        parties.SeedUser("lv.comms", "LV comms", (Role.COMMS,)),
        parties.SeedUser("lv.signatory", "LV signatory", (Role.SIGNATORY,)),
    ),
)


@example(history=[("add", "EE", {"EE"}), ("title", "FR"), ("propose", "FR"), ("cancel", "EE"), ("accept", "LV")])
async def _no_notice_says_more_than_its_recipient_may_see(world, history) -> None:
    """Tokens go into section text (marked), comments, titles and cancel reasons; after every step the
    notices (and the webhook and e-mail bodies queued) of each party hold only tokens that party may
    read elsewhere: titles while on the roster, reasons once it takes part, sections by their marking.
    LV is never invited: nothing at all reaches it."""
    async with world.sessions.begin() as session:
        if await session.get(Party, "LV") is None:
            await parties.seed_coalition(session, [LATVIA], password=PASSWORD, now=world.clock())
        for code in ("EE", "FR", "EU", "LV"):
            await inbox.set_webhook(
                session, _hook_caller(code), url=f"https://{code.lower()}.example.org/h", now=world.clock()
            )
        for user in (await session.execute(sa.select(User))).scalars():
            if await session.get(UserSetting, user.id) is None:
                session.add(
                    UserSetting(user_id=user.id or 0, email=f"{user.username}@example.org", updated_at=world.clock())
                )
    example_id = next(serial)
    tokens = itertools.count()

    def token(kind: str) -> str:
        return f"TOK{example_id}x{next(tokens)}{kind}"

    headers = {p: await world.token(u) for p, u in EDITORS.items()}
    comms = {p: await world.token(u) for p, u in COMMS.items()}
    title = token("T")
    created = await create(
        world.client, headers["EE"], title=title, participants=["FR", "EU"], sections=[section(token("H"), token("B"))]
    )
    cid = created["communique"]
    await accept(world.client, await world.token("fr.drafter"), cid)
    titles, reasons, visible = {title}, set(), {p: set() for p in (*PARTIES, "LV")}
    accepted = {"EE", "FR"}
    for step in history:
        kind, party = step[0], step[1]
        if kind == "accept":
            if party == "EU" and "EU" not in accepted:
                await accept(world.client, headers["EU"], cid)
                accepted.add("EU")
            continue
        if party not in accepted:
            continue
        view = await head(world.client, headers[party], cid)
        if kind == "add":
            heading, body = token("H"), token("B")
            mark = {"public": True} if step[2] is None else {"releasable_to": sorted(step[2] | {party})}
            sections = [*editable(view), {"heading": heading, "body": body, "marking": mark}]
            r = await world.client.post(
                f"{BASE}/{cid}/versions", json={"sections": sections}, headers=headers[party] | if_match(view["digest"])
            )
            assert r.status < 500
        elif kind == "title":
            new = token("T")
            r = await world.client.post(
                f"{BASE}/{cid}/versions",
                json={"sections": editable(view), "title": new},
                headers=headers[party] | if_match(view["digest"]),
            )
            if r.status == 201:
                titles.add(new)
        elif kind == "comment" and view["sections"]:
            target = view["sections"][-1]["id"]
            await world.client.post(
                f"{BASE}/{cid}/sections/{target}/comments", json={"body": token("C")}, headers=headers[party]
            )
        elif kind == "propose":
            at = (world.clock() + timedelta(hours=5)).isoformat()
            await world.client.post(release_url(cid), json={"at": at}, headers=comms[party])
        elif kind == "cancel":
            reason = token("R")
            r = await world.client.post(release_url(cid, "cancel"), json={"reason": reason}, headers=comms[party])
            if r.status == 200:
                reasons.add(reason)
        await dispatch(world, email=True)
    await dispatch(world, email=True)
    for p in accepted:
        visible[p] = titles | reasons
    visible["EU"] |= titles  # invited: sees the metadata even before accepting
    async with world.sessions() as session:  # the world outlives one example: read this communiqué's only
        rows = (await session.execute(sa.select(Notice, User).join(User, User.id == Notice.user_id))).all()
        deliveries = (await session.execute(sa.select(Delivery))).scalars().all()
    mine = f"TOK{example_id}x"
    rows = [(n, u) for n, u in rows if n.object == f"communique:{cid}"]
    deliveries = [d for d in deliveries if f"communique:{cid}" in d.body or mine in d.body + d.subject]
    assert rows, "the history wrote no notice at all"
    for notice, user in rows:
        leaked = set(TOKEN.findall(notice.text + notice.link)) - visible[user.party_code]
        assert not leaked, f"{user.username} was told {sorted(leaked)}: {notice.text}"
        assert user.party_code != "LV", f"LV, never invited, got {notice.text}"
    for delivery in deliveries:
        leaked = set(TOKEN.findall(delivery.body + delivery.subject)) - visible[delivery.party]
        assert not leaked, f"a delivery to {delivery.party} carried {sorted(leaked)}"
        assert delivery.party != "LV"


(
    test_no_notice_says_more_than_its_recipient_may_see,
    test_no_notice_says_more_than_its_recipient_may_see_on_postgresql,
) = on_both_backends(_no_notice_says_more_than_its_recipient_may_see, examples=8, strategies={"history": steps})


def _hook_caller(code: str) -> auth.Caller:
    return auth.Caller(
        user_id=0,
        username=f"{code.lower()}.comms",
        display_name="",
        party=code,
        roles=frozenset({Role.COMMS}),
        via="test",
    )

"""Evaluating sign-offs: the signing policy, pre-authorisation by re-rendering, the quorum status."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import canonical, crisis, drafting, parties, quorum
from entente.auth import Caller
from entente.drafting.access import Access
from entente.drafting.versions import StoredItem
from entente.errors import InvalidInputError
from entente.models import (
    CommuniqueVersion,
    InvalidSignaturePublic,
    Party,
    RosterVersion,
    SignatoryPublic,
    Signoff,
    SignoffKind,
    SignoffStatusPublic,
    VersionRef,
)

__all__ = [
    "IAT_WINDOW",
    "SIGNOFF_TYP",
    "Context",
    "Evaluation",
    "evaluate",
    "head_ref",
    "is_unedited_rendering",
    "load_context",
    "policy_for",
    "refresh_ready",
    "signoff_status",
    "status_of",
]

SIGNOFF_TYP = "entente-signoff+jws"
IAT_WINDOW = timedelta(minutes=10)
"""A submitted signature's ``iat`` must lie within this of the server's clock (no backdating)."""


@functools.lru_cache(maxsize=16)
def _roster_policies(body: bytes) -> Mapping[str, Any]:
    return canonical.parse_strict(body).get("policies", {})


_POLICIES: dict[str, Mapping[str, Any]] = {}


async def policy_for(session: AsyncSession, kind: str) -> quorum.Policy:
    """The signing policy of ``kind`` in the effective roster; every participant signs by default.
    A roster version never changes: its policies are parsed once per digest and kept."""
    current = sa.select(col(RosterVersion.digest)).order_by(col(RosterVersion.version).desc()).limit(1)
    digest = (await session.execute(current)).scalar()
    if digest is None:
        return quorum.Policy()
    policies = _POLICIES.get(digest)
    if policies is None:
        body = (
            await session.execute(sa.select(col(RosterVersion.body)).where(col(RosterVersion.digest) == digest))
        ).scalar_one()
        policies = _POLICIES[digest] = _roster_policies(body)
        if len(_POLICIES) > 16:
            del _POLICIES[next(iter(_POLICIES))]
    value = policies.get("kinds", {}).get(kind, policies.get("default"))
    return quorum.Policy.from_dict(value) if value is not None else quorum.Policy()


# --- pre-authorisation -------------------------------------------------------------------------


def is_unedited_rendering(
    template: crisis.CrisisTemplate,
    params: Mapping[str, Any],
    *,
    lead: str,
    sections: Sequence[StoredItem],
    annex: Sequence[StoredItem],
    names: Mapping[str, str],
) -> bool:
    """True when re-rendering ``template`` with ``params`` gives exactly these sections (same ids,
    order, headings, bodies; public stays public, restricted stays restricted, lead-only stays the
    lead's) and there is no annex."""
    if annex:
        return False
    try:
        rendered = crisis.render(template, params, parties=names)
    except InvalidInputError:
        return False
    if len(rendered.sections) != len(sections):
        return False
    for expected, stored in zip(rendered.sections, sections, strict=True):
        item = stored.item
        if (expected.id, expected.heading, expected.body) != (item.id, item.heading, item.body):
            return False
        marking = item.marking
        if expected.marking is crisis.Marking.PUBLIC and not marking.public:
            return False
        if expected.marking is not crisis.Marking.PUBLIC and marking.public:
            return False
        if expected.marking is crisis.Marking.LEAD and marking.parties != {lead}:
            return False
    return True


# --- evaluation --------------------------------------------------------------------------------


@dataclass
class Context:
    access: Access
    version: CommuniqueVersion
    parties: list[str]
    markings: list[tuple[str, dict[str, Any]]]
    rows: list[Signoff] = field(default_factory=list)


async def load_context(session: AsyncSession, access: Access, ref: int | str) -> Context:
    """The sign-off context of a version the caller may read."""
    return await _context(session, access, await drafting.get_version(session, access, ref))


async def version_context(session: AsyncSession, access: Access, number: int) -> Context:
    """The sign-off context of version ``number``, whoever the caller is (server-side checks only)."""
    version = await drafting.find_version(session, access.id, number)
    assert version is not None, f"communiqué {access.id} has version {number}"
    return await _context(session, access, version)


async def _context(session: AsyncSession, access: Access, version: CommuniqueVersion) -> Context:
    obj = canonical.parse_strict(version.content)
    # Markings from the stored items: a format 2 object holds only their digests.
    sections, annex = await drafting.load_items(session, version.id or 0)
    markings = [("section", s.item.marking.to_dict()) for s in sections] + [
        ("annex", s.item.marking.to_dict()) for s in annex
    ]
    rows = (
        (await session.execute(select(Signoff).where(col(Signoff.version_id) == version.id).order_by(col(Signoff.id))))
        .scalars()
        .all()
    )
    return Context(access, version, list(obj["parties"]), markings, list(rows))


async def _covering(
    session: AsyncSession, ctx: Context, templates: Mapping[str, crisis.CrisisTemplate], now: datetime
) -> tuple[bool | None, dict[str, parties.CoveringPresignature]]:
    """Whether the version is an unedited rendering of its template, and the pre-signatures
    covering it now (by party), for parties that have no sign-off row of this version yet."""
    c = ctx.access.communique
    if c.template_id is None:
        return None, {}
    template = templates.get(c.template_id)
    params = ctx.version.template_params
    if template is None or template.digest != c.template_digest or params is None or c.tier is None:
        return False, {}
    sections, annex = await drafting.load_items(session, ctx.version.id or 0)
    rows = (await session.execute(sa.select(col(Party.code), col(Party.name)))).all()
    names: dict[str, str] = {code: name for code, name in rows}
    if not is_unedited_rendering(template, params, lead=c.lead, sections=sections, annex=annex, names=names):
        return False, {}
    recorded = {row.party for row in ctx.rows}
    covering = await parties.presignatures_covering(session, template, tier=c.tier, at=now)
    return True, {p.party: p for p in covering if p.party in ctx.parties and p.party not in recorded}


@dataclass
class Evaluation:
    result: quorum.QuorumResult
    signed: set[str]
    policy: quorum.Policy
    unedited: bool | None
    covering: dict[str, parties.CoveringPresignature]


async def evaluate(
    session: AsyncSession,
    ctx: Context,
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
    keys: Sequence[quorum.KeyRecord] | None = None,
    *,
    recorded: bool = False,
) -> Evaluation:
    """The quorum of the version in ``ctx`` from its sign-offs. ``recorded=True`` when every explicit
    sign-off's signatures were verified when recorded (the one being added just now included): the
    quorum is recomputed from those results, without verifying each signature again; keys revoked
    or out of their window since still stop counting."""
    active = [row for row in ctx.rows if row.withdrawn_at is None]
    explicit = [row.envelope for row in active if row.kind == SignoffKind.EXPLICIT]
    policy = await policy_for(session, ctx.access.communique.kind)
    if keys is None:
        keys = await parties.key_records(session, ctx.parties) if explicit else []
    result = quorum.evaluate(
        ctx.version.content,
        explicit,
        keys=keys,
        participants=ctx.parties,
        policy=policy,
        typ=SIGNOFF_TYP,
        recorded=recorded,
    )
    unedited, covering = await _covering(session, ctx, templates, now)
    presigned = {row.party for row in active if row.kind == SignoffKind.PRESIGNED} | set(covering)
    signed = set(result.signed) | (presigned & set(ctx.parties))
    must = (set(ctx.parties) if policy.all_participants else set()) | set(policy.required)
    result.missing = sorted(must - signed)
    result.needed = max(0, policy.threshold - len(signed)) if policy.threshold else 0
    result.unsigned = sorted(set(ctx.parties) - signed)
    result.signed = sorted(signed)
    result.met = not result.missing and result.needed == 0
    return Evaluation(result, signed, policy, unedited, covering)


def _hidden(ctx: Context) -> dict[str, tuple[int, int]]:
    """Per party of the version: how many sections and annex items it cannot see (from the items'
    markings, which every participant may check against the version object)."""
    counts = {party: [0, 0] for party in ctx.parties}
    for part, marking in ctx.markings:
        if marking.get("public"):
            continue
        readers = set(marking.get("releasable_to", []))
        for party, count in counts.items():
            if party not in readers:
                count[part != "section"] += 1
    return {party: (count[0], count[1]) for party, count in counts.items()}


def status_of(ctx: Context, ev: Evaluation) -> SignoffStatusPublic:
    c = ctx.access.communique
    latest = {row.party: row for row in ctx.rows if row.withdrawn_at is None}
    hidden = _hidden(ctx)
    signatories = []
    for party in ctx.parties:
        row = latest.get(party)
        presig = ev.covering.get(party)
        hidden_sections, hidden_annex = hidden[party]
        signatories.append(
            SignatoryPublic(
                party=party,
                signed=party in ev.signed,
                how=SignoffKind(row.kind) if row else (SignoffKind.PRESIGNED if presig else None),
                signer=row.signer if row else None,
                signed_at=row.iat or row.created_at if row else None,
                kids=list(row.kids) if row else ([presig.kid] if presig else []),
                presignature=row.presignature_id if row else (presig.id if presig else None),
                hidden_sections=hidden_sections,
                hidden_annex=hidden_annex,
            )
        )
    return SignoffStatusPublic(
        communique=ctx.access.id,
        version=VersionRef(number=ctx.version.number, digest=ctx.version.digest),
        is_head=ctx.version.number == c.head_number,
        policy=ev.policy.to_dict(),
        met=ev.result.met,
        ready_for_release=ev.result.met and c.ready_digest == ctx.version.digest,
        signed=ev.result.signed,
        missing=ev.result.missing,
        unsigned=ev.result.unsigned,
        needed=ev.result.needed,
        invalid=[InvalidSignaturePublic(party=i.party, kid=i.kid, reason=i.reason) for i in ev.result.invalid],
        signatories=signatories,
        template_unedited=ev.unedited,
    )


def refresh_ready(ctx: Context, ev: Evaluation) -> None:
    c = ctx.access.communique
    if ctx.version.number == c.head_number:
        c.ready_digest = ctx.version.digest if ev.result.met else None


async def signoff_status(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    version: int | str,
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
) -> SignoffStatusPublic:
    """Who signed version ``version``, who is missing, which signatures are invalid and why, and how
    many sections each signatory cannot see."""
    access = drafting.require_admitted(await drafting.get_access(session, communique_id, caller))
    ctx = await load_context(session, access, head_ref(access, version))
    return status_of(ctx, await evaluate(session, ctx, templates, now))


def head_ref(access: Access, ref: int | str) -> int | str:
    return access.communique.head_number if ref == "head" else ref

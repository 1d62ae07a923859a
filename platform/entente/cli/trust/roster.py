"""``entente roster show|propose|sign|export|verify``: the signed coalition roster."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any

from entente import canonical, signing
from entente.cli.common import EXIT_FAILED, EXIT_OK, command, command_group, database, days, run, settings
from entente.cli.trust import files
from entente.clock import isoformat, system_clock
from entente.errors import ConfigError, InvalidInputError, NotFoundError
from entente.models import RosterStatePublic
from entente.parties import chain, proposals
from entente.parties import roster as rosters


def register(commands: Any) -> None:
    roster = command_group(
        commands,
        "roster",
        help="the signed coalition roster",
        description="Show, propose, sign, export and verify rosters.",
    )

    p = command(roster, "show", cmd_show)
    p.add_argument("--json", action="store_true", help="print as JSON (the shape of GET /api/v1/roster)")

    p = command(roster, "propose", cmd_propose)
    p.add_argument("--threshold", type=int, help="parties that must sign the next roster (default: a majority)")
    p.add_argument("--days", type=days, default=proposals.DEFAULT_ROSTER_DAYS, help="validity in days (default 365)")
    p.add_argument("--out", metavar="FILE", help="write the proposal's exact bytes (the payload to sign) here")

    p = command(roster, "sign", cmd_sign)
    p.add_argument("--key", required=True, metavar="FILE", help="private key file of a party")
    p.add_argument("--party", help="the party the key belongs to (default: found from the key)")

    p = command(roster, "export", cmd_export)
    p.add_argument("--out", required=True, metavar="DIR")

    p = command(roster, "verify", cmd_verify)
    p.add_argument("pinned", metavar="PINNED")
    p.add_argument("rosters", metavar="ROSTER", nargs="*")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_show(args: argparse.Namespace) -> int:
    """the effective roster and the pending proposal"""
    config = settings(args)

    async def load() -> RosterStatePublic:
        async with database(config) as maker, maker() as session:
            current = await rosters.find_current_roster(session)
            pending = await rosters.find_pending_proposal(session)
            return RosterStatePublic(
                current=rosters.document_model(current) if current else None,
                proposal=await rosters.describe_proposal(session, pending) if pending else None,
            )

    state = run(load())
    if args.json:
        print(state.model_dump_json(indent=2))
        return EXIT_OK
    if state.current is None:
        print("no roster is effective yet")
    else:
        _print_roster("effective roster", chain.parse_roster(_bytes(state.current.roster)))
    if state.proposal is not None:
        proposal = state.proposal
        _print_roster(f"pending proposal {proposal.id}", chain.parse_roster(_bytes(proposal.roster)))
        for threshold in proposal.thresholds:
            signed = ", ".join(threshold.signed) or "nobody"
            print(
                f"  threshold of roster {threshold.roster_version}: {len(threshold.signed)} of "
                f"{threshold.threshold} ({signed}){' met' if threshold.met else ''}"
            )
    return EXIT_OK


def _bytes(obj: dict[str, Any]) -> bytes:
    return canonical.canonical_bytes(obj)


def _print_roster(title: str, roster: chain.Roster) -> None:
    print(f"{title}: version {roster.version}  {roster.digest}")
    print(
        f"  issued {isoformat(roster.issued)}, expires {isoformat(roster.expires)}; "
        f"threshold {roster.threshold} of {len(roster.parties)} parties"
    )
    for party in roster.parties:
        kids = ", ".join(key.key.kid[:12] + ("…(revoked)" if key.revoked_at else "…") for key in party.keys)
        print(f"  {party.code:<5} {party.name:<40} {kids or 'no key'}")


def cmd_propose(args: argparse.Namespace) -> int:
    """propose the next roster version from the registered parties and keys

    Build roster N+1 from the database (as the secretariat's POST /api/v1/roster/proposals does) and make
    it the pending proposal; --out writes the bytes to sign."""
    config = settings(args)
    now = system_clock()

    async def propose() -> Any:
        async with database(config) as maker, maker.begin() as session:
            current = await rosters.find_current_roster(session)
            obj = await proposals.build_roster(
                session,
                version=current.version + 1 if current else 1,
                previous=current.digest if current else None,
                now=now,
                expires=now + timedelta(days=args.days),
                threshold=args.threshold,
            )
            return await proposals.create_proposal(session, obj=obj, actor="cli", now=now)

    proposal = run(propose())
    if args.out:
        files.write_new(Path(args.out), proposal.body)
    print(f"proposed roster version {proposal.version} (proposal {proposal.id}): {proposal.digest}")
    if args.out:
        print(f"payload to sign: {args.out} (entente sign --typ {chain.ROSTER_JWS_TYPE} --key KEY {args.out})")
    return EXIT_OK


def cmd_sign(args: argparse.Namespace) -> int:
    """sign the pending proposal with a party's private key and record the signature

    Sign the pending proposal's bytes (typ entente-roster+jws) and record it; the proposal takes effect
    once the previous roster's threshold and its own are both met."""
    key = files.load_private(args.key)
    config = settings(args)
    now = system_clock()

    async def sign() -> tuple[Any, Any]:
        async with database(config) as maker, maker.begin() as session:
            proposal = await rosters.find_pending_proposal(session)
            if proposal is None:
                raise NotFoundError("no roster proposal is pending; run `entente roster propose` first")
            party = args.party or await _party_of(session, proposal, key.public_key)
            envelope = signing.sign_detached(proposal.body, [key], typ=chain.ROSTER_JWS_TYPE, iat=int(now.timestamp()))
            adopted = await rosters.submit_roster_signature(
                session, proposal=proposal, party=party, envelope=envelope, actor="cli", now=now
            )
            return proposal, adopted

    proposal, adopted = run(sign())
    if adopted is not None:
        print(f"signed; roster version {adopted.version} is now effective: {adopted.digest}")
    else:
        print(f"signed roster proposal {proposal.id} (version {proposal.version}); more signatures are needed")
    return EXIT_OK


async def _party_of(session: Any, proposal: Any, key: signing.PublicKey) -> str:
    current = await rosters.find_current_roster(session)
    for data in (proposal.body, current.body if current else None):
        if data is None:
            continue
        for record in chain.parse_roster(data).keys:
            if record.key == key:
                return record.party
    raise InvalidInputError(f"key {key.kid} is in neither the effective roster nor the proposal; pass --party")


def cmd_export(args: argparse.Namespace) -> int:
    """write every effective roster version as N.json (as /.well-known/entente/roster/N.json)"""
    config = settings(args)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot create: {exc.strerror}") from None

    async def export() -> list[tuple[int, bytes]]:
        async with database(config) as maker, maker() as session:
            current = await rosters.find_current_roster(session)
            found = []
            for version in range(1, (current.version if current else 0) + 1):
                row = await rosters.get_roster_version(session, version)
                found.append((version, rosters.roster_document_bytes(row)))
            return found

    documents = run(export())
    for version, data in documents:
        (out / f"{version}.json").write_bytes(data)
    print(f"wrote {len(documents)} roster document(s) to {out}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """walk a chain of roster documents from a pinned first one (offline)

    PINNED is the roster document you trust (usually 1.json); the others follow it. Exit 0 when every
    step holds and the newest roster has not expired, 1 otherwise."""
    pinned, pinned_envelopes = chain.read_roster_document(files.read_bytes(args.pinned))
    rest = [chain.read_roster_document(files.read_bytes(path)) for path in args.rosters]
    result = chain.verify_roster_chain(pinned, rest, system_clock(), pinned_envelopes=pinned_envelopes or None)
    if args.json:
        print(files.pretty(result.to_dict()))
    elif result.ok and result.trusted is not None:
        print(
            f"roster chain valid: version {result.trusted.version} {result.trusted.digest}, "
            f"expires {isoformat(result.trusted.expires)}"
        )
    else:
        where = f" at version {result.failed_version}" if result.failed_version else ""
        print(f"roster chain INVALID{where}: {result.reason}: {result.detail}")
    return EXIT_OK if result.ok else EXIT_FAILED

"""The coalition roster: parties, their people, their keys, and the signed roster versions.

- :mod:`.coalition`: parties and users, loaded from ``config/coalition.toml`` or the API
- :mod:`.keys`: party public keys, registration and revocation, :func:`key_records`
- :mod:`.chain`: the roster object and the pure chain verifier (:func:`verify_roster_chain`)
- :mod:`.roster`: roster proposals, signatures and adoption in the database
- :mod:`.presignatures`: crisis template pre-signatures and :func:`presignatures_covering`

Importing this package loads nothing of the database layer: each name below is imported from its
module on first use (PEP 562), so ``entente verify`` can read a roster with :mod:`.chain` without
SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from entente.parties.chain import (
        ROSTER_JWS_TYPE,
        ROSTER_TYPE,
        Roster,
        RosterChainResult,
        RosterError,
        RosterFailure,
        parse_roster,
        read_roster_document,
        verify_roster_chain,
    )
    from entente.parties.coalition import (
        PARTY_CODE_LENGTH,
        SeedParty,
        SeedUser,
        apply_demo_password,
        check_party_code,
        check_timezone,
        count_parties,
        create_party,
        get_party,
        list_parties,
        load_coalition,
        party_names,
        seed_coalition,
        set_party_status,
    )
    from entente.parties.keys import (
        add_key,
        get_key,
        jwks,
        key_records,
        list_keys,
        register_key,
        revoke_key,
        verify_party_envelope,
    )
    from entente.parties.presignatures import (
        PRESIGNATURE_JWS_TYPE,
        CoveringPresignature,
        add_presignature,
        presignature_payload,
        presignatures_covering,
        template_detail,
        template_summaries,
        withdraw_presignature,
    )
    from entente.parties.proposals import propose_roster, seed_roster
    from entente.parties.roster import (
        describe_proposal,
        find_current_roster,
        find_pending_proposal,
        get_proposal,
        get_roster_version,
        roster_document_bytes,
        sign_proposal,
    )

_EXPORTS = {
    "CoveringPresignature": "presignatures",
    "PARTY_CODE_LENGTH": "coalition",
    "PRESIGNATURE_JWS_TYPE": "presignatures",
    "ROSTER_JWS_TYPE": "chain",
    "ROSTER_TYPE": "chain",
    "Roster": "chain",
    "RosterChainResult": "chain",
    "RosterError": "chain",
    "RosterFailure": "chain",
    "SeedParty": "coalition",
    "SeedUser": "coalition",
    "add_key": "keys",
    "add_presignature": "presignatures",
    "check_party_code": "coalition",
    "check_timezone": "coalition",
    "count_parties": "coalition",
    "create_party": "coalition",
    "describe_proposal": "roster",
    "find_current_roster": "roster",
    "find_pending_proposal": "roster",
    "get_key": "keys",
    "get_party": "coalition",
    "get_proposal": "roster",
    "get_roster_version": "roster",
    "jwks": "keys",
    "key_records": "keys",
    "list_keys": "keys",
    "list_parties": "coalition",
    "load_coalition": "coalition",
    "parse_roster": "chain",
    "party_names": "coalition",
    "presignature_payload": "presignatures",
    "presignatures_covering": "presignatures",
    "propose_roster": "proposals",
    "read_roster_document": "chain",
    "register_key": "keys",
    "revoke_key": "keys",
    "roster_document_bytes": "roster",
    "seed_coalition": "coalition",
    "apply_demo_password": "coalition",
    "seed_roster": "proposals",
    "set_party_status": "coalition",
    "sign_proposal": "roster",
    "template_detail": "presignatures",
    "template_summaries": "presignatures",
    "verify_party_envelope": "keys",
    "verify_roster_chain": "chain",
    "withdraw_presignature": "presignatures",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "PARTY_CODE_LENGTH",
    "PRESIGNATURE_JWS_TYPE",
    "ROSTER_JWS_TYPE",
    "ROSTER_TYPE",
    "CoveringPresignature",
    "Roster",
    "RosterChainResult",
    "RosterError",
    "RosterFailure",
    "SeedParty",
    "SeedUser",
    "add_key",
    "add_presignature",
    "check_party_code",
    "check_timezone",
    "count_parties",
    "create_party",
    "describe_proposal",
    "find_current_roster",
    "find_pending_proposal",
    "get_key",
    "get_party",
    "get_proposal",
    "get_roster_version",
    "jwks",
    "key_records",
    "list_keys",
    "list_parties",
    "load_coalition",
    "party_names",
    "parse_roster",
    "presignature_payload",
    "presignatures_covering",
    "propose_roster",
    "read_roster_document",
    "register_key",
    "revoke_key",
    "roster_document_bytes",
    "seed_coalition",
    "apply_demo_password",
    "seed_roster",
    "set_party_status",
    "sign_proposal",
    "template_detail",
    "template_summaries",
    "verify_party_envelope",
    "verify_roster_chain",
    "withdraw_presignature",
]

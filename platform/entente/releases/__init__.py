"""Releases: negotiating the embargo instant, scheduling, holding, lifting, and ``publish_due``.

- :mod:`.common`: the release predicate :func:`is_public`, instants, the comms-officer gate, agreement
- :mod:`.negotiation`: ``propose_release``, ``respond_release`` (accept or counter), ``get_release``,
  ``read_release`` (each accepted party's answer and the instant in its zone)
- :mod:`.scheduling`: ``schedule_release`` (freeze, commit, render), ``cancel_release``,
  ``lift_release``, the hold primitives (``require_withdrawable``, ``hold_release``),
  ``publish_due`` and ``public_instants``
- :mod:`.holds`: the steps that end in a hold: ``withdraw_signoff`` (a signatory withdraws) and
  ``revoke_key`` (a party revokes a key; ``hold_unsigned_releases``)
- :mod:`.briefings`: embargoed press briefings (``invite_press``, ``get_briefing``, audited per person)
- :mod:`.artefact`: the public artefact rendered at scheduling, and the public reads of it
- :mod:`.bundles`: release bundles (several communiqués with one instant, schedule, hold, lift, cancel):
  what a bundle is and who reads it; :mod:`.bundle_members` gathers its members, :mod:`.bundle_release`
  negotiates, schedules, cancels and lifts their one release
- :mod:`.alignments`: late alignment with a released communiqué, and its withdrawal (both logged)
- :mod:`.corrections`: a successor communiqué superseding a released one, for every kind
- :mod:`.artefact`: the public artefact rendered at scheduling, and the public reads of it (the
  list a page at a time, by cursor)
- :mod:`.index`: ``PublicIndex``, what an instance keeps in memory to answer public reads (which
  ids are not public, cached list pages) without the database

Lifecycle: ``proposed -> agreed -> scheduled -> released``, with ``held`` (a signatory withdrew its
sign-off of the scheduled version; schedule again once the quorum is restored) and ``cancelled``
(any time before it is public; the communiqué becomes editable again). Every step is audited as
``releases:release:<action>`` in the same transaction. Public material is visible exactly when
``is_public(release, now)``: scheduled or released, and ``now >= embargo_at``.
"""

from entente.releases.alignments import (
    ALIGNMENT_TYP,
    add_alignment,
    alignment_public,
    list_alignments,
    public_alignments,
    statement_digest,
    withdraw_alignment,
)
from entente.releases.artefact import (
    ARTEFACT_TYPE,
    PublicPage,
    PublicRecords,
    get_public_artefact,
    list_public_releases,
    parse_cursor,
    public_not_found,
    public_pdf_lengths,
    public_successors,
    render_artefact,
)
from entente.releases.briefings import (
    Briefing,
    PressAccount,
    briefing_title,
    get_briefing,
    invite_press,
    list_briefings,
    list_press_accounts,
    public_text,
)
from entente.releases.bundle_members import add_bundle_member, create_bundle, remove_bundle_member
from entente.releases.bundle_release import (
    cancel_bundle,
    lift_bundle,
    propose_bundle,
    respond_bundle,
    schedule_bundle,
)
from entente.releases.bundles import Bundle, bundle_public, get_bundle, get_public_bundle, list_bundles
from entente.releases.common import find_open_release, is_public
from entente.releases.corrections import supersede_communique
from entente.releases.holds import hold_unsigned_releases, revoke_key, withdraw_signoff
from entente.releases.index import PublicIndex
from entente.releases.negotiation import get_release, propose_release, read_release, release_public, respond_release
from entente.releases.pdfs import get_aligned_pdf
from entente.releases.publication import LogIdentity, public_relations, publication_bundle
from entente.releases.scheduling import (
    cancel_release,
    find_scheduled,
    hold_release,
    lift_release,
    public_instants,
    publish_due,
    require_withdrawable,
    schedule_release,
)

__all__ = [
    "ALIGNMENT_TYP",
    "Bundle",
    "add_alignment",
    "add_bundle_member",
    "alignment_public",
    "bundle_public",
    "cancel_bundle",
    "create_bundle",
    "get_bundle",
    "get_public_bundle",
    "lift_bundle",
    "list_alignments",
    "list_bundles",
    "propose_bundle",
    "public_alignments",
    "public_successors",
    "remove_bundle_member",
    "respond_bundle",
    "schedule_bundle",
    "statement_digest",
    "supersede_communique",
    "withdraw_alignment",
    "ARTEFACT_TYPE",
    "Briefing",
    "PressAccount",
    "briefing_title",
    "get_briefing",
    "invite_press",
    "list_briefings",
    "list_press_accounts",
    "public_text",
    "get_aligned_pdf",
    "public_relations",
    "LogIdentity",
    "PublicIndex",
    "PublicPage",
    "PublicRecords",
    "cancel_release",
    "find_open_release",
    "find_scheduled",
    "get_public_artefact",
    "get_release",
    "hold_release",
    "hold_unsigned_releases",
    "is_public",
    "lift_release",
    "list_public_releases",
    "parse_cursor",
    "propose_release",
    "public_instants",
    "publication_bundle",
    "public_not_found",
    "public_pdf_lengths",
    "publish_due",
    "read_release",
    "release_public",
    "render_artefact",
    "require_withdrawable",
    "respond_release",
    "revoke_key",
    "schedule_release",
    "withdraw_signoff",
]

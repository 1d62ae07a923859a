"""Sign-offs: each party's signatory signs the exact bytes of one version; quorum decides readiness.

A sign-off is a JWS (General JSON Serialization, detached payload = the version's canonical bytes,
``typ`` :data:`SIGNOFF_TYP`) made with keys the party registered (``parties.key_records``). It is
checked when submitted (``parties.verify_party_envelope``: the key must be the submitting party's,
its ``iat`` within minutes of the server's clock) and re-checked with every status
(``quorum.evaluate``), so a key revoked back to before a signature turns that signature invalid.

Pre-authorised sign-off: a version that is an unedited rendering of its crisis template (re-rendered
here from the stored parameters, section for section) at a tier a party's pre-signature allows,
within that pre-signature's validity, counts as that party's sign-off
(``parties.presignatures_covering``). It is recorded with the pre-signature when any sign-off of the
version is recorded (or on request). An edit beyond the parameters makes the next version an
ordinary one: those parties sign explicitly.

Signatures belong to one version and never carry over. When the signing policy of the
communiqué's kind (the current roster's, else every participating party) is met for the head
version, the communiqué is ready for release (``Communique.ready_digest``). A party may withdraw
its sign-off until the communiqué is released; a scheduled communiqué is then held. Holding is the
release's business: ``releases.withdraw_signoff`` and ``releases.revoke_key`` are the whole steps,
and this package imports nothing of releases.
"""

from entente.signoffs.evaluation import IAT_WINDOW, SIGNOFF_TYP, is_unedited_rendering, policy_for, signoff_status
from entente.signoffs.recording import (
    Withdrawal,
    add_signoff,
    record_presigned,
    record_withdrawal,
    require_withdrawer,
    signoff_envelopes,
    withdraw_rows,
)

__all__ = [
    "IAT_WINDOW",
    "SIGNOFF_TYP",
    "Withdrawal",
    "add_signoff",
    "is_unedited_rendering",
    "policy_for",
    "record_presigned",
    "record_withdrawal",
    "require_withdrawer",
    "signoff_envelopes",
    "signoff_status",
    "withdraw_rows",
]

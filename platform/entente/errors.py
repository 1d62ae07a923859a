"""Domain errors.

Every error Entente raises on purpose is an ``EntenteError`` with a stable ``code``. Domain code
raises these and knows nothing of HTTP; ``web/middlewares.py`` maps each family to a status and an
RFC 9457 problem body (or an HTML error page), in one place.

Every code is declared once, in :class:`Code`, with the HTTP status it answers with and what it
means; docs/reference/errors.md lists them and tests/test_vocabularies.py holds the source, the
declaration and the documentation together. Raise sites may pass the string (a member equals it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

Status = int | tuple[int, ...] | None


class Code(StrEnum):
    """Every stable error code: its value, its HTTP status (several when raised by more than one
    error family; None for an HTTP error aiohttp raises with a status of its own) and its meaning."""

    status: Status
    meaning: str

    def __new__(cls, value: str, status: Status, meaning: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.meaning = meaning
        return member

    # --- families: the default code of each error class, and of errors aiohttp raises itself ------
    ERROR = "error", 500, "the base error with no code of its own (a bug if it is ever seen)"
    CONFIG_INVALID = "config_invalid", 500, "the configuration is unusable; the command line reports it and exits 2"
    INVALID_INPUT = "invalid_input", 422, "well-formed input, but a value breaks a rule (see `field`)"
    MALFORMED_INPUT = "malformed_input", (400, 422), "the input cannot be parsed (bad JSON, wrong encoding, bad form)"
    NOT_CANONICALIZABLE = "not_canonicalizable", 400, "refused by the strict JSON reader (duplicate keys, floats, ...)"
    PAYLOAD_TOO_LARGE = "payload_too_large", 413, "the request body is larger than `limits.max_body_bytes`"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "the body is not of the content type this route takes"
    UNAUTHENTICATED = "unauthenticated", 401, "no sign-in or API token was given"
    FORBIDDEN = "forbidden", 403, "the caller's party or role does not allow this"
    CSRF_TOKEN_INVALID = "csrf_token_invalid", 403, "a form or cookie-authenticated write without a valid CSRF token"
    NOT_FOUND = "not_found", 404, "nothing there, or nothing the viewer may see (both answer the same)"
    CONFLICT = "conflict", 409, "the state of the object does not allow this now"
    PRECONDITION_FAILED = "precondition_failed", 412, "an `If-Match` precondition does not hold"
    PRECONDITION_REQUIRED = "precondition_required", 428, "a write that must name its version (`If-Match`) did not"
    RATE_LIMITED = "rate_limited", 429, "too many attempts; `Retry-After` says when to try again"
    SIGNATURE_INVALID = "signature_invalid", 422, "a signature or signed envelope was refused"
    UNAVAILABLE = "unavailable", 503, "the database cannot be reached now; `Retry-After` says when to try again"
    BAD_REQUEST = "bad_request", 400, "aiohttp refused the request before any handler ran"
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "the route exists but not for this method (`Allow` lists them)"
    INTERNAL_ERROR = "internal_error", 500, "an unexpected error, logged on the server: a bug"
    HTTP_ERROR = "http_error", None, "any other HTTP error aiohttp raises, with its own status"

    # --- input and HTTP ---------------------------------------------------------------------------
    INSTANT_INVALID = "instant_invalid", 422, "an instant not in RFC 3339, without a UTC offset, or outside 1970-9998"
    NUL_CHARACTER = "nul_character", 422, "text (JSON, form, query, CSV) contains NUL (U+0000)"
    STRING_TOO_LONG = "string_too_long", 422, "a string is longer than `limits.max_string_length`"
    IF_MATCH_INVALID = (
        "if_match_invalid",
        412,
        "`If-Match` is not one strong version tag of the resource (a communiqué's digest, an incident's number)",
    )
    VERSION_MISMATCH = "version_mismatch", 422, "`If-Match` and `version` name different versions"
    VERSION_REQUIRED = "version_required", 428, "a write to an incident names no version (`If-Match` or `version`)"
    STALE_VERSION = "stale_version", 409, "the incident or item changed since the version named (the answer shows it)"
    CURSOR_INVALID = "cursor_invalid", 422, "the `after` cursor of a paginated list is not one this server gave"
    DATABASE_BUSY = "database_busy", 503, "the database is busy (lock, deadlock, serialization, no free connection)"
    CONCURRENT_CHANGE = "concurrent_change", 409, "a concurrent writer took the same unique key first; reload and retry"

    # --- accounts, sign-in and tokens ------------------------------------------------------------
    LOGIN_FAILED = "login_failed", 401, "wrong username or password"
    ACCOUNT_DISABLED = "account_disabled", (401, 403), "the user, or its party, is disabled"
    TOKEN_INVALID = "token_invalid", 401, "the API token or session is unknown or malformed"
    TOKEN_EXPIRED = "token_expired", 401, "the API token has expired"
    TOKEN_REVOKED = "token_revoked", 401, "the API token was revoked"
    ROLE_REQUIRED = "role_required", 403, "the caller lacks the role this needs"
    WRONG_PARTY = "wrong_party", 403, "the caller acts for another party than the one named"
    USERNAME_TAKEN = "username_taken", 422, "a user with this name exists already"
    UNKNOWN_PARTY = "unknown_party", (404, 422), "no party with this code"
    PARTY_EXISTS = "party_exists", 422, "a party with this code exists already"
    READ_ONLY_ROLE = "read_only_role", 403, "the oversight role reads only: every write refuses it"

    # --- party keys ---------------------------------------------------------------------------------
    PRIVATE_KEY_REFUSED = "private_key_refused", 422, "the JWK holds private key material; register the public key only"
    INVALID_KEY = "invalid_key", 422, "the JWK is not a usable Ed25519 or P-256 public key"
    ALG_MISMATCH = "alg_mismatch", 422, "the `alg` does not fit the key type"
    INVALID_VALIDITY = "invalid_validity", 422, "`not_after` is not after `not_before`"
    KEY_EXISTS = "key_exists", 409, "this key material is registered already (to any party)"
    UNKNOWN_KEY = "unknown_key", (404, 422), "no registered key with this kid (for this party)"
    KEY_REVOKED = "key_revoked", 409, "the key was revoked already"
    REVOCATION_IN_FUTURE = "revocation_in_future", 422, "a revocation instant in the future; set `not_after` instead"
    KEY_NOT_OF_PARTY = "key_not_of_party", 422, "the signature was made with a key of another party"
    IAT_OUT_OF_RANGE = "iat_out_of_range", 422, "a sign-off `iat` more than ten minutes old or five minutes ahead"

    # --- the signed roster ----------------------------------------------------------------------
    UNKNOWN_ROSTER_VERSION = "unknown_roster_version", 404, "no effective roster of this version"
    UNKNOWN_PROPOSAL = "unknown_proposal", 404, "no roster proposal with this id"
    ROSTER_EMPTY = "roster_empty", 422, "a roster needs at least one party with a key"
    ROSTER_SKIPPED_VERSION = "roster_skipped_version", 422, "a roster version does not follow its predecessor by one"
    ROSTER_PREVIOUS_MISMATCH = "roster_previous_mismatch", 422, "a roster does not name its predecessor's digest"
    ROSTER_EXPIRED = "roster_expired", 422, "the newest roster is past its `expires`"
    ROSTER_NOT_CANONICAL = "roster_not_canonical", 422, "the roster bytes are not RFC 8785 canonical"
    ROSTER_MALFORMED = "roster_malformed", 422, "the roster object is not of the roster shape"
    ROSTER_MALFORMED_ENVELOPE = "roster_malformed_envelope", 422, "the roster's JWS envelope is malformed"
    ROSTER_REPLAYED_VERSION = "roster_replayed_version", 422, "a roster version seen already, replayed"
    ROSTER_BAD_SIGNATURE = "roster_bad_signature", 422, "a roster signature does not verify"
    ROSTER_OLD_THRESHOLD_NOT_MET = "roster_old_threshold_not_met", 422, "too few valid keys of the previous roster"
    ROSTER_NEW_THRESHOLD_NOT_MET = "roster_new_threshold_not_met", 422, "too few keys of the new roster itself signed"
    PROPOSAL_CLOSED = "proposal_closed", 409, "the roster proposal was adopted or withdrawn already"
    PROPOSAL_EXPIRED = "proposal_expired", 409, "the roster proposal has expired"
    PROPOSAL_STALE = "proposal_stale", 409, "the effective roster changed since the proposal was made"

    # --- crisis templates and pre-signatures ----------------------------------------------------
    UNKNOWN_TEMPLATE = "unknown_template", (404, 422), "no crisis template with this id"
    TEMPLATE_UNSAFE = "template_unsafe", 422, "a template body uses what the sandbox forbids"
    TEMPLATE_RENDER_FAILED = "template_render_failed", 422, "a template body cannot be rendered with these parameters"
    TEMPLATE_DIGEST_MISMATCH = "template_digest_mismatch", 422, "the pre-signature is over another template's digest"
    PRESIGNATURE_MISMATCH = "presignature_mismatch", 422, "the pre-signature is over other terms than those sent"
    ONE_SIGNATURE_EXPECTED = "one_signature_expected", 422, "a pre-signature is exactly one JWS signature"
    WINDOW_ENDED = "window_ended", 422, "the pre-signature's validity window has ended already"
    PRESIGNATURE_EXISTS = "presignature_exists", 409, "this pre-signature is recorded already"
    UNKNOWN_PRESIGNATURE = "unknown_presignature", 404, "no pre-signature with this number"
    PRESIGNATURE_WITHDRAWN = "presignature_withdrawn", 409, "the pre-signature was withdrawn already"

    # --- ladder and incidents -------------------------------------------------------------------
    UNKNOWN_TIER = "unknown_tier", 422, "no tier with this number in the ladder"
    JUSTIFICATION_REQUIRED = "justification_required", 422, "a decided tier needs a justification"
    NOT_PARTICIPATING = "not_participating", (403, 422), "the party does not take part in the incident"
    LEAD_ONLY = "lead_only", 403, "only the lead party may do this"
    INCIDENT_CLOSED = "incident_closed", 409, "the incident is closed: nothing more can be recorded"
    WIDENING_NOT_ALLOWED = "widening_not_allowed", 403, "only the author's party may widen an item's marking"
    TIER_NOT_DECIDED = "tier_not_decided", 409, "the caller's party has decided no tier for the incident"
    TEMPLATE_NOT_ALLOWED = "template_not_allowed", 422, "the ladder does not allow this template at the decided tier"
    LEGAL_REVIEW_REQUIRED = "legal_review_required", 409, "the tier needs the party's cleared legal review of it"
    UNKNOWN_EXIT_RAMP = "unknown_exit_ramp", 422, "the ladder (or the tier stepped down from) has no such exit ramp"
    EXIT_RAMP_NOT_IN_PLAY = "exit_ramp_not_in_play", 409, "no party decided the tier this exit ramp leads down from"
    EXIT_RAMP_NOT_MET = (
        "exit_ramp_not_met", 409, "the exit ramp is not met (yet): not recorded, or its quiet period runs"
    )
    NO_LOWER_TIER = "no_lower_tier", 409, "the party's decided tier is the floor of the ladder"
    STEP_DOWN_PENDING = "step_down_pending", 409, "a step-down from this tier is already proposed: decide on it"
    STEP_DOWN_SETTLED = "step_down_settled", 409, "the step-down was agreed or superseded: nothing more to decide"
    INCIDENT_NOT_CLOSED = "incident_not_closed", 409, "the after-action review starts when the incident is closed"
    LADDER_INVALID = "ladder_invalid", 422, "the proposed ladder file does not load (the reason names the line)"
    LADDER_VERSION_NOT_RAISED = "ladder_version_not_raised", 422, "a proposed ladder must raise the version in force"
    INVALID_PERIOD = "invalid_period", 422, "a report period needs two instants with offsets, the end after the start"

    # --- communiqués, versions, sign-offs ---------------------------------------------------------
    TEMPLATE_REQUIRED = "template_required", 422, "`params` and `tier` go with a `template`"
    TEMPLATE_SECTIONS = "template_sections", 422, "a communiqué from a template takes its sections from it; send params"
    TIER_NOT_ALLOWED = "tier_not_allowed", 422, "the template may not be used at this tier"
    INVALID_TEXT = "invalid_text", 422, "a title or heading is empty, or is not one line of plain text"
    MARKDOWN_UNSAFE = "markdown_unsafe", 422, "Markdown with raw HTML, or a link other than http, https or mailto"
    DUPLICATE_ITEM = "duplicate_item", 422, "a section or annex item id appears twice"
    UNKNOWN_ITEM = "unknown_item", 422, "no section or annex item with this id that the caller may see"
    TOO_MANY_SECTIONS = "too_many_sections", 422, "more sections than `limits.max_sections`"
    TOO_MANY_ANNEX_ITEMS = "too_many_annex_items", 422, "more than 2,000 annex items"
    MARKING_PARTY_NOT_PARTICIPATING = "marking_party_not_participating", 422, "a marking names a party not on it"
    MARKING_WIDEN_FORBIDDEN = "marking_widen_forbidden", 403, "only the party that wrote a section may widen it"
    ALREADY_PARTICIPATING = "already_participating", 409, "the party is invited or takes part already"
    ALREADY_ACCEPTED = "already_accepted", 409, "the caller's party takes part already"
    COMMUNIQUE_FROZEN = "communique_frozen", 409, "the communiqué is scheduled, released, held or withdrawn: no edits"
    VERSION_UNKNOWN = "version_unknown", 412, "the `If-Match` digest is not a version of this communiqué"
    MERGE_CONFLICT = "merge_conflict", 409, "a stale save collides with the head (both sides, a proposal)"
    ALREADY_RESOLVED = "already_resolved", 409, "the comment thread is resolved already"
    SUCCESSOR_EXISTS = "successor_exists", 409, "the communiqué is superseded already"
    WRONG_VERSION = "wrong_version", 422, "the JWS signs another version than the one named"
    NOT_A_PARTY = "not_a_party", 403, "the party is not among the parties of the version"
    ALREADY_SIGNED = "already_signed", 409, "the party has signed off this version already"
    VERSION_SUPERSEDED = "version_superseded", 409, "the version is no longer the head"
    NO_SIGNOFF = "no_signoff", 404, "the party has no sign-off of this version to withdraw"
    RELEASED = "released", 409, "the instant has come: sign-offs can no longer be withdrawn"

    # --- releases ---------------------------------------------------------------------------------
    INSTANT_NOT_IN_FUTURE = "instant_not_in_future", 409, "the instant is not in the future"
    ZONE_UNKNOWN = "zone_unknown", 422, "the release panel names an unknown time zone"
    NO_RELEASE = "no_release", 404, "the communiqué has no release in negotiation"
    RELEASE_EXISTS = "release_exists", 409, "a release is open already: a second proposal is refused"
    RELEASE_INSTANT_CHANGED = "release_instant_changed", 409, "the instant accepted is no longer the proposed one"
    RELEASE_NOT_AGREED = "release_not_agreed", 409, "the instant is not agreed yet (`waiting_for`)"
    RELEASE_NOT_SCHEDULED = "release_not_scheduled", 409, "only a scheduled release can be lifted"
    RELEASE_PUBLIC = "release_public", 409, "the release is public already"
    RELEASE_SCHEDULED = "release_scheduled", 409, "the release is scheduled: this step does not apply"
    RELEASE_RELEASED = "release_released", 409, "the release is released: this step does not apply"
    RELEASE_HELD = "release_held", 409, "the release is held: this step does not apply"
    RELEASE_CANCELLED = "release_cancelled", 409, "the release is cancelled: this step does not apply"
    COMMUNIQUE_RELEASED = "communique_released", 409, "the communiqué is released: it cannot be released again"
    RELEASE_IN_BUNDLE = "release_in_bundle", 409, "the communiqué is released with a bundle: act on it (`bundle`)"
    COMMUNIQUE_IN_BUNDLE = "communique_in_bundle", 409, "the communiqué is in a release bundle already (`bundle`)"
    BUNDLE_EMPTY = "bundle_empty", 409, "the bundle has no members: nothing to release"
    BUNDLE_FULL = "bundle_full", 409, "the bundle holds as many communiqués as it may"
    BUNDLE_SCHEDULED = "bundle_scheduled", 409, "the bundle is scheduled: this step does not apply"
    BUNDLE_RELEASED = "bundle_released", 409, "the bundle is released: this step does not apply"
    BUNDLE_HELD = "bundle_held", 409, "the bundle is held: schedule it again once every quorum is restored"
    ALREADY_ALIGNED = "already_aligned", 409, "the party is aligned already (`alignment`)"
    ALIGNMENT_WITHDRAWN = "alignment_withdrawn", 409, "the alignment was withdrawn already"
    STATEMENT_MISMATCH = "statement_mismatch", 422, "the alignment JWS lacks the statement's `statement_digest`"
    COMMUNIQUE_NOT_RELEASED = "communique_not_released", 409, "only a released communiqué takes a correction"
    PACKAGE_SUCCESSOR = "package_successor", 409, "a sanctions package is corrected through its own successor step"
    COMMUNIQUE_WITHDRAWN = "communique_withdrawn", 409, "the communiqué is withdrawn: it cannot be released"
    QUORUM_INCOMPLETE = "quorum_incomplete", 409, "the head version's quorum is not complete"
    REASON_REQUIRED = "reason_required", 422, "a release step, or declining a designation, needs a reason"
    LIFT_NOT_ALLOWED = "lift_not_allowed", 403, "`release.lift_policy` does not let this party lift the embargo early"
    CONFIRMATION_REQUIRED = "confirmation_required", 422, "the panel's lift or cancel needs its confirmation ticked"
    NOT_PRESS_ACCOUNT = "not_press_account", 422, "a briefing invites the officer's own party's press accounts only"
    NO_BRIEFING = "no_briefing", 404, "no briefing open to this press account (none, withdrawn, or not scheduled)"
    EMAIL_INVALID = "email_invalid", 422, "the notification e-mail address cannot be read"
    WEBHOOK_URL_INVALID = "webhook_url_invalid", 422, "a party webhook needs an absolute http(s) URL"

    # --- transparency log -----------------------------------------------------------------------
    UNKNOWN_LOG_ENTRY = "unknown_log_entry", 404, "no log entry at this index"
    UNKNOWN_CHECKPOINT = "unknown_checkpoint", 404, "the log signed no checkpoint (of this size)"
    LOG_GAP = "log_gap", 409, "the log's entries are not contiguous"
    PROOF_INVALID = "proof_invalid", 422, "an inclusion or consistency proof does not hold"
    PROOF_MALFORMED = "proof_malformed", 422, "a proof or its sizes and index are malformed"
    PROOF_ROOT_MISMATCH = "proof_root_mismatch", 422, "a proof leads to another root hash"
    NOTE_INVALID = "note_invalid", 422, "a signed note or checkpoint is malformed"
    NOTE_SIGNATURE_INVALID = "note_signature_invalid", 422, "a signature line of the note does not verify"
    NOTE_UNSIGNED = "note_unsigned", 422, "no known key signed the note"
    COSIGNATURE_INVALID = "cosignature_invalid", 422, "a cosignature does not verify"
    COSIGNATURE_UNKNOWN_KEY = "cosignature_unknown_key", 422, "a cosignature by no registered Ed25519 key of the party"
    COSIGNATURE_TIME_INVALID = "cosignature_time_invalid", 422, "a cosignature time ahead, or outside the key's window"
    COSIGNATURES_MISSING = "cosignatures_missing", 422, "fewer cosignatures than required"

    # --- sanctions --------------------------------------------------------------------------------
    SANCTIONS_NOT_ALLOWED = "sanctions_not_allowed", 409, "the party's decided tier does not allow sanctions"
    MEASURE_NOT_ALLOWED = "measure_not_allowed", 422, "a measure the tier does not allow"
    DUPLICATE_DESIGNATION = "duplicate_designation", 409, "the same subject is in this package already"
    PROBABLE_DUPLICATE = "probable_duplicate", 409, "probable duplicates (`candidates`); send again with `confirm`"
    UNKNOWN_LINK = "unknown_link", 422, "a `same_as` link to a designation the caller cannot see"
    DATE_INVALID = "date_invalid", 422, "a date (of birth) in no accepted format"
    LEGAL_ACT_REQUIRED = "legal_act_required", 422, "adopting a designation names the legal act"
    ADOPTION_TRANSITION = "adoption_transition", 409, "this change of a party's adoption state is not allowed"
    DESIGNATION_NOT_EFFECTIVE = "designation_not_effective", 409, "the designation is not in effect (yet)"
    DESIGNATION_LIFTED = "designation_lifted", 409, "the designation is lifted already"
    DESIGNATION_EFFECTIVE = "designation_effective", 409, "the designation has taken effect already"
    VERSION_OUT_OF_ORDER = "version_out_of_order", 409, "a new designation version cannot predate the last"
    PACKAGE_NOT_RELEASED = "package_not_released", 409, "reviews go into a successor of a released package only"
    INVALID_ACTION = "invalid_action", 422, "no such review action (renew, lift, keep, amend)"
    INVALID_STATE = "invalid_state", 422, "the adoption form names no state"
    INVALID_DAYS = "invalid_days", 422, "`days` is not a whole number from 0 to 3650"
    INVALID_FORMAT = "invalid_format", 422, "the export format is not eu-xml, ofac-xml or csv"
    INVALID_VIEW = "invalid_view", 422, "the export view is not party or public"
    TOO_LARGE = "too_large", 422, "the CSV file is larger than 5 MiB"
    ENCODING_INVALID = "encoding_invalid", 400, "the CSV file is not UTF-8"
    IMPORT_INVALID = "import_invalid", 422, "a CSV import with bad rows (`errors`); nothing stored"


class EntenteError(Exception):
    """Base of every deliberate error. ``code`` is stable and documented; ``detail`` is for people."""

    code = "error"
    title = "Error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.field = field
        self.extra = dict(extra or {})

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}" if self.field else self.detail


class ConfigError(EntenteError):
    """The configuration is unusable; the command line reports one line and exits 2."""

    code = "config_invalid"
    title = "Invalid configuration"


class InvalidInputError(EntenteError):
    """Well-formed request, but a value breaks a rule (422)."""

    code = "invalid_input"
    title = "Invalid input"


class MalformedInputError(InvalidInputError):
    """The input cannot be parsed at all (400): bad JSON, duplicate keys, wrong encoding."""

    code = "malformed_input"
    title = "Malformed input"


class CanonicalFormError(MalformedInputError):
    """Input refused by the strict JSON reader (duplicate keys, floats, big integers, lone surrogates, depth)."""

    code = "not_canonicalizable"
    title = "Not acceptable as canonical JSON"


class PayloadTooLargeError(EntenteError):
    code = "payload_too_large"
    title = "Payload too large"


class UnsupportedMediaTypeError(EntenteError):
    code = "unsupported_media_type"
    title = "Unsupported media type"


class AuthenticationError(EntenteError):
    """The caller is not who they claim, or did not say (401)."""

    code = "unauthenticated"
    title = "Authentication required"


class PermissionDeniedError(EntenteError):
    """The caller is known but their party or role does not allow this (403)."""

    code = "forbidden"
    title = "Forbidden"


class CsrfError(PermissionDeniedError):
    code = "csrf_token_invalid"
    title = "Missing or invalid CSRF token"


class NotFoundError(EntenteError):
    """Nothing there, or nothing the viewer may see: both answer the same way (404)."""

    code = "not_found"
    title = "Not found"


class ConflictError(EntenteError):
    """The state of the object does not allow this now, or a concurrent change collides (409)."""

    code = "conflict"
    title = "Conflict"


class PreconditionRequiredError(EntenteError):
    """A write that must name the version it edits did not (428)."""

    code = "precondition_required"
    title = "Precondition required"


class PreconditionFailedError(EntenteError):
    code = "precondition_failed"
    title = "Precondition failed"


class RateLimitedError(EntenteError):
    """Too many attempts; ``retry_after`` seconds until the next is allowed (429)."""

    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = max(1, int(retry_after))


class SignatureError(InvalidInputError):
    """A signature or signed envelope was refused (422)."""

    code = "signature_invalid"
    title = "Signature refused"


class UnavailableError(EntenteError):
    """A dependency (the database) cannot be reached or is too busy now (503); ``retry_after`` seconds."""

    code = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 1, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = max(1, int(retry_after))

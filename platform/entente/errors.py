"""Domain errors.

Every error Entente raises on purpose is an ``EntenteError`` with a stable ``code``. Domain code
raises these and knows nothing of HTTP; ``web/middlewares.py`` maps each family to a status and an
RFC 9457 problem body (or an HTML error page), in one place.
"""

from __future__ import annotations

from typing import Any


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

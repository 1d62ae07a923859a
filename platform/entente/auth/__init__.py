"""Users, passwords, API tokens, browser sessions, roles and the authorisation checks.

- :mod:`.callers`: the :class:`Caller`, its cache and lookup, ``require_role`` and friends
- :mod:`.users`: users and argon2id passwords
- :mod:`.signin`: the shared attempt counter, ``login``, browser sessions, logout, CSRF
- :mod:`.tokens`: API tokens

Passwords are hashed with argon2id (off the event loop: hashing is deliberately slow). API tokens
and session cookies are 256-bit random strings; only their SHA-256 is stored, so a database leak
yields nothing usable. Sign-in attempts are counted per account and client in the database by one
atomic statement before the password is checked, so every server instance sees the same count and a
parallel burst runs at most the limit of argon2 checks per window; past it, ``RateLimitedError``.
Authorisation is decided here, by party and role, never in handlers.
"""

from entente.auth.callers import (
    Caller,
    CallerCache,
    caller_for,
    credential_hash,
    is_read_only,
    require_caller,
    require_party_role,
    require_role,
    require_writer,
)
from entente.auth.signin import (
    caller_from_session,
    clear_attempts,
    count_attempt,
    csrf_matches,
    login,
    login_subject,
    logout,
)
from entente.auth.tokens import TOKEN_PREFIX, caller_from_token, create_token, list_tokens, revoke_token
from entente.auth.users import check_password, create_user, find_user, get_user, hash_password, set_password

__all__ = [
    "TOKEN_PREFIX",
    "Caller",
    "CallerCache",
    "caller_for",
    "caller_from_session",
    "caller_from_token",
    "check_password",
    "clear_attempts",
    "count_attempt",
    "create_token",
    "create_user",
    "credential_hash",
    "csrf_matches",
    "find_user",
    "get_user",
    "hash_password",
    "is_read_only",
    "list_tokens",
    "login",
    "login_subject",
    "logout",
    "require_caller",
    "require_party_role",
    "require_role",
    "require_writer",
    "revoke_token",
    "set_password",
]

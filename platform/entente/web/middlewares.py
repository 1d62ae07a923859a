"""The request pipeline: who is calling, CSRF, one error mapping, security headers.

Order (outermost first): ``error_middleware`` turns every deliberate error into a problem body
under ``/api/`` and an HTML page elsewhere (a crash becomes a logged 500 that leaks nothing), then
``caller_middleware`` resolves the bearer token or session cookie and enforces CSRF on
cookie-authenticated writes. Security headers are added to every response as it is prepared.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from entente import auth, db
from entente.appkeys import caller_cache_key, caller_key, clock_key, read_sessionmaker_key, settings_key
from entente.errors import (
    AuthenticationError,
    CsrfError,
    EntenteError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from entente.web import problems
from entente.web.html import render

log = logging.getLogger("entente.web")

SESSION_COOKIE = "entente_session"
LOGIN_CSRF_COOKIE = "entente_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MACHINE_PREFIXES = ("/api/", "/.well-known/", "/healthz")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def wants_problem_json(request: web.Request) -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        _refuse_nul_in_url(request)
        return await handler(request)
    except EntenteError as error:
        return _domain_error_response(request, error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 405 and not wants_problem_json(request):
            # a page address that takes only a form (reloaded, bookmarked, or a form sent the wrong way):
            # the nearest page instead of "405 Method Not Allowed"
            target = await _nearest_page(request)
            if target is not None:
                raise web.HTTPSeeOther(location=target) from None
        code = problems.CODE_BY_STATUS.get(exc.status, "http_error")
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        body = problems.problem(exc.status, code, detail, instance=request.path)
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return _error_response(request, exc.status, body, headers)
    except Exception as exc:
        translated = db.domain_error(exc)
        if translated is not None:
            log.warning("%s %s: %s (%s)", request.method, request.path, translated.code, type(exc).__name__)
            return _domain_error_response(request, translated)
        log.exception("unhandled error on %s %s", request.method, request.path)
        body = problems.problem(
            500, "internal_error", "an unexpected error occurred; it has been logged", instance=request.path
        )
        return _error_response(request, 500, body, {})


async def _nearest_page(request: web.Request) -> str | None:
    """A form sent to a page: the page itself (pages answer GET and POST only). An address that takes
    only forms, opened as a page: its nearest parent that answers GET (``/`` at worst)."""
    path = request.path.rstrip("/") or "/"
    if request.method not in ("GET", "HEAD"):
        return path
    candidates = []
    while path not in ("", "/"):
        path = path.rsplit("/", 1)[0] or "/"
        candidates.append(path)
    for candidate in [*candidates, "/"]:
        match = await request.app.router.resolve(request.clone(method="GET", rel_url=candidate))
        if match.http_exception is None:
            return candidate
    return None


def _domain_error_response(request: web.Request, error: EntenteError) -> web.StreamResponse:
    status, body = problems.problem_for(error, instance=request.path)
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if isinstance(error, (RateLimitedError, UnavailableError)) else {}
    if status == 401 and wants_problem_json(request):
        headers["WWW-Authenticate"] = 'Bearer realm="entente"'
    return _error_response(request, status, body, headers)


def _refuse_nul_in_url(request: web.Request) -> None:
    """A NUL names nothing (404 in the path) and is no value (422 in the query): PostgreSQL cannot
    even compare text holding one, so it never gets that far."""
    if "\x00" in request.path:
        raise NotFoundError("nothing here")
    for name, value in request.query.items():
        if "\x00" in name or "\x00" in value:
            raise InvalidInputError(
                "text may not contain NUL (U+0000)", code="nul_character", field=f"?{name.replace(chr(0), '')}"
            )


def _error_response(
    request: web.Request, status: int, body: dict[str, Any], headers: dict[str, str]
) -> web.StreamResponse:
    if wants_problem_json(request):
        return problems.problem_response(status, body, headers=headers)
    response = render(request, "errors/error.html", {"problem": body}, status=status)
    response.headers.update(headers)
    return response


@web.middleware
async def caller_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[caller_key] = None
    if request.path.startswith("/static/"):
        return await handler(request)
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationError("send Authorization: Bearer <API token>", code="token_invalid")
        request[caller_key] = await _resolve(request, secret.strip(), auth.caller_from_token)
        _refuse_read_only_write(request)
        return await handler(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        request[caller_key] = await _resolve(request, cookie, auth.caller_from_session)
    if request.method not in SAFE_METHODS:
        await _check_csrf(request)
    _refuse_read_only_write(request)
    return await handler(request)


#: Writes a read-only (oversight) user may still make: its own sign-out and API tokens.
OWN_ACCOUNT_WRITES = ("/logout", "/account/tokens", "/api/v1/tokens")


def _refuse_read_only_write(request: web.Request) -> None:
    """Oversight reads only: any write it sends is refused here, before a handler runs."""
    if request.method in SAFE_METHODS or not auth.is_read_only(request[caller_key]):
        return
    path = request.path
    if any(path == p or path.startswith(p + "/") for p in OWN_ACCOUNT_WRITES):
        return
    auth.require_writer(request[caller_key])


async def _resolve(request: web.Request, secret: str, lookup: Any) -> auth.Caller | None:
    """The caller behind a credential, from the short-lived cache or the database."""
    now = request.app[clock_key]()
    cache = request.app[caller_cache_key]
    key = auth.credential_hash(secret)
    caller = cache.get(key, now)
    if caller is None:
        async with request.app[read_sessionmaker_key]() as session:  # never waits for a writer
            caller = await lookup(session, secret, now=now)
        if caller is not None:
            cache.put(key, caller, now)
    return caller


async def _check_csrf(request: web.Request) -> None:
    """Cookie-authenticated writes carry the session's CSRF token; anonymous forms a double-submit token."""
    caller = request[caller_key]
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if caller is not None:
        if not auth.csrf_matches(caller.csrf_token, given):
            raise CsrfError("this form is out of date or was not sent from Entente; reload the page and try again")
    elif not wants_problem_json(request):
        if not auth.csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE), given):
            raise CsrfError("this form is out of date or was not sent from Entente; reload the page and try again")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    if is_tls(request):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def is_tls(request: web.Request) -> bool:
    if request.secure:
        return True
    if request.app[settings_key].server.trust_forwarded_proto:
        return request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    return False


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"

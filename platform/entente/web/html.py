"""Rendering pages: every page gets the caller, its CSRF token and the path, then its own context."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from entente.appkeys import caller_key, clock_key, login_csrf_key, waiting_count_key


class _ProcessBytecodeCache(jinja2.BytecodeCache):
    """Page templates compiled once per process, whichever app's environment asks first (Jinja checks
    each entry against the template's source checksum, so an edited template is compiled again)."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_PAGES = _ProcessBytecodeCache()


def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, base_context(request) | context, status=status)


def base_context(request: web.Request) -> dict[str, Any]:
    caller = request.get(caller_key)
    csrf = caller.csrf_token if caller is not None else request.get(login_csrf_key, "")
    waiting, unread = request.get(waiting_count_key, (None, None))
    now = request.app[clock_key]().astimezone(UTC).replace(microsecond=0)
    return {"caller": caller, "csrf_token": csrf or "", "path": request.path, "waiting_count": waiting,
            "unread_count": unread, "server_now": now.strftime("%Y-%m-%dT%H:%M:%SZ")}


def instant(value: datetime | str | None, *, attribute: bool = False) -> str:
    """An instant as pages print it, in UTC, to the second at most (never microseconds):
    ``2026-11-27 10:00 UTC``, or ``2026-11-27 10:00:33 UTC`` when it has seconds; with ``attribute``,
    the ``<time datetime>`` form ``2026-11-27T10:00:33Z``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC).replace(microsecond=0)
    if attribute:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strftime("%Y-%m-%d %H:%M:%S UTC" if value.second else "%Y-%m-%d %H:%M UTC")


def setup_environment(env: jinja2.Environment) -> None:
    """Filters every page may use, and JSON printed in its own script (``tojson`` keeps non-ASCII text)."""
    env.filters["instant"] = instant
    env.filters["instant_attr"] = lambda value: instant(value, attribute=True)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}

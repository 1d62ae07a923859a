"""Rendering pages: every page gets the caller, its CSRF token and the path, then its own context."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from entente.appkeys import caller_key, login_csrf_key, waiting_count_key


def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, base_context(request) | context, status=status)


def base_context(request: web.Request) -> dict[str, Any]:
    caller = request.get(caller_key)
    csrf = caller.csrf_token if caller is not None else request.get(login_csrf_key, "")
    waiting, unread = request.get(waiting_count_key, (None, None))
    return {"caller": caller, "csrf_token": csrf or "", "path": request.path, "waiting_count": waiting,
            "unread_count": unread}

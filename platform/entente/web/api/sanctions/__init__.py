"""Sanctions packages under ``/api/v1/``: see :mod:`entente.sanctions.packages` for the storage and rules."""

from __future__ import annotations

from entente.web.openapi import ApiRoutes

from . import exchange, writes

routes = ApiRoutes()
for _module in (writes, exchange):
    routes.extend(_module.routes)

"""The version history, one version with its comments, diffs, and commenting on sections."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import drafting
from entente.appkeys import clock_key, sessionmaker_key, settings_key
from entente.errors import NotFoundError
from entente.web import forms
from entente.web.api.communiques import communique_id, version_ref
from entente.web.html import render
from entente.web.pages import require_page_caller
from entente.web.paths import parse_id


async def history_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        versions = await drafting.list_versions(session, access)
    return render(request, "communiques/history.html", {"c": drafting.communique_public(access), "versions": versions})


async def version_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        ref = version_ref(request.match_info["version"])
        view = await drafting.read_version(session, access, access.communique.head_number if ref == "head" else ref)
        comments = await drafting.list_comments(session, access)
    by_section: dict[str, list[Any]] = {}
    for comment in comments:
        by_section.setdefault(comment.section_id, []).append(comment)
    return render(
        request,
        "communiques/version.html",
        {
            "c": drafting.communique_public(access),
            "view": view,
            "comments": by_section,
            "is_head": view.version.number == access.communique.head_number,
            "can_comment": caller.has_role(*drafting.COMMENT_ROLES),
            "pdf": request.app[settings_key].documents.pdf,
        },
    )


async def diff_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        head = access.communique.head_number
        before, after = (version_ref(request.match_info[k]) for k in ("before", "after"))
        diff = await drafting.diff_versions(
            session, access, head if before == "head" else before, head if after == "head" else after
        )
    return render(request, "communiques/diff.html", {"c": drafting.communique_public(access), "diff": diff})


async def comment_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    form = await forms.read_form(request, {"csrf_token", "body", "reply_to"})
    reply_to = forms.integer(form, "reply_to", minimum=1) if form.get("reply_to") else None
    section = request.match_info["section"]
    async with request.app[sessionmaker_key].begin() as session:
        await drafting.add_comment(
            session,
            communique_id=cid,
            section_id=section,
            caller=caller,
            body=forms.text(form, "body", max_length=20_000).replace("\r\n", "\n"),
            reply_to=reply_to,
            now=request.app[clock_key](),
        )
    url = request.app.router["communique-version"].url_for(communique=str(cid), version="head")
    raise web.HTTPSeeOther(location=f"{url}#section-{section}")


async def resolve_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    await forms.read_form(request, {"csrf_token"})
    text = request.match_info["comment"]
    if (comment_id := parse_id(text)) is None:
        raise NotFoundError(f"no comment {text[:20]} in communiqué {cid}")
    async with request.app[sessionmaker_key].begin() as session:
        root = await drafting.resolve_thread(
            session, communique_id=cid, comment_id=comment_id, caller=caller, now=request.app[clock_key]()
        )
    url = request.app.router["communique-version"].url_for(communique=str(cid), version="head")
    raise web.HTTPSeeOther(location=f"{url}#section-{root.section_id}")

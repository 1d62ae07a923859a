"""The version history, one version with its comments, diffs, and commenting on sections."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import drafting
from entente.web import forms
from entente.web.api.communiques import resolve_ref
from entente.web.context import Context, PageRoutes

from .editor import markdown

routes = PageRoutes()


@routes.get("/communiques/{communique}/versions", name="communique-history")
async def history_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        versions = await drafting.list_versions(session, access)
    return ctx.render("communiques/history.html", {"c": drafting.communique_public(access), "versions": versions})


@routes.get("/communiques/{communique}/versions/{version}", name="communique-version")
async def version_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        view = await drafting.read_version(session, access, resolve_ref(access, ctx.segment("version")))
        comments = await drafting.list_comments(session, access)
    by_section: dict[str, list[Any]] = {}
    for comment in comments:
        by_section.setdefault(comment.section_id, []).append(comment)
    return ctx.render(
        "communiques/version.html",
        {
            "c": drafting.communique_public(access),
            "view": view,
            "comments": by_section,
            "is_head": view.version.number == access.communique.head_number,
            "can_comment": ctx.caller.has_role(*drafting.COMMENT_ROLES),
            "markdown": markdown,
            "pdf": ctx.settings.documents.pdf,
        },
    )


@routes.get("/communiques/{communique}/diff/{before}/{after}", name="communique-diff")
async def diff_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        before, after = (resolve_ref(access, ctx.segment(k)) for k in ("before", "after"))
        diff = await drafting.diff_versions(session, access, before, after)
    return ctx.render("communiques/diff.html", {"c": drafting.communique_public(access), "diff": diff})


@routes.post("/communiques/{communique}/sections/{section}/comments", name="communique-comment")
async def comment_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    form = await ctx.form({"csrf_token", "body", "reply_to"})
    reply_to = forms.integer(form, "reply_to", minimum=1) if form.get("reply_to") else None
    section = ctx.segment("section")
    async with ctx.write() as session:
        await drafting.add_comment(
            session,
            communique_id=cid,
            section_id=section,
            caller=ctx.caller,
            body=forms.text(form, "body", max_length=20_000).replace("\r\n", "\n"),
            reply_to=reply_to,
            now=ctx.now,
        )
    raise ctx.redirect("communique-version", f"section-{section}", communique=str(cid), version="head")


@routes.post("/communiques/{communique}/comments/{comment}/resolve", name="communique-comment-resolve")
async def resolve_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    await ctx.form({"csrf_token"})
    comment_id = ctx.path_id("comment")
    async with ctx.write() as session:
        root = await drafting.resolve_thread(
            session, communique_id=cid, comment_id=comment_id, caller=ctx.caller, now=ctx.now
        )
    raise ctx.redirect("communique-version", f"section-{root.section_id}", communique=str(cid), version="head")

"""Pages for co-drafting: my communiqués, the editor, history and diffs, comments, sign-off.

Every page works without JavaScript: the editor is one form (order numbers move sections, a
checkbox deletes one, the blank section at the end adds one) carrying the digest of the version it
edits. A stale save is merged; a conflict re-renders the editor from the server's proposal (merged
where possible, your text where both sides changed a section) with both sides shown, to save again.

- :mod:`.editor`: my communiqués, a new one, the editor and its save, invitations and acceptance
- :mod:`.history`: the version history, a version with its comments, diffs, commenting
- :mod:`.decisions`: the sign-off page and the release panel
"""

from __future__ import annotations

from aiohttp import web

from .decisions import release_submit, signoff_page, signoff_submit
from .editor import accept_submit, editor, editor_submit, invite_submit, list_page, new_form, new_submit
from .history import comment_submit, diff_page, history_page, resolve_submit, version_page

__all__ = ["add_routes"]


def add_routes(app: web.Application) -> None:
    app.router.add_get("/communiques", list_page, name="communiques")
    app.router.add_get("/communiques/new", new_form, name="communique-new")
    app.router.add_post("/communiques/new", new_submit, name="communique-new-submit")
    app.router.add_get("/communiques/{communique}", editor, name="communique")
    app.router.add_post("/communiques/{communique}", editor_submit, name="communique-save")
    app.router.add_post("/communiques/{communique}/invitations", invite_submit, name="communique-invite")
    app.router.add_post("/communiques/{communique}/acceptance", accept_submit, name="communique-accept")
    app.router.add_get("/communiques/{communique}/versions", history_page, name="communique-history")
    app.router.add_get("/communiques/{communique}/versions/{version}", version_page, name="communique-version")
    app.router.add_get("/communiques/{communique}/diff/{before}/{after}", diff_page, name="communique-diff")
    app.router.add_post(
        "/communiques/{communique}/sections/{section}/comments", comment_submit, name="communique-comment"
    )
    app.router.add_post(
        "/communiques/{communique}/comments/{comment}/resolve", resolve_submit, name="communique-comment-resolve"
    )
    app.router.add_get("/communiques/{communique}/signoff", signoff_page, name="communique-signoff")
    app.router.add_post("/communiques/{communique}/signoff", signoff_submit, name="communique-signoff-submit")
    app.router.add_post("/communiques/{communique}/release", release_submit, name="communique-release")

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

from . import decisions, editor, history

__all__ = ["add_routes"]


def add_routes(app: web.Application) -> None:
    for module in (editor, history, decisions):  # /communiques/new before /communiques/{communique}
        module.routes.add_to(app)

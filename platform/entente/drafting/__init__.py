"""Co-drafting communiqués: versions, section-level three-way merges, diffs, comments, disclosure.

- :mod:`.versions`: items and the canonical version object (pure)
- :mod:`.merge`: the three-way merge of ordered items (pure)
- :mod:`.diffs`: word-level differences between two versions (pure)
- :mod:`.markdown`: Markdown checks (no HTML) and inert rendering
- :mod:`.access`: the container gate (who may reach a communiqué at all) and reading rows
- :mod:`.writing`: editor input to items (marking and originator rules), writing a version
- :mod:`.communiques`: create (directly or from a crisis template), list, invite, accept
- :mod:`.saving`: ``save_version`` with ``If-Match``, merge or 409
- :mod:`.reading`: public shapes, version views, history, diffs
- :mod:`.comments`: comment threads on sections

Every read path filters items with :func:`entente.disclosure.visible` (through
:func:`.access.visible_items` or ``Access.may_see``); something a reader may not see answers exactly
like something that does not exist.
"""

from entente.drafting.access import (
    EDIT_ROLES,
    READ_ROLES,
    Access,
    find_version,
    get_access,
    get_version,
    load_items,
    require_admitted,
    require_editor,
    visible_items,
)
from entente.drafting.comments import (
    COMMENT_ROLES,
    add_comment,
    comment_public,
    list_comments,
    resolve_thread,
    section_markings,
)
from entente.drafting.communiques import (
    accept_invitation,
    create_communique,
    invite_party,
    list_communiques,
    require_editable,
    template_items,
)
from entente.drafting.diffs import diff_items, word_diff
from entente.drafting.markdown import check_markdown, render_markdown
from entente.drafting.merge import Conflict, MergeResult, merge_items
from entente.drafting.reading import (
    VersionView,
    communique_public,
    diff_versions,
    list_versions,
    marking_public,
    read_version,
    summary,
)
from entente.drafting.saving import SaveOutcome, save_version
from entente.drafting.successors import create_successor, find_successor
from entente.drafting.versions import ANNEX, SECTION, VERSION_TYPE, Item, StoredItem, build_version, make_item

__all__ = [
    "ANNEX",
    "COMMENT_ROLES",
    "EDIT_ROLES",
    "READ_ROLES",
    "SECTION",
    "VERSION_TYPE",
    "Access",
    "Conflict",
    "Item",
    "MergeResult",
    "SaveOutcome",
    "StoredItem",
    "VersionView",
    "accept_invitation",
    "add_comment",
    "build_version",
    "check_markdown",
    "comment_public",
    "communique_public",
    "create_communique",
    "create_successor",
    "find_successor",
    "diff_items",
    "diff_versions",
    "find_version",
    "get_access",
    "get_version",
    "invite_party",
    "list_comments",
    "list_communiques",
    "list_versions",
    "load_items",
    "make_item",
    "marking_public",
    "merge_items",
    "read_version",
    "render_markdown",
    "require_admitted",
    "require_editable",
    "require_editor",
    "resolve_thread",
    "save_version",
    "section_markings",
    "summary",
    "template_items",
    "visible_items",
    "word_diff",
]

"""Section and comment text: Markdown without HTML, checked on the way in and rendered inert.

Input that carries raw HTML (blocks or inline tags) or links to anything but ``http``, ``https``,
``mailto``, a relative path or a fragment is refused with ``markdown_unsafe``, naming the field.
Rendering uses markdown-it-py's CommonMark preset with HTML disabled, so even text stored before a
rule tightened renders as escaped text, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from entente.errors import InvalidInputError

__all__ = ["check_markdown", "check_plain_text", "render_markdown"]

_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")
_ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# The inspector parses *with* HTML recognised and every link kept, so it sees what an attacker meant.
_inspector = MarkdownIt("commonmark", {"html": True})
_inspector.validateLink = lambda url: True  # type: ignore[method-assign]
_renderer = MarkdownIt("commonmark", {"html": False}).enable("table")


def _tokens(tokens: Iterable[Token]) -> Iterable[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _tokens(token.children)


def _refusal(text: str) -> str | None:
    if _CONTROL.search(text):
        return "control characters are not accepted"
    for token in _tokens(_inspector.parse(text)):
        if token.type in ("html_block", "html_inline"):
            return "raw HTML is not accepted in Markdown; write the text without tags"
        if token.type in ("link_open", "image"):
            target = str(token.attrs.get("href") or token.attrs.get("src") or "")
            scheme = _SCHEME.match(target)
            if scheme and scheme.group(1).lower() not in _ALLOWED_SCHEMES:
                return f"links to {scheme.group(1).lower()}: are not accepted (use http, https or mailto)"
    return None


def check_markdown(text: str, *, field: str) -> str:
    """Return ``text`` when it is safe Markdown; otherwise raise ``InvalidInputError`` (``markdown_unsafe``)."""
    reason = _refusal(text)
    if reason is not None:
        raise InvalidInputError(reason, code="markdown_unsafe", field=field)
    return text


def check_plain_text(text: str, *, field: str) -> str:
    """Headings and titles: one line of text, no control characters, no HTML tags."""
    if "\n" in text or "\r" in text:
        raise InvalidInputError("a heading is one line", code="invalid_text", field=field)
    return check_markdown(text, field=field)


def render_markdown(text: str) -> Markup:
    """HTML for a page: markdown-it with raw HTML disabled (tags come out escaped)."""
    return Markup(_renderer.render(text))  # noqa: S704 - the renderer escapes everything it does not build

"""Rendering a ``DocumentSpec`` to PDF/A-3b with WeasyPrint (in a worker process, never on the event loop).

The layout is ``templates/documents/communique.html`` with its CSS, rendered by this module's own Jinja
environment (autoescape, ``StrictUndefined``); section bodies go through drafting's one Markdown
renderer (raw HTML disabled). WeasyPrint gets :class:`LocalFetcher`, which serves files under
``templates/documents/`` and nothing else: an image or stylesheet pointing at ``http://``,
``file:///etc/passwd`` or a ``data:`` URL is refused and logged, never fetched.
"""

from __future__ import annotations

import gc
import logging
import mimetypes
import unicodedata
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from entente.documents.spec import DocumentSpec, ReportSpec, measure_name
from entente.drafting.markdown import render_markdown

__all__ = ["LAYOUT", "LocalFetcher", "RefusedFetchError", "html_of", "render_pdf"]

log = logging.getLogger("entente.documents")

LAYOUT = "communique.html"
KIND_NAMES = {
    "joint_statement": "Joint statement",
    "coordinated_national_statement": "Coordinated national statement",
    "sanctions_package": "Coordinated restrictive measures",
}


class RefusedFetchError(ValueError):
    """A URL the document fetcher will not serve (anything outside templates/documents/)."""


class LocalFetcher(URLFetcher):
    """Serves ``file:`` URLs inside ``folder`` only; refuses (and logs) every other URL.

    ``fetched`` and ``refused`` record what was asked, for tests that prove nothing left the folder.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.folder = folder.resolve()
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def _refuse(self, url: str, why: str) -> RefusedFetchError:
        self.refused.append(url)
        log.warning("document renderer refused to fetch %.200s: %s", url, why)
        return RefusedFetchError(f"refused: {why}")

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise self._refuse(url, "only the document layouts are served")
        try:
            path = Path(unquote(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError):
            raise self._refuse(url, "no such layout file") from None
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise self._refuse(url, "outside templates/documents/")
        self.fetched.append(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})


def _environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown
    env.filters["utc"] = _utc
    env.filters["measure"] = measure_name
    env.filters["tlp_class"] = lambda label: str(label).split(":")[-1].lower()
    env.filters["direction"] = direction
    return env


def direction(text: str) -> str:
    """``rtl`` when the first strongly directional character of ``text`` is right-to-left (Arabic,
    Hebrew...), else ``ltr``: the paragraph direction of the Unicode bidi algorithm (rules P2, P3), which
    WeasyPrint needs as a ``dir`` attribute (it has no ``dir="auto"``)."""
    for char in str(text):
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


_environments: dict[Path, jinja2.Environment] = {}


def _utc(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%-d %B %Y, %H:%M UTC")


def html_of(spec: DocumentSpec | ReportSpec, templates_dir: Path) -> str:
    """The document's HTML (what WeasyPrint lays out)."""
    folder = (templates_dir / "documents").resolve()
    env = _environments.get(folder)
    if env is None:
        env = _environments[folder] = _environment(folder)
    if isinstance(spec, ReportSpec):
        return env.get_template(spec.layout).render(spec=spec)
    return env.get_template(LAYOUT).render(
        spec=spec,
        kind_name=KIND_NAMES.get(spec.kind, spec.kind.replace("_", " ").capitalize()),
        stamp=spec.released_at or spec.embargoed_until,
    )


def render_pdf(spec: DocumentSpec | ReportSpec, templates_dir: Path, *, fetcher: LocalFetcher | None = None) -> bytes:
    """PDF/A-3b bytes of ``spec`` with every font embedded and its attachments as embedded files.

    Blocking and CPU-heavy: call it in a worker process (:class:`entente.documents.DocumentRenderer`).
    """
    folder = (templates_dir / "documents").resolve()
    fetcher = fetcher or LocalFetcher(folder)
    when = (
        spec.generated_at if isinstance(spec, ReportSpec)
        else spec.released_at or spec.embargoed_until or datetime(2000, 1, 1, tzinfo=UTC)
    )
    attachments = [
        Attachment(
            string=a.data,
            name=a.name,
            description=a.description,
            created=when,
            modified=when,
            relationship=a.relationship,
            url_fetcher=fetcher,
        )
        for a in spec.attachments
    ]
    html = HTML(string=html_of(spec, templates_dir), base_url=folder.as_uri() + "/", url_fetcher=fetcher)
    with warnings.catch_warnings():
        # WeasyPrint opens its sRGB output-intent profile and leaves closing it to the garbage collector.
        warnings.simplefilter("ignore", ResourceWarning)
        document = html.render()
        pdf = document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments, custom_metadata=True)
        del document
        gc.collect()
    return pdf

"""The Atom feed of releases (RFC 4287), built from public release summaries only.

Entries appear only once their release predicate holds (the caller passes a page of what
``releases.list_public_releases`` gave at ``now``), so nothing about an embargoed release can reach the
feed. The feed is paged (RFC 5005): each page links the next, older one, so no entry is ever cut.
Each entry links the release page and, when it exists, its signed PDF as an ``enclosure``.
The bytes depend only on the entries, so a strong ETag (their digest) is stable between instances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET  # noqa: S405  (we only write XML here, never parse it)

from entente.clock import isoformat
from entente.models import PublicReleaseSummary

__all__ = ["ATOM_TYPE", "FeedEntry", "atom_feed"]

ATOM_TYPE = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class FeedEntry:
    release: PublicReleaseSummary
    pdf_length: int | None  # bytes of the signed PDF, None when there is none


def _tag_id(base_url: str, path: str, at: datetime) -> str:
    """A permanent entry id (RFC 4151 tag URI): the site's host, the release day, the path."""
    host = urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},{at.strftime('%Y-%m-%d')}:{path}"


def _updated(r: PublicReleaseSummary) -> datetime:
    """An entry changes when a party aligns with the release later or withdraws its alignment."""
    return max(
        [
            r.embargo_at,
            *(a.aligned_at for a in r.alignments),
            *(a.withdrawn_at for a in r.alignments if a.withdrawn_at is not None),
        ]
    )


def atom_feed(
    entries: Sequence[FeedEntry],
    *,
    base_url: str,
    party_names: Mapping[str, str],
    title: str = "Entente releases",
    next_path: str | None = None,
    this_path: str = "/releases.atom",
) -> bytes:
    """The feed as UTF-8 XML; ``base_url`` is the site's public address (``server.public_url``).

    One page of a paged feed (RFC 5005 section 3): ``this_path`` is this page's path (``self``),
    ``next_path`` the page of older entries, if any (``next``); the first page is ``first``.
    """
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(feed, "id", f"{base}/releases.atom")
    sub(feed, "title", title)
    sub(feed, "subtitle", "Joint statements and coordinated sanctions, released and verifiable")
    sub(feed, "updated", isoformat(max(_updated(e.release) for e in entries)) if entries else EPOCH)
    sub(feed, "link", rel="self", type=ATOM_TYPE, href=f"{base}{this_path}")
    sub(feed, "link", rel="first", type=ATOM_TYPE, href=f"{base}/releases.atom")
    if next_path is not None:
        sub(feed, "link", rel="next", type=ATOM_TYPE, href=f"{base}{next_path}")
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/releases")
    sub(sub(feed, "author"), "name", "Entente")
    sub(feed, "generator", "Entente")
    for entry in entries:
        r = entry.release
        path = f"/releases/{r.id}"
        item = sub(feed, "entry")
        sub(item, "id", _tag_id(base, path, r.embargo_at))
        sub(item, "title", r.title)
        sub(item, "updated", isoformat(_updated(r)))
        sub(item, "published", isoformat(r.embargo_at))
        sub(sub(item, "author"), "name", party_names.get(r.lead, r.lead))
        sub(item, "link", rel="alternate", type="text/html", href=f"{base}{path}")
        if entry.pdf_length is not None:
            sub(
                item,
                "link",
                rel="enclosure",
                type="application/pdf",
                href=f"{base}{path}.pdf",
                length=str(entry.pdf_length),
            )
        sub(
            item, "link", rel="related", type="application/json", href=f"{base}/api/v1/public/communiques/{r.id}/bundle"
        )
        kind = r.kind.replace("_", " ")
        summary = (
            f"{kind.capitalize()} led by {party_names.get(r.lead, r.lead)}, version {r.version_number} "
            f"({r.version_digest}), released {isoformat(r.embargo_at)}."
        )
        if r.bundle is not None:
            summary += f" Released together as \u201c{r.bundle.title}\u201d."
        if r.supersedes is not None:
            summary += f" Supersedes {base}/releases/{r.supersedes}."
        if r.superseded_by is not None:
            summary += f" Superseded by {base}/releases/{r.superseded_by}."
        for a in r.alignments:
            summary += f" {party_names.get(a.party, a.party)} aligned with it on {isoformat(a.aligned_at)}"
            summary += f" (withdrawn {isoformat(a.withdrawn_at)})." if a.withdrawn_at is not None else "."
        sub(item, "summary", summary)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)

"""Reading what to verify: a local file, or a URL fetched with plain ``urllib`` (bounded, no cookies).

A release page's URL (``https://host/releases/7``) brings both the signed PDF and the publication bundle;
a ``.pdf`` URL brings the PDF (and the bundle beside it when the site serves one); a bundle URL the bundle.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from entente import canonical
from entente.errors import ConfigError, EntenteError, InvalidInputError, UnavailableError

__all__ = ["MAX_BYTES", "Material", "load", "release_urls"]

MAX_BYTES = 64 * 1024 * 1024
TIMEOUT = 20
_RELEASE = re.compile(r"^(?P<base>.*)/releases/(?P<id>[^/]+?)(?P<pdf>\.pdf)?/?$")
_BUNDLE = re.compile(r"^(?P<base>.*)/api/v1/public/communiques/(?P<id>[^/]+)/bundle/?$")


@dataclass
class Material:
    """What was read: the PDF's bytes, the bundle, or both; ``subject`` names it for the report."""

    subject: str
    pdf: bytes | None = None
    bundle: Any = None


def release_urls(url: str) -> tuple[str | None, str | None]:
    """The PDF's and the bundle's URLs of a release page's (or PDF's) URL; (None, None) for others."""
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    found = _RELEASE.match(bare)
    if found is None:
        return None, None
    base, cid = found["base"], found["id"]
    return f"{base}/releases/{cid}.pdf", f"{base}/api/v1/public/communiques/{cid}/bundle"


def _fetch(url: str, *, missing_ok: bool = False) -> bytes | None:
    request = urllib.request.Request(url, headers={"User-Agent": "entente-verify"})  # noqa: S310 (http/https only)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if missing_ok and exc.code == 404:
            return None
        raise UnavailableError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UnavailableError(f"{url}: cannot fetch: {reason}") from None
    if len(data) > MAX_BYTES:
        raise InvalidInputError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    return data


def _json(data: bytes, where: str) -> Any:
    try:
        return canonical.parse_strict(data)
    except EntenteError as exc:
        raise InvalidInputError(f"{where}: not a PDF and not strict JSON ({exc})") from None


def _from_bytes(data: bytes, subject: str) -> Material:
    if data.lstrip()[:5] == b"%PDF-":
        return Material(subject, pdf=data)
    return Material(subject, bundle=_json(data, subject))


def load(source: str) -> Material:
    """Read a file or fetch a URL (http or https only)."""
    scheme = urlsplit(source).scheme.lower()
    if scheme not in ("http", "https"):
        if scheme and len(scheme) > 1:
            raise ConfigError(f"{source}: only files and http(s) URLs can be verified")
        path = Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise InvalidInputError(f"{source}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
            return _from_bytes(path.read_bytes(), source)
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror}") from None
    parts = urlsplit(source)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    pdf_url, bundle_url = release_urls(source)
    if pdf_url is not None and bundle_url is not None:
        is_pdf = bare.endswith(".pdf")
        pdf = _fetch(pdf_url, missing_ok=not is_pdf)
        bundle = _fetch(bundle_url, missing_ok=is_pdf)
        return Material(source, pdf=pdf, bundle=_json(bundle, source) if bundle is not None else None)
    if _BUNDLE.match(bare):
        return Material(source, bundle=_json(_fetch(source) or b"", source))
    return _from_bytes(_fetch(source) or b"", source)

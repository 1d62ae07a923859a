"""Items (sections and annex items) and the canonical version object built from them (pure).

A version object lists each item only as the digest of its disclosure (RFC 9901 style) and the
digest of its marking's disclosure, so anyone holding the object learns how many items there are,
never what they say nor who they are releasable to (format 2):

    {"type": "entente-communique-version", "format": 2, "communique": 7, "version": 3,
     "prev": "sha256:...", "kind": "joint_statement", "title": "...", "lead": "EE",
     "parties": ["EE", "FR"], "template": null,
     "sections": [{"digest": "...", "marking": "<digest of the marking disclosure>"}],
     "annex": [...], "salt": "..."}

A section's disclosure is ``[salt, id, {"heading", "body", "origin"}]``; an annex item's is
``[salt, id, {"kind", "content", "origin"}]``; a marking's is ``[salt, "marking", {"public", "tlp"}]``
or ``[salt, "marking", {"public": false, "releasable_to": [...], "tlp"}]``. Participants receive the
marking disclosures of every item (they sign knowing who may read what); the public receives none.
Every version draws fresh salts for every item and marking, so two versions' objects never reveal
whether a withheld item (or its marking) changed between them.

Format 1 (versions written before format 2, no ``format`` member) listed each marking in the clear
(``"marking": {"public": false, "releasable_to": [...], "tlp": ...}``); those versions keep their
bytes, and so their signatures: readers accept both.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entente import canonical
from entente.disclosure import Marking

__all__ = [
    "ANNEX",
    "FORMAT",
    "MARKING_NAME",
    "SECTION",
    "VERSION_TYPE",
    "BuiltVersion",
    "Item",
    "StoredItem",
    "build_version",
    "decode_item",
    "entry_marking",
    "marking_digest",
    "object_format",
    "make_item",
    "stored_marking",
]

VERSION_TYPE = "entente-communique-version"
#: The version object format written now (format 1 objects, with markings in the clear, have no member).
FORMAT = 2
#: The name of every marking disclosure.
MARKING_NAME = "marking"
SECTION = "section"
ANNEX = "annex"
_VALUE_KEYS = {SECTION: ("heading", "body"), ANNEX: ("kind", "content")}


@dataclass(frozen=True)
class Item:
    """One section or annex item, as content: what merges and diffs compare (by ``content_hash``)."""

    part: str
    id: str
    value: Mapping[str, Any]
    marking: Marking
    origin: str
    content_hash: str

    @property
    def heading(self) -> str:
        return str(self.value.get("heading", ""))

    @property
    def body(self) -> str:
        return str(self.value.get("body", ""))

    def with_id(self, item_id: str) -> Item:
        return Item(self.part, item_id, self.value, self.marking, self.origin, self.content_hash)


def _content_hash(part: str, value: Mapping[str, Any], marking: Marking, origin: str) -> str:
    material = {"part": part, "value": value, "marking": marking.to_dict(), "origin": origin}
    return hashlib.sha256(canonical.canonical_bytes(material)).hexdigest()


def make_item(part: str, item_id: str, value: Mapping[str, Any], marking: Marking, origin: str) -> Item:
    """An item with its value NFC-normalised and checked as canonical JSON."""
    keys = _VALUE_KEYS[part]
    clean = canonical.normalize({key: value[key] for key in keys})
    return Item(part, item_id, clean, marking, origin, _content_hash(part, clean, marking, origin))


@dataclass(frozen=True)
class StoredItem:
    """An item as one version holds it: the encoded disclosure and its digest, and (format 2) the
    encoded disclosure of its marking (None in a format 1 version, whose object shows the marking)."""

    item: Item
    digest: str
    disclosure: str
    marking_disclosure: str | None = None


class _DecodedMemo:
    """Decoded disclosure values by digest, bounded (oldest forgotten first).

    Stored disclosures never change, and a save reads back the items the previous save just
    wrote, so writers fill the memo and readers mostly skip the strict decode. A miss (another
    server instance wrote it) decodes and checks the digest.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[str, Mapping[str, Any]] = OrderedDict()

    def get(self, digest: str, disclosure: str, part: str) -> Mapping[str, Any]:
        value = self._values.get(digest)
        if value is None:
            decoded = canonical.decode_disclosure(disclosure)
            if decoded.digest != digest:
                raise ValueError("a stored disclosure does not match its digest")
            value = {key: decoded.value[key] for key in _VALUE_KEYS[part]}
            self.put(digest, value)
        return value

    def put(self, digest: str, value: Mapping[str, Any]) -> None:
        self._values[digest] = value
        if len(self._values) > self.size:
            self._values.popitem(last=False)


_decoded = _DecodedMemo(20_000)


@functools.lru_cache(maxsize=4096)
def _marking(public: bool, parties: tuple[str, ...], origin: str) -> Marking:
    return Marking.from_dict({"public": public, "releasable_to": list(parties)}, author=origin)


def stored_marking(marking: Mapping[str, Any], origin: str) -> Marking:
    """A marking as stored (``Marking.to_dict()``), read back."""
    return _marking(bool(marking.get("public")), tuple(marking.get("releasable_to", ())), origin)


def decode_item(
    part: str,
    item_id: str,
    disclosure: str,
    marking: Mapping[str, Any],
    origin: str,
    content_hash: str,
    digest: str,
    marking_disclosure: str | None = None,
) -> StoredItem:
    """Rebuild a stored item from its row (the disclosure is the source of the text)."""
    value = _decoded.get(digest, disclosure, part)
    item = Item(part, item_id, value, stored_marking(marking, origin), origin, content_hash)
    return StoredItem(item, digest, disclosure, marking_disclosure)


def _disclose(item: Item) -> StoredItem:
    made = canonical.make_disclosure(item.id, {**item.value, "origin": item.origin})
    _decoded.put(made.digest, item.value)
    marking = canonical.make_disclosure(MARKING_NAME, item.marking.to_dict())
    return StoredItem(item, made.digest, made.encoded, marking.encoded)


def marking_digest(stored: StoredItem) -> str | None:
    """The digest a format 2 version object lists for ``stored``'s marking (None in format 1)."""
    if stored.marking_disclosure is None:
        return None
    return canonical.decode_disclosure(stored.marking_disclosure).digest


def _entry(stored: StoredItem) -> dict[str, Any]:
    return {"digest": stored.digest, "marking": marking_digest(stored)}


def object_format(obj: Mapping[str, Any]) -> int:
    """The format of a version object: 2 when it says so, 1 when it has no ``format`` member."""
    return int(obj.get("format", 1))


def entry_marking(
    obj: Mapping[str, Any], entry: Mapping[str, Any], marking_disclosure: str | None
) -> Mapping[str, Any]:
    """The marking of one object entry, checked: in the clear (format 1), or from its disclosure,
    which must hash to the digest the entry lists (format 2)."""
    if object_format(obj) == 1:
        return entry["marking"]
    if marking_disclosure is None:
        raise ValueError("a format 2 item needs its marking disclosure")
    decoded = canonical.decode_disclosure(marking_disclosure)
    if decoded.digest != entry["marking"] or decoded.name != MARKING_NAME:
        raise ValueError("a marking disclosure does not match the digest the version lists")
    return decoded.value


@dataclass(frozen=True)
class BuiltVersion:
    object: dict[str, Any]
    content: bytes
    digest: str
    sections: list[StoredItem]
    annex: list[StoredItem]

    def stored(self) -> dict[str, Any]:
        """The columns of a ``CommuniqueVersion`` that the version object fixes: exact bytes and digest,
        and the communiqué, number, previous digest and title they hold."""
        obj = self.object
        return {
            "communique_id": obj["communique"],
            "number": obj["version"],
            "digest": self.digest,
            "prev_digest": obj["prev"],
            "title": obj["title"],
            "content": self.content,
        }


def build_version(
    *,
    communique: int,
    number: int,
    prev: str | None,
    kind: str,
    title: str,
    lead: str,
    parties: Sequence[str],
    template: Mapping[str, Any] | None,
    sections: Sequence[Item],
    annex: Sequence[Item],
) -> BuiltVersion:
    """Disclose every item with a fresh salt and write the version object's canonical bytes."""
    stored_sections = [_disclose(item) for item in sections]
    stored_annex = [_disclose(item) for item in annex]
    obj = {
        "type": VERSION_TYPE,
        "format": FORMAT,
        "communique": communique,
        "version": number,
        "prev": prev,
        "kind": kind,
        "title": title,
        "lead": lead,
        "parties": sorted(set(parties)),
        "template": dict(template) if template is not None else None,
        "sections": [_entry(s) for s in stored_sections],
        "annex": [_entry(s) for s in stored_annex],
        "salt": canonical.random_salt(),
    }
    content = canonical.canonical_bytes(obj)
    return BuiltVersion(obj, content, canonical.digest(content), stored_sections, stored_annex)

"""Export in the structure of the OFAC SDN list XML (``sdn.xml``, namespace ``http://tempuri.org/sdnList.xsd``).

``sdnList`` starts with ``publshInformation`` (sic: ``Publish_Date`` as MM/DD/YYYY and
``Record_Count``), then one ``sdnEntry`` per designation with the children in the order the SDN
schema fixes: ``uid`` (the entry's position, from 1), ``firstName``, ``lastName`` (an entity's
whole name), ``title``, ``sdnType`` (Individual or Entity), ``remarks`` (the statement of reasons,
then any evidence included), ``programList``/``program``, ``idList``/``id`` (``idType``,
``idNumber``, ``idCountry`` as a country name; gender as OFAC writes it, ``idType`` "Gender"),
``akaList``/``aka`` (``type`` a.k.a. or f.k.a., ``category`` strong or weak, ``lastName``,
``firstName``; names in their original script are a.k.a. entries too), ``addressList``/``address``
(``address1`` street, ``city``, ``stateOrProvince``, ``postalCode``, ``country``),
``nationalityList``, ``dateOfBirthList``/``dateOfBirthItem`` (OFAC's spellings: ``04 Oct 1983``,
``Oct 1983``, ``1972``, ``circa 1970``, ``1970 to 1975``; the schema has no place for the date as
written, so ``remarks`` ends with ``DOB as written: 27.5.1972`` whenever that differs) and
``placeOfBirthList``. Names are exported exactly as signed: the primary name's Latin form when the
designation gives one, else its original script; never a machine transliteration.
"""

from __future__ import annotations

import calendar
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from itertools import count

from ..clock import as_utc
from ..disclosure import Viewer
from .countries import country_name
from .dates import DatePrecision, PartialDate
from .exports import DEFAULT_PROGRAMME, Keep, select, sub, written_forms, xml_bytes
from .model import Designation
from .parts import AliasType, DocumentType, NameForm, RegistrationType

__all__ = ["ID_TYPES", "OFAC_NAMESPACE", "export_ofac_xml", "ofac_date"]

OFAC_NAMESPACE = "http://tempuri.org/sdnList.xsd"

#: Our document and registration types as OFAC's ``idType`` names them.
ID_TYPES: dict[DocumentType | RegistrationType, str] = {
    DocumentType.PASSPORT: "Passport",
    DocumentType.DIPLOMATIC_PASSPORT: "Diplomatic Passport",
    DocumentType.NATIONAL_ID: "National ID No.",
    DocumentType.RESIDENCE_PERMIT: "Residency Number",
    DocumentType.DRIVING_LICENCE: "Driver's License No.",
    DocumentType.SOCIAL_SECURITY: "SSN",
    DocumentType.PERSONAL_TAX_ID: "Tax ID No.",
    DocumentType.OTHER: "Identification Number",
    RegistrationType.COMPANY_REGISTRATION: "Registration Number",
    RegistrationType.TAX_ID: "Tax ID No.",
    RegistrationType.LEI: "Legal Entity Number",
    RegistrationType.IMO: "IMO",
    RegistrationType.SWIFT_BIC: "SWIFT/BIC",
    RegistrationType.OTHER: "Registration ID",
}


def ofac_date(value: PartialDate) -> str:
    """A date as the SDN list spells it."""
    if value.precision is DatePrecision.RANGE:
        return f"{value.year} to {value.to_year}"
    text = str(value.year)
    if value.month is not None:
        text = f"{calendar.month_abbr[value.month]} {text}"
    if value.day is not None:
        text = f"{value.day:02d} {text}"
    return f"circa {text}" if value.circa else text


def _split(form: NameForm, person: bool) -> tuple[str | None, str]:
    """(firstName, lastName): an entity has only a lastName; a person's given names go first."""
    if not person or not form.last_name:
        return None, form.whole_name
    given = " ".join(p for p in (form.first_name, form.middle_name) if p) or None
    return given, form.last_name


def _entry(root: ET.Element, d: Designation, *, uid: int, ids: count, programme: str) -> None:
    entry = sub(root, "sdnEntry")
    sub(entry, "uid", str(uid))
    person = d.is_person
    primary = d.primary_name.given_latin or d.primary_name.original  # as signed: never a machine transliteration
    first, last = _split(primary, person)
    if first:
        sub(entry, "firstName", first)
    sub(entry, "lastName", last)
    if d.titles:
        sub(entry, "title", "; ".join(d.titles))
    sub(entry, "sdnType", "Individual" if person else "Entity")
    remarks = [d.reasons] + [f"Evidence {e.id} ({e.marking.tlp}): {e.text}" for e in d.evidence]
    # dateOfBirthItem has no place for the text as written: keep it in the remarks when OFAC's spelling differs.
    remarks += [f"DOB as written: {v.text}" for v in d.dates_of_birth if v.text.strip() != ofac_date(v)]
    sub(entry, "remarks", "\n".join(remarks))
    sub(sub(entry, "programList"), "program", programme)

    identifiers: list[tuple[str, str, str | None]] = [
        (ID_TYPES[doc.type], doc.number, doc.country) for doc in d.documents
    ]
    identifiers += [(ID_TYPES[reg.type], reg.number, reg.country) for reg in d.registrations]
    if d.gender is not None:
        identifiers.append(("Gender", d.gender.value.capitalize(), None))
    if identifiers:
        id_list = sub(entry, "idList")
        for id_type, number, country in identifiers:
            item = sub(id_list, "id")
            sub(item, "uid", str(next(ids)))
            sub(item, "idType", id_type)
            sub(item, "idNumber", number)
            if country:
                sub(item, "idCountry", country_name(country))

    akas: list[tuple[AliasType, NameForm]] = []
    for pointer, name, alias_type in d.named_forms():
        forms = written_forms(name)
        if pointer == "/primary_name":
            forms = [f for f in forms if f.whole_name != primary.whole_name]
        akas += [(alias_type or AliasType.AKA, form) for form in forms]
    if akas:
        aka_list = sub(entry, "akaList")
        for alias_type, form in akas:
            aka = sub(aka_list, "aka")
            sub(aka, "uid", str(next(ids)))
            sub(aka, "type", "f.k.a." if alias_type is AliasType.FKA else "a.k.a.")
            sub(aka, "category", "weak" if alias_type is AliasType.WEAK else "strong")
            first, last = _split(form, person)
            sub(aka, "lastName", last)
            if first:
                sub(aka, "firstName", first)

    if d.addresses:
        address_list = sub(entry, "addressList")
        for address in d.addresses:
            element = sub(address_list, "address")
            sub(element, "uid", str(next(ids)))
            for tag, value in (
                ("address1", address.street),
                ("city", address.city),
                ("stateOrProvince", address.region),
                ("postalCode", address.postal_code),
                ("country", country_name(address.country) if address.country else None),
            ):
                if value:
                    sub(element, tag, value)
    for list_tag, item_tag, value_tag, values in (
        ("nationalityList", "nationality", "country", [country_name(c) for c in d.nationalities]),
        ("dateOfBirthList", "dateOfBirthItem", "dateOfBirth", [ofac_date(v) for v in d.dates_of_birth]),
        (
            "placeOfBirthList",
            "placeOfBirthItem",
            "placeOfBirth",
            [
                ", ".join(
                    p for p in (place.city, place.region, country_name(place.country) if place.country else None) if p
                )
                for place in d.places_of_birth
            ],
        ),
    ):
        if not values:
            continue
        container = sub(entry, list_tag)
        for index, value in enumerate(values):
            item = sub(container, item_tag)
            sub(item, "uid", str(next(ids)))
            sub(item, value_tag, value)
            sub(item, "mainEntry", "true" if index == 0 else "false")


def export_ofac_xml(
    designations: Iterable[Designation],
    *,
    generated_at: datetime,
    keep: Keep | None = None,
    include_evidence: bool = False,
    viewer: Viewer | None = None,
    programme: str = DEFAULT_PROGRAMME,
) -> bytes:
    """The designations as an OFAC SDN-style XML file (UTF-8 bytes)."""
    chosen = select(designations, keep=keep, include_evidence=include_evidence, viewer=viewer)
    root = ET.Element("sdnList", {"xmlns": OFAC_NAMESPACE})
    published = sub(root, "publshInformation")
    sub(published, "Publish_Date", as_utc(generated_at).strftime("%m/%d/%Y"))
    sub(published, "Record_Count", str(len(chosen)))
    ids = count(1)
    for uid, designation in enumerate(chosen, start=1):
        _entry(root, designation, uid=uid, ids=ids, programme=programme)
    return xml_bytes(root)

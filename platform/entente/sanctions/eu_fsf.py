"""Export in the structure of the EU Financial Sanctions Files (FSF) XML.

The EU's consolidated list is an ``export`` root (namespace ``http://eu.europa.ec/fpi/fsd/export``,
``generationDate``) holding one ``sanctionEntity`` per person or entity (``euReferenceNumber``,
``logicalId``, ``designationDate``), each with, in this order: ``remark`` (here the statement of
reasons, then any evidence included), ``regulation`` (one per party that adopted the designation:
``organisationType`` is the party, ``numberTitle`` its legal act, ``publicationDate`` its date, and
a ``remark`` with its legal basis), ``subjectType`` (``person``/``P`` or ``enterprise``/``E``),
``nameAlias`` (one per written form of every name and alias: ``firstName``, ``middleName``,
``lastName``, ``wholeName``, ``function``, ``gender`` M/F, ``title``, ``nameLanguage``, ``strong``
false for a weak alias; a ``remark`` says "formerly known as"), ``citizenship``
(``countryIso2Code``), ``birthdate`` (``birthdate``, ``dayOfMonth``, ``monthOfYear``, ``year``,
``circa``, ``yearRangeFrom``/``yearRangeTo``, ``city``, ``region``, ``countryIso2Code``; the
original text in a ``remark``), ``identification`` (``identificationTypeCode``: passport, id, taxid,
imo or other with ``identificationTypeDescription``; ``number``, ``countryIso2Code``) and
``address`` (``street``, ``city``, ``region``, ``zipCode``, ``countryIso2Code``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from itertools import count

from ..clock import isoformat
from ..disclosure import Viewer
from .countries import country_name
from .dates import DatePrecision, PartialDate
from .exports import DEFAULT_PROGRAMME, Keep, select, sub, written_forms, xml_bytes
from .model import Designation
from .parts import AdoptionState, AliasType, DocumentType, Gender, NameForm, Place, RegistrationType

__all__ = ["EU_NAMESPACE", "IDENTIFICATION_TYPES", "export_eu_xml"]

EU_NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"

#: Our document and registration types as the EU file codes them: (identificationTypeCode, description).
IDENTIFICATION_TYPES: dict[StrEnum, tuple[str, str]] = {
    DocumentType.PASSPORT: ("passport", "National passport"),
    DocumentType.DIPLOMATIC_PASSPORT: ("passport", "Diplomatic passport"),
    DocumentType.NATIONAL_ID: ("id", "National identification card"),
    DocumentType.RESIDENCE_PERMIT: ("other", "Residence permit"),
    DocumentType.DRIVING_LICENCE: ("other", "Driving licence"),
    DocumentType.SOCIAL_SECURITY: ("other", "Social security number"),
    DocumentType.PERSONAL_TAX_ID: ("taxid", "Personal tax identification number"),
    DocumentType.OTHER: ("other", "Other identification number"),
    RegistrationType.COMPANY_REGISTRATION: ("other", "Company registration number"),
    RegistrationType.TAX_ID: ("taxid", "Tax identification number"),
    RegistrationType.LEI: ("other", "Legal Entity Identifier"),
    RegistrationType.IMO: ("imo", "IMO number"),
    RegistrationType.SWIFT_BIC: ("other", "SWIFT/BIC code"),
    RegistrationType.OTHER: ("other", "Other registration number"),
}

_GENDER = {Gender.MALE: "M", Gender.FEMALE: "F"}


def _country(code: str | None) -> dict[str, str]:
    if code is None:
        return {"countryIso2Code": "00", "countryDescription": "UNKNOWN"}
    return {"countryIso2Code": code, "countryDescription": country_name(code).upper()}


def _name_alias(
    parent: ET.Element, form: NameForm, *, strong: bool, extra: dict[str, str], ids: count, remark: str | None
) -> None:
    element = sub(
        parent,
        "nameAlias",
        firstName=form.first_name or "",
        middleName=form.middle_name or "",
        lastName=form.last_name or "",
        wholeName=form.whole_name,
        function=extra.get("function", ""),
        gender=extra.get("gender", ""),
        title=extra.get("title", ""),
        nameLanguage=(form.language or "").upper(),
        strong="true" if strong else "false",
        regulationLanguage="en",
        logicalId=str(next(ids)),
    )
    if remark:
        sub(element, "remark", remark)


def _birthdate(parent: ET.Element, value: PartialDate | None, place: Place | None, ids: count) -> None:
    attributes = {
        "circa": "true" if value is not None and value.circa else "false",
        "calendarType": "GREGORIAN",
        "city": (place.city if place else None) or "",
        "zipCode": "",
    }
    if value is not None:
        if value.precision is DatePrecision.RANGE:
            attributes |= {"yearRangeFrom": str(value.year), "yearRangeTo": str(value.to_year)}
        else:
            if value.precision is DatePrecision.DAY:
                attributes["birthdate"] = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
                attributes["dayOfMonth"] = str(value.day)
            if value.month is not None:
                attributes["monthOfYear"] = str(value.month)
            attributes["year"] = str(value.year)
    attributes["region"] = (place.region if place else None) or ""
    attributes["place"] = ""
    attributes |= _country(place.country if place else None)
    attributes |= {"regulationLanguage": "en", "logicalId": str(next(ids))}
    element = sub(parent, "birthdate", **attributes)
    if value is not None:
        sub(element, "remark", value.text)


def _entity(root: ET.Element, d: Designation, *, ids: count, programme: str) -> None:
    attributes = {
        "designationDetails": "",
        "unitedNationId": "",
        "euReferenceNumber": d.id,
        "logicalId": str(next(ids)),
    }
    if d.effective_at is not None:
        attributes["designationDate"] = d.effective_at.date().isoformat()
    entity = sub(root, "sanctionEntity", **attributes)
    sub(entity, "remark", d.reasons)
    for item in d.evidence:
        sub(entity, "remark", f"Evidence {item.id} ({item.marking.tlp}): {item.text}")
    for position in d.parties:
        if position.state is not AdoptionState.ADOPTED:
            continue
        assert position.adopted_on is not None and position.legal_act is not None
        regulation = sub(
            entity,
            "regulation",
            regulationType="regulation",
            organisationType=position.party,
            publicationDate=position.adopted_on.isoformat(),
            entryIntoForceDate=position.adopted_on.isoformat(),
            numberTitle=position.legal_act,
            programme=programme,
            logicalId=str(next(ids)),
        )
        if position.legal_basis:
            sub(regulation, "remark", position.legal_basis)
    person = d.is_person
    sub(entity, "subjectType", code="person" if person else "enterprise", classificationCode="P" if person else "E")
    primary = {
        "function": "; ".join(d.functions),
        "gender": _GENDER.get(d.gender, "") if d.gender else "",
        "title": "; ".join(d.titles),
    }
    for pointer, name, alias_type in d.named_forms():
        extra = primary if pointer == "/primary_name" else {}
        remark = "formerly known as" if alias_type is AliasType.FKA else None
        for form in written_forms(name):
            _name_alias(entity, form, strong=alias_type is not AliasType.WEAK, extra=extra, ids=ids, remark=remark)
    for code in d.nationalities:
        sub(entity, "citizenship", region="", **_country(code), regulationLanguage="en", logicalId=str(next(ids)))
    for index in range(max(len(d.dates_of_birth), len(d.places_of_birth))):
        value = d.dates_of_birth[index] if index < len(d.dates_of_birth) else None
        place = d.places_of_birth[index] if index < len(d.places_of_birth) else None
        _birthdate(entity, value, place, ids)
    for kind, number, country, note in (
        *((doc.type, doc.number, doc.country, doc.note) for doc in d.documents),
        *((reg.type, reg.number, reg.country, None) for reg in d.registrations),
    ):
        code, description = IDENTIFICATION_TYPES[kind]
        element = sub(
            entity,
            "identification",
            diplomatic="true" if kind is DocumentType.DIPLOMATIC_PASSPORT else "false",
            knownExpired="false",
            knownFalse="false",
            reportedLost="false",
            revokedByIssuer="false",
            number=number,
            identificationTypeCode=code,
            identificationTypeDescription=description,
            **_country(country),
            regulationLanguage="en",
            logicalId=str(next(ids)),
        )
        if note:
            sub(element, "remark", note)
    for address in d.addresses:
        element = sub(
            entity,
            "address",
            city=address.city or "",
            street=address.street or "",
            poBox="",
            zipCode=address.postal_code or "",
            region=address.region or "",
            place="",
            asAtListingTime="false",
            **_country(address.country),
            regulationLanguage="en",
            logicalId=str(next(ids)),
        )
        if address.note:
            sub(element, "remark", address.note)


def export_eu_xml(
    designations: Iterable[Designation],
    *,
    generated_at: datetime,
    keep: Keep | None = None,
    include_evidence: bool = False,
    viewer: Viewer | None = None,
    programme: str = DEFAULT_PROGRAMME,
) -> bytes:
    """The designations as an EU FSF-style XML file (UTF-8 bytes)."""
    root = ET.Element("export", {"xmlns": EU_NAMESPACE, "generationDate": isoformat(generated_at)})
    ids = count(1)
    for designation in select(designations, keep=keep, include_evidence=include_evidence, viewer=viewer):
        _entity(root, designation, ids=ids, programme=programme)
    return xml_bytes(root)

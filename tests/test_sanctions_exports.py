"""The EU FSF and OFAC SDN XML exports, parsed back: the fields each convention carries survive the trip."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from entente.disclosure import Viewer
from entente.sanctions import (
    EU_NAMESPACE,
    OFAC_NAMESPACE,
    AdoptionState,
    AliasType,
    Designation,
    adopt,
    country_code,
    decline,
    export_csv,
    export_eu_xml,
    export_ofac_xml,
    import_csv,
    parse_date,
    select,
    take_effect,
)
from entente.sanctions.exports import written_forms

PACKAGE = json.loads((Path(__file__).parent / "data" / "sanctions" / "package.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EU = {"e": EU_NAMESPACE}
OFAC = {"o": OFAC_NAMESPACE}


@pytest.fixture(scope="module")
def released() -> list[Designation]:
    """The fixture package adopted by EE, FR and EU (FR declines D-008) and released at NOW."""
    acts = {"EE": "RT I, 01.12.2026, 3", "FR": "Arrêté du 1er décembre 2026", "EU": "Council Implementing Reg. 2026/9"}
    out = []
    for item in PACKAGE["designations"]:
        designation = Designation.from_annex_content(item)
        for party in PACKAGE["parties"]:
            if (party, designation.id) == ("FR", "D-008"):
                designation = decline(designation, party=party, on=date(2026, 11, 30), reason="Out of scope.", at=NOW)
            else:
                designation = adopt(designation, party=party, legal_act=acts[party], on=date(2026, 11, 30), at=NOW)
        out.append(take_effect(designation, at=NOW, review_days=60))
    return out


# --- EU FSF -----------------------------------------------------------------------------------


def _eu_date(element: ET.Element) -> str | None:
    a = element.attrib
    if "yearRangeFrom" in a:
        return f"{a['yearRangeFrom']}/{a['yearRangeTo']}"
    if "year" not in a:
        return None
    text = a["year"]
    if "monthOfYear" in a:
        text += f"-{int(a['monthOfYear']):02d}"
    if "dayOfMonth" in a:
        text += f"-{int(a['dayOfMonth']):02d}"
        assert a["birthdate"] == text
    return text + ("~" if a["circa"] == "true" else "")


def read_eu(data: bytes) -> list[dict[str, Any]]:
    root = ET.fromstring(data)
    assert root.tag == f"{{{EU_NAMESPACE}}}export"
    out = []
    for entity in root.findall("e:sanctionEntity", EU):
        names = entity.findall("e:nameAlias", EU)
        births = entity.findall("e:birthdate", EU)
        out.append(
            {
                "id": entity.get("euReferenceNumber"),
                "designated": entity.get("designationDate"),
                "subject": entity.find("e:subjectType", EU).attrib,
                "reasons": entity.find("e:remark", EU).text,
                "names": [(n.get("wholeName"), n.get("strong")) for n in names],
                "primary": {k: names[0].get(k) for k in ("gender", "title", "function")},
                "citizenships": [c.get("countryIso2Code") for c in entity.findall("e:citizenship", EU)],
                "dates": [(_eu_date(b), b.find("e:remark", EU).text) for b in births if _eu_date(b)],
                "places": [
                    (b.get("city") or None, b.get("region") or None, b.get("countryIso2Code"))
                    for b in births
                    if b.get("city") or b.get("countryIso2Code") != "00"
                ],
                "identifications": [
                    (
                        i.get("identificationTypeCode"),
                        i.get("identificationTypeDescription"),
                        i.get("number"),
                        i.get("countryIso2Code"),
                    )
                    for i in entity.findall("e:identification", EU)
                ],
                "addresses": [
                    tuple(a.get(k) or None for k in ("street", "city", "region", "zipCode", "countryIso2Code"))
                    for a in entity.findall("e:address", EU)
                ],
                "regulations": [
                    (
                        r.get("organisationType"),
                        r.get("numberTitle"),
                        r.get("publicationDate"),
                        r.find("e:remark", EU).text if r.find("e:remark", EU) is not None else None,
                    )
                    for r in entity.findall("e:regulation", EU)
                ],
            }
        )
    return out


def test_eu_export_carries_every_field_of_its_convention(released: list[Designation]) -> None:
    from entente.sanctions.eu_fsf import IDENTIFICATION_TYPES

    read = read_eu(export_eu_xml(released, generated_at=NOW))
    assert len(read) == len(released)
    for d, entry in zip(released, read, strict=True):
        assert entry["id"] == d.id and entry["designated"] == "2026-12-01"
        assert entry["subject"] == (
            {"code": "person", "classificationCode": "P"}
            if d.is_person
            else {"code": "enterprise", "classificationCode": "E"}
        )
        assert entry["reasons"] == d.reasons
        expected_names = [
            (form.whole_name, "false" if alias_type is AliasType.WEAK else "true")
            for _, name, alias_type in d.named_forms()
            for form in written_forms(name)
        ]
        assert entry["names"] == expected_names
        if d.is_person:
            assert entry["primary"]["gender"] == "M"
            assert entry["primary"]["title"] == "; ".join(d.titles)
        assert entry["citizenships"] == list(d.nationalities)
        assert entry["dates"] == [(v.normalised, v.text) for v in d.dates_of_birth]
        assert entry["places"] == [(p.city, p.region, p.country) for p in d.places_of_birth]
        assert entry["identifications"] == [
            (*IDENTIFICATION_TYPES[x.type], x.number, x.country or "00") for x in (*d.documents, *d.registrations)
        ]
        assert entry["addresses"] == [
            (a.street, a.city, a.region, a.postal_code, a.country or "00") for a in d.addresses
        ]
        adopted = [p for p in d.parties if p.state is AdoptionState.ADOPTED]
        assert entry["regulations"] == [
            (p.party, p.legal_act, p.adopted_on.isoformat(), p.legal_basis) for p in adopted
        ]
    declined = next(e for e in read if e["id"] == "D-008")
    assert [r[0] for r in declined["regulations"]] == ["EE", "EU"]  # FR declined


def test_eu_export_keeps_original_script_names_as_utf8(released: list[Designation]) -> None:
    data = export_eu_xml(released, generated_at=NOW)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    for text in ("Александр Сергеевич Петров", "김정호", "王建国", "ул. Тверская, д. 12; стр. 1"):
        assert text.encode("utf-8") in data
    assert b"&#" not in data.replace(b"&#10;", b"")


# --- OFAC SDN ---------------------------------------------------------------------------------

SDN_ORDER = [
    "uid",
    "firstName",
    "lastName",
    "title",
    "sdnType",
    "remarks",
    "programList",
    "idList",
    "akaList",
    "addressList",
    "nationalityList",
    "citizenshipList",
    "dateOfBirthList",
    "placeOfBirthList",
]


def _t(element: ET.Element, tag: str) -> str | None:
    found = element.find(f"o:{tag}", OFAC)
    return None if found is None else found.text


def read_ofac(data: bytes) -> tuple[dict[str, str], list[dict[str, Any]]]:
    root = ET.fromstring(data)
    assert root.tag == f"{{{OFAC_NAMESPACE}}}sdnList"
    published = root.find("o:publshInformation", OFAC)
    header = {child.tag.split("}")[1]: child.text for child in published}
    entries = []
    for entry in root.findall("o:sdnEntry", OFAC):
        tags = [child.tag.split("}")[1] for child in entry]
        assert tags == sorted(tags, key=SDN_ORDER.index), tags  # the schema's sequence
        entries.append(
            {
                "uid": _t(entry, "uid"),
                "first": _t(entry, "firstName"),
                "last": _t(entry, "lastName"),
                "title": _t(entry, "title"),
                "type": _t(entry, "sdnType"),
                "remarks": _t(entry, "remarks"),
                "programs": [p.text for p in entry.findall("o:programList/o:program", OFAC)],
                "ids": [
                    (_t(i, "idType"), _t(i, "idNumber"), _t(i, "idCountry"))
                    for i in entry.findall("o:idList/o:id", OFAC)
                ],
                "akas": [
                    (_t(a, "type"), _t(a, "category"), _t(a, "firstName"), _t(a, "lastName"))
                    for a in entry.findall("o:akaList/o:aka", OFAC)
                ],
                "addresses": [
                    tuple(_t(a, k) for k in ("address1", "city", "stateOrProvince", "postalCode", "country"))
                    for a in entry.findall("o:addressList/o:address", OFAC)
                ],
                "nationalities": [_t(n, "country") for n in entry.findall("o:nationalityList/o:nationality", OFAC)],
                "births": [_t(b, "dateOfBirth") for b in entry.findall("o:dateOfBirthList/o:dateOfBirthItem", OFAC)],
                "places": [_t(p, "placeOfBirth") for p in entry.findall("o:placeOfBirthList/o:placeOfBirthItem", OFAC)],
            }
        )
    return header, entries


def test_ofac_export_carries_every_field_of_its_convention(released: list[Designation]) -> None:
    from entente.sanctions.ofac_sdn import ID_TYPES

    header, entries = read_ofac(export_ofac_xml(released, generated_at=NOW, programme="CYBER2"))
    assert header == {"Publish_Date": "12/01/2026", "Record_Count": "10"}
    for uid, (d, entry) in enumerate(zip(released, entries, strict=True), start=1):
        assert entry["uid"] == str(uid)
        assert entry["type"] == ("Individual" if d.is_person else "Entity")
        latin = d.primary_name.given_latin or d.primary_name.original  # as signed, never machine-made
        if d.is_person and latin.last_name:
            assert entry["last"] == latin.last_name
            assert entry["first"] == (" ".join(x for x in (latin.first_name, latin.middle_name) if x) or None)
        else:
            assert (entry["first"], entry["last"]) == (None, latin.whole_name)
        assert entry["remarks"].split("\nDOB as written: ")[0] == d.reasons and entry["programs"] == ["CYBER2"]
        assert entry["title"] == ("; ".join(d.titles) or None)
        ids = [(ID_TYPES[x.type], x.number, x.country) for x in (*d.documents, *d.registrations)]
        assert [(t, n, country_code(c) if c else None) for t, n, c in entry["ids"] if t != "Gender"] == ids
        if d.gender:
            assert ("Gender", d.gender.value.capitalize(), None) in entry["ids"]
        names = {" ".join(x for x in (first, last) if x) for _, _, first, last in entry["akas"]}
        for pointer, name, alias_type in d.named_forms():
            for form in written_forms(name):
                if pointer == "/primary_name" and form.whole_name == latin.whole_name:
                    continue
                joined = " ".join(x for x in (form.first_name, form.middle_name, form.last_name) if x)
                assert form.whole_name in names or joined in names
        weak = sum(1 for _, category, _, _ in entry["akas"] if category == "weak")
        assert weak == sum(len(written_forms(a.name)) for a in d.aliases if a.type is AliasType.WEAK)
        assert [country_code(n) for n in entry["nationalities"]] == list(d.nationalities)
        assert [parse_date(text).normalised for text in entry["births"]] == [v.normalised for v in d.dates_of_birth]
        assert [a[-1] and country_code(a[-1]) for a in entry["addresses"]] == [a.country for a in d.addresses]
        assert [a[:4] for a in entry["addresses"]] == [(a.street, a.city, a.region, a.postal_code) for a in d.addresses]
        assert len(entry["places"]) == len(d.places_of_birth)
    fka = [a for a in entries[4]["akas"] if a[0] == "f.k.a."]
    assert [a[3] for a in fka] == ["ООО «Кибер Щит»"]  # the transliteration nobody entered is not added


def test_ofac_dates_use_the_lists_own_spellings(released: list[Designation]) -> None:
    _, entries = read_ofac(export_ofac_xml(released, generated_at=NOW))
    births = {e["last"]: e["births"] for e in entries}
    assert births["Petrov"] == ["04 Oct 1983"]
    assert births["Pak Song Chol"] == ["1970 to 1975"]
    assert births["Олег Иванович Кузнецов"] == ["circa 1970"]  # no Latin form was entered: the name as signed
    assert births["Wang"] == ["Oct 1983"]


# --- what is exported -------------------------------------------------------------------------


def test_exports_are_deterministic(released: list[Designation]) -> None:
    for export in (export_eu_xml, export_ofac_xml):
        assert export(released, generated_at=NOW) == export(list(released), generated_at=NOW)
    assert export_csv(released) == export_csv(list(released))


def test_evidence_is_left_out_unless_asked_for_and_then_filtered_by_marking(released: list[Designation]) -> None:
    assert all(not d.evidence for d in select(released))
    assert b"Intercepted tasking orders" not in export_eu_xml(released, generated_at=NOW)
    assert b"Intercepted tasking orders" not in export_ofac_xml(released, generated_at=NOW)
    assert b"Intercepted tasking orders" not in export_csv(released)
    ee = select(released, include_evidence=True, viewer=Viewer(party="EE"))
    fr = select(released, include_evidence=True, viewer=Viewer(party="FR"))
    public = select(released, include_evidence=True, viewer=Viewer.public())
    assert [e.id for e in ee[0].evidence] == ["E-001", "E-002"]
    assert [e.id for e in fr[0].evidence] == ["E-001"]
    assert [e.id for e in fr[4].evidence] == [] and [e.id for e in ee[4].evidence] == ["E-005"]
    assert all(not d.evidence for d in public)
    eu_for_fr = export_eu_xml(released, generated_at=NOW, include_evidence=True, viewer=Viewer(party="FR"))
    assert b"Evidence E-001 (TLP:AMBER)" in eu_for_fr and b"E-002" not in eu_for_fr


def test_a_keep_callable_chooses_what_the_viewer_may_see(released: list[Designation]) -> None:
    chosen = select(released, keep=lambda d: d.subject_type.value == "entity")
    assert [d.id for d in chosen] == ["D-005", "D-006", "D-007"]
    header, entries = read_ofac(export_ofac_xml(released, generated_at=NOW, keep=lambda d: d.id == "D-006"))
    assert header["Record_Count"] == "1" and entries[0]["last"] == "Potonggang District technical facility"


def test_the_done_when_package_exports_in_three_conventions_and_imports_back(released: list[Designation]) -> None:
    assert len(read_eu(export_eu_xml(released, generated_at=NOW))) == 10
    assert len(read_ofac(export_ofac_xml(released, generated_at=NOW))[1]) == 10
    assert import_csv(export_csv(released, include_evidence=True)) == released
    assert import_csv(export_csv(released)) == select(released)


# --- honest exports (issue 11, items 2 and 3) ---------------------------------------------------


def _signed_names(d: Designation) -> set[str]:
    """Every written form of every name exactly as entered (and so signed)."""
    return {form.whole_name for _, name, _ in d.named_forms() for form in name.forms()}


def _korean_without_transliteration() -> Designation:
    item = json.loads(json.dumps(PACKAGE["designations"][0]))
    item["id"] = "D-100"
    item["primary_name"] = {"original": {"whole_name": "조선엑스포", "language": "ko"}}
    item["other_names"], item["aliases"] = [], []
    item["subject_type"] = "entity"
    for key in ("gender", "titles", "functions", "dates_of_birth", "places_of_birth", "nationalities", "documents"):
        item.pop(key, None)
    return Designation.from_annex_content(item)


def test_exports_never_add_a_name_nobody_entered(released: list[Designation]) -> None:
    designations = [*released, _korean_without_transliteration()]
    eu = ET.fromstring(export_eu_xml(designations, generated_at=NOW))
    for entity, d in zip(eu.findall("e:sanctionEntity", EU), designations, strict=True):
        exported = {n.get("wholeName") for n in entity.findall("e:nameAlias", EU)}
        assert exported == _signed_names(d), d.id
    assert b"Joseon" not in export_eu_xml(designations, generated_at=NOW)
    ofac = ET.fromstring(export_ofac_xml(designations, generated_at=NOW))
    for entry, d in zip(ofac.findall("o:sdnEntry", OFAC), designations, strict=True):
        names = [entry.find("o:lastName", OFAC).text]
        names += [
            " ".join(x for x in (_t(a, "firstName"), _t(a, "lastName")) if x)
            for a in entry.findall("o:akaList/o:aka", OFAC)
        ]
        signed = _signed_names(d) | {
            " ".join(x for x in (f.first_name, f.middle_name, f.last_name) if x)
            for _, name, _ in d.named_forms()
            for f in name.forms()
        } | {f.last_name for _, name, _ in d.named_forms() for f in name.forms() if f.last_name}
        assert set(names) <= signed, (d.id, set(names) - signed)
    assert b"Joseon" not in export_ofac_xml(designations, generated_at=NOW)


def test_a_transliteration_is_offered_to_the_drafter_as_a_suggestion_only() -> None:
    d = _korean_without_transliteration()
    suggestions = d.transliteration_suggestions()
    assert [(s.pointer, s.value.whole_name) for s in suggestions] == [
        ("/primary_name/transliterated", "Joseonekseupo")
    ]
    accepted = Designation.from_annex_content(
        d.to_annex_content() | {"primary_name": d.to_annex_content()["primary_name"]
                                | {"transliterated": suggestions[0].value.model_dump(exclude_none=True)}}
    )
    assert accepted.transliteration_suggestions() == []
    eu = export_eu_xml([accepted], generated_at=NOW)
    assert b'wholeName="Joseonekseupo"' in eu  # accepted into the designation: now it is signed


def test_every_export_keeps_the_date_of_birth_as_written(released: list[Designation]) -> None:
    d002 = next(d for d in released if d.id == "D-002")
    assert d002.dates_of_birth[0].text == "27.5.1972"
    _, entries = read_ofac(export_ofac_xml([d002], generated_at=NOW))
    assert entries[0]["births"] == ["27 May 1972"]
    assert "27.5.1972" in entries[0]["remarks"]
    assert entries[0]["remarks"].startswith(d002.reasons)
    eu = read_eu(export_eu_xml([d002], generated_at=NOW))
    assert eu[0]["dates"] == [("1972-05-27", "27.5.1972")]
    assert "27.5.1972" in export_csv([d002]).decode("utf-8")

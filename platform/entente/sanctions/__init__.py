"""Coordinated sanctions, the pure core: designations, their adoption by each party, their lifecycle,
duplicate detection, and the EU FSF, OFAC SDN and flat CSV exports (with the CSV import).

Nothing here touches the database or HTTP: a sanctions package is a communiqué whose annex items
are designations, and the drafting layer stores each as :meth:`Designation.to_annex_content`.

- :mod:`.model` and :mod:`.parts`: :class:`Designation` and what it is made of
- :mod:`.dates`: dates as lists write them (``4 October 1983``, ``27.5.1972``, ``circa 1970``, ...)
- :mod:`.names`: transliteration (ICAO 9303 Cyrillic, Revised Romanization, Pinyin) and name keys
- :mod:`.countries`: ISO 3166-1 alpha-2 codes and names
- :mod:`.adoption`: each party's proposed / adopted / declined / lifted state
- :mod:`.lifecycle`: taking effect, review dates, renew / amend / lift, what was in force when,
  and :func:`check_measures` against the ladder tier
- :mod:`.matching`: :func:`find_matches` and :func:`require_no_duplicate_in_package`
- :mod:`.exports`, :mod:`.eu_fsf`, :mod:`.ofac_sdn`, :mod:`.flat_csv`, :mod:`.imports`
"""

from .adoption import TRANSITIONS, adopt, decline, lift_for_party, propose_to, reconsider, set_legal_basis
from .countries import COUNTRIES, check_country, country_code, country_name
from .dates import DatePrecision, PartialDate, parse_date, parse_normalised
from .eu_fsf import EU_NAMESPACE, export_eu_xml
from .exports import DEFAULT_PROGRAMME, select
from .flat_csv import COLUMNS, export_csv, neutralise, restore
from .imports import import_csv
from .lifecycle import (
    DEFAULT_REVIEW_NOTICE,
    amend,
    check_measures,
    due_for_review,
    in_force,
    in_force_on,
    is_in_force,
    lift,
    next_version,
    release_record,
    renew,
    review_date,
    take_effect,
    version_at,
)
from .matching import DUPLICATE_SCORE, MATCH_THRESHOLD, Match, find_matches, match, require_no_duplicate_in_package
from .model import ANNEX_KIND, Designation
from .names import Script, name_keys, script_of, transliterate
from .ofac_sdn import OFAC_NAMESPACE, export_ofac_xml
from .parts import (
    Address,
    AdoptionState,
    Affiliation,
    Alias,
    AliasType,
    DocumentType,
    EvidenceItem,
    Gender,
    IdentityDocument,
    Name,
    NameForm,
    PartyPosition,
    Place,
    RegistrationNumber,
    RegistrationType,
    Relation,
    ReviewStep,
    SameSubject,
    SubjectType,
)

__all__ = [
    "ANNEX_KIND",
    "COLUMNS",
    "COUNTRIES",
    "DEFAULT_PROGRAMME",
    "DEFAULT_REVIEW_NOTICE",
    "DUPLICATE_SCORE",
    "EU_NAMESPACE",
    "MATCH_THRESHOLD",
    "OFAC_NAMESPACE",
    "TRANSITIONS",
    "Address",
    "AdoptionState",
    "Affiliation",
    "Alias",
    "AliasType",
    "DatePrecision",
    "Designation",
    "DocumentType",
    "EvidenceItem",
    "Gender",
    "IdentityDocument",
    "Match",
    "Name",
    "NameForm",
    "PartialDate",
    "PartyPosition",
    "Place",
    "RegistrationNumber",
    "RegistrationType",
    "Relation",
    "ReviewStep",
    "SameSubject",
    "Script",
    "SubjectType",
    "adopt",
    "amend",
    "check_country",
    "check_measures",
    "country_code",
    "country_name",
    "decline",
    "due_for_review",
    "export_csv",
    "export_eu_xml",
    "export_ofac_xml",
    "find_matches",
    "import_csv",
    "in_force",
    "in_force_on",
    "is_in_force",
    "lift",
    "lift_for_party",
    "match",
    "name_keys",
    "neutralise",
    "next_version",
    "parse_date",
    "parse_normalised",
    "propose_to",
    "reconsider",
    "release_record",
    "renew",
    "require_no_duplicate_in_package",
    "restore",
    "review_date",
    "script_of",
    "select",
    "set_legal_basis",
    "take_effect",
    "transliterate",
    "version_at",
]

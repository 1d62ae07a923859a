"""The named scales incident metrics are measured on.

These are closed sets, fixed in code rather than in ``config/ladder.toml``: they are shared
vocabularies (an intelligence yardstick, a published spectrum of state responsibility, the NIS2
sectors) that templates, assessments and the partners' own systems all refer to by value. The
ladder file refers to them by scale name (``scale = "state_backing"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

__all__ = ["SCALES", "Confidence", "HarmToLife", "Scale", "Sector", "StateBacking", "parse_member"]

E = TypeVar("E", bound=StrEnum)


def parse_member(choices: type[E], value: object) -> E | None:
    """The member of the closed set ``choices`` whose value is ``value``, or None."""
    if not isinstance(value, str):
        return None
    try:
        return choices(value)
    except ValueError:
        return None


class Vocabulary(StrEnum):
    """A closed set of values; each reads as its value with underscores as spaces (its ``label``)."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Confidence(Vocabulary):
    """The UK Professional Head of Intelligence Assessment (PHIA) probability yardstick, low to high.

    Attribution confidence and each tier's evidence standard are stated on it, so a minister reads
    the same words the assessment staff wrote. The bands (in percent) have deliberate gaps: the
    yardstick avoids false precision between terms.
    """

    REMOTE_CHANCE = "remote_chance"
    HIGHLY_UNLIKELY = "highly_unlikely"
    UNLIKELY = "unlikely"
    REALISTIC_POSSIBILITY = "realistic_possibility"
    LIKELY = "likely"
    HIGHLY_LIKELY = "highly_likely"
    ALMOST_CERTAIN = "almost_certain"

    @property
    def band(self) -> tuple[int, int]:
        return _PHIA_BANDS[self]


_PHIA_BANDS: Mapping[Confidence, tuple[int, int]] = MappingProxyType({
    Confidence.REMOTE_CHANCE: (0, 5),
    Confidence.HIGHLY_UNLIKELY: (10, 20),
    Confidence.UNLIKELY: (25, 35),
    Confidence.REALISTIC_POSSIBILITY: (40, 50),
    Confidence.LIKELY: (55, 75),
    Confidence.HIGHLY_LIKELY: (80, 90),
    Confidence.ALMOST_CERTAIN: (95, 100),
})


class StateBacking(Vocabulary):
    """Jason Healey's spectrum of state responsibility ("Beyond Attribution", 2011), least to most.

    It describes how far a state is answerable for an attack, from having prohibited and acted
    against it to having conducted it as part of an integrated campaign.
    """

    PROHIBITED = "state-prohibited"
    PROHIBITED_BUT_INADEQUATE = "state-prohibited-but-inadequate"
    IGNORED = "state-ignored"
    ENCOURAGED = "state-encouraged"
    SHAPED = "state-shaped"
    COORDINATED = "state-coordinated"
    ORDERED = "state-ordered"
    ROGUE_CONDUCTED = "state-rogue-conducted"
    EXECUTED = "state-executed"
    INTEGRATED = "state-integrated"


class HarmToLife(Vocabulary):
    """Physical harm to people caused by the incident, least to most severe."""

    NONE = "none"
    RISK_TO_LIFE = "risk_to_life"
    INJURY = "injury"
    LOSS_OF_LIFE = "loss_of_life"


class Sector(Vocabulary):
    """Sectors an incident can affect, after the NIS2 Directive's annexes (EU 2022/2555).

    NIS2's sectors, some merged (banking and financial market infrastructure as ``finance``,
    drinking and waste water as ``water``, public administration as ``government``), plus the
    state functions NIS2 leaves out but provocations target: defence, elections, and
    telecommunications named apart from digital infrastructure. Unordered.
    """

    ENERGY = "energy"
    TRANSPORT = "transport"
    FINANCE = "finance"
    HEALTH = "health"
    WATER = "water"
    DIGITAL_INFRASTRUCTURE = "digital_infrastructure"
    ICT_SERVICE_MANAGEMENT = "ict_service_management"
    TELECOMMUNICATIONS = "telecommunications"
    GOVERNMENT = "government"
    DEFENCE = "defence"
    ELECTIONS = "elections"
    SPACE = "space"
    POSTAL_AND_COURIER = "postal_and_courier"
    WASTE_MANAGEMENT = "waste_management"
    CHEMICALS = "chemicals"
    FOOD = "food"
    MANUFACTURING = "manufacturing"
    DIGITAL_PROVIDERS = "digital_providers"
    RESEARCH = "research"


@dataclass(frozen=True)
class Scale:
    """A named closed set of values; ``ordered`` scales rank their values in declaration order."""

    name: str
    members: type[StrEnum]
    ordered: bool

    def parse(self, value: object) -> StrEnum | None:
        return parse_member(self.members, value)

    def rank(self, value: StrEnum) -> int:
        return list(self.members).index(value)

    @property
    def size(self) -> int:
        return len(self.members)

    @staticmethod
    def label(value: StrEnum) -> str:
        return str(getattr(value, "label", value.value))

    def allowed(self) -> str:
        return ", ".join(member.value for member in self.members)


SCALES: Mapping[str, Scale] = MappingProxyType({
    "confidence": Scale("confidence", Confidence, ordered=True),
    "state_backing": Scale("state_backing", StateBacking, ordered=True),
    "harm": Scale("harm", HarmToLife, ordered=True),
    "sector": Scale("sector", Sector, ordered=False),
})

"""The violation-type catalogue (``workflows/rules/violation_types.yaml``) as value objects.

Each :class:`ViolationType` names the duty broken and the penalty article, the legal fine
range for a unit in whole yuan, the harm levels a finding of it may carry, and the quantities
an inspector measures for it. :class:`Discretion` is the discretion standard (裁量基准): the
fine tiers as shares of the legal range, the starting tier per harm level, and the
circumstances that move a case one tier up or down.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import msgspec

from govservice.domain.base import Record

TypeCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Z0-9][A-Z0-9-]*$")]
Slug = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
RuleId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Yuan = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]


class HarmLevel(enum.StrEnum):
    """How serious the inspector judges the violation (情节): picks the starting fine tier."""

    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重


class QuantityUnit(enum.StrEnum):
    COUNT = "count"  # a whole number of things (hydrants, doors, windows)
    FRACTION = "fraction"  # a share between 0 and 1 (0.2 = 20 %)


class Quantity(Record, frozen=True):
    """Something an inspector measures for a finding of this type."""

    code: Slug
    unit: QuantityUnit
    description: Text
    description_en: Text
    # Recorded once per floor (label → value); a threshold on it must hold on every floor.
    per_floor: bool = False


class FineRange(Record, frozen=True):
    min_yuan: Yuan
    max_yuan: Yuan


class LegalBasis(Record, frozen=True):
    violated: Annotated[list[Text], msgspec.Meta(min_length=1)]  # the duty broken
    penalty: Text  # the article that sets the fine


class ViolationType(Record, frozen=True):
    code: TypeCode
    name: Text
    name_en: Text
    legal_basis: LegalBasis
    fine: FineRange
    harm_levels: Annotated[list[HarmLevel], msgspec.Meta(min_length=1)]
    measures: list[Text] = msgspec.field(default_factory=list)  # orders besides the fine
    quantities: list[Quantity] = msgspec.field(default_factory=list)

    def quantity(self, code: str) -> Quantity | None:
        return next((q for q in self.quantities if q.code == code), None)


class Tier(Record, frozen=True):
    code: Slug
    name: Text
    name_en: Text
    from_percent: Percent
    to_percent: Percent
    proposal_percent: Percent  # where in the tier the engine's proposal sits


class CircumstanceEffect(enum.StrEnum):
    MITIGATING = "mitigating"  # 从轻: one tier lighter
    AGGRAVATING = "aggravating"  # 从重: one tier heavier


class Circumstance(Record, frozen=True):
    code: Slug
    name: Text
    name_en: Text
    effect: CircumstanceEffect
    basis: Text | None = None


class Discretion(Record, frozen=True):
    tiers: Annotated[list[Tier], msgspec.Meta(min_length=1)]  # lightest first
    base_tiers: dict[HarmLevel, Slug]
    circumstances: list[Circumstance] = msgspec.field(default_factory=list)

    def circumstance(self, code: str) -> Circumstance | None:
        return next((c for c in self.circumstances if c.code == code), None)


class ViolationCatalogue(Record, frozen=True):
    id: RuleId
    version: Annotated[int, msgspec.Meta(ge=1)]
    effective: date
    discretion: Discretion
    types: Annotated[list[ViolationType], msgspec.Meta(min_length=1)]

    def type(self, code: str) -> ViolationType | None:
        return next((t for t in self.types if t.code == code), None)


def catalogue_problems(catalogue: ViolationCatalogue) -> list[str]:
    """Rules the catalogue must satisfy beyond its field types, each naming the entry."""
    problems: list[str] = []
    problems += _discretion_problems(catalogue.discretion)
    seen: set[str] = set()
    for vtype in catalogue.types:
        where = f"type {vtype.code}"
        if vtype.code in seen:
            problems.append(f"{where}: duplicate code")
        seen.add(vtype.code)
        if vtype.fine.min_yuan > vtype.fine.max_yuan:
            problems.append(
                f"{where}: fine minYuan {vtype.fine.min_yuan} exceeds maxYuan {vtype.fine.max_yuan}"
            )
        if len(set(vtype.harm_levels)) != len(vtype.harm_levels):
            problems.append(f"{where}: harmLevels repeat a level")
        codes = [q.code for q in vtype.quantities]
        if len(set(codes)) != len(codes):
            problems.append(f"{where}: quantity codes must be unique")
    return problems


def _discretion_problems(discretion: Discretion) -> list[str]:
    problems: list[str] = []
    expected_from = 0
    for tier in discretion.tiers:
        where = f"discretion tier {tier.code}"
        if tier.from_percent != expected_from:
            problems.append(
                f"{where}: fromPercent {tier.from_percent}, expected {expected_from} (no gaps, no overlaps)"
            )
        if tier.to_percent <= tier.from_percent:
            problems.append(f"{where}: toPercent must be above fromPercent")
        if not tier.from_percent <= tier.proposal_percent <= tier.to_percent:
            problems.append(f"{where}: proposalPercent {tier.proposal_percent} lies outside the tier")
        expected_from = tier.to_percent
    if expected_from != 100:
        problems.append(f"discretion tiers end at {expected_from}%, expected 100%")
    tier_codes = [t.code for t in discretion.tiers]
    if len(set(tier_codes)) != len(tier_codes):
        problems.append("discretion tier codes must be unique")
    for level in HarmLevel:
        base = discretion.base_tiers.get(level)
        if base is None:
            problems.append(f"discretion baseTiers: no tier for harm level {level}")
        elif base not in tier_codes:
            problems.append(f"discretion baseTiers: harm level {level} names unknown tier {base}")
    circumstance_codes = [c.code for c in discretion.circumstances]
    if len(set(circumstance_codes)) != len(circumstance_codes):
        problems.append("discretion circumstance codes must be unique")
    return problems

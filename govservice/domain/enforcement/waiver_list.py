"""The published first-offense waiver list (免罚清单, ``workflows/rules/waiver_list.yaml``).

One :class:`WaiverEntry` per waivable violation type, each with its thresholds (inclusive
maxima on the quantities the catalogue declares for that type), plus the look-back window
for "first" violations and the limitation periods.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec

from govservice.domain.base import Record
from govservice.domain.enforcement.violation_types import RuleId, Slug, Text, TypeCode

Years = Annotated[int, msgspec.Meta(ge=1, le=20)]


def finite_non_negative(value: Decimal, what: str) -> None:
    """Raise ValueError (msgspec reports it as a validation error) unless 0 <= value < inf."""
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {value}")


class Threshold(Record, frozen=True):
    quantity: Slug
    max: Decimal  # inclusive: exactly at it is within, anything above is not

    def __post_init__(self) -> None:
        finite_non_negative(self.max, f"threshold {self.quantity} max")


class WaiverEntry(Record, frozen=True):
    type: TypeCode
    thresholds: Annotated[list[Threshold], msgspec.Meta(min_length=1)]
    note: Text | None = None


class Limitation(Record, frozen=True):
    years: Years  # 违法行为在二年内未被发现的，不再给予行政处罚
    life_or_health_years: Years  # 涉及公民生命健康安全且有危害后果的，延长至五年
    basis: Text


class WaiverList(Record, frozen=True):
    id: RuleId
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: Text
    title_en: Text
    effective: date
    legal_basis: Annotated[list[Text], msgspec.Meta(min_length=1)]
    look_back_years: Years
    limitation: Limitation
    entries: list[WaiverEntry]

    def entry(self, type_code: str) -> WaiverEntry | None:
        return next((e for e in self.entries if e.type == type_code), None)

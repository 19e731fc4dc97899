"""What the enforcement API shows: inspections, violation cases, statistics."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from govservice.domain.enforcement.evaluation import WaiverEvaluation


class MeasurementView(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    quantity: str
    value: Decimal
    floor: str | None = None


class FindingView(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    id: int
    violation_id: int | None
    violation_type: str
    committed_on: date
    harm_level: str
    measurements: list[MeasurementView]
    harmful_consequence: bool
    life_or_health_endangered: bool
    evidence: list[str]


class InspectionView(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    id: int
    uscc: str
    unit_name: str
    address: str
    inspected_on: date
    officers: list[str]
    department_unit: str | None
    recorded_by: str
    evidence: list[str]
    purpose: str  # routine | complaint | fire_risk | post_check
    reason: str | None
    findings: list[FindingView]
    created_at: datetime


class Education(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """The education recorded with a no-penalty decision (首违不罚: education instead of a fine)."""

    recorded_on: date
    content: str
    legal_basis: str


class ViolationView(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """A violation case. ``evaluation`` is the stored waiver evaluation: every condition with
    met/not met and its evidence, and the rule version that produced it."""

    id: int
    inspection_id: int
    finding_id: int
    uscc: str
    violation_type: str
    state: str
    outcome: str | None
    version: int
    order_served_on: date | None
    correct_by: date | None
    recheck_due_on: date | None
    corrected: bool | None
    corrected_on: date | None
    evaluation: WaiverEvaluation | None
    rule_version: str | None
    eligible: bool | None
    decision: str | None
    fine_yuan: int | None
    fine_spared_yuan: int | None
    education: Education | None
    decided_on: date | None
    countersigned_by: str | None


class StatisticsRow(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    period: str  # YYYY-MM of the decision
    unit: str | None
    waivers: int
    enterprises_spared: int
    fines_spared_yuan: int
    penalties: int
    penalties_yuan: int


class Statistics(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    from_date: date | None = msgspec.field(name="from")
    to_date: date | None = msgspec.field(name="to")
    unit: str | None
    waivers: int
    enterprises_spared: int
    fines_spared_yuan: int
    penalties: int
    penalties_yuan: int
    rows: list[StatisticsRow]


def stored_evaluation(stored: dict[str, Any] | None) -> WaiverEvaluation | None:
    """The waiver evaluation as stored with the violation (its JSON form), typed again."""
    return None if stored is None else msgspec.convert(stored, WaiverEvaluation)


def stored_education(stored: dict[str, Any] | None) -> Education | None:
    return None if stored is None else msgspec.convert(stored, Education)

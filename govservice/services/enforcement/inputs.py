"""What inspectors send: an inspection with its findings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec

from govservice.domain.enforcement import HarmLevel
from govservice.domain.uscc import UsccText
from govservice.services.key_enterprises.restraint import Purpose

Sub = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
EvidenceRef = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class _In(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    pass


class MeasurementIn(_In):
    quantity: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    value: Annotated[
        Decimal,
        msgspec.Meta(
            description="a count, or a share 0..1, as the type's quantity says: a decimal from 0 to 1000000",
            extra_json_schema={"pattern": r"^(1000000(\.0+)?|[0-9]{1,6}(\.[0-9]+)?)$"},
        ),
    ]
    floor: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None


class FindingIn(_In):
    violation_type: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    harm_level: HarmLevel
    measurements: Annotated[list[MeasurementIn], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    committed_on: date | None = None  # default: the inspection date
    harmful_consequence: bool = False
    life_or_health_endangered: bool = False
    evidence: Annotated[list[EvidenceRef], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)


class InspectionIn(_In):
    """Two officers inspect (the caller is one of them). Evidence: references to photos or
    files kept by the department (file numbers), as text."""

    uscc: UsccText
    unit_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    inspected_on: Annotated[date, msgspec.Meta(description="today or earlier (a local date; else 422)")]
    officers: Annotated[list[Sub], msgspec.Meta(min_length=2, max_length=2)]
    findings: Annotated[list[FindingIn], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    evidence: Annotated[list[EvidenceRef], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    # Routine, or why it was needed: a key enterprise's routine inspections are capped per year and
    # only the package's override purposes (complaint, fire_risk, post_check) with a reason go beyond.
    purpose: Purpose = Purpose.ROUTINE
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    plan_id: Annotated[int, msgspec.Meta(ge=1, le=2**53)] | None = None  # the inspection plan it carries out


class RecheckIn(_In):
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    corrected_on: date | None = None  # the re-check's finding of when the correction was made

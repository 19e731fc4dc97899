"""What the engine is asked about: one finding, and the enterprise's earlier findings.

A :class:`Finding` is one violation of a catalogued type found at an inspection, with the
measured quantities, the harm judgement and how the rectification went. A
:class:`PriorFinding` is all the engine needs of any other finding: whose, what type, when.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec

from govservice.domain.base import Record
from govservice.domain.enforcement.violation_types import HarmLevel, Slug, Text, TypeCode
from govservice.domain.enforcement.waiver_list import finite_non_negative


class EvaluationError(ValueError):
    """The finding cannot be evaluated as given (it contradicts itself or the rules); the message says why."""


FindingId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Uscc = Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
FloorLabel = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class Measurement(Record, frozen=True):
    """One measured quantity; ``floor`` is set exactly when the quantity is per floor."""

    quantity: Slug
    value: Decimal  # a count (whole number) or a fraction 0..1, as the catalogue declares
    floor: FloorLabel | None = None

    def __post_init__(self) -> None:
        finite_non_negative(self.value, f"measurement {self.quantity}")


class Finding(Record, frozen=True):
    id: FindingId
    uscc: Uscc
    violation_type: TypeCode
    # The day of the violation or, if it continued, the day it ended (Administrative
    # Penalty Law art. 36): the limitation period runs from here.
    committed_on: date
    found_on: date  # the inspection that found it; the look-back window is measured from here
    harm_level: HarmLevel
    measurements: list[Measurement] = msgspec.field(default_factory=list)
    harmful_consequence: bool = False  # 危害后果: any actual harm caused
    life_or_health_endangered: bool = False  # with a harmful consequence: a 5-year limitation (art. 36)
    # The day the correction was verified done; None while not corrected.
    corrected_on: date | None = None
    # The rectification order's deadline; None when correction was required on the spot
    # (or while no order with a deadline has been served yet).
    rectification_deadline: date | None = None
    circumstances: list[Slug] = msgspec.field(default_factory=list)  # discretion circumstance codes
    note: Text | None = None

    def as_prior(self) -> PriorFinding:
        return PriorFinding(
            id=self.id, uscc=self.uscc, violation_type=self.violation_type, found_on=self.found_on
        )


class PriorFinding(Record, frozen=True):
    """Another finding against some enterprise, as the look-back check sees it."""

    id: FindingId
    uscc: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    violation_type: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    found_on: date

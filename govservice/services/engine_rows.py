"""What the engine writes, as records the service computes once per step and the store writes in
the caller's transaction: the case's tables, the timers' statuses, a step, a new case, an event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import msgspec

from govservice.db.models.workflow import (
    WorkflowCaseRow,
    WorkflowEventRow,
    WorkflowOutboxRow,
    WorkflowTimerRow,
)
from govservice.domain.calendar import CaseClock
from govservice.workflow import CaseData

CASES = WorkflowCaseRow.__table__
EVENTS = WorkflowEventRow.__table__
TIMERS = WorkflowTimerRow.__table__
OUTBOX = WorkflowOutboxRow.__table__
PENDING, FIRED, DROPPED, CANCELLED, FAILED = "pending", "fired", "dropped", "cancelled", "failed"


@dataclass(frozen=True, slots=True)
class TimerArm:
    key: str
    action: str
    state: str | None
    due_at: datetime


@dataclass(slots=True)
class EventWrite:
    action: str
    from_state: str | None
    actor_sub: str
    actor_roles: list[str]
    payload: dict[str, Any] | None


@dataclass(slots=True)
class StepWrite:
    """Everything one step writes (computed once by the service)."""

    case_id: int
    seen_version: int
    state: str
    version: int
    outcome: str | None
    clock: CaseClock
    data: CaseData
    due_on: date | None
    now: datetime
    event: EventWrite
    cancel_all: bool = False
    cancel_state: str | None = None
    cancel_keys: tuple[str, ...] = ()
    arm: Sequence[TimerArm] = ()
    timer_id: int | None = None  # the timer this step fires


@dataclass(slots=True)
class NewCase:
    process_id: str
    process_version: int
    state: str
    subject_kind: str
    subject_ref: str | None
    calendar_version: str
    clock: CaseClock
    data: CaseData
    due_on: date | None
    now: datetime
    event: EventWrite
    arm: Sequence[TimerArm] = field(default_factory=tuple)


def json_of(value: Any) -> Any:
    """A step's clock or data as the JSON columns store it."""
    return msgspec.to_builtins(value)

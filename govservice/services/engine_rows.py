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


# The columns each record fills, in the order of the values below (the PostgreSQL store builds its
# statements from them; both stores take the values from the functions below).
NEW_CASE_COLUMNS = (
    "process_id",
    "process_version",
    "state",
    "version",
    "outcome",
    "subject_kind",
    "subject_ref",
    "calendar_version",
    "clock",
    "data",
    "due_on",
    "created_at",
    "updated_at",
)
STEP_COLUMNS = ("state", "version", "outcome", "clock", "data", "due_on", "updated_at")
EVENT_COLUMNS = ("action", "from_state", "to_state", "actor_sub", "actor_roles", "at", "payload")
TIMER_COLUMNS = ("key", "action", "state", "due_at")


def new_case_values(new: NewCase) -> dict[str, Any]:
    return dict(
        zip(
            NEW_CASE_COLUMNS,
            (
                new.process_id,
                new.process_version,
                new.state,
                1,
                None,
                new.subject_kind,
                new.subject_ref,
                new.calendar_version,
                _json(new.clock),
                _json(new.data),
                new.due_on,
                new.now,
                new.now,
            ),
            strict=True,
        )
    )


def step_values(step: StepWrite) -> dict[str, Any]:
    values = (
        step.state,
        step.version,
        step.outcome,
        _json(step.clock),
        _json(step.data),
        step.due_on,
        step.now,
    )
    return dict(zip(STEP_COLUMNS, values, strict=True))


def event_values(to_state: str, at: datetime, event: EventWrite) -> dict[str, Any]:
    """The event's columns but its key (case, seq)."""
    values = (event.action, event.from_state, to_state, event.actor_sub, event.actor_roles, at, event.payload)
    return dict(zip(EVENT_COLUMNS, values, strict=True))


def timer_values(timer: TimerArm) -> dict[str, Any]:
    return dict(zip(TIMER_COLUMNS, (timer.key, timer.action, timer.state, timer.due_at), strict=True))


def _json(value: Any) -> Any:
    """A step's clock or data as the JSON columns store it."""
    return msgspec.to_builtins(value)

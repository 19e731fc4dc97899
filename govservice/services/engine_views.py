"""What the engine service returns: a case, its events, timers and clock, and one step's result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec

from govservice.domain.calendar import CalendarStatus, CaseClock, ClockStatus, Pause, WorkingCalendar
from govservice.workflow import CaseData, CaseState


class CaseView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    process_id: str
    process_version: int
    state: str
    version: int
    outcome: str | None
    subject_kind: str
    subject_ref: str | None
    calendar_version: str
    due_on: date | None
    clock: CaseClock
    data: CaseData
    created_at: datetime
    updated_at: datetime

    @property
    def engine_state(self) -> CaseState:
        return CaseState(state=self.state, version=self.version, clock=self.clock, data=self.data)


class EventView(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    action: str
    from_state: str | None
    to_state: str
    actor_sub: str
    actor_roles: list[str]
    at: datetime
    payload: dict[str, Any] | None


class CalendarMark(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Whether the dates beside it rest on a provisional calendar (a year whose State Council
    notice is not loaded yet: weekends and the regulation's holidays only), and which years."""

    calendar_status: CalendarStatus = CalendarStatus.OFFICIAL
    provisional_years: list[int] = msgspec.field(default_factory=list)


def calendar_mark(calendar: WorkingCalendar, *days: date | None) -> dict[str, Any]:
    """The mark of dates derived over the span of ``days`` (None ignored), as fields to pass on."""
    known = [d for d in days if d is not None]
    if not known:
        return {}
    years = calendar.provisional_years(min(known), max(known))
    return {"calendar_status": CalendarStatus.PROVISIONAL, "provisional_years": years} if years else {}


class TimerView(CalendarMark, frozen=True, kw_only=True, rename="camel"):
    id: int
    key: str
    action: str
    state: str | None
    due_at: datetime  # the instant (UTC) the limit has passed: the local midnight after ``due_on``
    status: str
    fired_at: datetime | None
    cancelled_at: datetime | None
    detail: str | None
    due_on: date | None = None  # the last day of the limit, a local date in the department's zone


class ClockView(CalendarMark, frozen=True, kw_only=True, rename="camel"):
    """The statutory clock as the applicant sees it (working days; paused time not counted)."""

    status: ClockStatus
    limit: int
    elapsed: int
    remaining: int
    due_on: date | None  # local date (the department's zone)
    started_on: date | None
    pauses: list[Pause]
    due_at: datetime | None = None  # the instant (UTC) it has passed: the local midnight after due_on


class Fired(msgspec.Struct, frozen=True, kw_only=True):
    case: CaseView
    event: EventView
    moved: bool  # False: a countersign approval was recorded, the state stays


@dataclass
class TimerRun:
    claimed: int = 0
    fired: int = 0
    dropped: int = 0
    failed: int = 0
    retry: int = 0  # lost a race with a person's step; claimed again next round

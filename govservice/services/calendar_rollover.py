"""When an official calendar year replaces a provisional one: re-derive the deadlines still ahead.

A deadline that reached into a year with no State Council notice was counted on the provisional
calendar (weekends and the regulation's holidays). Once the notice is loaded (a file dropped into
``workflows/calendars/`` and a restart), every deadline still in the future that was computed
provisionally is counted again on the case's pinned calendar, now lent the official year: the
case's statutory due date and its pending working-day timers (a timer counted from the day it was
armed, again from that day; one that runs on the case clock, again from the clock's start, as the
statutory date is). One transaction per case, each with
a timeline event naming the old and new dates and why. Past deadlines and fired timers are never
rewritten; a deadline that was official already is left alone (the pinned rules hold).

The calendar the deadlines were computed on is the one in force before this one: the newest stored
calendar other than today's (each process stores the calendar it runs with).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govservice.domain.calendar import ClockStatus, WorkingCalendar
from govservice.services.audit.service import CALENDAR_ACTOR
from govservice.services.engine import (
    CALENDARS,
    CASES,
    EVENTS,
    PENDING,
    TIMERS,
    EngineService,
    case_view_of_row,
)
from govservice.services.engine_rows import EventWrite
from govservice.services.engine_store import record_event
from govservice.services.engine_views import CaseView
from govservice.workflow import Process

log = logging.getLogger("govservice.calendar")

ACTION = "rederive_deadlines"


@dataclass(frozen=True)
class DeadlineChange:
    deadline: str  # "statutory" (the case's clock) or a timer's key
    old: date
    new: date
    timer_id: int | None = None
    timer_state: str | None = None


@dataclass
class RolloverReport:
    cases: int = 0
    deadlines: int = 0
    skipped: int = 0  # a case that moved on while we looked (its own step re-derived it)
    changed: list[int] = field(default_factory=list)


# Per subject kind: what else follows the case's re-derived deadlines, in the case's transaction.
FollowUp = Callable[[AsyncConnection, CaseView, Sequence[DeadlineChange]], Awaitable[None]]


class CalendarRollover:
    def __init__(self, engine: EngineService, follow_ups: dict[str, FollowUp] | None = None) -> None:
        self._engine = engine
        self._follow_ups = follow_ups or {}
        self._pinned: dict[str, WorkingCalendar] = {}

    async def _previous(self) -> WorkingCalendar | None:
        current = self._engine.calendar.version
        async with self._engine.database.connect() as conn:
            content = (
                await conn.execute(
                    select(CALENDARS.c.content)
                    .where(CALENDARS.c.version != current)
                    .order_by(CALENDARS.c.created_at.desc(), CALENDARS.c.version)
                    .limit(1)
                )
            ).scalar()
        return WorkingCalendar.from_builtins(content) if content is not None else None

    async def _stored(self, conn: AsyncConnection, version: str) -> WorkingCalendar:
        """A case's pinned calendar as stored, lent nothing."""
        if version not in self._pinned:
            content = (
                await conn.execute(select(CALENDARS.c.content).where(CALENDARS.c.version == version))
            ).scalar()
            self._pinned[version] = WorkingCalendar.from_builtins(content)
        return self._pinned[version]

    async def run(self) -> RolloverReport:
        """Re-derive what the newly loaded official years change; a no-op once done for this calendar.
        Safe to run from several processes at once: each case is re-derived under compare-and-set on
        its version, and a case whose last re-derivation was on this calendar is skipped."""
        report = RolloverReport()
        current = self._engine.calendar
        await self._engine.store_calendar()
        async with self._engine.database.connect() as conn:
            done = (
                await conn.execute(
                    select(CALENDARS.c.rederived_at).where(CALENDARS.c.version == current.version)
                )
            ).scalar()
        previous = await self._previous()
        if done is not None or previous is None:
            return report
        if {y.year for y in current.years} - {y.year for y in previous.years}:
            await self._rederive_all(previous, report)
        async with self._engine.database.begin() as conn:
            await conn.execute(
                update(CALENDARS)
                .where(CALENDARS.c.version == current.version)
                .values(rederived_at=self._engine.now())
            )
        return report

    async def _rederive_all(self, previous: WorkingCalendar, report: RolloverReport) -> None:
        now = self._engine.now()
        today = self._engine.today(now)
        ahead = exists().where(
            TIMERS.c.case_id == CASES.c.id, TIMERS.c.status == PENDING, TIMERS.c.due_at > now
        )
        async with self._engine.database.connect() as conn:
            ids = list(
                await conn.scalars(
                    select(CASES.c.id)
                    .where(CASES.c.outcome.is_(None), or_(CASES.c.due_on >= today, ahead))
                    .order_by(CASES.c.id)
                )
            )
        for case_id in ids:
            changes = await self._rederive(case_id, previous, now, today)
            if changes is None:
                report.skipped += 1
            elif changes:
                report.cases += 1
                report.deadlines += len(changes)
                report.changed.append(case_id)
        if report.cases:
            log.info(
                "official calendar loaded: %d deadline(s) of %d case(s) re-derived",
                report.deadlines,
                report.cases,
            )

    async def _rederive(
        self, case_id: int, previous: WorkingCalendar, now: datetime, today: date
    ) -> list[DeadlineChange] | None:
        engine = self._engine
        async with engine.database.connect() as conn, conn.begin():
            row = (await conn.execute(select(CASES).where(CASES.c.id == case_id))).first()
            if row is None:
                return None
            case = case_view_of_row(row)
            if await self._done_on_current(conn, case_id):
                return []
            stored = await self._stored(conn, case.calendar_version)
            old_calendar = stored.extended_with(previous)  # what the deadlines were counted on
            pinned = stored.extended_with(engine.calendar)  # what they count on now
            changes = self._clock_change(case, old_calendar, pinned, today)
            process = await engine.process(case.process_id, case.process_version)
            timers = await conn.execute(
                select(TIMERS.c.id, TIMERS.c.key, TIMERS.c.state, TIMERS.c.due_at, TIMERS.c.armed_at).where(
                    TIMERS.c.case_id == case_id, TIMERS.c.status == PENDING, TIMERS.c.due_at > now
                )
            )
            for timer in timers:
                if timer.key.startswith("deadline:") and _counts_hours(process, timer.state):
                    continue
                armed_on, old_due = engine.today(timer.armed_at), engine.local_day(timer.due_at)
                on_clock = _on_clock_days(process, timer.key)
                counted_from = case.clock.started_on if on_clock is not None else armed_on
                if counted_from is None or not old_calendar.provisional_years(counted_from, old_due):
                    continue
                if on_clock is not None:  # as armed: the day the case clock reaches the limit
                    reached = case.clock.reaches(pinned, on_clock)
                    if reached is None:
                        continue
                    new_due = max(reached, armed_on)
                else:
                    new_due = pinned.add_working_days(
                        armed_on, old_calendar.working_days_between(armed_on, old_due)
                    )
                if new_due != old_due:
                    changes.append(DeadlineChange(timer.key, old_due, new_due, timer.id, timer.state))
            if not changes:
                return []
            if not await self._write(conn, case, changes, now):
                return None
            follow_up = self._follow_ups.get(case.subject_kind)
            if follow_up is not None:
                await follow_up(conn, case, changes)
        return changes

    async def _done_on_current(self, conn: AsyncConnection, case_id: int) -> bool:
        last = (
            await conn.execute(
                select(EVENTS.c.payload)
                .where(EVENTS.c.case_id == case_id, EVENTS.c.action == ACTION)
                .order_by(EVENTS.c.seq.desc())
                .limit(1)
            )
        ).scalar()
        return bool(last and last.get("calendarVersion") == self._engine.calendar.version)

    @staticmethod
    def _clock_change(
        case: CaseView, old_calendar: WorkingCalendar, new_calendar: WorkingCalendar, today: date
    ) -> list[DeadlineChange]:
        old_due = case.due_on
        started = case.clock.started_on
        if (
            case.clock.status is not ClockStatus.RUNNING
            or old_due is None
            or old_due < today
            or started is None
        ):
            return []
        if not old_calendar.provisional_years(started, old_due):
            return []
        new_due = case.clock.due(new_calendar)
        return [DeadlineChange("statutory", old_due, new_due)] if new_due and new_due != old_due else []

    async def _write(
        self, conn: AsyncConnection, case: CaseView, changes: list[DeadlineChange], now: datetime
    ) -> bool:
        clock = next((c for c in changes if c.deadline == "statutory"), None)
        values: dict[str, Any] = {"version": case.version + 1, "updated_at": now}
        if clock is not None:
            values["due_on"] = clock.new
        moved = await conn.execute(
            update(CASES).where(CASES.c.id == case.id, CASES.c.version == case.version).values(**values)
        )
        if moved.rowcount != 1:
            return False
        years = sorted({c.old.year for c in changes} | {c.new.year for c in changes})
        comment = (
            f"the official calendar for {', '.join(map(str, years))} was loaded; "
            + "; ".join(f"{c.deadline} deadline moved from {c.old} to {c.new}" for c in changes)
            + " (it had been counted on the provisional calendar)"
        )
        payload = {
            "comment": comment,
            "reason": "official_calendar_loaded",
            "calendarVersion": self._engine.calendar.version,
            "changes": [
                {"deadline": c.deadline, "from": c.old.isoformat(), "to": c.new.isoformat()} for c in changes
            ],
        }
        # with its outbox row: webhooks deliver it as `<subjectKind>.rederive_deadlines`
        event = EventWrite(ACTION, case.state, CALENDAR_ACTOR, [], payload)
        await record_event(conn, case.id, case.version + 1, case.state, now, event)
        for change in changes:
            if change.timer_id is not None:
                await conn.execute(
                    update(TIMERS)
                    .where(and_(TIMERS.c.id == change.timer_id, TIMERS.c.status == PENDING))
                    .values(due_at=self._engine.due_at(change.new))
                )
        return True


def _on_clock_days(process: Process, key: str) -> int | None:
    """The working days of the case-clock timer ``key`` (``arm_timer`` with ``onClock``), or None
    for a timer counted from the day it was armed. The clock's days before a pause may lie in the
    year just made official, so such a timer is counted again from the clock's start, not from the
    day it was last armed."""
    for state in process.states:
        for transition in process.transitions_from(state):
            for call, _ in transition.effects:
                if call.name == "arm_timer" and call.params.get("key") == key and call.params.get("on_clock"):
                    return int(call.params["working_days"])
    return None


def _counts_hours(process: Process, state: str | None) -> bool:
    deadline = getattr(process.states.get(state), "deadline", None) if state else None
    return deadline is not None and deadline.hours is not None

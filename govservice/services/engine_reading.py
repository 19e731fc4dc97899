"""The engine's read-only side: the department's dates and a case's clock on the calendar it
pinned, and a case's events and timers. :class:`~govservice.services.engine.EngineService` builds on
it; nothing here writes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.domain.calendar import ClockStatus, WorkingCalendar
from govservice.services.context import ServiceContext
from govservice.services.engine_catalog import EngineCatalog
from govservice.services.engine_rows import EVENTS, PENDING, TIMERS
from govservice.services.engine_views import CaseView, ClockView, EventView, TimerView, calendar_mark


class EngineReading:
    _ctx: ServiceContext
    _zone: ZoneInfo
    _catalog: EngineCatalog
    calendar: WorkingCalendar

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._ctx.clock.now()

    def today(self, now: datetime | None = None) -> date:
        """The department's local date (working days are local dates)."""
        return (now or self._ctx.clock.now()).astimezone(self._zone).date()

    def local_day(self, at: datetime) -> date:
        """The local date of a limit that has passed at ``at`` (the midnight after its last day)."""
        return (at.astimezone(self._zone) - timedelta(microseconds=1)).date()

    def due_at(self, due_on: date) -> datetime:
        """A limit ending on ``due_on`` has passed at the local midnight after it."""
        return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=self._zone).astimezone(UTC)

    def calendar_for_view(self, case: CaseView) -> WorkingCalendar:
        """The calendar the case pinned (when loaded in this process), else the current one."""
        return self._catalog.pinned(case.calendar_version)

    def clock_view(self, case: CaseView, now: datetime | None = None) -> ClockView:
        """The case's clock today, on the calendar it pinned (loaded by get_case, fire, start_case).
        Marked provisional when its span (start to due date, and today while running) touches a
        provisional year."""
        calendar = self._catalog.pinned(case.calendar_version)
        today = self.today(now)
        clock = case.clock
        due_on = clock.due(calendar)
        return ClockView(
            status=clock.status,
            limit=clock.limit,
            elapsed=clock.elapsed(calendar, today),
            # a decided case has no days left to count (not "10 of 10 left" after a same-day grant)
            remaining=0 if clock.status is ClockStatus.STOPPED else clock.remaining(calendar, today),
            due_on=due_on,
            due_at=self.due_at(due_on) if due_on else None,
            started_on=clock.started_on,
            pauses=clock.pauses,
            **calendar_mark(
                calendar, clock.started_on, due_on, today if clock.status is ClockStatus.RUNNING else None
            ),
        )

    # -- reading ------------------------------------------------------------------------------

    async def events(self, case_id: int, session: AsyncSession | None = None) -> list[EventView]:
        async with self._ctx.reading(session) as s:
            rows = await s.execute(
                select(
                    EVENTS.c.seq,
                    EVENTS.c.action,
                    EVENTS.c.from_state,
                    EVENTS.c.to_state,
                    EVENTS.c.actor_sub,
                    EVENTS.c.actor_roles,
                    EVENTS.c.at,
                    EVENTS.c.payload,
                )
                .where(EVENTS.c.case_id == case_id)
                .order_by(EVENTS.c.seq)
            )
            return [msgspec.convert(dict(row._mapping), EventView) for row in rows]

    async def timers(self, case_id: int, session: AsyncSession | None = None) -> list[TimerView]:
        async with self._ctx.reading(session) as s:
            rows = await s.execute(
                select(
                    TIMERS.c.id,
                    TIMERS.c.key,
                    TIMERS.c.action,
                    TIMERS.c.state,
                    TIMERS.c.due_at,
                    TIMERS.c.status,
                    TIMERS.c.fired_at,
                    TIMERS.c.cancelled_at,
                    TIMERS.c.detail,
                )
                .where(TIMERS.c.case_id == case_id)
                .order_by(TIMERS.c.id)
            )
            timers = [TimerView(**row._mapping) for row in rows]
        return [
            msgspec.structs.replace(
                t,
                due_on=self.local_day(t.due_at),
                **(calendar_mark(self.calendar, self.local_day(t.due_at)) if t.status == PENDING else {}),
            )
            for t in timers
        ]

"""A case's statutory clock, made of running segments; paused time (hearings, testing, waiting on
the applicant; art. 45) never counts."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from govservice.domain.calendar import WorkingCalendar


class ClockStatus(enum.StrEnum):
    IDLE = "idle"  # not started yet (e.g. before acceptance)
    RUNNING = "running"
    PAUSED = "paused"  # hearings, testing, inspection, expert review, waiting on the applicant
    STOPPED = "stopped"  # the case concluded


class Run(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A running segment: counts the working days in (start, stop]; stop None while running."""

    start: date
    stop: date | None = None


class Pause(msgspec.Struct, frozen=True):
    start: date
    end: date | None  # None while still paused


class CaseClock(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A statutory clock: a limit in working days and the segments in which it ran.

    Pausing on day P and resuming on day R leaves the working days in (P, R] uncounted: the
    day of pausing still counts, the day of resuming does not (it is the triggering event).
    """

    limit: int = 0
    runs: tuple[Run, ...] = ()
    stopped: bool = False

    @property
    def status(self) -> ClockStatus:
        if self.stopped:
            return ClockStatus.STOPPED
        if not self.runs:
            return ClockStatus.IDLE
        return ClockStatus.RUNNING if self.runs[-1].stop is None else ClockStatus.PAUSED

    @property
    def started_on(self) -> date | None:
        return self.runs[0].start if self.runs else None

    @property
    def pauses(self) -> list[Pause]:
        gaps = [Pause(a.stop, b.start) for a, b in zip(self.runs, self.runs[1:], strict=False) if a.stop]
        if self.status is ClockStatus.PAUSED and self.runs[-1].stop is not None:
            gaps.append(Pause(self.runs[-1].stop, None))
        return gaps

    def _check_order(self, today: date) -> None:
        last = self.runs[-1] if self.runs else None
        latest = (last.stop or last.start) if last else None
        if latest is not None and today < latest:
            raise ValueError(f"the case clock cannot go back from {latest} to {today}")

    def start(self, today: date, limit: int | None = None) -> CaseClock:
        """Start (or start afresh, e.g. acceptance dating from complete corrections) from today."""
        return CaseClock(limit=self.limit if limit is None else limit, runs=(Run(today),))

    def pause(self, today: date) -> CaseClock:
        if self.status is not ClockStatus.RUNNING:
            return self
        self._check_order(today)
        return msgspec.structs.replace(self, runs=(*self.runs[:-1], Run(self.runs[-1].start, today)))

    def resume(self, today: date) -> CaseClock:
        if self.status is ClockStatus.IDLE:
            return self.start(today)
        if self.status is not ClockStatus.PAUSED:
            return self
        self._check_order(today)
        return msgspec.structs.replace(self, runs=(*self.runs, Run(today)))

    def stop(self, today: date) -> CaseClock:
        if self.status is ClockStatus.STOPPED:
            return self
        clock = self.pause(today) if self.status is ClockStatus.RUNNING else self
        return msgspec.structs.replace(clock, stopped=True)

    def extend(self, days: int) -> CaseClock:
        return msgspec.structs.replace(self, limit=self.limit + days)

    def elapsed(self, calendar: WorkingCalendar, today: date) -> int:
        """Working days counted so far; paused time never counts."""
        total = 0
        for run in self.runs:
            end = run.stop if run.stop is not None else today
            if end > run.start:
                total += calendar.working_days_between(run.start, end)
        return total

    def remaining(self, calendar: WorkingCalendar, today: date) -> int:
        """Working days left (negative when overdue)."""
        return self.limit - self.elapsed(calendar, today)

    def due(self, calendar: WorkingCalendar) -> date | None:
        """The last day of the limit; None while idle, or paused or stopped with time left."""
        return self.reaches(calendar, self.limit)

    def reaches(self, calendar: WorkingCalendar, days: int) -> date | None:
        """The day on which this clock will have counted ``days`` working days (a limit that runs
        on the case clock, e.g. the on-site inspection's); None while idle, or paused or stopped
        before counting them."""
        if not self.runs:
            return None
        left = days
        for run in self.runs:
            if run.stop is None:
                return calendar.add_working_days(run.start, max(left, 0))
            counted = calendar.working_days_between(run.start, run.stop)
            if counted >= left:
                return calendar.add_working_days(run.start, left)
            left -= counted
        return None

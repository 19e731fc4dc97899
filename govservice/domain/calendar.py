"""Working days (工作日) as data.

Each year is one file, ``workflows/calendars/<year>.yaml`` (:mod:`calendar_data`): the official
holidays and make-up working days. A year after the first file that has no file of its own is
*provisional* (:mod:`provisional_calendar`): weekends plus the holiday regulation's days, no
make-up days, and everything computed on it says so (:meth:`WorkingCalendar.provisional_years`).
A date before the first file raises :class:`CalendarMissing`; it is never silently a working day.

The rules (Administrative Licensing Law art. 82, see DOMAIN.md):

* limits count working days; the day of the triggering event is not counted, so
  ``add_working_days(d, 1)`` is the first working day *after* ``d``;
* a limit that ends on a holiday ends on the next working day (:meth:`WorkingCalendar.roll_forward`,
  for limits given in calendar days);
* an application keeps the calendar rules in force when it was filed: :attr:`WorkingCalendar.version`
  is a hash of the official content, which a case stores; :meth:`WorkingCalendar.extended_with`
  lends a pinned calendar the official years published after it.

    >>> cal = load_calendar(Path("workflows/calendars"))
    >>> cal.add_working_days(date(2026, 9, 24), 6)      # skips 9-25..9-27 and 10-1..10-7
    datetime.date(2026, 10, 10)                         # a Saturday worked (make-up day)
"""

from __future__ import annotations

import enum
import hashlib
from array import array
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import msgspec

from govservice.domain import provisional_calendar
from govservice.domain.calendar_data import (
    SATURDAY,
    CalendarError,
    CalendarMissing,
    CalendarYear,
    Holiday,
    check_year,
    decode_year,
    load_years,
)
from govservice.domain.case_clock import CaseClock, ClockStatus, Pause, Run

WARN_DAYS_LEFT = 60  # `workflows check`, `calendar list` and /metrics warn below this


class CalendarStatus(enum.StrEnum):
    OFFICIAL = "official"  # every year it touches has its State Council notice loaded
    PROVISIONAL = "provisional"  # it touches a year computed from the regulation alone


def load_calendar(directory: Path) -> WorkingCalendar:
    return WorkingCalendar(load_years(directory))


class WorkingCalendar:
    """Working-day arithmetic from the first official year on. Immutable in what it answers; the
    provisional years it needs are computed on first use and kept."""

    def __init__(self, years: Iterable[CalendarYear]) -> None:
        official = {y.year: y for y in years}
        if not official:
            raise CalendarError("a working-day calendar needs at least one year")
        self._official = dict(sorted(official.items()))
        self.first_year = min(official)
        self.last_year = max(official)  # the last *official* year
        self._first = date(self.first_year, 1, 1).toordinal()
        self._covered = self.first_year - 1  # the last year computed so far
        self._last = self._first - 1  # its last day
        self._upto = array("l", [0])  # _upto[i] = working days in [first, first + i): a count is two lookups
        self._working: list[int] = []
        self._extend_to(self.last_year)
        digest = hashlib.sha256(msgspec.json.encode(list(self._official.values()))).hexdigest()
        self.version = f"cal-{digest[:16]}"

    def __repr__(self) -> str:
        return f"WorkingCalendar({self.first_year}-{self.last_year}, {self.version})"

    @property
    def years(self) -> tuple[CalendarYear, ...]:
        """The official years."""
        return tuple(self._official.values())

    def is_official(self, year: int) -> bool:
        return year in self._official

    def provisional_years(self, first: date, last: date | None = None) -> list[int]:
        """The years in [first, last] that only a provisional calendar covers."""
        last = last or first
        low, high = min(first, last).year, max(first, last).year
        return [y for y in range(max(low, self.first_year), high + 1) if y not in self._official]

    def status(self, first: date, last: date | None = None) -> CalendarStatus:
        provisional = self.provisional_years(first, last)
        return CalendarStatus.PROVISIONAL if provisional else CalendarStatus.OFFICIAL

    def official_days_left(self, today: date) -> int:
        """Days from ``today`` to the end of the last official year (negative once past it)."""
        return (date(self.last_year, 12, 31) - today).days

    def year(self, year: int) -> CalendarYear:
        """The official year, else the provisional one."""
        if year in self._official:
            return self._official[year]
        if year < self.first_year or not provisional_calendar.can_provide(year):
            raise CalendarMissing(year)
        return provisional_calendar.provisional_year(year)

    def _extend_to(self, year: int) -> None:
        while self._covered < year:
            data = self.year(self._covered + 1)
            off: set[int] = set()
            for holiday in data.holidays:
                off.update(range(holiday.first.toordinal(), holiday.last.toordinal() + 1))
            worked = {d.toordinal() for d in data.make_up_working_days}
            for ordinal in range(date(data.year, 1, 1).toordinal(), date(data.year, 12, 31).toordinal() + 1):
                weekday = (ordinal + 6) % 7  # date.fromordinal(o).weekday() without building a date
                working = ordinal in worked or (weekday < SATURDAY and ordinal not in off)
                if working:
                    self._working.append(ordinal)
                self._upto.append(self._upto[-1] + working)
            self._covered = data.year
            self._last = date(data.year, 12, 31).toordinal()

    def _index(self, day: date) -> int:
        ordinal = day.toordinal()
        if ordinal < self._first:
            raise CalendarMissing(day.year)
        if ordinal > self._last:
            self._extend_to(day.year)
        return ordinal - self._first

    def is_working_day(self, day: date) -> bool:
        i = self._index(day)
        return self._upto[i + 1] > self._upto[i]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the start day is not counted. Negative when end < start."""
        return self._upto[self._index(end) + 1] - self._upto[self._index(start) + 1]

    def _nth_working(self, position: int) -> date:
        """The working day at ``position`` (0-based from the first year), covering more years as needed."""
        while position >= len(self._working):
            self._extend_to(self._covered + 1)
        return date.fromordinal(self._working[position])

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (start not counted); ``start`` when days is 0."""
        if days < 0:
            raise ValueError("add_working_days needs days >= 0")
        if days == 0:
            return start
        return self._nth_working(self._upto[self._index(start) + 1] + days - 1)

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day (a limit ending on a holiday)."""
        i = self._index(day)
        return self._nth_working(self._upto[i])

    def add_calendar_days(self, start: date, days: int) -> date:
        """A limit in calendar days (e.g. 7 days to rate a case), moved off a holiday."""
        return self.roll_forward(start + timedelta(days=days))

    def extended_with(self, newer: WorkingCalendar) -> WorkingCalendar:
        """This calendar plus the official years only ``newer`` knows (the pinned rules win where both do)."""
        extra = [y for y in newer.years if y.year not in self._official]
        return WorkingCalendar([*self._official.values(), *extra]) if extra else self

    def to_builtins(self) -> list[object]:
        content: list[object] = msgspec.to_builtins(list(self._official.values()))
        return content

    @classmethod
    def from_builtins(cls, data: object) -> WorkingCalendar:
        return cls(msgspec.convert(data, list[CalendarYear]))


__all__ = [
    "CalendarError",
    "CalendarMissing",
    "CalendarStatus",
    "CalendarYear",
    "CaseClock",
    "ClockStatus",
    "Holiday",
    "Pause",
    "Run",
    "WARN_DAYS_LEFT",
    "WorkingCalendar",
    "check_year",
    "decode_year",
    "load_calendar",
    "load_years",
]

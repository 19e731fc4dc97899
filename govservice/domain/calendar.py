"""Working days (工作日) as data, and the case clock that counts them.

Each year is one file, ``workflows/calendars/<year>.yaml``: the statutory holidays and the
make-up working days (weekend days worked, 调休). Adding a year is adding a file. A date in a
year without a file raises :class:`CalendarMissing`; it is never silently taken as a working day.

The rules (Administrative Licensing Law art. 82, see DOMAIN.md):

* limits count working days; the day of the triggering event is not counted, so
  ``add_working_days(d, 1)`` is the first working day *after* ``d``;
* a limit that ends on a holiday ends on the next working day (:meth:`WorkingCalendar.roll_forward`,
  for limits given in calendar days);
* an application keeps the calendar rules in force when it was filed: :attr:`WorkingCalendar.version`
  is a hash of the content, which a case stores; :meth:`WorkingCalendar.extended_with` lends a
  pinned calendar the years published after it.

:class:`CaseClock` is a case's statutory clock made of running segments; paused time (hearings,
testing, waiting on the applicant; art. 45) never counts.

    >>> cal = load_calendar(Path("workflows/calendars"))
    >>> cal.add_working_days(date(2026, 9, 24), 6)      # skips 9-25..9-27 and 10-1..10-7
    datetime.date(2026, 10, 10)                         # a Saturday worked (make-up day)
"""

from __future__ import annotations

import bisect
import enum
import hashlib
from array import array
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import msgspec

from govservice.domain.base import Record

SATURDAY, SUNDAY = 5, 6


class CalendarError(ValueError):
    """A calendar file is wrong, or a date lies outside the calendars loaded."""


class CalendarMissing(CalendarError):
    """No calendar data for a year that a computation needs."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no working-day calendar for {year}: add workflows/calendars/{year}.yaml "
            "(statutory holidays and make-up working days of that year)"
        )
        self.year = year


# -- data files ------------------------------------------------------------------------------


class Holiday(Record):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    first: date
    last: date


class CalendarYear(Record):
    year: Annotated[int, msgspec.Meta(ge=1949, le=2200)]
    holidays: list[Holiday]
    make_up_working_days: list[date] = msgspec.field(default_factory=list)


def check_year(data: CalendarYear, source: str = "calendar") -> list[str]:
    """Problems with one year's data, one line each (empty when it is sound)."""
    problems: list[str] = []
    off: set[date] = set()
    for holiday in data.holidays:
        if holiday.last < holiday.first:
            problems.append(f"{source}: holiday {holiday.name!r} ends before it starts")
            continue
        if holiday.first.year != data.year or holiday.last.year != data.year:
            problems.append(f"{source}: holiday {holiday.name!r} is not inside {data.year}")
        day = holiday.first
        while day <= holiday.last:
            off.add(day)
            day += timedelta(days=1)
    seen: set[date] = set()
    for day in data.make_up_working_days:
        if day.year != data.year:
            problems.append(f"{source}: make-up working day {day} is not inside {data.year}")
        if day.weekday() not in (SATURDAY, SUNDAY):
            problems.append(f"{source}: make-up working day {day} is a weekday, not a weekend day")
        if day in off:
            problems.append(f"{source}: make-up working day {day} falls inside a holiday")
        if day in seen:
            problems.append(f"{source}: make-up working day {day} is listed twice")
        seen.add(day)
    return problems


def decode_year(raw: bytes, source: str = "calendar") -> CalendarYear:
    try:
        data = msgspec.yaml.decode(raw, type=CalendarYear)
    except msgspec.ValidationError as exc:
        raise CalendarError(f"{source}: {exc}") from exc
    problems = check_year(data, source)
    if problems:
        raise CalendarError("\n".join(problems))
    return data


def load_years(directory: Path) -> list[CalendarYear]:
    """Every ``<year>.yaml`` in ``directory``; the file name must be the year it describes."""
    years: list[CalendarYear] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = decode_year(path.read_bytes(), path.name)
        except CalendarError as exc:
            problems.append(str(exc))
            continue
        if path.stem != str(data.year):
            problems.append(f"{path.name}: describes {data.year}; name the file {data.year}.yaml")
            continue
        years.append(data)
    if problems:
        raise CalendarError("\n".join(problems))
    if not years:
        raise CalendarError(f"{directory}: no calendar files (<year>.yaml)")
    return years


def load_calendar(directory: Path) -> WorkingCalendar:
    return WorkingCalendar(load_years(directory))


# -- the calendar ----------------------------------------------------------------------------


class WorkingCalendar:
    """Working-day arithmetic over a contiguous run of years. Immutable; cheap to query."""

    def __init__(self, years: Iterable[CalendarYear]) -> None:
        by_year = {y.year: y for y in years}
        if not by_year:
            raise CalendarError("a working-day calendar needs at least one year")
        first_year, last_year = min(by_year), max(by_year)
        gaps = [y for y in range(first_year, last_year + 1) if y not in by_year]
        if gaps:
            raise CalendarMissing(gaps[0])
        self._data = tuple(by_year[y] for y in range(first_year, last_year + 1))
        self.first_year, self.last_year = first_year, last_year
        self._first = date(first_year, 1, 1).toordinal()
        self._last = date(last_year, 12, 31).toordinal()
        off: set[int] = set()
        worked: set[int] = set()
        for data in self._data:
            for holiday in data.holidays:
                off.update(range(holiday.first.toordinal(), holiday.last.toordinal() + 1))
            worked.update(d.toordinal() for d in data.make_up_working_days)
        # _upto[i] = working days in [first, first + i): a count is two lookups.
        self._upto = array("l", [0])
        self._working: list[int] = []
        for ordinal in range(self._first, self._last + 1):
            weekday = (ordinal + 6) % 7  # date.fromordinal(o).weekday() without building a date
            working = ordinal in worked or (weekday < SATURDAY and ordinal not in off)
            if working:
                self._working.append(ordinal)
            self._upto.append(self._upto[-1] + working)
        digest = hashlib.sha256(msgspec.json.encode(list(self._data))).hexdigest()
        self.version = f"cal-{digest[:16]}"

    def __repr__(self) -> str:
        return f"WorkingCalendar({self.first_year}-{self.last_year}, {self.version})"

    @property
    def years(self) -> tuple[CalendarYear, ...]:
        return self._data

    def _index(self, day: date) -> int:
        ordinal = day.toordinal()
        if ordinal < self._first:
            raise CalendarMissing(day.year)
        if ordinal > self._last:
            raise CalendarMissing(day.year)
        return ordinal - self._first

    def is_working_day(self, day: date) -> bool:
        i = self._index(day)
        return self._upto[i + 1] > self._upto[i]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the start day is not counted. Negative when end < start."""
        return self._upto[self._index(end) + 1] - self._upto[self._index(start) + 1]

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (start not counted); ``start`` when days is 0."""
        if days < 0:
            raise ValueError("add_working_days needs days >= 0")
        if days == 0:
            return start
        position = self._upto[self._index(start) + 1] + days - 1
        if position >= len(self._working):
            raise CalendarMissing(self.last_year + 1)
        return date.fromordinal(self._working[position])

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day (a limit ending on a holiday)."""
        ordinal = day.toordinal()
        self._index(day)
        position = bisect.bisect_left(self._working, ordinal)
        if position >= len(self._working):
            raise CalendarMissing(self.last_year + 1)
        return date.fromordinal(self._working[position])

    def add_calendar_days(self, start: date, days: int) -> date:
        """A limit in calendar days (e.g. 7 days to rate a case), moved off a holiday."""
        return self.roll_forward(start + timedelta(days=days))

    def extended_with(self, newer: WorkingCalendar) -> WorkingCalendar:
        """This calendar, plus the years only ``newer`` knows (the pinned rules win where both do)."""
        own = {y.year for y in self._data}
        extra = [y for y in newer.years if y.year not in own]
        return WorkingCalendar([*self._data, *extra]) if extra else self

    def to_builtins(self) -> list[object]:
        return msgspec.to_builtins(list(self._data))  # type: ignore[no-any-return]

    @classmethod
    def from_builtins(cls, data: object) -> WorkingCalendar:
        return cls(msgspec.convert(data, list[CalendarYear]))


# -- the case clock ----------------------------------------------------------------------------


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
        if not self.runs:
            return None
        left = self.limit
        for run in self.runs:
            if run.stop is None:
                return calendar.add_working_days(run.start, max(left, 0))
            counted = calendar.working_days_between(run.start, run.stop)
            if counted >= left:
                return calendar.add_working_days(run.start, left)
            left -= counted
        return None

"""The calendar files: one year each, ``workflows/calendars/<year>.yaml``, as the State Council's
notice publishes it: the statutory holidays and the make-up working days (weekend days worked, 调休)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import msgspec

from govservice.domain.base import Record

SATURDAY, SUNDAY = 5, 6


class CalendarError(ValueError):
    """A calendar file is wrong, or a date lies outside what any calendar can tell."""

    code = "calendar_invalid"


class CalendarMissing(CalendarError):
    """No calendar for a year that a computation needs: before the first file, or beyond what a
    provisional calendar can be computed for."""

    code = "calendar_missing"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no working-day calendar for {year}: add workflows/calendars/{year}.yaml "
            "(statutory holidays and make-up working days of that year)"
        )
        self.year = year


class Holiday(Record, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    first: date
    last: date


class CalendarYear(Record, frozen=True):
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

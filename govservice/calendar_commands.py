"""`govservice calendar list|check FILE`: which years are official and which provisional, and whether a
State Council notice typed into a file is sound before it is dropped into ``workflows/calendars/``."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from govservice.config import Settings
from govservice.domain.calendar import (
    WARN_DAYS_LEFT,
    CalendarError,
    WorkingCalendar,
    decode_year,
    load_calendar,
)
from govservice.domain.provisional_calendar import provisional_year


def _today(settings: Settings) -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(settings.timezone)).date()


def calendar_warning(calendar: WorkingCalendar, today: date) -> str | None:
    left = calendar.official_days_left(today)
    if left >= WARN_DAYS_LEFT:
        return None
    return (
        f"warning: the official calendar ends on {calendar.last_year}-12-31 ({left} days from today); "
        f"deadlines in {calendar.last_year + 1} are provisional until workflows/calendars/"
        f"{calendar.last_year + 1}.yaml is installed (State Council notice), then restart"
    )


def cmd_calendar_list(settings: Settings, args: argparse.Namespace) -> int:
    try:
        calendar = load_calendar(settings.workflows_dir / "calendars")
    except CalendarError as exc:
        print(exc, file=sys.stderr)
        return 1
    today = _today(settings)
    for year in range(calendar.first_year, max(calendar.last_year, today.year) + 2):
        data = calendar.year(year)
        off = sum((h.last - h.first).days + 1 for h in data.holidays)
        status = "official" if calendar.is_official(year) else "provisional"
        source = f"{year}.yaml" if calendar.is_official(year) else "holiday regulation, no make-up days"
        print(
            f"{year}  {status:<11}  {off:>2} holiday days, "
            f"{len(data.make_up_working_days)} make-up days  ({source})"
        )
    print(f"calendar version {calendar.version}")
    warning = calendar_warning(calendar, today)
    if warning:
        print(warning)
    return 0


def cmd_calendar_check(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = decode_year(path.read_bytes(), path.name)
    except CalendarError as exc:
        print(exc)
        return 1
    if path.stem != str(data.year):
        print(f"{path.name}: describes {data.year}; name the file {data.year}.yaml")
        return 1
    problems = []
    official = {d for h in data.holidays for d in _days(h.first, h.last)}
    regulation = {d for h in provisional_year(data.year).holidays for d in _days(h.first, h.last)}
    for day in sorted(regulation - official):
        problems.append(f"{path.name}: {day} is a statutory holiday of the regulation but not a holiday here")
    for line in problems:
        print(line)
    if problems:
        return 1
    bridge = sorted(official - regulation)
    print(
        f"ok: {data.year}, {len(official)} holiday days "
        f"({len(bridge)} beyond the regulation: weekends and bridge days), "
        f"{len(data.make_up_working_days)} make-up working days; copy it to "
        f"{settings.workflows_dir / 'calendars' / path.name} and restart serve and workers"
    )
    return 0


def _days(first: date, last: date) -> list[date]:
    return [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calendar = sub.add_parser(
        "calendar", help="list the working-day calendar years, or check a calendar file"
    )
    commands = calendar.add_subparsers(dest="calendar_command", required=True)
    commands.add_parser(
        "list", help="each year: official (a file) or provisional (the regulation)"
    ).set_defaults(func=cmd_calendar_list)
    check = commands.add_parser("check", help="validate one <year>.yaml before installing it")
    check.add_argument("file")
    check.set_defaults(func=cmd_calendar_check)

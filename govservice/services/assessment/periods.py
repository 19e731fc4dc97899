"""Reporting periods and ratios, shared by the public board and the assessor API.

A period is two local dates, both included, in the department's zone; records with a timestamp
(a conclusion, a work order opened) fall in it when their instant lies in ``[lo, hi)``, the
UTC bounds of those local days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import ColumnElement, and_

from govservice.errors import BadRequest

MAX_PERIOD_DAYS = 366 * 3
FIRST_YEAR, LAST_YEAR = 2000, 2100
# What the API documents of a period's `from` and `to` (a 400 invalid_period otherwise).
PERIOD_FROM = (
    f"first local date, in {FIRST_YEAR} or later; not after `to` and at most {MAX_PERIOD_DAYS} days "
    "before it (default: 1 January of `to`'s year)"
)
PERIOD_TO = f"last local date, included, in {LAST_YEAR} or earlier (default: today)"


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    lo: datetime  # the first instant of `start`, in UTC
    hi: datetime  # the first instant after `end`, in UTC
    zone: ZoneInfo

    def midnight(self, day: date) -> datetime:
        """The first instant of a local day, in UTC."""
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    def holds_day(self, column: Any) -> ColumnElement[bool]:
        """SQL: the date in ``column`` lies in the period."""
        return and_(column >= self.start, column <= self.end)

    def holds_instant(self, column: Any, before: datetime | None = None) -> ColumnElement[bool]:
        """SQL: the timestamp in ``column`` lies in the period (and before ``before``)."""
        return and_(column >= self.lo, column < (before or self.hi))


def resolve_period(
    start: date | None,
    end: date | None,
    *,
    today: date,
    zone: ZoneInfo,
    max_days: int = MAX_PERIOD_DAYS,
    default_days: int | None = None,
) -> Period:
    """``[start, end]`` with the defaults filled in (``end``: today; ``start``: the first of January
    of ``end``'s year, or ``default_days`` back), checked: within the years 2000-2100, ``start`` not
    after ``end``, at most ``max_days`` long. A wrong period is a 400 ``invalid_period``."""
    end = end or today
    if start is None:
        start = end - timedelta(days=default_days - 1) if default_days else date(end.year, 1, 1)
    if start.year < FIRST_YEAR or end.year > LAST_YEAR:
        raise BadRequest(
            f"the period must lie between the years {FIRST_YEAR} and {LAST_YEAR}",
            code="invalid_period",
            errors=[{"field": "from" if start.year < FIRST_YEAR else "to", "message": "out of range"}],
        )
    if start > end or (end - start).days >= max_days:
        raise BadRequest(
            f"the period runs from `from` to `to`, at most {max_days} days",
            code="invalid_period",
            errors=[{"field": "from", "message": f"after `to` or more than {max_days} days before it"}],
        )
    lo = datetime.combine(start, time(), zone).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    return Period(start=start, end=end, lo=lo, hi=hi, zone=zone)


class Ratio(msgspec.Struct, kw_only=True, rename="camel"):
    numerator: int
    denominator: int
    rate: float | None  # numerator / denominator, None when nothing was counted


def ratio(numerator: int, denominator: int) -> Ratio:
    return Ratio(numerator=numerator, denominator=denominator, rate=share(numerator, denominator))


def share(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` rounded to 4 decimal places; None when the denominator is 0."""
    return round(numerator / denominator, 4) if denominator else None

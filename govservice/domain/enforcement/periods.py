"""Periods counted in years, the way Chinese law counts them (Civil Code arts. 201–203).

The starting day is not counted; a period of N years ends on the corresponding day N years
later, and that day belongs to the period; with no corresponding day (29 February) it ends
on the last day of that month. Calendar days, not working days: these are penalty-law
periods, not licensing time limits.
"""

from __future__ import annotations

from datetime import date, timedelta


def years_later(start: date, years: int) -> date:
    """The last day of a period of ``years`` years that starts the day after ``start``."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year without one: the month's last day
        return start.replace(year=start.year + years, day=28)


def earliest_start(last_day: date, years: int) -> date:
    """The earliest day from which a period of ``years`` years still reaches ``last_day``.

    A prior finding dated on or after this day is inside a look-back window of ``years``
    ending on ``last_day``: ``years_later(day, years) >= last_day`` exactly for those days.
    """
    try:
        candidate = last_day.replace(year=last_day.year - years)
    except ValueError:
        candidate = last_day.replace(year=last_day.year - years, day=28)
    if years_later(candidate, years) < last_day:  # 28 Feb + N years cannot reach 29 Feb
        candidate += timedelta(days=1)
    return candidate

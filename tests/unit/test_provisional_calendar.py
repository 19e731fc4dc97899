"""The provisional calendar (DOMAIN.md "Time limits"): the holiday regulation's days, computed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from govservice.config import PROJECT_ROOT
from govservice.domain.calendar import load_years
from govservice.domain.provisional_calendar import provisional_year, qingming

OFFICIAL = {y.year: y for y in load_years(PROJECT_ROOT / "workflows" / "calendars")}


def _days(year: object) -> set[date]:
    off: set[date] = set()
    for holiday in year.holidays:  # type: ignore[attr-defined]
        day = holiday.first
        while day <= holiday.last:
            off.add(day)
            day += timedelta(days=1)
    return off


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_every_day_the_regulation_names_is_a_holiday_in_the_official_notice(year: int) -> None:
    regulation, notice = _days(provisional_year(year)), _days(OFFICIAL[year])
    assert regulation <= notice  # the notices only add bridge days
    assert len(regulation) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3 (they do not coincide in these years)
    assert not provisional_year(year).make_up_working_days  # never guessed


@pytest.mark.parametrize(
    ("year", "spring_festival", "qingming_day", "dragon_boat", "mid_autumn"),
    [
        (2025, date(2025, 1, 28), date(2025, 4, 4), date(2025, 5, 31), date(2025, 10, 6)),
        (2026, date(2026, 2, 16), date(2026, 4, 5), date(2026, 6, 19), date(2026, 9, 25)),
        (2027, date(2027, 2, 5), date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)),
        (2028, date(2028, 1, 25), date(2028, 4, 4), date(2028, 5, 28), date(2028, 10, 3)),
    ],
)
def test_the_lunar_and_solar_term_holidays(
    year: int, spring_festival: date, qingming_day: date, dragon_boat: date, mid_autumn: date
) -> None:
    holidays = {h.name.split(" (")[0]: (h.first, h.last) for h in provisional_year(year).holidays}
    assert holidays["Spring Festival"] == (spring_festival, spring_festival + timedelta(days=3))  # eve + 1..3
    assert holidays["Qingming"] == (qingming_day, qingming_day)
    assert holidays["Dragon Boat Festival"] == (dragon_boat, dragon_boat)
    assert holidays["Mid-Autumn Festival"] == (mid_autumn, mid_autumn)
    assert holidays["National Day"] == (date(year, 10, 1), date(year, 10, 3))
    assert holidays["Labour Day"] == (date(year, 5, 1), date(year, 5, 2))
    assert holidays["New Year's Day"] == (date(year, 1, 1), date(year, 1, 1))


def test_qingming_is_the_solar_term_in_beijing_time() -> None:
    assert qingming(2024) == date(2024, 4, 4)  # 15:02 Beijing
    assert qingming(2026) == date(2026, 4, 5)  # 02:40 Beijing, still 4 April in UTC

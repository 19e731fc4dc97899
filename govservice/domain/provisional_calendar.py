"""A provisional working-day calendar for a year whose State Council notice is not loaded yet.

The national holiday regulation (全国年节及纪念日放假办法, as amended in 2024) fixes the public
holidays; each year's notice only adds bridge days and the make-up working days (调休) that pay
for them, which nobody can know in advance. So a provisional year is the weekends plus exactly
the regulation's days, with no make-up days (DOMAIN.md: never guess them):

* New Year's Day, 1 January;
* Spring Festival: lunar New Year's Eve and days 1-3 of the first lunar month;
* Qingming, the day of the solar term (the Sun at 15° of apparent ecliptic longitude);
* Labour Day, 1-2 May; Dragon Boat, lunar 5-5; Mid-Autumn, lunar 8-15; National Day, 1-3 October.

Lunar dates come from ``lunardate`` (the Hong Kong Observatory's tables, 1900-2099); the
solar term from ``ephem`` (an astronomical computation, not a table), taken in Beijing time.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from functools import lru_cache

import ephem
from lunardate import LunarDate

from govservice.domain.calendar_data import CalendarYear, Holiday

FIRST_YEAR, LAST_YEAR = 1901, 2099  # what the lunar tables cover (the eve of 1900's new year is in 1899)
BEIJING = timedelta(hours=8)
QINGMING_LONGITUDE = 15.0


def can_provide(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def _sun_longitude(when: ephem.Date) -> float:
    sun = ephem.Sun()
    sun.compute(when, epoch=when)
    apparent = ephem.Equatorial(sun.g_ra, sun.g_dec, epoch=when)
    return float(math.degrees(ephem.Ecliptic(apparent, epoch=when).lon))


def qingming(year: int) -> date:
    """The day (Beijing time) on which the Sun reaches 15° of apparent longitude, early April."""
    low, high = ephem.Date(datetime(year, 3, 28)), ephem.Date(datetime(year, 4, 10))
    for _ in range(40):  # 13 days halved 40 times: well under a second
        middle = ephem.Date((low + high) / 2)
        if _sun_longitude(middle) < QINGMING_LONGITUDE:
            low = middle
        else:
            high = middle
    moment: datetime = ephem.Date(high).datetime()
    return (moment + BEIJING).date()


def _one_day(name: str, day: date) -> Holiday:
    return Holiday(name=name, first=day, last=day)


@lru_cache(maxsize=256)
def provisional_year(year: int) -> CalendarYear:
    """The regulation's public holidays of ``year``; no bridge days, no make-up working days."""
    if not can_provide(year):
        raise ValueError(f"a provisional calendar can be computed for {FIRST_YEAR}-{LAST_YEAR}, not {year}")
    new_year = _lunar(year, 1, 1)
    holidays = [
        _one_day("New Year's Day (元旦)", date(year, 1, 1)),
        Holiday(
            name="Spring Festival (春节)",
            first=new_year - timedelta(days=1),
            last=new_year + timedelta(days=2),
        ),
        _one_day("Qingming (清明节)", qingming(year)),
        Holiday(name="Labour Day (劳动节)", first=date(year, 5, 1), last=date(year, 5, 2)),
        _one_day("Dragon Boat Festival (端午节)", _lunar(year, 5, 5)),
        _one_day("Mid-Autumn Festival (中秋节)", _lunar(year, 8, 15)),
        Holiday(name="National Day (国庆节)", first=date(year, 10, 1), last=date(year, 10, 3)),
    ]
    return CalendarYear(year=year, holidays=sorted(holidays, key=lambda h: h.first))

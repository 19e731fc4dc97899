"""The working-day calendar (DOMAIN.md "Time limits") and the case clock."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govservice.config import PROJECT_ROOT
from govservice.domain.calendar import (
    CalendarError,
    CalendarMissing,
    CalendarStatus,
    CaseClock,
    ClockStatus,
    WorkingCalendar,
    decode_year,
    load_calendar,
    load_years,
)

CALENDARS = PROJECT_ROOT / "workflows" / "calendars"
CAL = load_calendar(CALENDARS)

# Adding up to 40 working days from these may reach into provisional 2027.
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31))
counts = st.integers(min_value=0, max_value=40)
# Clock properties span up to 90 calendar days and 20 more working days.
early_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 8, 31))


# -- concrete days from the 2025 and 2026 arrangements ------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 1, 4), True),  # Sunday worked
        (date(2026, 2, 14), True),  # Saturday worked before the Spring Festival
        (date(2026, 2, 23), False),  # last day of the Spring Festival break (a Monday)
        (date(2026, 2, 28), True),
        (date(2026, 5, 9), True),
        (date(2026, 6, 19), False),  # Dragon Boat (a Friday)
        (date(2026, 9, 20), True),
        (date(2026, 9, 25), False),  # Mid-Autumn (a Friday)
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday worked after National Day
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2026, 3, 2), True),  # an ordinary Monday
        (date(2025, 1, 26), True),
        (date(2025, 2, 4), False),
        (date(2025, 9, 28), True),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
    ],
)
def test_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_five_working_days_across_mid_autumn_and_national_day_2026() -> None:
    # 9-24 is a Thursday; 9-25..9-27 and 10-1..10-7 are off; 10-10 (a Saturday) is worked.
    assert CAL.add_working_days(date(2026, 9, 24), 3) == date(2026, 9, 30)
    assert CAL.add_working_days(date(2026, 9, 24), 5) == date(2026, 10, 9)
    assert CAL.add_working_days(date(2026, 9, 24), 6) == date(2026, 10, 10)
    assert CAL.add_working_days(date(2026, 9, 24), 7) == date(2026, 10, 12)


def test_the_start_day_is_not_counted() -> None:
    monday = date(2026, 3, 2)
    assert CAL.add_working_days(monday, 1) == date(2026, 3, 3)
    assert CAL.working_days_between(monday, monday) == 0
    assert CAL.working_days_between(monday, date(2026, 3, 6)) == 4
    assert CAL.add_working_days(monday, 0) == monday


def test_spring_festival_2026_counts_the_saturday_worked() -> None:
    # 2-13 Fri, 2-14 Sat worked, 2-15..2-23 off, then 2-24, 2-25, 2-26.
    assert CAL.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert CAL.working_days_between(date(2026, 2, 12), date(2026, 2, 26)) == 5


def test_limits_run_across_the_new_year() -> None:
    # 2026-01-01..01-03 are off, Sunday 01-04 is worked.
    assert CAL.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert CAL.add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)


def test_a_limit_ending_on_a_holiday_ends_on_the_next_working_day() -> None:
    assert CAL.roll_forward(date(2026, 10, 1)) == date(2026, 10, 8)
    assert CAL.roll_forward(date(2026, 10, 10)) == date(2026, 10, 10)
    assert CAL.add_calendar_days(date(2026, 9, 24), 7) == date(2026, 10, 8)  # 7 days -> 10-01, a holiday
    assert CAL.add_calendar_days(date(2026, 3, 2), 7) == date(2026, 3, 9)


def test_a_year_without_a_file_is_provisional_and_a_year_before_the_first_is_an_error() -> None:
    due = CAL.add_working_days(date(2026, 12, 20), 20)
    assert due == date(2027, 1, 18)  # not 1-15: 1 January 2027 is a holiday of the regulation
    assert CAL.provisional_years(date(2026, 12, 20), due) == [2027]
    assert CAL.status(date(2026, 12, 20), due) == CalendarStatus.PROVISIONAL
    assert CAL.status(date(2026, 3, 2), date(2026, 4, 2)) == CalendarStatus.OFFICIAL
    with pytest.raises(CalendarMissing, match="2024.yaml"):
        CAL.is_working_day(date(2024, 10, 1))
    with pytest.raises(CalendarMissing, match="2100"):
        CAL.is_working_day(date(2100, 3, 1))


def test_a_gap_between_official_years_is_filled_provisionally() -> None:
    y2025, _ = load_years(CALENDARS)
    y2027 = decode_year(b"year: 2027\nholidays: []\n")
    calendar = WorkingCalendar([y2025, y2027])
    assert calendar.provisional_years(date(2025, 6, 1), date(2027, 6, 1)) == [2026]
    assert calendar.is_working_day(date(2026, 10, 2)) is False  # the regulation's National Day
    assert calendar.is_working_day(date(2026, 10, 5)) is True  # a bridge day only the notice grants
    assert calendar.is_working_day(date(2027, 1, 1)) is True  # 2027's (empty) file wins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year: 2026\nholidays: []\nmakeUpWorkingDays: [2026-03-04]\n", "2026-03-04 is a weekday"),
        ("year: 2026\nholidays: [{name: x, first: 2025-12-31, last: 2026-01-01}]\n", "not inside 2026"),
        ("year: 2026\nholidays: [{name: x, first: 2026-10-03, last: 2026-10-01}]\n", "ends before it starts"),
        (
            "year: 2026\nholidays: [{name: x, first: 2026-10-01, last: 2026-10-07}]\n"
            "makeUpWorkingDays: [2026-10-03]\n",
            "falls inside a holiday",
        ),
        ("year: 2026\nholiday: []\n", "holiday"),
    ],
)
def test_a_broken_calendar_file_is_rejected_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message) as caught:
        decode_year(text.encode(), "2026.yaml")
    assert str(caught.value).startswith("2026.yaml")


def test_a_file_must_be_named_after_its_year(tmp_path: Path) -> None:
    (tmp_path / "2026.yaml").write_text("year: 2025\nholidays: []\n")
    with pytest.raises(CalendarError, match="2026.yaml: describes 2025"):
        load_years(tmp_path)


def test_the_version_identifies_the_content() -> None:
    again = load_calendar(CALENDARS)
    assert again.version == CAL.version
    y2025, y2026 = load_years(CALENDARS)
    extra = decode_year(b"year: 2026\nholidays: [{name: storm, first: 2026-03-03, last: 2026-03-03}]\n")
    changed = WorkingCalendar([y2025, extra])
    assert changed.version != CAL.version
    assert WorkingCalendar.from_builtins(CAL.to_builtins()).version == CAL.version


def test_a_pinned_calendar_keeps_its_rules_and_borrows_later_years() -> None:
    y2025, y2026 = load_years(CALENDARS)
    pinned = WorkingCalendar([y2025])
    later = WorkingCalendar([decode_year(b"year: 2025\nholidays: []\n"), y2026])
    merged = pinned.extended_with(later)
    assert merged.is_working_day(date(2025, 10, 1)) is False  # the pinned 2025 rules win
    assert merged.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)  # 2026 borrowed


# -- properties -------------------------------------------------------------------------------


@given(days, counts.filter(lambda n: n > 0))
def test_adding_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(start, n))


@given(days, counts)
def test_counting_back_gives_the_number_added(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@given(days, counts)
def test_adding_is_monotonic_in_n(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n + 1) > CAL.add_working_days(start, n)


@given(days, counts.filter(lambda n: n > 0))
def test_no_working_day_is_skipped(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(CAL.is_working_day(d) for d in between) == n


@given(early_days, st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_a_paused_segment_never_counts(start: date, run: int, paused: int, after: int) -> None:
    pause_on = start + timedelta(days=run)
    resume_on = pause_on + timedelta(days=paused)
    today = resume_on + timedelta(days=after)
    clock = CaseClock(limit=20).start(start).pause(pause_on)
    # while paused, nothing is counted
    assert (
        clock.elapsed(CAL, resume_on)
        == clock.elapsed(CAL, pause_on)
        == CAL.working_days_between(start, pause_on)
    )
    clock = clock.resume(resume_on)
    expected = CAL.working_days_between(start, today) - CAL.working_days_between(pause_on, resume_on)
    assert clock.elapsed(CAL, today) == expected
    assert clock.remaining(CAL, today) == 20 - expected


@given(early_days, st.integers(0, 20), st.integers(0, 30), st.integers(1, 20))
def test_the_due_date_moves_by_exactly_the_working_days_paused(
    start: date, run: int, paused: int, limit: int
) -> None:
    pause_on = start + timedelta(days=run)
    resume_on = pause_on + timedelta(days=paused)
    clock = CaseClock(limit=limit).start(start)
    assert clock.due(CAL) == CAL.add_working_days(start, limit)
    resumed = clock.pause(pause_on).resume(resume_on)
    due = resumed.due(CAL)
    assert due is not None
    used = CAL.working_days_between(start, pause_on)
    if used < limit:
        assert due == CAL.add_working_days(resume_on, limit - used)
        assert resumed.elapsed(CAL, due) == limit
    else:  # the limit ran out before the pause
        assert due == CAL.add_working_days(start, limit)


@given(early_days, st.integers(0, 20), st.integers(0, 30), st.integers(1, 20))
def test_a_limit_on_the_case_clock_is_reached_after_exactly_its_working_days(
    start: date, run: int, paused: int, days: int
) -> None:
    pause_on = start + timedelta(days=run)
    resume_on = pause_on + timedelta(days=paused)
    clock = CaseClock(limit=20).start(start).pause(pause_on)
    used = CAL.working_days_between(start, pause_on)
    assert clock.reaches(CAL, days) == (CAL.add_working_days(start, days) if used >= days else None)
    resumed = clock.resume(resume_on)
    reached = resumed.reaches(CAL, days)
    if used < days:  # reached after the resumption, the pause not counted
        assert reached is not None and resumed.elapsed(CAL, reached) == days
    else:
        assert reached == CAL.add_working_days(start, days)
    assert resumed.reaches(CAL, resumed.limit) == resumed.due(CAL)


def test_the_clock_reports_its_pauses_and_stops() -> None:
    clock = CaseClock(limit=20)
    assert clock.status is ClockStatus.IDLE and clock.due(CAL) is None
    clock = clock.start(date(2026, 3, 2))
    assert clock.status is ClockStatus.RUNNING
    clock = clock.pause(date(2026, 3, 4))  # 2 working days used
    assert clock.status is ClockStatus.PAUSED and clock.due(CAL) is None
    assert clock.remaining(CAL, date(2026, 3, 20)) == 18
    clock = clock.resume(date(2026, 3, 16))
    assert clock.due(CAL) == CAL.add_working_days(date(2026, 3, 16), 18)
    assert [(p.start, p.end) for p in clock.pauses] == [(date(2026, 3, 4), date(2026, 3, 16))]
    clock = clock.extend(10)
    assert clock.remaining(CAL, date(2026, 3, 16)) == 28
    clock = clock.stop(date(2026, 3, 18))
    assert clock.status is ClockStatus.STOPPED
    assert clock.elapsed(CAL, date(2026, 6, 1)) == 4  # nothing counts after the stop
    with pytest.raises(ValueError, match="cannot go back"):
        CaseClock(limit=5).start(date(2026, 3, 5)).pause(date(2026, 3, 4))

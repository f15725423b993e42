"""Edge cases of business calendars (SPEC 3.1; choices documented in docs/time.md)."""

from __future__ import annotations

import datetime as dt
import pickle
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tierwise.engine.calendars import BusinessCalendar, calendar_for
from tierwise.engine.errors import CalendarError, SourceSpan
from tierwise.engine.model import (
    ALWAYS_OPEN_NAME,
    CalendarRule,
    HolidaySource,
    SpecialHours,
    WeeklyWindow,
)
from tierwise.engine.quantities import Clock, TargetTime

T = dt.time
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
UTC = dt.UTC
WARSAW = ZoneInfo("Europe/Warsaw")
SPAN = SourceSpan("plans/test.plan", 3, 5, 3, 40)


def windows(days: str, start: T, end: T) -> tuple[WeeklyWindow, ...]:
    """``windows("mon-fri", T(8), T(16))`` -> one WeeklyWindow per day."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    first, _, last = days.partition("-")
    lo = names.index(first)
    hi = names.index(last) if last else lo
    return tuple(WeeklyWindow(d, start, end) for d in range(lo, hi + 1))


def make(
    *win: tuple[WeeklyWindow, ...],
    zone: str = "Europe/Warsaw",
    holidays: tuple[HolidaySource, ...] = (),
    closed: tuple[dt.date, ...] = (),
    special: tuple[SpecialHours, ...] = (),
    name: str = "office",
) -> BusinessCalendar:
    rule = CalendarRule(
        name,
        zone,
        windows=tuple(w for group in win for w in group),
        holidays=holidays,
        closed_dates=closed,
        special_hours=special,
        span=SPAN,
    )
    return BusinessCalendar.from_rule(rule)


def at(
    y: int,
    m: int,
    d: int,
    h: int = 0,
    mi: int = 0,
    s: int = 0,
    *,
    zone: ZoneInfo = WARSAW,
    fold: int = 0,
    us: int = 0,
) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, s, us, tzinfo=zone, fold=fold)


PL = (HolidaySource("PL"),)


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    """Mon-Fri 08:00-16:00 Warsaw with Polish public holidays."""
    return make(windows("mon-fri", T(8), T(16)), holidays=PL)


@pytest.fixture(scope="module")
def split() -> BusinessCalendar:
    """Mon-Fri 08:00-12:00 and 13:00-16:00 (a lunch gap)."""
    return make(windows("mon-fri", T(8), T(12)), windows("mon-fri", T(13), T(16)))


@pytest.fixture(scope="module")
def local_24_7() -> BusinessCalendar:
    """Every day 00:00-00:00 in Warsaw: 24/7 in local time, but not the always flag."""
    return make(windows("mon-sun", T(0), T(0)))


# --------------------------------------------------------------------------- basic open time


def test_start_exactly_at_opening(office: BusinessCalendar) -> None:
    assert office.is_open(at(2025, 1, 13, 8))
    assert office.add_business(at(2025, 1, 13, 8), H) == at(2025, 1, 13, 9)
    assert office.next_opening(at(2025, 1, 13, 8)) == at(2025, 1, 13, 8)


def test_start_exactly_at_closing_waits_for_next_opening(office: BusinessCalendar) -> None:
    friday_close = at(2025, 1, 10, 16)
    assert not office.is_open(friday_close)
    assert office.is_open(friday_close - dt.timedelta(microseconds=1))
    assert office.next_opening(friday_close) == at(2025, 1, 13, 8)
    assert office.add_business(friday_close, H) == at(2025, 1, 13, 9)


def test_start_inside_gap_between_windows(split: BusinessCalendar) -> None:
    lunch = at(2025, 1, 13, 12, 30)
    assert not split.is_open(lunch)
    assert split.next_opening(lunch) == at(2025, 1, 13, 13)
    assert split.add_business(lunch, H) == at(2025, 1, 13, 14)
    assert split.elapsed_business(lunch, at(2025, 1, 13, 13, 30)) == 30 * MIN
    assert split.add_business(at(2025, 1, 13, 11), 2 * H) == at(2025, 1, 13, 14)
    # using up the morning exactly ends at the morning's closing, not at 13:00
    assert split.add_business(at(2025, 1, 13, 11), H) == at(2025, 1, 13, 12)


def test_start_on_holiday(office: BusinessCalendar) -> None:
    epiphany = at(2025, 1, 6, 10)  # Monday, Polish public holiday
    assert not office.is_open(epiphany)
    assert office.next_opening(epiphany) == at(2025, 1, 7, 8)
    assert office.add_business(epiphany, H) == at(2025, 1, 7, 9)
    assert office.elapsed_business(at(2025, 1, 6), at(2025, 1, 7)) == dt.timedelta(0)


def test_special_hours_open_a_weekend_and_a_holiday() -> None:
    cal = make(
        windows("mon-fri", T(8), T(16)),
        holidays=PL,
        special=(
            SpecialHours(dt.date(2025, 2, 8), ((T(10), T(12)),)),  # a Saturday
            SpecialHours(dt.date(2025, 11, 11), ((T(9), T(11)),)),  # Independence Day
        ),
    )
    assert cal.is_open(at(2025, 2, 8, 10))
    assert cal.elapsed_business(at(2025, 2, 8), at(2025, 2, 9)) == 2 * H
    assert cal.add_business(at(2025, 2, 7, 15), 2 * H) == at(2025, 2, 8, 11)
    assert cal.elapsed_business(at(2025, 11, 11), at(2025, 11, 12)) == 2 * H
    assert not cal.is_open(at(2025, 11, 11, 12))


def test_special_hours_replace_a_weekday_and_empty_means_closed() -> None:
    cal = make(
        windows("mon-fri", T(8), T(16)),
        special=(
            SpecialHours(dt.date(2025, 1, 14), ((T(12), T(14)),)),
            SpecialHours(dt.date(2025, 1, 15), ()),
        ),
    )
    assert not cal.is_open(at(2025, 1, 14, 9))
    assert cal.elapsed_business(at(2025, 1, 14), at(2025, 1, 15)) == 2 * H
    assert cal.elapsed_business(at(2025, 1, 15), at(2025, 1, 16)) == dt.timedelta(0)
    assert cal.add_business(at(2025, 1, 13, 15), 4 * H) == at(2025, 1, 16, 9)


def test_extra_closed_date() -> None:
    cal = make(windows("mon-fri", T(8), T(16)), closed=(dt.date(2025, 1, 14),))
    assert not cal.is_open(at(2025, 1, 14, 10))
    assert cal.add_business(at(2025, 1, 13, 15), 2 * H) == at(2025, 1, 15, 9)


def test_deadline_using_last_minute_stays_at_closing(office: BusinessCalendar) -> None:
    assert office.add_business(at(2025, 1, 10, 15), H) == at(2025, 1, 10, 16)
    assert office.add_business(at(2025, 1, 13, 8), 8 * H) == at(2025, 1, 13, 16)
    assert office.add_business(at(2025, 1, 13, 15, 59), MIN) == at(2025, 1, 13, 16)
    # one more second moves to the next day
    assert office.add_business(at(2025, 1, 13, 15, 59), MIN + dt.timedelta(seconds=1)) == at(
        2025, 1, 14, 8, 0, 1
    )


def test_zero_duration_is_the_start_itself(office: BusinessCalendar) -> None:
    closed = at(2025, 1, 11, 10)  # Saturday
    assert office.add_business(closed, dt.timedelta(0)) == closed
    assert office.add_business(at(2025, 1, 13, 9), dt.timedelta(0)) == at(2025, 1, 13, 9)
    assert office.elapsed_business(closed, closed) == dt.timedelta(0)
    assert office.elapsed_business(at(2025, 1, 14), at(2025, 1, 13)) == dt.timedelta(0)
    assert office.deadline(closed, TargetTime(Clock.BUSINESS_TIME, seconds=0)) == closed


def test_elapsed_counts_only_open_time(office: BusinessCalendar) -> None:
    assert office.elapsed_business(at(2025, 1, 10, 15), at(2025, 1, 13, 9)) == 2 * H
    assert office.elapsed_business(at(2025, 1, 1), at(2025, 2, 1)) == 21 * 8 * H


def test_friday_to_monday_trace(office: BusinessCalendar) -> None:
    start = at(2025, 1, 10, 15)
    assert office.add_business(start, 8 * H) == at(2025, 1, 13, 15)
    assert office.explain_add(start, 8 * H) == "Fri 15:00-16:00 1h; Mon 08:00-15:00 7h"
    assert "deadline is the start" in office.explain_add(start, dt.timedelta(0))


def test_open_intervals_are_clipped_and_local(split: BusinessCalendar) -> None:
    got = split.open_intervals(at(2025, 1, 13, 10).astimezone(UTC), at(2025, 1, 14, 9))
    assert got == [
        (at(2025, 1, 13, 10), at(2025, 1, 13, 12)),
        (at(2025, 1, 13, 13), at(2025, 1, 13, 16)),
        (at(2025, 1, 14, 8), at(2025, 1, 14, 9)),
    ]
    assert all(a.tzinfo is WARSAW and b.tzinfo is WARSAW for a, b in got)
    assert split.open_intervals(at(2025, 1, 14), at(2025, 1, 13)) == []


def test_results_are_in_calendar_zone_whatever_the_input_zone(office: BusinessCalendar) -> None:
    start_utc = at(2025, 1, 10, 15).astimezone(UTC)
    start_ny = at(2025, 1, 10, 15).astimezone(ZoneInfo("America/New_York"))
    for start in (start_utc, start_ny):
        got = office.add_business(start, 2 * H)
        assert got == at(2025, 1, 13, 9)
        assert got.tzinfo is WARSAW
        assert str(got) == "2025-01-13 09:00:00+01:00"


def test_microseconds_are_kept_exactly(office: BusinessCalendar) -> None:
    start = at(2031, 6, 3, 10, 11, 12, us=345_678)
    got = office.add_business(start, dt.timedelta(hours=9, microseconds=1))
    assert got == at(2031, 6, 4, 11, 11, 12, us=345_679)
    assert office.elapsed_business(start, got) == dt.timedelta(hours=9, microseconds=1)


# --------------------------------------------------------------------------- holidays


def test_polish_christmas_eve_is_a_holiday_from_2025(office: BusinessCalendar) -> None:
    assert office.is_open(at(2024, 12, 24, 10))
    assert not office.is_open(at(2025, 12, 24, 10))
    assert office.end_of_next_business_day(at(2024, 12, 23, 10)) == at(2024, 12, 24, 16)
    # 24, 25, 26 Dec 2025 closed, then the weekend
    assert office.end_of_next_business_day(at(2025, 12, 23, 10)) == at(2025, 12, 29, 16)


def test_holidays_for_2035_come_from_the_rules(office: BusinessCalendar) -> None:
    # Easter Monday 2035 is 26 March; 1 and 3 May; Corpus Christi 24 May
    for day in (
        dt.date(2035, 3, 26),
        dt.date(2035, 5, 1),
        dt.date(2035, 5, 3),
        dt.date(2035, 5, 24),
    ):
        assert not office.is_open(at(day.year, day.month, day.day, 10)), day
    assert office.add_business(at(2035, 3, 23, 15), 2 * H) == at(2035, 3, 27, 9)


def test_range_across_a_year_boundary(office: BusinessCalendar) -> None:
    # Wed 31 Dec 2025 15:00, 1 Jan holiday, Fri 2 Jan
    assert office.add_business(at(2025, 12, 31, 15), 2 * H) == at(2026, 1, 2, 9)
    assert office.elapsed_business(at(2025, 12, 31, 15), at(2026, 1, 2, 9)) == 2 * H
    assert office.open_intervals(at(2025, 12, 31, 15), at(2026, 1, 2, 9)) == [
        (at(2025, 12, 31, 15), at(2025, 12, 31, 16)),
        (at(2026, 1, 2, 8), at(2026, 1, 2, 9)),
    ]


def test_compiled_range_edges_are_invisible() -> None:
    cal = make(windows("mon-sun", T(0), T(0)))
    assert cal.is_open(at(2025, 6, 1))  # compiles 2025-2026 on first use
    assert cal.is_open(at(2027, 1, 1))  # exactly the end of the compiled range
    assert cal.next_opening(at(2027, 1, 1)) == at(2027, 1, 1)
    assert cal.add_business(at(2026, 12, 31, 23), 2 * H) == at(2027, 1, 1, 1)
    assert cal.elapsed_business(at(2026, 12, 31), at(2027, 1, 1)) == 24 * H
    # a first query far in the past, then far in the future
    got = cal.elapsed_business(at(1999, 12, 31, 23), at(2040, 1, 1, 1))
    assert got == dt.timedelta(days=14610, hours=2)


def test_window_across_midnight_over_new_year() -> None:
    cal = make(windows("mon-sun", T(20), T(4)))
    assert cal.elapsed_business(at(2025, 12, 31, 12), at(2026, 1, 1, 12)) == 8 * H
    assert cal.add_business(at(2025, 12, 31, 23), 2 * H) == at(2026, 1, 1, 1)


def test_long_ranges_and_any_query_order_agree() -> None:
    def fresh() -> BusinessCalendar:
        return make(windows("mon-fri", T(9), T(17)), holidays=PL)

    forward, backward = fresh(), fresh()
    spans = [
        (at(2024, 2, 1), at(2031, 7, 1)),
        (at(2030, 1, 1), at(2030, 3, 1)),
        (at(2026, 5, 5), at(2027, 5, 5)),
    ]
    got_forward = [forward.elapsed_business(a, b) for a, b in spans]
    got_backward = [backward.elapsed_business(a, b) for a, b in reversed(spans)][::-1]
    assert got_forward == got_backward
    years = [fresh().elapsed_business(at(y, 1, 1), at(y + 1, 1, 1)) for y in range(2024, 2031)]
    assert forward.elapsed_business(at(2024, 1, 1), at(2031, 1, 1)) == sum(years, dt.timedelta())
    assert fresh().add_business(at(2024, 1, 2, 9), 5000 * H) == forward.add_business(
        at(2024, 1, 2, 9), 5000 * H
    )


def test_subdivision_holidays() -> None:
    national = make(
        windows("mon-fri", T(9), T(14)), zone="Europe/Madrid", holidays=(HolidaySource("ES"),)
    )
    madrid = make(
        windows("mon-fri", T(9), T(14)), zone="Europe/Madrid", holidays=(HolidaySource("ES", "MD"),)
    )
    by_alias = make(
        windows("mon-fri", T(9), T(14)),
        zone="Europe/Madrid",
        holidays=(HolidaySource("es", "madrid"),),
    )
    fiesta = dt.datetime(2025, 5, 2, 10, tzinfo=ZoneInfo("Europe/Madrid"))  # Comunidad de Madrid
    assert national.is_open(fiesta)
    assert not madrid.is_open(fiesta)
    assert not by_alias.is_open(fiesta)


def test_several_holiday_sources_are_united() -> None:
    cal = make(
        windows("mon-fri", T(9), T(17)), holidays=(HolidaySource("PL"), HolidaySource("Portugal"))
    )
    assert not cal.is_open(at(2025, 6, 10, 10))  # Portugal Day
    assert not cal.is_open(at(2025, 6, 19, 10))  # Corpus Christi (both)
    assert not cal.is_open(at(2025, 11, 11, 10))  # Polish Independence Day


# --------------------------------------------------------------------------- DST

DST = [
    # zone, spring-forward date, a nonexistent wall time, fall-back date, an ambiguous time
    ("Europe/Warsaw", dt.date(2025, 3, 30), T(2, 30), dt.date(2025, 10, 26), T(2, 30)),
    ("Europe/Lisbon", dt.date(2025, 3, 30), T(1, 30), dt.date(2025, 10, 26), T(1, 30)),
    ("Europe/Madrid", dt.date(2025, 3, 30), T(2, 30), dt.date(2025, 10, 26), T(2, 30)),
    ("America/New_York", dt.date(2025, 3, 9), T(2, 30), dt.date(2025, 11, 2), T(1, 30)),
    ("Australia/Sydney", dt.date(2025, 10, 5), T(2, 30), dt.date(2025, 4, 6), T(2, 30)),
]


MIDNIGHT = T(0)


def _local(zone: ZoneInfo, day: dt.date, t: T = MIDNIGHT, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=zone).replace(fold=fold)


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "twice"), DST)
def test_dst_day_in_a_24_7_local_calendar(
    zone: str, spring: dt.date, gap: T, autumn: dt.date, twice: T
) -> None:
    z = ZoneInfo(zone)
    cal = make(windows("mon-sun", T(0), T(0)), zone=zone)
    one = dt.timedelta(days=1)
    for day, hours in ((spring, 23), (autumn, 25), (spring + one, 24)):
        assert cal.elapsed_business(_local(z, day), _local(z, day + one)) == hours * H
        assert cal.end_of_next_business_day(_local(z, day - one, T(12))) == _local(z, day + one)
    # 24 business hours from noon the day before is real time, not wall time
    got = cal.add_business(_local(z, spring - one, T(12)), 24 * H)
    assert got == _local(z, spring, T(13))
    got = cal.add_business(_local(z, autumn - one, T(12)), 24 * H)
    assert got == _local(z, autumn, T(11))


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "twice"), DST)
def test_window_containing_the_dst_change(
    zone: str, spring: dt.date, gap: T, autumn: dt.date, twice: T
) -> None:
    z = ZoneInfo(zone)
    cal = make(windows("mon-sun", T(0), T(6)), zone=zone)
    one = dt.timedelta(days=1)
    assert cal.elapsed_business(_local(z, spring), _local(z, spring + one)) == 5 * H
    assert cal.elapsed_business(_local(z, autumn), _local(z, autumn + one)) == 7 * H
    assert cal.add_business(_local(z, spring), 5 * H) == _local(z, spring, T(6))
    assert cal.add_business(_local(z, autumn), 7 * H) == _local(z, autumn, T(6))


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "twice"), DST)
def test_office_hours_across_a_dst_weekend(
    zone: str, spring: dt.date, gap: T, autumn: dt.date, twice: T
) -> None:
    z = ZoneInfo(zone)
    cal = make(windows("mon-sun", T(9), T(17)), zone=zone)
    one = dt.timedelta(days=1)
    for day in (spring, autumn):
        before = _local(z, day - one, T(16))
        got = cal.add_business(before, 2 * H)
        assert got == _local(z, day, T(10))
        assert got.utcoffset() == _local(z, day, T(10)).utcoffset()
        assert cal.elapsed_business(before, got) == 2 * H


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "twice"), DST)
def test_calendar_days_over_dst(
    zone: str, spring: dt.date, gap: T, autumn: dt.date, twice: T
) -> None:
    z = ZoneInfo(zone)
    cal = make(windows("mon-sun", T(0), T(0)), zone=zone)
    one = dt.timedelta(days=1)
    # nonexistent wall time moves forward by the gap (one hour in all these zones)
    got = cal.add_calendar_days(_local(z, spring - one, gap), 1)
    shifted = (dt.datetime.combine(spring, gap) + H).time()
    assert (got.date(), got.time()) == (spring, shifted)
    assert got == _local(z, spring, gap).astimezone(UTC)  # fold=0 maps forward the same way
    # ambiguous wall time takes the first occurrence, even from a second occurrence
    first = _local(z, autumn, twice, fold=0)
    second = _local(z, autumn, twice, fold=1)
    assert first.utcoffset() != second.utcoffset()
    got = cal.add_calendar_days(_local(z, autumn - one, twice), 1)
    assert got == first and got.utcoffset() == first.utcoffset()
    got = cal.add_calendar_days(_local(z, autumn - 7 * one, twice), 7)
    assert got.utcoffset() == first.utcoffset()
    assert cal.add_calendar_days(second, 1).utcoffset() == _local(z, autumn + one).utcoffset()
    # business days use the same wall-time rule
    assert cal.add_business_days(_local(z, spring - one, gap), 1) == got_gap(z, spring, gap)
    assert cal.add_business_days(_local(z, autumn - one, twice), 1) == first


def got_gap(z: ZoneInfo, day: dt.date, gap: T) -> dt.datetime:
    return _local(z, day, gap).astimezone(UTC).astimezone(z)


def test_calendar_time_is_absolute_across_dst(local_24_7: BusinessCalendar) -> None:
    start = at(2025, 3, 29, 12)
    day = TargetTime(Clock.CALENDAR_TIME, seconds=24 * 3600)
    assert local_24_7.deadline(start, day) == at(2025, 3, 30, 13)
    assert local_24_7.measured(start, at(2025, 3, 30, 12), Clock.CALENDAR_TIME) == 23 * H
    assert local_24_7.measured(at(2025, 3, 30, 12), start, Clock.CALENDAR_TIME) == dt.timedelta(0)
    days = TargetTime(Clock.CALENDAR_DAYS, days=1)
    assert local_24_7.deadline(start, days) == at(2025, 3, 30, 12)


# --------------------------------------------------------------------------- across midnight


def test_window_across_midnight() -> None:
    night = make(windows("mon-fri", T(22), T(6)))
    assert night.add_business(at(2025, 1, 13, 23), 3 * H) == at(2025, 1, 14, 2)
    # Fri 22:00 runs into Saturday 06:00; the next window opens Monday 22:00
    assert night.add_business(at(2025, 1, 17, 23), 8 * H) == at(2025, 1, 20, 23)
    assert night.is_open(at(2025, 1, 18, 5))
    assert not night.is_open(at(2025, 1, 13, 3))  # Sunday has no window
    assert night.explain_add(at(2025, 1, 13, 22), 10 * H) == (
        "Mon 22:00-Tue 06:00 8h; Tue 22:00-24:00 2h"
    )


def test_closed_date_cuts_wall_time_of_overnight_windows() -> None:
    night = make(windows("mon-fri", T(22), T(6)), closed=(dt.date(2025, 1, 14),))
    # Monday's window keeps 22:00-24:00; Tuesday (closed) loses 00:00-06:00 and 22:00-24:00;
    # Tuesday's window still runs into Wednesday 00:00-06:00.
    assert night.elapsed_business(at(2025, 1, 13, 12), at(2025, 1, 15, 12)) == 8 * H
    assert night.open_intervals(at(2025, 1, 13, 12), at(2025, 1, 15, 12)) == [
        (at(2025, 1, 13, 22), at(2025, 1, 14)),
        (at(2025, 1, 15), at(2025, 1, 15, 6)),
    ]


def test_window_with_equal_ends_is_24_hours() -> None:
    cal = make(windows("mon", T(9), T(9)))
    assert cal.elapsed_business(at(2025, 1, 13), at(2025, 1, 15)) == 24 * H
    assert cal.add_business(at(2025, 1, 13, 9), 24 * H) == at(2025, 1, 14, 9)


# --------------------------------------------------------------------------- days


def test_business_days(office: BusinessCalendar) -> None:
    # Fri 3 Jan 2025 15:00; Monday 6 Jan is Epiphany
    assert office.add_business_days(at(2025, 1, 3, 15), 1) == at(2025, 1, 7, 15)
    assert office.add_business_days(at(2025, 1, 3, 15), 2) == at(2025, 1, 8, 15)
    assert office.add_business_days(at(2025, 1, 3, 15), 0) == at(2025, 1, 3, 15)
    # created while closed: the clock starts at the next opening, Mon 08:00
    assert office.add_business_days(at(2025, 1, 11, 10), 1) == at(2025, 1, 14, 8)
    assert office.add_business_days(at(2025, 1, 10, 20), 1) == at(2025, 1, 14, 8)
    assert office.add_business_days(at(2025, 1, 11, 10), 0) == at(2025, 1, 13, 8)
    # across the year boundary and Christmas
    assert office.add_business_days(at(2025, 12, 23, 9), 2) == at(2025, 12, 30, 9)
    assert office.deadline(at(2025, 1, 3, 15), TargetTime(Clock.BUSINESS_DAYS, days=5)) == at(
        2025, 1, 13, 15
    )


def test_business_days_clamp_into_the_target_day() -> None:
    cal = make(windows("mon-thu", T(8), T(16)), windows("fri", T(10), T(12)))
    assert cal.add_business_days(at(2025, 1, 16, 14), 1) == at(2025, 1, 17, 12)
    assert cal.add_business_days(at(2025, 1, 16, 9), 1) == at(2025, 1, 17, 10)
    assert cal.add_business_days(at(2025, 1, 17, 11), 1) == at(2025, 1, 20, 11)


def test_business_days_keep_wall_time_in_a_gap() -> None:
    cal = make(windows("mon-fri", T(8), T(12)), windows("mon-fri", T(13), T(16)))
    # 12:30 lies between first opening and last closing: not clamped (SPEC says clamp only)
    start = at(2025, 1, 13, 11, 59)
    assert cal.add_business_days(start, 1) == at(2025, 1, 14, 11, 59)


def test_calendar_days(office: BusinessCalendar) -> None:
    assert office.add_calendar_days(at(2025, 1, 31, 9, 15), 1) == at(2025, 2, 1, 9, 15)
    assert office.add_calendar_days(at(2025, 1, 31, 9, 15), 0) == at(2025, 1, 31, 9, 15)
    # days off count too: calendar days ignore the opening hours
    assert office.add_calendar_days(at(2025, 12, 23, 9), 5) == at(2025, 12, 28, 9)
    assert office.add_calendar_days(at(2025, 3, 29, 12), 1) == at(2025, 3, 30, 12)
    utc_start = at(2025, 1, 31, 23, 30).astimezone(UTC)  # 22:30Z on the 31st, local 23:30
    assert office.add_calendar_days(utc_start, 1) == at(2025, 2, 1, 23, 30)


def test_end_of_next_business_day(office: BusinessCalendar) -> None:
    assert office.end_of_next_business_day(at(2025, 1, 3, 10)) == at(2025, 1, 7, 16)
    assert office.end_of_next_business_day(at(2025, 1, 11, 10)) == at(2025, 1, 13, 16)
    assert office.end_of_next_business_day(at(2025, 1, 13, 23, 30)) == at(2025, 1, 14, 16)
    # the local date decides: 23:30Z on Monday is already Tuesday in Warsaw
    created = dt.datetime(2025, 1, 13, 23, 30, tzinfo=UTC)
    assert office.end_of_next_business_day(created) == at(2025, 1, 15, 16)
    nobd = TargetTime(Clock.END_OF_NEXT_BUSINESS_DAY)
    assert office.deadline(at(2025, 1, 3, 10), nobd) == at(2025, 1, 7, 16)


def test_end_of_next_business_day_uses_last_closing() -> None:
    cal = make(
        windows("mon-fri", T(8), T(12)),
        windows("mon-fri", T(13), T(16)),
        special=(SpecialHours(dt.date(2025, 1, 14), ((T(9), T(10)), (T(18), T(20)))),),
    )
    assert cal.end_of_next_business_day(at(2025, 1, 13, 9)) == at(2025, 1, 14, 20)
    assert cal.end_of_next_business_day(at(2025, 1, 12, 9)) == at(2025, 1, 13, 16)


def test_deadline_dispatch_and_measured(office: BusinessCalendar) -> None:
    start = at(2025, 1, 10, 15)
    assert office.deadline(start, TargetTime(Clock.BUSINESS_TIME, seconds=8 * 3600)) == at(
        2025, 1, 13, 15
    )
    assert office.deadline(start, TargetTime(Clock.CALENDAR_TIME, seconds=3600)) == at(
        2025, 1, 10, 16
    )
    end = at(2025, 1, 13, 9)
    assert office.measured(start, end, Clock.BUSINESS_TIME) == 2 * H
    assert office.measured(start, end, Clock.BUSINESS_DAYS) == 2 * H
    assert office.measured(start, end, Clock.END_OF_NEXT_BUSINESS_DAY) == 2 * H
    assert office.measured(start, end, Clock.CALENDAR_TIME) == 66 * H
    assert office.measured(start, end, Clock.CALENDAR_DAYS) == 66 * H
    assert office.measured(end, start, Clock.BUSINESS_TIME) == dt.timedelta(0)


# --------------------------------------------------------------------------- 24/7


def test_always_is_plain_utc_arithmetic() -> None:
    cal = BusinessCalendar.always()
    assert cal.name == ALWAYS_OPEN_NAME
    assert cal.zone == ZoneInfo("UTC")
    start = at(2025, 3, 29, 12)
    got = cal.add_business(start, 24 * H)
    assert got == at(2025, 3, 30, 13) and got.tzinfo == ZoneInfo("UTC")
    assert cal.elapsed_business(start, at(2025, 3, 30, 12)) == 23 * H
    assert cal.is_open(start) and cal.next_opening(start) == start
    assert cal.open_intervals(start, got) == [(start, got)]
    assert cal.end_of_next_business_day(dt.datetime(2025, 1, 1, 23, tzinfo=UTC)) == dt.datetime(
        2025, 1, 3, tzinfo=UTC
    )
    assert BusinessCalendar.always() is cal


def test_always_in_a_zone_ignores_holidays() -> None:
    rule = CalendarRule(
        "pl247",
        "Europe/Warsaw",
        windows=windows("mon-fri", T(8), T(9)),
        holidays=PL,
        always_open=True,
    )
    cal = calendar_for(rule)
    christmas = at(2025, 12, 25, 10)
    assert cal.is_open(christmas)
    assert cal.add_business(christmas, H) == at(2025, 12, 25, 11)
    assert cal.end_of_next_business_day(at(2025, 3, 29, 12)) == at(2025, 3, 31)
    assert cal.add_business_days(at(2025, 3, 29, 2, 30), 1) == at(2025, 3, 30, 3, 30)


# --------------------------------------------------------------------------- errors


def test_never_open_calendar_is_rejected() -> None:
    with pytest.raises(CalendarError) as caught:
        make()
    diag = caught.value.diagnostics[0]
    assert diag.span == SPAN
    assert "office" in diag.message and "never open" in diag.message


def test_calendar_open_only_on_special_dates_ends_with_a_clear_error() -> None:
    cal = make(special=(SpecialHours(dt.date(2025, 1, 14), ((T(9), T(10)),)),))
    assert cal.add_business(at(2025, 1, 1), H) == at(2025, 1, 14, 10)
    with pytest.raises(CalendarError, match="no open time in the 10 years"):
        cal.add_business(at(2025, 1, 1), 2 * H)
    with pytest.raises(CalendarError, match="no open time"):
        cal.next_opening(at(2025, 2, 1))
    with pytest.raises(CalendarError, match="no open time"):
        cal.end_of_next_business_day(at(2025, 1, 14))


@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.is_open(t),
        lambda c, t: c.next_opening(t),
        lambda c, t: c.add_business(t, H),
        lambda c, t: c.elapsed_business(t, at(2025, 1, 1)),
        lambda c, t: c.elapsed_business(at(2025, 1, 1), t),
        lambda c, t: c.add_business_days(t, 1),
        lambda c, t: c.add_calendar_days(t, 1),
        lambda c, t: c.end_of_next_business_day(t),
        lambda c, t: c.deadline(t, TargetTime(Clock.CALENDAR_TIME, seconds=60)),
        lambda c, t: c.measured(t, at(2025, 1, 1), Clock.CALENDAR_TIME),
        lambda c, t: c.open_intervals(t, at(2025, 1, 1)),
        lambda c, t: c.explain_add(t, H),
    ],
)
def test_naive_datetime_is_an_error(office: BusinessCalendar, call: object) -> None:
    naive = dt.datetime(2025, 1, 13, 9)
    with pytest.raises(CalendarError, match="instant without UTC offset"):
        call(office, naive)  # type: ignore[operator]
    with pytest.raises(CalendarError, match="instant without UTC offset"):
        call(BusinessCalendar.always(), naive)  # type: ignore[operator]


def test_negative_durations_are_errors(office: BusinessCalendar) -> None:
    with pytest.raises(CalendarError, match="negative duration"):
        office.add_business(at(2025, 1, 13, 9), -MIN)
    with pytest.raises(CalendarError, match="negative duration"):
        BusinessCalendar.always().add_business(at(2025, 1, 13, 9), -MIN)
    with pytest.raises(CalendarError, match="negative"):
        office.add_business_days(at(2025, 1, 13, 9), -1)
    with pytest.raises(CalendarError, match="negative"):
        office.add_calendar_days(at(2025, 1, 13, 9), -1)
    with pytest.raises(CalendarError, match="negative duration"):
        office.add_business_many(np.array([0.0]), np.array([-1.0]))


def test_unknown_zone() -> None:
    with pytest.raises(CalendarError) as caught:
        make(windows("mon", T(9), T(10)), zone="Europe/Warsw")
    diag = caught.value.diagnostics[0]
    assert "unknown time zone 'Europe/Warsw'" in diag.message and "office" in diag.message
    assert diag.hint == "did you mean 'Europe/Warsaw'?"
    assert diag.span == SPAN
    with pytest.raises(CalendarError, match="unknown time zone"):
        make(windows("mon", T(9), T(10)), zone="../etc/passwd")


def test_unknown_holiday_country() -> None:
    with pytest.raises(CalendarError) as caught:
        make(windows("mon", T(9), T(10)), holidays=(HolidaySource("PLL"),))
    diag = caught.value.diagnostics[0]
    assert "country 'PLL'" in diag.message and diag.span == SPAN
    assert diag.hint is not None and "PL" in diag.hint


def test_unknown_holiday_subdivision() -> None:
    with pytest.raises(CalendarError) as caught:
        make(windows("mon", T(9), T(10)), holidays=(HolidaySource("ES", "MDD"),))
    diag = caught.value.diagnostics[0]
    assert "subdivision 'MDD'" in diag.message and diag.span == SPAN
    assert diag.expected is not None and "MD" in diag.expected and "CT" in diag.expected
    assert diag.hint == "did you mean 'MD'?"


def test_bad_weekday() -> None:
    with pytest.raises(CalendarError, match="weekday 7"):
        make((WeeklyWindow(7, T(9), T(10)),))


# --------------------------------------------------------------------------- plumbing


def test_calendar_for_is_memoised_and_pickles_as_its_rule() -> None:
    rule = CalendarRule("memo", "Europe/Warsaw", windows=windows("mon-fri", T(9), T(17)))
    same = CalendarRule("memo", "Europe/Warsaw", windows=windows("mon-fri", T(9), T(17)), span=SPAN)
    cal = calendar_for(rule)
    assert calendar_for(same) is cal
    assert pickle.loads(pickle.dumps(cal)) is cal
    assert repr(cal) == "BusinessCalendar('memo', zone='Europe/Warsaw')"


def test_batch_forms_match_scalar(office: BusinessCalendar) -> None:
    starts = [at(2025, 1, 10, 15), at(2025, 1, 11, 10), at(2025, 12, 31, 15), at(2025, 1, 13, 9)]
    secs = [8 * 3600.0, 3600.0, 7200.0, 0.0]
    got = office.add_business_many(np.array([s.timestamp() for s in starts]), np.array(secs))
    want = [
        office.add_business(s, dt.timedelta(seconds=x)) for s, x in zip(starts, secs, strict=True)
    ]
    assert [dt.datetime.fromtimestamp(g, WARSAW) for g in got] == want
    ends = np.array([w.timestamp() for w in want])
    elapsed = office.elapsed_business_many(np.array([s.timestamp() for s in starts]), ends)
    assert list(elapsed) == secs
    # scalars broadcast; empty arrays are fine
    one = office.add_business_many(np.array([s.timestamp() for s in starts]), 3600.0)
    assert one.shape == (4,)
    assert office.add_business_many(np.array([]), np.array([])).shape == (0,)
    with pytest.raises(CalendarError, match="finite"):
        office.elapsed_business_many(np.array([np.nan]), np.array([0.0]))


def test_ten_years_compile_small() -> None:
    cal = make(windows("mon-fri", T(9), T(17)), holidays=PL)
    cal.compile_years(2025, 2034)
    assert cal.elapsed_business(at(2025, 1, 1), at(2035, 1, 1)) > 19_000 * H
    assert cal.compiled_bytes() < 10 * 1024 * 1024


@pytest.mark.parametrize("year", [1950, 2000, 2060, 2090])
def test_microsecond_exactness_over_the_century(office: BusinessCalendar, year: int) -> None:
    import random

    rnd = random.Random(year)
    first = dt.datetime(year, 1, 1, tzinfo=UTC)
    for _ in range(300):
        start = first + dt.timedelta(
            seconds=rnd.randrange(3 * 365 * 86400), microseconds=rnd.randrange(10**6)
        )
        d = dt.timedelta(microseconds=rnd.randrange(10**11))
        end = office.add_business(start, d)
        assert office.elapsed_business(start, end) == d
        assert office.add_business(end, d) == office.add_business(start, d + d)

"""Differential tests: tierwise calendars against independent business-hour libraries.

* pandas ``CustomBusinessHour`` (a test extra, never a runtime dependency), on tz-naive
  wall time: a UTC calendar, or a Warsaw calendar in winter, far from DST changes.
  pandas only adds whole hours, and when a sum lands exactly on a closing it reports the
  next opening instead (documented pandas behaviour); tierwise stays at the closing
  (SPEC 3.1), so there the comparison is made through ``next_opening``.
* ``workclock`` (the benchmark's peer, optional): same holiday model (a holiday removes
  its whole local date), so it is compared on DST zones and windows across midnight too.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import holidays
import pytest

from tierwise.engine.calendars import BusinessCalendar
from tierwise.engine.model import CalendarRule, HolidaySource, WeeklyWindow

T = dt.time
UTC = dt.UTC
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

CASES = [
    # (windows, weekdays, zone)
    ([(T(9), T(17))], range(5), "UTC"),
    ([(T(8), T(12)), (T(13), T(16, 30))], range(5), "UTC"),
    ([(T(7), T(15))], range(6), "UTC"),
    ([(T(9), T(17))], range(5), "Europe/Warsaw"),
]


def _rule(windows: list[tuple[T, T]], days: range, zone: str) -> CalendarRule:
    week = tuple(WeeklyWindow(d, a, b) for d in days for a, b in windows)
    return CalendarRule("diff", zone, windows=week, holidays=(HolidaySource("PL"),))


def _winter_minute(rnd: random.Random) -> dt.datetime:
    """A wall time between 1 Nov and 20 Feb, so that 60 business hours stay in winter."""
    year = rnd.choice([2024, 2025, 2026])
    return dt.datetime(year, 11, 1) + dt.timedelta(minutes=rnd.randrange(0, 111 * 1440))


@pytest.mark.parametrize(("windows", "days", "zone"), CASES)
def test_against_pandas_custom_business_hour(
    windows: list[tuple[T, T]], days: range, zone: str
) -> None:
    pd = pytest.importorskip("pandas")
    cal = BusinessCalendar.from_rule(_rule(windows, days, zone))
    tz = ZoneInfo(zone)
    hol = sorted(holidays.country_holidays("PL", years=range(2023, 2029)))
    offsets = {
        n: pd.offsets.CustomBusinessHour(
            n=n,
            start=[a.strftime("%H:%M") for a, _ in windows],
            end=[b.strftime("%H:%M") for _, b in windows],
            weekmask=" ".join(DAY_NAMES[d] for d in days),
            holidays=hol,
        )
        for n in range(1, 61)
    }
    rnd = random.Random(f"pandas-{zone}-{len(windows)}-{len(days)}")
    at_closing = 0
    for _ in range(1000):
        wall = _winter_minute(rnd)
        n = rnd.randrange(1, 61)
        theirs = (pd.Timestamp(wall) + offsets[n]).to_pydatetime()
        ours = cal.add_business(wall.replace(tzinfo=tz), dt.timedelta(hours=n))
        if not cal.is_open(ours):  # a closing instant: pandas moves on to the next opening
            at_closing += 1
            ours = cal.next_opening(ours)
        assert ours.replace(tzinfo=None) == theirs, (wall, n)
    assert at_closing > 0  # the closing-instant rule was exercised


WORKCLOCK_CASES = [
    ([(T(9), T(17))], range(5), "Europe/Warsaw"),
    ([(T(8), T(12)), (T(13), T(16))], range(5), "America/New_York"),
    ([(T(22), T(6))], range(5), "Europe/Lisbon"),
    ([(T(0), T(0))], range(7), "Australia/Sydney"),
    ([(T(1), T(4)), (T(20), T(2, 30))], range(7), "Europe/Madrid"),
]


@pytest.mark.parametrize(("windows", "days", "zone"), WORKCLOCK_CASES)
def test_against_workclock(windows: list[tuple[T, T]], days: range, zone: str) -> None:
    workclock = pytest.importorskip("workclock")
    cal = BusinessCalendar.from_rule(_rule(windows, days, zone))
    hol = sorted(holidays.country_holidays("PL", years=range(2023, 2029)))
    schedule = workclock.Schedule(
        [workclock.WorkDay(a, b, days=list(days)) for a, b in windows] + [workclock.Holidays(hol)],
        time_zone=zone,
    )
    tz = ZoneInfo(zone)
    rnd = random.Random(f"workclock-{zone}")
    first = dt.datetime(2024, 1, 1, tzinfo=UTC)
    for _ in range(600):
        start = (first + dt.timedelta(seconds=rnd.randrange(0, 3 * 365 * 86400))).astimezone(tz)
        d = dt.timedelta(minutes=rnd.randrange(0, 60 * 60))
        ours = cal.add_business(start, d)
        assert ours == schedule.add(start, d), (start, d)
        other = start + dt.timedelta(seconds=rnd.randrange(0, 20 * 86400))
        assert cal.elapsed_business(start, other) == schedule.between(start, other), (start, other)

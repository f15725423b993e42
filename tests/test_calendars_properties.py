"""Property-based tests of business-time arithmetic (hypothesis).

Properties hold for any calendar: the fixed ones below (DST zones, holidays, lunch gaps,
windows across midnight, special hours) and randomly generated ones, which are also
checked against a deliberately naive minute-by-minute oracle.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierwise.engine.calendars import BusinessCalendar, calendar_for
from tierwise.engine.model import CalendarRule, HolidaySource, SpecialHours, WeeklyWindow
from tierwise.engine.quantities import Clock

T = dt.time
UTC = dt.UTC
US = dt.timedelta(microseconds=1)
#: Raise for a deeper search, e.g. TIERWISE_HYPOTHESIS_EXAMPLES=5000.
EXAMPLES = int(os.environ.get("TIERWISE_HYPOTHESIS_EXAMPLES", "200"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _week(days: range, start: T, end: T) -> tuple[WeeklyWindow, ...]:
    return tuple(WeeklyWindow(d, start, end) for d in days)


FIXED = [
    CalendarRule(
        "office",
        "Europe/Warsaw",
        windows=_week(range(5), T(8), T(16)),
        holidays=(HolidaySource("PL"),),
    ),
    CalendarRule(
        "lunch",
        "Europe/Madrid",
        windows=_week(range(5), T(9), T(13, 30)) + _week(range(5), T(14, 30), T(18)),
        holidays=(HolidaySource("ES", "MD"),),
    ),
    CalendarRule(
        "night",
        "America/New_York",
        windows=_week(range(5), T(22), T(6)),
        holidays=(HolidaySource("US"),),
    ),
    CalendarRule("local247", "Europe/Lisbon", windows=_week(range(7), T(0), T(0))),
    CalendarRule(
        "dstwin",
        "Australia/Sydney",
        windows=_week(range(7), T(1), T(4)) + _week(range(5), T(9), T(17)),
        closed_dates=(dt.date(2025, 12, 29),),
        special_hours=(
            SpecialHours(dt.date(2025, 12, 27), ((T(10), T(12)),)),
            SpecialHours(dt.date(2025, 12, 24), ()),
        ),
    ),
    CalendarRule("always", "UTC", always_open=True),
]
CALENDARS = [calendar_for(rule) for rule in FIXED]

FIRST = dt.datetime(2024, 10, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 366 * 86400  # two years, many DST changes and a year boundary


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    """An aware instant, sometimes on the minute, sometimes with microseconds, in any zone."""
    seconds = draw(st.integers(0, SPAN_SECONDS))
    micro = draw(st.sampled_from([0, 0, 0]) | st.integers(0, 999_999))
    at = FIRST + dt.timedelta(seconds=seconds, microseconds=micro)
    zone = draw(st.sampled_from(["UTC", "Europe/Warsaw", "America/New_York", "Asia/Tokyo"]))
    return at.astimezone(ZoneInfo(zone))


durations = st.one_of(
    st.integers(0, 60 * 3600).map(lambda s: dt.timedelta(seconds=s)),
    st.integers(0, 300).map(lambda m: dt.timedelta(minutes=15 * m)),
    st.integers(0, 10**11).map(lambda us: dt.timedelta(microseconds=us)),
)
calendars = st.sampled_from(CALENDARS)


@SETTINGS
@given(calendars, instants(), durations)
def test_elapsed_inverts_add(cal: BusinessCalendar, s: dt.datetime, d: dt.timedelta) -> None:
    end = cal.add_business(s, d)
    assert end >= s
    assert cal.elapsed_business(s, end) == d


@SETTINGS
@given(calendars, instants(), instants(), durations, durations)
def test_add_is_monotonic(
    cal: BusinessCalendar, s1: dt.datetime, s2: dt.datetime, d1: dt.timedelta, d2: dt.timedelta
) -> None:
    s1, s2 = sorted((s1, s2))
    d1, d2 = sorted((d1, d2))
    assert cal.add_business(s1, d1) <= cal.add_business(s2, d1)
    assert cal.add_business(s1, d1) <= cal.add_business(s1, d2)


@SETTINGS
@given(calendars, instants(), durations, durations)
def test_add_composes(
    cal: BusinessCalendar, s: dt.datetime, a: dt.timedelta, b: dt.timedelta
) -> None:
    assert cal.add_business(cal.add_business(s, a), b) == cal.add_business(s, a + b)


@SETTINGS
@given(calendars, instants(), durations)
def test_result_is_open_or_a_closing_and_earliest(
    cal: BusinessCalendar, s: dt.datetime, d: dt.timedelta
) -> None:
    end = cal.add_business(s, d)
    assert end.tzinfo is cal.zone
    if d > dt.timedelta(0):
        assert cal.is_open(end) or cal.is_open(end - US)
        assert cal.elapsed_business(s, end - US) < d


@SETTINGS
@given(calendars, instants(), instants(), instants())
def test_elapsed_is_additive_and_matches_intervals(
    cal: BusinessCalendar, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    a, b, c = sorted((a, b, c))
    assert cal.elapsed_business(a, c) == cal.elapsed_business(a, b) + cal.elapsed_business(b, c)
    pieces = cal.open_intervals(a, c)
    # astimezone(UTC): Python subtracts datetimes sharing a tzinfo as wall-clock times
    total = sum((hi.astimezone(UTC) - lo.astimezone(UTC) for lo, hi in pieces), dt.timedelta())
    assert total == cal.elapsed_business(a, c)
    assert all(cal.is_open(lo) for lo, _ in pieces)


@SETTINGS
@given(calendars, instants())
def test_next_opening(cal: BusinessCalendar, s: dt.datetime) -> None:
    nxt = cal.next_opening(s)
    assert nxt >= s and cal.is_open(nxt)
    assert cal.elapsed_business(s, nxt) == dt.timedelta(0)
    assert (nxt == s) == cal.is_open(s)


@SETTINGS
@given(calendars, instants(), st.integers(0, 60 * 3600), instants())
def test_business_target_is_the_three_calls(
    cal: BusinessCalendar, origin: dt.datetime, seconds: int, end: dt.datetime
) -> None:
    """The simulator's one-call form gives exactly what the three separate calls give,
    down to the tzinfo of each instant (the results are shown in local time)."""
    start = cal.next_opening(origin)
    deadline = cal.add_business(origin, dt.timedelta(seconds=seconds))
    measured = cal.elapsed_business(start, end) if end > start else dt.timedelta(0)
    got = cal.business_target(origin, seconds, end)
    assert got == (start, deadline, measured)
    assert [x.utcoffset() for x in got[:2]] == [start.utcoffset(), deadline.utcoffset()]
    assert [x.tzinfo for x in got[:2]] == [start.tzinfo, deadline.tzinfo]


@SETTINGS
@given(calendars, instants(), st.integers(0, 30), st.integers(0, 30))
def test_business_days_land_inside_their_day(
    cal: BusinessCalendar, s: dt.datetime, n: int, m: int
) -> None:
    got = cal.add_business_days(s, n)
    assert got >= s
    assert cal.add_business_days(s, min(n, m)) <= cal.add_business_days(s, max(n, m))
    if n:
        day = got.date()
        start = dt.datetime.combine(day, T(0), tzinfo=cal.zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), T(0), tzinfo=cal.zone)
        pieces = cal.open_intervals(start, end)
        assert pieces, "the target date must be a business day"
        assert pieces[0][0] <= got <= pieces[-1][1]
    assert cal.end_of_next_business_day(s).date() > s.astimezone(cal.zone).date()


@SETTINGS
@given(instants(), durations, st.sampled_from(["UTC", "Europe/Warsaw", "Australia/Sydney"]))
def test_24_7_is_plain_utc_arithmetic(s: dt.datetime, d: dt.timedelta, zone: str) -> None:
    always = BusinessCalendar.always(zone)
    local = calendar_for(CalendarRule("l", zone, windows=_week(range(7), T(0), T(0))))
    want = (s.astimezone(UTC) + d).astimezone(ZoneInfo(zone))
    for cal in (always, local):
        assert cal.add_business(s, d) == want
        assert cal.elapsed_business(s, want) == d
        assert cal.measured(s, want, Clock.BUSINESS_TIME) == d


@SETTINGS
@given(calendars, st.lists(st.tuples(instants(), durations), min_size=1, max_size=20))
def test_batch_equals_scalar(
    cal: BusinessCalendar, pairs: list[tuple[dt.datetime, dt.timedelta]]
) -> None:
    starts = np.array([s.timestamp() for s, _ in pairs])
    seconds = np.array([d.total_seconds() for _, d in pairs])
    got = cal.add_business_many(starts, seconds)
    want = [cal.add_business(s, d) for s, d in pairs]
    assert [dt.datetime.fromtimestamp(g, cal.zone) for g in got] == want
    ends = np.array([w.timestamp() for w in want])
    elapsed = cal.elapsed_business_many(starts, ends)
    scalar = [cal.elapsed_business(s, w) for (s, _), w in zip(pairs, want, strict=True)]
    assert [dt.timedelta(seconds=float(x)) for x in elapsed] == scalar
    back = cal.elapsed_business_many(ends, starts)
    assert not back.any()


# --------------------------------------------------------------------------- random calendars


QUARTERS = st.integers(0, 95).map(lambda q: T(q // 4, 15 * (q % 4)))


@st.composite
def random_rules(draw: st.DrawFn) -> CalendarRule:
    """A random calendar away from DST: windows on a 15-minute grid, some crossing midnight,
    random closed dates and special hours in January 2026."""
    zone = draw(st.sampled_from(["UTC", "Europe/Warsaw", "America/New_York"]))
    windows = draw(
        st.lists(
            st.builds(WeeklyWindow, st.integers(0, 6), QUARTERS, QUARTERS), min_size=1, max_size=8
        )
    )
    jan = st.integers(1, 31).map(lambda d: dt.date(2026, 1, d))
    closed = draw(st.lists(jan, max_size=6))
    special = draw(
        st.lists(
            st.builds(
                SpecialHours, jan, st.lists(st.tuples(QUARTERS, QUARTERS), max_size=2).map(tuple)
            ),
            max_size=4,
        )
    )
    return CalendarRule(
        "random",
        zone,
        windows=tuple(windows),
        closed_dates=tuple(closed),
        special_hours=tuple(special),
    )


def oracle_open(rule: CalendarRule, local: dt.datetime) -> bool:
    """Open-ness from the definition in docs/time.md, on wall time (no DST nearby)."""
    day, tod = local.date(), local.time()
    special = {}
    for sh in rule.special_hours:
        special.setdefault(sh.date, []).extend(sh.windows)

    def covers(own: dt.date, start: T, end: T) -> bool:
        if end > start:
            return own == day and start <= tod < end
        return (own == day and tod >= start) or (own + dt.timedelta(days=1) == day and tod < end)

    yesterday = day - dt.timedelta(days=1)
    for own in (yesterday, day):
        for start, end in special.get(own, ()):
            if covers(own, start, end):
                return True
    if day in special or day in rule.closed_dates:
        return False
    return any(
        covers(own, w.start, w.end)
        for own in (yesterday, day)
        for w in rule.windows
        if w.weekday == own.weekday()
    )


@settings(
    max_examples=max(120, EXAMPLES // 2),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(random_rules(), st.integers(0, 28 * 96), st.integers(1, 3 * 96))
def test_random_calendars_match_a_minute_oracle(
    rule: CalendarRule, first: int, length: int
) -> None:
    cal = BusinessCalendar.from_rule(rule)
    zone = ZoneInfo(rule.zone)
    a = dt.datetime(2025, 12, 30, tzinfo=zone) + dt.timedelta(minutes=15 * first)
    b = a + dt.timedelta(minutes=15 * length)
    # windows, closures and the range are on a 15-minute grid: sample each quarter's middle
    quarters = [a + dt.timedelta(minutes=15 * k + 7) for k in range(length)]
    open_quarters = [q for q in quarters if oracle_open(rule, q)]
    assert cal.elapsed_business(a, b) == dt.timedelta(minutes=15 * len(open_quarters))
    for q in quarters[:: max(1, length // 24)]:
        assert cal.is_open(q) == oracle_open(rule, q)

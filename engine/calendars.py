"""Business calendars: open time, deadlines and measured time (SPEC 3.1).

A calendar's open time is compiled, lazily and a few years at a time, into sorted
intervals of seconds (relative to a fixed UTC base instant) with a running total of open
seconds, so every question is one or two binary searches: ``bisect`` for one instant,
``numpy.searchsorted`` for arrays. Nothing walks minute by minute or day by day at query
time. Business-day questions use a sorted list of business dates with each date's first
opening and last closing. The choices SPEC 3.1 leaves open are written up in docs/time.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import zoneinfo
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from attrs import frozen

from tierwise.engine.errors import CalendarError, Diagnostic, did_you_mean
from tierwise.engine.instants import HeldInstant
from tierwise.engine.model import ALWAYS_OPEN_NAME, CalendarRule, HolidaySource, WeeklyWindow
from tierwise.engine.quantities import Clock, TargetTime, format_seconds

__all__ = ["BusinessCalendar", "EngineCalendars", "calendar_for"]

FloatArray = npt.NDArray[np.float64]

_UTC = dt.UTC
#: Every instant is held as float seconds since this base. Near the base a float keeps far
#: better than microsecond precision, so results round back to the exact microsecond.
_BASE = dt.datetime(2020, 1, 1, tzinfo=_UTC)
_BASE_TS = _BASE.timestamp()
_ZERO = dt.timedelta(0)
_MIDNIGHT = dt.time(0, 0)
_ONE_DAY = dt.timedelta(days=1)
#: A forward search that finds no open time for this long is a calendar that is never open.
_HORIZON_YEARS = 10
_HORIZON_SECONDS = _HORIZON_YEARS * 366 * 86400.0
_MIN_YEAR, _MAX_YEAR = 1900, 9998
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_INF = float("inf")

_fts = dt.datetime.fromtimestamp
_timedelta = dt.timedelta

#: ``_BASE`` held in the tzinfo of the instants asked about (:mod:`tierwise.engine.instants`):
#: ``at - base`` is then a same-tzinfo difference for a fixed offset, exact and about 3x
#: cheaper than ``at - _BASE``, which converts both sides to UTC.
_BASE_HELD = HeldInstant(_BASE)


def _base(at: dt.datetime) -> dt.datetime:
    """The base to subtract from ``at``."""
    tz = at.tzinfo
    return _BASE_HELD.by_tz.get(tz) or _BASE_HELD.held_in(tz)


# --------------------------------------------------------------------------- compiled data


@frozen
class _YearParts:
    """The raw pieces of one local year, kept so that growing the range does not redo them.

    ``mids`` holds the local midnight of every date of the year and of the next 1 January;
    ``spans`` the weekly windows starting on the year's dates (they may spill into the next
    year); ``cuts`` the whole-date ranges that holidays, closed dates and special hours take
    away; ``special`` the windows that special hours put back.
    """

    mids: list[float]
    spans: list[tuple[float, float]]
    cuts: list[tuple[float, float]]
    special: list[tuple[float, float]]


@frozen
class _Timeline:
    """Open time of local years ``y0..y1``: one immutable snapshot, swapped in whole.

    ``starts``/``ends`` are the merged open intervals clipped to ``[lo, hi)`` (local
    midnight of 1 January y0 to that of 1 January y1+1); ``cum_start[k]`` is the open time
    before interval k and ``cum_end[k]`` the open time up to its end. The ``np_*`` arrays
    are the same data with a sentinel at +inf for the batch forms.
    """

    y0: int
    y1: int
    lo: float
    hi: float
    n: int
    starts: list[float]
    ends: list[float]
    cum_start: list[float]
    cum_end: list[float]
    last_end: float
    total: float  # open seconds in the whole range
    bdays: list[int]  # ordinals of business dates, ascending
    bfirst: list[float]  # first opening of each business date
    blast: list[float]  # last closing of each business date
    np_starts: FloatArray
    np_ends: FloatArray
    np_cum_start: FloatArray
    np_cum_end: FloatArray

    def nbytes(self) -> int:
        """Approximate memory held: Python float/int lists plus the numpy arrays."""
        py = 8 * (4 * self.n + 3 * len(self.bdays)) + 24 * (4 * self.n + 3 * len(self.bdays))
        arrays = (self.np_starts, self.np_ends, self.np_cum_start, self.np_cum_end)
        return py + sum(a.nbytes for a in arrays)


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of intervals; touching intervals become one, so every end is a real closing."""
    spans.sort()
    out: list[tuple[float, float]] = []
    for s, e in spans:
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(
    spans: list[tuple[float, float]], cuts: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """``spans`` minus ``cuts``; both merged and sorted."""
    out: list[tuple[float, float]] = []
    k = 0
    ncut = len(cuts)
    for s, e in spans:
        while k < ncut and cuts[k][1] <= s:
            k += 1
        m = k
        cur = s
        while m < ncut and cuts[m][0] < e:
            cs, ce = cuts[m]
            if cs > cur:
                out.append((cur, cs))
            cur = max(cur, ce)
            if cur >= e:
                break
            m += 1
        if cur < e:
            out.append((cur, e))
    return out


@functools.lru_cache(maxsize=512)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    """Public holidays of one country (and subdivision) in one year, observed days included."""
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


# --------------------------------------------------------------------------- validation


def _error(
    rule: CalendarRule, message: str, expected: str | None = None, hint: str | None = None
) -> CalendarError:
    return CalendarError(
        Diagnostic(f"calendar '{rule.name}': {message}", rule.span, expected=expected, hint=hint)
    )


def _load_zone(rule: CalendarRule) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(rule.zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    hint = did_you_mean(rule.zone, zoneinfo.available_timezones())
    raise _error(
        rule,
        f"unknown time zone '{rule.zone}'",
        expected="an IANA time zone name such as Europe/Warsaw or America/New_York",
        hint=hint,
    )


def _resolve_holidays(rule: CalendarRule, source: HolidaySource) -> tuple[str, str | None]:
    """Check a holiday source against the ``holidays`` package; return canonical codes."""
    import holidays

    supported = holidays.list_supported_countries(include_aliases=True)
    wanted = source.country.strip()
    code: str | None = wanted.upper() if wanted.upper() in supported else None
    if code is None:
        # Also accept the package's English class names, e.g. "Poland".
        cls = getattr(holidays, wanted.replace(" ", ""), None)
        country = getattr(cls, "country", None)
        if isinstance(country, str) and country in supported:
            code = country
    if code is None:
        raise _error(
            rule,
            f"no public holidays known for country '{source.country}'",
            expected="an ISO 3166-1 alpha-2 country code such as PL, ES, PT or US",
            hint=did_you_mean(wanted.upper(), supported)
            or "the list is holidays.list_supported_countries()",
        )
    if source.subdivision is None:
        return code, None
    codes = list(supported[code])
    aliases: dict[str, str] = dict(
        getattr(holidays.country_holidays(code), "subdivisions_aliases", {}) or {}
    )
    by_lower = {c.lower(): c for c in codes}
    by_lower.update({a.lower(): c for a, c in aliases.items()})
    sub = by_lower.get(source.subdivision.strip().lower())
    if sub is None:
        listing = ", ".join(codes) if codes else "(this country has no subdivisions)"
        raise _error(
            rule,
            f"country {code} has no subdivision '{source.subdivision}'",
            expected=f"one of {listing}",
            hint=did_you_mean(source.subdivision, [*codes, *aliases]),
        )
    return code, sub


def _naive_error(value: object, name: str) -> CalendarError:
    if isinstance(value, dt.datetime):
        return CalendarError(
            Diagnostic(
                f"instant without UTC offset: {value.isoformat()} (calendar '{name}')",
                expected="a date and time with an offset, e.g. 2025-03-10T09:00:00+01:00",
                hint="write the offset or 'Z' for UTC; local times are ambiguous across DST",
            )
        )
    return CalendarError(
        Diagnostic(f"not an instant: {value!r} (calendar '{name}')", expected="a datetime")
    )


def _negative(what: str, value: object, name: str) -> CalendarError:
    return CalendarError(
        Diagnostic(
            f"negative {what} {value} (calendar '{name}')",
            expected=f"a {what} of zero or more",
        )
    )


def _duration_seconds(duration: dt.timedelta, name: str) -> float:
    try:
        seconds: float = duration.total_seconds()
    except AttributeError:
        raise TypeError(f"expected a timedelta, got {duration!r}") from None
    if seconds < 0:
        raise _negative("duration", duration, name)
    return seconds


# --------------------------------------------------------------------------- the calendar


class BusinessCalendar:
    """Compiled open time of one calendar rule; answers every SPEC 3.1 time question.

    Instances are immutable from the outside; the compiled years grow on demand behind a
    lock, each growth swapping in a new immutable snapshot, so threads may share one.
    """

    name: str
    zone: zoneinfo.ZoneInfo
    rule: CalendarRule

    def __init__(
        self,
        rule: CalendarRule,
        zone: zoneinfo.ZoneInfo,
        holiday_sources: Sequence[tuple[str, str | None]],
    ) -> None:
        self.rule = rule
        self.name = rule.name
        self.zone = zone
        # Midnight 2020-01-01 as *local wall time*: an instant in ``zone`` minus this is a
        # naive wall-clock difference, and minus its UTC offset it is seconds since _BASE.
        self._local_base = dt.datetime(2020, 1, 1, tzinfo=zone)
        self._always = rule.always_open
        self._holiday_sources = tuple(holiday_sources)
        weekly: list[list[tuple[dt.time, dt.time]]] = [[] for _ in range(7)]
        whole_day = (_MIDNIGHT, _MIDNIGHT)
        for w in rule.windows if not self._always else ():
            weekly[w.weekday].append((_plain(w.start), _plain(w.end)))
        if self._always:
            weekly = [[whole_day] for _ in range(7)]
        self._weekly = [sorted(set(ws)) for ws in weekly]
        special: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
        closed: set[dt.date] = set()
        if not self._always:
            for sh in rule.special_hours:
                special.setdefault(sh.date, []).extend(
                    (_plain(a), _plain(b)) for a, b in sh.windows
                )
            closed = set(rule.closed_dates)
        self._special = special
        self._closed = frozenset(closed)
        self._lock = threading.Lock()
        self._parts: dict[int, _YearParts] = {}
        self._tl: _Timeline | None = None
        # The snapshot the inlined hot paths read; stays None for 24/7 calendars, whose
        # arithmetic is exact UTC arithmetic instead.
        self._fast: _Timeline | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_rule(cls, rule: CalendarRule) -> BusinessCalendar:
        """Validate and compile a rule (the zone, holiday sources, some open time at all)."""
        zone = _load_zone(rule)
        sources: list[tuple[str, str | None]] = []
        if not rule.always_open:
            for w in rule.windows:
                _check_window(rule, w)
            sources = [_resolve_holidays(rule, s) for s in rule.holidays]
            has_special = any(sh.windows for sh in rule.special_hours)
            if not rule.windows and not has_special:
                raise _error(
                    rule,
                    "the calendar is never open: it has no weekly opening hours",
                    expected="at least one window such as 'mon-fri 09:00-17:00', or 24/7",
                )
        return cls(rule, zone, sources)

    @classmethod
    def always(cls, zone: str = "UTC") -> BusinessCalendar:
        """The 24/7 calendar in ``zone`` (the built-in ``always`` is UTC)."""
        return calendar_for(CalendarRule(ALWAYS_OPEN_NAME, zone, always_open=True))

    def __reduce__(self) -> tuple[Any, tuple[CalendarRule]]:
        """Pickle as the rule: the receiving process compiles (and memoises) its own copy."""
        return calendar_for, (self.rule,)

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, zone={self.zone.key!r})"

    # ------------------------------------------------------------------ compiling years

    def _wall(self, day: dt.date, at: dt.time) -> float:
        """A local wall time as base seconds: nonexistent moves forward, ambiguous is first."""
        local = dt.datetime.combine(day, at, tzinfo=self.zone)  # fold=0 (PEP 495)
        return (local - _BASE).total_seconds()

    def _holidays(self, year: int) -> frozenset[dt.date]:
        found: set[dt.date] = set()
        for country, sub in self._holiday_sources:
            found |= _holiday_dates(country, sub, year)
        return frozenset(found)

    def _year_parts(self, year: int) -> _YearParts:
        cached = self._parts.get(year)
        if cached is not None:
            return cached
        wall = self._wall
        first = dt.date(year, 1, 1).toordinal()
        last = dt.date(year, 12, 31).toordinal()
        days = [dt.date.fromordinal(o) for o in range(first, last + 2)]
        mids = [wall(d, _MIDNIGHT) for d in days]
        holidays = self._holidays(year) if self._holiday_sources else frozenset()
        spans: list[tuple[float, float]] = []
        cuts: list[tuple[float, float]] = []
        special: list[tuple[float, float]] = []
        weekly = self._weekly
        for k in range(len(days) - 1):
            day = days[k]
            spans.extend(self._spans(day, weekly[day.weekday()], mids[k], mids[k + 1]))
            extra = self._special.get(day)
            if extra is not None:
                cuts.append((mids[k], mids[k + 1]))
                special.extend(self._spans(day, extra, mids[k], mids[k + 1]))
            elif day in self._closed or day in holidays:
                cuts.append((mids[k], mids[k + 1]))
        parts = _YearParts(mids, spans, cuts, special)
        self._parts[year] = parts
        return parts

    def _spans(
        self, day: dt.date, windows: Iterable[tuple[dt.time, dt.time]], mid: float, next_mid: float
    ) -> list[tuple[float, float]]:
        """Windows of one date as base seconds; ``end <= start`` ends on the next date."""
        out = []
        for start, end in windows:
            s = mid if start == _MIDNIGHT else self._wall(day, start)
            if end > start:
                e = self._wall(day, end)
            elif end == _MIDNIGHT:
                e = next_mid
            else:
                e = self._wall(day + _ONE_DAY, end)
            if e > s:
                out.append((s, e))
        return out

    def _build(self, y0: int, y1: int) -> _Timeline:
        """Compile local years y0..y1 (plus the spill of 31 Dec y0-1) into a snapshot."""
        if y0 < _MIN_YEAR or y1 > _MAX_YEAR:
            raise CalendarError(
                Diagnostic(
                    f"calendar '{self.name}': instant outside the supported years "
                    f"{_MIN_YEAR}-{_MAX_YEAR}",
                    self.rule.span,
                )
            )
        years = [self._year_parts(y) for y in range(y0 - 1, y1 + 1)]
        spans: list[tuple[float, float]] = []
        cuts: list[tuple[float, float]] = []
        special: list[tuple[float, float]] = []
        for p in years:
            spans.extend(p.spans)
            cuts.extend(p.cuts)
            special.extend(p.special)
        lo = years[1].mids[0]
        hi = years[-1].mids[-1]
        opened = _merge(_subtract(_merge(spans), _merge(cuts)) + special)
        starts: list[float] = []
        ends: list[float] = []
        for s, e in opened:
            s, e = max(s, lo), min(e, hi)
            if e > s:
                starts.append(s)
                ends.append(e)
        cum_start: list[float] = []
        cum_end: list[float] = []
        total = 0.0
        for s, e in zip(starts, ends, strict=True):
            cum_start.append(total)
            total += e - s
            cum_end.append(total)
        n = len(starts)
        bdays: list[int] = []
        bfirst: list[float] = []
        blast: list[float] = []
        first_ordinal = dt.date(y0, 1, 1).toordinal()
        mids = [m for p in years[1:] for m in p.mids[:-1]] + [hi]
        for k in range(len(mids) - 1):
            d_lo, d_hi = mids[k], mids[k + 1]
            if d_hi <= d_lo:
                continue
            i = bisect_right(ends, d_lo)
            if i < n and starts[i] < d_hi:
                j = bisect_left(starts, d_hi) - 1
                bdays.append(first_ordinal + k)
                bfirst.append(max(starts[i], d_lo))
                blast.append(min(ends[j], d_hi))
        return _Timeline(
            y0=y0,
            y1=y1,
            lo=lo,
            hi=hi,
            n=n,
            starts=starts,
            ends=ends,
            cum_start=cum_start,
            cum_end=cum_end,
            last_end=ends[-1] if ends else -_INF,
            total=total,
            bdays=bdays,
            bfirst=bfirst,
            blast=blast,
            np_starts=np.array([*starts, _INF]),
            np_ends=np.array([*ends, _INF]),
            np_cum_start=np.array([*cum_start, total]),
            np_cum_end=np.array([*cum_end, _INF]),
        )

    def _year_of(self, t: float) -> int:
        try:
            return _fts(t + _BASE_TS, self.zone).year
        except (OverflowError, OSError, ValueError):
            raise CalendarError(
                Diagnostic(f"calendar '{self.name}': instant outside the supported range")
            ) from None

    def _covering(self, t_lo: float, t_hi: float) -> _Timeline:
        """A snapshot whose range holds [t_lo, t_hi], growing the compiled years if needed."""
        tl = self._tl
        if tl is not None and tl.lo <= t_lo and t_hi <= tl.hi:
            return tl
        with self._lock:
            tl = self._tl
            if tl is not None and tl.lo <= t_lo and t_hi <= tl.hi:
                return tl
            y_lo, y_hi = self._year_of(t_lo), self._year_of(t_hi)
            if tl is None:
                y0, y1 = y_lo, max(y_hi, y_lo + 1)
            else:
                y0, y1 = min(tl.y0, y_lo), max(tl.y1, y_hi)
            return self._install(self._build(y0, y1))

    def _install(self, tl: _Timeline) -> _Timeline:
        """Swap in a new snapshot (under the lock); readers keep whichever they loaded."""
        self._tl = tl
        self._fast = None if self._always else tl
        return tl

    def _grow(self, tl: _Timeline, after: float) -> _Timeline:
        """Compile more years because a forward search ran off the end of ``tl``.

        Raises CalendarError once no open time has been found for the horizon, which is how
        a calendar that is never open again (only special dates in the past) is reported.
        """
        last = max(after, tl.last_end)
        if tl.hi - last > _HORIZON_SECONDS:
            when = _fts(last + _BASE_TS, self.zone).isoformat()
            raise CalendarError(
                Diagnostic(
                    f"calendar '{self.name}' has no open time in the {_HORIZON_YEARS} years "
                    f"after {when}",
                    self.rule.span,
                    hint="give the calendar weekly opening hours",
                )
            )
        with self._lock:
            current = self._tl or tl
            if current.y1 > tl.y1:
                return current
            step = max(2, (current.y1 - current.y0 + 1) // 2)
            return self._install(self._build(current.y0, current.y1 + step))

    # ------------------------------------------------------------------ scalar helpers

    def _rel(self, at: dt.datetime) -> float:
        try:
            if at.tzinfo is self.zone:
                return (at - self._local_base - at.utcoffset()).total_seconds()  # type: ignore[operator]
            return (at - _base(at)).total_seconds()
        except (TypeError, AttributeError):
            raise _naive_error(at, self.name) from None

    def _out(self, t: float) -> dt.datetime:
        return _fts(t + _BASE_TS, self.zone)

    def _next_open_rel(self, t: float) -> float:
        """``t`` if open, else the next opening, as base seconds."""
        tl = self._covering(t, t)
        while True:
            i = bisect_right(tl.ends, t)
            if i < tl.n:
                s = tl.starts[i]
                return t if s <= t else s
            tl = self._grow(tl, t)

    def _add_rel(self, t: float, d: float) -> float:
        """The slow path of add_business: grows the compiled years until the answer fits."""
        tl = self._covering(t, t)
        while True:
            i = bisect_right(tl.ends, t)
            if i < tl.n:
                s = tl.starts[i]
                target = tl.cum_start[i] + (t - s if t > s else 0.0) + d
                j = bisect_left(tl.cum_end, target, i)
                if j < tl.n:
                    return tl.starts[j] + (target - tl.cum_start[j])
            tl = self._grow(tl, t)

    # ------------------------------------------------------------------ open time

    def is_open(self, at: dt.datetime) -> bool:
        """Whether ``at`` lies in open time (a closing instant itself is closed)."""
        t = self._rel(at)
        if self._always:
            return True
        tl = self._tl
        if tl is None or not tl.lo <= t < tl.hi:
            tl = self._covering(t, t + 1.0)  # strictly inside: an interval may start at hi
        i = bisect_right(tl.ends, t)
        return i < tl.n and tl.starts[i] <= t

    def next_opening(self, at: dt.datetime) -> dt.datetime:
        """``at`` itself when open, else the next instant the calendar opens."""
        t = self._rel(at)
        if self._always:
            return at.astimezone(self.zone)
        r = self._next_open_rel(t)
        return at.astimezone(self.zone) if r == t else self._out(r)

    def open_intervals(
        self, a: dt.datetime, b: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open parts of [a, b), as local aware datetimes (merged, in order)."""
        ta, tb = self._rel(a), self._rel(b)
        if tb <= ta:
            return []
        zone = self.zone
        if self._always:
            return [(a.astimezone(zone), b.astimezone(zone))]
        tl = self._covering(ta, tb)
        i = bisect_right(tl.ends, ta)
        j = bisect_left(tl.starts, tb)
        out = []
        for k in range(i, j):
            s, e = tl.starts[k], tl.ends[k]
            lo = a.astimezone(zone) if s <= ta else self._out(s)
            hi = b.astimezone(zone) if e >= tb else self._out(e)
            out.append((lo, hi))
        return out

    # ------------------------------------------------------------------ business time

    def add_business(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """Earliest T >= start with ``duration`` of open time in [start, T) (SPEC 3.1).

        A target that uses up the last minute of a day ends at that closing instant; a zero
        duration is ``start`` itself, even when closed (docs/time.md).
        """
        # The hot path is inlined on purpose: it is the simulator's innermost call.
        zone = self.zone
        try:
            if start.tzinfo is zone:  # same tzinfo: a cheap wall-clock difference, then offset
                t = (start - self._local_base - start.utcoffset()).total_seconds()  # type: ignore[operator]
            else:
                t = (start - _base(start)).total_seconds()
            d = duration.total_seconds()
        except (TypeError, AttributeError):
            raise self._bad_input(start, duration) from None
        tl = self._fast
        if d > 0.0 and tl is not None and t >= tl.lo:
            i = bisect_right(tl.ends, t)
            if i < tl.n:
                s = tl.starts[i]
                target = tl.cum_start[i] + (t - s if t > s else 0.0) + d
                j = bisect_left(tl.cum_end, target, i)
                if j < tl.n:
                    return _fts(tl.starts[j] + (target - tl.cum_start[j]) + _BASE_TS, zone)
        return self._add_slow(start, duration, t, d)

    def _add_slow(
        self, start: dt.datetime, duration: dt.timedelta, t: float, d: float
    ) -> dt.datetime:
        if d < 0:
            raise _negative("duration", duration, self.name)
        if self._always:
            return (start.astimezone(_UTC) + duration).astimezone(self.zone)
        if d == 0.0:
            return start.astimezone(self.zone)
        return _fts(self._add_rel(t, d) + _BASE_TS, self.zone)

    def _bad_input(self, at: object, duration: object) -> Exception:
        if not isinstance(duration, dt.timedelta):
            return TypeError(f"expected a timedelta, got {duration!r}")
        return _naive_error(at, self.name)

    def elapsed_business(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Open time inside [a, b); zero when b <= a."""
        zone = self.zone
        try:  # inlined conversions, as in add_business
            if a.tzinfo is zone:
                ta = (a - self._local_base - a.utcoffset()).total_seconds()  # type: ignore[operator]
            else:
                ta = (a - _base(a)).total_seconds()
            if b.tzinfo is zone:
                tb = (b - self._local_base - b.utcoffset()).total_seconds()  # type: ignore[operator]
            else:
                tb = (b - _base(b)).total_seconds()
        except (TypeError, AttributeError):
            raise _naive_error(
                b if isinstance(a, dt.datetime) and a.utcoffset() is not None else a, self.name
            ) from None
        if tb <= ta:
            return _ZERO
        tl = self._fast
        if tl is None or ta < tl.lo or tb > tl.hi:
            if self._always:
                return (b - _BASE) - (a - _BASE)
            tl = self._covering(ta, tb)
        ends, starts, cum_start = tl.ends, tl.starts, tl.cum_start
        n = tl.n
        i = bisect_right(ends, ta)
        if i < n:
            s = starts[i]
            ca = cum_start[i] + (ta - s if ta > s else 0.0)
        else:
            ca = tl.total
        i = bisect_right(ends, tb, i)
        if i < n:
            s = starts[i]
            cb = cum_start[i] + (tb - s if tb > s else 0.0)
        else:
            cb = tl.total
        return _timedelta(0, cb - ca)  # positional: faster than seconds=, same rounding

    def business_target(
        self, origin: dt.datetime, seconds: int, end: dt.datetime
    ) -> tuple[dt.datetime, dt.datetime, dt.timedelta]:
        """A business-time target without pauses, in one call: its clock start
        (``next_opening(origin)``), its deadline (``add_business(origin, seconds)``) and the
        open time from the start to ``end`` (zero unless ``end`` is after the start).

        This is the simulator's commonest question, asked for most tickets; answering it
        at once converts each instant and searches the intervals once instead of three
        times. The arithmetic is that of the three methods, which answer any case off the
        fast path (a zero allowance, an instant outside the compiled years, 24/7).
        """
        zone, by_tz = self.zone, _BASE_HELD.by_tz
        try:  # self._rel(origin), self._rel(end), inlined as in add_business
            if origin.tzinfo is zone:
                t = (origin - self._local_base - origin.utcoffset()).total_seconds()  # type: ignore[operator]
            else:
                tz = origin.tzinfo  # _base(origin), inlined
                t = (origin - (by_tz.get(tz) or _BASE_HELD.held_in(tz))).total_seconds()
            if end.tzinfo is zone:
                e = (end - self._local_base - end.utcoffset()).total_seconds()  # type: ignore[operator]
            else:
                tz = end.tzinfo
                e = (end - (by_tz.get(tz) or _BASE_HELD.held_in(tz))).total_seconds()
        except (TypeError, AttributeError):
            raise _naive_error(
                end if isinstance(origin, dt.datetime) and origin.utcoffset() is not None
                else origin, self.name) from None
        tl = self._fast
        if seconds > 0 and tl is not None and tl.lo <= t and e <= tl.hi:
            ends, starts, cum_start, n = tl.ends, tl.starts, tl.cum_start, tl.n
            i = bisect_right(ends, t)
            if i < n:
                s = starts[i]
                target = cum_start[i] + (t - s if t > s else 0.0) + seconds
                j = bisect_left(tl.cum_end, target, i)
                if j < n:
                    deadline = _fts(starts[j] + (target - cum_start[j]) + _BASE_TS, zone)
                    if s > t:  # closed at the origin: the clock starts at the next opening
                        start, a = _fts(s + _BASE_TS, zone), s
                    else:
                        start, a = origin.astimezone(zone), t
                    if e <= a:
                        return start, deadline, _ZERO
                    ca = cum_start[i] + (a - s if a > s else 0.0)
                    k = bisect_right(ends, e, i)
                    cb = tl.total
                    if k < n:
                        s = starts[k]
                        cb = cum_start[k] + (e - s if e > s else 0.0)
                    return start, deadline, _timedelta(0, cb - ca)
        start = self.next_opening(origin)
        deadline = self.add_business(origin, dt.timedelta(seconds=seconds))
        return start, deadline, self.elapsed_business(start, end) if end > start else _ZERO

    def explain_add(self, start: dt.datetime, duration: dt.timedelta) -> str:
        """The open pieces add_business used, e.g. ``Fri 15:00-16:00 1h; Mon 08:00-15:00 7h``."""
        end = self.add_business(start, duration)
        if duration == _ZERO:
            return f"no business time to add: the deadline is the start, {_stamp(end)}"
        pieces = []
        for lo, hi in self.open_intervals(start, end):
            # same-tzinfo subtraction would be wall-clock time; real time is what counts
            seconds = round(hi.timestamp() - lo.timestamp())
            pieces.append(f"{_weekday_time(lo)}-{_end_label(lo, hi)} {format_seconds(seconds)}")
        return "; ".join(pieces)

    # ------------------------------------------------------------------ days

    def _business_day_index(self, ordinal: int, strictly_after: bool) -> tuple[_Timeline, int]:
        """Snapshot and index of the first business date >= (or >) ``ordinal``."""
        day = dt.date.fromordinal(ordinal)
        t = self._wall(day, _MIDNIGHT)
        tl = self._covering(t, t)
        while True:
            pick = bisect_right if strictly_after else bisect_left
            k = pick(tl.bdays, ordinal)
            if k < len(tl.bdays):
                return tl, k
            tl = self._grow(tl, t)

    def add_business_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """Same wall time on the n-th business day after the clock start's date, clamped
        into that day's first opening..last closing (SPEC 3.1)."""
        if n < 0:
            raise _negative("number of business days", n, self.name)
        t0 = self._rel(start)
        t = self._next_open_rel(t0)
        clock = start.astimezone(self.zone) if t == t0 else self._out(t)
        if n == 0:
            return clock
        tl, k = self._business_day_index(clock.toordinal(), strictly_after=False)
        while k + n >= len(tl.bdays):
            tl = self._grow(tl, t)
            k = bisect_left(tl.bdays, clock.toordinal())
        idx = k + n
        day = dt.date.fromordinal(tl.bdays[idx])
        wanted = self._wall(day, clock.time().replace(fold=0))
        at = min(max(wanted, tl.bfirst[idx]), tl.blast[idx])
        return self._out(at)

    def add_calendar_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """Same local wall time n dates later; a nonexistent time moves forward by the DST
        gap and an ambiguous one takes its first occurrence (SPEC 3.1)."""
        self._rel(start)
        if n < 0:
            raise _negative("number of days", n, self.name)
        local = start.astimezone(self.zone)
        if n == 0:
            return local
        day = local.date() + dt.timedelta(days=n)
        wall = dt.datetime.combine(day, local.time().replace(fold=0), tzinfo=self.zone)
        return wall.astimezone(_UTC).astimezone(self.zone)

    def end_of_next_business_day(self, created: dt.datetime) -> dt.datetime:
        """Last closing of the first business day strictly after created's local date."""
        self._rel(created)
        ordinal = created.astimezone(self.zone).toordinal()
        tl, k = self._business_day_index(ordinal, strictly_after=True)
        return self._out(tl.blast[k])

    # ------------------------------------------------------------------ targets

    def deadline(self, start: dt.datetime, allowance: TargetTime) -> dt.datetime:
        """The deadline of a target that starts at ``start``, by the allowance's clock."""
        clock = allowance.clock
        if clock is Clock.BUSINESS_TIME:
            return self.add_business(start, dt.timedelta(seconds=allowance.seconds))
        if clock is Clock.CALENDAR_TIME:
            self._rel(start)
            if allowance.seconds < 0:
                raise _negative("duration", format_seconds(allowance.seconds), self.name)
            moved = start.astimezone(_UTC) + dt.timedelta(seconds=allowance.seconds)
            return moved.astimezone(self.zone)
        if clock is Clock.BUSINESS_DAYS:
            return self.add_business_days(start, allowance.days)
        if clock is Clock.CALENDAR_DAYS:
            return self.add_calendar_days(start, allowance.days)
        return self.end_of_next_business_day(start)

    def measured(self, a: dt.datetime, b: dt.datetime, clock: Clock) -> dt.timedelta:
        """Time from a to b as a target on ``clock`` counts it (never negative)."""
        if clock in (Clock.CALENDAR_TIME, Clock.CALENDAR_DAYS):
            elapsed = (self._rel_delta(b)) - (self._rel_delta(a))
            return elapsed if elapsed > _ZERO else _ZERO
        return self.elapsed_business(a, b)

    def _rel_delta(self, at: dt.datetime) -> dt.timedelta:
        try:
            return at - _base(at)
        except (TypeError, AttributeError):
            raise _naive_error(at, self.name) from None

    # ------------------------------------------------------------------ batch forms

    def _epochs(self, values: npt.ArrayLike, what: str) -> FloatArray:
        array = np.asarray(values, dtype=np.float64)
        if not np.isfinite(array).all():
            raise CalendarError(
                Diagnostic(f"calendar '{self.name}': {what} must be finite epoch seconds")
            )
        return array

    def add_business_many(self, starts: npt.ArrayLike, seconds: npt.ArrayLike) -> FloatArray:
        """add_business over arrays: epoch seconds and durations in seconds, broadcast."""
        s, d = np.broadcast_arrays(self._epochs(starts, "starts"), self._epochs(seconds, "seconds"))
        if (d < 0).any():
            raise _negative("duration", float(d[d < 0].flat[0]), self.name)
        if self._always or s.size == 0:
            return np.asarray(s + d, dtype=np.float64)
        t = s - _BASE_TS
        tl = self._covering(float(t.min()), float(t.max()))
        positive = d > 0
        while True:
            i = np.searchsorted(tl.np_ends, t, side="right")
            target = tl.np_cum_start[i] + np.maximum(t - tl.np_starts[i], 0.0) + d
            j = np.searchsorted(tl.np_cum_end, target, side="left")
            if ((j >= tl.n) & positive).any():
                tl = self._grow(tl, float(t.max()))
                continue
            r = tl.np_starts[j] + (target - tl.np_cum_start[j])
            return np.asarray(np.where(positive, r, t) + _BASE_TS, dtype=np.float64)

    def elapsed_business_many(self, a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
        """elapsed_business over arrays of epoch seconds, in seconds (0 where b <= a)."""
        ea, eb = np.broadcast_arrays(self._epochs(a, "a"), self._epochs(b, "b"))
        if self._always or ea.size == 0:
            return np.asarray(np.maximum(eb - ea, 0.0), dtype=np.float64)
        ta, tb = ea - _BASE_TS, eb - _BASE_TS
        tl = self._covering(float(min(ta.min(), tb.min())), float(max(ta.max(), tb.max())))
        ia = np.searchsorted(tl.np_ends, ta, side="right")
        ib = np.searchsorted(tl.np_ends, tb, side="right")
        ca = tl.np_cum_start[ia] + np.maximum(ta - tl.np_starts[ia], 0.0)
        cb = tl.np_cum_start[ib] + np.maximum(tb - tl.np_starts[ib], 0.0)
        return np.asarray(np.where(tb > ta, cb - ca, 0.0), dtype=np.float64)

    # ------------------------------------------------------------------ introspection

    def compiled_bytes(self) -> int:
        """Approximate memory of the compiled open time (for the benchmark's report)."""
        tl = self._tl
        return tl.nbytes() if tl is not None else 0

    def compile_years(self, first: int, last: int) -> None:
        """Compile local years first..last now (normally done lazily by the queries)."""
        lo = self._wall(dt.date(first, 1, 1), _MIDNIGHT)
        hi = self._wall(dt.date(last, 12, 31), _MIDNIGHT)
        self._covering(lo, hi)


@functools.cache
def calendar_for(rule: CalendarRule) -> BusinessCalendar:
    """The compiled calendar of ``rule``, built once per process (rules are hashable)."""
    return BusinessCalendar.from_rule(rule)


# --------------------------------------------------------------------------- small helpers


def _plain(t: dt.time) -> dt.time:
    """A window bound as plain wall time: no tzinfo, fold=0."""
    return t.replace(tzinfo=None, fold=0)


def _check_window(rule: CalendarRule, w: WeeklyWindow) -> None:
    if not 0 <= w.weekday <= 6:
        raise _error(rule, f"weekday {w.weekday} is not 0 (Monday) to 6 (Sunday)")


def _hhmm(at: dt.datetime) -> str:
    return at.strftime("%H:%M" if not (at.second or at.microsecond) else "%H:%M:%S")


def _weekday_time(at: dt.datetime) -> str:
    return f"{_WEEKDAYS[at.weekday()]} {_hhmm(at)}"


def _end_label(lo: dt.datetime, hi: dt.datetime) -> str:
    if hi.date() == lo.date():
        return _hhmm(hi)
    if hi.date() == lo.date() + _ONE_DAY and hi.time() == _MIDNIGHT:
        return "24:00"
    return _weekday_time(hi)


def _stamp(at: dt.datetime) -> str:
    return f"{_WEEKDAYS[at.weekday()]} {at.date().isoformat()} {_hhmm(at)}"


class EngineCalendars:
    """The default calendar source of the simulator and the ledger: the memoised calendars
    of this module (tests pass a double with the same two methods instead)."""

    def from_rule(self, rule: CalendarRule) -> BusinessCalendar:
        return calendar_for(rule)

    def always(self, zone: str = "UTC") -> BusinessCalendar:
        return BusinessCalendar.always(zone)

"""Synthetic ticket histories for vendors that have no export yet (``tierwise generate``).

A TOML parameter file describes the customers (how many, on which plans), when tickets
arrive (a Poisson process per hour, shaped by weekday, hour of day, month and public
holidays), what they look like (priority, channel, category... mixes) and how the support
team handles them (lognormal first-response and handling times in business time on a
calendar of staffed hours, waits on the customer, reopenings, priority changes, work
sessions). :func:`generate` writes a JSON Lines scenario in exactly the format
:func:`tierwise.engine.scenario_io.open_scenario` streams: a header line, then one ticket per
line in creation order. It writes as it goes, so memory stays flat for millions of tickets.

Everything random comes from :class:`random.Random` streams seeded from ``seed``: the same
parameters and seed give byte-identical output. Arrivals, customers and ticket details use
separate streams, so changing, say, the channel mix keeps every arrival time and customer.
The parameters are documented key by key in docs/generate.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from random import Random
from typing import Any, TextIO

from attrs import evolve, field, frozen

from tierwise.engine.calendars import BusinessCalendar, calendar_for
from tierwise.engine.errors import Diagnostic, SourceSpan, TierwiseError, did_you_mean
from tierwise.engine.model import CalendarRule, HolidaySource, WeeklyWindow
from tierwise.engine.quantities import format_seconds
from tierwise.engine.scenario_io import (
    DURATION_EXPECTED,
    MONEY_EXPECTED,
    TIMESTAMP_EXPECTED,
    SourceLocator,
    ValueProblem,
    json_kind,
    parse_duration,
    parse_money,
    parse_timestamp,
)

__all__ = [
    "GenerateParams",
    "GenerateReport",
    "Mix",
    "ParamsError",
    "Spread",
    "expected_tickets",
    "generate",
    "load_params",
    "parse_params",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: Default arrival weights: a working week with a little weekend traffic.
DEFAULT_WEEKDAYS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.15, 0.1)
#: Default hour-of-day profile (local time): quiet nights, a morning peak, a slow evening.
DEFAULT_HOURS = (
    0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.2, 0.5, 0.9, 1.0, 1.0, 0.95,
    0.8, 0.9, 0.95, 0.9, 0.75, 0.5, 0.3, 0.2, 0.15, 0.12, 0.1, 0.07,
)  # fmt: skip
DATE_EXPECTED = "a date such as 2026-01-01"
HOURS_EXPECTED = 'weekly staffed hours such as "mon-fri 08:00-16:00", or "24/7"'
#: In ``tickets=N`` mode the span is stretched until this many standard deviations of the
#: Poisson count are above N, so the N-th ticket arrives inside it for any practical seed.
_SPAN_SIGMAS = 6.0
_MAX_SPAN_YEARS = 100
_HOUR = 3600
_DAY = 86400


class ParamsError(TierwiseError):
    """The parameter file of ``tierwise generate`` is malformed or inconsistent."""


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


@frozen
class Mix:
    """Names drawn at random with given shares (normalised: they need not add up to 1)."""

    items: tuple[tuple[str, float], ...]
    _cum: tuple[float, ...] = field(init=False, eq=False, repr=False)

    @_cum.default
    def _cumulative(self) -> tuple[float, ...]:
        out, total = [], 0.0
        for _name, share in self.items:
            total += share
            out.append(total)
        return tuple(out)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.items)

    def pick(self, rnd: Random) -> str:
        cum = self._cum
        return self.items[bisect.bisect_right(cum, rnd.random() * cum[-1])][0]

    def pick_other(self, rnd: Random, current: str | None) -> str | None:
        """A name other than ``current`` (None when the mix has no other name)."""
        others = [(n, s) for n, s in self.items if n != current and s > 0]
        if not others:
            return None
        return Mix(tuple(others)).pick(rnd)


@frozen
class Spread:
    """A lognormal duration in seconds: half the draws fall below ``median``; ``sigma`` is the
    spread of its logarithm (0: always the median). Support times are skewed like this: most
    tickets are quick, a few take very long."""

    median: int
    sigma: float

    def draw(self, rnd: Random) -> int:
        if self.median <= 0:
            return 0
        if self.sigma == 0:
            return self.median
        return max(1, round(self.median * math.exp(rnd.gauss(0.0, self.sigma))))


@frozen
class PackParams:
    """Prepaid hour packs bought at subscription start by a share of some plans' customers."""

    pack: str
    share: float
    plans: tuple[str, ...] = ()  # empty: every plan
    hours: int | None = None  # seconds; None: the product's own size


@frozen
class ClaimParams:
    """Claims of each month's aggregate credits, made ``delay_days`` after the month ends."""

    share: float
    delay_days: int = 5
    plans: tuple[str, ...] = ()  # empty: every plan


@frozen
class CustomerParams:
    count: int = 100
    name_prefix: str = "customer-"
    plans: Mix = Mix((("STANDARD", 1.0),))
    fees: tuple[tuple[str, str], ...] = ()  # plan -> agreed fee text (negotiated plans)
    activity: tuple[tuple[str, float], ...] = ()  # plan -> ticket-volume multiplier
    activity_sigma: float = 0.5
    subscription_start: dt.date | None = None  # None: the span's start
    join_spread_days: int = 0
    packs: tuple[PackParams, ...] = ()
    claims: ClaimParams | None = None


@frozen
class ArrivalParams:
    per_hour: float = 1.0
    weekdays: tuple[float, ...] = DEFAULT_WEEKDAYS
    hours: tuple[float, ...] = DEFAULT_HOURS
    months: tuple[float, ...] = (1.0,) * 12
    holidays: HolidaySource | None = None
    holiday_factor: float = 0.2


@frozen
class TicketMix:
    """What tickets look like; ``by_plan`` tables override it per plan."""

    priority: Mix | None = None  # None: tickets carry no priority
    channel: Mix | None = None
    category: Mix | None = None
    product_status: Mix | None = None
    registered_share: float = 0.95
    express_share: float = 0.0
    work_share: float = 0.3
    work_kinds: Mix = Mix((("remote", 1.0),))


@frozen
class StaffParams:
    """When the support team works: the calendar that response and handling times run on."""

    zone: str
    windows: tuple[WeeklyWindow, ...] = ()
    always_open: bool = False
    holidays: tuple[HolidaySource, ...] = ()

    @property
    def rule(self) -> CalendarRule:
        return CalendarRule(
            "generate-staff",
            self.zone,
            windows=self.windows,
            holidays=self.holidays,
            always_open=self.always_open,
        )


@frozen
class TimingParams:
    """A lognormal business duration with optional overrides per priority."""

    default: Spread
    by_priority: tuple[tuple[str, Spread], ...] = ()

    def for_priority(self, priority: str | None) -> Spread:
        for name, spread in self.by_priority:
            if name == priority:
                return spread
        return self.default


@frozen
class WaitingParams:
    share: float = 0.3  # chance of each (further) round of waiting on the customer
    max_rounds: int = 3
    customer_delay: Spread = Spread(20 * _HOUR, 1.0)  # calendar time
    reply: Spread = Spread(_HOUR, 0.8)  # business time: the vendor's reply after the customer's
    abandon_share: float = 0.0  # the customer never answers the last wait
    abandon_after: int = 7 * _DAY  # then the ticket is closed this long after the wait


@frozen
class WorkParams:
    sessions_mean: float = 1.3  # mean sessions of a ticket that has work (at least 1)
    duration: Spread = Spread(45 * 60, 0.7)
    max_seconds: int = 8 * _HOUR
    out_of_hours_share: float = 0.0


@frozen
class GenerateParams:
    """Everything ``generate`` needs; build it with :func:`load_params` or :func:`parse_params`."""

    start: dt.date
    end: dt.date  # exclusive: tickets are created before local midnight of this date
    zone: str = "UTC"
    seed: int = 0
    name: str = "generated"
    description: str = ""
    as_of: dt.datetime | None = None  # None: local midnight of ``end``
    id_prefix: str = "T-"
    customers: CustomerParams = CustomerParams()
    arrivals: ArrivalParams = ArrivalParams()
    tickets: TicketMix = TicketMix()
    by_plan: tuple[tuple[str, TicketMix], ...] = ()
    staff: StaffParams | None = None  # None: Mon-Fri 08:00-16:00 in ``zone``
    response: TimingParams = TimingParams(Spread(2 * _HOUR, 0.8))
    resolution: TimingParams = TimingParams(Spread(8 * _HOUR, 1.0))
    waiting: WaitingParams = WaitingParams()
    reopen_share: float = 0.05
    reopen_delay: Spread = Spread(24 * _HOUR, 1.0)
    priority_change_share: float = 0.03
    work: WorkParams = WorkParams()
    closing_share: float = 0.0
    closing_after: Spread = Spread(72 * _HOUR, 0.5)
    catalog: tuple[str, ...] = ()  # plan files the names were checked against
    source: str = "<params>"
    warnings: tuple[Diagnostic, ...] = field(default=(), eq=False)

    def mix_for(self, plan: str) -> TicketMix:
        for name, mix in self.by_plan:
            if name == plan:
                return mix
        return self.tickets

    @property
    def staff_params(self) -> StaffParams:
        if self.staff is not None:
            return self.staff
        return StaffParams(self.zone, _parse_hours("mon-fri 08:00-16:00"))

    def with_seed(self, seed: int) -> GenerateParams:
        return evolve(self, seed=seed)


@frozen
class GenerateReport:
    """What one run wrote (the CLI prints it on stderr)."""

    tickets: int
    events: int
    customers: int
    first_created: dt.datetime | None
    last_created: dt.datetime | None
    as_of: dt.datetime
    events_after_as_of: int  # dropped: an export taken at as_of cannot contain them
    arrivals_without_customer: int  # dropped: no subscription had started yet
    requested: int | None = None  # tickets=N, when asked for


# --------------------------------------------------------------------------------------------
# Reading and checking parameter files
# --------------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


class _Bad(Exception):
    def __init__(self, message: str, expected: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.expected, self.hint = message, expected, hint


_MISSING: Any = object()

_KEYS: dict[Path_, tuple[str, ...]] = {
    (): (
        "seed", "name", "description", "zone", "start", "end", "as_of", "id_prefix", "catalog",
        "customers", "arrivals", "tickets", "by_plan", "staff", "response", "resolution",
        "waiting", "reopen", "priority_change", "work", "closing",
    ),
    ("customers",): (
        "count", "name_prefix", "plans", "fees", "activity", "activity_sigma",
        "subscription_start", "join_spread_days", "packs", "claims",
    ),
    ("customers", "packs", "*"): ("pack", "share", "plans", "hours"),
    ("customers", "claims"): ("share", "delay_days", "plans"),
    ("arrivals",): (
        "per_hour", "weekdays", "hours", "months", "holidays", "holiday_subdivision",
        "holiday_factor",
    ),
    ("tickets",): (
        "priority", "channel", "category", "product_status", "registered_share",
        "express_share",
    ),
    ("by_plan", "*"): (
        "priority", "channel", "category", "product_status", "registered_share",
        "express_share", "work_share", "work_kinds",
    ),
    ("staff",): ("hours", "zone", "holidays", "holiday_subdivision"),
    ("response",): ("median", "sigma", "by_priority"),
    ("resolution",): ("median", "sigma", "by_priority"),
    ("waiting",): (
        "share", "max_rounds", "customer_delay_median", "customer_delay_sigma", "reply_median",
        "reply_sigma", "abandon_share", "abandon_after",
    ),
    ("reopen",): ("share", "delay_median", "delay_sigma"),
    ("priority_change",): ("share",),
    ("work",): (
        "share", "sessions_mean", "kinds", "median", "sigma", "max", "out_of_hours_share",
    ),
    ("closing",): ("share", "after_median", "after_sigma"),
}  # fmt: skip
_TIMING_KEYS = ("median", "sigma")


class _Reader:
    """Reads a parsed TOML document key by key, collecting located errors for all of it."""

    def __init__(self, doc: dict[str, Any], loc: SourceLocator):
        self.doc = doc
        self.loc = loc
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    # -- reporting

    def report(
        self,
        path: Path_,
        message: str,
        *,
        expected: str | None = None,
        hint: str | None = None,
        key: bool = False,
        severity: str = "error",
    ) -> None:
        where = _dotted(path)
        diagnostic = Diagnostic(
            f"{where}: {message}" if where else message,
            self.loc.span(path, key=key),
            "warning" if severity == "warning" else "error",
            expected,
            hint,
        )
        (self.warnings if severity == "warning" else self.errors).append(diagnostic)

    # -- structure

    def table(self, path: Path_, keys_of: Path_ | None = None) -> dict[str, Any]:
        """The table at ``path`` ({} when absent), its unknown keys reported."""
        value = _lookup(self.doc, path)
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            self.report(
                path,
                f"must be a table, not {json_kind(value)}",
                hint=f"write it as [{_dotted(path)}] with keys under it",
            )
            return {}
        allowed = _KEYS.get(keys_of if keys_of is not None else path)
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    hint = did_you_mean(name, allowed) or f"known keys: {', '.join(allowed)}"
                    self.report((*path, name), f"unknown key '{name}'", hint=hint, key=True)
        return value

    def get(
        self,
        path: Path_,
        convert: Callable[[Any], Any],
        default: Any = None,
    ) -> Any:
        """The converted value at ``path``, or ``default`` when absent or wrong (reported)."""
        value = _lookup(self.doc, path)
        if value is _MISSING:
            return default
        try:
            return convert(value)
        except _Bad as bad:
            self.report(path, bad.message, expected=bad.expected, hint=bad.hint)
            return default

    def mix(self, path: Path_, default: Mix | None = None) -> Mix | None:
        """A table of name -> share."""
        table = _lookup(self.doc, path)
        if table is _MISSING:
            return default
        if not isinstance(table, dict):
            self.report(
                path,
                f"must be a table of name = share, not {json_kind(table)}",
                expected="e.g. { email = 0.7, phone = 0.3 }",
            )
            return default
        items: list[tuple[str, float]] = []
        ok = True
        for name in table:
            value = self.get((*path, name), _number(minimum=0.0))
            if value is None:
                ok = False
            elif not name.strip():
                self.report((*path, name), "a blank name", key=True)
                ok = False
            else:
                items.append((name, float(value)))
        if not ok:
            return default
        if not items or sum(s for _, s in items) <= 0:
            self.report(
                path,
                "needs at least one name with a share above 0",
                expected="e.g. { email = 0.7, phone = 0.3 }",
            )
            return default
        return Mix(tuple(items))

    def numbers(self, path: Path_, example: str) -> tuple[tuple[str, float], ...]:
        """A table of name -> non-negative number."""
        table = _lookup(self.doc, path)
        if table is _MISSING:
            return ()
        if not isinstance(table, dict):
            self.report(
                path, f"must be a table of name = number, not {json_kind(table)}", expected=example
            )
            return ()
        out = []
        for name in table:
            value = self.get((*path, name), _number(minimum=0.0))
            if value is not None:
                out.append((name, float(value)))
        return tuple(out)

    def spread(self, path: Path_, median_key: str, sigma_key: str, default: Spread) -> Spread:
        median = self.get((*path, median_key), _duration(), default.median)
        sigma = self.get((*path, sigma_key), _number(minimum=0.0, maximum=5.0), default.sigma)
        return Spread(median, float(sigma))


def _lookup(doc: Any, path: Path_) -> Any:
    for part in path:
        in_table = isinstance(doc, dict) and isinstance(part, str) and part in doc
        in_list = isinstance(doc, list) and isinstance(part, int) and 0 <= part < len(doc)
        if not (in_table or in_list):
            return _MISSING
        doc = doc[part]
    return doc


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part)
            out += f".{text}" if out else text
    return out


# -- converters: each raises _Bad with what was expected


def _number(
    minimum: float | None = None, maximum: float | None = None, *, above: bool = False
) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = f"write {value} without quotes" if _looks_numeric(value) else None
            raise _Bad(f"must be a number, not {json_kind(value)}", hint=hint)
        if math.isnan(value) or math.isinf(value):
            raise _Bad("must be a finite number")
        if minimum is not None and (value <= minimum if above else value < minimum):
            word = "above" if above else "at least"
            raise _Bad(
                f"must be {word} {minimum:g}, not {value:g}",
                hint="rates, shares and weights cannot be negative" if value < 0 else None,
            )
        if maximum is not None and value > maximum:
            raise _Bad(
                f"must be at most {maximum:g}, not {value:g}",
                hint="a share is a fraction: 0.25 for a quarter" if maximum == 1 else None,
            )
        return float(value)

    return convert


def _share(value: Any) -> float:
    return _number(0.0, 1.0)(value)


def _integer(minimum: int | None = None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                raise _Bad("must be a whole number", hint=f"write {int(value)}")
            hint = f"write {value} without quotes" if _looks_numeric(value) else None
            raise _Bad(f"must be a whole number, not {json_kind(value)}", hint=hint)
        if minimum is not None and value < minimum:
            raise _Bad(f"must be at least {minimum}, not {value}")
        return value

    return convert


def _looks_numeric(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value) is not None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"must be text, not {json_kind(value)}", hint=f'quote it: "{value}"')
    return value


def _name(value: Any) -> str:
    if not _text(value).strip():
        raise _Bad("must not be blank")
    return str(value)


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _Bad(f"must be a list of names, not {json_kind(value)}", expected='e.g. ["STANDARD"]')
    return tuple(_name(v) for v in value)


def _date(value: Any) -> dt.date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _Bad(f"'{value}' is not a valid date: {exc}", expected=DATE_EXPECTED) from None
    if isinstance(value, str) and "T" in value.upper():
        raise _Bad(
            f"'{value}' is a date and time; a date is expected here",
            expected=DATE_EXPECTED,
            hint=f"write {value[:10]}",
        )
    raise _Bad(f"{json.dumps(value)} is not a date", expected=DATE_EXPECTED)


def _instant(value: Any) -> dt.datetime:
    try:
        return parse_timestamp(value)
    except ValueProblem as exc:
        raise _Bad(exc.message, expected=TIMESTAMP_EXPECTED, hint=exc.hint) from None


def _duration(allow_zero: bool = True) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        try:
            seconds = parse_duration(value)
        except ValueProblem as exc:
            hint = None if (exc.hint or "").startswith("expected") else exc.hint
            raise _Bad(exc.message, expected=DURATION_EXPECTED, hint=hint) from None
        if not allow_zero and seconds == 0:
            raise _Bad("must be longer than 0")
        return seconds

    return convert


def _money_text(value: Any) -> str:
    try:
        money = parse_money(value)
    except ValueProblem as exc:
        raise _Bad(exc.message, expected=MONEY_EXPECTED, hint=exc.hint) from None
    if money.amount < 0:
        raise _Bad(f"the fee {value} is negative")
    return f"{money.amount} {money.currency}"


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zone(value: Any) -> str:
    name = _name(value).strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise _Bad(
            f"unknown time zone '{name}'",
            expected="an IANA time zone name such as Europe/Warsaw or America/New_York",
            hint=did_you_mean(name, _zone_names()),
        ) from None
    return name


def _country(value: Any) -> str:
    import holidays

    code = _name(value).strip().upper()
    supported = holidays.list_supported_countries(include_aliases=True)
    if code not in supported:
        raise _Bad(
            f"no public holidays known for country '{value}'",
            expected="an ISO 3166-1 alpha-2 country code such as PL, IE, ES or US",
            hint=did_you_mean(code, supported),
        )
    return code


_DAY_RANGE = r"(?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?"
_HOURS_RE = re.compile(
    rf"^\s*(?P<days>{_DAY_RANGE}(?:\s*,\s*{_DAY_RANGE})*|daily)\s+"
    r"(?P<times>\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}(?:\s*,\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2})*)\s*$",
    re.IGNORECASE,
)


def _parse_hours(*lines: str) -> tuple[WeeklyWindow, ...]:
    """``"mon-fri 08:00-16:00"``, ``"sat 09:00-12:00, 13:00-15:00"``, ``"daily 07:00-19:00"``."""
    windows: list[WeeklyWindow] = []
    for line in lines:
        m = _HOURS_RE.match(line)
        if not m:
            raise _Bad(f"'{line}' is not a line of opening hours", expected=HOURS_EXPECTED)
        days: list[int] = []
        spec = m.group("days").lower()
        for part in ("mon-sun" if spec == "daily" else spec).split(","):
            first, _, last = part.strip().partition("-")
            a = WEEKDAYS.index(first)
            b = WEEKDAYS.index(last) if last else a
            days.extend(WEEKDAYS.index(WEEKDAYS[(a + k) % 7]) for k in range((b - a) % 7 + 1))
        for span in m.group("times").split(","):
            lo, hi = (_clock(x.strip(), line) for x in span.split("-"))
            if lo == hi and lo != dt.time(0):
                raise _Bad(f"'{line}': the window {span.strip()} is empty")
            windows.extend(WeeklyWindow(d, lo, hi) for d in dict.fromkeys(days))
    return tuple(windows)


def _clock(text: str, line: str) -> dt.time:
    hours, minutes = (int(x) for x in text.split(":"))
    if (hours, minutes) == (24, 0):
        return dt.time(0)
    if hours > 23 or minutes > 59:
        raise _Bad(f"'{line}': {text} is not a time of day", expected=HOURS_EXPECTED)
    return dt.time(hours, minutes)


# -- the whole file


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _read_toml(text: str, file: str) -> dict[str, Any]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_WHERE.search(message)
        line, column = (int(m.group(1)), int(m.group(2))) if m else (text.count("\n") + 1, 1)
        message = _TOML_WHERE.sub("", message).replace(" (at end of document)", "")
        hint = None
        if message.startswith("Invalid value"):
            hint = 'quote text values such as durations and names: median = "2h"'
        elif message.startswith(("Cannot overwrite", "Cannot declare")):
            hint = "a key or table is given twice"
        raise ParamsError(
            Diagnostic(f"invalid TOML: {message}", SourceSpan(file, line, column), hint=hint)
        ) from None
    normalized: dict[str, Any] = _normalize(doc)
    return normalized


def _normalize(value: Any) -> Any:
    """TOML's native dates and date-times as the text they stand for."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return value


def load_params(path: str | Path) -> GenerateParams:
    """Read and check a parameter file; :class:`ParamsError` lists every problem, located."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ParamsError(Diagnostic("no such file", SourceSpan(str(path), 0, 0))) from None
    except IsADirectoryError:
        raise ParamsError(
            Diagnostic("is a directory, not a parameter file", SourceSpan(str(path), 0, 0))
        ) from None
    except OSError as exc:
        raise ParamsError(
            Diagnostic(f"cannot read the file: {exc.strerror or exc}", SourceSpan(str(path), 0, 0))
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParamsError(
            Diagnostic(
                "the file is not valid UTF-8",
                SourceSpan(str(path), line, 1),
                hint="save it as UTF-8",
            )
        ) from None
    return parse_params(text, str(path), base=path.parent)


def parse_params(text: str, file: str = "<params>", *, base: Path | None = None) -> GenerateParams:
    """Parameters from TOML text; ``base`` is the folder ``catalog`` paths are relative to."""
    doc = _read_toml(text, file)
    r = _Reader(doc, SourceLocator(file, text, "toml"))
    r.table(())

    zone = r.get(("zone",), _zone, "UTC")
    start = r.get(("start",), _date)
    end = r.get(("end",), _date)
    for key, value in (("start", start), ("end", end)):
        if value is None and _lookup(doc, (key,)) is _MISSING:
            r.report(
                (),
                f"missing required key '{key}'",
                hint=f"add e.g. {key} = {'2026-01-01' if key == 'start' else '2027-01-01'}",
            )
    if start and end and end <= start:
        r.report(
            ("end",),
            f"the end ({end}) must come after the start ({start})",
            hint="end is exclusive: tickets are created before it",
        )
    as_of = r.get(("as_of",), _instant)
    if as_of and start and as_of < _midnight(start, zone):
        r.report(("as_of",), f"as_of ({as_of.isoformat()}) is before the start ({start})")

    customers = _read_customers(r, start)
    arrivals = _read_arrivals(r)
    tickets = _read_mix(r, ("tickets",), TicketMix(), work=False)
    r.table(("work",))
    tickets = evolve(
        tickets,
        work_share=r.get(("work", "share"), _share, tickets.work_share),
        work_kinds=r.mix(("work", "kinds"), tickets.work_kinds) or tickets.work_kinds,
    )
    by_plan: list[tuple[str, TicketMix]] = []
    for plan, table in r.table(("by_plan",), keys_of=("by_plan",)).items():
        if isinstance(table, dict):
            r.table(("by_plan", plan), keys_of=("by_plan", "*"))
            by_plan.append((plan, _read_mix(r, ("by_plan", plan), tickets, work=True)))
        else:
            r.report(
                ("by_plan", plan),
                f"must be a table, not {json_kind(table)}",
                hint=f"write [by_plan.{plan}] with the keys to override under it",
            )
    defaults = GenerateParams(dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    staff = _read_staff(r, zone, arrivals.holidays)
    response = _read_timing(r, "response", defaults.response)
    resolution = _read_timing(r, "resolution", defaults.resolution)
    waiting = _read_waiting(r)
    r.table(("reopen",))
    r.table(("priority_change",))
    r.table(("closing",))

    params = GenerateParams(
        start=start or dt.date(2026, 1, 1),
        end=end or dt.date(2026, 1, 2),
        zone=zone,
        seed=r.get(("seed",), _integer(), 0),
        name=r.get(("name",), _text, "generated"),
        description=r.get(("description",), _text, ""),
        as_of=as_of,
        id_prefix=r.get(("id_prefix",), _text, "T-"),
        customers=customers,
        arrivals=arrivals,
        tickets=tickets,
        by_plan=tuple(by_plan),
        staff=staff,
        response=response,
        resolution=resolution,
        waiting=waiting,
        reopen_share=r.get(("reopen", "share"), _share, defaults.reopen_share),
        reopen_delay=r.spread(("reopen",), "delay_median", "delay_sigma", defaults.reopen_delay),
        priority_change_share=r.get(
            ("priority_change", "share"), _share, defaults.priority_change_share
        ),
        work=WorkParams(
            sessions_mean=r.get(("work", "sessions_mean"), _number(1.0, 50.0), 1.3),
            duration=r.spread(("work",), "median", "sigma", WorkParams().duration),
            max_seconds=r.get(("work", "max"), _duration(allow_zero=False), 8 * _HOUR),
            out_of_hours_share=r.get(("work", "out_of_hours_share"), _share, 0.0),
        ),
        closing_share=r.get(("closing", "share"), _share, defaults.closing_share),
        closing_after=r.spread(("closing",), "after_median", "after_sigma", defaults.closing_after),
        source=file,
    )
    _check_plan_names(r, params)
    catalog = r.get(("catalog",), _names, ())
    if catalog and not r.errors:
        _check_catalog(r, params, [str((base or Path()) / p) for p in catalog])
        params = evolve(params, catalog=catalog)
    if not r.errors:
        _check_rate(r, params)
    if r.errors:
        raise ParamsError(sorted(r.errors, key=_position))
    return evolve(params, warnings=tuple(r.warnings))


def _position(d: Diagnostic) -> tuple[int, int]:
    return (d.span.line, d.span.column) if d.span else (0, 0)


def _midnight(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zoneinfo.ZoneInfo(zone))


def _read_customers(r: _Reader, start: dt.date | None) -> CustomerParams:
    base = ("customers",)
    r.table(base)
    plans = r.mix((*base, "plans"))
    if plans is None and _lookup(r.doc, (*base, "plans")) is _MISSING:
        r.report(
            base,
            "missing 'plans': which plans the customers are on, with shares",
            hint="add plans = { STANDARD = 0.7, START = 0.3 } under [customers]",
        )
    fees: list[tuple[str, str]] = []
    fee_table = _lookup(r.doc, (*base, "fees"))
    if fee_table is not _MISSING:
        if isinstance(fee_table, dict):
            for plan in fee_table:
                fee = r.get((*base, "fees", plan), _money_text)
                if fee is not None:
                    fees.append((plan, fee))
        else:
            r.report(
                (*base, "fees"),
                "must be a table of plan = fee",
                expected='e.g. { PREMIUM = "2500 PLN" }',
            )
    activity = r.numbers((*base, "activity"), "e.g. { STANDARD = 2.0, START = 1.0 }")
    packs: list[PackParams] = []
    raw_packs = _lookup(r.doc, (*base, "packs"))
    if raw_packs is not _MISSING:
        if not isinstance(raw_packs, list):
            r.report(
                (*base, "packs"),
                "must be a list of tables",
                hint="write each as [[customers.packs]]",
            )
        else:
            for i, item in enumerate(raw_packs):
                where = (*base, "packs", i)
                r.table(where, keys_of=(*base, "packs", "*"))
                if not isinstance(item, dict):
                    continue
                pack = r.get((*where, "pack"), _name)
                if pack is None and _lookup(r.doc, (*where, "pack")) is _MISSING:
                    r.report(where, "missing 'pack': the pack product's name")
                share = r.get((*where, "share"), _share, 1.0)
                plans_for = r.get((*where, "plans"), _names, ())
                hours = r.get((*where, "hours"), _duration(allow_zero=False))
                if pack is not None:
                    packs.append(PackParams(pack, share, plans_for, hours))
    claims = None
    if _lookup(r.doc, (*base, "claims")) is not _MISSING and r.table((*base, "claims")):
        claims = ClaimParams(
            share=r.get((*base, "claims", "share"), _share, 1.0),
            delay_days=r.get((*base, "claims", "delay_days"), _integer(0), 5),
            plans=r.get((*base, "claims", "plans"), _names, ()),
        )
    return CustomerParams(
        count=r.get((*base, "count"), _integer(1), 100),
        name_prefix=r.get((*base, "name_prefix"), _name, "customer-"),
        plans=plans or CustomerParams().plans,
        fees=tuple(fees),
        activity=activity,
        activity_sigma=r.get((*base, "activity_sigma"), _number(0.0, 5.0), 0.5),
        subscription_start=r.get((*base, "subscription_start"), _date),
        join_spread_days=r.get((*base, "join_spread_days"), _integer(0), 0),
        packs=tuple(packs),
        claims=claims,
    )


def _read_named_weights(
    r: _Reader, path: Path_, names: Sequence[str], default: tuple[float, ...]
) -> tuple[float, ...]:
    table = _lookup(r.doc, path)
    if table is _MISSING:
        return default
    if not isinstance(table, dict):
        r.report(
            path,
            f"must be a table of {names[0]} = weight, ...",
            expected=f"e.g. {{ {names[0]} = 1.0, {names[1]} = 0.8 }}",
        )
        return default
    weights = list(default)
    for name in table:
        if name.lower() not in names:
            r.report(
                (*path, name),
                f"unknown name '{name}'",
                key=True,
                expected=", ".join(names),
                hint=did_you_mean(name.lower(), names),
            )
            continue
        value = r.get((*path, name), _number(minimum=0.0))
        if value is not None:
            weights[names.index(name.lower())] = value
    return tuple(weights)


def _read_arrivals(r: _Reader) -> ArrivalParams:
    base = ("arrivals",)
    r.table(base)
    hours = DEFAULT_HOURS
    raw = _lookup(r.doc, (*base, "hours"))
    if raw is not _MISSING:
        if not isinstance(raw, list) or len(raw) != 24:
            got = f"{len(raw)} values" if isinstance(raw, list) else json_kind(raw)
            r.report((*base, "hours"), f"must list 24 weights, one per hour from 00:00, not {got}")
        else:
            values = [r.get((*base, "hours", i), _number(minimum=0.0)) for i in range(24)]
            if all(v is not None for v in values):
                hours = tuple(values)
    country = r.get((*base, "holidays"), _country)
    subdivision = r.get((*base, "holiday_subdivision"), _name)
    source = _holiday_source(r, (*base, "holiday_subdivision"), country, subdivision)
    if subdivision is not None and country is None and r.get((*base, "holidays"), _name) is None:
        r.report((*base, "holiday_subdivision"), "a subdivision needs 'holidays' (the country)")
    return ArrivalParams(
        per_hour=r.get((*base, "per_hour"), _number(0.0, above=True), 1.0),
        weekdays=_read_named_weights(r, (*base, "weekdays"), WEEKDAYS, DEFAULT_WEEKDAYS),
        hours=hours,
        months=_read_named_weights(r, (*base, "months"), MONTHS, (1.0,) * 12),
        holidays=source,
        holiday_factor=r.get((*base, "holiday_factor"), _number(minimum=0.0), 0.2),
    )


def _holiday_source(
    r: _Reader, path: Path_, country: str | None, subdivision: str | None
) -> HolidaySource | None:
    if country is None:
        return None
    if subdivision is not None:
        import holidays

        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except (NotImplementedError, ValueError, KeyError):
            codes = list(holidays.list_supported_countries(include_aliases=True)[country])
            r.report(
                path,
                f"country {country} has no subdivision '{subdivision}'",
                expected=f"one of {', '.join(codes)}" if codes else None,
                hint=did_you_mean(subdivision, codes),
            )
            return HolidaySource(country)
    return HolidaySource(country, subdivision)


def _read_mix(r: _Reader, base: Path_, defaults: TicketMix, *, work: bool) -> TicketMix:
    if not work:
        r.table(base)
    return TicketMix(
        priority=r.mix((*base, "priority"), defaults.priority),
        channel=r.mix((*base, "channel"), defaults.channel),
        category=r.mix((*base, "category"), defaults.category),
        product_status=r.mix((*base, "product_status"), defaults.product_status),
        registered_share=r.get((*base, "registered_share"), _share, defaults.registered_share),
        express_share=r.get((*base, "express_share"), _share, defaults.express_share),
        work_share=r.get((*base, "work_share"), _share, defaults.work_share)
        if work
        else defaults.work_share,
        work_kinds=(r.mix((*base, "work_kinds"), defaults.work_kinds) or defaults.work_kinds)
        if work
        else defaults.work_kinds,
    )


def _read_staff(r: _Reader, zone: str, arrival_holidays: HolidaySource | None) -> StaffParams:
    base = ("staff",)
    table = r.table(base)
    staff_zone = r.get((*base, "zone"), _zone, zone)
    raw = _lookup(r.doc, (*base, "hours"))
    windows: tuple[WeeklyWindow, ...] = _parse_hours("mon-fri 08:00-16:00")
    always = False
    if raw is not _MISSING:
        lines = [raw] if isinstance(raw, str) else raw
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines) or not lines:
            r.report((*base, "hours"), "must be text or a list of texts", expected=HOURS_EXPECTED)
        elif any(x.strip() == "24/7" for x in lines):
            always = True
            windows = ()
        else:
            windows = r.get((*base, "hours"), lambda v: _parse_hours(*lines), windows)
    if "holidays" in table:
        country = r.get((*base, "holidays"), _country)
        subdivision = r.get((*base, "holiday_subdivision"), _name)
        source = _holiday_source(r, (*base, "holiday_subdivision"), country, subdivision)
    else:
        source = arrival_holidays  # the team is off on the days customers are
    staff = StaffParams(staff_zone, windows, always, (source,) if source else ())
    try:
        calendar_for(staff.rule)
    except TierwiseError as exc:
        for d in exc.diagnostics:
            r.report(
                (*base, "hours"),
                d.message.replace("calendar 'generate-staff': ", ""),
                expected=d.expected,
                hint=d.hint,
            )
    return staff


def _read_timing(r: _Reader, key: str, default: TimingParams) -> TimingParams:
    base = (key,)
    r.table(base)
    spread = r.spread(base, "median", "sigma", default.default)
    overrides: list[tuple[str, Spread]] = []
    table = _lookup(r.doc, (*base, "by_priority"))
    if table is not _MISSING:
        if not isinstance(table, dict):
            r.report(
                (*base, "by_priority"),
                "must be a table of priority tables",
                hint=f"write [{key}.by_priority.critical] with median and sigma under it",
            )
        else:
            for prio in table:
                where = (*base, "by_priority", prio)
                sub = _lookup(r.doc, where)
                if not isinstance(sub, dict):
                    r.report(
                        where,
                        "must be a table with median and sigma",
                        expected=f'[{key}.by_priority.{prio}] median = "1h"',
                    )
                    continue
                for name in sub:
                    if name not in _TIMING_KEYS:
                        r.report(
                            (*where, name),
                            f"unknown key '{name}'",
                            key=True,
                            hint=did_you_mean(name, _TIMING_KEYS) or "known: median, sigma",
                        )
                overrides.append((prio, r.spread(where, "median", "sigma", spread)))
    return TimingParams(spread, tuple(overrides))


def _read_waiting(r: _Reader) -> WaitingParams:
    base = ("waiting",)
    r.table(base)
    d = WaitingParams()
    return WaitingParams(
        share=r.get((*base, "share"), _share, d.share),
        max_rounds=r.get((*base, "max_rounds"), _integer(0), d.max_rounds),
        customer_delay=r.spread(
            base, "customer_delay_median", "customer_delay_sigma", d.customer_delay
        ),
        reply=r.spread(base, "reply_median", "reply_sigma", d.reply),
        abandon_share=r.get((*base, "abandon_share"), _share, d.abandon_share),
        abandon_after=r.get((*base, "abandon_after"), _duration(allow_zero=False), d.abandon_after),
    )


def _check_plan_names(r: _Reader, params: GenerateParams) -> None:
    """Plans named anywhere must be among the customers' plans (a typo makes dead config)."""
    known = params.customers.plans.names
    named: list[tuple[Path_, str]] = []
    named += [(("customers", "fees", p), p) for p, _ in params.customers.fees]
    named += [(("customers", "activity", p), p) for p, _ in params.customers.activity]
    named += [(("by_plan", p), p) for p, _ in params.by_plan]
    for i, pack in enumerate(params.customers.packs):
        named += [(("customers", "packs", i, "plans"), p) for p in pack.plans]
    if params.customers.claims:
        named += [(("customers", "claims", "plans"), p) for p in params.customers.claims.plans]
    for path, plan in named:
        if plan not in known:
            r.report(
                path,
                f"plan '{plan}' is not in customers.plans",
                key=True,
                hint=did_you_mean(plan, known) or f"customers.plans has {', '.join(known)}",
            )


def _check_catalog(r: _Reader, params: GenerateParams, files: list[str]) -> None:
    """With ``catalog``: plan names, negotiated fees and work kinds against the real plans."""
    from tierwise.engine.plans import load_catalog

    try:
        catalog = load_catalog(files)
    except TierwiseError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else None
        r.report(
            ("catalog",),
            "the catalog does not compile" + (f": {first.message} ({first.span})" if first else ""),
            hint="run `tierwise check` on it",
        )
        return
    fees = dict(params.customers.fees)
    for plan in params.customers.plans.names:
        where = ("customers", "plans", plan)
        if plan not in catalog.plans:
            r.report(
                where,
                f"plan '{plan}' is not in the catalog",
                key=True,
                hint=did_you_mean(plan, catalog.plans)
                or f"the catalog has {', '.join(catalog.plans)}",
            )
            continue
        compiled = catalog.plans[plan]
        if compiled.fee is not None and compiled.fee.negotiated and plan not in fees:
            r.report(
                where,
                f"plan '{plan}' has a negotiated fee; give the agreed one",
                key=True,
                hint=f'add fees = {{ {plan} = "..." }} under [customers]',
            )
        mix = params.mix_for(plan)
        if mix.work_share > 0:
            for kind in mix.work_kinds.names:
                if not any(rate.applies_to_kind(kind) for rate in compiled.rates):
                    path = (
                        ("by_plan", plan, "work_kinds")
                        if any(p == plan for p, _ in params.by_plan)
                        else ("work", "kinds")
                    )
                    r.report(
                        path,
                        f"plan {plan} has no rate for {kind} work; such sessions are not billed",
                        severity="warning",
                        hint=f"set [by_plan.{plan}] work_kinds to kinds the plan prices",
                    )
        declared = compiled.priorities
        if declared and mix.priority is not None:
            for prio in mix.priority.names:
                if prio not in declared:
                    r.report(
                        ("tickets", "priority"),
                        f"plan {plan} has no priority '{prio}'",
                        severity="warning",
                        expected=", ".join(declared),
                        hint=f"set [by_plan.{plan}] priority to the plan's levels",
                    )


def _check_rate(r: _Reader, params: GenerateParams) -> None:
    """Arrivals must be possible at all, or the span would hold no ticket."""
    if expected_tickets(params) <= 0:
        r.report(
            ("arrivals",),
            "no ticket can arrive: every weight in the span is 0",
            hint="give some weekday, hour and month a weight above 0",
        )


# --------------------------------------------------------------------------------------------
# Arrivals
# --------------------------------------------------------------------------------------------


def _poisson(rnd: Random, lam: float) -> int:
    """A Poisson draw: Knuth's product method for small means, PTRS (Hörmann 1993) above."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, rnd.random()
        while p > limit:
            k += 1
            p *= rnd.random()
        return k
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rnd.random() - 0.5
        v = rnd.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= (
            -lam + k * loglam - math.lgamma(k + 1)
        ):
            return k


class _Rates:
    """The arrival rate of each real hour: per_hour x weekday x hour x month (x holiday)."""

    def __init__(self, params: GenerateParams):
        self.a = params.arrivals
        self.zone = zoneinfo.ZoneInfo(params.zone)
        self._holidays: dict[int, frozenset[dt.date]] = {}

    def holidays(self, year: int) -> frozenset[dt.date]:
        if year not in self._holidays:
            source = self.a.holidays
            if source is None:
                self._holidays[year] = frozenset()
            else:
                import holidays

                found = holidays.country_holidays(
                    source.country, subdiv=source.subdivision, years=year
                )
                self._holidays[year] = frozenset(found.keys())
        return self._holidays[year]

    def rate(self, hour_start: int) -> float:
        local = dt.datetime.fromtimestamp(hour_start + 1800, self.zone)  # the hour's middle
        a = self.a
        lam = a.per_hour * a.weekdays[local.weekday()] * a.hours[local.hour]
        lam *= a.months[local.month - 1]
        if a.holidays is not None and local.date() in self.holidays(local.year):
            lam *= a.holiday_factor
        return lam


def _span(params: GenerateParams) -> tuple[int, int]:
    """[start, end) of arrivals as epoch seconds (end capped at as_of)."""
    start = int(_midnight(params.start, params.zone).timestamp())
    end = int(_midnight(params.end, params.zone).timestamp())
    if params.as_of is not None:
        end = min(end, math.floor(params.as_of.timestamp()))
    return start, end


def expected_tickets(params: GenerateParams) -> float:
    """The expected number of arrivals over the span (the benchmark scales per_hour by it)."""
    rates = _Rates(params)
    start, end = _span(params)
    total = 0.0
    for hour in range(start, end, _HOUR):
        total += rates.rate(hour) * min(1.0, (end - hour) / _HOUR)
    return total


def _span_for_count(params: GenerateParams, count: int) -> int:
    """The end (epoch seconds, on an hour) by which ``count`` arrivals are all but certain."""
    rates = _Rates(params)
    start = _span(params)[0]
    goal = count + _SPAN_SIGMAS * math.sqrt(count) + 10
    total, hour = 0.0, start
    limit = start + _MAX_SPAN_YEARS * 366 * _DAY
    while total < goal:
        if hour >= limit:
            raise ParamsError(
                Diagnostic(
                    f"{count} tickets would take more than {_MAX_SPAN_YEARS} years at this rate",
                    SourceSpan(params.source, 0, 0),
                    hint="raise arrivals.per_hour",
                )
            )
        total += rates.rate(hour)
        hour += _HOUR
    return hour


def _arrivals(rnd: Random, rates: _Rates, start: int, end: int) -> Iterator[int]:
    """Creation instants (whole seconds, sorted) of a Poisson process, hour by hour."""
    for hour in range(start, end, _HOUR):
        length = min(_HOUR, end - hour)
        n = _poisson(rnd, rates.rate(hour) * length / _HOUR)
        if n:
            yield from sorted(hour + rnd.randrange(length) for _ in range(n))


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


@frozen
class _Customer:
    name: str
    plan: str
    start: int  # epoch seconds
    weight: float


def _customers(params: GenerateParams, rnd: Random) -> list[_Customer]:
    """The customers sorted by subscription start (ties by name)."""
    c = params.customers
    zone = params.zone
    first = c.subscription_start or params.start
    width = len(str(c.count))
    activity = dict(c.activity)
    out = []
    for i in range(1, c.count + 1):
        plan = c.plans.pick(rnd)
        day = first + dt.timedelta(days=rnd.randrange(c.join_spread_days + 1))
        start = int(_midnight(day, zone).timestamp())
        weight = activity.get(plan, 1.0) * math.exp(rnd.gauss(0.0, c.activity_sigma))
        out.append(_Customer(f"{c.name_prefix}{i:0{width}d}", plan, start, weight))
    out.sort(key=lambda x: (x.start, x.name))
    return out


def _subscription(
    params: GenerateParams,
    cust: _Customer,
    rnd: Random,
    as_of: int,
    span_end: dt.date,
    zone: zoneinfo.ZoneInfo,
) -> dict[str, Any]:
    """The header record of one customer; claims cover the span's months (when due by as_of)."""
    started = dt.datetime.fromtimestamp(cust.start, zone)
    rec: dict[str, Any] = {"customer": cust.name, "plan": cust.plan, "start": started.isoformat()}
    fee = dict(params.customers.fees).get(cust.plan)
    if fee is not None:
        rec["fee"] = fee
    packs = []
    for pack in params.customers.packs:
        if (not pack.plans or cust.plan in pack.plans) and rnd.random() < pack.share:
            item: dict[str, Any] = {"pack": pack.pack, "bought": started.isoformat()}
            if pack.hours is not None:
                item["hours"] = format_seconds(pack.hours)
            packs.append(item)
    if packs:
        rec["packs"] = packs
    claim = params.customers.claims
    if claim is not None and (not claim.plans or cust.plan in claim.plans):
        claims = []
        first = max(started.date(), params.start)
        year, month = first.year, first.month
        while dt.date(year, month, 1) < span_end:
            nxt = dt.date(year + month // 12, month % 12 + 1, 1)
            at = dt.datetime.combine(nxt + dt.timedelta(days=claim.delay_days), dt.time(10), zone)
            if at.timestamp() > as_of:
                break
            if rnd.random() < claim.share:
                claims.append({"at": at.isoformat(), "period": f"{year:04d}-{month:02d}"})
            year, month = nxt.year, nxt.month
        if claims:
            rec["claims"] = claims
    return rec


# --------------------------------------------------------------------------------------------
# Tickets
# --------------------------------------------------------------------------------------------


class _Timeline:
    """Builds one ticket's events on the staff calendar, with instants as epoch seconds."""

    def __init__(self, params: GenerateParams, calendar: BusinessCalendar, rnd: Random):
        self.p = params
        self.cal = calendar
        self.czone = calendar.zone
        self.rnd = rnd

    def business(self, t: int, seconds: int) -> int:
        """``seconds`` of staffed time after ``t`` (a clock started while closed waits)."""
        if seconds <= 0:
            return t
        start = dt.datetime.fromtimestamp(t, self.czone)
        return round(self.cal.add_business(start, dt.timedelta(0, seconds)).timestamp())

    def closing_after(self, t: int) -> int:
        """When the staffed window open at (or next after) ``t`` closes."""
        start = dt.datetime.fromtimestamp(t, self.czone)
        spans = self.cal.open_intervals(start, start + dt.timedelta(days=14))
        return round(spans[0][1].timestamp()) if spans else t

    def build(self, created: int, priority: str | None, mix: TicketMix) -> list[tuple[int, Any]]:
        """(instant, event) pairs in time order; an event is a type name or a work/priority
        tuple. Work sessions sit at their start; the cursor moves past their end."""
        p, rnd = self.p, self.rnd
        events: list[tuple[int, Any]] = []
        t = self.business(created, p.response.for_priority(priority).draw(rnd))
        events.append((t, "replied"))
        handling = p.resolution.for_priority(priority).draw(rnd)
        waits = 0
        while waits < p.waiting.max_rounds and rnd.random() < p.waiting.share:
            waits += 1
        abandoned = waits > 0 and rnd.random() < p.waiting.abandon_share
        sessions = 0
        if mix.work_share > 0 and rnd.random() < mix.work_share:
            sessions = 1 + _poisson(rnd, p.work.sessions_mean - 1.0)
        steps = ["wait"] * waits + ["work"] * sessions
        rnd.shuffle(steps)
        cuts = sorted(rnd.random() for _ in steps)
        done = 0.0
        closed = False
        for step, cut in zip(steps, cuts, strict=True):
            t = self.business(t, round(handling * (cut - done)))
            done = cut
            if step == "wait":
                events.append((t, "waiting"))
                waits -= 1
                if abandoned and waits == 0:
                    events.append((t + p.waiting.abandon_after, "closed"))
                    closed = True
                    break
                t += p.waiting.customer_delay.draw(rnd)
                events.append((t, "customer_replied"))
                t = self.business(t, p.waiting.reply.draw(rnd))
                events.append((t, "replied"))
            else:
                kind = mix.work_kinds.pick(rnd)
                seconds = min(p.work.duration.draw(rnd), p.work.max_seconds)
                seconds = max(60, seconds - seconds % 60)  # whole minutes, like time sheets
                ooh = p.work.out_of_hours_share > 0 and rnd.random() < p.work.out_of_hours_share
                if ooh and not self.cal.rule.always_open:
                    t = self.closing_after(t)
                events.append((t, ("work", kind, seconds, ooh)))
                t += seconds
        if not closed:
            t = self.business(t, round(handling * (1.0 - done)))
            events.append((t, "resolved"))
            if p.reopen_share > 0 and rnd.random() < p.reopen_share:
                t += p.reopen_delay.draw(rnd)
                events.append((t, "reopened"))
                t = self.business(t, p.waiting.reply.draw(rnd))
                events.append((t, "replied"))
                t = self.business(t, p.waiting.reply.draw(rnd))
                events.append((t, "resolved"))
            if p.closing_share > 0 and rnd.random() < p.closing_share:
                events.append((t + p.closing_after.draw(rnd), "closed"))
        change = p.priority_change_share
        if priority is not None and mix.priority is not None and rnd.random() < change:
            new = mix.priority.pick_other(rnd, priority)
            if new is not None:
                last = events[-1][0]
                at = created + rnd.randrange(max(1, last - created))
                index = bisect.bisect_right([e[0] for e in events], at)
                events.insert(index, (at, ("priority_changed", new)))
        return events


def generate(params: GenerateParams, out: TextIO, *, tickets: int | None = None) -> GenerateReport:
    """Write a JSON Lines scenario to ``out``: the header, then tickets in creation order.

    ``tickets`` asks for exactly that many tickets: ``end`` and ``as_of`` are then replaced
    by the instant by which that many arrivals are all but certain (for benchmarks).
    Memory stays flat: one ticket is held at a time.
    """
    seed = params.seed
    zone = zoneinfo.ZoneInfo(params.zone)
    start, end = _span(params)
    as_of = math.floor(params.as_of.timestamp()) if params.as_of is not None else end
    as_of_dt = params.as_of or dt.datetime.fromtimestamp(as_of, zone)
    if tickets is not None:
        if tickets < 0:
            raise ValueError("tickets must be >= 0")
        end = as_of = _span_for_count(params, tickets)
        as_of_dt = dt.datetime.fromtimestamp(as_of, zone)

    span_end = dt.datetime.fromtimestamp(end - 1, zone).date() + dt.timedelta(days=1)
    customer_rnd = Random(f"tierwise-generate:{seed}:customers")
    customers = _customers(params, customer_rnd)
    header: dict[str, Any] = {"type": "header", "as_of": as_of_dt.isoformat(), "name": params.name}
    if params.description:
        header["description"] = params.description
    header["subscriptions"] = [
        _subscription(params, c, customer_rnd, as_of, span_end, zone)
        for c in sorted(customers, key=lambda x: x.name)
    ]
    out.write(_dumps(header) + "\n")

    starts = [c.start for c in customers]
    cumulative: list[float] = []
    total = 0.0
    for c in customers:
        total += c.weight
        cumulative.append(total)
    mixes = {plan: params.mix_for(plan) for plan in params.customers.plans.names}

    arrival_rnd = Random(f"tierwise-generate:{seed}:arrivals")
    rnd = Random(f"tierwise-generate:{seed}:tickets")
    timeline = _Timeline(params, calendar_for(params.staff_params.rule), rnd)
    fts = dt.datetime.fromtimestamp
    count = events_written = dropped = orphans = 0
    first: int | None = None
    last: int | None = None
    prefix = params.id_prefix
    for created in _arrivals(arrival_rnd, _Rates(params), start, end):
        if tickets is not None and count >= tickets:
            break
        active = bisect.bisect_right(starts, created)
        if active == 0:
            orphans += 1
            continue
        pick = bisect.bisect_right(cumulative, arrival_rnd.random() * cumulative[active - 1])
        cust = customers[min(pick, active - 1)]
        mix = mixes[cust.plan]
        count += 1
        rec: dict[str, Any] = {
            "type": "ticket",
            "id": f"{prefix}{count}",
            "customer": cust.name,
            "created": fts(created, zone).isoformat(),
        }
        priority = mix.priority.pick(rnd) if mix.priority is not None else None
        if priority is not None:
            rec["priority"] = priority
        if mix.channel is not None:
            rec["channel"] = mix.channel.pick(rnd)
        if mix.category is not None:
            rec["category"] = mix.category.pick(rnd)
        if mix.product_status is not None:
            rec["product_status"] = mix.product_status.pick(rnd)
        if rnd.random() >= mix.registered_share:
            rec["contact_registered"] = False
        if mix.express_share > 0 and rnd.random() < mix.express_share:
            rec["express"] = True
        timeline_events = timeline.build(created, priority, mix)
        records = []
        for at, what in timeline_events:
            if at > as_of:
                dropped += 1
                continue
            stamp = fts(at, zone).isoformat()
            if isinstance(what, str):
                records.append({"at": stamp, "type": what})
            elif what[0] == "work":
                ev: dict[str, Any] = {
                    "at": stamp,
                    "type": "work",
                    "kind": what[1],
                    "duration": format_seconds(what[2]),
                }
                if what[3]:
                    ev["out_of_hours_requested"] = True
                records.append(ev)
            else:
                records.append({"at": stamp, "type": "priority_changed", "priority": what[1]})
        rec["events"] = records
        events_written += len(records)
        out.write(_dumps(rec) + "\n")
        first = created if first is None else first
        last = created
    return GenerateReport(
        tickets=count,
        events=events_written,
        customers=len(customers),
        first_created=fts(first, zone) if first is not None else None,
        last_created=fts(last, zone) if last is not None else None,
        as_of=as_of_dt,
        events_after_as_of=dropped,
        arrivals_without_customer=orphans,
        requested=tickets,
    )


def _dumps(record: Mapping[str, Any]) -> str:
    """Compact JSON, UTF-8 kept readable: the same bytes as scenario_io.dumps_record."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))

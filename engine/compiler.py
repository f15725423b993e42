"""AST -> Catalog: name resolution, inheritance, validation and the ambiguity check.

The compiler reads only the AST (grammar/ast.py) and produces only the rule objects of
engine/model.py. It never stops at the first problem: every check adds a located
Diagnostic (with a hint) and compilation goes on with what is usable, so one run of
``tierwise check`` shows everything. The catalog is returned only when there is no error.

Decisions written down in docs/language.md:
- Inheritance replaces per kind of clause; rates are replaced per work kind. A child drops
  a kind it inherits with ``no ...`` (or switches a flag off with its opposite): a drop of
  nothing inherited is a warning, dropping and writing one kind in one plan an error.
- In a list of work kinds, ``all`` alone means every kind (``rate all``, ``for all``).
- A window whose end is before its start runs past midnight; ``00:00-00:00`` and
  ``00:00-24:00`` are the whole day; any other window with equal ends is an error.
- Resolution targets pause while waiting on the customer unless ``not paused``; the
  other metrics do not pause unless ``paused while waiting``.
- Which rule applies: the more specific condition wins; between rules with equivalent
  conditions, the one for named work kinds (or named metrics) wins over ``all``. Rules
  are emitted in that order (named kinds first), so ``precedence.applicable`` picks the
  same rule at run time.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from tierwise.engine.errors import Diagnostic, SourceSpan, did_you_mean
from tierwise.engine.model import (
    ALWAYS,
    ALWAYS_OPEN_NAME,
    CLOSED_UNIVERSES,
    STANDARD_ATTRIBUTES,
    AggregateCredit,
    AllowanceRule,
    AttributeTest,
    CalendarRule,
    Catalog,
    Commitment,
    Condition,
    CoverageRule,
    CreditTier,
    Feature,
    Fee,
    GuaranteeLimit,
    GuaranteeRule,
    HolidaySource,
    IncidentCredit,
    IncludedHours,
    Measure,
    Metric,
    Overhead,
    PackProduct,
    Period,
    Plan,
    PlanChange,
    RateRule,
    Remedy,
    RemedyKind,
    SpecialHours,
    Surcharge,
    TargetRule,
    WeeklyWindow,
)
from tierwise.engine.precedence import can_overlap, implies, more_specific
from tierwise.engine.quantities import NO_CURRENCY, Clock, Money, Percent, TargetTime
from tierwise.grammar import ast

R = TypeVar("R")

#: Billing increment of a rate that does not say ``billed per started ...``.
DEFAULT_INCREMENT_SECONDS = 60
#: In a list of work kinds, ``all`` alone means every kind (``rate all``, ``for all``).
ALL_KINDS = "all"
#: Longest ``closed A..B`` range, in days (a typo in a year should not make 10^5 dates).
MAX_CLOSED_RANGE_DAYS = 366

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{d: i for i, d in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    "tues": 1, "thur": 3, "thurs": 3,
}
_PERIODS = {"month": Period.MONTH, "quarter": Period.QUARTER, "year": Period.YEAR}
_METRICS = {m.value: m for m in Metric}
_COMMITMENTS = {c.value: c for c in Commitment}
_DURATION_FORMS = "write `4h`, `4 business hours`, `4 days` or `4 business days`"
_PLAIN_DURATION_FORMS = "write `30min`, `1h` or `2 hours`"
_MONEY_FORMS = "write `450 EUR`, `€450` or `129,00 zł`"


@functools.cache
def _holiday_countries() -> dict[str, list[str]]:
    """Country code -> subdivision codes supported by the ``holidays`` package."""
    import holidays

    return {code: list(subdivisions)
            for code, subdivisions in holidays.list_supported_countries().items()}


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def _zone_exists(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def compile_files(files: Sequence[ast.PlanFile]) -> tuple[Catalog | None, list[Diagnostic]]:
    """Compile the files of one catalog; the catalog is None when there is an error."""
    return _Compiler().run(files)


# =========================================================================== diagnostics


class _Reporter:
    """Collects diagnostics, once per (severity, message, place)."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple[str, str, SourceSpan | None]] = set()

    def error(self, message: str, span: SourceSpan | None, hint: str | None = None,
              expected: str | None = None) -> None:
        self._add(Diagnostic(message, span, "error", expected=expected, hint=hint))

    def warning(self, message: str, span: SourceSpan | None, hint: str | None = None) -> None:
        self._add(Diagnostic(message, span, "warning", hint=hint))

    def _add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.severity, diagnostic.message, diagnostic.span)
        if key not in self._seen:
            self._seen.add(key)
            self.diagnostics.append(diagnostic)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


def _where(span: SourceSpan, here: SourceSpan) -> str:
    """``line 12`` in the same file, ``other.plan:12`` elsewhere."""
    return f"line {span.line}" if span.file == here.file else f"{span.file}:{span.line}"


def _describe(value: ast.Value) -> str:
    return {
        ast.BareNumber: "a number without a unit",
        ast.Duration: "a duration",
        ast.Days: "a number of days",
        ast.Months: "a number of months",
        ast.MoneyAmount: "an amount of money",
        ast.PercentAmount: "a percentage",
        ast.BadValue: "an invalid value",
    }[type(value)]


# =========================================================================== the compiler


class _Compiler(_Reporter):
    def __init__(self) -> None:
        super().__init__()
        self.calendar_defs: dict[str, ast.CalendarDef] = {}
        self.plan_defs: dict[str, ast.PlanDef] = {}
        self.calendars: dict[str, CalendarRule] = {}
        self._effective: dict[str, list[ast.PlanClause] | None] = {}

    def run(self, files: Sequence[ast.PlanFile]) -> tuple[Catalog | None, list[Diagnostic]]:
        for plan_file in files:
            self._collect(plan_file)
        for calendar_def in self.calendar_defs.values():
            rule = _CalendarCompiler(self, calendar_def).compile()
            if rule is not None:
                self.calendars[rule.name] = rule
        plans: dict[str, Plan] = {}
        for name, definition in self.plan_defs.items():
            clauses = self._resolve(name, [])
            if clauses is None:
                continue
            plan = _PlanCompiler(self, definition, clauses).compile()
            if plan is not None:
                plans[name] = plan
        order = {f.file: i for i, f in enumerate(files)}
        self.diagnostics.sort(key=lambda d: (
            order.get(d.span.file, len(order)) if d.span else -1,
            (d.span.line, d.span.column) if d.span else (0, 0)))
        if self.has_errors:
            return None, self.diagnostics
        catalog = Catalog(plans=plans, calendars=dict(self.calendars),
                          files=tuple(f.file for f in files))
        return catalog, self.diagnostics

    # ------------------------------------------------------------------ names

    def _collect(self, plan_file: ast.PlanFile) -> None:
        if not plan_file.definitions:
            self.error("no plan or calendar in this file",
                       SourceSpan(plan_file.file, 1, 1, 1, 1),
                       hint="a plan file holds `calendar NAME { ... }` and "
                            "`plan NAME { ... }` blocks (see docs/language.md)")
        for definition in plan_file.definitions:
            name = definition.name
            if isinstance(definition, ast.CalendarDef):
                if name.text == ALWAYS_OPEN_NAME:
                    self.error("'always' is the built-in 24/7 calendar", name.span,
                               hint="give this calendar another name")
                    continue
                first = self.calendar_defs.get(name.text)
                if first is not None:
                    self.error(f"calendar '{name.text}' is defined twice", name.span,
                               hint=f"the first definition is at {_where(first.span, name.span)}")
                    continue
                self.calendar_defs[name.text] = definition
            else:
                first_plan = self.plan_defs.get(name.text)
                if first_plan is not None:
                    self.error(f"plan '{name.text}' is defined twice", name.span,
                               hint="the first definition is at "
                                    f"{_where(first_plan.span, name.span)}")
                    continue
                self.plan_defs[name.text] = definition

    def inherited(self, name: str) -> list[ast.PlanClause]:
        """The effective clauses of a plan already resolved (its own and its ancestors')."""
        return self._effective.get(name) or []

    def calendar_known(self, name: str) -> bool:
        return name == ALWAYS_OPEN_NAME or name in self.calendar_defs

    def unknown_calendar(self, ident: ast.Ident) -> None:
        choices = [ALWAYS_OPEN_NAME, *self.calendar_defs]
        hint = did_you_mean(ident.text, choices) or (
            f"calendars defined: {', '.join(choices)}")
        self.error(f"unknown calendar '{ident.text}'", ident.span, hint=hint)

    # ------------------------------------------------------------------ inheritance

    def _resolve(self, name: str, chain: list[str]) -> list[ast.PlanClause] | None:
        """The plan's clauses with its ancestors' merged in (None: broken extends)."""
        if name in self._effective:
            return self._effective[name]
        definition = self.plan_defs[name]
        if definition.parent is None:
            self._effective[name] = list(definition.clauses)
            return self._effective[name]
        parent = definition.parent.text
        if parent not in self.plan_defs:
            hint = did_you_mean(parent, self.plan_defs) or (
                "plans defined: " + ", ".join(self.plan_defs) if self.plan_defs else None)
            self.error(f"plan '{name}' extends unknown plan '{parent}'",
                       definition.parent.span, hint=hint)
            self._effective[name] = None
            return None
        if parent in chain or parent == name:
            cycle = [*chain[chain.index(parent):], name, parent] if parent in chain else [
                name, name]
            text = " extends ".join(cycle)
            for member in set(cycle):
                member_parent = self.plan_defs[member].parent
                assert member_parent is not None
                self.error(f"inheritance cycle: {text}", member_parent.span,
                           hint="a plan cannot extend itself, directly or through others; "
                                "remove one `extends`")
                self._effective[member] = None
            return None
        base = self._resolve(parent, [*chain, name])
        if base is None:
            self._effective[name] = None
            return None
        merged = merge_inherited(base, list(definition.clauses))
        self._effective.setdefault(name, merged)
        return self._effective[name]


#: What a child replaces when it writes a clause: the name of its kind of clause, and which
#: one for the kinds that come one per metric, surcharge, pack, feature or flag.
ClauseKind = tuple[str, str | None]

_KIND_OF: dict[type, str] = {
    ast.TitleClause: "title",
    ast.CalendarRef: "calendar",
    ast.PrioritiesClause: "priorities",
    ast.ChannelsClause: "channels",
    ast.FeeClause: "fee",
    ast.CurrencyClause: "currency",
    ast.VatClause: "vat",
    ast.MinimumTermClause: "minimum term",
    ast.PlanChangesClause: "plan changes",
    ast.CoverageClause: "coverage exclusions",
    ast.GuaranteeClause: "guarantee exclusions",
    ast.GuaranteeLimitClause: "guarantee limits",
    ast.RateClause: "rate",
    ast.OverheadClause: "overhead",
    ast.IncludedClause: "included hours",
    ast.AllowClause: "ticket allowances",
    ast.IncidentCreditClause: "credits",
    ast.AggregateCreditClause: "credits",
}


def clause_kind(clause: ast.PlanClause) -> ClauseKind:
    """What a child replaces when it writes this clause (docs/language.md, Inheritance).

    A drop (``no coverage exclusions``) and a flag's opposite (``requests at any time``)
    are of the kind they drop, so that writing them replaces what the parent has.
    """
    if isinstance(clause, ast.TargetClause):
        return ("target", clause.metric.name)
    if isinstance(clause, ast.FeatureClause):
        return ("feature", clause.name.text)
    if isinstance(clause, ast.PackClause):
        return ("pack", clause.name.text)
    if isinstance(clause, ast.SurchargeClause):
        return ("surcharge", clause.name)
    if isinstance(clause, ast.FlagClause):
        return ("flag", clause.flag)
    if isinstance(clause, ast.DropClause):
        return (clause.kind, clause.name.text if clause.name else None)
    return (_KIND_OF[type(clause)], None)


def is_drop(clause: ast.PlanClause) -> bool:
    """``no ...``, or the opposite of a flag: a clause that only says what a plan lacks."""
    return isinstance(clause, ast.DropClause) or (
        isinstance(clause, ast.FlagClause) and not clause.on)


def dropped_text(kind: ClauseKind) -> str:
    """What a drop of this kind removes, as messages name it."""
    name, which = kind
    texts = {
        "target": f"{which} targets",
        "coverage exclusions": "`not covered` rules",
        "guarantee exclusions": "`guaranteed only` and `not guaranteed` rules",
        "guarantee limits": "`guarantees limited to` rules",
        "ticket allowances": "`allow` rules",
        "surcharge": f"{which} surcharge",
        "pack": f"pack '{which}'",
        "feature": f'feature "{which}"',
        "flag": f"`{which}`",
    }
    return texts.get(name, name)


def merge_inherited(parent: list[ast.PlanClause],
                    child: list[ast.PlanClause]) -> list[ast.PlanClause]:
    """Parent clauses whose kind the child does not write, then the child's clauses.

    A drop (``no coverage exclusions``, ``requests at any time``) is of the kind it drops,
    so it removes the parent's clauses of that kind; it stays in the merged list, where it
    compiles to nothing (and a grandchild inherits the drop).

    Rates are replaced per work kind: a parent rate keeps the kinds the child does not
    name; a child ``rate all`` replaces every parent rate; a parent ``rate all`` stays
    (for the kinds the child does not name, the child's named rates win over it).
    """
    child_kinds = {clause_kind(c) for c in child if not isinstance(c, ast.RateClause)}
    child_rates = [c for c in child if isinstance(c, ast.RateClause)]
    child_all = any(r.kinds.all_kinds for r in child_rates)
    named = {n.text for r in child_rates for n in r.kinds.names}
    merged: list[ast.PlanClause] = []
    for clause in parent:
        if isinstance(clause, ast.RateClause):
            if child_all:
                continue
            if clause.kinds.all_kinds or not named:
                merged.append(clause)
                continue
            kept = tuple(n for n in clause.kinds.names if n.text not in named)
            if kept:
                merged.append(attrs.evolve(clause, kinds=attrs.evolve(clause.kinds, names=kept)))
            continue
        if clause_kind(clause) not in child_kinds:
            merged.append(clause)
    return merged + child


# =========================================================================== calendars


class _CalendarCompiler:
    def __init__(self, reporter: _Reporter, definition: ast.CalendarDef) -> None:
        self.r = reporter
        self.definition = definition

    def compile(self) -> CalendarRule | None:
        d = self.definition
        errors_before = len([x for x in self.r.diagnostics if x.severity == "error"])
        zone = self._zone()
        opens = [c for c in d.clauses if isinstance(c, ast.OpenClause)]
        always = [c for c in opens if c.always]
        weekly = [c for c in opens if not c.always]
        if always and weekly:
            self.r.error("`open 24/7` cannot be combined with weekly windows", weekly[0].span,
                         hint="a 24/7 calendar is always open: remove the windows, or "
                              "`open 24/7`")
        if not opens:
            self.r.error(f"calendar '{d.name.text}' is never open", d.name.span,
                         hint="add `open mon-fri 09:00-17:00` (or `open 24/7`)")
        windows: list[tuple[WeeklyWindow, ast.Window]] = []
        for clause in weekly:
            days = self._days(clause.days)
            for window in clause.windows:
                times = self._window(window)
                if times is None:
                    continue
                windows += [(WeeklyWindow(day, *times), window) for day in days]
        self._overlaps(windows)
        holiday_sources = [self._holidays(code)
                           for c in d.clauses if isinstance(c, ast.HolidaysClause)
                           for code in c.codes]
        closed = [day for c in d.clauses if isinstance(c, ast.ClosedClause)
                  for r in c.ranges for day in self._date_range(r)]
        special = self._special([c for c in d.clauses if isinstance(c, ast.SpecialClause)])
        if always and (holiday_sources or closed or special):
            extra = next(c for c in d.clauses
                         if isinstance(c, ast.HolidaysClause | ast.ClosedClause
                                       | ast.SpecialClause))
            self.r.warning("holidays, closed dates and special hours do not apply to a 24/7 "
                           "calendar", extra.span, hint="remove them, or replace `open 24/7` "
                                                        "by weekly windows")
        errors_after = len([x for x in self.r.diagnostics if x.severity == "error"])
        if zone is None or errors_after > errors_before:
            return None
        return CalendarRule(
            name=d.name.text,
            zone=zone,
            windows=tuple(w for w, _ in windows),
            holidays=tuple(h for h in holiday_sources if h is not None),
            closed_dates=tuple(sorted(set(closed))),
            special_hours=tuple(sorted(special, key=lambda s: s.date)),
            always_open=bool(always),
            span=d.span,
        )

    def _zone(self) -> str | None:
        zones = [c for c in self.definition.clauses if isinstance(c, ast.ZoneClause)]
        if not zones:
            self.r.error(f"calendar '{self.definition.name.text}' has no time zone",
                         self.definition.name.span,
                         hint="add `zone Europe/Warsaw` (an IANA time zone name)")
            return None
        for extra in zones[1:]:
            self.r.error("duplicate `zone`", extra.span,
                         hint=f"the zone is already set at line {zones[0].span.line}")
        zone = zones[0]
        if not _zone_exists(zone.zone):
            self.r.error(f"unknown time zone '{zone.zone}'", zone.span,
                         hint=did_you_mean(zone.zone, _zone_names())
                         or "use an IANA time zone name such as Europe/Warsaw or UTC")
            return None
        return zone.zone

    def _days(self, ranges: Iterable[ast.DayRange]) -> list[int]:
        days: list[int] = []
        for r in ranges:
            first = self._weekday(r.first, r.span)
            last = self._weekday(r.last, r.span) if r.last is not None else first
            if first is None or last is None:
                continue
            day = first
            while True:
                if day not in days:
                    days.append(day)
                if day == last:
                    break
                day = (day + 1) % 7
        return days

    def _weekday(self, name: str, span: SourceSpan) -> int | None:
        index = _WEEKDAY_NAMES.get(name.lower())
        if index is None:
            self.r.error(f"unknown weekday '{name}'", span,
                         hint=did_you_mean(name.lower(), _WEEKDAY_NAMES)
                         or "weekdays are mon, tue, wed, thu, fri, sat, sun")
        return index

    def _clock(self, clock: ast.ClockTime, end: bool) -> dt.time | None:
        if clock.minute > 59 or clock.hour > 24 or (clock.hour == 24 and clock.minute):
            self.r.error(f"{clock.hour:02d}:{clock.minute:02d} is not a time of day",
                         clock.span, hint="times run from 00:00 to 23:59 (24:00 only as the "
                                          "end of a window)")
            return None
        if clock.hour == 24:
            if not end:
                self.r.error("24:00 can only end a window", clock.span,
                             hint="start the window at 00:00")
                return None
            return dt.time(0, 0)
        return dt.time(clock.hour, clock.minute)

    def _window(self, window: ast.Window) -> tuple[dt.time, dt.time] | None:
        start = self._clock(window.start, end=False)
        end = self._clock(window.end, end=True)
        if start is None or end is None:
            return None
        if start == end and start != dt.time(0, 0):
            self.r.error(f"empty window {start:%H:%M}-{end:%H:%M}", window.span,
                         hint="a window needs different start and end; write 00:00-24:00 "
                              "for the whole day")
            return None
        return start, end

    def _overlaps(self, windows: list[tuple[WeeklyWindow, ast.Window]]) -> None:
        """Warn about windows that overlap in the week (they are merged)."""
        week = 7 * 1440
        spans: list[tuple[int, int, WeeklyWindow, ast.Window]] = []
        for w, node in windows:
            start = w.weekday * 1440 + w.start.hour * 60 + w.start.minute
            length = (w.end.hour * 60 + w.end.minute) - (w.start.hour * 60 + w.start.minute)
            if length <= 0:
                length += 1440
            spans.append((start, start + length, w, node))
        spans.sort(key=lambda s: s[0])
        for i, (a_start, a_end, a, a_node) in enumerate(spans):
            for b_start, b_end, _b, b_node in spans[i + 1:]:
                wraps = b_end > week and (b_end - week) > a_start
                if b_start < a_end or wraps:
                    later, earlier = (b_node, a_node) if (
                        (b_node.span.line, b_node.span.column)
                        > (a_node.span.line, a_node.span.column)) else (a_node, b_node)
                    self.r.warning(
                        f"this window overlaps another on {WEEKDAYS[a.weekday]}",
                        later.span,
                        hint=f"see line {earlier.span.line}; overlapping windows are merged")
                    return

    def _holidays(self, code: ast.Ident) -> HolidaySource | None:
        country, _, subdivision = code.text.partition("-")
        countries = _holiday_countries()
        if country not in countries:
            self.r.error(f"unknown holiday country '{country}'", code.span,
                         hint=did_you_mean(country.upper(), countries)
                         or "use an ISO 3166 country code such as PL, ES or PT")
            return None
        if subdivision and subdivision not in countries[country]:
            known = countries[country]
            self.r.error(f"unknown subdivision '{subdivision}' of {country}", code.span,
                         hint=did_you_mean(subdivision.upper(), known)
                         or (f"subdivisions of {country}: {', '.join(known)}" if known
                             else f"{country} has no subdivisions in the holidays package"))
            return None
        return HolidaySource(country, subdivision or None)

    def _date(self, lit: ast.DateLit) -> dt.date | None:
        try:
            return dt.date.fromisoformat(lit.text)
        except ValueError:
            self.r.error(f"{lit.text} is not a date", lit.span, hint="dates are YYYY-MM-DD")
            return None

    def _date_range(self, r: ast.DateRange) -> list[dt.date]:
        first = self._date(r.first)
        last = self._date(r.last) if r.last is not None else first
        if first is None or last is None:
            return []
        if last < first:
            self.r.error(f"the range ends before it starts ({first}..{last})", r.span,
                         hint="write the earlier date first")
            return []
        days = (last - first).days + 1
        if days > MAX_CLOSED_RANGE_DAYS:
            self.r.error(f"a closed range of {days} days", r.span,
                         hint=f"closed ranges are at most {MAX_CLOSED_RANGE_DAYS} days; "
                              "check the years")
            return []
        return [first + dt.timedelta(days=i) for i in range(days)]

    def _special(self, clauses: list[ast.SpecialClause]) -> list[SpecialHours]:
        out: dict[dt.date, SpecialHours] = {}
        lines: dict[dt.date, int] = {}
        for clause in clauses:
            date = self._date(clause.date)
            if date is None:
                continue
            if date in out:
                self.r.error(f"special hours for {date} are given twice", clause.span,
                             hint=f"see line {lines[date]}; put all windows of a day in one "
                                  "`special` clause")
                continue
            windows = [w for w in (self._window(w) for w in clause.windows) if w is not None]
            out[date] = SpecialHours(date, tuple(windows))
            lines[date] = clause.span.line
        return list(out.values())


# =========================================================================== plans


class _PlanCompiler:
    """Compiles one plan's effective clauses (its own and inherited) into a Plan."""

    def __init__(self, compiler: _Compiler, definition: ast.PlanDef,
                 clauses: list[ast.PlanClause]) -> None:
        self.c = compiler
        self.definition = definition
        self.clauses = clauses
        self.name = definition.name.text
        self.priorities: tuple[str, ...] = ()
        self.currency: str = NO_CURRENCY
        self.currency_source: SourceSpan | None = None
        self._own = {id(c) for c in definition.clauses}

    # ------------------------------------------------------------------ reporting

    def _note(self, span: SourceSpan | None, hint: str | None) -> str | None:
        """Point out when the clause at fault is inherited from another plan."""
        d = self.definition.span
        inside = span is not None and span.file == d.file and d.line <= span.line <= d.end_line
        if span is None or inside:
            return hint
        note = f"in plan '{self.name}', which inherits this clause"
        return f"{hint} ({note})" if hint else note

    def error(self, message: str, span: SourceSpan | None, hint: str | None = None) -> None:
        self.c.error(message, span, hint=self._note(span, hint))

    def warning(self, message: str, span: SourceSpan | None, hint: str | None = None) -> None:
        self.c.warning(message, span, hint=self._note(span, hint))

    def _of(self, kind: type[R]) -> list[R]:
        return [c for c in self.clauses if isinstance(c, kind)]

    def _single(self, kind: type[R], what: str) -> R | None:
        found = self._of(kind)
        for extra in found[1:]:
            first_span: SourceSpan = found[0].span  # type: ignore[attr-defined]
            extra_span: SourceSpan = extra.span  # type: ignore[attr-defined]
            self.error(f"duplicate `{what}` clause", extra_span,
                       hint=f"a plan has one `{what}`; the first is at "
                            f"{_where(first_span, extra_span)}")
        return found[0] if found else None

    # ------------------------------------------------------------------ plan

    def compile(self) -> Plan | None:
        errors_before = len([d for d in self.c.diagnostics if d.severity == "error"])
        d = self.definition
        title = self._single(ast.TitleClause, "title")
        priorities = self._single(ast.PrioritiesClause, "priorities")
        if priorities is not None:
            self.priorities = self._unique_names(priorities.names, "priority")
        channels = self._single(ast.ChannelsClause, "channels")
        calendar = self._calendar()
        self._currency()
        fee = self._fee()
        vat = self._vat()
        term = self._minimum_term(fee)
        changes = self._single(ast.PlanChangesClause, "plan changes")
        flags = self._flags()
        targets = self._targets(calendar)
        coverage = [CoverageRule(cond, self._reason(c.reason, "not covered", cond), c.span)
                    for c in self._of(ast.CoverageClause)
                    if (cond := self._condition(c.condition)) is not None]
        guarantee_rules = [
            GuaranteeRule(cond, c.only,
                          self._reason(c.reason, "guaranteed only" if c.only
                                       else "not guaranteed", cond), c.span)
            for c in self._of(ast.GuaranteeClause)
            if (cond := self._condition(c.condition)) is not None]
        rates = self._rates()
        plan = None
        if calendar is not None:
            plan = Plan(
                name=self.name,
                title=title.title.text if title else self.name,
                currency=self.currency,
                calendar=calendar,
                span=d.span,
                parent=d.parent.text if d.parent else None,
                fee=fee,
                vat=vat,
                minimum_term_periods=term,
                plan_change=_CHANGES[changes.mode] if changes else PlanChange.NEXT_PERIOD,
                priorities=self.priorities,
                channels=frozenset(self._unique_names(channels.names, "channel"))
                if channels else frozenset(),
                subscription_required="subscription required" in flags,
                requested_in_hours_only="requests in support hours only" in flags,
                queue_earliest_deadline_first="queue earliest deadline first" in flags,
                refunds_paid_out="refunds paid out" in flags,
                targets=tuple(targets),
                coverage=tuple(coverage),
                guarantee_rules=tuple(guarantee_rules),
                guarantee_limits=tuple(self._guarantee_limits()),
                rates=tuple(rates),
                surcharges=tuple(self._surcharges()),
                overheads=tuple(self._overheads()),
                included_hours=tuple(self._included()),
                packs=tuple(self._packs()),
                allowances=tuple(self._allowances()),
                incident_credits=tuple(self._incident_credits(fee)),
                aggregate_credits=tuple(self._aggregate_credits(fee, targets)),
                features=tuple(self._features()),
                clause_spans=self._clause_spans(),
            )
        self._drops()
        self._work_kinds(rates)
        errors_after = len([x for x in self.c.diagnostics if x.severity == "error"])
        return plan if errors_after == errors_before else None

    def _unique_names(self, names: Sequence[ast.Ident], what: str) -> tuple[str, ...]:
        seen: dict[str, ast.Ident] = {}
        for name in names:
            if name.text in seen:
                self.error(f"{what} '{name.text}' is listed twice", name.span)
            seen.setdefault(name.text, name)
        return tuple(seen)

    def _calendar(self) -> str | None:
        ref = self._single(ast.CalendarRef, "calendar")
        if ref is None:
            self.error(f"plan '{self.name}' has no calendar", self.definition.name.span,
                       hint="add `calendar NAME` naming its support hours (or "
                            "`calendar always` for 24/7)")
            return None
        if not self.c.calendar_known(ref.name.text):
            self.c.unknown_calendar(ref.name)
            return None
        return ref.name.text

    def _flags(self) -> set[str]:
        """The flags switched on (an inherited flag may have been switched off)."""
        flags: dict[tuple[str, bool], ast.FlagClause] = {}
        for clause in self._of(ast.FlagClause):
            first = flags.setdefault((clause.flag, clause.on), clause)
            if first is not clause and clause.on:
                self.warning(f"`{clause.flag}` is written twice", clause.span,
                             hint=f"see line {first.span.line}")
        return {flag for flag, on in flags if on}

    def _clause_spans(self) -> dict[str, SourceSpan]:
        """Where each plan-level clause was written (Plan.clause_spans); a drop such as
        ``no minimum term`` or a flag's opposite is where its value was set."""
        spans: dict[str, SourceSpan] = {}
        for clause in self.clauses:
            key = _span_key(clause)
            if key is not None:
                spans.setdefault(key, clause.span)
        return spans

    def _drops(self) -> None:
        """Each ``no ...`` (and each flag's opposite) must drop something the plan inherits,
        and a plan cannot both drop a kind of clause and write it."""
        own = self.definition.clauses
        written: dict[ClauseKind, ast.PlanClause] = {}
        for clause in own:
            if not is_drop(clause):
                written.setdefault(clause_kind(clause), clause)
        parent = self.definition.parent
        inherited = set() if parent is None else {
            clause_kind(c) for c in self.c.inherited(parent.text) if not is_drop(c)}
        seen: dict[ClauseKind, ast.PlanClause] = {}
        for clause in own:
            if not is_drop(clause):
                continue
            kind = clause_kind(clause)
            what = dropped_text(kind)
            if kind in seen:
                done = "switched off" if kind[0] == "flag" else "dropped"
                self.warning(f"{what} already {done}", clause.span,
                             hint=f"see line {seen[kind].span.line}; remove this line")
                continue
            seen[kind] = clause
            if kind in written:
                self.error(f"this plan drops {what} and writes its own", clause.span,
                           hint=f"what it writes (line {written[kind].span.line}) already "
                                "replaces what it inherits; remove this line")
            elif parent is None:
                self.warning(f"nothing to drop: plan '{self.name}' extends no plan",
                             clause.span, hint=f"this line drops inherited {what}; remove it")
            elif kind not in inherited:
                self.warning(f"nothing to drop: plan '{self.name}' inherits no {what} from "
                             f"'{parent.text}'", clause.span, hint="remove this line")

    # ------------------------------------------------------------------ values

    def _wrong(self, value: ast.Value, what: str, expected: str, forms: str,
               bare: str) -> None:
        if isinstance(value, ast.BadValue):
            self.error(value.message, value.span, hint=value.hint)
        elif isinstance(value, ast.BareNumber):
            self.error(bare, value.span, hint=forms)
        else:
            self.error(f"{what} must be {expected}, not {_describe(value)}", value.span,
                       hint=forms)

    def _whole(self, number: Decimal, value: ast.Value, what: str) -> int | None:
        if number != number.to_integral_value():
            self.error(f"{what} must be a whole number", value.span)
            return None
        return int(number)

    def _seconds(self, value: ast.Value, what: str, *, positive: bool = True,
                 forms: str = _PLAIN_DURATION_FORMS) -> int | None:
        """A plain duration (``30min``, ``2 hours``) in whole seconds."""
        if not isinstance(value, ast.Duration) or value.business:
            if isinstance(value, ast.Duration):
                self.error(f"{what} is a plain duration, not business time", value.span,
                           hint=forms)
            else:
                self._wrong(value, what, "a duration", forms, "a duration needs a unit")
            return None
        seconds = self._whole(value.seconds, value, f"{what} (in seconds)")
        if seconds is not None and (seconds <= 0 if positive else seconds < 0):
            self.error(f"{what} must be more than zero", value.span)
            return None
        return seconds

    def _months(self, value: ast.Value, what: str) -> int | None:
        if not isinstance(value, ast.Months):
            self._wrong(value, what, "a number of months or years",
                        "write `3 months` or `1 year`", "a term needs a unit")
            return None
        return self._whole(value.months, value, what)

    def _percent(self, value: ast.Value, what: str) -> Percent | None:
        if not isinstance(value, ast.PercentAmount):
            self._wrong(value, what, "a percentage", "write `23%`",
                        "a percentage needs a % sign")
            return None
        if value.value < 0:
            self.error(f"{what} cannot be negative", value.span)
            return None
        return Percent(value.value)

    def _money(self, value: ast.Value, what: str) -> Money | None:
        if not isinstance(value, ast.MoneyAmount):
            self._wrong(value, what, "an amount of money", _MONEY_FORMS,
                        "an amount of money needs a currency")
            return None
        if value.amount < 0:
            self.error(f"negative amount of money: {value.text}", value.span,
                       hint="amounts are written without a sign; a discount is a credit")
            return None
        if value.currency != self.currency and self.currency_source is not None:
            self.error(f"{value.text} is in {value.currency}, but this plan's currency is "
                       f"{self.currency}", value.span,
                       hint=f"the currency is set at {_where(self.currency_source, value.span)}"
                            "; a plan uses one currency")
            return None
        return Money(value.amount, value.currency)

    def _period(self, ident: ast.Ident) -> Period:
        return _PERIODS[ident.text]

    # ------------------------------------------------------------------ money

    def _currency(self) -> None:
        """The plan's currency: `currency`, else the fee's, else the first amount written."""
        clause = self._single(ast.CurrencyClause, "currency")
        if clause is not None:
            self.currency, self.currency_source = clause.currency, clause.span
            return
        fee = self._of(ast.FeeClause)
        if fee and isinstance(fee[0].amount, ast.MoneyAmount):
            self.currency, self.currency_source = fee[0].amount.currency, fee[0].amount.span
            return
        for value in self._values():
            if isinstance(value, ast.MoneyAmount):
                self.currency, self.currency_source = value.currency, value.span
                return

    def _values(self) -> Iterable[ast.Value]:
        """Every value written in the plan's clauses, in order."""
        def walk(node: Any) -> Iterable[ast.Value]:
            if isinstance(node, ast.Value):
                yield node
            elif isinstance(node, tuple):
                for item in node:
                    yield from walk(item)
            elif attrs.has(type(node)):
                for f in attrs.fields(type(node)):
                    yield from walk(getattr(node, f.name))
        for clause in self.clauses:
            yield from walk(clause)

    def _fee(self) -> Fee | None:
        clause = self._single(ast.FeeClause, "fee")
        if clause is None or clause.kind == "free":
            return None
        period = self._period(clause.period) if clause.period else Period.MONTH
        if clause.kind == "negotiated":
            return Fee(None, period, negotiated=True, span=clause.span)
        assert clause.amount is not None
        amount = self._money(clause.amount, "a fee")
        if amount is None:
            return None
        return Fee(amount, period, from_price=clause.kind == "from", span=clause.span)

    def _vat(self) -> Percent:
        clause = self._single(ast.VatClause, "vat")
        if clause is None:
            return Percent(Decimal(0))
        vat = self._percent(clause.rate, "VAT")
        if vat is not None and vat.value > 100:
            self.error(f"VAT of {clause.rate.text} is over 100%", clause.rate.span,
                       hint="write the rate as a percentage, e.g. `vat 23%`")
            return Percent(Decimal(0))
        return vat if vat is not None else Percent(Decimal(0))

    def _minimum_term(self, fee: Fee | None) -> int:
        clause = self._single(ast.MinimumTermClause, "minimum term")
        if clause is None:
            return 0
        months = self._months(clause.term, "a minimum term")
        if months is None:
            return 0
        per = fee.period.months if fee is not None else 1
        if months % per:
            self.error(f"a minimum term of {clause.term.text} is not a whole number of "
                       f"billing periods ({fee.period.value if fee else 'month'}s)",
                       clause.term.span)
            return 0
        return months // per

    def _rates(self) -> list[RateRule]:
        rules: list[RateRule] = []
        for clause in self._of(ast.RateClause):
            condition = self._optional_condition(clause.condition)
            kinds = self._kinds(clause.kinds)
            if clause.price is None:
                rules.append(RateRule(kinds, None, DEFAULT_INCREMENT_SECONDS, None,
                                      condition or ALWAYS, clause.span))
                continue
            price = self._money(clause.price, "an hourly rate")
            increment = DEFAULT_INCREMENT_SECONDS
            if clause.increment is not None:
                increment = self._seconds(clause.increment, "a billing increment") or 0
            out_of_hours = None
            if clause.increment_out_of_hours is not None:
                out_of_hours = self._seconds(clause.increment_out_of_hours,
                                             "a billing increment")
            if price is None or condition is None or not increment:
                continue
            rules.append(RateRule(kinds, price, increment, out_of_hours, condition,
                                  clause.span))
        # named kinds before `all`: the order precedence.applicable breaks ties in
        rules.sort(key=lambda r: (not r.kinds, len(r.kinds)))
        self._ambiguities(
            rules, "rates", lambda r: (r.price_per_hour, r.increment_seconds,
                                       r.increment_out_of_hours_seconds),
            scope=lambda r: r.kinds, scope_text=_kinds_text)
        return rules

    def _overheads(self) -> list[Overhead]:
        out: list[tuple[Overhead, ast.OverheadClause]] = []
        for clause in self._of(ast.OverheadClause):
            seconds = self._seconds(clause.amount, "an overhead", positive=False)
            if seconds is None:
                continue
            overhead = Overhead(seconds, self._kinds(clause.kinds), clause.span)
            for other, other_clause in out:
                if _scopes_overlap(overhead.kinds, other.kinds):
                    self.error("two overheads apply to the same work", clause.span,
                               hint=f"see line {other_clause.span.line}; give each kind of "
                                    "work one overhead")
            out.append((overhead, clause))
        return [o for o, _ in out]

    def _surcharges(self) -> list[Surcharge]:
        out: list[Surcharge] = []
        for clause in self._of(ast.SurchargeClause):
            percent = self._percent(clause.amount, f"the {clause.name} surcharge")
            condition = self._optional_condition(clause.condition)
            if percent is not None and condition is not None:
                out.append(Surcharge(clause.name, percent, condition, clause.span))
        for name in ("express", "out of hours"):
            self._ambiguities([s for s in out if s.name == name], f"{name} surcharges",
                              lambda s: s.percent)
        return out

    def _included(self) -> list[IncludedHours]:
        out = []
        for clause in self._of(ast.IncludedClause):
            seconds = self._seconds(clause.amount, "included hours")
            period = self._period(clause.period)
            rollover = 0
            if clause.rollover is not None:
                months = self._months(clause.rollover, "a rollover")
                if months is not None and months % period.months:
                    self.error(f"a rollover of {clause.rollover.text} is not a whole number "
                               f"of {period.value}s", clause.rollover.span)
                    continue
                rollover = (months or 0) // period.months
            if seconds is not None:
                out.append(IncludedHours(seconds, self._kinds(clause.kinds), period,
                                         rollover, clause.span))
        return out

    def _packs(self) -> list[PackProduct]:
        out: list[PackProduct] = []
        for clause in self._of(ast.PackClause):
            seconds = self._seconds(clause.amount, "a pack")
            price = self._money(clause.price, "a pack's price")
            if clause.validity is None:
                self.error(f"pack '{clause.name.text}' has no validity", clause.span,
                           hint="add `, valid 1 year` (or `, valid 1 month`)")
                continue
            months = self._months(clause.validity, "a pack's validity")
            if months is not None and months <= 0:
                self.error("a pack's validity must be more than zero", clause.validity.span)
                continue
            if seconds is not None and price is not None and months is not None:
                out.append(PackProduct(clause.name.text, seconds, price, months,
                                       span=clause.span))
        return out

    def _allowances(self) -> list[AllowanceRule]:
        out = []
        for clause in self._of(ast.AllowClause):
            count = self._whole(clause.count.number, clause.count, "a number of tickets")
            fee = self._money(clause.fee_each, "the fee for each ticket")
            condition = self._conditions(clause.conditions)
            if count is not None and count < 0:
                self.error("a number of tickets cannot be negative", clause.count.span)
                continue
            if count is not None and fee is not None and condition is not None:
                out.append(AllowanceRule(count, self._period(clause.period), fee, condition,
                                         clause.span))
        self._ambiguities(out, "allowances", lambda a: (a.count, a.period, a.fee_each))
        return out

    def _guarantee_limits(self) -> list[GuaranteeLimit]:
        out = []
        for clause in self._of(ast.GuaranteeLimitClause):
            seconds = self._seconds(clause.amount, "a guarantee limit")
            if clause.period.text != "month":
                self.error("guarantee limits are per month", clause.period.span,
                           hint="write `per month`")
                continue
            condition = self._optional_condition(clause.condition)
            if seconds is not None and condition is not None:
                out.append(GuaranteeLimit(seconds, self._kinds(clause.kinds), condition,
                                          clause.span))
        return out

    def _kinds(self, kinds: ast.WorkKinds | None) -> frozenset[str]:
        """The work kinds of a list; empty for ``all`` (or no list): every kind."""
        if kinds is None or kinds.all_kinds:
            return frozenset()
        for name in kinds.names:
            if name.text == ALL_KINDS:
                self.error("`all` cannot be listed with other kinds of work", name.span,
                           hint="`all` alone means every kind of work; otherwise name the "
                                "kinds")
        return frozenset(n.text for n in kinds.names)

    def _work_kinds(self, rates: Sequence[RateRule]) -> None:
        """Warn about work kinds that no rate names (a typo, usually)."""
        rate_clauses = self._of(ast.RateClause)
        if not rate_clauses or any(r.kinds.all_kinds for r in rate_clauses):
            return
        known = {n.text for r in rate_clauses for n in r.kinds.names}
        names: list[ast.Ident] = []
        for clause in self.clauses:
            if isinstance(clause, ast.OverheadClause | ast.IncludedClause
                          | ast.GuaranteeLimitClause) and clause.kinds is not None:
                names += clause.kinds.names
        for name in names:
            if name.text not in known and name.text != ALL_KINDS:
                self.warning(f"no rate names the work kind '{name.text}'", name.span,
                             hint=did_you_mean(name.text, known)
                             or f"kinds with a rate: {', '.join(sorted(known))}")

    # ------------------------------------------------------------------ conditions

    def _condition(self, node: ast.ConditionNode) -> Condition | None:
        tests: list[AttributeTest] = []
        ok = True
        for test in node.tests:
            attribute = test.attribute.text
            if not attribute.startswith("field:") and attribute not in STANDARD_ATTRIBUTES:
                self.error(f"unknown attribute '{attribute}'", test.attribute.span,
                           hint=did_you_mean(attribute, STANDARD_ATTRIBUTES)
                           or "attributes are " + ", ".join(STANDARD_ATTRIBUTES)
                           + ", or `field NAME` for a custom field")
                ok = False
                continue
            universe = CLOSED_UNIVERSES.get(attribute)
            if attribute == "priority" and self.priorities:
                universe = frozenset(self.priorities)
            for value in test.values:
                if universe is not None and value.text not in universe:
                    ok = False
                    if attribute == "priority":
                        self.error(f"priority '{value.text}' is not declared in `priorities`",
                                   value.span,
                                   hint=did_you_mean(value.text, self.priorities)
                                   or "this plan's priorities are "
                                   + ", ".join(self.priorities))
                    else:
                        self.error(f"'{value.text}' is not a value of {attribute}", value.span,
                                   hint=f"{attribute} is "
                                        + " or ".join(sorted(universe)))
            tests.append(AttributeTest(attribute, frozenset(v.text for v in test.values),
                                       test.negated))
        if not ok:
            return None
        condition = Condition(tuple(tests))
        if not can_overlap(condition, condition, self.priorities):
            self.warning("this condition can never hold", node.span,
                         hint="its tests exclude each other; the rule never applies")
        return condition

    def _optional_condition(self, node: ast.ConditionNode | None) -> Condition | None:
        """ALWAYS when absent; None when the written condition is invalid."""
        return ALWAYS if node is None else self._condition(node)

    def _conditions(self, nodes: Sequence[ast.ConditionNode]) -> Condition | None:
        for extra in nodes[1:]:
            self.error("a rule has one `when`", extra.span,
                       hint="join the tests with `and`: `when a is x and b is y`")
        return self._optional_condition(nodes[0] if nodes else None)

    def _reason(self, text: ast.Text | None, what: str, condition: Condition) -> str:
        return text.text if text is not None else f"{what} when {condition}"

    # ------------------------------------------------------------------ targets

    def _targets(self, plan_calendar: str | None) -> list[TargetRule]:
        rules: list[TargetRule] = []
        for clause in self._of(ast.TargetClause):
            rule = self._target(clause, plan_calendar)
            if rule is not None:
                rules.append(rule)
        for metric in Metric:
            self._ambiguities([r for r in rules if r.metric is metric],
                              f"{metric.value} targets",
                              lambda r: (r.commitment, r.allowance, r.calendar,
                                         r.pauses_when_waiting))
        return rules

    def _target(self, clause: ast.TargetClause, plan_calendar: str | None) -> TargetRule | None:
        metric = _METRICS[clause.metric.name]
        allowance = self._target_time(clause, metric)
        for extra in clause.pause_options[1:]:
            self.error("the pause option is written twice", extra.span)
        for extra_calendar in clause.calendars[1:]:
            self.error("`using calendar` is written twice", extra_calendar.span)
        calendar = plan_calendar
        if clause.calendars:
            ident = clause.calendars[0].name
            if not self.c.calendar_known(ident.text):
                self.c.unknown_calendar(ident)
                return None
            calendar = ident.text
        condition = self._conditions(clause.conditions)
        pauses = metric is Metric.RESOLUTION
        if clause.pause_options:
            pauses = clause.pause_options[0].pauses
        if allowance is None or condition is None or calendar is None:
            return None
        return TargetRule(metric, _COMMITMENTS[clause.commitment], allowance, calendar,
                          condition, pauses, clause.span)

    def _target_time(self, clause: ast.TargetClause, metric: Metric) -> TargetTime | None:
        time = clause.time
        if time.form == "every" and metric is not Metric.PERIODIC_UPDATE:
            self.error(f"`every` is for update targets; write `{metric.value} within ...`",
                       time.span)
            return None
        if time.form == "within" and metric is Metric.PERIODIC_UPDATE:
            self.error("an update target is written `update every 4h`", time.span)
            return None
        if time.form == "end of next business day":
            if metric is Metric.PERIODIC_UPDATE:
                self.error("an update target needs a time clock, not a day", time.span,
                           hint="write `update every 4h` or `update every 4 business hours`")
                return None
            return TargetTime(Clock.END_OF_NEXT_BUSINESS_DAY)
        value = time.value
        assert value is not None
        if isinstance(value, ast.Duration):
            seconds = self._whole(value.seconds, value, "a target (in seconds)")
            if seconds is None:
                return None
            if seconds <= 0:
                self.error("a target must be more than zero", value.span)
                return None
            clock = Clock.BUSINESS_TIME if value.business else Clock.CALENDAR_TIME
            return TargetTime(clock, seconds=seconds)
        if isinstance(value, ast.Days):
            if metric is Metric.PERIODIC_UPDATE:
                self.error("an update target needs a time clock, not days", value.span,
                           hint="write `update every 4h` or `update every 4 business hours`")
                return None
            days = self._whole(value.days, value, "a number of days")
            if days is None:
                return None
            if days <= 0:
                self.error("a target must be more than zero", value.span)
                return None
            clock = Clock.BUSINESS_DAYS if value.business else Clock.CALENDAR_DAYS
            return TargetTime(clock, days=days)
        self._wrong(value, "a target", "a duration", _DURATION_FORMS, "a duration needs a unit")
        return None

    # ------------------------------------------------------------------ credits

    def _remedy(self, node: ast.RemedyNode, fee: Fee | None,
                expiry: ast.Value | None = None) -> Remedy | None:
        value = node.amount
        if node.form == "free hours":
            seconds = self._seconds(value, "free hours")
            expires = self._months(expiry, "an expiry") if expiry is not None else None
            if seconds is None or (expiry is not None and expires is None):
                return None
            return Remedy(RemedyKind.FREE_HOURS, seconds=seconds, expires_after_months=expires)
        if expiry is not None:
            self.error("only free hours can expire", expiry.span,
                       hint="remove `, expiring after ...` or credit free hours (`1h free`)")
            return None
        if node.form == "of fee":
            percent = self._percent(value, "a share of the fee")
            if percent is None:
                return None
            if fee is None:
                self.warning(f"{value.text} of the fee of a free plan is nothing", node.span)
            return Remedy(RemedyKind.PERCENT_OF_FEE, percent=percent)
        if isinstance(value, ast.PercentAmount):
            self.error("a percentage credit must say of what", value.span,
                       hint=f"write `{value.text} of fee`")
            return None
        if isinstance(value, ast.Duration):
            self.error("a credit of time must say it is free hours", value.span,
                       hint=f"write `{value.text} free`")
            return None
        money = self._money(value, "a credit")
        return Remedy(RemedyKind.MONEY, money=money) if money is not None else None

    def _incident_credits(self, fee: Fee | None) -> list[IncidentCredit]:
        out: list[IncidentCredit] = []
        for clause in self._of(ast.IncidentCreditClause):
            remedy = self._remedy(clause.remedy, fee, clause.expiry)
            condition = self._optional_condition(clause.condition)
            metrics = frozenset({_METRICS[clause.metric.name]}) if clause.metric else frozenset()
            if remedy is not None and condition is not None:
                out.append(IncidentCredit(remedy, metrics, condition, clause.span))
        out.sort(key=lambda c: not c.metrics)  # named metrics before "any guarantee"
        self._ambiguities(out, "credits per missed guarantee", lambda c: c.remedy,
                          scope=lambda c: frozenset(m.value for m in c.metrics),
                          scope_text=lambda s: ", ".join(sorted(s)) or "any")
        return out

    def _aggregate_credits(self, fee: Fee | None,
                           targets: Sequence[TargetRule]) -> list[AggregateCredit]:
        out: list[AggregateCredit] = []
        names: dict[str, ast.AggregateCreditClause] = {}
        for clause in self._of(ast.AggregateCreditClause):
            if clause.name.text in names:
                self.error(f"credit '{clause.name.text}' is defined twice", clause.name.span,
                           hint=f"see line {names[clause.name.text].span.line}")
                continue
            names[clause.name.text] = clause
            credit = self._aggregate(clause, fee)
            if credit is None:
                continue
            if not any(t.metric is credit.metric and t.commitment is Commitment.GUARANTEED
                       for t in targets):
                self.warning(f"credit '{credit.name}' measures {credit.metric.value} times, "
                             f"but this plan guarantees no {credit.metric.value} target",
                             clause.name.span)
            out.append(credit)
        return out

    def _aggregate(self, clause: ast.AggregateCreditClause,
                   fee: Fee | None) -> AggregateCredit | None:
        def single(kind: type[R], what: str) -> R | None:
            found = [c for c in clause.clauses if isinstance(c, kind)]
            for extra in found[1:]:
                extra_span: SourceSpan = extra.span
                self.error(f"duplicate `{what}` in credit '{clause.name.text}'", extra_span)
            return found[0] if found else None

        measure = single(ast.MeasureClause, "measure")
        if measure is None:
            self.error(f"credit '{clause.name.text}' has no `measure`", clause.name.span,
                       hint="add `measure mean response per priority per month`")
            return None
        group = []
        for attribute in measure.group_by:
            if (not attribute.text.startswith("field:")
                    and attribute.text not in STANDARD_ATTRIBUTES):
                self.error(f"unknown attribute '{attribute.text}'", attribute.span,
                           hint=did_you_mean(attribute.text, STANDARD_ATTRIBUTES)
                           or "attributes are " + ", ".join(STANDARD_ATTRIBUTES))
            group.append(attribute.text)
        kind = Measure.MEAN if measure.measure == "mean" else Measure.ATTAINMENT
        exceeds = [c for c in clause.clauses if isinstance(c, ast.ExceedsClause)]
        below = [c for c in clause.clauses if isinstance(c, ast.BelowClause)]
        tiers: list[CreditTier] = []
        if kind is Measure.MEAN:
            for b in below:
                self.error("`below` tiers are for `measure attainment of ...`", b.span,
                           hint="a mean is compared with the target: `exceeds target: ...`")
            if not exceeds:
                self.error(f"credit '{clause.name.text}' has no `exceeds target` tier",
                           clause.name.span, hint="add `exceeds target: 100% of fee`")
            for extra in exceeds[1:]:
                self.error("duplicate `exceeds target`", extra.span)
            for e in exceeds[:1]:
                remedy = self._remedy(e.remedy, fee)
                if remedy is not None:
                    tiers.append(CreditTier(None, remedy, e.span))
        else:
            for e in exceeds:
                self.error("`exceeds target` is for `measure mean ...`", e.span,
                           hint="attainment tiers are written `below 95%: 10% of fee`")
            if not below:
                self.error(f"credit '{clause.name.text}' has no `below` tier",
                           clause.name.span, hint="add `below 95%: 10% of fee`")
            seen: dict[Decimal, int] = {}
            for b in below:
                threshold = self._percent(b.threshold, "a threshold")
                remedy = self._remedy(b.remedy, fee)
                if threshold is None or remedy is None:
                    continue
                if not 0 < threshold.value <= 100:
                    self.error(f"a threshold of {b.threshold.text} is outside 0%..100%",
                               b.threshold.span)
                    continue
                if threshold.value in seen:
                    self.error(f"two tiers below {b.threshold.text}", b.span,
                               hint=f"see line {seen[threshold.value]}")
                    continue
                seen[threshold.value] = b.span.line
                tiers.append(CreditTier(threshold, remedy, b.span))
            tiers.sort(key=lambda t: t.threshold.value if t.threshold else Decimal(0),
                       reverse=True)
        cap_clause = single(ast.CapClause, "cap")
        cap = None
        if cap_clause is not None:
            if cap_clause.remedy.form == "free hours":
                self.error("a cap is an amount of money or a share of the fee",
                           cap_clause.span, hint="write `cap 100% of fee` or `cap 500 EUR`")
            else:
                cap = self._remedy(cap_clause.remedy, fee)
        claim = single(ast.ClaimClause, "claim within")
        claim_days = None
        if claim is not None:
            window = claim.window
            if isinstance(window, ast.Days) and not window.business:
                claim_days = self._whole(window.days, window, "a claim window")
            elif isinstance(window, ast.Days):
                self.error("a claim window is counted in calendar days", window.span,
                           hint="write `claim within 30 days after period end`")
            else:
                self._wrong(window, "a claim window", "a number of days",
                            "write `claim within 30 days after period end`",
                            "a number of days needs a unit")
        if not tiers:
            return None
        return AggregateCredit(
            name=clause.name.text,
            measure=kind,
            metric=_METRICS[measure.metric.name],
            group_by=tuple(group),
            period=self._period(measure.period),
            tiers=tuple(tiers),
            cap=cap,
            claim_window_days=claim_days,
            sole_remedy=bool([c for c in clause.clauses if isinstance(c, ast.SoleRemedyClause)]),
            span=clause.span,
        )

    def _features(self) -> list[Feature]:
        out: dict[str, Feature] = {}
        for clause in self._of(ast.FeatureClause):
            if clause.name.text in out:
                self.error(f"feature \"{clause.name.text}\" is listed twice", clause.span,
                           hint=f"see line {out[clause.name.text].span.line}")
                continue
            out[clause.name.text] = Feature(clause.name.text, clause.value, clause.span)
        return list(out.values())

    # ------------------------------------------------------------------ precedence

    def _ambiguities(self, rules: Sequence[Any], label: str, result: Callable[[Any], Any],
                     scope: Callable[[Any], frozenset[str]] | None = None,
                     scope_text: Callable[[frozenset[str]], str] | None = None) -> None:
        """Two rules of one kind that can apply to one ticket, neither more specific."""
        prios = self.priorities
        for i, a in enumerate(rules):
            for b in rules[i + 1:]:
                scope_a = scope(a) if scope else frozenset()
                scope_b = scope(b) if scope else frozenset()
                if not _scopes_overlap(scope_a, scope_b):
                    continue
                ca, cb = a.condition, b.condition
                if not can_overlap(ca, cb, prios):
                    continue
                if more_specific(ca, cb, prios) or more_specific(cb, ca, prios):
                    continue
                equivalent = implies(ca, cb, prios) and implies(cb, ca, prios)
                if equivalent and scope_a != scope_b and (
                        _narrower(scope_a, scope_b) or _narrower(scope_b, scope_a)):
                    continue  # `rate remote` wins over `rate all` for remote work
                shared = ""
                if scope and scope_text:
                    both = scope_a & scope_b if scope_a and scope_b else scope_a or scope_b
                    shared = f" for {scope_text(both)}"
                example = _example_ticket(ca, cb, prios)
                if result(a) == result(b):
                    self.warning(f"these two {label} can both apply to one ticket{shared}, "
                                 "with the same result", b.span,
                                 hint=f"{example} matches both (see {_where(a.span, b.span)})"
                                      "; remove one of them")
                    continue
                for here, there in ((a, b), (b, a)):
                    self.error(f"these two {label} can both apply to one ticket{shared}",
                               here.span,
                               hint=f"{example} matches both (see {_where(there.span, here.span)}"
                                    "); add a condition to one of them, or write a rule for "
                                    "the overlap")


#: The keys of Plan.clause_spans, by clause.
_SPAN_KEYS: dict[type, str] = {
    ast.TitleClause: "title",
    ast.CalendarRef: "calendar",
    ast.CurrencyClause: "currency",
    ast.FeeClause: "fee",
    ast.VatClause: "vat",
    ast.MinimumTermClause: "minimum term",
    ast.PlanChangesClause: "plan change",
    ast.PrioritiesClause: "priorities",
    ast.ChannelsClause: "channels",
}
_FLAG_SPAN_KEYS: dict[str, str] = {
    "subscription required": "subscription required",
    "requests in support hours only": "requests in support hours only",
    "queue earliest deadline first": "queue",
    "refunds paid out": "refunds",
}


def _span_key(clause: ast.PlanClause) -> str | None:
    """The Plan.clause_spans key of a plan-level clause (None for rules)."""
    if isinstance(clause, ast.FlagClause):
        return _FLAG_SPAN_KEYS[clause.flag]
    if isinstance(clause, ast.DropClause):
        return "minimum term" if clause.kind == "minimum term" else None
    return _SPAN_KEYS.get(type(clause))


_CHANGES = {"next period": PlanChange.NEXT_PERIOD, "prorated": PlanChange.PRORATED,
            "immediate": PlanChange.IMMEDIATE}


def _scopes_overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    """Work-kind (or metric) sets; empty means all."""
    return not a or not b or bool(a & b)


def _narrower(a: frozenset[str], b: frozenset[str]) -> bool:
    """Is scope ``a`` strictly inside scope ``b`` (empty = all)?"""
    return bool(a) and (not b or (a < b))


def _kinds_text(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(kinds)) + " work" if kinds else "all work"


def _example_ticket(a: Condition, b: Condition, priorities: Sequence[str]) -> str:
    """A readable ticket that matches both conditions, for the ambiguity hint."""
    positive: dict[str, frozenset[str]] = {}
    negative: dict[str, frozenset[str]] = {}
    for test in (*a.tests, *b.tests):
        if test.negated:
            negative[test.attribute] = negative.get(test.attribute, frozenset()) | test.values
        else:
            current = positive.get(test.attribute)
            positive[test.attribute] = test.values if current is None else current & test.values
    parts = []
    for attribute in dict.fromkeys(t.attribute for t in (*a.tests, *b.tests)):
        name = attribute.replace("field:", "field ")
        excluded = negative.get(attribute, frozenset())
        allowed = positive.get(attribute)
        universe = CLOSED_UNIVERSES.get(attribute) or (
            frozenset(priorities) if attribute == "priority" and priorities else None)
        if allowed is None and universe is not None:
            allowed = universe
        if allowed is not None:
            choice = sorted(allowed - excluded)
            if choice:
                parts.append(f"{name} {choice[0]}")
        else:
            parts.append(f"{name} other than {', '.join(sorted(excluded))}")
    return "a ticket with " + " and ".join(parts) if parts else "every ticket"

"""Charges (SPEC 3.3) and the ledger that turns a replayed scenario into invoices.

The :class:`Ledger` is fed one ticket and its result at a time and keeps only what money
needs: each work session as a few numbers in the customer's :class:`_WorkLog` (start,
seconds, which billing terms, the ticket id), each missed guarantee that earned a remedy,
counts of allowance tickets, and running sums for aggregate credits. Everything that
depends on the order of sessions or on whole periods (balances drawn "earliest expiry
first, sessions in order of start", allowances "past the 4th ticket", which aggregate tier
fires) is settled in :meth:`Ledger.finish`, because a session in March may draw free hours
earned by a breach of a ticket created later in March.

Settling a session only works out its draws and its amount; the explained invoice lines of
the work sessions (titles, "how" texts) are built from the same columns when an invoice's
lines are read (:class:`_WorkLines`, an ``invoices.LineGroup``), by the same functions.
So a long history costs about 33 bytes per session plus its ticket id, and nothing is
formatted that nobody reads. See docs/money.md for every rule and every choice made where
the SPEC is silent, and docs/performance.md for the measurements.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import Factory, define, evolve, field, frozen

from tierwise.engine.calendars import EngineCalendars
from tierwise.engine.credits import (
    PERIOD_KEY_FORMS,
    TIME_CLOCKS,
    AggregateBook,
    AggregateKey,
    AllowanceFn,
    GroupStats,
    IncidentGrant,
    PeriodSpan,
    RemedyValue,
    TargetLike,
    add_months,
    claim_window,
    evaluate_group,
    find_claim,
    incident_credit_for,
    next_span,
    parse_period_key,
    period_span,
    remedy_value,
    status_name,
)
from tierwise.engine.errors import (
    Diagnostic,
    PlanError,
    ScenarioError,
    SourceSpan,
    did_you_mean,
)
from tierwise.engine.instants import timestamp
from tierwise.engine.invoices import (
    BalanceDraw,
    CreditRecord,
    CreditStatus,
    Invoice,
    InvoiceLine,
    LineGroup,
    LineKind,
    MoneyResult,
    check_currency,
    count_text,
    money_text,
    sum_money,
)
from tierwise.engine.model import (
    ALWAYS_OPEN_NAME,
    CalendarRule,
    Catalog,
    IncludedHours,
    Overhead,
    PackProduct,
    Plan,
    PlanChange,
    RateRule,
    RemedyKind,
    Surcharge,
)
from tierwise.engine.precedence import applicable
from tierwise.engine.quantities import NO_CURRENCY, Clock, Money, TargetTime
from tierwise.engine.quantities import format_seconds as _format_seconds
from tierwise.engine.results import TicketResult
from tierwise.engine.scenario import EventKind, ScenarioHeader, Subscription, Ticket
from tierwise.engine.subscriptions import BillingCycle, PlanSwitch, PlanTimeline, calendar_zone

UTC = dt.UTC
HOUR = Decimal(3600)
DAY = 24 * 3600
#: Sorts after every real expiry: non-expiring balances are drawn last.
NEVER = dt.datetime.max.replace(tzinfo=UTC)
EXPRESS = "express"
OUT_OF_HOURS = "out of hours"
_WORK = EventKind.WORK
_PRIORITY_CHANGED = EventKind.PRIORITY_CHANGED
_NO_ATTRIBUTES: Mapping[str, str] = {}

#: Durations as the explanations write them (``1h30min``), memoised: every session's
#: explanation writes a handful, mostly the same few increments and sums.
format_seconds = functools.lru_cache(maxsize=4096)(_format_seconds)


# --------------------------------------------------------------------------- calendars


class CalendarLike(Protocol):
    """What billing asks of a calendar (``tierwise.engine.calendars.BusinessCalendar``)."""

    @property
    def zone(self) -> ZoneInfo: ...

    def open_intervals(
        self, a: dt.datetime, b: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime]]: ...

    def measured(self, a: dt.datetime, b: dt.datetime, clock: Clock) -> dt.timedelta: ...

    def deadline(self, start: dt.datetime, allowance: TargetTime) -> dt.datetime: ...


class CalendarSource(Protocol):
    """Where calendars come from: the engine (default) or a test double."""

    def from_rule(self, rule: CalendarRule) -> CalendarLike: ...

    def always(self, zone: str = "UTC") -> CalendarLike: ...




# --------------------------------------------------------------------------- sessions


def round_up(seconds: int, increment: int) -> int:
    """``seconds`` rounded up to a whole number of increments (no rounding for 0)."""
    if increment <= 0 or seconds <= 0:
        return max(seconds, 0)
    return -(-seconds // increment) * increment


@frozen
class SessionPart:
    """A piece of a session inside or outside support hours, with its own rounding."""

    start: dt.datetime
    end: dt.datetime
    in_hours: bool
    worked: int  # seconds of real work in this part
    overhead: int  # added before rounding (only on the part in which the session ends)
    increment: int
    billable: int  # (worked + overhead) rounded up to the increment

    def how(self, label: bool) -> str:
        where = ("in hours " if self.in_hours else "out of hours ") if label else ""
        text = where + format_seconds(self.worked)
        if self.overhead:
            text += f" + {format_seconds(self.overhead)} overhead"
            text += f" = {format_seconds(self.worked + self.overhead)}"
        if self.increment > 0 and self.billable:
            count = self.billable // self.increment
            text += f" → {count} × {format_seconds(self.increment)}"
            text += f" = {format_seconds(self.billable)}"
        return text


def split_at_hours(start: dt.datetime, seconds: int,
                   calendar: CalendarLike | None) -> list[tuple[dt.datetime, dt.datetime, bool]]:
    """The session cut at the calendar's open-interval boundaries: (from, to, in hours).

    Arithmetic is done in UTC: adding to or subtracting aware datetimes of one zone works
    on wall time in Python, which is wrong across a DST change.
    """
    start = start.astimezone(UTC)
    end = start + dt.timedelta(seconds=seconds)
    if calendar is None:
        return [(start, end, True)]
    if seconds == 0:
        probe = calendar.open_intervals(start, start + dt.timedelta(seconds=1))
        inside = bool(probe) and probe[0][0] <= start
        return [(start, end, inside)]
    parts: list[tuple[dt.datetime, dt.datetime, bool]] = []
    cursor = start
    for lo, hi in calendar.open_intervals(start, end):
        lo, hi = max(lo.astimezone(UTC), start), min(hi.astimezone(UTC), end)
        if hi <= lo:
            continue
        if lo > cursor:
            parts.append((cursor, lo, False))
        parts.append((lo, hi, True))
        cursor = hi
    if cursor < end:
        parts.append((cursor, end, False))
    return parts


def billable_parts(start: dt.datetime, seconds: int, overhead: int, rate: RateRule,
                   calendar: CalendarLike | None, split: bool) -> tuple[SessionPart, ...]:
    """SPEC 3.3: duration + overhead rounded up; split in/out of hours when they differ."""
    pieces = split_at_hours(start, seconds, calendar if split else None)
    out: list[SessionPart] = []
    for i, (lo, hi, inside) in enumerate(pieces):
        worked = round((hi - lo).total_seconds())
        if len(pieces) == 1:
            worked = seconds
        extra = overhead if i == len(pieces) - 1 else 0
        increment = rate.increment_seconds
        if not inside and rate.increment_out_of_hours_seconds is not None:
            increment = rate.increment_out_of_hours_seconds
        out.append(SessionPart(lo, hi, inside, worked, extra, increment,
                               round_up(worked + extra, increment)))
    return tuple(out)


def _billables(start: float, zone: dt.tzinfo | None, seconds: int, overhead: int, rate: RateRule,
               calendar: CalendarLike | None) -> list[tuple[int, bool]]:
    """(billable seconds, in hours) of each part, as :func:`billable_parts` counts them,
    for settling a session (epoch ``start``). Without a calendar the session is one part
    in hours, and the datetimes of :func:`billable_parts` are not needed."""
    if calendar is None:
        return [(round_up(seconds + overhead, rate.increment_seconds), True)]
    at = dt.datetime.fromtimestamp(start, zone)
    return [(p.billable, p.in_hours)
            for p in billable_parts(at, seconds, overhead, rate, calendar, True)]


def select_rate(plan: Plan, kind: str, attributes: Mapping[str, str]) -> RateRule | None:
    """The rate for a kind of work: the most specific matching rule, naming the kind first."""
    candidates = [r for r in plan.rates if r.applies_to_kind(kind)]
    candidates.sort(key=lambda r: 0 if kind in r.kinds else 1)
    return applicable(candidates, attributes, plan.priorities)


def select_overhead(plan: Plan, kind: str) -> Overhead | None:
    """The overhead covering a kind: one naming the kind, else a catch-all."""
    named = [o for o in plan.overheads if kind in o.kinds]
    if named:
        return named[0]
    generic = [o for o in plan.overheads if not o.kinds]
    return generic[0] if generic else None


def select_surcharge(plan: Plan, name: str, attributes: Mapping[str, str]) -> Surcharge | None:
    return applicable([s for s in plan.surcharges if s.name == name], attributes,
                      plan.priorities)


# --------------------------------------------------------------------------- balances


@define
class Balance:
    """An hour balance: included hours of a period, a bought pack, or credited free hours."""

    label: str
    kinds: frozenset[str]  # empty: every kind
    acquired: dt.datetime
    expires: dt.datetime | None  # exclusive; None: never
    left: int  # seconds, never negative
    seq: int
    rule: SourceSpan | None = None
    pack: str | None = None
    # ``acquired`` and ``expires`` (inf: never) as epoch seconds, for the per-session checks;
    # a caller that knows them already (the included hours of a period are the same for
    # every customer of a zone) passes them and saves the two ``timestamp()`` calls
    acquired_ts: float = field(
        default=Factory(lambda self: self.acquired.timestamp(), takes_self=True),
        kw_only=True, eq=False, repr=False)
    expires_ts: float = field(
        default=Factory(lambda self: math.inf if self.expires is None
                        else self.expires.timestamp(), takes_self=True),
        kw_only=True, eq=False, repr=False)

    def covers(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    def available(self, at: dt.datetime) -> bool:
        return self.left > 0 and self.acquired <= at and (self.expires is None or at < self.expires)

    @property
    def order(self) -> tuple[dt.datetime, dt.datetime, int]:
        """SPEC 3.3: earliest expiry first, non-expiring last, ties by acquisition."""
        return (self.expires or NEVER, self.acquired, self.seq)


def draw(balances: Sequence[Balance], kind: str, at: dt.datetime,
         seconds: int) -> tuple[list[tuple[Balance, int]], int]:
    """Take up to ``seconds`` from the balances usable at ``at``; return draws and the rest."""
    return _draw(balances, kind, at.timestamp(), seconds)


def _drawing_order(bal: Balance) -> tuple[float, float, int]:
    """:attr:`Balance.order` in epoch seconds."""
    return (bal.expires_ts, bal.acquired_ts, bal.seq)


def _draw(balances: Sequence[Balance], kind: str, at: float,
          seconds: int) -> tuple[list[tuple[Balance, int]], int]:
    """:func:`draw` at an epoch instant (how the ledger settles sessions)."""
    draws: list[tuple[Balance, int]] = []
    usable = [b for b in balances  # b.covers(kind), inlined
              if b.left > 0 and b.acquired_ts <= at < b.expires_ts and (not b.kinds
                                                                           or kind in b.kinds)]
    if len(usable) > 1:
        usable.sort(key=_drawing_order)
    rest = seconds
    for bal in usable:
        if rest <= 0:
            break
        take = min(bal.left, rest)
        bal.left -= take
        rest -= take
        draws.append((bal, take))
    return draws, rest


# --------------------------------------------------------------------------- records


class _Terms:
    """What billing a session takes from its plan (see ``Ledger.session_terms``). A few
    of these serve every session: a session refers to its terms by number."""

    __slots__ = ("calendar", "express", "kind", "out_of_hours", "overhead", "plan", "rate",
                 "split")

    def __init__(self, plan: Plan, kind: str, rate: RateRule | None, overhead: int,
                 out_of_hours: Surcharge | None, express: Surcharge | None) -> None:
        self.plan = plan.name
        self.calendar = plan.calendar
        self.kind = kind
        self.rate = rate
        self.overhead = overhead  # seconds
        self.out_of_hours = out_of_hours
        self.express = express  # only for sessions of express tickets
        # cut the session at the calendar's boundaries (the hours are priced differently)
        self.split = rate is not None and (rate.increment_out_of_hours_seconds is not None
                                           or any(s.name == OUT_OF_HOURS for s in plan.surcharges))

    @property
    def identity(self) -> tuple[object, ...]:
        """Equal for terms that bill alike and cite the same rules (rules compare equal
        across source lines, so they are told apart by identity)."""
        return (self.plan, self.calendar, self.kind, id(self.rate), self.overhead,
                id(self.out_of_hours), id(self.express), self.split)


#: Bound on the cache from (plan, kind, express, tested attribute values) to terms (flat
#: memory whatever the custom fields); the terms themselves are few (plans x kinds x rules).
_TERMS_CACHE_LIMIT = 4096
#: ``in_hours`` of a session not cut at the calendar's hours: one part, in hours.
_IN_HOURS = (True,)


def _charge(price: Money, in_hours: Sequence[bool], rests: Sequence[int],
            terms: _Terms) -> tuple[Decimal, dict[tuple[Decimal, str], int]]:
    """The unrounded money for the seconds the balances did not cover, part by part
    (express and out-of-hours surcharges), and the seconds charged per (multiplier, why)
    for the explanation. Settling and explaining a session both use this."""
    amount = Decimal(0)
    charged_by: dict[tuple[Decimal, str], int] = {}
    express, out_of_hours = terms.express, terms.out_of_hours
    for inside, rest in zip(in_hours, rests, strict=True):
        if rest <= 0:
            continue
        factor = Decimal(1)
        notes = []
        if express is not None:
            factor *= 1 + express.percent.fraction
            notes.append(f"express {_signed(express.percent.value)}")
        if not inside and out_of_hours is not None:
            factor *= 1 + out_of_hours.percent.fraction
            notes.append(f"out of hours {_signed(out_of_hours.percent.value)}")
        amount += price.amount * Decimal(rest) / HOUR * factor
        key = (factor, ", ".join(notes))
        charged_by[key] = charged_by.get(key, 0) + rest
    return amount, charged_by


class _WorkLog:
    """One customer's work sessions, column by column.

    The ledger must keep every session until :meth:`Ledger.finish` (balances are drawn in
    order of start, and a later ticket may earn free hours for earlier work), so this is
    what its memory grows with: about 33 bytes of arrays per session plus its ticket id,
    instead of an object with a datetime, an attribute tuple and a source span (about 900
    bytes each).
    Settling adds the order by start and each draw from a balance (part, balance, seconds
    taken, seconds left), from which the invoice lines are built when read.
    """

    __slots__ = ("draw_end", "draw_left", "draw_part", "draw_seq", "draw_taken", "order",
                 "seconds", "spans", "starts", "terms", "tickets", "zones")

    def __init__(self) -> None:
        self.starts = array("d")  # epoch seconds
        self.zones = array("H")  # the start's tzinfo, by number (Ledger.zone_number)
        self.seconds = array("q")
        self.terms = array("I")  # Ledger.terms(number)
        self.tickets: list[str] = []
        # where the session was written, kept only for the few that may be warned about
        self.spans: dict[int, SourceSpan | None] = {}
        self.order = array("I")  # sessions by (start, arrival), once settled
        # per settled session (by position in ``order``): where its draws end
        self.draw_end = array("I")
        self.draw_part = array("B")
        self.draw_seq = array("q")  # Balance.seq
        self.draw_taken = array("q")
        self.draw_left = array("q")

    def add(self, start: float, zone: int, seconds: int, terms: int, ticket: str,
            span: SourceSpan | None, keep_span: bool) -> None:
        if keep_span:
            self.spans[len(self.tickets)] = span
        self.starts.append(start)
        self.zones.append(zone)
        self.seconds.append(seconds)
        self.terms.append(terms)
        self.tickets.append(ticket)

    def sort(self) -> array[int]:
        """Sessions in order of start; equal starts in the order they were collected."""
        self.order = array("I", sorted(range(len(self.tickets)), key=self.starts.__getitem__))
        return self.order

    def record_draw(self, part: int, balance: Balance, taken: int) -> None:
        self.draw_part.append(part)
        self.draw_seq.append(balance.seq)
        self.draw_taken.append(taken)
        self.draw_left.append(balance.left)

    def end_session(self) -> None:
        self.draw_end.append(len(self.draw_taken))

    def draws(self, position: int) -> range:
        """The draws of the session at ``position`` in ``order``."""
        return range(self.draw_end[position - 1] if position else 0, self.draw_end[position])


@frozen
class _AllowanceHit:
    created: dt.datetime
    ticket: str
    seq: int


@define
class _PendingCredit:
    """Money a credit owes, waiting for the invoice it will show on."""

    due: dt.datetime
    seq: int
    text: str
    amount: Money
    how: str
    rule: SourceSpan | None
    record: int  # index into the customer's credit records


_Aggregate = tuple[AggregateKey, PeriodSpan, dict[str, GroupStats]]


def subscription_currency(plans: Sequence[Plan]) -> str:
    """A subscription is invoiced in the currency of its first priced plan: a free plan that
    states no currency (NO_CURRENCY) can be switched to and from any paid plan."""
    for plan in plans:
        if plan.currency != NO_CURRENCY:
            return plan.currency
    return NO_CURRENCY


@functools.lru_cache(maxsize=1024)
def _period_table(cycle: BillingCycle, start: dt.datetime, last: dt.datetime
                  ) -> tuple[tuple[PeriodSpan, ...], tuple[dt.datetime, ...], tuple[float, ...]]:
    """A subscription's billing periods, their starts, and their bounds as epoch seconds
    (for placing instants: aware datetimes of two zones compare through ``utcoffset()``).
    Shared by subscriptions that start and end together, as many customers do."""
    periods = tuple(cycle.periods(start, last))
    bounds = [p.start.timestamp() for p in periods]
    if periods:
        bounds.append(periods[-1].end.timestamp())
    return periods, tuple(p.start for p in periods), tuple(bounds)


@functools.lru_cache(maxsize=64)
def _rounded_zero(currency: str) -> Money:
    """``Money.zero(currency).rounded()``: immutable, so one per currency serves everyone."""
    return Money.zero(currency).rounded()


class _Customer:
    """One subscription's billing state: its plan timeline and periods, and collected input."""

    def __init__(self, sub: Subscription, timeline: PlanTimeline, catalog: Catalog,
                 as_of: dt.datetime) -> None:
        self.sub = sub
        plans = catalog.plans
        self.timeline = timeline
        sole = timeline.sole_plan
        self.fixed_plan = None if sole is None else plans[sole]
        self.currency = subscription_currency([plans[n] for n in timeline.names])
        self.cycle = timeline.cycle
        self.period = self.cycle.period
        self.zone = self.cycle.zone
        last = as_of if sub.end is None else min(sub.end, as_of)
        self.periods, self.starts, self.bounds = _period_table(self.cycle, sub.start, last)
        # the invoiced range as epoch seconds: period_at(t) is None exactly outside it
        self.bounds_from = self.bounds[0] if self.bounds else math.inf
        self.bounds_until = self.bounds[-1] if self.bounds else -math.inf
        # the plan whose fee each period pays (and whose terms hold at its start)
        self.period_plans = ([self.fixed_plan] * len(self.periods) if self.fixed_plan is not None
                             else [plans[timeline.plan_at(p.start)] for p in self.periods])
        self.ended = sub.end is not None and sub.end <= as_of
        self.zero = _rounded_zero(self.currency)
        # the last pack purchase: sessions before it may be warned about (_warn_pack_later)
        self.last_pack = max((p.bought.timestamp() for p in sub.packs), default=-math.inf)
        self.sub_start_ts = sub.start.timestamp()
        self.work = _WorkLog()
        self.drawn: dict[int, Balance] = {}  # the balances sessions drew from, by seq
        self.grants: list[IncidentGrant] = []
        self.allowances: dict[tuple[str, int, str], list[_AllowanceHit]] = {}

    def plan_at(self, instant: dt.datetime) -> str:
        """The plan whose terms apply at ``instant`` (:mod:`tierwise.engine.subscriptions`);
        at a period's start, the plan whose fee the period pays."""
        return self.timeline.plan_at(instant)

    def period_index(self, instant: dt.datetime) -> int | None:
        """The billing period that contains ``instant`` (None outside the invoiced range)."""
        return self.period_at(instant.timestamp())

    def period_at(self, epoch: float) -> int | None:
        """:meth:`period_index` of an instant given in epoch seconds."""
        i = bisect_right(self.bounds, epoch) - 1
        return i if 0 <= i < len(self.periods) else None

    def first_invoice_from(self, instant: dt.datetime) -> int | None:
        """The first billing period that starts at or after ``instant``."""
        for i, start in enumerate(self.starts):
            if start >= instant:
                return i
        return None


# --------------------------------------------------------------------------- the ledger


class Ledger:
    """Streaming accumulator over one scenario: charges, balances, allowances, credits."""

    def __init__(self, catalog: Catalog, header: ScenarioHeader, *,
                 calendars: CalendarSource | None = None) -> None:
        self.catalog = catalog
        self.header = header
        self.as_of = header.as_of
        self._source: CalendarSource = calendars if calendars is not None else EngineCalendars()
        self._calendars: dict[str, CalendarLike | None] = {}
        self._zone_of: dict[str, ZoneInfo] = {}
        self._diagnostics: list[Diagnostic] = []
        self._errors: list[Diagnostic] = []
        self._warned: set[str] = set()
        self._seq = 0
        self._terms: list[_Terms] = []
        self._terms_number: dict[tuple[object, ...], int] = {}  # by _Terms.identity
        self._terms_cache: dict[tuple[str, str, bool, tuple[str | None, ...]], int] = {}
        # the attributes that a plan's rates and surcharges test: the rest cannot matter
        self._tested: dict[str, tuple[str, ...]] = {
            plan.name: tuple(sorted(
                {t.attribute for r in plan.rates for t in r.condition.tests}
                | {t.attribute for r in plan.surcharges for t in r.condition.tests}))
            for plan in catalog.plans.values()
        }
        self._zones: list[dt.tzinfo | None] = []  # the tzinfos of session starts, by number
        self._zone_numbers: dict[dt.tzinfo | None, int] = {}
        self._book = AggregateBook()
        # (currency, terms, seconds charged per part, parts in hours) -> rounded amount
        self._charged: dict[tuple[str, int, tuple[int, ...], tuple[bool, ...]], Decimal] = {}
        # immutable lines that many customers share (the same fee for the same period), by
        # (fee terms, period key), with the period's fee they make
        self._fee_lines: dict[tuple[int, str], tuple[InvoiceLine, Money]] = {}
        # (plan, currency, amount, how, flags) of a fee -> its number (Settlement._fee_id)
        self._fee_terms: dict[tuple[str, str, Money, str, tuple[str, ...]], int] = {}
        # (included hours rule, its period, zone) -> (balance label, expiry, the period's
        # start and the expiry as epoch seconds, and the rule's span as balances cite it)
        self._included: dict[tuple[int, PeriodSpan, ZoneInfo],
                             tuple[str, dt.datetime, float, float, SourceSpan | None]] = {}
        errors: list[Diagnostic] = []
        for plan in catalog.plans.values():
            try:
                self._zone_of[plan.name] = calendar_zone(catalog, plan)
            except (ZoneInfoNotFoundError, ValueError):
                rule = catalog.calendars[plan.calendar]
                errors.append(Diagnostic(
                    f"calendar {rule.name}: unknown time zone '{rule.zone}'", span=_span(rule.span),
                    expected="an IANA zone such as Europe/Warsaw"))
        if errors:
            raise PlanError(errors)
        self._customers: dict[str, _Customer] = {}
        for name, sub in header.subscriptions.items():
            found, timeline = self._check_subscription(name, sub)
            errors.extend(found)
            if not found and timeline is not None:
                self._customers[name] = _Customer(sub, timeline, catalog, self.as_of)
                self._check_stated_fee(name, sub)
        if errors:
            raise ScenarioError(errors)

    # ----------------------------------------------------------------- validation

    def _check_subscription(self, name: str,
                            sub: Subscription) -> tuple[list[Diagnostic], PlanTimeline | None]:
        """Everything wrong with a subscription's money terms, as located errors, and its
        plan timeline (None when a plan is unknown)."""
        errors: list[Diagnostic] = []
        plans = self.catalog.plans
        where = sub.source

        def error(message: str, hint: str | None = None, expected: str | None = None) -> None:
            errors.append(Diagnostic(message, span=where, hint=hint, expected=expected,
                                     path=f"$.subscriptions.{name}"))

        names = [sub.plan, *(c.plan for c in sub.changes)]
        for plan_name in names:
            if plan_name not in plans:
                error(f"customer {name}: unknown plan '{plan_name}'",
                      hint=did_you_mean(plan_name, plans))
        if errors:
            return errors, None
        timeline = PlanTimeline(sub, plans, BillingCycle.of(plans[sub.plan],
                                                            self._zone_of[sub.plan]))
        chosen = [plans[n] for n in timeline.names]
        currency = subscription_currency(chosen)
        priced = [p for p in chosen if p.currency != NO_CURRENCY]
        for plan in priced[1:]:
            if plan.currency != currency:
                error(f"customer {name}: plan {plan.name} is priced in {plan.currency} but "
                      f"the subscription started on {priced[0].name} in {currency}",
                      hint="one subscription is invoiced in one currency")
        for plan in {p.name: p for p in chosen}.values():
            for what, price, rule_span in _prices(plan):
                if price.currency != plan.currency and plan.currency != NO_CURRENCY:
                    errors.append(Diagnostic(
                        f"plan {plan.name}: {what} is priced in {price.currency} but the plan "
                        f"is invoiced in {plan.currency}", span=rule_span,
                        hint="every price of a plan must be in the plan's currency"))
        for plan in chosen:
            if plan.fee is not None and plan.fee.negotiated and sub.fee is None:
                error(f"customer {name}: plan {plan.name} has a negotiated fee, but the "
                      f"subscription does not state its fee",
                      expected=f"fee = \"<amount> {plan.currency}\" in the subscription")
        if sub.fee is not None and sub.fee.currency != currency:
            error(f"customer {name}: the subscription's fee is in {sub.fee.currency} but plan "
                  f"{chosen[0].name} is priced in {currency}")
        if sub.end is not None and sub.end < sub.start:
            error(f"customer {name}: the subscription ends before it starts")
        for purchase in sub.packs:
            plan = plans[timeline.plan_at(purchase.bought)]
            product = _find_pack(plan, purchase.pack)
            if product is None:
                others = [p.name for n in names for p in plans[n].packs]
                error(f"customer {name}: plan {plan.name} sells no pack '{purchase.pack}'",
                      hint=did_you_mean(purchase.pack, others))
            elif product.price is not None and product.price.currency != currency:
                error(f"customer {name}: pack '{product.name}' is priced in "
                      f"{product.price.currency} but plan {plan.name} is invoiced in {currency}",
                      hint="a pack must be sold in the plan's currency")
        credit_names = {c.name for n in names for c in plans[n].aggregate_credits}
        for claim in sub.claims:
            parsed = parse_period_key(claim.period)
            if isinstance(parsed, str):
                error(f"customer {name}: claim for unknown period '{claim.period}' ({parsed})",
                      expected=PERIOD_KEY_FORMS)
            if claim.credit is not None and claim.credit not in credit_names:
                error(f"customer {name}: claim for unknown credit '{claim.credit}'",
                      hint=did_you_mean(claim.credit, credit_names)
                      or f"the plans' credits: {', '.join(sorted(credit_names)) or 'none'}")
        return errors, timeline

    def _check_stated_fee(self, name: str, sub: Subscription) -> None:
        """A stated fee only replaces "from" and negotiated prices; say when it is unused."""
        if sub.fee is None:
            return
        plans = [self.catalog.plans[n] for n in (sub.plan, *(c.plan for c in sub.changes))]
        if not any(p.fee is not None and (p.fee.from_price or p.fee.negotiated) for p in plans):
            self._warn(f"customer {name}: the subscription states a fee of {money_text(sub.fee)}, "
                       f"but its "
                       f"plans have fixed prices; the published fees are invoiced", sub.source)

    # ----------------------------------------------------------------- helpers

    def _warn(self, message: str, span: SourceSpan | None = None, *, once: str | None = None,
              hint: str | None = None) -> None:
        if once is not None:
            if once in self._warned:
                return
            self._warned.add(once)
        self._diagnostics.append(Diagnostic(message, span=span, severity="warning", hint=hint))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def calendar(self, name: str, zone: str = "UTC") -> CalendarLike | None:
        """The calendar named by a plan or target (None for an unknown name)."""
        key = f"{name}@{zone}" if name == ALWAYS_OPEN_NAME else name
        if key not in self._calendars:
            rule = self.catalog.calendars.get(name)
            if rule is not None:
                self._calendars[key] = self._source.from_rule(rule)
            elif name == ALWAYS_OPEN_NAME:
                self._calendars[key] = self._source.always(zone)
            else:
                self._calendars[key] = None
        return self._calendars[key]

    def session_terms(self, plan: Plan, kind: str, express: bool,
                      attributes: Mapping[str, str]) -> int:
        """The number of the terms (rate, overhead, surcharges) that bill a session.

        Picked once per distinct (plan, kind, express, values of the attributes the plan's
        rates and surcharges test): most sessions repeat a few combinations, and picking by
        precedence is the costly part. ``attributes`` needs only those attributes.
        """
        tested = self._tested[plan.name]
        key = (plan.name, kind, express, tuple(map(attributes.get, tested)))
        number = self._terms_cache.get(key)
        if number is None:
            rate = select_rate(plan, kind, attributes)
            overhead = select_overhead(plan, kind)
            terms = _Terms(
                plan, kind, rate, overhead.seconds if overhead is not None else 0,
                select_surcharge(plan, OUT_OF_HOURS, attributes),
                select_surcharge(plan, EXPRESS, attributes) if express else None)
            number = self._terms_number.get(terms.identity)
            if number is None:
                number = self._terms_number[terms.identity] = len(self._terms)
                self._terms.append(terms)
            if len(self._terms_cache) >= _TERMS_CACHE_LIMIT:
                self._terms_cache.clear()
            self._terms_cache[key] = number
        return number

    def terms(self, number: int) -> _Terms:
        return self._terms[number]

    def zone_number(self, zone: dt.tzinfo | None) -> int:
        """A number for a session start's tzinfo, so the start can be rebuilt exactly (same
        instant, same offset) from its epoch seconds."""
        number = self._zone_numbers.get(zone)
        if number is None:
            number = self._zone_numbers[zone] = len(self._zones)
            self._zones.append(zone)
        return number

    def session_start(self, log: _WorkLog, index: int) -> dt.datetime:
        """A collected session's start as the scenario gave it."""
        return dt.datetime.fromtimestamp(log.starts[index], self._zones[log.zones[index]])

    def session_calendar(self, terms: _Terms, zone: ZoneInfo) -> CalendarLike | None:
        """The calendar that cuts a session in and out of hours (None: not cut)."""
        return self.calendar(terms.calendar, str(zone.key)) if terms.split else None

    def zone_of(self, plan: Plan) -> ZoneInfo:
        """Billing periods are calendar periods in the plan calendar's zone (UTC for 24/7)."""
        return self._zone_of[plan.name]

    def _allowance_of(self, plan: Plan) -> AllowanceFn:
        zone = str(self.zone_of(plan).key)

        def allowance(target: TargetLike) -> Decimal:
            if target.clock in TIME_CLOCKS:
                return Decimal(target.allowance.seconds)
            cal = self.calendar(target.calendar, zone)
            if cal is None:
                return Decimal(str((target.deadline - target.start).total_seconds()))
            unpaused = cal.deadline(target.start, target.allowance)
            return Decimal(str(cal.measured(target.start, unpaused, target.clock).total_seconds()))

        return allowance

    # ----------------------------------------------------------------- streaming

    def add(self, ticket: Ticket, result: TicketResult) -> None:
        """Collect one ticket's sessions, allowance hits, missed guarantees and aggregates."""
        cust = self._customers.get(ticket.customer)
        if cust is None:
            if ticket.customer not in self.header.subscriptions:
                self._warn(f"ticket {ticket.id}: customer {ticket.customer} has no "
                           f"subscription; its work is not billed", ticket.source,
                           once=f"nosub:{ticket.customer}")
            return
        self._collect_sessions(cust, ticket)
        plan_name = result.plan or cust.plan_at(ticket.created)
        plan = self.catalog.plans.get(plan_name)
        if plan is None:
            return
        if plan.currency not in (cust.currency, NO_CURRENCY):
            self._warn(f"ticket {ticket.id}: plan {plan.name} is priced in {plan.currency}, "
                       f"customer {ticket.customer} is invoiced in {cust.currency}; its "
                       f"allowances and credits are left out", ticket.source,
                       once=f"currency:{ticket.customer}:{plan.name}")
            return
        if not (plan.allowances or plan.incident_credits or plan.aggregate_credits):
            return  # nothing of this plan counts tickets: only the sessions matter
        attributes = ticket.attributes(result.priority)
        for index, rule in enumerate(plan.allowances):
            if rule.condition.matches(attributes):
                key = (plan.name, index, period_span(ticket.created, rule.period,
                                                     self.zone_of(plan)).key)
                cust.allowances.setdefault(key, []).append(
                    _AllowanceHit(ticket.created, ticket.id, self._next_seq()))
        for target in result.targets:
            if status_name(target) != "BREACHED" or not target.guaranteed:
                continue
            credit = incident_credit_for(plan, target, attributes)
            if credit is None:
                continue
            cust.grants.append(IncidentGrant(
                ticket.customer, ticket.id, plan.name, target.metric, target.rule,
                ticket.created, target.deadline, credit.remedy, credit.span, self._next_seq()))
        if plan.aggregate_credits:
            self._book.add(ticket.customer, plan, self.zone_of(plan), ticket.created,
                           attributes, result.targets, self._allowance_of(plan))

    def _collect_sessions(self, cust: _Customer, ticket: Ticket) -> None:
        priority = ticket.priority
        plans = self.catalog.plans
        fixed = cust.fixed_plan
        tested = self._tested
        log = cust.work
        for event in ticket.events:
            kind = event.kind
            if kind is not _WORK:
                if kind is _PRIORITY_CHANGED and event.priority is not None:
                    priority = event.priority
                continue
            work = event.work
            if work is None:
                continue
            span = event.source or ticket.source
            if work.seconds < 0:
                self._errors.append(Diagnostic(
                    f"ticket {ticket.id}: work session at {event.at.isoformat()} has a "
                    f"negative duration ({format_seconds(work.seconds)})", span=span,
                    expected="a duration of zero or more"))
                continue
            if work.seconds > DAY:
                self._warn(f"ticket {ticket.id}: work session at {event.at.isoformat()} lasts "
                           f"{format_seconds(work.seconds)} (over 24 h); billed as given", span)
            at = event.at
            plan = fixed if fixed is not None else plans[cust.plan_at(at)]
            # the attributes as of this session; built only when the plan's rules test any
            attrs = ticket.attributes(priority) if tested[plan.name] else _NO_ATTRIBUTES
            number = self.session_terms(plan, work.kind, ticket.express, attrs)
            start = timestamp(at)
            # keep the span only where settling may warn: no rate, outside the invoiced
            # periods (cust.period_at(start) is None), or charged although a pack was
            # bought later
            keep = (self._terms[number].rate is None
                    or not cust.bounds_from <= start < cust.bounds_until
                    or start < cust.last_pack)
            zone = self._zone_numbers.get(at.tzinfo)
            if zone is None:
                zone = self.zone_number(at.tzinfo)
            log.add(start, zone, work.seconds, number, ticket.id, span, keep)

    # ----------------------------------------------------------------- settling

    def finish(self) -> MoneyResult:
        """Invoices per customer and period, credits with their status, and warnings."""
        if self._errors:
            raise ScenarioError([*self._errors, *self._diagnostics])
        invoices: list[Invoice] = []
        credits: list[CreditRecord] = []
        aggregates: dict[str, list[_Aggregate]] = {}
        for key, span, groups in self._book.items():
            aggregates.setdefault(key.customer, []).append((key, span, groups))
        for name in sorted(self._customers):
            settled = _Settlement(self, self._customers[name], aggregates.get(name, []))
            inv, cred = settled.run()
            invoices.extend(inv)
            credits.extend(cred)
        return MoneyResult(tuple(invoices), tuple(credits), tuple(self._diagnostics))


# --------------------------------------------------------------------------- settlement


class _Settlement:
    """Settles one customer: fees, aggregates, balances, sessions, allowances, credits."""

    def __init__(self, ledger: Ledger, cust: _Customer,
                 aggregates: Sequence[_Aggregate]) -> None:
        self.ledger = ledger
        self.cust = cust
        self.plans = ledger.catalog.plans
        self.aggregates = aggregates
        self.lines: list[list[InvoiceLine | LineGroup]] = [[] for _ in cust.periods]
        self.fees: list[Money] = [Money.zero(cust.currency)] * len(cust.periods)  # immutable
        self.records: list[CreditRecord] = []
        self.pending: list[_PendingCredit] = []
        self.balances: list[Balance] = []
        self.drawable: list[Balance] = []  # the balances of the period being billed
        self.suppressing: list[PeriodSpan] = []
        self.used_claims: set[int] = set()
        self._fee_cache: dict[str, tuple[Money, str, tuple[str, ...]]] = {}
        self._fee_ids: dict[str, int] = {}
        self.name = cust.sub.customer

    def run(self) -> tuple[list[Invoice], list[CreditRecord]]:
        self._fees()
        self._minimum_term()
        self._aggregate_credits()
        self._incident_credits()
        self._included_hours()
        self._packs()
        self._sessions()
        self._allowances()
        invoices = self._apply_credits()
        self._unused_claims()
        return invoices, self.records

    def _unused_claims(self) -> None:
        """A claim that matched no eligible credit is worth a word: maybe a wrong period."""
        for claim in self.cust.sub.claims:
            if id(claim) in self.used_claims:
                continue
            which = f" for credit {claim.credit}" if claim.credit else ""
            self.ledger._warn(
                f"customer {self.name}: the claim of {claim.at.isoformat()} for period "
                f"{claim.period}{which} matches no eligible credit (none fired for that "
                f"period, or the claim is outside its window); nothing is owed for it",
                self.cust.sub.source)

    # ----------------------------------------------------------------- fees

    def _fee_of(self, plan: Plan) -> tuple[Money, str, tuple[str, ...]]:
        """A plan's fee per billing period of this customer, how it was set, and flags
        (worked out once per plan: it is the same for every period)."""
        found = self._fee_cache.get(plan.name)
        if found is None:
            found = self._fee_cache[plan.name] = self._work_out_fee(plan)
        return found

    def _fee_id(self, plan: Plan) -> int:
        """A number for this customer's fee terms of a plan (currency, amount, how, flags),
        the same for every customer whose fee lines read alike: with the period's key it
        names a shared fee line (a small key, cheap to hash once per period)."""
        found = self._fee_ids.get(plan.name)
        if found is None:
            amount, how, flags = self._fee_of(plan)
            terms = self.ledger._fee_terms
            found = self._fee_ids[plan.name] = terms.setdefault(
                (plan.name, self.cust.currency, amount, how, flags), len(terms))
        return found

    def _work_out_fee(self, plan: Plan) -> tuple[Money, str, tuple[str, ...]]:
        sub, cust = self.cust.sub, self.cust
        fee = plan.fee
        if fee is None:
            return Money.zero(self.cust.currency), "free plan", ("free",)
        flags: tuple[str, ...] = ()
        if fee.negotiated:
            assert sub.fee is not None  # checked up front
            amount = sub.fee
            how = f"negotiated fee {money_text(sub.fee)} per {fee.period.value}"
        elif fee.from_price and sub.fee is not None:
            assert fee.amount is not None
            amount = sub.fee
            how = f"agreed fee {money_text(sub.fee)} (published from {money_text(fee.amount)})"
            flags = ("agreed fee",)
        elif fee.from_price:
            assert fee.amount is not None
            amount = fee.amount
            how = f"from {money_text(fee.amount)} per {fee.period.value} (stated base)"
            flags = ("from price",)
        else:
            assert fee.amount is not None
            amount, how = fee.amount, f"{money_text(fee.amount)} per {fee.period.value}"
        if fee.period is not cust.period:
            amount = amount.times(Decimal(cust.period.months) / Decimal(fee.period.months))
            how += f", × {cust.period.months}/{fee.period.months} for a {cust.period.value}"
            self.ledger._warn(
                f"customer {self.name}: plan {plan.name} is billed per {fee.period.value} but "
                f"the subscription's billing period is the {cust.period.value}; the fee is "
                f"converted by months", fee.span, once=f"period:{self.name}:{plan.name}")
        return amount, how, flags

    def _fees(self) -> None:
        """One fee per period, of the plan in force at its start; a period holding a
        prorated change is split by days instead (docs/money.md "Fees")."""
        cust = self.cust
        shared = self.ledger._fee_lines
        fee_plan, fee_id = None, 0  # the plan whose fee terms' number is fee_id
        for i, period in enumerate(cust.periods):
            plan = cust.period_plans[i]
            if not cust.timeline.switches:
                # The common case, one plan all along: the line, and the period's fee (zero
                # plus the line), are the same for every customer with the same fee terms
                # (currency included), so they are built once and shared.
                if plan is not fee_plan:
                    fee_plan, fee_id = plan, self._fee_id(plan)
                key = (fee_id, period.key)
                found = shared.get(key)
                if found is None:
                    amount, how, flags = self._fee_of(plan)
                    line = self._fee_line(plan, period, amount, how, flags)
                    found = shared[key] = (line, self.fees[i] + line.amount)
                line, fee = found
                self.lines[i].append(line)
                self.fees[i] = fee
                continue
            segments, cuts = self._prorated_segments(period, plan.name)
            days_total = (period.end.date() - period.start.date()).days
            for seg_plan_name, days in segments:
                seg_plan = self.plans[seg_plan_name]
                amount, how, flags = self._fee_of(seg_plan)
                if not cuts:
                    line = self._fee_line(seg_plan, period, amount, how, flags)
                    self.lines[i].append(line)
                    self.fees[i] = self.fees[i] + line.amount
                    continue
                text = f"fee {seg_plan.title or seg_plan.name} {period.key}"
                rule = _clause_span(seg_plan, "fee",
                                    seg_plan.fee.span if seg_plan.fee is not None else None)
                # The price is the fee's, the split is the prorating change clause's:
                # the line cites the clause, its explanation the fee.
                last = cuts[-1]
                amount = amount.times(Decimal(days) / Decimal(days_total))
                how += (f"{_at_ref(rule)}, prorated {days}/{days_total} days: "
                        + "; ".join(f"{c.left} → {c.plan} on "
                                    f"{c.effective.astimezone(cust.zone).date()}"
                                    for c in cuts)
                        + " (plan changes prorated)")
                text += f" ({days} of {count_text(days_total, 'day')})"
                rule = _clause_span(self.plans[last.left], "plan change", None)
                line = InvoiceLine(LineKind.FEE, text, amount.rounded(), how, rule, flags=flags)
                self.lines[i].append(line)
                self.fees[i] = self.fees[i] + line.amount

    @staticmethod
    def _fee_line(plan: Plan, period: PeriodSpan, amount: Money, how: str,
                  flags: tuple[str, ...]) -> InvoiceLine:
        """The fee line of a period paid by one plan alone."""
        rule = _clause_span(plan, "fee", plan.fee.span if plan.fee is not None else None)
        return InvoiceLine(LineKind.FEE, f"fee {plan.title or plan.name} {period.key}",
                           amount.rounded(), how, rule, flags=flags)

    def _prorated_segments(self, period: PeriodSpan, start_plan: str
                           ) -> tuple[list[tuple[str, int]], list[PlanSwitch]]:
        """(plan, days) for each part of a period split by prorated changes (the whole
        period otherwise), and the changes that split it. Days are local dates: the day of
        the change counts for the new plan."""
        days_total = (period.end.date() - period.start.date()).days
        cuts = [s for s in self.cust.timeline.switches
                if s.rule is PlanChange.PRORATED and period.start < s.effective < period.end]
        if not cuts:
            return [(start_plan, days_total)], []
        out: list[tuple[str, int]] = []
        day, plan = period.start.date(), start_plan
        for switch in cuts:
            cut_day = switch.effective.astimezone(self.cust.zone).date()
            if cut_day > day:
                out.append((plan, (cut_day - day).days))
                day = cut_day
            plan = switch.plan
        out.append((plan, (period.end.date() - day).days))
        return out, cuts

    def _minimum_term(self) -> None:
        """Ending before the minimum term charges the remaining periods on the last invoice."""
        cust = self.cust
        if not cust.ended or not cust.periods:
            return
        last = len(cust.periods) - 1
        plan_name = cust.plan_at(cust.periods[last].start)
        plan = self.plans[plan_name]
        if plan.minimum_term_periods <= 0:
            return
        served = 0
        for period in reversed(cust.periods):
            if cust.plan_at(period.start) != plan_name:
                break
            served += 1
        remaining = plan.minimum_term_periods - served
        if remaining <= 0:
            return
        amount, how, flags = self._fee_of(plan)
        unit = cust.period.value
        self.lines[last].append(InvoiceLine(
            LineKind.MINIMUM_TERM, f"minimum term: {count_text(remaining, 'remaining period')}",
            amount.times(remaining).rounded(),
            f"minimum term {count_text(plan.minimum_term_periods, unit)}, {served} billed → "
            f"{remaining} × {money_text(amount)} ({how})",
            _clause_span(plan, "minimum term", None), flags=flags))

    # ----------------------------------------------------------------- credits

    def _credited_fee(self, span: PeriodSpan) -> Money:
        """The fees of the billing periods that start within a credited period."""
        total = Money.zero(self.cust.currency)
        for period, fee in zip(self.cust.periods, self.fees, strict=True):
            if span.start <= period.start < span.end:
                total = total + fee
        return total

    def _due(self, due: dt.datetime) -> tuple[CreditStatus, str | None]:
        index = self.cust.first_invoice_from(due)
        if index is None:
            return CreditStatus.OWED, None
        return CreditStatus.APPLIED, self.cust.periods[index].key

    def _aggregate_credits(self) -> None:
        ledger, cust = self.ledger, self.cust
        as_of = ledger.as_of
        for key, span, groups in self.aggregates:
            plan = self.plans[key.plan]
            credit = plan.aggregate_credits[key.index]
            fee = self._credited_fee(span)
            outcomes = [evaluate_group(credit, g, s) for g, s in sorted(groups.items())]
            fired = [o for o in outcomes if o.tier_index is not None]
            if not fired:
                continue
            values: list[RemedyValue] = []
            for o in fired:
                assert o.tier_index is not None
                values.append(remedy_value(credit.tiers[o.tier_index].remedy, fee))
            money = sum_money((v.money for v in values if v.money is not None), cust.currency)
            seconds = sum(v.seconds for v in values)
            how = "; ".join(o.how for o in outcomes)
            how += " → " + " + ".join(v.text for v in values)
            uncapped: Money | None = None
            capped = False
            if credit.cap is not None:
                cap = remedy_value(credit.cap, fee)
                if cap.money is not None and money > cap.money:
                    uncapped, money, capped = money, cap.money, True
                    how += f"; capped at {cap.text}"
                if credit.cap.kind is RemedyKind.FREE_HOURS and seconds > cap.seconds:
                    seconds, capped = cap.seconds, True
                    how += f"; capped at {cap.text}"
            money = money.rounded()
            if credit.sole_remedy:
                self.suppressing.append(span)
            claim_by: dt.date | None = None
            claimed_at: dt.datetime | None = None
            due = span.end
            if span.end > as_of:
                status, invoice = CreditStatus.PROVISIONAL, None
                if credit.claim_window_days is not None:
                    claim_by = claim_window(span, credit.claim_window_days)[1]
            else:
                status, invoice = CreditStatus.OWED, None
                if credit.claim_window_days is not None:
                    closes, claim_by = claim_window(span, credit.claim_window_days)
                    claim = find_claim(cust.sub.claims, key.period, credit, span,
                                       closes, as_of)
                    if claim is None:
                        # still claimable, or lapsed: the window closed by as_of
                        status = (CreditStatus.UNCLAIMED if closes > as_of
                                  else CreditStatus.EXPIRED)
                    else:
                        self.used_claims.add(id(claim))
                        claimed_at = claim.at
                        due = max(due, claim.at)
                if status not in (CreditStatus.UNCLAIMED, CreditStatus.EXPIRED):
                    status, invoice = self._due(due)
            record = CreditRecord(
                self.name, credit.name, "aggregate", key.period, status,
                amount=money, seconds=seconds, uncapped=uncapped, capped=capped,
                claim_by=claim_by, claimed_at=claimed_at, invoice_period=invoice, how=how,
                rule=_span(credit.span))
            self.records.append(record)
            if status in (CreditStatus.APPLIED, CreditStatus.OWED):
                if money.amount > 0:
                    self.pending.append(_PendingCredit(
                        due, ledger._next_seq(), f"credit {credit.name} {key.period}",
                        money, how, _span(credit.span), len(self.records) - 1))
                if seconds > 0:
                    self.balances.append(Balance(
                        f"credited {format_seconds(seconds)} ({credit.name} {key.period})",
                        frozenset(), due, None, seconds, ledger._next_seq(), _span(credit.span)))

    def _incident_credits(self) -> None:
        ledger, cust = self.ledger, self.cust
        for grant in sorted(cust.grants, key=lambda g: (g.breached_at, g.seq)):
            index = cust.period_index(grant.created)
            period_key = (cust.periods[index].key if index is not None
                          else period_span(grant.created, cust.period, cust.zone).key)
            what = f"missed {grant.metric.value} guarantee on {grant.ticket} ({grant.target})"
            if any(s.contains(grant.created) for s in self.suppressing):
                self.records.append(CreditRecord(
                    self.name, "missed guarantee", "incident", period_key,
                    CreditStatus.SUPPRESSED, seconds=grant.remedy.seconds, ticket=grant.ticket,
                    how=f"{what}: not granted, a sole-remedy credit fired for the period",
                    rule=grant.rule))
                continue
            remedy = grant.remedy
            if remedy.kind is RemedyKind.FREE_HOURS:
                expires = None
                if remedy.expires_after_months is not None:
                    expires = add_months(grant.breached_at.astimezone(cust.zone),
                                         remedy.expires_after_months)
                self.balances.append(Balance(
                    f"free {format_seconds(remedy.seconds)} for {grant.ticket}",
                    frozenset(), grant.breached_at, expires, remedy.seconds,
                    ledger._next_seq(), grant.rule))
                self.records.append(CreditRecord(
                    self.name, "missed guarantee", "incident", period_key,
                    CreditStatus.APPLIED, seconds=remedy.seconds, ticket=grant.ticket,
                    how=f"{what}: {format_seconds(remedy.seconds)} free hours from "
                        f"{grant.breached_at.isoformat()}"
                        + ("" if expires is None else f" until {expires.isoformat()}"),
                    rule=grant.rule))
                continue
            fee = self.fees[index] if index is not None else Money.zero(cust.currency)
            value = remedy_value(remedy, fee)
            assert value.money is not None
            money = value.money.rounded()
            ends = (cust.periods[index].end if index is not None
                    else period_span(grant.created, cust.period, cust.zone).end)
            due = max(ends, grant.breached_at)
            status, invoice = self._due(due)
            if due > ledger.as_of:
                status = CreditStatus.PROVISIONAL
            how = f"{what}: {value.text}"
            self.records.append(CreditRecord(
                self.name, "missed guarantee", "incident", period_key, status, amount=money,
                invoice_period=invoice, ticket=grant.ticket, how=how, rule=grant.rule))
            if status in (CreditStatus.APPLIED, CreditStatus.OWED) and money.amount > 0:
                self.pending.append(_PendingCredit(
                    due, grant.seq, f"credit for {grant.ticket}", money, how, grant.rule,
                    len(self.records) - 1))

    # ----------------------------------------------------------------- balances

    def _included_hours(self) -> None:
        cust = self.cust
        ledger = self.ledger
        granted: set[tuple[int, str]] = set()
        known = ledger._included
        sub_start = cust.sub.start
        sub_start_ts = cust.sub_start_ts
        for i, period in enumerate(cust.periods):
            for rule in cust.period_plans[i].included_hours:
                span = (period if rule.period is cust.period
                        else period_span(period.start, rule.period, cust.zone))
                key = (id(rule), span.key)
                if key in granted:
                    continue
                granted.add(key)
                found = known.get((id(rule), span, cust.zone))
                if found is None:  # the same for every customer in the zone
                    label, expires = _included_label(rule, span, cust.zone)
                    found = known[(id(rule), span, cust.zone)] = (
                        label, expires, span.start.timestamp(), expires.timestamp(),
                        _span(rule.span))
                label, expires, start_ts, expires_ts, where = found
                # max(span.start, sub.start), compared as epoch seconds (the same order)
                acquired, acquired_ts = span.start, start_ts
                if sub_start_ts > start_ts:
                    acquired, acquired_ts = sub_start, sub_start_ts
                self.balances.append(Balance(
                    label, rule.kinds, acquired, expires, rule.seconds, ledger._next_seq(),
                    where, acquired_ts=acquired_ts, expires_ts=expires_ts))

    def _packs(self) -> None:
        cust = self.cust
        for purchase in sorted(cust.sub.packs, key=lambda p: p.bought):
            plan = self.plans[cust.plan_at(purchase.bought)]
            product = _find_pack(plan, purchase.pack)
            assert product is not None  # checked up front
            seconds = purchase.seconds if purchase.seconds is not None else product.seconds
            expires = add_months(purchase.bought.astimezone(cust.zone), product.valid_months)
            bought = purchase.bought.astimezone(cust.zone)
            self.balances.append(Balance(
                f"pack {product.name} {format_seconds(seconds)} bought {bought.date()}",
                product.kinds, purchase.bought, expires, seconds, self.ledger._next_seq(),
                _span(product.span), pack=product.name))
            if product.price is None:
                continue
            index = cust.period_index(purchase.bought)
            if index is None:
                if cust.periods and purchase.bought < cust.periods[0].start:
                    index = 0
                else:
                    self.ledger._warn(
                        f"customer {self.name}: pack '{product.name}' bought "
                        f"{purchase.bought.isoformat()} is outside the invoiced periods; "
                        f"its price is not invoiced", cust.sub.source)
                    continue
            price = product.price
            if purchase.seconds is not None and purchase.seconds != product.seconds:
                price = price.times(Decimal(purchase.seconds) / Decimal(product.seconds))
            self.lines[index].append(InvoiceLine(
                LineKind.PACK, f"pack {product.name} ({format_seconds(seconds)})",
                price.rounded(), f"{format_seconds(seconds)} valid "
                f"{count_text(product.valid_months, 'month')} from {bought.date()}, until "
                f"{expires.date()}",
                _span(product.span), at=purchase.bought))

    # ----------------------------------------------------------------- sessions

    def _sessions(self) -> None:
        """Settle the sessions in order of start: draws from the balances, and each
        period's total; the period's lines are a :class:`_WorkLines` over the settled
        sessions, built when read."""
        ledger, cust = self.ledger, self.cust
        log = cust.work
        current: int | None = None
        first = 0  # position of the first session of the current period
        total = cust.zero.amount
        starts, bounds, draw_end, draw_taken = log.starts, cust.bounds, log.draw_end, log.draw_taken
        lo = hi = 0.0  # bounds of the current period: its sessions skip the search
        for position, index in enumerate(log.sort()):
            start = starts[index]
            period = current if lo <= start < hi else cust.period_at(start)
            if period != current:
                if current is not None:
                    self._add_work(current, first, position, total)
                current, first, total = period, position, cust.zero.amount
                # Sessions come in order of start: what is used up or expired stays so;
                # and what is acquired after this period cannot pay for work in it (the
                # included hours of every period exist from the start: leave them out).
                self.balances = [b for b in self.balances
                                 if b.left > 0 and b.expires_ts > start]
                if period is not None:
                    lo, hi = bounds[period], bounds[period + 1]
                    self.drawable = [b for b in self.balances if b.acquired_ts < hi]
                else:
                    lo = hi = 0.0
            if period is None:
                ends = "" if cust.sub.end is None else str(cust.sub.end.date())
                ledger._warn(
                    f"ticket {log.tickets[index]}: work session at "
                    f"{ledger.session_start(log, index).isoformat()} is outside customer "
                    f"{self.name}'s invoiced periods (subscription {cust.sub.start.date()}.."
                    f"{ends}, as_of {ledger.as_of.date()}); not billed", log.spans.get(index))
            else:
                total += self._settle(index, start)
            draw_end.append(len(draw_taken))  # log.end_session()
        if current is not None:
            self._add_work(current, first, len(log.order), total)

    def _add_work(self, period: int, first: int, end: int, total: Decimal) -> None:
        self.lines[period].append(_WorkLines(self.ledger, self.cust, first, end,
                                             Money(total, self.cust.currency)))

    def _settle(self, index: int, start: float) -> Decimal:
        """Draw one session's billable time from the balances and return its rounded
        amount. The explanation is built by :func:`_session_lines` when read."""
        ledger, cust = self.ledger, self.cust
        log = cust.work
        number = log.terms[index]
        terms = ledger._terms[number]
        rate = terms.rate
        if rate is None:
            ledger._warn(f"plan {terms.plan} has no rate for {terms.kind} work (ticket "
                         f"{log.tickets[index]}); the session is not billed",
                         log.spans.get(index),
                         hint=f"add e.g. 'rate {terms.kind} ... per hour' or "
                              f"'rate {terms.kind} not billed'")
            return cust.zero.amount
        if rate.price_per_hour is None:
            return cust.zero.amount
        kind = terms.kind
        rests: Sequence[int]
        in_hours: tuple[bool, ...]
        if terms.split:
            parts = _billables(start, ledger._zones[log.zones[index]], log.seconds[index],
                               terms.overhead, rate, ledger.session_calendar(terms, cust.zone))
            rests = [self._draw_part(index, part, billable, kind, start)
                     for part, (billable, _inside) in enumerate(parts)]
            if not any(rests):
                return cust.zero.amount
            in_hours = tuple(inside for _b, inside in parts)
        else:
            # not cut at the hours: one part in hours, as _billables gives it without a
            # calendar (the common case, so without the lists of the general one)
            billable = round_up(log.seconds[index] + terms.overhead, rate.increment_seconds)
            rest = self._draw_part(index, 0, billable, kind, start)
            if not rest:
                return cust.zero.amount
            rests, in_hours = (rest,), _IN_HOURS
        if start < cust.last_pack:
            self._warn_pack_later(index, start, kind)
        # the same few charges recur (whole increments of a few rates): priced once each
        key = (cust.currency, number, tuple(rests), in_hours)
        amount = ledger._charged.get(key)
        if amount is None:
            unrounded, _ = _charge(rate.price_per_hour, in_hours, rests, terms)
            amount = Money(unrounded, cust.currency).rounded().amount
            if len(ledger._charged) >= _TERMS_CACHE_LIMIT:
                ledger._charged.clear()
            ledger._charged[key] = amount
        return amount

    def _draw_part(self, index: int, part: int, billable: int, kind: str, start: float) -> int:
        """Draw one part of a session from the balances; the seconds left to charge."""
        if not self.drawable:
            return billable  # what _draw leaves when there is nothing to draw from
        cust = self.cust
        log = cust.work
        draws, rest = _draw(self.drawable, kind, start, billable)
        for bal, taken in draws:
            log.record_draw(part, bal, taken)
            cust.drawn[bal.seq] = bal
        return rest

    def _warn_pack_later(self, index: int, start: float, kind: str) -> None:
        """Tell when a pack that covers the kind was bought only after the session."""
        if start >= self.cust.last_pack:
            return
        log = self.cust.work
        for bal in self.balances:
            if bal.pack is not None and bal.covers(kind) and bal.acquired_ts > start:
                self.ledger._warn(
                    f"ticket {log.tickets[index]}: {kind} session at "
                    f"{self.ledger.session_start(log, index).isoformat()} was charged: "
                    f"{bal.label} was bought later ({bal.acquired.isoformat()}) and cannot pay "
                    f"for earlier work", log.spans.get(index))
                return

    # ----------------------------------------------------------------- allowances

    def _allowances(self) -> None:
        cust = self.cust
        for (plan_name, index, key), hits in sorted(cust.allowances.items()):
            rule = self.plans[plan_name].allowances[index]
            for n, hit in enumerate(sorted(hits, key=lambda h: (h.created, h.seq)), start=1):
                if n <= rule.count:
                    continue
                where = cust.period_index(hit.created)
                if where is None:
                    continue
                self.lines[where].append(InvoiceLine(
                    LineKind.ALLOWANCE, f"ticket {hit.ticket} ({rule.condition})",
                    rule.fee_each.rounded(),
                    f"ticket {n} of {key} {rule.condition}: {rule.count} free per "
                    f"{rule.period.value}, then {money_text(rule.fee_each)} each",
                    _span(rule.span), hit.ticket, hit.created))

    # ----------------------------------------------------------------- invoices

    def _apply_credits(self) -> list[Invoice]:
        """Put credits on the first invoice due; never below zero unless refunds are paid."""
        cust = self.cust
        zero = cust.zero  # Money.zero(cust.currency).rounded()
        by_period: dict[int, list[_PendingCredit]] = {}
        applied_at: dict[int, str] = {}
        for item in sorted(self.pending, key=lambda p: (p.due, p.seq)):
            index = cust.first_invoice_from(item.due)
            if index is not None:
                by_period.setdefault(index, []).append(item)
        carry = zero
        invoices: list[Invoice] = []
        vat_spans: dict[str, SourceSpan | None] = {}
        for i, period in enumerate(cust.periods):
            plan = cust.period_plans[i]
            lines = self.lines[i]
            amounts = [line.amount if isinstance(line, InvoiceLine) else line.total
                       for line in lines]
            due_here = by_period.get(i, ())
            if not due_here and not carry.amount > 0:
                # nothing to take from this invoice: its total is not needed (only the
                # check that summing it would not mix currencies)
                check_currency(amounts, cust.currency)
                invoices.append(self._invoice(period, plan, lines, None, vat_spans))
                continue
            room = sum_money(amounts, cust.currency)
            paid_out = plan.refunds_paid_out
            if carry.amount > 0:
                take = carry if paid_out else min(carry, max(room, zero))
                if take.amount > 0:
                    lines.append(InvoiceLine(LineKind.CREDIT, "credit brought forward", -take,
                                             f"{money_text(carry)} carried from earlier "
                                             f"invoices"))
                    room = room - take
                    carry = carry - take
            for item in due_here:
                take = item.amount if paid_out else min(item.amount, max(room, zero))
                rest = item.amount - take
                how = item.how
                if rest.amount > 0:
                    how += f"; {money_text(take)} applied, {money_text(rest)} carried forward"
                lines.append(InvoiceLine(LineKind.CREDIT, item.text, -take, how, item.rule))
                room = room - take
                carry = carry + rest
                applied_at.setdefault(item.record, period.key)
            if carry.amount > 0:
                lines.append(InvoiceLine(
                    LineKind.CARRIED_FORWARD, f"credit carried forward: {money_text(carry)}", zero,
                    "credits exceed this invoice; the rest goes on the next one"))
            invoices.append(self._invoice(period, plan, lines,
                                          carry if carry.amount > 0 else None, vat_spans))
        for index, key in applied_at.items():
            self.records[index] = evolve(self.records[index], invoice_period=key)
        return invoices

    def _invoice(self, period: PeriodSpan, plan: Plan, lines: list[InvoiceLine | LineGroup],
                 carried: Money | None, vat_spans: dict[str, SourceSpan | None]) -> Invoice:
        """The invoice of one period; ``vat_spans`` remembers each plan's VAT clause."""
        if plan.name not in vat_spans:  # the same for every period of the plan
            vat_spans[plan.name] = _clause_span(plan, "vat", None)
        return Invoice(self.name, plan.name, period.key, period.start, period.end,
                       self.cust.currency, tuple(lines), plan.vat, vat_spans[plan.name],
                       carried)


class _WorkLines:
    """The work sessions billed on one invoice (an ``invoices.LineGroup``): positions
    ``first..end`` of the customer's settled :class:`_WorkLog`, and their total. The lines
    (draws, then the work line, per session) are built on each read."""

    __slots__ = ("_cust", "_end", "_first", "_ledger", "total")

    def __init__(self, ledger: Ledger, cust: _Customer, first: int, end: int,
                 total: Money) -> None:
        self._ledger = ledger
        self._cust = cust
        self._first = first
        self._end = end
        self.total = total

    def lines(self) -> Iterator[InvoiceLine]:
        for position in range(self._first, self._end):
            yield from _session_lines(self._ledger, self._cust, position)


def _session_lines(ledger: Ledger, cust: _Customer, position: int) -> list[InvoiceLine]:
    """The explained lines of one settled session: its draws from balances, then the work
    line with the amount (the same amount :meth:`_Settlement._settle` added up)."""
    log = cust.work
    index = log.order[position]
    start = ledger.session_start(log, index)
    seconds, ticket = log.seconds[index], log.tickets[index]
    terms = ledger.terms(log.terms[index])
    kind = terms.kind
    local = start.astimezone(cust.zone)
    title = f"{kind} {ticket} {local:%Y-%m-%d %H:%M}"
    zero = cust.zero
    rate = terms.rate
    if rate is None:
        return [InvoiceLine(LineKind.WORK, title, zero, f"{format_seconds(seconds)}"
                            f"; no rate for {kind} in plan {terms.plan}",
                            None, ticket, start, flags=("no rate",))]
    if rate.price_per_hour is None:
        return [InvoiceLine(LineKind.WORK, title, zero,
                            f"{format_seconds(seconds)}, not billed and draws no "
                            f"hours", _span(rate.span), ticket, start,
                            flags=("not billed",))]
    price = rate.price_per_hour
    split = terms.split
    calendar = ledger.session_calendar(terms, cust.zone)
    parts = billable_parts(start, seconds, terms.overhead, rate, calendar, calendar is not None)
    labelled = len(parts) > 1 or (split and not parts[0].in_hours)
    billable = sum(p.billable for p in parts)
    lines: list[InvoiceLine] = []
    rests = [p.billable for p in parts]
    for d in log.draws(position):
        bal = cust.drawn[log.draw_seq[d]]
        taken, left = log.draw_taken[d], log.draw_left[d]
        rests[log.draw_part[d]] -= taken
        lines.append(InvoiceLine(
            LineKind.DRAW, f"{bal.label}: {format_seconds(taken)} for {ticket}",
            zero, f"drew {format_seconds(taken)}, {format_seconds(left)} left",
            bal.rule, ticket, start,
            draw=BalanceDraw(bal.label, taken, left, bal.expires)))
    charged = sum(rests)
    amount, charged_by = _charge(price, [p.in_hours for p in parts], rests, terms)
    money_how: list[str] = []
    for (factor, notes_text), rest in charged_by.items():
        text = f"{format_seconds(rest)} at {money_text(price)}/h"
        if notes_text:
            text += f" × {_plain(factor * 100)}% ({notes_text})"
        money_how.append(text)
    how = "; ".join(p.how(labelled) for p in parts)
    if len(parts) > 1:
        how += f"; billable {format_seconds(billable)}"
    drawn = billable - charged
    if drawn:
        how += f"; {format_seconds(drawn)} from balances"
    how += "; " + (" + ".join(money_how) if money_how else "nothing charged")
    flags: tuple[str, ...] = ()
    if terms.express is not None:
        flags += ("express",)
    if any(not p.in_hours for p in parts) and split:
        flags += ("out of hours",)
    lines.append(InvoiceLine(LineKind.WORK, title, Money(amount, cust.currency).rounded(),
                             how, _span(rate.span), ticket, start, flags=flags))
    return lines


def _included_label(rule: IncludedHours, span: PeriodSpan, zone: ZoneInfo
                    ) -> tuple[str, dt.datetime]:
    """The label of a balance of included hours, and when it expires (after rollovers)."""
    expiry = span
    for _ in range(rule.rollover_periods):
        expiry = next_span(expiry, rule.period, zone)
    kinds = ", ".join(sorted(rule.kinds)) or "all work"
    label = f"included {format_seconds(rule.seconds)} {span.key} ({kinds})"
    if rule.rollover_periods:
        label += f", rolls over {rule.rollover_periods}"
    return label, expiry.end


def _find_pack(plan: Plan, name: str) -> PackProduct | None:
    for product in plan.packs:
        if product.name == name:
            return product
    return None


def _span(span: SourceSpan | None) -> SourceSpan | None:
    return span if span is not None and span.line > 0 else None


def _clause_span(plan: Plan, clause: str, own: SourceSpan | None) -> SourceSpan | None:
    """Where a plan-level clause (``fee``, ``vat``, ``minimum term``, ``plan change``) was
    written, for the lines it produces: ``plan.span_of`` when the compiler recorded it, else
    the clause object's own span (``own``), else the plan's header."""
    if clause in plan.clause_spans:
        return _span(plan.clause_spans[clause])
    return _span(own) or _span(plan.span)


def _at_ref(span: SourceSpan | None) -> str:
    """`` (plans/x.plan:12)`` to cite a rule inside an explanation; empty when unknown."""
    return f" ({span.file}:{span.line})" if span is not None else ""


def _signed(value: Decimal) -> str:
    return f"+{_plain(value)}%" if value >= 0 else f"{_plain(value)}%"


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text




def _prices(plan: Plan) -> list[tuple[str, Money, SourceSpan | None]]:
    """Every fixed price of a plan, to check currencies before any sum can fail."""
    out: list[tuple[str, Money, SourceSpan | None]] = []
    if plan.fee is not None and plan.fee.amount is not None:
        out.append(("the fee", plan.fee.amount, plan.fee.span))
    for rate in plan.rates:
        if rate.price_per_hour is not None:
            out.append(("a rate", rate.price_per_hour, rate.span))
    for allowance in plan.allowances:
        out.append(("an allowance fee", allowance.fee_each, allowance.span))
    for credit in plan.incident_credits:
        if credit.remedy.money is not None:
            out.append(("a credit", credit.remedy.money, credit.span))
    for aggregate in plan.aggregate_credits:
        for tier in aggregate.tiers:
            if tier.remedy.money is not None:
                out.append((f"credit {aggregate.name}", tier.remedy.money, tier.span))
        if aggregate.cap is not None and aggregate.cap.money is not None:
            out.append((f"the cap of {aggregate.name}", aggregate.cap.money, aggregate.span))
    return out


__all__ = [
    "Balance",
    "CalendarLike",
    "CalendarSource",
    "Ledger",
    "SessionPart",
    "billable_parts",
    "draw",
    "round_up",
    "select_overhead",
    "select_rate",
    "select_surcharge",
    "split_at_hours",
]

"""Credits the vendor owes (SPEC 3.4): per missed guarantee, and per period on aggregates.

The ledger feeds this module one ticket result at a time. Per-incident credits are kept as
small records (one per missed guarantee) and aggregates as running sums per customer,
plan, credit, period and group, so memory does not grow with the ticket count beyond the
breaches themselves. Everything that depends on the whole period (which tier fires, the
cap, the claim, "sole remedy") is decided in :meth:`AggregateBook.evaluate` once all
tickets have been seen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from attrs import define, frozen

from tierwise.engine.errors import SourceSpan
from tierwise.engine.invoices import count_text, money_text
from tierwise.engine.model import (
    AggregateCredit,
    IncidentCredit,
    Measure,
    Metric,
    Period,
    Plan,
    Remedy,
    RemedyKind,
)
from tierwise.engine.precedence import applicable
from tierwise.engine.quantities import Clock, Money, TargetTime, format_seconds
from tierwise.engine.scenario import Claim

#: Clocks whose allowance is a number of seconds; the others count days.
TIME_CLOCKS = frozenset({Clock.BUSINESS_TIME, Clock.CALENDAR_TIME})
#: Group key value for an attribute the ticket does not have.
NO_VALUE = "(none)"


class TargetLike(Protocol):
    """What credits read from a target result (``tierwise.engine.results.TargetResult``)."""

    @property
    def metric(self) -> Metric: ...
    @property
    def guaranteed(self) -> bool: ...
    @property
    def measured(self) -> dt.timedelta: ...
    @property
    def start(self) -> dt.datetime: ...
    @property
    def deadline(self) -> dt.datetime: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def allowance(self) -> TargetTime: ...
    @property
    def priority(self) -> str | None: ...
    @property
    def calendar(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def status(self) -> object: ...


def status_name(target: TargetLike) -> str:
    """The status as an upper-case name (``BREACHED``), whatever enum carries it."""
    status = target.status
    name = getattr(status, "name", None)
    return str(name if name is not None else status).upper()


# --------------------------------------------------------------------------- periods


@frozen(order=True, cache_hash=True)  # a key of several per-ledger caches: hashed often
class PeriodSpan:
    """One calendar period in a zone: ``key`` as claims spell it, ``[start, end)`` local."""

    start: dt.datetime
    end: dt.datetime
    key: str

    def contains(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end


def add_months(local: dt.datetime, months: int) -> dt.datetime:
    """The same wall time ``months`` later, the day clamped to the month's length."""
    index = local.year * 12 + (local.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_length(year, month)
    return local.replace(year=year, month=month, day=min(local.day, last))


def _month_length(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


def period_key(start: dt.date, period: Period) -> str:
    if period is Period.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if period is Period.QUARTER:
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def period_span(instant: dt.datetime, period: Period, zone: dt.tzinfo) -> PeriodSpan:
    """The period (in ``zone``) that contains ``instant``."""
    local = instant.astimezone(zone)
    month = local.month
    if period is Period.QUARTER:
        month = (month - 1) // 3 * 3 + 1
    elif period is Period.YEAR:
        month = 1
    start = dt.datetime(local.year, month, 1, tzinfo=zone)
    end = add_months(start, period.months)
    return PeriodSpan(start, end, period_key(start.date(), period))


def next_span(span: PeriodSpan, period: Period, zone: dt.tzinfo) -> PeriodSpan:
    return period_span(span.end, period, zone)


_MONTH_KEY = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_KEY = re.compile(r"^(\d{4})-[Qq](\d+)$")
_YEAR_KEY = re.compile(r"^(\d{4})$")
PERIOD_KEY_FORMS = "YYYY-MM (month 01-12), YYYY-Qn (quarter 1-4) or YYYY (year)"


def parse_period_key(text: str) -> tuple[Period, int, int] | str:
    """``(period, year, first month)`` of a claim's period, or an error message."""
    text = text.strip()
    if m := _MONTH_KEY.match(text):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            return f"month {month} does not exist"
        return Period.MONTH, int(m.group(1)), month
    if m := _QUARTER_KEY.match(text):
        quarter = int(m.group(2))
        if not 1 <= quarter <= 4:
            return f"quarter {quarter} does not exist"
        return Period.QUARTER, int(m.group(1)), (quarter - 1) * 3 + 1
    if _YEAR_KEY.match(text):
        return Period.YEAR, int(text), 1
    return "not a period"


def normal_key(text: str) -> str | None:
    """A claim's period in the canonical spelling (``2026-3`` → ``2026-03``)."""
    parsed = parse_period_key(text)
    if isinstance(parsed, str):
        return None
    period, year, month = parsed
    return period_key(dt.date(year, month, 1), period)


# --------------------------------------------------------------------------- per incident


def incident_credit_for(plan: Plan, target: TargetLike,
                        attributes: Mapping[str, str]) -> IncidentCredit | None:
    """The per-incident credit a missed guarantee earns: the most specific matching one.

    Credits naming the target's metric are preferred over catch-alls of equal specificity.
    """
    candidates = [c for c in plan.incident_credits if not c.metrics or target.metric in c.metrics]
    candidates.sort(key=lambda c: 0 if c.metrics else 1)
    return applicable(candidates, attributes, plan.priorities)


@frozen
class IncidentGrant:
    """A missed guarantee that earned a remedy; resolved into a credit at the end."""

    customer: str
    ticket: str
    plan: str
    metric: Metric
    target: str  # the target rule's label
    created: dt.datetime  # the ticket's creation: decides its period
    breached_at: dt.datetime  # the deadline: free hours are available from here
    remedy: Remedy
    rule: SourceSpan | None
    seq: int


# --------------------------------------------------------------------------- aggregates


@define
class GroupStats:
    """Running sums for one group of one period (no ticket is kept)."""

    count: int = 0  # targets counted for the mean
    measured: Decimal = Decimal(0)  # seconds, in the targets' own clocks
    allowance: Decimal = Decimal(0)  # seconds, same clocks
    met: int = 0
    decided: int = 0  # met or breached (pending targets are left out of attainment)
    pending: int = 0

    def add(self, measured: dt.timedelta, allowance_seconds: Decimal, status: str) -> None:
        self.count += 1
        self.measured += Decimal(str(measured.total_seconds()))
        self.allowance += allowance_seconds
        if status == "MET":
            self.met += 1
            self.decided += 1
        elif status == "BREACHED":
            self.decided += 1
        elif status == "PENDING":
            self.pending += 1


@frozen(order=True)
class AggregateKey:
    customer: str
    plan: str
    index: int  # position of the credit in the plan's aggregate_credits
    period: str  # the period key in the plan's zone


@frozen
class GroupOutcome:
    """The verdict for one group: which tier fired (if any) and why."""

    group: str
    tier_index: int | None
    how: str


def evaluate_group(credit: AggregateCredit, group: str, stats: GroupStats) -> GroupOutcome:
    """The deepest tier that fires for one group (SPEC 3.4)."""
    metric = credit.metric.value
    if credit.measure is Measure.MEAN:
        if stats.count == 0:
            return GroupOutcome(group, None, f"{group}: no guaranteed {metric} targets")
        mean = stats.measured / stats.count
        allowed = stats.allowance / stats.count
        exceeds = stats.measured > stats.allowance  # same as mean > mean allowance
        fired = None
        if exceeds:
            for i, tier in enumerate(credit.tiers):
                if tier.threshold is None:
                    fired = i
        verb = "exceeds" if exceeds else "does not exceed"
        pend = f", {stats.pending} pending counted so far" if stats.pending else ""
        how = (f"{group}: mean {metric} {_secs(mean)} over {count_text(stats.count, 'ticket')}"
               f"{pend} "
               f"{verb} the target {_secs(allowed)}")
        return GroupOutcome(group, fired, how)
    if stats.decided == 0:
        return GroupOutcome(group, None, f"{group}: no decided guaranteed {metric} targets")
    share = Decimal(stats.met) * 100 / Decimal(stats.decided)
    fired = None
    deepest: Decimal | None = None
    for i, tier in enumerate(credit.tiers):
        if tier.threshold is None:
            continue
        if share < tier.threshold.value and (deepest is None or tier.threshold.value < deepest):
            fired, deepest = i, tier.threshold.value
    share_text = f"{share.quantize(Decimal('0.01'))}%"
    how = f"{group}: {stats.met} of {stats.decided} met = {share_text}"
    if fired is not None:
        threshold = credit.tiers[fired].threshold
        how += f" < {threshold}"
    return GroupOutcome(group, fired, how)


def _secs(value: Decimal) -> str:
    return format_seconds(int(value.to_integral_value()))


def group_key(credit: AggregateCredit, attributes: Mapping[str, str]) -> str:
    """``priority=urgent`` (several attributes joined by ``, ``); ``all`` when ungrouped."""
    if not credit.group_by:
        return "all"
    return ", ".join(f"{a}={attributes.get(a, NO_VALUE)}" for a in credit.group_by)


AllowanceFn = Callable[[TargetLike], Decimal]


class AggregateBook:
    """Running sums for every aggregate credit, fed one ticket at a time."""

    def __init__(self) -> None:
        self._groups: dict[AggregateKey, dict[str, GroupStats]] = {}
        self._spans: dict[AggregateKey, PeriodSpan] = {}

    def add(self, customer: str, plan: Plan, zone: dt.tzinfo, created: dt.datetime,
            attributes: Mapping[str, str], targets: Sequence[TargetLike],
            allowance_of: AllowanceFn) -> None:
        for index, credit in enumerate(plan.aggregate_credits):
            chosen = [t for t in targets if t.metric is credit.metric and t.guaranteed]
            if not chosen:
                continue
            span = period_span(created, credit.period, zone)
            key = AggregateKey(customer, plan.name, index, span.key)
            self._spans.setdefault(key, span)
            groups = self._groups.setdefault(key, {})
            for target in chosen:
                # A target belongs to the priority that selected its rule: after a priority
                # change it may differ from the ticket's final one (as in the summary).
                own = target.priority
                attrs = (attributes if own is None or attributes.get("priority") == own
                         else {**attributes, "priority": own})
                stats = groups.setdefault(group_key(credit, attrs), GroupStats())
                stats.add(target.measured, allowance_of(target), status_name(target))

    def items(self) -> Iterator[tuple[AggregateKey, PeriodSpan, dict[str, GroupStats]]]:
        for key in sorted(self._groups):
            yield key, self._spans[key], self._groups[key]


@frozen
class RemedyValue:
    """A remedy turned into money and/or seconds for one period."""

    money: Money | None
    seconds: int
    text: str


def remedy_value(remedy: Remedy, fee: Money) -> RemedyValue:
    """Money (percent of the credited period's fee, or a fixed sum) or free seconds."""
    if remedy.kind is RemedyKind.FREE_HOURS:
        return RemedyValue(None, remedy.seconds, f"{format_seconds(remedy.seconds)} free")
    if remedy.kind is RemedyKind.MONEY:
        assert remedy.money is not None
        return RemedyValue(remedy.money, 0, money_text(remedy.money))
    assert remedy.percent is not None
    value = remedy.percent.of(fee)
    return RemedyValue(value, 0, f"{remedy.percent} of fee {money_text(fee)}")


def claim_window(span: PeriodSpan, days: int) -> tuple[dt.datetime, dt.date]:
    """The instant a claim window closes (exclusive) and its last day, for ``claim by``.

    "Within 30 days from the last day of March": April 1 00:00 + 30 days = May 1 00:00, so
    claims up to April 30 inclusive.
    """
    closes = span.end + dt.timedelta(days=days)  # wall-clock days in the period's zone
    return closes, (closes - dt.timedelta(days=1)).date()


def find_claim(claims: Sequence[Claim], key: str, credit: AggregateCredit, span: PeriodSpan,
               closes: dt.datetime, as_of: dt.datetime) -> Claim | None:
    """The earliest claim for this period and credit inside ``[period start, closes)``.

    A claim made while the period is still running counts (the credit is evaluated when the
    period ends); claims after ``as_of`` have not happened yet.
    """
    best: Claim | None = None
    for claim in claims:
        if normal_key(claim.period) != key:
            continue
        if claim.credit is not None and claim.credit != credit.name:
            continue
        if not (span.start <= claim.at < closes) or claim.at > as_of:
            continue
        if best is None or claim.at < best.at:
            best = claim
    return best

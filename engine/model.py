"""Compiled rule objects: what the compiler produces and the simulator consumes.

Everything here is immutable and carries the source span of the clause it came from, so
every figure in a result can name the rule (file:line) that produced it. Nothing here
knows about the parse tree or the AST.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal

from attrs import field, frozen

from tierwise.engine.errors import SourceSpan
from tierwise.engine.quantities import Clock, Money, Percent, TargetTime

# --------------------------------------------------------------------------- conditions

#: Ticket attributes a condition may test. Custom fields are ``field:<name>``.
STANDARD_ATTRIBUTES = ("priority", "channel", "category", "contact", "product", "express")
#: Attributes whose set of values is closed, so ``not in`` can be reasoned about exactly.
CLOSED_UNIVERSES: Mapping[str, frozenset[str]] = {
    "contact": frozenset({"registered", "unregistered"}),
    "express": frozenset({"yes", "no"}),
}


@frozen
class AttributeTest:
    """``priority in [urgent, high]`` or, negated, ``channel not in [sms]``."""

    attribute: str
    values: frozenset[str]
    negated: bool = False

    def matches(self, attributes: Mapping[str, str]) -> bool:
        value = attributes.get(self.attribute)
        inside = value is not None and value in self.values
        return not inside if self.negated else inside

    def __str__(self) -> str:
        vals = sorted(self.values)
        if len(vals) == 1:
            return f"{self.attribute} is {'not ' if self.negated else ''}{vals[0]}"
        return f"{self.attribute} {'not ' if self.negated else ''}in [{', '.join(vals)}]"


@frozen
class Condition:
    """A conjunction of attribute tests; the empty condition always holds."""

    tests: tuple[AttributeTest, ...] = ()

    def matches(self, attributes: Mapping[str, str]) -> bool:
        return all(t.matches(attributes) for t in self.tests)

    @property
    def is_always(self) -> bool:
        return not self.tests

    def __str__(self) -> str:
        return " and ".join(str(t) for t in self.tests) if self.tests else "always"


ALWAYS = Condition()

# --------------------------------------------------------------------------- calendars


@frozen
class WeeklyWindow:
    """Open from ``start`` to ``end`` local wall time on ``weekday`` (0 = Monday).

    ``end <= start`` means the window runs past midnight into the next day; a window from
    00:00 to 00:00 is the whole day.
    """

    weekday: int
    start: dt.time
    end: dt.time


@frozen
class HolidaySource:
    """Public holidays from the ``holidays`` package."""

    country: str
    subdivision: str | None = None


@frozen
class SpecialHours:
    """Opening hours that replace the weekly windows on one local date (empty = closed)."""

    date: dt.date
    windows: tuple[tuple[dt.time, dt.time], ...]


@frozen
class CalendarRule:
    """A named calendar of support hours, as written in the plan."""

    name: str
    zone: str
    windows: tuple[WeeklyWindow, ...] = ()
    holidays: tuple[HolidaySource, ...] = ()
    closed_dates: tuple[dt.date, ...] = ()
    special_hours: tuple[SpecialHours, ...] = ()
    always_open: bool = False  # 24/7: holidays and windows are ignored
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


#: The built-in calendar ``always`` (24/7, UTC); plans may define their own 24/7 in a zone.
ALWAYS_OPEN_NAME = "always"

# --------------------------------------------------------------------------- targets


class Metric(enum.Enum):
    FIRST_RESPONSE = "response"  # creation -> first vendor reply
    RESOLUTION = "resolution"  # creation -> last resolved
    NEXT_REPLY = "next reply"  # each customer message -> next vendor reply
    PERIODIC_UPDATE = "update"  # vendor must post an update at least every D while open


class Commitment(enum.Enum):
    GUARANTEED = "guaranteed"  # a miss is a breach and may earn a credit
    BEST_EFFORT = "best effort"  # a miss is "objective missed", never a breach
    AVERAGE = "average"  # best effort, judged on the period's mean, never a breach


@frozen
class TargetRule:
    """``response within 4 business hours when priority is high``."""

    metric: Metric
    commitment: Commitment
    allowance: TargetTime
    calendar: str  # name of a CalendarRule in the catalog, or "always"
    condition: Condition = ALWAYS
    pauses_when_waiting: bool = False  # clock stops while waiting on the customer
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)

    @property
    def label(self) -> str:
        prefix = "" if self.commitment is Commitment.GUARANTEED else f"{self.commitment.value} "
        cond = "" if self.condition.is_always else f" when {self.condition}"
        if self.metric is Metric.PERIODIC_UPDATE:
            when = f"every {self.allowance}"
        elif self.allowance.clock is Clock.END_OF_NEXT_BUSINESS_DAY:
            when = str(self.allowance)  # "by end of next business day"
        else:
            when = f"within {self.allowance}"
        return f"{prefix}{self.metric.value} {when}{cond}"


# --------------------------------------------------------------------------- eligibility


@frozen
class CoverageRule:
    """``not covered when category in [...]``: such tickets get no targets at all."""

    condition: Condition
    reason: str
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class GuaranteeRule:
    """Restricts guarantees: ``guaranteed only when contact is registered`` (``only=True``)
    or ``not guaranteed when channel in [sms]`` (``only=False``). A ticket that fails a
    guarantee rule keeps its targets as "not guaranteed: reason"."""

    condition: Condition
    only: bool
    reason: str
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class GuaranteeLimit:
    """``guarantees limited to 3h of email work per month when category is not bug``.

    Worked time (sessions of ``kinds``) on tickets matching ``condition`` is summed per
    period; tickets created after the sum has reached ``seconds`` are not guaranteed.
    """

    seconds: int
    kinds: frozenset[str]
    condition: Condition = ALWAYS
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


# --------------------------------------------------------------------------- money


class Period(enum.Enum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.value]


class PlanChange(enum.Enum):
    NEXT_PERIOD = "next period"  # the new plan's fee from the next period on
    PRORATED = "prorated"  # fees split by day within the period of the change
    IMMEDIATE = "immediate"  # the new plan applies at once, fee of the period's start plan


@frozen
class Fee:
    """``fee 450 EUR per month`` (net), ``fee from 290 PLN per month`` or ``fee negotiated``."""

    amount: Money | None  # None only when negotiated: the subscription states its price
    period: Period = Period.MONTH
    from_price: bool = False  # the published price is a floor; the stated base is used
    negotiated: bool = False
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class RateRule:
    """``rate remote 180 PLN per hour, billed per started 30min``.

    ``price_per_hour is None`` means work of these kinds is never billed (e.g. warranty
    work, e-mail support included in the fee). ``kinds`` empty means every kind.
    """

    kinds: frozenset[str]
    price_per_hour: Money | None
    increment_seconds: int  # inside support hours
    increment_out_of_hours_seconds: int | None = None  # None: same as inside
    condition: Condition = ALWAYS
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)

    def applies_to_kind(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


@frozen
class Surcharge:
    """``express surcharge +100%`` or ``out of hours surcharge +50%`` on billed work."""

    name: str  # "express" or "out of hours"
    percent: Percent
    condition: Condition = ALWAYS
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class Overhead:
    """``overhead 5min per session`` (e.g. writing the report), added before rounding."""

    seconds: int
    kinds: frozenset[str] = frozenset()  # empty: every billed kind
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class IncludedHours:
    """``included 3h per month for phone, remote; unused hours expire``."""

    seconds: int
    kinds: frozenset[str]  # empty: every kind
    period: Period = Period.MONTH
    rollover_periods: int = 0  # 0: unused hours expire at the period's end
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class PackProduct:
    """``pack unit 10h for 400 EUR, valid 1 year`` — bought by customers in the scenario."""

    name: str
    seconds: int
    price: Money | None
    valid_months: int  # 12 for "1 year", 1 for a monthly pack
    kinds: frozenset[str] = frozenset()
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class AllowanceRule:
    """``allow 4 tickets per month free when category is unjustified, then 60 PLN each``."""

    count: int
    period: Period
    fee_each: Money
    condition: Condition
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


# --------------------------------------------------------------------------- credits


class RemedyKind(enum.Enum):
    FREE_HOURS = "free hours"  # credited hours, drawn like a balance
    MONEY = "money"  # a fixed amount off the next invoice
    PERCENT_OF_FEE = "percent of fee"  # a share of the credited period's fee


@frozen
class Remedy:
    kind: RemedyKind
    seconds: int = 0  # FREE_HOURS
    money: Money | None = None  # MONEY
    percent: Percent | None = None  # PERCENT_OF_FEE
    expires_after_months: int | None = None  # FREE_HOURS; None: never expires

    def __str__(self) -> str:
        if self.kind is RemedyKind.FREE_HOURS:
            from tierwise.engine.quantities import format_seconds

            return f"{format_seconds(self.seconds)} free"
        if self.kind is RemedyKind.MONEY:
            return str(self.money)
        return f"{self.percent} of fee"


@frozen
class IncidentCredit:
    """``credit 1h free hours per missed guarantee`` — once per breached guaranteed target."""

    remedy: Remedy
    metrics: frozenset[Metric] = frozenset()  # empty: any guaranteed metric
    condition: Condition = ALWAYS
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


class Measure(enum.Enum):
    MEAN = "mean"  # mean measured time of the group's tickets vs the target
    ATTAINMENT = "attainment"  # share of the group's tickets that met the target


@frozen
class CreditTier:
    """One step: for MEAN, ``threshold`` is None and it fires when the mean exceeds the
    target; for ATTAINMENT it fires when the share is strictly below ``threshold``."""

    threshold: Percent | None
    remedy: Remedy
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class AggregateCredit:
    """Per period and group (e.g. per calendar month and priority) of guaranteed tickets.

    Within one group the deepest tier that fires applies; groups' remedies are summed,
    then capped per period.
    """

    name: str
    measure: Measure
    metric: Metric
    group_by: tuple[str, ...]  # attributes, e.g. ("priority",)
    period: Period
    tiers: tuple[CreditTier, ...]
    cap: Remedy | None = None
    claim_window_days: int | None = None  # None: granted without a claim
    sole_remedy: bool = False
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


# --------------------------------------------------------------------------- plan


@frozen
class Feature:
    """A row of the published pricing table: ``feature "Dedicated TAM": yes``."""

    name: str
    value: str  # "yes", "no", or free text such as "N/A"
    span: SourceSpan = field(factory=SourceSpan.unknown, eq=False, order=False)


@frozen
class Plan:
    """One tier a vendor sells, with inheritance already applied."""

    name: str
    title: str
    currency: str
    calendar: str
    span: SourceSpan = field(eq=False, order=False)
    parent: str | None = None
    fee: Fee | None = None  # None: free
    vat: Percent = field(factory=lambda: Percent(Decimal(0)))
    minimum_term_periods: int = 0
    plan_change: PlanChange = PlanChange.NEXT_PERIOD
    priorities: tuple[str, ...] = ()  # most urgent first; empty: any value allowed
    channels: frozenset[str] = frozenset()  # accepted channels; empty: any
    subscription_required: bool = False
    requested_in_hours_only: bool = False  # tickets count as received at the next opening
    queue_earliest_deadline_first: bool = False
    refunds_paid_out: bool = False  # credits beyond an invoice are paid, not carried
    targets: tuple[TargetRule, ...] = ()
    coverage: tuple[CoverageRule, ...] = ()
    guarantee_rules: tuple[GuaranteeRule, ...] = ()
    guarantee_limits: tuple[GuaranteeLimit, ...] = ()
    rates: tuple[RateRule, ...] = ()
    surcharges: tuple[Surcharge, ...] = ()
    overheads: tuple[Overhead, ...] = ()
    included_hours: tuple[IncludedHours, ...] = ()
    packs: tuple[PackProduct, ...] = ()
    allowances: tuple[AllowanceRule, ...] = ()
    incident_credits: tuple[IncidentCredit, ...] = ()
    aggregate_credits: tuple[AggregateCredit, ...] = ()
    features: tuple[Feature, ...] = ()
    #: Where each plan-level clause was written, for provenance of figures that come from a
    #: flag or a single value rather than a rule object. Keys: "calendar", "currency", "fee",
    #: "vat", "minimum term", "plan change", "priorities", "channels", "subscription required",
    #: "requests in support hours only", "queue", "refunds", "title". A key is absent when the
    #: clause was not written (the default applies); inherited clauses keep the parent's span.
    clause_spans: Mapping[str, SourceSpan] = field(factory=dict, eq=False, order=False)

    def span_of(self, clause: str) -> SourceSpan:
        """The clause's span, or the plan's own when the clause was not written."""
        return self.clause_spans.get(clause, self.span)


@frozen
class Catalog:
    """Everything compiled from one or more plan files."""

    plans: Mapping[str, Plan]
    calendars: Mapping[str, CalendarRule]
    files: tuple[str, ...] = ()

    def plan(self, name: str) -> Plan:
        return self.plans[name]

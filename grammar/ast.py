"""The abstract syntax tree of a plan file: what was written, where, and nothing more.

The transformer builds these frozen nodes from Lark's parse tree; the compiler reads them
and never sees Lark. Nodes keep what the author wrote (names as text, values with their
units, times as hours and minutes) so that the compiler can validate each one and point
at it: every node carries the ``span`` of the text it came from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from attrs import frozen

from tierwise.engine.errors import SourceSpan

# =========================================================================== basics


@frozen
class Ident:
    """A name as written (plan, calendar, priority, channel, work kind...)."""

    text: str
    span: SourceSpan


@frozen
class Text:
    """A double-quoted string, escapes resolved."""

    text: str
    span: SourceSpan


# =========================================================================== values


@frozen
class BareNumber:
    """A number written without a unit where one is required (``within 4``)."""

    number: Decimal
    text: str
    span: SourceSpan


@frozen
class Duration:
    """``4h``, ``30 min``, ``4 business hours``: a length of time in seconds."""

    seconds: Decimal
    business: bool
    text: str
    span: SourceSpan


@frozen
class Days:
    """``5 days``, ``1 calendar day``, ``2 business days``, ``2 weeks``."""

    days: Decimal
    business: bool
    text: str
    span: SourceSpan


@frozen
class Months:
    """``3 months``, ``1 year``: terms, validity, rollover, expiry."""

    months: Decimal
    text: str
    span: SourceSpan


@frozen
class MoneyAmount:
    """``450 EUR``, ``€1,800``, ``129,00 zł``: an exact amount and an ISO currency code."""

    amount: Decimal
    currency: str
    text: str
    span: SourceSpan


@frozen
class PercentAmount:
    """``23%``, ``+100%``."""

    value: Decimal
    text: str
    span: SourceSpan


@frozen
class BadValue:
    """A unit that cannot make a value (``4 business months``); the compiler reports it."""

    message: str
    hint: str | None
    text: str
    span: SourceSpan


Value = BareNumber | Duration | Days | Months | MoneyAmount | PercentAmount | BadValue

# =========================================================================== conditions


@frozen
class Test:
    """``channel is phone``, ``priority in [urgent, high]``, ``field region is "EU"``.

    ``attribute`` is the attribute as written; a custom field is ``field:NAME``.
    """

    attribute: Ident
    values: tuple[Ident, ...]
    negated: bool
    span: SourceSpan


@frozen
class ConditionNode:
    """``when`` followed by tests joined with ``and``."""

    tests: tuple[Test, ...]
    span: SourceSpan


# =========================================================================== calendars


@frozen
class ClockTime:
    """A local wall time as written; ``24:00`` is kept as hour 24 for the compiler."""

    hour: int
    minute: int
    span: SourceSpan


@frozen
class Window:
    """``09:00-14:00``; ``22:00-02:00`` runs past midnight."""

    start: ClockTime
    end: ClockTime
    span: SourceSpan


@frozen
class DayRange:
    """``mon``, ``mon-fri``, ``fri-mon`` (wraps): weekday names as written."""

    first: str
    last: str | None
    span: SourceSpan


@frozen
class DateLit:
    """``2026-12-24`` as written (validated by the compiler)."""

    text: str
    span: SourceSpan


@frozen
class DateRange:
    """``2026-12-24`` or ``2026-08-10..2026-08-14`` (inclusive)."""

    first: DateLit
    last: DateLit | None
    span: SourceSpan


@frozen
class ZoneClause:
    zone: str
    span: SourceSpan


@frozen
class OpenClause:
    """``open mon-fri 09:00-14:00, 15:00-17:00`` or ``open 24/7`` (``always``)."""

    days: tuple[DayRange, ...]
    windows: tuple[Window, ...]
    always: bool
    span: SourceSpan


@frozen
class HolidaysClause:
    """``holidays PL, ES-MD``: country or country-subdivision codes."""

    codes: tuple[Ident, ...]
    span: SourceSpan


@frozen
class ClosedClause:
    ranges: tuple[DateRange, ...]
    span: SourceSpan


@frozen
class SpecialClause:
    """``special 2026-12-31 09:00-12:00`` or ``special 2027-01-06 closed`` (no windows)."""

    date: DateLit
    windows: tuple[Window, ...]
    span: SourceSpan


CalendarClause = ZoneClause | OpenClause | HolidaysClause | ClosedClause | SpecialClause


@frozen
class CalendarDef:
    name: Ident
    clauses: tuple[CalendarClause, ...]
    span: SourceSpan


# =========================================================================== plan-level


@frozen
class TitleClause:
    title: Text
    span: SourceSpan


@frozen
class CalendarRef:
    """``calendar office`` inside a plan."""

    name: Ident
    span: SourceSpan


@frozen
class PrioritiesClause:
    names: tuple[Ident, ...]
    span: SourceSpan


@frozen
class ChannelsClause:
    names: tuple[Ident, ...]
    span: SourceSpan


FeeKind = Literal["amount", "from", "free", "negotiated"]


@frozen
class FeeClause:
    """``fee 450 EUR per month``, ``fee from ...``, ``fee free``, ``fee negotiated``."""

    kind: FeeKind
    amount: Value | None
    period: Ident | None
    span: SourceSpan


@frozen
class CurrencyClause:
    currency: str
    span: SourceSpan


@frozen
class VatClause:
    rate: Value
    span: SourceSpan


@frozen
class MinimumTermClause:
    term: Value
    span: SourceSpan


@frozen
class PlanChangesClause:
    """``plan changes take effect next period`` / ``prorated`` / ``take effect immediately``."""

    mode: Literal["next period", "prorated", "immediate"]
    span: SourceSpan


Flag = Literal[
    "subscription required",
    "requests in support hours only",
    "queue earliest deadline first",
    "refunds paid out",
]


@frozen
class FlagClause:
    """A clause that switches one plan behaviour on (``subscription required``), or, with
    ``on`` False, its opposite that switches an inherited one off (``no subscription
    required``, ``requests at any time``, ``queue in any order``, ``refunds carried
    forward``)."""

    flag: Flag
    on: bool
    span: SourceSpan


# =========================================================================== targets

MetricName = Literal["response", "resolution", "next reply", "update"]
CommitmentName = Literal["guaranteed", "best effort", "average"]


@frozen
class Metric:
    name: MetricName
    span: SourceSpan


@frozen
class TargetTimeNode:
    """``within VALUE``, ``every VALUE`` or ``by end of next business day`` (no value)."""

    form: Literal["within", "every", "end of next business day"]
    value: Value | None
    span: SourceSpan


@frozen
class PauseOption:
    pauses: bool
    span: SourceSpan


@frozen
class UsingCalendar:
    name: Ident
    span: SourceSpan


@frozen
class TargetClause:
    """``best effort response within 24h using calendar x when priority is urgent, not paused``.

    Options are kept as written (several may appear, in any order): the compiler rejects
    repeats.
    """

    commitment: CommitmentName
    metric: Metric
    time: TargetTimeNode
    pause_options: tuple[PauseOption, ...]
    calendars: tuple[UsingCalendar, ...]
    conditions: tuple[ConditionNode, ...]
    span: SourceSpan


# =========================================================================== eligibility


@frozen
class CoverageClause:
    """``not covered when ... because "..."``."""

    condition: ConditionNode
    reason: Text | None
    span: SourceSpan


@frozen
class GuaranteeClause:
    """``guaranteed only when ...`` (``only``) or ``not guaranteed when ...``."""

    only: bool
    condition: ConditionNode
    reason: Text | None
    span: SourceSpan


@frozen
class WorkKinds:
    """``all`` (``names`` empty, ``all_kinds``) or a list of work kinds."""

    names: tuple[Ident, ...]
    all_kinds: bool
    span: SourceSpan


@frozen
class GuaranteeLimitClause:
    """``guarantees limited to 3h of email work per month when category is not bug``."""

    amount: Value
    kinds: WorkKinds
    period: Ident
    condition: ConditionNode | None
    span: SourceSpan


# =========================================================================== money


@frozen
class RateClause:
    """``rate remote, phone 40 EUR per hour, billed per started 15min in hours, ...``.

    ``price`` None: ``not billed``.
    """

    kinds: WorkKinds
    price: Value | None
    increment: Value | None
    increment_out_of_hours: Value | None
    condition: ConditionNode | None
    span: SourceSpan


@frozen
class OverheadClause:
    """``overhead 5min per session for remote, phone``; ``kinds`` None: no ``for``."""

    amount: Value
    kinds: WorkKinds | None
    span: SourceSpan


@frozen
class SurchargeClause:
    """``express surcharge +100%`` or ``out of hours surcharge +50%``."""

    name: Literal["express", "out of hours"]
    amount: Value
    condition: ConditionNode | None
    span: SourceSpan


@frozen
class IncludedClause:
    """``included 3h per month for phone, remote, rolls over 2 months``; ``kinds`` None: no
    ``for``."""

    amount: Value
    period: Ident
    kinds: WorkKinds | None
    rollover: Value | None
    span: SourceSpan


@frozen
class PackClause:
    name: Ident
    amount: Value
    price: Value
    validity: Value | None
    span: SourceSpan


@frozen
class AllowClause:
    """``allow 4 tickets per month free when ..., then 60 PLN each``."""

    count: BareNumber
    period: Ident
    fee_each: Value
    conditions: tuple[ConditionNode, ...]
    span: SourceSpan


# =========================================================================== credits


@frozen
class RemedyNode:
    """``1h free``, ``50 EUR``, ``10% of fee``."""

    form: Literal["money", "free hours", "of fee"]
    amount: Value
    span: SourceSpan


@frozen
class IncidentCreditClause:
    """``credit 1h free per missed response guarantee, expiring after 12 months when ...``."""

    remedy: RemedyNode
    metric: Metric | None
    expiry: Value | None
    condition: ConditionNode | None
    span: SourceSpan


@frozen
class MeasureClause:
    """``measure mean response per priority per month``."""

    measure: Literal["mean", "attainment"]
    metric: Metric
    group_by: tuple[Ident, ...]
    period: Ident
    span: SourceSpan


@frozen
class ExceedsClause:
    remedy: RemedyNode
    span: SourceSpan


@frozen
class BelowClause:
    threshold: Value
    remedy: RemedyNode
    span: SourceSpan


@frozen
class CapClause:
    remedy: RemedyNode
    span: SourceSpan


@frozen
class ClaimClause:
    window: Value
    span: SourceSpan


@frozen
class SoleRemedyClause:
    span: SourceSpan


CreditClause = (
    MeasureClause | ExceedsClause | BelowClause | CapClause | ClaimClause | SoleRemedyClause
)


@frozen
class AggregateCreditClause:
    """``credit "Support Credit" { measure ...; exceeds target: ...; cap ...; ... }``."""

    name: Text
    clauses: tuple[CreditClause, ...]
    span: SourceSpan


# =========================================================================== features


@frozen
class FeatureClause:
    """``feature "Dedicated TAM": yes``."""

    name: Text
    value: str
    span: SourceSpan


# =========================================================================== inheritance

#: The kinds of clause a child can drop with ``no ...`` (docs/language.md, Inheritance).
DropKind = Literal[
    "target",  # no response target (``name``: the metric)
    "credits",  # no credits
    "coverage exclusions",  # not covered
    "guarantee exclusions",  # guaranteed only / not guaranteed
    "guarantee limits",  # guarantees limited to
    "included hours",  # included
    "ticket allowances",  # allow
    "overhead",
    "surcharge",  # no express surcharge (``name``: express, out of hours)
    "pack",  # no pack NAME
    "feature",  # no feature "NAME"
    "minimum term",
]


@frozen
class DropClause:
    """``no coverage exclusions``, ``no response target``, ``no pack unit``...: drops what a
    plan inherits of one kind of clause. ``name`` says which one, for the kinds that come
    one per metric, surcharge, pack or feature (None for the others)."""

    kind: DropKind
    name: Ident | None
    span: SourceSpan


PlanClause = (
    TitleClause
    | CalendarRef
    | PrioritiesClause
    | ChannelsClause
    | FeeClause
    | CurrencyClause
    | VatClause
    | MinimumTermClause
    | PlanChangesClause
    | FlagClause
    | TargetClause
    | CoverageClause
    | GuaranteeClause
    | GuaranteeLimitClause
    | RateClause
    | OverheadClause
    | SurchargeClause
    | IncludedClause
    | PackClause
    | AllowClause
    | IncidentCreditClause
    | AggregateCreditClause
    | FeatureClause
    | DropClause
)


@frozen
class PlanDef:
    name: Ident
    parent: Ident | None
    clauses: tuple[PlanClause, ...]
    span: SourceSpan


Definition = CalendarDef | PlanDef


@frozen
class PlanFile:
    file: str
    definitions: tuple[Definition, ...]
    span: SourceSpan


"""Which plan's terms apply to a subscription at an instant, and its billing periods.

This is the one definition the simulator (targets, coverage, guarantee limits) and billing
(fees, rates, included hours, packs, invoices) share, so that a ticket is never served on
one plan while its period is invoiced on another. A change of plan takes effect as the
change rule of the plan being *left* says (``plan changes ...`` in docs/language.md):

* ``next period`` (the default): from the start of the next billing period after the
  change (at once when the change is exactly at a period's start);
* ``prorated`` and ``immediate``: from the change instant. (What they mean for the fee of
  the period of the change is billing's business: docs/money.md.)

Billing periods are calendar periods of the first plan's fee period (a month for a free
plan) in the time zone of that plan's calendar. See docs/semantics.md section 1 and
docs/money.md "Billing periods".
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from attrs import frozen

from tierwise.engine.credits import PeriodSpan, add_months, period_key, period_span
from tierwise.engine.model import Catalog, Period, Plan, PlanChange
from tierwise.engine.scenario import Subscription

UTC = dt.UTC


def calendar_zone(catalog: Catalog, plan: Plan) -> ZoneInfo:
    """The zone of a plan's calendar (UTC for the built-in ``always``).

    Raises ``ZoneInfoNotFoundError`` (or ``ValueError``) for a zone the system does not
    know; the ledger turns that into a located plan error.
    """
    rule = catalog.calendars.get(plan.calendar)
    return ZoneInfo(rule.zone if rule is not None else "UTC")


@frozen
class BillingCycle:
    """A subscription's billing periods: calendar periods of ``period`` in ``zone``."""

    period: Period
    zone: ZoneInfo

    @classmethod
    def of(cls, first: Plan, zone: ZoneInfo) -> BillingCycle:
        """The cycle a subscription starting on ``first`` keeps for its whole life (a later
        plan with another fee period is converted, not re-cycled)."""
        return cls(first.fee.period if first.fee is not None else Period.MONTH, zone)

    def span(self, instant: dt.datetime) -> PeriodSpan:
        """The billing period holding ``instant`` (placed by the zone's local time)."""
        return period_span(instant, self.period, self.zone)

    def next(self, span: PeriodSpan) -> PeriodSpan:
        """The period after ``span`` (``span.end`` is already local midnight of the 1st)."""
        start = span.end
        return PeriodSpan(start, add_months(start, self.period.months),
                          period_key(start.date(), self.period))

    def next_start(self, instant: dt.datetime) -> dt.datetime:
        """The first period start at or after ``instant``."""
        span = self.span(instant)
        return instant if span.start == instant else span.end

    def periods(self, start: dt.datetime, last: dt.datetime) -> list[PeriodSpan]:
        """Every period from the one holding ``start`` up to the one holding the last
        instant before ``last`` (none when ``last <= start``)."""
        out: list[PeriodSpan] = []
        if last > start:
            span = self.span(start)
            while span.start < last:
                out.append(span)
                span = self.next(span)
        return out


@frozen
class PlanSwitch:
    """One change of plan, with the instant from which the new plan's terms apply."""

    at: dt.datetime  # when the customer made the change
    effective: dt.datetime  # from when the new plan's terms apply (UTC)
    plan: str  # the new plan
    left: str  # the plan chosen before (whose change rule decides)
    rule: PlanChange  # ``left``'s change rule


class UnknownPlan(KeyError):
    """A subscription names a plan the catalog does not define."""

    def __init__(self, plan: str) -> None:
        super().__init__(plan)
        self.plan = plan


class PlanTimeline:
    """The plans of one subscription over time: :meth:`plan_at` answers "whose terms?".

    Changes are taken in the order they were made. A change never takes effect before an
    earlier one (a change made while another one is still waiting for the next period
    waits at least as long), so the customer's latest choice is the one that ends up in
    force, and the effective instants never go backwards.
    """

    __slots__ = ("_effective", "_plans", "cycle", "first", "switches")

    def __init__(self, sub: Subscription, plans: Mapping[str, Plan],
                 cycle: BillingCycle) -> None:
        self.first = sub.plan
        self.cycle = cycle
        switches: list[PlanSwitch] = []
        left = sub.plan
        floor: dt.datetime | None = None
        for change in sorted(sub.changes, key=lambda c: c.at):
            if left not in plans:
                raise UnknownPlan(left)
            rule = plans[left].plan_change
            effective = change.at
            if rule is PlanChange.NEXT_PERIOD:
                effective = cycle.next_start(change.at)
            effective = effective.astimezone(UTC)
            if floor is not None and effective < floor:
                effective = floor
            floor = effective
            switches.append(PlanSwitch(change.at, effective, change.plan, left, rule))
            left = change.plan
        if left not in plans:
            raise UnknownPlan(left)
        self.switches = tuple(switches)
        self._effective = [s.effective for s in switches]
        self._plans = [s.plan for s in switches]

    @classmethod
    def of(cls, sub: Subscription, catalog: Catalog,
           zone: ZoneInfo | None = None) -> PlanTimeline:
        """The timeline of ``sub``; ``zone`` is the first plan's calendar zone when the
        caller has it already."""
        first = catalog.plans.get(sub.plan)
        if first is None:
            raise UnknownPlan(sub.plan)
        cycle = BillingCycle.of(first, zone if zone is not None else calendar_zone(catalog, first))
        return cls(sub, catalog.plans, cycle)

    def plan_at(self, instant: dt.datetime) -> str:
        """The plan whose terms apply at ``instant``: targets, coverage, rates, hours and,
        at a period's start, the period's fee."""
        if not self._effective:
            return self.first
        i = bisect_right(self._effective, instant)
        return self._plans[i - 1] if i else self.first

    @property
    def sole_plan(self) -> str | None:
        """The plan at every instant when the customer never switches (what ``plan_at``
        answers then, so callers can look it up once); None when it does switch."""
        return None if self.switches else self.first

    @property
    def names(self) -> tuple[str, ...]:
        """Every plan of the subscription, in the order chosen (repeats kept)."""
        return (self.first, *self._plans)


__all__ = [
    "BillingCycle",
    "PlanSwitch",
    "PlanTimeline",
    "UnknownPlan",
    "calendar_zone",
]

"""Builders for the money tests: plans with prices, ticket results, a ledger run.

Results are built by hand (not by the simulator) so that each money test controls exactly
which targets were breached and how long they measured: the arithmetic in the tests' comments
is then the whole story.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from builders import WARSAW, at, office, span

from tierwise.engine.billing import Ledger
from tierwise.engine.invoices import MoneyResult
from tierwise.engine.model import (
    ALWAYS,
    AggregateCredit,
    CalendarRule,
    Catalog,
    Commitment,
    Condition,
    Fee,
    Measure,
    Metric,
    Period,
    Plan,
    Remedy,
    RemedyKind,
)
from tierwise.engine.quantities import Clock, Money, Percent, TargetTime
from tierwise.engine.results import Status, TargetResult, TicketResult
from tierwise.engine.scenario import (
    Claim,
    ScenarioHeader,
    Subscription,
    Ticket,
)

MIN = 60
HOUR = 3600


def money(text: str) -> Money:
    """``money("450 EUR")``."""
    amount, currency = text.split()
    return Money(Decimal(amount), currency)


def pct(value: str | int) -> Percent:
    return Percent(Decimal(str(value)))


def fee(text: str, period: Period = Period.MONTH, **kw: Any) -> Fee:
    return Fee(money(text), period, span=span(3), **kw)


def plan(name: str, currency: str, *, calendar: str = "office", **kw: Any) -> Plan:
    return Plan(name=name, title=name.title(), currency=currency, calendar=calendar,
                span=span(2), **kw)


def catalog(*plans: Plan, calendars: Iterable[CalendarRule] = ()) -> Catalog:
    cals = list(calendars) or [office()]
    return Catalog(plans={p.name: p for p in plans}, calendars={c.name: c for c in cals},
                   files=("plans/test.plan",))


def sub(customer: str, plan_name: str, start: str, end: str | None = None,
        zone: str = WARSAW, **kw: Any) -> Subscription:
    return Subscription(customer=customer, plan=plan_name, start=at(start, zone),
                        end=at(end, zone) if end else None, **kw)


def header(as_of: str, *subs: Subscription, zone: str = WARSAW) -> ScenarioHeader:
    return ScenarioHeader(as_of=at(as_of, zone), subscriptions={s.customer: s for s in subs},
                          name="money")


def claim(when: str, period: str, credit: str | None = None, zone: str = WARSAW) -> Claim:
    return Claim(at(when, zone), period, credit)


def target_result(metric: Metric, status: Status, *, start: dt.datetime,
                  measured_s: float, allowance: TargetTime,
                  deadline: dt.datetime | None = None, guaranteed: bool = True,
                  calendar: str = "office", priority: str | None = None) -> TargetResult:
    """A hand-made target result (``measured_s`` in the target's own clock)."""
    clock = allowance.clock
    if deadline is None:
        deadline = start + dt.timedelta(seconds=allowance.seconds)
    return TargetResult(
        metric=metric, rule=f"{metric.value} within {allowance}", span=span(10),
        commitment=Commitment.GUARANTEED, calendar=calendar, clock=clock,
        allowance=allowance, start=start, deadline=deadline, stopped_at=None,
        measured=dt.timedelta(seconds=measured_s), paused=dt.timedelta(0), status=status,
        guaranteed=guaranteed, priority=priority,
    )


def result(ticket: Ticket, plan_name: str | None, *targets: TargetResult) -> TicketResult:
    return TicketResult(
        ticket_id=ticket.id, customer=ticket.customer, plan=plan_name,
        priority=ticket.priority, created=ticket.created, received=ticket.created,
        targets=tuple(targets), ticket=ticket,
    )


def run(cat: Catalog, head: ScenarioHeader,
        pairs: Sequence[tuple[Ticket, TicketResult]] = ()) -> MoneyResult:
    ledger = Ledger(cat, head)
    for ticket, res in pairs:
        ledger.add(ticket, res)
    return ledger.finish()


def plain(ticket: Ticket, plan_name: str | None) -> tuple[Ticket, TicketResult]:
    """A ticket with no targets (money only)."""
    return ticket, result(ticket, plan_name)


def business_hours(hours: float) -> TargetTime:
    return TargetTime(Clock.BUSINESS_TIME, seconds=round(hours * HOUR))


def real_hours(hours: float) -> TargetTime:
    return TargetTime(Clock.CALENDAR_TIME, seconds=round(hours * HOUR))


def percent_of_fee(value: int) -> Remedy:
    return Remedy(RemedyKind.PERCENT_OF_FEE, percent=pct(value))


def free_hours(hours: float, expires_after_months: int | None = None) -> Remedy:
    return Remedy(RemedyKind.FREE_HOURS, seconds=round(hours * HOUR),
                  expires_after_months=expires_after_months)


def money_remedy(text: str) -> Remedy:
    return Remedy(RemedyKind.MONEY, money=money(text))


def support_credit(**kw: Any) -> AggregateCredit:
    """Promotino's Support Credit: mean response per priority per month > guarantee."""
    from tierwise.engine.model import CreditTier

    options: dict[str, Any] = dict(
        name="Support Credit", measure=Measure.MEAN, metric=Metric.FIRST_RESPONSE,
        group_by=("priority",), period=Period.MONTH,
        tiers=(CreditTier(None, percent_of_fee(100), span(40)),),
        cap=percent_of_fee(100), claim_window_days=30, sole_remedy=True, span=span(39),
    )
    options.update(kw)
    return AggregateCredit(**options)


ALWAYS_COND: Condition = ALWAYS

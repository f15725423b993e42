"""Which plan's terms apply when (engine/subscriptions.py): one answer for the simulator and
for billing (docs/semantics.md section 1, docs/money.md "Fees").

Plans are priced in EUR on the ``office`` calendar (Warsaw, Mon-Fri 08:00-16:00; CET +01:00
until Sun 2026-03-29, then CEST +02:00). A monthly cycle unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from builders import at, business_hours, make_ticket, office, replied, span, target, work
from money_builders import catalog, fee, header, money, plan, sub

from tierwise.engine.invoices import LineKind
from tierwise.engine.model import Catalog, Metric, Period, Plan, PlanChange, RateRule
from tierwise.engine.pipeline import SimulationResult, simulate
from tierwise.engine.scenario import PlanChangeEvent, Subscription, Ticket
from tierwise.engine.subscriptions import (
    BillingCycle,
    PlanTimeline,
    UnknownPlan,
    calendar_zone,
)

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = dt.UTC
RESPONSE = Metric.FIRST_RESPONSE


def tier(name: str, eur: str, hours: float, **kw: Any) -> Plan:
    """A plan with a fee, a rate of ``eur`` per hour (per started 15 min) and a response
    target of ``hours`` business hours."""
    options: dict[str, Any] = dict(
        fee=fee(f"{eur} EUR"),
        rates=(RateRule(frozenset(), money(f"{eur} EUR"), 15 * 60, span=span(20)),),
        targets=(target(RESPONSE, business_hours(hours)),))
    options.update(kw)
    return plan(name, "EUR", **options)


def timeline(first: str, *changes: tuple[str, str], cat: Catalog | None = None,
             start: str = "2026-01-01 00:00") -> PlanTimeline:
    cat = cat or catalog(tier("SLOW", "100", 8), tier("FAST", "200", 1),
                         tier("NOW", "300", 2, plan_change=PlanChange.IMMEDIATE),
                         tier("SPLIT", "400", 4, plan_change=PlanChange.PRORATED),
                         calendars=[office()])
    s = sub("acme", first, start,
            changes=tuple(PlanChangeEvent(at(when), name) for when, name in changes))
    return PlanTimeline.of(s, cat)


# --------------------------------------------------------------------------- the timeline


def test_next_period_applies_from_the_next_billing_periods_start() -> None:
    t = timeline("SLOW", ("2026-03-28 12:00", "FAST"))
    assert t.plan_at(at("2026-03-28 11:59")) == "SLOW"
    assert t.plan_at(at("2026-03-28 12:00")) == "SLOW"  # decided, not yet in force
    assert t.plan_at(at("2026-03-31 23:59:59")) == "SLOW"
    assert t.plan_at(at("2026-04-01 00:00")) == "FAST"  # local midnight, +02:00
    (switch,) = t.switches
    assert switch.effective == dt.datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert (switch.left, switch.plan, switch.rule) == ("SLOW", "FAST", PlanChange.NEXT_PERIOD)


def test_a_customer_who_never_switches_has_a_sole_plan() -> None:
    assert timeline("FAST").sole_plan == "FAST" == timeline("FAST").plan_at(at("2027-06-01"))
    assert timeline("SLOW", ("2026-03-28 12:00", "FAST")).sole_plan is None


def test_next_period_exactly_at_a_boundary_applies_at_once() -> None:
    t = timeline("SLOW", ("2026-04-01 00:00", "FAST"))
    assert t.plan_at(at("2026-03-31 23:59")) == "SLOW"
    assert t.plan_at(at("2026-04-01 00:00")) == "FAST"


@pytest.mark.parametrize("left", ["NOW", "SPLIT"])
def test_immediate_and_prorated_apply_from_the_change_instant(left: str) -> None:
    t = timeline(left, ("2026-03-16 10:00", "FAST"))
    assert t.plan_at(at("2026-03-16 09:59")) == left
    assert t.plan_at(at("2026-03-16 10:00")) == "FAST"


def test_the_rule_of_the_plan_being_left_decides() -> None:
    # SLOW → NOW waits for April (SLOW's rule); NOW → SLOW in April is immediate (NOW's).
    t = timeline("SLOW", ("2026-03-10 10:00", "NOW"), ("2026-04-15 10:00", "SLOW"))
    assert [t.plan_at(at(x)) for x in ("2026-03-20 10:00", "2026-04-01 00:00",
                                       "2026-04-15 09:59", "2026-04-15 10:00")] == [
        "SLOW", "NOW", "NOW", "SLOW"]


def test_a_later_change_never_takes_effect_first() -> None:
    # SLOW → NOW on Mar 10 waits for Apr 1; NOW → FAST on Mar 20 would be immediate (NOW's
    # rule) but cannot overtake the change it follows: FAST from Apr 1, NOW never applies.
    t = timeline("SLOW", ("2026-03-10 10:00", "NOW"), ("2026-03-20 10:00", "FAST"))
    assert t.plan_at(at("2026-03-25 10:00")) == "SLOW"
    assert t.plan_at(at("2026-04-01 00:00")) == "FAST"
    assert [s.effective for s in t.switches] == [dt.datetime(2026, 3, 31, 22, tzinfo=UTC)] * 2
    # changes given out of order are taken in the order they were made
    u = timeline("SLOW", ("2026-03-20 10:00", "FAST"), ("2026-03-10 10:00", "NOW"))
    assert u.switches == t.switches and u.names == ("SLOW", "NOW", "FAST")


def test_changing_back_before_it_takes_effect_keeps_the_plan() -> None:
    t = timeline("SLOW", ("2026-03-10 10:00", "FAST"), ("2026-03-12 10:00", "SLOW"))
    assert {t.plan_at(at(x)) for x in ("2026-03-11 10:00", "2026-04-02 10:00",
                                       "2026-05-02 10:00")} == {"SLOW"}


def test_periods_are_the_first_plans_cycle_in_its_calendars_zone() -> None:
    # A quarterly first plan: a next-period change on Feb 10 applies from Apr 1. A change
    # at 22:30 UTC on Mar 31 (still Q1 in UTC) is 00:30 on Apr 1 in Warsaw, inside Q2: it
    # applies from Jul 1 00:00 +02:00.
    cat = catalog(tier("SLOW", "100", 8, fee=fee("300 EUR", Period.QUARTER)),
                  tier("FAST", "200", 1), calendars=[office()])
    t = timeline("SLOW", ("2026-02-10 10:00", "FAST"), cat=cat)
    assert t.cycle == BillingCycle(Period.QUARTER, WARSAW)
    assert t.plan_at(at("2026-03-31 12:00")) == "SLOW"
    assert t.plan_at(at("2026-04-01 00:00")) == "FAST"
    u = timeline("SLOW", ("2026-03-31T22:30:00+00:00", "FAST"), cat=cat)
    assert u.switches[0].effective == dt.datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


def test_billing_cycle_periods_and_the_zone_of_a_24_7_plan() -> None:
    cycle = BillingCycle(Period.MONTH, WARSAW)
    keys = [p.key for p in cycle.periods(at("2026-03-20 10:00"), at("2026-05-01 00:00"))]
    assert keys == ["2026-03", "2026-04"]  # May has not started
    assert cycle.periods(at("2026-03-20 10:00"), at("2026-03-20 10:00")) == []
    assert cycle.next_start(at("2026-03-01 00:00")) == at("2026-03-01 00:00")
    cat = catalog(tier("ALWAYS", "100", 1, calendar="always"), calendars=[office()])
    assert calendar_zone(cat, cat.plans["ALWAYS"]) == ZoneInfo("UTC")


def test_unknown_plans_are_named() -> None:
    with pytest.raises(UnknownPlan) as err:
        timeline("SLOW", ("2026-03-10 10:00", "GOLD"))
    assert err.value.plan == "GOLD"


# --------------------------------------------------------------------------- both stages


def replay(plans: Sequence[Plan], subscription: Subscription, tickets: Sequence[Ticket],
           as_of: str) -> SimulationResult:
    return simulate(catalog(*plans, calendars=[office()]), header(as_of, subscription),
                    tickets)


@pytest.mark.parametrize(("rule", "served", "deadline", "status", "charged"), [
    # next period: still SLOW on Mar 30 (8 business hours: Mon 10-16 + Tue 08-10), billed
    # at SLOW's 100 EUR/h; the reply at Mon 15:00 is in time.
    (PlanChange.NEXT_PERIOD, "SLOW", "2026-03-31 10:00", "MET", "25.00"),
    # immediate: FAST from Mar 28 (1 business hour → Mon 11:00: breached), billed at 200.
    (PlanChange.IMMEDIATE, "FAST", "2026-03-30 11:00", "BREACHED", "50.00"),
])
def test_the_simulator_and_billing_agree_on_the_plan(rule: PlanChange, served: str,
                                                     deadline: str, status: str,
                                                     charged: str) -> None:
    # Shipping's P-07: a ticket after the change, before the next period; 15 min of work.
    plans = [tier("SLOW", "100", 8, plan_change=rule), tier("FAST", "200", 1)]
    s = sub("acme", "SLOW", "2026-03-01 00:00",
            changes=(PlanChangeEvent(at("2026-03-28 12:00"), "FAST"),))
    t = make_ticket("P7", "2026-03-30 10:00", replied("2026-03-30 15:00"),
                    work("2026-03-31 10:00", 15, "remote"))
    res = replay(plans, s, [t], "2026-04-10 12:00")
    (ticket,) = res.tickets
    assert ticket.plan == served
    (response,) = ticket.targets
    assert response.deadline == at(deadline) and response.status.name == status
    march = res.money.invoice("acme", "2026-03")
    assert [line.amount.amount for line in march.lines_of(LineKind.WORK)] == [
        money(f"{charged} EUR").amount]
    # the fee: SLOW's for March either way (immediate keeps the period's fee), FAST's in April
    assert [str(x.amount.amount) for x in march.lines_of(LineKind.FEE)] == ["100.00"]
    april = res.money.invoice("acme", "2026-04")
    assert april.plan == "FAST" and march.plan == "SLOW"


def test_prorated_switches_service_at_once_and_splits_the_fee() -> None:
    # SLOW (prorated) → FAST on Mon Mar 16 10:00: the ticket of Mar 16 11:00 is on FAST;
    # March's fee: 100 × 15/31 = 48.39 (SLOW) + 200 × 16/31 = 103.23 (FAST).
    plans = [tier("SLOW", "100", 8, plan_change=PlanChange.PRORATED), tier("FAST", "200", 1)]
    s = sub("acme", "SLOW", "2026-03-01 00:00",
            changes=(PlanChangeEvent(at("2026-03-16 10:00"), "FAST"),))
    res = replay(plans, s, [make_ticket("T1", "2026-03-16 11:00")], "2026-04-10 12:00")
    assert res.tickets[0].plan == "FAST"
    march = res.money.invoice("acme", "2026-03")
    assert [str(x.amount.amount) for x in march.lines_of(LineKind.FEE)] == ["48.39", "103.23"]

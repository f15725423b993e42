"""The shortcuts the replay takes for speed give what the plain computation gives.

Each test pins a case where a fast path could plausibly differ: instants sharing the
calendar's ``ZoneInfo`` inside the repeated hour of a DST change (compared by UTC, not by
wall time), the guarantee-limit month worked out late, ties in the deadline queue,
balances built from known epoch seconds, and totals added up from the groups.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from builders import (
    at,
    business_hours,
    event,
    limit,
    make_catalog,
    make_header,
    make_plan,
    make_ticket,
    real_hours,
    replied,
    target,
    work,
)

from tierwise.engine.billing import Balance
from tierwise.engine.invoices import check_currency, sum_money
from tierwise.engine.model import Metric
from tierwise.engine.pipeline import simulate
from tierwise.engine.quantities import Money
from tierwise.engine.results import Status, TicketResult
from tierwise.engine.scenario import Event, EventKind
from tierwise.engine.simulator import Simulator
from tierwise.engine.summary import Summary

RESPONSE, RESOLUTION = Metric.FIRST_RESPONSE, Metric.RESOLUTION
#: 25 Oct 2026, 02:00-03:00 happens twice in Warsaw (CEST, then CET).
BEFORE_FALL_BACK = "2026-10-25 01:30"


def _response_in_an_hour(as_of: dt.datetime, *events: Event) -> TicketResult:
    """One ticket created 01:30 CEST with a 1h real-time response target, its deadline
    02:30 CEST (00:30 UTC), in the calendar's own ZoneInfo like the events."""
    plan = make_plan(targets=[target(RESPONSE, real_hours(1))])
    sim = Simulator(make_catalog(plan), make_header(as_of))
    return sim.simulate_ticket(make_ticket("T1", BEFORE_FALL_BACK, *events))


def test_a_stop_in_the_repeated_hour_is_compared_by_utc() -> None:
    second = at("2026-10-25 02:15").replace(fold=1)  # 02:15 CET = 01:15 UTC: too late
    first = at("2026-10-25 02:15")  # 02:15 CEST = 00:15 UTC: in time
    late = _response_in_an_hour(at("2026-10-26 00:00"), event(EventKind.REPLIED, second))
    on_time = _response_in_an_hour(at("2026-10-26 00:00"), event(EventKind.REPLIED, first))
    assert late.targets[0].status is Status.BREACHED  # by wall time 02:15 < 02:30
    assert on_time.targets[0].status is Status.MET


def test_as_of_in_the_repeated_hour_is_compared_by_utc() -> None:
    as_of = at("2026-10-25 02:10").replace(fold=1)  # 01:10 UTC, after the 00:30 deadline
    result = _response_in_an_hour(as_of)
    assert result.targets[0].status is Status.BREACHED  # by wall time 02:30 > 02:10


def test_stops_in_another_tzinfo_compare_as_instants() -> None:
    plan = make_plan(targets=[target(RESPONSE, business_hours(1))])
    sim = Simulator(make_catalog(plan), make_header("2026-03-03 12:00"))
    utc = dt.UTC
    # Mon 2 Mar 09:00 Warsaw; deadline 10:00 Warsaw = 09:00 UTC
    met = sim.simulate_ticket(make_ticket(
        "T1", "2026-03-02 09:00", event(EventKind.REPLIED, dt.datetime(2026, 3, 2, 9, tzinfo=utc))))
    late = sim.simulate_ticket(make_ticket(
        "T2", "2026-03-02 09:00",
        event(EventKind.REPLIED, dt.datetime(2026, 3, 2, 9, 0, 1, tzinfo=utc))))
    assert met.targets[0].status is Status.MET  # at the deadline itself
    assert late.targets[0].status is Status.BREACHED


def test_the_limit_month_is_worked_out_when_work_appears() -> None:
    # T1 (February) has no work: its month is only needed once T2 records March work.
    plan = make_plan(targets=[target(RESPONSE, business_hours(4))],
                     guarantee_limits=(limit(1, ["email"]),))
    sim = Simulator(make_catalog(plan), make_header("2026-05-01 00:00"))
    q = {"category": "question"}
    first = [sim.simulate_ticket(make_ticket("T1", "2026-02-27 09:00", **q)),
             sim.simulate_ticket(make_ticket("T2", "2026-03-02 09:00",
                                             work("2026-03-02 10:00", 90), **q)),
             sim.simulate_ticket(make_ticket("T3", "2026-03-03 09:00", **q)),
             sim.simulate_ticket(make_ticket("T4", "2026-04-01 09:00", **q))]
    # no replies by as_of: breached, unless the month's 1h of e-mail work was used up
    assert [r.targets[0].status for r in first] == [
        Status.BREACHED, Status.BREACHED, Status.NOT_GUARANTEED, Status.BREACHED]
    tracker = sim._limits
    assert tracker is not None
    assert list(tracker.customers["acme"].buckets) == []  # March dropped in April


def test_the_queue_takes_the_first_of_equal_deadlines() -> None:
    plan = make_plan(targets=[target(RESPONSE, business_hours(2)),
                              target(RESOLUTION, business_hours(2), line=11)],
                     queue_earliest_deadline_first=True)
    header = make_header("2026-03-02 09:30")
    result = simulate(make_catalog(plan), header, [make_ticket("T1", "2026-03-02 09:00")])
    assert [(e.ticket_id, e.metric) for e in result.queue] == [("T1", "response")]
    assert result.queue[0].deadline == at("2026-03-02 11:00")


def test_a_stamped_balance_is_the_balance_init_builds() -> None:
    acquired, expires = at("2026-03-01 00:00"), at("2026-04-01 00:00")
    plain = Balance("included 2h 2026-03 (all work)", frozenset({"remote"}), acquired,
                    expires, 7200, 3)
    stamped = Balance.stamped("included 2h 2026-03 (all work)", frozenset({"remote"}),
                              acquired, acquired.timestamp(), expires, expires.timestamp(),
                              7200, 3)
    assert stamped == plain
    assert (stamped.acquired_ts, stamped.expires_ts, stamped.pack, stamped.rule) == (
        plain.acquired_ts, plain.expires_ts, None, None)


def test_check_currency_refuses_what_sum_money_refuses() -> None:
    amounts = [Money(Decimal("1.00"), "EUR"), Money(Decimal("2.00"), "PLN")]
    with pytest.raises(ValueError, match="cannot combine EUR and PLN") as summed:
        sum_money(amounts, "EUR")
    with pytest.raises(ValueError) as checked:
        check_currency(amounts, "EUR")
    assert str(checked.value) == str(summed.value)
    check_currency(amounts[:1], "EUR")


def test_totals_are_the_groups_added_up() -> None:
    plan = make_plan(targets=[target(RESPONSE, business_hours(1))], priorities=("p1", "p2"))
    sim = Simulator(make_catalog(plan), make_header("2026-03-03 10:30"))
    summary = Summary()
    tickets = [make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 09:30"), priority="p1"),
               make_ticket("T2", "2026-03-02 10:00", replied("2026-03-02 13:00"), priority="p2"),
               make_ticket("T3", "2026-03-03 10:00", priority="p2")]
    for ticket in tickets:
        summary.add(sim.simulate_ticket(ticket))
    totals = summary.totals
    assert (totals.tickets, totals.met, totals.breached, totals.pending) == (3, 1, 1, 1)
    assert totals.by_metric == {"response": [1, 1, 1]}
    assert list(totals.first_response) == []  # kept per group only
    assert summary.to_dict()["totals"]["first_response"]["count"] == 3

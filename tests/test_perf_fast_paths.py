"""The shortcuts the replay takes for speed give what the plain computation gives.

Each test pins a case where a fast path could plausibly differ: instants sharing the
calendar's ``ZoneInfo`` inside the repeated hour of a DST change (compared by UTC, not by
wall time), the guarantee-limit month worked out late, ties in the deadline queue,
balances built from known epoch seconds, and totals added up from the groups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
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
    office,
    real_hours,
    replied,
    subscription,
    target,
    work,
)

from tierwise.engine.billing import Balance
from tierwise.engine.invoices import check_currency, sum_money
from tierwise.engine.model import Catalog, Metric
from tierwise.engine.pipeline import simulate
from tierwise.engine.plans import load_catalog
from tierwise.engine.quantities import Money
from tierwise.engine.results import Status, TicketResult
from tierwise.engine.scenario import Event, EventKind, ScenarioHeader, Ticket
from tierwise.engine.scenario_io import load_scenario
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
    stamped = Balance("included 2h 2026-03 (all work)", frozenset({"remote"}), acquired,
                      expires, 7200, 3, acquired_ts=acquired.timestamp(),
                      expires_ts=expires.timestamp())
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


# --------------------------------------------------------------------------- fixed offsets
#
# Readers give every instant a fixed-offset ``dt.timezone``, one object per offset. The
# replay then converts and compares instants through that shared tzinfo (calendar bases,
# epoch seconds, as_of, subscription bounds); each shortcut must give what the general
# path gives for the same instants held in other tzinfo objects.


def _fixed(offset_hours: float) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=offset_hours))


def test_timestamp_is_the_datetime_timestamp() -> None:
    from tierwise.engine.instants import timestamp

    zones: list[dt.tzinfo] = [_fixed(1), _fixed(2), _fixed(-9.5), _fixed(14), dt.UTC,
                              ZoneInfo("Europe/Warsaw")]
    instants = [dt.datetime(2026, 3, 29, 1, 59, 59, 999_999), dt.datetime(1970, 1, 1),
                dt.datetime(1900, 6, 1, 12, 0, 0, 1), dt.datetime(2106, 2, 7, 6, 28, 15),
                dt.datetime(2026, 10, 25, 2, 30, fold=1), dt.datetime(9000, 12, 31, 23, 59)]
    for zone in zones:
        for naive in instants:
            instant = naive.replace(tzinfo=zone)
            assert timestamp(instant) == instant.timestamp()
            assert timestamp(instant) == timestamp(instant)  # cached epoch, same answer


def test_calendar_answers_do_not_depend_on_the_tzinfo_object() -> None:
    from tierwise.engine.calendars import calendar_for

    cal = calendar_for(office())
    warsaw = ZoneInfo("Europe/Warsaw")
    origins = [at("2026-03-27 15:59:59.5"), at("2026-03-30 07:00"), at("2026-10-23 16:30"),
               at("2026-10-25 02:30").replace(fold=1)]
    for origin in origins:
        end = origin + dt.timedelta(days=3, seconds=7)
        for seconds in (1, 3600, 4 * 3600 + 1):
            general = cal.business_target(origin, seconds, end)  # the calendar's own zone
            offset = origin.utcoffset()
            assert offset is not None
            # the same instants in shared, distinct, and UTC tzinfos
            for tz in (_fixed(offset / dt.timedelta(hours=1)), _fixed(3), dt.UTC):
                o, e = origin.astimezone(tz), end.astimezone(tz)
                assert cal.business_target(o, seconds, e) == general
                assert cal.add_business(o, dt.timedelta(seconds=seconds)) == general[1]
                assert cal.elapsed_business(o, e) == cal.elapsed_business(
                    origin.astimezone(warsaw), end.astimezone(warsaw))
                clock = real_hours(1).clock
                assert cal.measured(o, e, clock) == cal.measured(origin, end, clock) \
                    == dt.timedelta(seconds=end.timestamp() - origin.timestamp())


def _in_tzinfo(ticket: Ticket, convert: Callable[[dt.datetime], dt.datetime]) -> Ticket:
    return msgspec.structs.replace(
        ticket, created=convert(ticket.created),
        events=tuple(msgspec.structs.replace(e, at=convert(e.at)) for e in ticket.events))


def _shared(instant: dt.datetime) -> dt.datetime:
    """The instant in one shared tzinfo per offset, as readers give it."""
    offset = instant.utcoffset()
    assert offset is not None
    return instant.astimezone(_SHARED.setdefault(offset, dt.timezone(offset)))


_SHARED: dict[dt.timedelta, dt.timezone] = {}


def _own(instant: dt.datetime) -> dt.datetime:
    """The instant in a tzinfo object of its own (every comparison across tzinfos)."""
    offset = instant.utcoffset()
    assert offset is not None
    return instant.astimezone(dt.timezone(offset))


def _replay(cat: Catalog, header: ScenarioHeader,
            tickets: Sequence[Ticket]) -> tuple[object, ...]:
    result = simulate(cat, header, tickets)
    return ([t.to_dict() for t in result.tickets], result.summary,
            [i.to_dict() for i in result.money.invoices],
            [c.to_dict() for c in result.money.credits],
            [d.message for d in result.diagnostics], [q.to_dict() for q in result.queue])


@pytest.mark.parametrize("name", ["shipping", "promotino", "soluma", "webplug", "pomatio"])
def test_example_scenarios_replay_alike_in_shared_and_other_tzinfos(name: str) -> None:
    root = Path(__file__).resolve().parent.parent / "plans"
    cat = load_catalog([root / f"{name}.plan"])
    scenario = load_scenario(root / "scenarios" / f"{name}.toml")
    tickets = scenario.tickets
    shared = _replay(cat, scenario.header, [_in_tzinfo(t, _shared) for t in tickets])
    # (the same offsets: invoice lines show session starts in their own tzinfo)
    assert shared == _replay(cat, scenario.header, [_in_tzinfo(t, _own) for t in tickets])


def test_subscription_bounds_and_as_of_compare_as_instants_in_fixed_offsets() -> None:
    plan = make_plan(targets=[target(RESPONSE, real_hours(1))], subscription_required=True)
    # subscription 1 Mar 00:00 .. 1 Apr 00:00 Warsaw (ZoneInfo); as_of 29 Mar 12:00 CEST
    header = make_header("2026-03-29 12:00",
                         subscription(start="2026-03-01 00:00", end="2026-04-01 00:00"))
    sim = Simulator(make_catalog(plan), header)
    plus1, plus2, utc = _fixed(1), _fixed(2), dt.UTC
    start = at("2026-03-01 00:00")
    as_of = at("2026-03-29 12:00")
    cases = [
        (start.astimezone(plus1), None),  # exactly at the start: covered
        (start.astimezone(plus1) - dt.timedelta(microseconds=1), "no active subscription"),
        (start.astimezone(utc), None),
        (start.astimezone(plus2) - dt.timedelta(microseconds=1), "no active subscription"),
        (at("2026-03-29 11:00").astimezone(plus2), None),
    ]
    for created, coverage in cases:
        result = sim.simulate_ticket(Ticket(id="T", customer="acme", created=created))
        assert result.coverage == coverage, created
    # a reply exactly at as_of counts, one a microsecond later is not seen yet
    created = at("2026-03-29 11:30").astimezone(plus2)
    for reply, status in ((as_of.astimezone(plus2), Status.MET),
                          (as_of.astimezone(plus2) + dt.timedelta(microseconds=1),
                           Status.PENDING),
                          (as_of.astimezone(plus1), Status.MET)):
        ticket = Ticket(id="T", customer="acme", created=created,
                        events=(Event(at=reply, kind=EventKind.REPLIED),))
        assert sim.simulate_ticket(ticket).targets[0].status is status


def test_sessions_of_plans_testing_no_attribute_take_the_general_terms() -> None:
    from tierwise.engine.billing import Ledger

    root = Path(__file__).resolve().parent.parent / "plans"
    cat = load_catalog([root / "shipping.plan"])
    scenario = load_scenario(root / "scenarios" / "shipping.toml")
    ledger = Ledger(cat, scenario.header)
    for ticket in scenario.tickets:
        ledger.add(ticket, Simulator(cat, scenario.header).simulate_ticket(ticket))
    # sessions of plans whose rates and surcharges test nothing: keyed by no value at all
    untested = [(key, number) for key, number in ledger._terms_cache.items() if key[3] == ()]
    assert untested
    for (plan, kind, express, _values), number in untested:
        assert ledger._tested[plan] == ()
        general = ledger.session_terms(cat.plans[plan], kind, express, {"priority": "high"})
        assert general == number

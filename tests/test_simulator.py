"""The simulator's ticket clocks (SPEC 3.2 and docs/semantics.md), hand-computed.

Unless a test says otherwise the plan calendar is ``office``: Mon-Fri 08:00-16:00,
Europe/Warsaw (CET +01:00 until Sun 2026-03-29 02:00, then CEST +02:00). 2026-03-02 is a
Monday. Rules are written at ``plans/test.plan:<line>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from builders import (
    at,
    business_days,
    business_hours,
    calendar_days,
    closed,
    cond,
    coverage,
    customer,
    guaranteed_only,
    limit,
    make_catalog,
    make_header,
    make_plan,
    make_ticket,
    next_business_day,
    not_guaranteed,
    office,
    priority,
    real_hours,
    reopened,
    replied,
    resolved,
    subscription,
    target,
    waiting,
    work,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.engine.errors import PlanError, ScenarioError
from tierwise.engine.model import Catalog, Commitment, Metric, Plan, PlanChange
from tierwise.engine.quantities import Clock, TargetTime
from tierwise.engine.results import (
    Status,
    TargetResult,
    TicketResult,
    result_document,
    result_schema,
)
from tierwise.engine.scenario import Event, EventKind, PlanChangeEvent, Subscription, Ticket
from tierwise.engine.simulator import Simulator
from tierwise.engine.summary import Summary

H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
RESPONSE, RESOLUTION = Metric.FIRST_RESPONSE, Metric.RESOLUTION


def simulate(plan: Plan | Catalog, as_of: str, *tickets: Ticket,
             subs: tuple[Subscription, ...] = ()) -> list[TicketResult]:
    catalog = plan if isinstance(plan, Catalog) else make_catalog(plan)
    header = make_header(as_of, *subs) if subs else make_header(as_of)
    return list(Simulator(catalog, header).run(tickets))


def only(plan: Plan | Catalog, as_of: str, ticket: Ticket,
         metric: Metric = RESPONSE) -> TargetResult:
    (result,) = simulate(plan, as_of, ticket)
    (found,) = [t for t in result.targets if t.metric is metric]
    return found


def response_plan(allowance: TargetTime | None = None, **kw: Any) -> Plan:
    return make_plan(targets=[target(RESPONSE, allowance or business_hours(4), **kw)])


def resolution_plan(allowance: TargetTime | None = None, **kw: Any) -> Plan:
    return make_plan(targets=[target(RESOLUTION, allowance or business_hours(8), **kw)])


# --------------------------------------------------------------------------- first response


class TestFirstResponse:
    def test_business_hours_across_a_weekend(self) -> None:
        # Fri 15:00 + 4 business hours: Fri 15-16 (1h) + Mon 08-11 (3h) = Mon 11:00.
        # Reply Mon 09:00: open time Fri 15-16 + Mon 08-09 = 2h.
        r = only(response_plan(), "2026-03-10 12:00",
                 make_ticket("T1", "2026-03-06 15:00", replied("2026-03-09 09:00")))
        assert r.status is Status.MET
        assert r.start == at("2026-03-06 15:00")
        assert r.deadline == at("2026-03-09 11:00")
        assert r.deadline.utcoffset() == H  # shown in the calendar's local time
        assert r.stopped_at == at("2026-03-09 09:00")
        assert r.measured == 2 * H
        assert r.paused == dt.timedelta(0)
        assert r.guaranteed and r.reason is None
        assert r.clock.value == "business time" and r.calendar == "office"

    def test_reply_after_the_deadline_is_a_breach(self) -> None:
        r = only(response_plan(), "2026-03-10 12:00",
                 make_ticket("T1", "2026-03-06 15:00", replied("2026-03-09 11:30")))
        assert r.status is Status.BREACHED
        assert r.measured == 4.5 * H  # Fri 15-16 (1h) + Mon 08:00-11:30 (3h30)

    def test_reply_exactly_at_the_deadline_is_met(self) -> None:
        r = only(response_plan(), "2026-03-10 12:00",
                 make_ticket("T1", "2026-03-06 15:00", replied("2026-03-09 11:00")))
        assert r.status is Status.MET

    def test_resolution_without_reply_stops_it(self) -> None:
        r = only(response_plan(), "2026-03-10 12:00",
                 make_ticket("T1", "2026-03-09 09:00", resolved("2026-03-09 10:00"),
                             replied("2026-03-09 15:00")))
        assert r.stopped_at == at("2026-03-09 10:00")
        assert r.measured == H
        assert any("by resolution" in line for line in r.explanation)

    def test_closing_without_reply_stops_it(self) -> None:
        r = only(response_plan(), "2026-03-10 12:00",
                 make_ticket("T1", "2026-03-09 09:00", closed("2026-03-09 10:30")))
        assert r.stopped_at == at("2026-03-09 10:30")

    def test_waiting_does_not_pause_first_response_by_default(self) -> None:
        # Mon 09:00 + 4h = 13:00; the wait 10:00-14:00 is not excluded; reply 15:00.
        t = make_ticket("T1", "2026-03-02 09:00", waiting("2026-03-02 10:00"),
                        customer("2026-03-02 14:00"), replied("2026-03-02 15:00"))
        r = only(response_plan(), "2026-03-03 12:00", t)
        assert (r.deadline, r.status, r.measured, r.paused) == (
            at("2026-03-02 13:00"), Status.BREACHED, 6 * H, dt.timedelta(0))

    def test_waiting_pauses_first_response_when_the_rule_says_so(self) -> None:
        # Consume 09-10 (1h), paused 10-14, then 3h: 14-16 (2h) + Tue 08-09 (1h).
        t = make_ticket("T1", "2026-03-02 09:00", waiting("2026-03-02 10:00"),
                        customer("2026-03-02 14:00"), replied("2026-03-02 15:00"))
        r = only(response_plan(pauses=True), "2026-03-03 12:00", t)
        assert r.deadline == at("2026-03-03 09:00")
        assert r.status is Status.MET
        assert (r.measured, r.paused) == (2 * H, 4 * H)
        assert any("paused" in line and "waiting on the customer" in line
                   for line in r.explanation)

    def test_created_while_closed_starts_at_the_next_opening(self) -> None:
        # Sat 10:00: the business clock starts Mon 08:00; 4h later is Mon 12:00.
        r = only(response_plan(), "2026-03-09 10:00", make_ticket("T1", "2026-03-07 10:00"))
        assert r.start == at("2026-03-09 08:00")
        assert r.deadline == at("2026-03-09 12:00")
        assert r.status is Status.PENDING
        assert r.measured == 2 * H  # Mon 08:00-10:00 so far
        assert any("next opening" in line for line in r.explanation)


# --------------------------------------------------------------------------- requested in hours


class TestRequestedInHoursOnly:
    def plan(self, flag: bool) -> Plan:
        return make_plan(requested_in_hours_only=flag,
                         targets=[target(RESPONSE, real_hours(24), calendar="always")])

    def test_received_at_the_next_opening(self) -> None:
        # Sat 10:00 counts as received Mon 08:00; 24h of real time -> Tue 08:00.
        # The Sunday reply precedes the clock start: measured 0, met.
        t = make_ticket("T1", "2026-03-07 10:00", replied("2026-03-08 12:00"))
        (res,) = simulate(self.plan(True), "2026-03-10 12:00", t)
        assert res.received == at("2026-03-09 08:00")
        (r,) = res.targets
        assert r.start == at("2026-03-09 08:00")
        assert r.deadline == at("2026-03-10 08:00")
        assert (r.status, r.measured) == (Status.MET, dt.timedelta(0))
        assert any("received at the next opening" in line for line in r.explanation)

    def test_without_the_flag_the_clock_starts_at_creation(self) -> None:
        # Sat 10:00 + 24h = Sun 10:00 < reply Sun 12:00.
        t = make_ticket("T1", "2026-03-07 10:00", replied("2026-03-08 12:00"))
        (res,) = simulate(self.plan(False), "2026-03-10 12:00", t)
        assert res.received == res.created
        (r,) = res.targets
        assert (r.deadline, r.status, r.measured) == (at("2026-03-08 10:00"), Status.BREACHED,
                                                      26 * H)

    def test_created_in_hours_is_received_at_once(self) -> None:
        (res,) = simulate(self.plan(True), "2026-03-10 12:00",
                          make_ticket("T1", "2026-03-09 09:15"))
        assert res.received == at("2026-03-09 09:15")


# --------------------------------------------------------------------------- resolution


class TestResolution:
    def test_waiting_on_the_customer_is_excluded(self) -> None:
        # Mon 09:00, 8 business hours, wait Mon 10:00 -> Tue 10:00 (open time 6h + 2h = 8h).
        # Deadline: Mon 09-10 (1h), then from Tue 10:00: 10-16 (6h) + Wed 08-09 (1h).
        # Measured: open Mon 09:00..Tue 15:00 = 7h + 7h = 14h, minus 8h paused = 6h.
        t = make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 10:00"),
                        waiting("2026-03-02 10:00"), customer("2026-03-03 10:00"),
                        resolved("2026-03-03 15:00"))
        r = only(resolution_plan(), "2026-03-05 12:00", t, RESOLUTION)
        assert r.deadline == at("2026-03-04 09:00")
        assert (r.status, r.measured, r.paused) == (Status.MET, 6 * H, 8 * H)
        trace = " ".join(r.explanation)
        assert "Mon 08:00" not in trace and "Mon 09:00-10:00 1h" in trace
        assert "Tue 10:00-16:00 6h; Wed 08:00-09:00 1h" in trace

    def test_not_paused_rule_counts_the_wait(self) -> None:
        # Without pauses: Mon 09-16 (7h) + Tue 08-09 (1h) -> Tue 09:00 < resolved Tue 15:00.
        t = make_ticket("T1", "2026-03-02 09:00", waiting("2026-03-02 10:00"),
                        customer("2026-03-03 10:00"), resolved("2026-03-03 15:00"))
        r = only(resolution_plan(pauses=False), "2026-03-05 12:00", t, RESOLUTION)
        assert (r.deadline, r.status, r.measured) == (at("2026-03-03 09:00"), Status.BREACHED,
                                                      14 * H)

    def test_a_resolution_ends_the_wait(self) -> None:
        # Wait Mon 10:00-12:00 (resolved without a customer reply): measured 09-10 = 1h.
        t = make_ticket("T1", "2026-03-02 09:00", waiting("2026-03-02 10:00"),
                        resolved("2026-03-02 12:00"))
        r = only(resolution_plan(), "2026-03-05 12:00", t, RESOLUTION)
        assert (r.measured, r.paused) == (H, 2 * H)

    def test_a_vendor_reply_does_not_end_the_wait(self) -> None:
        # Wait 10:00 until the customer answers at 13:00 (the 11:00 reminder keeps waiting);
        # open 09:00-14:00 = 5h minus 3h = 2h.
        t = make_ticket("T1", "2026-03-02 09:00", waiting("2026-03-02 10:00"),
                        replied("2026-03-02 11:00"), customer("2026-03-02 13:00"),
                        resolved("2026-03-02 14:00"))
        r = only(resolution_plan(), "2026-03-05 12:00", t, RESOLUTION)
        assert (r.measured, r.paused) == (2 * H, 3 * H)

    def test_reopened_then_resolved_again(self) -> None:
        # 4 business hours. Resolved Mon 11:00, reopened Tue 09:00 (excluded: Mon 11-16 5h +
        # Tue 08-09 1h = 6h), resolved Tue 10:00 -> stop at the last resolution.
        # Deadline: Mon 09-11 (2h) then Tue 09-11 (2h) = Tue 11:00. Measured 9h - 6h = 3h.
        t = make_ticket("T1", "2026-03-02 09:00", resolved("2026-03-02 11:00"),
                        reopened("2026-03-03 09:00"), resolved("2026-03-03 10:00"))
        r = only(resolution_plan(business_hours(4)), "2026-03-05 12:00", t, RESOLUTION)
        assert r.stopped_at == at("2026-03-03 10:00")
        assert r.deadline == at("2026-03-03 11:00")
        assert (r.status, r.measured, r.paused) == (Status.MET, 3 * H, 6 * H)
        assert any("resolved until reopened" in line for line in r.explanation)

    def test_resolved_reopened_excluded_even_when_not_paused(self) -> None:
        t = make_ticket("T1", "2026-03-02 09:00", resolved("2026-03-02 11:00"),
                        reopened("2026-03-03 09:00"), resolved("2026-03-03 10:00"))
        r = only(resolution_plan(business_hours(4), pauses=False), "2026-03-05 12:00", t,
                 RESOLUTION)
        assert (r.deadline, r.measured) == (at("2026-03-03 11:00"), 3 * H)

    @pytest.mark.parametrize(("as_of", "status", "measured"), [
        # deadline Tue 11:00; so far Mon 09-11 (2h) + Tue 09:00..as_of
        ("2026-03-03 12:00", Status.BREACHED, 5 * H),
        ("2026-03-03 10:30", Status.PENDING, 3.5 * H),
    ])
    def test_reopened_and_still_open_at_as_of(self, as_of: str, status: Status,
                                             measured: dt.timedelta) -> None:
        t = make_ticket("T1", "2026-03-02 09:00", resolved("2026-03-02 11:00"),
                        reopened("2026-03-03 09:00"))
        r = only(resolution_plan(business_hours(4)), as_of, t, RESOLUTION)
        assert r.stopped_at is None
        assert (r.status, r.measured) == (status, measured)

    def test_a_second_resolved_without_reopen_moves_the_stop(self) -> None:
        t = make_ticket("T1", "2026-03-02 09:00", resolved("2026-03-02 10:00"),
                        resolved("2026-03-02 12:00"), closed("2026-03-02 13:00"))
        r = only(resolution_plan(), "2026-03-05 12:00", t, RESOLUTION)
        assert (r.stopped_at, r.measured) == (at("2026-03-02 12:00"), 3 * H)

    def test_pause_on_a_calendar_clock_pushes_by_real_time_across_dst(self) -> None:
        # 24h of real time from Sat 28 Mar 12:00 +01:00 (11:00Z) = Sun 13:00 +02:00.
        # Wait Sat 14:00 +01:00 -> Sun 14:00 +02:00 is 23h real (the night loses an hour):
        # deadline pushed to Mon 30 Mar 12:00 +02:00. Measured 46h real - 23h = 23h.
        plan = resolution_plan(real_hours(24), calendar="always")
        t = make_ticket("T1", "2026-03-28 12:00", waiting("2026-03-28 14:00"),
                        customer("2026-03-29 14:00"), resolved("2026-03-30 11:00"))
        r = only(plan, "2026-04-01 12:00", t, RESOLUTION)
        assert r.deadline == at("2026-03-30 12:00")
        assert r.deadline.utcoffset() == 2 * H
        assert (r.status, r.measured, r.paused) == (Status.MET, 23 * H, 23 * H)

    def test_pause_on_business_days_pushes_by_open_time(self) -> None:
        # 2 business days from Mon 10:00 = Wed 10:00. Wait Mon 12:00 -> Tue 12:00 holds 8h
        # of open time: Wed 10-16 (6h) + Thu 08-10 (2h) -> Thu 10:00 < resolved Thu 11:00.
        # Measured: open Mon 10:00..Thu 11:00 = 6 + 8 + 8 + 3 = 25h, minus 8h = 17h.
        t = make_ticket("T1", "2026-03-02 10:00", waiting("2026-03-02 12:00"),
                        customer("2026-03-03 12:00"), resolved("2026-03-05 11:00"))
        r = only(resolution_plan(business_days(2)), "2026-03-06 12:00", t, RESOLUTION)
        assert r.deadline == at("2026-03-05 10:00")
        assert (r.status, r.measured, r.paused) == (Status.BREACHED, 17 * H, 8 * H)
        assert any("pushed by the paused open time" in line for line in r.explanation)

    def test_pause_still_running_at_as_of_keeps_it_pending(self) -> None:
        # 4 business hours from Mon 09:00; waiting since 10:00 (1h used), as_of Tue 15:00.
        # The deadline moves past as_of: 3h from as_of = Wed 10:00.
        t = make_ticket("T1", "2026-03-02 09:00", waiting("2026-03-02 10:00"))
        r = only(resolution_plan(business_hours(4)), "2026-03-03 15:00", t, RESOLUTION)
        assert r.status is Status.PENDING
        assert r.deadline == at("2026-03-04 10:00")
        assert (r.measured, r.paused) == (H, 13 * H)  # Mon 10-16 (6h) + Tue 08-15 (7h)


# --------------------------------------------------------------------------- as_of


class TestAsOf:
    @pytest.mark.parametrize(("as_of", "status", "measured"), [
        ("2026-03-02 13:00", Status.BREACHED, 4 * H),  # deadline == as_of: passed
        ("2026-03-02 12:59", Status.PENDING, 4 * H - MIN),
    ])
    def test_breached_or_pending(self, as_of: str, status: Status, measured: dt.timedelta) -> None:
        r = only(response_plan(), as_of, make_ticket("T1", "2026-03-02 09:00"))
        assert r.deadline == at("2026-03-02 13:00")
        assert (r.stopped_at, r.status, r.measured) == (None, status, measured)
        assert any("not stopped by as_of" in line for line in r.explanation)

    def test_events_after_as_of_are_ignored(self) -> None:
        t = make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 14:00"),
                        priority("2026-03-02 13:00", "urgent"), priority="normal")
        (res,) = simulate(response_plan(), "2026-03-02 12:00", t)
        (r,) = res.targets
        assert (r.stopped_at, r.status, r.measured) == (None, Status.PENDING, 3 * H)
        assert res.priority == "normal"

    def test_unsorted_events_are_put_in_time_order(self) -> None:
        t = make_ticket("T1", "2026-03-02 09:00", resolved("2026-03-03 09:00"),
                        replied("2026-03-02 10:00"))
        r = only(response_plan(), "2026-03-05 12:00", t)
        assert r.stopped_at == at("2026-03-02 10:00")


# --------------------------------------------------------------------------- commitments


class TestCommitments:
    @pytest.mark.parametrize("commitment", [Commitment.BEST_EFFORT, Commitment.AVERAGE])
    @pytest.mark.parametrize(("events", "as_of", "status"), [
        ((replied("2026-03-02 10:00"),), "2026-03-05 12:00", Status.OBJECTIVE_MET),
        ((replied("2026-03-03 10:00"),), "2026-03-05 12:00", Status.OBJECTIVE_MISSED),
        ((), "2026-03-02 12:00", Status.OBJECTIVE_PENDING),
        ((), "2026-03-05 12:00", Status.OBJECTIVE_MISSED),  # never "breached"
    ])
    def test_best_effort_and_average_never_breach(self, commitment: Commitment, events: tuple,
                                                 as_of: str, status: Status) -> None:
        # 24h of real time from Mon 09:00 -> Tue 09:00.
        plan = response_plan(real_hours(24), calendar="always", commitment=commitment)
        r = only(plan, as_of, make_ticket("T1", "2026-03-02 09:00", *events))
        assert r.deadline == at("2026-03-03 09:00")
        assert r.status is status
        assert r.guaranteed is False
        assert r.rule.startswith(commitment.value)


# --------------------------------------------------------------------------- priority changes


class TestPriorityChange:
    def plan(self) -> Plan:
        return make_plan(priorities=("urgent", "high", "normal"), targets=[
            target(RESPONSE, business_hours(8), line=10),
            target(RESPONSE, real_hours(1), calendar="always", when=cond(priority="urgent"),
                   line=11),
        ])

    def test_raising_the_priority_picks_the_urgent_rule_from_the_original_start(self) -> None:
        # Created Mon 09:00 as normal (8 business hours -> 17:00... Tue 09:00); raised to
        # urgent at 09:30: 1h of real time from 09:00 -> 10:00 < reply 10:30.
        t = make_ticket("T1", "2026-03-02 09:00", priority("2026-03-02 09:30", "urgent"),
                        replied("2026-03-02 10:30"), priority="normal")
        (res,) = simulate(self.plan(), "2026-03-05 12:00", t)
        (r,) = res.targets
        assert res.priority == "urgent" and r.priority == "urgent"
        assert r.rule_ref == "plans/test.plan:11"
        assert (r.start, r.deadline) == (at("2026-03-02 09:00"), at("2026-03-02 10:00"))
        assert (r.status, r.measured) == (Status.BREACHED, 1.5 * H)
        trace = "\n".join(r.explanation)
        assert "priority changed normal -> urgent" in trace
        assert "rule at the initial priority was plans/test.plan:10" in trace

    def test_lowering_the_priority_picks_the_general_rule(self) -> None:
        t = make_ticket("T1", "2026-03-02 09:00", priority("2026-03-02 09:30", "normal"),
                        replied("2026-03-02 10:30"), priority="urgent")
        r = only(self.plan(), "2026-03-05 12:00", t)
        assert r.rule_ref == "plans/test.plan:10"
        assert (r.deadline, r.status) == (at("2026-03-03 09:00"), Status.MET)

    def test_a_change_after_the_stop_does_not_matter(self) -> None:
        t = make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 10:30"),
                        priority("2026-03-02 11:00", "urgent"), priority="normal")
        (res,) = simulate(self.plan(), "2026-03-05 12:00", t)
        (r,) = res.targets
        assert res.priority == "urgent"  # the ticket's final priority...
        assert (r.priority, r.rule_ref, r.status) == ("normal", "plans/test.plan:10", Status.MET)
        assert not any("priority changed" in line for line in r.explanation)

    def test_no_applicable_rule_gives_no_result(self) -> None:
        plan = make_plan(targets=[target(RESPONSE, real_hours(1), calendar="always",
                                         when=cond(priority="urgent"))])
        (res,) = simulate(plan, "2026-03-05 12:00",
                          make_ticket("T1", "2026-03-02 09:00", priority="normal"))
        assert res.targets == () and res.covered


# --------------------------------------------------------------------------- guarantees


class TestGuarantees:
    def test_guaranteed_only_for_registered_contacts(self) -> None:
        plan = make_plan(
            targets=[target(RESPONSE, business_hours(4))],
            guarantee_rules=(guaranteed_only("guarantee only for registered contacts",
                                             contact="registered"),))
        events = (replied("2026-03-02 15:00"),)  # late: deadline 13:00
        r = only(plan, "2026-03-05 12:00",
                 make_ticket("T1", "2026-03-02 09:00", *events, contact_registered=False))
        assert r.status is Status.NOT_GUARANTEED
        assert r.reason == "not guaranteed: guarantee only for registered contacts"
        assert r.guaranteed is False
        assert (r.deadline, r.measured) == (at("2026-03-02 13:00"), 6 * H)  # still shown
        assert r.explanation[-1] == r.reason
        registered = only(plan, "2026-03-05 12:00", make_ticket("T2", "2026-03-02 09:00", *events))
        assert (registered.status, registered.guaranteed) == (Status.BREACHED, True)

    def test_not_guaranteed_on_some_channels(self) -> None:
        plan = make_plan(
            targets=[target(RESPONSE, business_hours(4))],
            guarantee_rules=(not_guaranteed("no guarantee over these channels",
                                            channel=["sms", "whatsapp"]),))
        sms = only(plan, "2026-03-05 12:00", make_ticket("T1", "2026-03-02 09:00", channel="sms"))
        email = only(plan, "2026-03-05 12:00",
                     make_ticket("T2", "2026-03-02 09:00", channel="email"))
        assert sms.status is Status.NOT_GUARANTEED
        assert email.status is Status.BREACHED

    def test_best_effort_targets_keep_their_objective_status(self) -> None:
        plan = make_plan(
            targets=[target(RESPONSE, real_hours(24), calendar="always",
                            commitment=Commitment.BEST_EFFORT)],
            guarantee_rules=(guaranteed_only("registered only", contact="registered"),))
        r = only(plan, "2026-03-02 12:00",
                 make_ticket("T1", "2026-03-02 09:00", contact_registered=False))
        assert (r.status, r.reason) == (Status.OBJECTIVE_PENDING, None)


class TestGuaranteeLimits:
    def plan(self) -> Plan:
        return make_plan(targets=[target(RESPONSE, business_hours(4))],
                         guarantee_limits=(limit(3, ["email"], not_category="bug"),))

    def statuses(self, results: list[TicketResult]) -> dict[str, Status]:
        return {r.ticket_id: r.targets[0].status for r in results}

    def test_limit_reached_mid_month(self) -> None:
        q = {"category": "question"}
        tickets = [
            # 2h of e-mail work, ends Mon 12:00
            make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 09:30"),
                        work("2026-03-02 10:00", 120), **q),
            # 1h30 of e-mail work ending Tue 11:30; 10h of remote work (another kind)
            make_ticket("T2", "2026-03-03 09:00", replied("2026-03-03 09:30"),
                        work("2026-03-03 10:00", 90), work("2026-03-03 10:00", 600, "remote"),
                        **q),
            # Tue 11:00: only T1's 2h have ended -> guaranteed
            make_ticket("T3", "2026-03-03 11:00", replied("2026-03-03 11:10"), **q),
            # Tue 11:30: T2's session ends at that very instant, not before -> still 2h
            make_ticket("T4", "2026-03-03 11:30", replied("2026-03-03 11:40"), **q),
            # Tue 12:00: 2h + 1h30 = 3h30 >= 3h -> not guaranteed
            make_ticket("T5", "2026-03-03 12:00", replied("2026-03-03 12:10"), **q),
            # a bug is outside the limit's condition -> guaranteed
            make_ticket("T6", "2026-03-03 13:00", replied("2026-03-03 13:10"), category="bug"),
            # another customer has its own count
            make_ticket("T7", "2026-03-03 13:30", replied("2026-03-03 13:40"),
                        customer="globex", **q),
            # a new month starts from zero
            make_ticket("T8", "2026-04-01 09:00", replied("2026-04-01 09:10"), **q),
        ]
        results = simulate(self.plan(), "2026-04-02 12:00", *tickets,
                           subs=(subscription(), subscription("globex")))
        assert self.statuses(results) == {
            "T1": Status.MET, "T2": Status.MET, "T3": Status.MET, "T4": Status.MET,
            "T5": Status.NOT_GUARANTEED, "T6": Status.MET, "T7": Status.MET, "T8": Status.MET,
        }
        t5 = results[4].targets[0]
        assert t5.reason == "not guaranteed: monthly limit of 3h of email work reached"
        assert t5.guaranteed is False

    def test_work_on_tickets_outside_the_condition_does_not_count(self) -> None:
        tickets = [
            make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 240), category="bug"),
            make_ticket("T2", "2026-03-03 09:00", category="question"),
        ]
        results = simulate(self.plan(), "2026-03-03 10:00", *tickets)
        assert results[1].targets[0].status is Status.PENDING

    def test_months_are_taken_in_the_plan_calendars_zone(self) -> None:
        # The session starts Wed 1 Apr 00:00 +02:00 (still 31 Mar in UTC): it belongs to
        # April in Warsaw, so a ticket of 1 Apr 04:00 sees 3h of April work.
        tickets = [
            make_ticket("T1", "2026-03-31 23:00", work("2026-04-01 00:00", 180),
                        category="question"),
            make_ticket("T2", "2026-04-01 04:00", category="question"),
        ]
        results = simulate(self.plan(), "2026-04-01 10:00", *tickets)
        assert results[1].targets[0].status is Status.NOT_GUARANTEED

    def test_a_plan_change_mid_month_keeps_the_months_work(self) -> None:
        # 4h of e-mail work on BASIC (no limit) on 2 Mar; the customer moves to STD (3h
        # limit) on 10 Mar, at once (BASIC's changes are immediate): the month's 4h
        # already count.
        basic = make_plan("BASIC", targets=[target(RESPONSE, business_hours(8))],
                          plan_change=PlanChange.IMMEDIATE)
        sub = subscription(plan="BASIC", changes=(PlanChangeEvent(at("2026-03-10 00:00"),
                                                                  "STD"),))
        tickets = [make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 240)),
                   make_ticket("T2", "2026-03-11 09:00")]
        results = simulate(make_catalog(basic, self.plan()), "2026-03-11 10:00", *tickets,
                           subs=(sub,))
        assert [r.plan for r in results] == ["BASIC", "STD"]
        assert results[1].targets[0].status is Status.NOT_GUARANTEED

    def test_past_months_are_forgotten(self) -> None:
        sim = Simulator(make_catalog(self.plan()), make_header("2026-05-01 00:00"))
        sim.simulate_ticket(make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 60)))
        sim.simulate_ticket(make_ticket("T2", "2026-04-02 09:00", work("2026-04-02 10:00", 60)))
        tracker = sim._limits
        assert tracker is not None
        assert [key[1:] for key in tracker.customers["acme"].buckets] == [(2026, 4)]

    def test_tickets_out_of_creation_order_are_an_error(self) -> None:
        tickets = [make_ticket("T1", "2026-03-03 09:00"), make_ticket("T2", "2026-03-02 09:00")]
        with pytest.raises(ScenarioError, match="created before ticket T1"):
            simulate(self.plan(), "2026-03-05 10:00", *tickets)


# --------------------------------------------------------------------------- coverage


class TestCoverage:
    def test_channel_not_offered(self) -> None:
        plan = make_plan(targets=[target(RESPONSE, business_hours(4))],
                         channels=frozenset({"email", "web"}))
        (res,) = simulate(plan, "2026-03-05 12:00",
                          make_ticket("T1", "2026-03-02 09:00", channel="phone"))
        assert (res.coverage, res.targets, res.covered) == ("channel phone not offered", (), False)
        (ok,) = simulate(plan, "2026-03-05 12:00",
                         make_ticket("T2", "2026-03-02 09:00", channel="email"))
        assert ok.covered and len(ok.targets) == 1

    def test_coverage_rule(self) -> None:
        plan = make_plan(targets=[target(RESPONSE, business_hours(4))],
                         coverage=(coverage("not included in support",
                                            category=["customization", "migration"]),))
        (res,) = simulate(plan, "2026-03-05 12:00",
                          make_ticket("T1", "2026-03-02 09:00", category="migration"))
        assert res.coverage == "not included in support" and res.targets == ()

    def test_no_subscription_at_all(self) -> None:
        (res,) = simulate(response_plan(), "2026-03-05 12:00",
                          make_ticket("T1", "2026-03-02 09:00", customer="stranger"))
        assert (res.plan, res.coverage, res.targets) == (None, "no subscription", ())

    @pytest.mark.parametrize(("required", "coverage"), [(True, "no active subscription"),
                                                        (False, None)])
    def test_outside_the_subscription(self, required: bool, coverage: str | None) -> None:
        plan = make_plan(targets=[target(RESPONSE, business_hours(4))],
                         subscription_required=required)
        sub = subscription(start="2026-03-01 00:00", end="2026-03-02 00:00")
        (res,) = simulate(plan, "2026-03-05 12:00", make_ticket("T1", "2026-03-02 09:00"),
                          subs=(sub,))
        assert res.coverage == coverage
        assert len(res.targets) == (0 if required else 1)

    @pytest.mark.parametrize("rule", [PlanChange.IMMEDIATE, PlanChange.PRORATED])
    def test_plan_in_force_at_creation(self, rule: PlanChange) -> None:
        # SLOW's changes apply at once: a ticket at the change instant is on FAST.
        fast = make_plan("FAST", targets=[target(RESPONSE, business_hours(1))])
        slow = make_plan("SLOW", targets=[target(RESPONSE, business_hours(8))],
                         plan_change=rule)
        sub = subscription(plan="SLOW", changes=(
            PlanChangeEvent(at("2026-03-02 12:00"), "FAST"),))
        results = simulate(make_catalog(fast, slow), "2026-03-05 12:00",
                           make_ticket("T1", "2026-03-02 09:00"),
                           make_ticket("T2", "2026-03-02 12:00"), subs=(sub,))
        assert [r.plan for r in results] == ["SLOW", "FAST"]
        assert results[1].targets[0].deadline == at("2026-03-02 13:00")

    def test_a_change_next_period_applies_from_the_next_billing_period(self) -> None:
        # SLOW (default: changes take effect next period, monthly cycle in Warsaw) → FAST
        # decided on Mar 28: the rest of March is served on SLOW's 8 business hours, as
        # it is billed; FAST's 1 hour from Wed Apr 1 00:00 +02:00 (the period's start).
        fast = make_plan("FAST", targets=[target(RESPONSE, business_hours(1))])
        slow = make_plan("SLOW", targets=[target(RESPONSE, business_hours(8))])
        sub = subscription(plan="SLOW", changes=(
            PlanChangeEvent(at("2026-03-28 12:00"), "FAST"),))
        results = simulate(make_catalog(fast, slow), "2026-04-05 12:00",
                           make_ticket("T1", "2026-03-30 10:00"),
                           make_ticket("T2", "2026-03-31 23:59"),
                           make_ticket("T3", "2026-04-01 00:00"), subs=(sub,))
        assert [r.plan for r in results] == ["SLOW", "SLOW", "FAST"]
        # Mon 10:00 + 8 business hours: Mon 10-16 (6h) + Tue 08-10 (2h)
        assert results[0].targets[0].deadline == at("2026-03-31 10:00")
        assert results[2].targets[0].deadline == at("2026-04-01 09:00")

    def test_coverage_follows_the_plan_billed_for_the_period(self) -> None:
        # Promotino's S-04: back to a plan without chat on Dec 3 (next period): a chat on
        # Dec 7 is still served under the plan December is invoiced on.
        paid = make_plan("PAID", targets=[target(RESPONSE, business_hours(4))],
                         channels=frozenset({"chat", "web"}))
        free = make_plan("FREE", channels=frozenset({"web"}))
        sub = subscription(plan="FREE", start="2026-10-01 00:00", changes=(
            PlanChangeEvent(at("2026-11-20 09:00"), "PAID"),
            PlanChangeEvent(at("2026-12-03 09:00"), "FREE")))
        (chat,) = simulate(make_catalog(paid, free), "2026-12-10 12:00",
                           make_ticket("S4", "2026-12-07 10:00", channel="chat"), subs=(sub,))
        assert (chat.plan, chat.coverage, len(chat.targets)) == ("PAID", None, 1)

    def test_an_unknown_plan_in_a_change_is_a_scenario_error(self) -> None:
        sub = subscription(changes=(PlanChangeEvent(at("2026-03-02 12:00"), "GOLDD"),))
        with pytest.raises(ScenarioError, match="plan 'GOLDD', which is not in the catalog"):
            simulate(response_plan(), "2026-03-05 12:00", make_ticket("T1", "2026-03-02 09:00"),
                     subs=(sub,))


# --------------------------------------------------------------------------- next reply, update


class TestNextReplyAndUpdates:
    def test_one_next_reply_per_customer_message(self) -> None:
        # 2 business hours from each customer message to the next vendor reply.
        plan = make_plan(targets=[target(Metric.NEXT_REPLY, business_hours(2))])
        t = make_ticket(
            "T1", "2026-03-02 09:00",
            replied("2026-03-02 09:30"),
            customer("2026-03-02 10:00"),   # #0: deadline 12:00, reply 12:15 -> breached
            customer("2026-03-02 10:30"),   # #1: deadline 12:30, reply 12:15 -> met
            replied("2026-03-02 12:15"),
            customer("2026-03-02 14:00"),   # #2: deadline 16:00, resolved 14:30 -> met
            resolved("2026-03-02 14:30"),
            customer("2026-03-02 15:00"),   # while resolved: no target ("thanks!")
            customer("2026-03-03 09:00"),   # still resolved at as_of
        )
        (res,) = simulate(plan, "2026-03-03 12:00", t)
        got = [(r.occurrence, r.start, r.deadline, r.stopped_at, r.measured, r.status)
               for r in res.targets]
        assert got == [
            (0, at("2026-03-02 10:00"), at("2026-03-02 12:00"), at("2026-03-02 12:15"),
             2.25 * H, Status.BREACHED),
            (1, at("2026-03-02 10:30"), at("2026-03-02 12:30"), at("2026-03-02 12:15"),
             1.75 * H, Status.MET),
            (2, at("2026-03-02 14:00"), at("2026-03-02 16:00"), at("2026-03-02 14:30"),
             0.5 * H, Status.MET),
        ]

    def test_unanswered_message_at_as_of(self) -> None:
        plan = make_plan(targets=[target(Metric.NEXT_REPLY, business_hours(2))])
        t = make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 09:30"),
                        customer("2026-03-02 15:00"))
        (res,) = simulate(plan, "2026-03-03 09:00", t)
        (r,) = res.targets
        # 15:00 + 2 business hours = 15-16 (1h) + Tue 08-09 (1h) = Tue 09:00 == as_of
        assert (r.deadline, r.status, r.measured) == (at("2026-03-03 09:00"), Status.BREACHED,
                                                      2 * H)

    def test_periodic_update_gaps(self) -> None:
        # An update every 2h of real time while open.
        plan = make_plan(targets=[target(Metric.PERIODIC_UPDATE, real_hours(2),
                                         calendar="always")])
        t = make_ticket("T1", "2026-03-02 09:00",
                        replied("2026-03-02 10:00"),    # gap #0 09:00-10:00 met
                        replied("2026-03-02 13:00"),    # gap #1 10:00-13:00 breached (12:00)
                        resolved("2026-03-02 14:00"),   # gap #2 13:00-14:00 met
                        replied("2026-03-02 14:30"),    # while resolved: not an update
                        reopened("2026-03-02 15:00"))   # gap #3 from 15:00, open at as_of
        (res,) = simulate(plan, "2026-03-02 18:00", t)
        got = [(r.occurrence, r.start, r.stopped_at, r.measured, r.status) for r in res.targets]
        assert got == [
            (0, at("2026-03-02 09:00"), at("2026-03-02 10:00"), 1 * H, Status.MET),
            (1, at("2026-03-02 10:00"), at("2026-03-02 13:00"), 3 * H, Status.BREACHED),
            (2, at("2026-03-02 13:00"), at("2026-03-02 14:00"), 1 * H, Status.MET),
            (3, at("2026-03-02 15:00"), None, 3 * H, Status.BREACHED),  # deadline 17:00
        ]
        assert "reopened" in res.targets[3].explanation[2]


# --------------------------------------------------------------------------- calendars


class TestRealCalendars:
    def test_business_time_on_the_spring_dst_night(self) -> None:
        # Open Sun 00:00-06:00. On 29 Mar 2026 02:00 -> 03:00, so the window is 5h long.
        # 4 business hours from 00:00 +01:00 (23:00Z) = 03:00Z = 05:00 +02:00.
        night = office("night", start="00:00", end="06:00", days=[6])
        plan = make_plan(calendar="night",
                         targets=[target(RESPONSE, business_hours(4), calendar="night")])
        t = make_ticket("T1", "2026-03-29 00:00", replied("2026-03-29 05:30"))
        r = only(make_catalog(plan, calendars=[night]), "2026-03-30 12:00", t)
        assert r.deadline == at("2026-03-29T05:00+02:00")
        assert (r.status, r.measured) == (Status.BREACHED, 4.5 * H)

    def test_business_time_on_the_autumn_dst_night(self) -> None:
        # 25 Oct 2026 03:00 CEST -> 02:00 CET: the 00:00-06:00 window is 7h long.
        # 4 business hours from 00:00 +02:00 (22:00Z) = 02:00Z = 03:00 +01:00.
        night = office("night", start="00:00", end="06:00", days=[6])
        plan = make_plan(calendar="night",
                         targets=[target(RESPONSE, business_hours(4), calendar="night")])
        r = only(make_catalog(plan, calendars=[night]), "2026-10-26 12:00",
                 make_ticket("T1", "2026-10-25 00:00"))
        assert r.deadline == at("2026-10-25T03:00+01:00")
        assert r.measured == 7 * H  # the whole window, so far

    def test_a_reply_in_the_repeated_hour_is_compared_as_an_instant(self) -> None:
        # 2 business hours from Sun 25 Oct 00:30 +02:00 (22:30Z) = 02:30 +02:00 (00:30Z).
        # The reply at 02:15 in the *second* 02:00-03:00 (+01:00, 01:15Z) is 45 min late,
        # although its wall time is earlier than the deadline's.
        night = office("night", start="00:00", end="06:00", days=[6])
        plan = make_plan(calendar="night",
                         targets=[target(RESPONSE, business_hours(2), calendar="night")])
        reply = at("2026-10-25 02:15").replace(fold=1)
        assert reply.utcoffset() == H
        r = only(make_catalog(plan, calendars=[night]), "2026-10-26 12:00",
                 make_ticket("T1", "2026-10-25 00:30", replied(reply)))
        # (an instant in the repeated hour never == one in another zone: compare in UTC)
        assert r.deadline_utc == at("2026-10-25T00:30+00:00")
        assert r.deadline.utcoffset() == 2 * H
        assert (r.status, r.measured) == (Status.BREACHED, 2.75 * H)

    def test_calendar_days_keep_the_wall_time_across_dst(self) -> None:
        # 1 calendar day from Sat 28 Mar 12:00 +01:00 = Sun 29 Mar 12:00 +02:00 (23h real).
        plan = response_plan(calendar_days(1), calendar="always")
        r = only(plan, "2026-03-29 12:30", make_ticket("T1", "2026-03-28 12:00"))
        assert r.deadline == at("2026-03-29 12:00")
        assert (r.status, r.measured) == (Status.BREACHED, 23.5 * H)

    def test_24h_is_real_time_across_dst(self) -> None:
        plan = response_plan(real_hours(24), calendar="always")
        r = only(plan, "2026-03-29 12:30", make_ticket("T1", "2026-03-28 12:00"))
        assert r.deadline == at("2026-03-29 13:00")
        assert r.status is Status.PENDING

    def holiday_catalog(self, allowance: TargetTime) -> Catalog:
        cal = office(holidays=[("PL", None)])
        return make_catalog(make_plan(targets=[target(RESPONSE, allowance)]), calendars=[cal])

    def test_public_holiday_is_closed(self) -> None:
        # Thu 30 Apr 15:00; Fri 1 May is Labour Day in Poland, then the weekend:
        # Thu 15-16 (1h) + Mon 4 May 08-11 (3h).
        r = only(self.holiday_catalog(business_hours(4)), "2026-05-05 12:00",
                 make_ticket("T1", "2026-04-30 15:00"))
        assert r.deadline == at("2026-05-04 11:00")
        assert "Thu 15:00-16:00 1h; Mon 08:00-11:00 3h" in r.explanation[3]

    def test_end_of_next_business_day_skips_the_holiday(self) -> None:
        r = only(self.holiday_catalog(next_business_day()), "2026-05-05 12:00",
                 make_ticket("T1", "2026-04-30 10:00"))
        assert r.deadline == at("2026-05-04 16:00")

    def test_business_days_skip_the_holiday(self) -> None:
        # Thu 30 Apr 10:00 + 2 business days: Mon 4 May (1), Tue 5 May (2), same wall time.
        r = only(self.holiday_catalog(business_days(2)), "2026-05-06 12:00",
                 make_ticket("T1", "2026-04-30 10:00"))
        assert r.deadline == at("2026-05-05 10:00")

    def test_closed_date(self) -> None:
        cal = office(closed=[dt.date(2026, 3, 9)])
        cat = make_catalog(response_plan(), calendars=[cal])
        r = only(cat, "2026-03-11 12:00", make_ticket("T1", "2026-03-06 15:00"))
        assert r.deadline == at("2026-03-10 11:00")

    def test_always_uses_the_plan_calendars_zone(self) -> None:
        plan = response_plan(real_hours(1), calendar="always")
        r = only(plan, "2026-03-05 12:00", make_ticket("T1", "2026-03-02 09:00"))
        assert r.deadline.tzinfo is not None
        assert r.deadline.isoformat() == "2026-03-02T10:00:00+01:00"


# --------------------------------------------------------------------------- errors, streaming


class TestPlumbing:
    def test_unknown_calendar_is_a_plan_error(self) -> None:
        plan = make_plan(targets=[target(RESPONSE, business_hours(4), calendar="ofice")])
        with pytest.raises(PlanError, match="calendar 'ofice'") as info:
            Simulator(make_catalog(plan), make_header("2026-03-05 12:00"))
        assert info.value.diagnostics[0].hint == "did you mean 'office'?"

    def test_unknown_plan_is_a_scenario_error(self) -> None:
        sim = Simulator(make_catalog(response_plan()),
                        make_header("2026-03-05 12:00", subscription(plan="GOLD")))
        with pytest.raises(ScenarioError, match="plan 'GOLD'"):
            sim.simulate_ticket(make_ticket("T1", "2026-03-02 09:00"))

    def test_run_streams(self) -> None:
        def tickets() -> Iterator[Ticket]:
            yield make_ticket("T1", "2026-03-02 09:00")
            raise AssertionError("pulled a second ticket before the first result was used")

        sim = Simulator(make_catalog(response_plan()), make_header("2026-03-05 12:00"))
        first = next(sim.run(tickets()))
        assert first.ticket_id == "T1"

    def test_explanations_are_rendered_only_when_read(self) -> None:
        r = only(response_plan(), "2026-03-10 12:00", make_ticket("T1", "2026-03-06 15:00"))
        assert r.trace.lines is None  # type: ignore[attr-defined]
        lines = r.explanation
        assert r.explanation is lines  # rendered once

    def test_explanation_names_rule_calendar_and_trace(self) -> None:
        r = only(response_plan(), "2026-03-10 12:00",
                 make_ticket("T1", "2026-03-06 15:00", replied("2026-03-09 09:00")))
        assert r.explanation == (
            "rule plans/test.plan:10: response within 4 business hours",
            "calendar office (Europe/Warsaw), business time, allowance 4 business hours",
            "clock starts Fri 2026-03-06 15:00 +01:00 (creation)",
            "deadline Mon 2026-03-09 11:00 +01:00: 4 business hours of open time: "
            "Fri 15:00-16:00 1h; Mon 08:00-11:00 3h",
            "stopped at Mon 2026-03-09 09:00 +01:00 by vendor reply; measured 2h",
            "met: stopped by the deadline",
        )


# --------------------------------------------------------------------------- JSON


class TestJson:
    def test_results_validate_against_the_published_schema(self) -> None:
        schema = result_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        plan = make_plan(
            priorities=("urgent", "normal"),
            targets=[target(RESPONSE, business_hours(4)),
                     target(RESOLUTION, business_days(2)),
                     target(Metric.NEXT_REPLY, business_hours(2)),
                     target(Metric.PERIODIC_UPDATE, real_hours(4), calendar="always",
                            commitment=Commitment.BEST_EFFORT)],
            channels=frozenset({"email"}),
            guarantee_rules=(guaranteed_only("registered only", contact="registered"),),
            plan_change=PlanChange.NEXT_PERIOD)
        tickets = [
            make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 10:00"),
                        waiting("2026-03-02 10:00"), customer("2026-03-02 11:00"),
                        replied("2026-03-02 11:30"), resolved("2026-03-02 12:00"),
                        channel="email", priority="urgent"),
            make_ticket("T2", "2026-03-02 10:00", channel="phone"),
            make_ticket("T3", "2026-03-02 11:00", channel="email", contact_registered=False),
            make_ticket("T4", "2026-03-02 12:00", customer="stranger"),
        ]
        sim = Simulator(make_catalog(plan), make_header("2026-03-03 12:00"))
        summary = Summary()
        results = []
        for r in sim.run(tickets):
            summary.add(r)
            results.append(r)
        doc = result_document(results, summary.to_dict(), scenario="test",
                              as_of=at("2026-03-03 12:00"))
        jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).validate(doc)
        t1 = doc["tickets"][0]
        response = t1["targets"][0]
        assert response["deadline"] == {"local": "2026-03-02T13:00:00+01:00",
                                        "utc": "2026-03-02T12:00:00Z"}
        assert response["measured"] == {"seconds": 3600, "text": "1h"}
        assert response["rule"] == {"ref": "plans/test.plan:10",
                                    "label": "response within 4 business hours"}
        assert response["status"] == "met"
        assert doc["tickets"][1]["coverage"] == "channel phone not offered"
        assert doc["tickets"][2]["targets"][0]["status"] == "not_guaranteed"

    def test_invalid_documents_are_rejected(self) -> None:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"tickets": [{"ticket": "T1"}]}, result_schema())


# --------------------------------------------------------------------------- properties

_KINDS = [EventKind.REPLIED, EventKind.WAITING, EventKind.CUSTOMER_REPLIED,
          EventKind.RESOLVED, EventKind.REOPENED, EventKind.CLOSED,
          EventKind.PRIORITY_CHANGED]
_PROPERTY_PLAN = make_plan(priorities=("urgent", "normal"), targets=[
    target(RESPONSE, business_hours(4), line=10),
    target(RESPONSE, real_hours(1), calendar="always", when=cond(priority="urgent"), line=11),
    target(RESOLUTION, business_days(2), line=12),
    target(RESOLUTION, real_hours(8), calendar="always", when=cond(priority="urgent"),
           line=13),
    target(Metric.NEXT_REPLY, business_hours(2), pauses=True, line=14),
    target(Metric.PERIODIC_UPDATE, calendar_days(1), calendar="always", line=15),
])
_PROPERTY_SIM = Simulator(make_catalog(_PROPERTY_PLAN), make_header("2026-04-15 12:00"))
_VALIDATOR = jsonschema.Draft202012Validator(result_schema())


@st.composite
def _tickets(draw: st.DrawFn) -> Ticket:
    """A ticket created around the spring DST change, with up to 8 events in 6 days."""
    created = at("2026-03-20 00:00") + dt.timedelta(minutes=draw(st.integers(0, 20 * 1440)))
    offsets = sorted(draw(st.lists(st.integers(0, 6 * 1440), max_size=8)))
    events = []
    for offset in offsets:
        kind = draw(st.sampled_from(_KINDS))
        prio = draw(st.sampled_from(["urgent", "normal"])) \
            if kind is EventKind.PRIORITY_CHANGED else None
        events.append(Event(created + dt.timedelta(minutes=offset), kind, priority=prio))
    return make_ticket("P", created, *events, priority=draw(st.sampled_from(["urgent", "normal"])))


@settings(max_examples=120, deadline=None)
@given(_tickets())
def test_invariants_of_any_timeline(ticket: Ticket) -> None:
    result = _PROPERTY_SIM.simulate_ticket(ticket)
    as_of = _PROPERTY_SIM.header.as_of
    assert result == _PROPERTY_SIM.simulate_ticket(ticket)  # deterministic
    for t in result.targets:
        assert t.measured >= dt.timedelta(0) and t.paused >= dt.timedelta(0)
        if t.metric in (RESPONSE, RESOLUTION):
            assert t.start >= result.received
        if t.stopped_at is not None:
            assert t.stopped_at <= as_of
            assert (t.status is Status.MET) == (t.stopped_at <= t.deadline_utc)
        else:
            assert t.status is (Status.BREACHED if t.deadline_utc <= as_of else Status.PENDING)
        if t.clock is Clock.CALENDAR_TIME and t.stopped_at is not None:
            # real time, paused or not: on time exactly when the measured time fits
            assert (t.status is Status.MET) == (t.measured.total_seconds() <= t.allowance.seconds)
        assert t.explanation[0].startswith(f"rule {t.rule_ref}")
    _VALIDATOR.validate({"tickets": [result.to_dict()]})


# --------------------------------------------------------------------------- pipeline


def test_replay_gc_restores_the_collector_settings() -> None:
    # The pipeline collects garbage less often during a replay (docs/performance.md) and
    # gives the caller's settings back afterwards, also when the replay fails; a caller's
    # own gc.freeze() is left alone.
    import gc

    from tierwise.engine.pipeline import REPLAY_GC_THRESHOLD, replay_gc

    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with pytest.raises(RuntimeError), replay_gc():
        assert gc.get_threshold()[0] == REPLAY_GC_THRESHOLD
        raise RuntimeError("stop")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen
    gc.freeze()
    try:
        caller = gc.get_freeze_count()
        with replay_gc():
            pass
        assert gc.get_freeze_count() == caller
    finally:
        gc.unfreeze()

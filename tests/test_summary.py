"""The streaming summary: per plan and priority (targets under the priority that chose their
rule), per metric, and totals."""

from __future__ import annotations

import datetime as dt

import jsonschema
import pytest
from builders import (
    at,
    business_hours,
    make_catalog,
    make_header,
    make_plan,
    make_ticket,
    replied,
    span,
    target,
)

from tierwise.engine.model import Commitment, Metric
from tierwise.engine.quantities import Clock
from tierwise.engine.results import Status, TargetResult, TicketResult, result_schema
from tierwise.engine.simulator import Simulator
from tierwise.engine.summary import Summary

CREATED = at("2026-03-02 09:00")


def result(metric: Metric, status: Status, minutes: float, guaranteed: bool = True) -> TargetResult:
    return TargetResult(
        metric=metric, rule="r", span=span(5), commitment=Commitment.GUARANTEED,
        calendar="office", clock=Clock.BUSINESS_TIME, allowance=business_hours(1),
        start=CREATED, deadline=CREATED + dt.timedelta(hours=1), stopped_at=None,
        measured=dt.timedelta(minutes=minutes), paused=dt.timedelta(0), status=status,
        guaranteed=guaranteed,
    )


def ticket(plan: str | None, priority: str | None, *targets: TargetResult,
           coverage: str | None = None) -> TicketResult:
    return TicketResult("T", "acme", plan, priority, CREATED, CREATED, targets, coverage)


R, S = Metric.FIRST_RESPONSE, Metric.RESOLUTION


def test_counts_rates_mean_and_p90_per_group() -> None:
    summary = Summary()
    # STD/high: first responses 10, 20, ..., 100 minutes; 7 met, 2 breached, 1 pending
    statuses = [Status.MET] * 7 + [Status.BREACHED] * 2 + [Status.PENDING]
    for i, status in enumerate(statuses, start=1):
        summary.add(ticket("STD", "high", result(R, status, 10 * i),
                           result(S, Status.NOT_GUARANTEED, 5, guaranteed=False)))
    summary.add(ticket("STD", "low", result(R, Status.OBJECTIVE_MISSED, 30, guaranteed=False)))
    summary.add(ticket("STD", "low", coverage="channel sms not offered"))
    high = summary.group("STD", "high")
    assert high.tickets == 10
    assert (high.met, high.breached, high.pending) == (7, 2, 1)
    assert high.breach_rate == pytest.approx(2 / 9)  # pending is not decided
    assert high.mean_first_response == pytest.approx(55 * 60)
    assert high.p90_first_response == 90 * 60  # nearest rank: ceil(0.9 * 10) = 9th value
    d = summary.to_dict()
    assert [(g["plan"], g["priority"]) for g in d["groups"]] == [("STD", "high"), ("STD", "low")]
    low = d["groups"][1]
    assert (low["tickets"], low["not_covered"]) == (2, 1)
    assert low["targets"] == {"objective_missed": 1}
    assert low["breach_rate"] is None  # nothing guaranteed and decided
    assert low["first_response"] == {"count": 1, "mean": {"seconds": 1800, "text": "30min"},
                                     "p90": {"seconds": 1800, "text": "30min"}}
    totals = d["totals"]
    assert totals["tickets"] == 12 and totals["not_covered"] == 1
    assert totals["targets"] == {"met": 7, "breached": 2, "pending": 1, "objective_missed": 1,
                                 "not_guaranteed": 10}
    assert totals["breach_rate"] == round(2 / 9, 6)
    assert totals["first_response"]["count"] == 11
    # p90 of 10..100 and 30: 11 values, rank ceil(9.9) = 10 -> 90min
    assert totals["first_response"]["p90"]["seconds"] == 90 * 60


def test_p90_small_groups() -> None:
    summary = Summary()
    summary.add(ticket("P", None, result(R, Status.MET, 7)))
    stats = summary.group("P", None)
    assert stats.p90_first_response == stats.mean_first_response == 7 * 60
    assert summary.group("nothing", None).p90_first_response is None


def test_groups_sort_missing_values_last() -> None:
    summary = Summary()
    summary.add(ticket(None, None, coverage="no subscription"))
    summary.add(ticket("B", None))
    summary.add(ticket("B", "a"))
    summary.add(ticket("A", "z"))
    keys = [(g["plan"], g["priority"]) for g in summary.to_dict()["groups"]]
    assert keys == [("A", "z"), ("B", "a"), ("B", None), (None, None)]


def test_to_dict_is_repeatable_and_valid() -> None:
    summary = Summary()
    plan = make_plan(targets=[target(R, business_hours(4))])
    sim = Simulator(make_catalog(plan), make_header("2026-03-03 12:00"))
    for r in sim.run([make_ticket("T1", "2026-03-02 09:00", replied("2026-03-02 10:30"),
                                  priority="high"),
                      make_ticket("T2", "2026-03-02 09:00", priority="high")]):
        summary.add(r)
    first, second = summary.to_dict(), summary.to_dict()
    assert first == second
    assert first["totals"]["first_response"]["mean"] == {"seconds": 22500, "text": "6h15min"}
    # T1 measured 1h30, T2 unanswered so far: Mon 09-16 (7h) + Tue 08-12 (4h) = 11h
    assert first["totals"]["guaranteed"] == {"met": 1, "breached": 1, "pending": 0}
    jsonschema.validate({"tickets": [], "summary": first}, result_schema())


def test_targets_count_under_the_priority_that_selected_their_rule() -> None:
    # Created p3, answered under the p3 rule, then raised to p1 before resolution: the ticket
    # counts under p1 (its final priority), its response under p3, its resolution under p1.
    import attrs

    response = attrs.evolve(result(R, Status.BREACHED, 130), priority="p3")
    resolution = attrs.evolve(result(S, Status.MET, 300), priority="p1")
    summary = Summary()
    summary.add(ticket("BUSINESS", "p1", response, resolution))
    p1, p3 = summary.group("BUSINESS", "p1"), summary.group("BUSINESS", "p3")
    assert (p1.tickets, p3.tickets) == (1, 0)
    assert (p3.breached, p3.met, list(p3.first_response)) == (1, 0, [130 * 60])
    assert (p1.breached, p1.met, list(p1.first_response)) == (0, 1, [])
    totals = summary.to_dict()["totals"]
    assert totals["by_metric"] == {
        "resolution": {"met": 1, "breached": 0, "pending": 0, "breach_rate": 0.0},
        "response": {"met": 0, "breached": 1, "pending": 0, "breach_rate": 1.0},
    }

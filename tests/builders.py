"""Small builders for model and scenario objects, so tests read like the terms they check.

Usage::

    plan = make_plan("STD", targets=[target(Metric.FIRST_RESPONSE, business_hours(4))])
    cat = make_catalog(plan, calendars=[office()])
    t = make_ticket("T1", at("2026-03-02 10:00"), replied("2026-03-02 11:00"))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from tierwise.engine.errors import SourceSpan
from tierwise.engine.model import (
    ALWAYS,
    AttributeTest,
    CalendarRule,
    Catalog,
    Commitment,
    Condition,
    CoverageRule,
    GuaranteeLimit,
    GuaranteeRule,
    Metric,
    Plan,
    SpecialHours,
    TargetRule,
    WeeklyWindow,
)
from tierwise.engine.quantities import Clock, TargetTime
from tierwise.engine.scenario import (
    Event,
    EventKind,
    ScenarioHeader,
    Subscription,
    Ticket,
    WorkSession,
)

PLAN_FILE = "plans/test.plan"
WARSAW = "Europe/Warsaw"

# --------------------------------------------------------------------------- time


def at(text: str, zone: str = WARSAW) -> dt.datetime:
    """``at("2026-03-02 10:00")``: a local wall time made aware in ``zone``.

    An explicit offset in the text wins (``"2026-03-02T10:00+00:00"``).
    """
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value


def span(line: int, file: str = PLAN_FILE) -> SourceSpan:
    return SourceSpan(file, line, 1)


def business_hours(hours: float) -> TargetTime:
    return TargetTime(Clock.BUSINESS_TIME, seconds=round(hours * 3600))


def real_hours(hours: float) -> TargetTime:
    return TargetTime(Clock.CALENDAR_TIME, seconds=round(hours * 3600))


def business_days(days: int) -> TargetTime:
    return TargetTime(Clock.BUSINESS_DAYS, days=days)


def calendar_days(days: int) -> TargetTime:
    return TargetTime(Clock.CALENDAR_DAYS, days=days)


def next_business_day() -> TargetTime:
    return TargetTime(Clock.END_OF_NEXT_BUSINESS_DAY)


# --------------------------------------------------------------------------- rules


def cond(**tests: str | Iterable[str]) -> Condition:
    """``cond(priority="high")``, ``cond(channel=["sms", "chat"])``; a leading ``not_`` on
    the keyword negates (``cond(not_category="bug")``); ``field_region="EU"`` tests a custom
    field."""
    out = []
    for key, values in tests.items():
        negated = key.startswith("not_")
        name = key[4:] if negated else key
        if name.startswith("field_"):
            name = "field:" + name[6:]
        vals = frozenset([values] if isinstance(values, str) else values)
        out.append(AttributeTest(name, vals, negated))
    return Condition(tuple(out))


def office(name: str = "office", zone: str = WARSAW, start: str = "08:00", end: str = "16:00",
           days: Iterable[int] = range(5), closed: Iterable[dt.date] = (),
           holidays: Iterable[tuple[str, str | None]] = (),
           special: Mapping[dt.date, Iterable[tuple[str, str]]] | None = None) -> CalendarRule:
    """Weekly ``start``-``end`` on ``days`` (0 = Monday) in ``zone``."""
    from tierwise.engine.model import HolidaySource

    s, e = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    return CalendarRule(
        name=name,
        zone=zone,
        windows=tuple(WeeklyWindow(d, s, e) for d in days),
        holidays=tuple(HolidaySource(c, sub) for c, sub in holidays),
        closed_dates=tuple(closed),
        special_hours=tuple(
            SpecialHours(d, tuple((dt.time.fromisoformat(a), dt.time.fromisoformat(b))
                                  for a, b in ws))
            for d, ws in (special or {}).items()
        ),
        span=span(1),
    )


def target(metric: Metric, allowance: TargetTime, *, calendar: str = "office",
           when: Condition = ALWAYS, commitment: Commitment = Commitment.GUARANTEED,
           pauses: bool | None = None, line: int = 10) -> TargetRule:
    """A target rule; ``pauses`` defaults like the compiler (resolution pauses)."""
    if pauses is None:
        pauses = metric is Metric.RESOLUTION
    return TargetRule(metric, commitment, allowance, calendar, when, pauses, span(line))


def make_plan(name: str = "STD", *, calendar: str = "office",
              targets: Iterable[TargetRule] = (), **kwargs: Any) -> Plan:
    return Plan(name=name, title=name.title(), currency="EUR", calendar=calendar,
                span=span(2), targets=tuple(targets), **kwargs)


def make_catalog(*plans: Plan, calendars: Iterable[CalendarRule] = ()) -> Catalog:
    cals = list(calendars) or [office()]
    return Catalog(plans={p.name: p for p in plans}, calendars={c.name: c for c in cals},
                   files=(PLAN_FILE,))


def coverage(reason: str, **tests: str | Iterable[str]) -> CoverageRule:
    return CoverageRule(cond(**tests), reason, span(30))


def guaranteed_only(reason: str, **tests: str | Iterable[str]) -> GuaranteeRule:
    return GuaranteeRule(cond(**tests), True, reason, span(31))


def not_guaranteed(reason: str, **tests: str | Iterable[str]) -> GuaranteeRule:
    return GuaranteeRule(cond(**tests), False, reason, span(32))


def limit(hours: float, kinds: Iterable[str], **tests: str | Iterable[str]) -> GuaranteeLimit:
    return GuaranteeLimit(round(hours * 3600), frozenset(kinds), cond(**tests), span(33))


# --------------------------------------------------------------------------- scenario


def event(kind: EventKind, when: str | dt.datetime, zone: str = WARSAW, **kw: Any) -> Event:
    instant = at(when, zone) if isinstance(when, str) else when
    return Event(instant, kind, **kw)


def replied(when: str | dt.datetime) -> Event:
    return event(EventKind.REPLIED, when)


def waiting(when: str | dt.datetime) -> Event:
    return event(EventKind.WAITING, when)


def customer(when: str | dt.datetime) -> Event:
    return event(EventKind.CUSTOMER_REPLIED, when)


def resolved(when: str | dt.datetime) -> Event:
    return event(EventKind.RESOLVED, when)


def reopened(when: str | dt.datetime) -> Event:
    return event(EventKind.REOPENED, when)


def closed(when: str | dt.datetime) -> Event:
    return event(EventKind.CLOSED, when)


def priority(when: str | dt.datetime, value: str) -> Event:
    return event(EventKind.PRIORITY_CHANGED, when, priority=value)


def work(when: str | dt.datetime, minutes: float, kind: str = "email") -> Event:
    return event(EventKind.WORK, when, work=WorkSession(kind, round(minutes * 60)))


def make_ticket(id: str, created: str | dt.datetime, *events: Event, customer: str = "acme",
                **kwargs: Any) -> Ticket:
    instant = at(created) if isinstance(created, str) else created
    return Ticket(id=id, customer=customer, created=instant, events=tuple(events), **kwargs)


def subscription(customer: str = "acme", plan: str = "STD", start: str = "2026-01-01 00:00",
                 end: str | None = None, **kwargs: Any) -> Subscription:
    return Subscription(customer=customer, plan=plan, start=at(start),
                        end=at(end) if end else None, **kwargs)


def make_header(as_of: str | dt.datetime, *subs: Subscription) -> ScenarioHeader:
    instant = at(as_of) if isinstance(as_of, str) else as_of
    subs = subs or (subscription(),)
    return ScenarioHeader(as_of=instant, subscriptions={s.customer: s for s in subs},
                          name="test")

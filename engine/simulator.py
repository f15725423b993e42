"""Replay ticket timelines against compiled plans: deadlines, stops, pauses, statuses.

The simulator streams: :meth:`Simulator.run` yields one :class:`TicketResult` per ticket and
keeps only what the guarantee limits need (work sessions of the current month per
customer). Everything that does not depend on the ticket is prepared once in the
constructor: the calendars, each plan's candidate rules per metric, and a small cache of
"which rule applies" keyed by the attribute values those rules actually test.

The semantics (which event stops which clock, what pauses it, how pauses push a deadline)
are documented in ``docs/semantics.md``; the comments here say how, not what.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Protocol

from tierwise.engine.calendars import BusinessCalendar, EngineCalendars
from tierwise.engine.errors import (
    Diagnostic,
    PlanError,
    ScenarioError,
    SourceSpan,
    did_you_mean,
)
from tierwise.engine.instants import HeldInstant, timestamp
from tierwise.engine.model import (
    ALWAYS_OPEN_NAME,
    CalendarRule,
    Catalog,
    Commitment,
    Condition,
    GuaranteeLimit,
    GuaranteeRule,
    Metric,
    Plan,
    TargetRule,
)
from tierwise.engine.precedence import applicable
from tierwise.engine.quantities import Clock, TargetTime, format_seconds
from tierwise.engine.results import Status, TargetResult, TicketResult, local_text
from tierwise.engine.scenario import Event, EventKind, ScenarioHeader, Subscription, Ticket
from tierwise.engine.subscriptions import PlanTimeline, UnknownPlan

UTC = dt.UTC
ZERO = dt.timedelta(0)

_REPLIED = EventKind.REPLIED
_WAITING = EventKind.WAITING
_CUSTOMER = EventKind.CUSTOMER_REPLIED
_PRIORITY = EventKind.PRIORITY_CHANGED
_WORK = EventKind.WORK
_RESOLVED = EventKind.RESOLVED
_REOPENED = EventKind.REOPENED
_CLOSED = EventKind.CLOSED

_GUARANTEED = Commitment.GUARANTEED
_FIRST_RESPONSE = Metric.FIRST_RESPONSE
_RESOLUTION = Metric.RESOLUTION
_NEXT_REPLY = Metric.NEXT_REPLY
_NO_ATTRIBUTES: Mapping[str, str] = {}
_BUSINESS_TIME = Clock.BUSINESS_TIME
_CALENDAR_TIME = Clock.CALENDAR_TIME
_CALENDAR_DAYS = Clock.CALENDAR_DAYS
#: Clocks whose counting starts at the calendar's next opening (SPEC 3.1).
_STARTS_AT_OPENING = frozenset({Clock.BUSINESS_TIME, Clock.BUSINESS_DAYS})
#: Clocks whose pauses push the deadline by real time; the others by open time.
_REAL_TIME_CLOCKS = frozenset({Clock.CALENDAR_TIME, Clock.CALENDAR_DAYS})

#: (met, breached, pending) per commitment kind.
_GUARANTEED_STATUSES = (Status.MET, Status.BREACHED, Status.PENDING)
_OBJECTIVE_STATUSES = (Status.OBJECTIVE_MET, Status.OBJECTIVE_MISSED, Status.OBJECTIVE_PENDING)

#: Bound on each per-metric "which rule applies" cache (flat memory with custom fields).
_RULE_CACHE_LIMIT = 4096

# A pause: (from, to, why). ``to`` is already clipped to the target's end.
Pause = tuple[dt.datetime, dt.datetime, str]


class CalendarSource(Protocol):
    """Where the simulator gets calendar objects (the real engine, or a test double)."""

    def from_rule(self, rule: CalendarRule) -> BusinessCalendar: ...

    def always(self, zone: str = "UTC") -> BusinessCalendar: ...




# --------------------------------------------------------------------------- plan index


class _Rule:
    """A target rule with what the simulator needs from it resolved once: its calendar
    object, its label, and the clock facts tested for every ticket."""

    __slots__ = ("allowance", "cal", "clock", "guaranteed", "label", "metric", "pauses",
                 "resolution", "rule", "starts_at_opening")

    def __init__(self, rule: TargetRule, cal: BusinessCalendar) -> None:
        self.rule = rule
        self.cal = cal
        self.label = rule.label
        self.metric = rule.metric
        self.allowance = rule.allowance
        self.clock = rule.allowance.clock
        self.guaranteed = rule.commitment is _GUARANTEED
        self.pauses = rule.pauses_when_waiting
        self.resolution = rule.metric is Metric.RESOLUTION
        self.starts_at_opening = self.clock in _STARTS_AT_OPENING


class _MetricRules:
    """A plan's candidate rules for one metric and a bounded cache of the pick."""

    __slots__ = ("by_id", "cache", "keys", "metric", "priorities", "rules")

    def __init__(self, metric: Metric, rules: Sequence[_Rule],
                 priorities: tuple[str, ...]) -> None:
        self.metric = metric
        self.rules = tuple(r.rule for r in rules)
        self.by_id = {id(r.rule): r for r in rules}
        self.priorities = priorities
        self.keys = tuple(sorted({t.attribute for r in self.rules for t in r.condition.tests}))
        self.cache: dict[tuple[str | None, ...], _Rule | None] = {}

    def pick(self, attributes: Mapping[str, str]) -> _Rule | None:
        """The applicable rule (precedence: more specific wins), cached by the values of
        the attributes the candidates test."""
        key = tuple(map(attributes.get, self.keys))
        try:
            return self.cache[key]
        except KeyError:
            pass
        rule = applicable(self.rules, attributes, self.priorities)
        info = None if rule is None else self.by_id[id(rule)]
        if len(self.cache) >= _RULE_CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = info
        return info


class _GuaranteeRules:
    """A plan's guarantee rules, with the verdict cached by the values they test."""

    __slots__ = ("cache", "keys", "rules")

    def __init__(self, rules: tuple[GuaranteeRule, ...]) -> None:
        self.rules = rules
        self.keys = tuple(sorted({t.attribute for r in rules for t in r.condition.tests}))
        self.cache: dict[tuple[str | None, ...], str | None] = {}

    def reason(self, attributes: Mapping[str, str]) -> str | None:
        """``not guaranteed: why`` for the first rule the ticket fails, else None."""
        key = tuple(map(attributes.get, self.keys))
        try:
            return self.cache[key]
        except KeyError:
            pass
        found = None
        for rule in self.rules:
            if rule.only != rule.condition.matches(attributes):
                found = f"not guaranteed: {rule.reason}"
                break
        if len(self.cache) >= _RULE_CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = found
        return found


class _PlanIndex:
    """Everything about one plan that does not depend on the ticket."""

    __slots__ = ("calendar", "guarantees", "has_replies", "has_updates", "limits", "metrics",
                 "plan", "reads_attributes", "zone", "zone_name")

    def __init__(self, plan: Plan, calendar: BusinessCalendar,
                 calendars: Mapping[str, BusinessCalendar],
                 limits: tuple[tuple[int, GuaranteeLimit], ...], has_limits: bool) -> None:
        self.plan = plan
        self.calendar = calendar
        self.zone: dt.tzinfo = calendar.zone
        self.zone_name = str(getattr(calendar.zone, "key", "UTC"))
        self.limits = limits
        self.guarantees = _GuaranteeRules(plan.guarantee_rules) if plan.guarantee_rules else None
        by_metric: dict[Metric, list[_Rule]] = {}
        for rule in plan.targets:
            by_metric.setdefault(rule.metric, []).append(_Rule(rule, calendars[rule.calendar]))
        self.metrics = {
            m: _MetricRules(m, by_metric[m], plan.priorities) for m in Metric if m in by_metric
        }
        self.has_updates = Metric.PERIODIC_UPDATE in self.metrics
        self.has_replies = Metric.NEXT_REPLY in self.metrics
        # does any condition of this plan (or any limit of the catalog) test the ticket?
        self.reads_attributes = bool(
            any(rules.keys for rules in self.metrics.values()) or plan.coverage
            or plan.guarantee_rules or has_limits
        )


# --------------------------------------------------------------------------- timeline


class _Timeline:
    """What one pass over a ticket's events (up to ``as_of``) tells the clocks.

    Built once, at the end of :func:`_timeline`, from its local variables (one call
    instead of ten attribute stores and six empty lists per ticket); a list nothing was
    added to is an empty tuple.
    """

    __slots__ = (
        "changes", "excluded", "first_stop", "first_stop_kind", "gaps", "messages",
        "resolved", "resolved_kind", "sessions", "waits",
    )

    def __init__(
        self,
        first_stop: dt.datetime | None,
        first_stop_kind: EventKind | None,
        resolved: dt.datetime | None,
        resolved_kind: EventKind | None,
        excluded: Sequence[tuple[dt.datetime, dt.datetime]],
        waits: Sequence[tuple[dt.datetime, dt.datetime | None]],
        changes: Sequence[tuple[dt.datetime, str | None]],
        messages: Sequence[tuple[dt.datetime, dt.datetime | None, EventKind | None]],
        gaps: Sequence[tuple[dt.datetime, dt.datetime | None, EventKind | None, str]],
        sessions: Sequence[Event],
    ) -> None:
        self.first_stop = first_stop
        self.first_stop_kind = first_stop_kind
        self.resolved = resolved  # set while resolved at as_of
        self.resolved_kind = resolved_kind
        self.excluded = excluded  # resolved -> reopened
        self.waits = waits  # None: still waiting at as_of
        self.changes = changes  # (at, new priority)
        # customer message -> (stop, stop kind) for next reply
        self.messages = messages
        # periodic update gaps: (from, to, stop kind, what started it)
        self.gaps = gaps
        self.sessions = sessions


def _by_time(event: Event) -> dt.datetime:
    return event.at


def _timeline(events: Sequence[Event], received: dt.datetime, as_of: dt.datetime,
              gaps: bool = True, replies: bool = True) -> _Timeline:
    """One pass over the events in time order; events after ``as_of`` are ignored.

    ``gaps=False`` skips the periodic-update gaps (plans without an update target), and
    ``replies=False`` the customer messages awaiting a reply (plans without a next-reply
    target): both are read only by the targets of those metrics.
    """
    if not events:
        return _Timeline(None, None, None, None, (), (), (), (),
                         [(received, None, None, "received")] if gaps else (), ())
    # Events come sorted from the scenario loader; only look at as_of when the last one
    # is past it, and sort (once) if they turn out not to be in order after all.
    if events[-1].at > as_of:
        if any(b.at < a.at for a, b in pairwise(events)):
            events = sorted(events, key=_by_time)
        events = [e for e in events if e.at <= as_of]
        if not events:
            return _timeline(events, received, as_of, gaps, replies)
    open_ = True
    first_stop: dt.datetime | None = None
    first_stop_kind: EventKind | None = None
    resolved: dt.datetime | None = None
    resolved_kind: EventKind | None = None
    wait_start: dt.datetime | None = None
    gap_start: dt.datetime | None = received if gaps else None
    gap_origin = "received"
    # The lists are made on their first item (most tickets fill two or three of them).
    pending_msgs: list[dt.datetime] | None = None
    excluded: list[tuple[dt.datetime, dt.datetime]] | None = None
    waits: list[tuple[dt.datetime, dt.datetime | None]] | None = None
    changes: list[tuple[dt.datetime, str | None]] | None = None
    messages: list[tuple[dt.datetime, dt.datetime | None, EventKind | None]] | None = None
    gap_list: list[tuple[dt.datetime, dt.datetime | None, EventKind | None, str]] | None = None
    sessions: list[Event] | None = None
    prev = events[0].at
    for event in events:
        at = event.at
        if at < prev:
            return _timeline(sorted(events, key=_by_time), received, as_of, gaps, replies)
        prev = at
        kind = event.kind
        if kind is _REPLIED:
            if first_stop is None:
                first_stop, first_stop_kind = at, kind
            if open_:
                if pending_msgs:
                    if messages is None:
                        messages = []
                    for msg in pending_msgs:  # usually one: a loop beats a generator
                        messages.append((msg, at, kind))
                    pending_msgs = None
                if gap_start is not None:
                    if gap_list is None:
                        gap_list = []
                    gap_list.append((gap_start, at, kind, gap_origin))
                    gap_start, gap_origin = at, "previous reply"
        elif kind is _WORK:
            if sessions is None:
                sessions = []
            sessions.append(event)
        elif kind is _WAITING:
            if open_ and wait_start is None:
                wait_start = at
        elif kind is _CUSTOMER:
            if wait_start is not None:
                if waits is None:
                    waits = []
                waits.append((wait_start, at))
                wait_start = None
            if open_ and replies:
                if pending_msgs is None:
                    pending_msgs = []
                pending_msgs.append(at)
        elif kind is _RESOLVED or kind is _CLOSED:
            if first_stop is None:
                first_stop, first_stop_kind = at, kind
            if wait_start is not None:
                if waits is None:
                    waits = []
                waits.append((wait_start, at))
                wait_start = None
            if open_:
                open_ = False
                resolved, resolved_kind = at, kind
                if pending_msgs:
                    if messages is None:
                        messages = []
                    for msg in pending_msgs:  # usually one: a loop beats a generator
                        messages.append((msg, at, kind))
                    pending_msgs = None
                if gap_start is not None and at > gap_start:
                    if gap_list is None:
                        gap_list = []
                    gap_list.append((gap_start, at, kind, gap_origin))
                gap_start = None
            elif kind is _RESOLVED:  # a later "resolved" without a reopen moves the stop
                resolved, resolved_kind = at, kind
        elif kind is _REOPENED:
            if not open_ and resolved is not None:
                if excluded is None:
                    excluded = []
                excluded.append((resolved, at))
                resolved = resolved_kind = None
                open_ = True
                if gaps:
                    gap_start, gap_origin = at, "reopened"
        elif kind is _PRIORITY:
            if changes is None:
                changes = []
            changes.append((at, event.priority))
    if wait_start is not None:
        if waits is None:
            waits = []
        waits.append((wait_start, None))
    if pending_msgs:
        if messages is None:
            messages = []
        messages.extend((msg, None, None) for msg in pending_msgs)
    if gap_start is not None:
        if gap_list is None:
            gap_list = []
        gap_list.append((gap_start, None, None, gap_origin))
    return _Timeline(first_stop, first_stop_kind, resolved, resolved_kind, excluded or (),
                     waits or (), changes or (), messages or (), gap_list or (), sessions or ())


def _priority_at(initial: str | None, changes: Sequence[tuple[dt.datetime, str | None]],
                 instant: dt.datetime) -> str | None:
    priority = initial
    for at, new in changes:
        if at > instant:
            break
        if new is not None:
            priority = new
    return priority


# --------------------------------------------------------------------------- arithmetic


def _real(b: dt.datetime, a: dt.datetime) -> dt.timedelta:
    """Real elapsed time (aware datetimes sharing a tzinfo subtract as wall times)."""
    return b.astimezone(UTC) - a.astimezone(UTC)


def _plus_real(t: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``t`` plus real time, kept in ``t``'s zone."""
    return (t.astimezone(UTC) + delta).astimezone(t.tzinfo)


def paused_deadline(
    cal: BusinessCalendar,
    origin: dt.datetime,
    start: dt.datetime,
    allowance: TargetTime,
    pauses: Sequence[tuple[dt.datetime, dt.datetime]],
    lengths: Sequence[dt.timedelta] | None = None,
    segments: list[tuple[dt.datetime, dt.timedelta]] | None = None,
) -> dt.datetime:
    """The deadline when the clock is stopped during ``pauses`` (sorted, disjoint, clipped).

    Business time consumes the allowance over the open time outside the pauses; the other
    clocks take the unpaused deadline and push it, pause by pause, by the pause's length in
    the target's own clock (real time for calendar clocks, open time for business days),
    counting the pauses that began before the deadline reached so far. ``lengths`` are the
    pauses' lengths in the target's clock when the caller has them already. ``segments``
    collects ``(from, open time used)`` for the explanation.
    """
    clock = allowance.clock
    if clock is _BUSINESS_TIME:
        remaining = dt.timedelta(seconds=allowance.seconds)
        cursor = start
        for p0, p1 in pauses:
            if p0 > cursor:
                seg = cal.elapsed_business(cursor, p0)
                if remaining <= seg:
                    break
                if segments is not None and seg:
                    segments.append((cursor, seg))
                remaining -= seg
            if p1 > cursor:
                cursor = p1
        if segments is not None:
            segments.append((cursor, remaining))
        return cal.add_business(cursor, remaining)
    deadline = cal.deadline(origin, allowance)
    real = clock in _REAL_TIME_CLOCKS
    for index, (p0, p1) in enumerate(pauses):
        if p0 >= deadline:
            break
        if lengths is not None:
            length = lengths[index]
        else:
            length = _real(p1, p0) if real else cal.elapsed_business(p0, p1)
        if real:
            deadline = _plus_real(deadline, length)
        elif length:
            deadline = cal.add_business(deadline, length)
    return deadline


_WAITING_WHY = "waiting on the customer"
_RESOLVED_WHY = "resolved until reopened"


def _clip(out: list[Pause], spans: Iterable[tuple[dt.datetime, dt.datetime | None]],
          start: dt.datetime, end: dt.datetime, why: str) -> None:
    """Append the parts of ``spans`` inside ``[start, end)`` (``None``: still running)."""
    for p0, p1 in spans:
        a = p0 if p0 > start else start
        b = end if p1 is None or p1 > end else p1
        if b > a:
            out.append((a, b, why))


def _pause_start(pause: Pause) -> dt.datetime:
    return pause[0]


# --------------------------------------------------------------------------- limits


class _Bucket:
    __slots__ = ("heap", "total")

    def __init__(self) -> None:
        self.total = 0  # seconds of sessions already ended before the last query
        self.heap: list[tuple[float, int]] = []  # (end timestamp, seconds), not yet ended


class _CustomerWork:
    __slots__ = ("buckets", "last", "last_id", "month", "unplaced")

    def __init__(self) -> None:
        self.last = float("-inf")
        self.last_id = ""
        self.month = (0, 0)  # the local (year, month) of the customer's previous ticket
        # that previous ticket's creation and zone while its month is not worked out yet
        self.unplaced: tuple[dt.datetime, dt.tzinfo] | None = None
        self.buckets: dict[tuple[int, int, int], _Bucket] = {}  # (limit key, year, month)


class _Verdict:
    """Whether a condition holds, cached by the values of the attributes it tests (a
    condition tests one or two attributes; the same few values come back ticket after
    ticket)."""

    __slots__ = ("cache", "condition", "keys")

    def __init__(self, condition: Condition) -> None:
        self.condition = condition
        self.keys = tuple(sorted({t.attribute for t in condition.tests}))
        self.cache: dict[tuple[str | None, ...], bool] = {}

    def __call__(self, attributes: Mapping[str, str]) -> bool:
        if not self.keys:
            return True  # the empty condition always holds
        key = tuple(map(attributes.get, self.keys))
        found = self.cache.get(key)
        if found is None:
            found = self.condition.matches(attributes)
            if len(self.cache) >= _RULE_CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = found
        return found


class _LimitTracker:
    """Worked time per customer, calendar month and kind of limit (SPEC 2, "limits").

    Tickets arrive in creation order, so a session that has ended before one ticket's
    creation has ended before every later one's: ended sessions are folded into a running
    total and only sessions still running sit in a heap. Months before the current
    ticket's month are dropped.
    """

    def __init__(self, keys: Sequence[tuple[frozenset[str], Condition]]) -> None:
        self.keys = tuple(keys)
        self.verdicts = tuple(_Verdict(condition) for _kinds, condition in self.keys)
        self.customers: dict[str, _CustomerWork] = {}

    def reached(self, ticket: Ticket, created: dt.datetime, zone: dt.tzinfo,
                limits: tuple[tuple[int, GuaranteeLimit], ...],
                attributes: Mapping[str, str]) -> GuaranteeLimit | None:
        """The first of ``limits`` this ticket matches whose month is used up, else None.

        Called for every ticket (even on plans without limits) so it can check the
        creation order and drop the customer's past months.
        """
        work = self.customers.get(ticket.customer)
        stamp = timestamp(created)
        if work is None:
            work = self.customers[ticket.customer] = _CustomerWork()
        elif stamp < work.last:
            raise ScenarioError(Diagnostic(
                f"ticket {ticket.id} of customer {ticket.customer} is created before ticket "
                f"{work.last_id}, which came earlier in the stream",
                span=ticket.source,
                hint="tickets must be in order of creation (guarantee limits are counted as "
                     "they stream)",
            ))
        work.last, work.last_id = stamp, ticket.id
        buckets = work.buckets
        if not buckets:
            # No work recorded: nothing to look up nor to drop. The local month (a time
            # zone conversion) is worked out only if a later ticket needs to compare with it.
            work.unplaced = (created, zone)
            return None
        if work.unplaced is not None:
            before, before_zone = work.unplaced
            local = before.astimezone(before_zone)
            work.month, work.unplaced = (local.year, local.month), None
        local = created.astimezone(zone)
        month = (local.year, local.month)
        if month != work.month:
            work.month = month
            for key in [k for k in buckets if (k[1], k[2]) < month]:
                del buckets[key]
        verdicts = self.verdicts
        for index, limit in limits:
            bucket = buckets.get((index, month[0], month[1]))
            # no work of the limit's kinds this month, or the limit's condition (same key)
            # does not hold: either way the limit is not reached
            if bucket is None or not verdicts[index](attributes):
                continue
            heap = bucket.heap
            while heap and heap[0][0] < stamp:
                bucket.total += heapq.heappop(heap)[1]
            if bucket.total >= limit.seconds:
                return limit
        return None

    def record(self, customer: str, sessions: Sequence[Event], zone: dt.tzinfo,
               attributes: Mapping[str, str]) -> None:
        work = self.customers.get(customer)
        if work is None:
            work = self.customers[customer] = _CustomerWork()
        for index, (kinds, _condition) in enumerate(self.keys):
            counted = [event for event in sessions if event.work is not None
                       and (not kinds or event.work.kind in kinds)]
            # the sessions of the limit's kinds first: its condition only if there are any
            if not counted or not self.verdicts[index](attributes):
                continue
            for event in counted:
                session = event.work
                assert session is not None  # filtered above
                local = event.at.astimezone(zone)
                key = (index, local.year, local.month)
                bucket = work.buckets.get(key)
                if bucket is None:
                    bucket = work.buckets[key] = _Bucket()
                heapq.heappush(bucket.heap, (timestamp(event.at) + session.seconds,
                                             session.seconds))


def limit_reason(limit: GuaranteeLimit) -> str:
    """``monthly limit of 3h of email work reached``."""
    kinds = ", ".join(sorted(limit.kinds)) + " " if limit.kinds else ""
    return f"monthly limit of {format_seconds(limit.seconds)} of {kinds}work reached"


# --------------------------------------------------------------------------- explanation


_STOP_WORDS = {
    _REPLIED: "vendor reply",
    _RESOLVED: "resolution",
    _CLOSED: "closing",
}


class _Trace:
    """The pieces of a target's explanation; rendered (once) only when asked for."""

    __slots__ = ("cal", "changes", "context", "initial_rule", "lines", "origin",
                 "origin_label", "pauses", "rule", "stop_kind")

    def __init__(self, cal: BusinessCalendar, rule: TargetRule, origin: dt.datetime,
                 origin_label: str, pauses: Sequence[Pause], stop_kind: EventKind | None,
                 changes: Sequence[tuple[dt.datetime, str | None, str | None]],
                 initial_rule: TargetRule | None, context: _TicketContext) -> None:
        self.cal = cal
        self.rule = rule
        self.origin = origin
        self.origin_label = origin_label
        self.pauses = pauses
        self.stop_kind = stop_kind
        self.changes = changes
        self.initial_rule = initial_rule
        self.context = context
        self.lines: tuple[str, ...] | None = None

    def render(self, target: TargetResult) -> tuple[str, ...]:
        if self.lines is None:
            self.lines = tuple(self._render(target))
        return self.lines

    def _render(self, target: TargetResult) -> Iterator[str]:
        cal, rule, ctx = self.cal, self.rule, self.context
        zone = cal.zone

        def t(x: dt.datetime) -> str:
            return local_text(x, zone)

        yield f"rule {target.rule_ref}: {target.rule}"
        yield (f"calendar {target.calendar} ({getattr(zone, 'key', zone)}), "
               f"{target.clock.value}, allowance {target.allowance}")
        if ctx.shifted and self.origin_label == "received":
            yield (f"requests count only in support hours: created {t(ctx.created)}, "
                   f"received at the next opening {t(ctx.received)}")
        label = "creation" if self.origin_label == "received" and not ctx.shifted \
            else self.origin_label
        if target.start != self.origin:
            yield (f"clock starts at the next opening {t(target.start)} "
                   f"({label} {t(self.origin)} was outside support hours)")
        else:
            yield f"clock starts {t(target.start)} ({label})"
        yield from self._deadline_lines(target, t)
        for p0, p1, why in self.pauses:
            length = round(cal.measured(p0, p1, target.clock).total_seconds())
            yield f"paused {t(p0)} .. {t(p1)} ({why}): {format_seconds(length)}"
        for at, old, new in self.changes:
            yield (f"priority changed {old or '-'} -> {new or '-'} at {t(at)}: "
                   "target re-evaluated from the original start")
        if self.initial_rule is not None and self.initial_rule is not rule:
            init = self.initial_rule
            yield (f"rule at the initial priority was {init.span.file}:{init.span.line}: "
                   f"{init.label}; the priority at the stop decides")
        measured = format_seconds(round(target.measured.total_seconds()))
        if target.stopped_at is not None:
            by = _STOP_WORDS.get(self.stop_kind, "event") if self.stop_kind else "event"
            yield f"stopped at {t(target.stopped_at)} by {by}; measured {measured}"
        else:
            yield f"not stopped by as_of {t(ctx.as_of)}; measured so far {measured}"
        yield self._verdict(target)

    def _deadline_lines(self, target: TargetResult,
                        t: Callable[[dt.datetime], str]) -> Iterator[str]:
        cal, allowance = self.cal, target.allowance
        clock = allowance.clock
        pauses = [(p0, p1) for p0, p1, _ in self.pauses]
        if clock is _BUSINESS_TIME:
            segments: list[tuple[dt.datetime, dt.timedelta]] = []
            if pauses:
                paused_deadline(cal, self.origin, target.start, allowance, pauses, None,
                                segments)
            else:
                segments = [(target.start, dt.timedelta(seconds=allowance.seconds))]
            traces = [cal.explain_add(a, d) for a, d in segments if d or len(segments) == 1]
            yield (f"deadline {t(target.deadline)}: {allowance} of open time: "
                   + " | paused | ".join(traces))
            return
        unpaused = cal.deadline(self.origin, allowance)
        if clock is _CALENDAR_TIME:
            how = f"{format_seconds(allowance.seconds)} of real time after the start"
        elif clock is _CALENDAR_DAYS:
            how = f"same local wall time {allowance.days} date(s) later"
        elif clock is Clock.BUSINESS_DAYS:
            how = (f"same local wall time on business day {allowance.days} after the start's "
                   "date, clamped into that day's hours")
        else:
            day = self.origin.astimezone(cal.zone).date()
            how = f"last closing of the first business day after {day}"
        if pauses and unpaused != target.deadline:
            unit = "real time" if clock in _REAL_TIME_CLOCKS else "open time"
            yield (f"deadline {t(target.deadline)}: {how} gives {t(unpaused)}, pushed by the "
                   f"paused {unit}")
        else:
            yield f"deadline {t(target.deadline)}: {how}"

    def _verdict(self, target: TargetResult) -> str:
        status = target.status
        if status is Status.NOT_GUARANTEED:
            return target.reason or "not guaranteed"
        if target.stopped_at is not None:
            on_time = target.stopped_at <= target.deadline_utc
            verdict = "stopped by the deadline" if on_time else "stopped after the deadline"
        elif target.deadline_utc <= self.context.as_of:
            verdict = "deadline passed before as_of"
        else:
            verdict = "deadline is after as_of"
        return f"{status.text}: {verdict}"


class _TicketContext:
    """Ticket-level facts shared by the traces of one ticket's targets."""

    __slots__ = ("as_of", "created", "openings", "received")

    def __init__(self, created: dt.datetime, received: dt.datetime, as_of: dt.datetime) -> None:
        self.created = created
        self.received = received
        self.as_of = as_of
        # id(calendar) -> next opening, made on the first question (most tickets ask none)
        self.openings: dict[int, dt.datetime] | None = None

    @property
    def shifted(self) -> bool:
        """Received later than created (requests count only in support hours)."""
        return self.received != self.created


class _Customer:
    """A subscribed customer's plan timeline and, when the customer never changes plans,
    the one plan index every ticket uses (looked up once, not per ticket)."""

    __slots__ = ("end", "fixed", "start", "sub", "timeline")

    def __init__(self, sub: Subscription, timeline: PlanTimeline,
                 fixed: _PlanIndex | None) -> None:
        self.sub = sub
        self.timeline = timeline
        self.fixed = fixed
        # the bounds, held in the tzinfo of each creation asked about (cheap comparisons)
        self.start = HeldInstant(sub.start)
        self.end = None if sub.end is None else HeldInstant(sub.end)

    def active(self, created: dt.datetime) -> bool:
        """``sub.start <= created < sub.end``."""
        tz = created.tzinfo
        end = self.end
        return self.start.held_in(tz) <= created and (end is None or created < end.held_in(tz))


def _attributes_at(ticket: Ticket, priority: str | None, reads: bool,
                   known: dict[str | None, Mapping[str, str]]) -> Mapping[str, str]:
    """The condition attributes at one priority, built once per priority (for tickets
    whose priority changed; ``known`` holds those built already)."""
    found = known.get(priority)
    if found is None:
        found = known[priority] = ticket.attributes(priority) if reads else _NO_ATTRIBUTES
    return found


# --------------------------------------------------------------------------- simulator


class Simulator:
    """Replays tickets of one scenario against one catalog of plans.

    ``calendars`` replaces the calendar engine (a test double, say); by default calendars
    come from :func:`tierwise.engine.calendars.calendar_for`, compiled once per process.
    Raises :class:`PlanError` when a plan names a calendar the catalog does not define.
    """

    def __init__(self, catalog: Catalog, header: ScenarioHeader, *,
                 calendars: CalendarSource | None = None) -> None:
        self.catalog = catalog
        self.header = header
        self._as_of = header.as_of
        # as_of, held in the tzinfo of the events it is compared with: only ever compared,
        # never put into a result
        self._cutoff = HeldInstant(header.as_of)
        self._subs = header.subscriptions
        source: CalendarSource = calendars if calendars is not None else EngineCalendars()
        by_name: dict[str, BusinessCalendar] = {}
        always: dict[str, BusinessCalendar] = {}

        def calendar(name: str, zone: str, plan: Plan, span: SourceSpan) -> BusinessCalendar:
            if name in catalog.calendars:
                if name not in by_name:
                    by_name[name] = source.from_rule(catalog.calendars[name])
                return by_name[name]
            if name == ALWAYS_OPEN_NAME:
                if zone not in always:
                    always[zone] = source.always(zone)
                return always[zone]
            raise PlanError(Diagnostic(
                f"plan {plan.name} uses calendar '{name}', which is not defined",
                span=span, hint=did_you_mean(name, catalog.calendars),
            ))

        limit_keys: dict[tuple[frozenset[str], Condition], int] = {}
        for plan in catalog.plans.values():
            for limit in plan.guarantee_limits:
                limit_keys.setdefault((limit.kinds, limit.condition), len(limit_keys))
        self._limits = _LimitTracker(list(limit_keys)) if limit_keys else None

        self._plans: dict[str, _PlanIndex] = {}
        self._customers: dict[str, _Customer] = {}
        for name, plan in catalog.plans.items():
            plan_cal = calendar(plan.calendar, "UTC", plan, plan.span)
            zone_name = str(getattr(plan_cal.zone, "key", "UTC"))
            cals = {plan.calendar: plan_cal}
            for rule in plan.targets:
                if rule.calendar not in cals:
                    cals[rule.calendar] = calendar(rule.calendar, zone_name, plan, rule.span)
            limits = tuple((limit_keys[(lim.kinds, lim.condition)], lim)
                           for lim in plan.guarantee_limits)
            self._plans[name] = _PlanIndex(plan, plan_cal, cals, limits, bool(limit_keys))

    def _customer(self, customer: str, sub: Subscription) -> _Customer:
        """The customer's plan timeline, built on its first ticket (the definition billing
        uses too: :mod:`tierwise.engine.subscriptions`)."""
        try:
            timeline = PlanTimeline.of(sub, self.catalog)
        except UnknownPlan as err:
            raise ScenarioError(Diagnostic(
                f"customer {customer} subscribes to plan '{err.plan}', which is not in the "
                "catalog", span=sub.source, hint=did_you_mean(err.plan, self._plans),
            )) from None
        sole = timeline.sole_plan
        fixed = None if sole is None else self._plans[sole]
        found = self._customers[customer] = _Customer(sub, timeline, fixed)
        return found

    # ----------------------------------------------------------------- public

    def run(self, tickets: Iterable[Ticket]) -> Iterator[TicketResult]:
        """Results one by one, in the order of the tickets (which must be by creation)."""
        simulate = self.simulate_ticket
        for ticket in tickets:
            yield simulate(ticket)

    def simulate_ticket(self, ticket: Ticket) -> TicketResult:
        """Every target of one ticket (or why it is not covered)."""
        customer = ticket.customer
        created = ticket.created
        as_of = self._as_of
        known = self._customers.get(customer)
        if known is None:
            found = self._subs.get(customer)
            if found is None:
                tl = _timeline(ticket.events, created, as_of, False, False)  # changes only
                final = _priority_at(ticket.priority, tl.changes, as_of)
                return TicketResult(ticket.id, customer, None, final, created, created, (),
                                    "no subscription", "UTC", ticket)
            known = self._customer(customer, found)
        pi = known.fixed
        if pi is None:
            pi = self._plans[known.timeline.plan_at(created)]
        plan = pi.plan
        received = pi.calendar.next_opening(created) if plan.requested_in_hours_only else created
        events = ticket.events
        cutoff = as_of
        if events:
            tz = events[-1].at.tzinfo
            cutoff = self._cutoff.by_tz.get(tz) or self._cutoff.held_in(tz)
        tl = _timeline(events, received, cutoff, pi.has_updates, pi.has_replies)
        changes = tl.changes
        initial = ticket.priority
        final = _priority_at(initial, changes, cutoff) if changes else initial
        # The condition attributes at the final priority: the only ones a ticket whose
        # priority never changed needs (conditions are asked through caches keyed by
        # the values they test, so one dict serves every question).
        reads = pi.reads_attributes
        attrs = ticket.attributes(final) if reads else _NO_ATTRIBUTES
        by_priority: dict[str | None, Mapping[str, str]] = {final: attrs} if changes else {}

        # guarantee limits: query with the sessions of earlier tickets, then add this one's
        limit_hit: GuaranteeLimit | None = None
        tracker = self._limits
        if tracker is not None:
            limit_hit = tracker.reached(ticket, created, pi.zone, pi.limits,
                                        attrs if pi.limits else _NO_ATTRIBUTES)
            if tl.sessions:
                tracker.record(customer, tl.sessions, pi.zone, attrs)

        # coverage, decided on the ticket as it was created
        coverage: str | None = None
        if plan.subscription_required and not known.active(created):
            coverage = "no active subscription"
        if coverage is None and plan.channels and ticket.channel is not None \
                and ticket.channel not in plan.channels:
            coverage = f"channel {ticket.channel} not offered"
        if coverage is None and plan.coverage:
            first = _attributes_at(ticket, initial, reads, by_priority) if changes else attrs
            for rule in plan.coverage:
                if rule.condition.matches(first):
                    coverage = rule.reason
                    break
        if coverage is not None:
            return TicketResult(ticket.id, customer, plan.name, final, created, received,
                                (), coverage, pi.zone_name, ticket)

        ticket_reason = f"not guaranteed: {limit_reason(limit_hit)}" if limit_hit else None
        ctx: _TicketContext | None = None
        guarantees = pi.guarantees
        results: list[TargetResult] = []
        for metric, rules in pi.metrics.items():
            items: Sequence[tuple[dt.datetime, dt.datetime | None, EventKind | None, str]]
            if metric is _FIRST_RESPONSE:
                items = ((received, tl.first_stop, tl.first_stop_kind, "received"),)
            elif metric is _RESOLUTION:
                items = ((received, tl.resolved, tl.resolved_kind, "received"),)
            elif metric is _NEXT_REPLY:
                items = [(m, s, k, "customer message") for m, s, k in tl.messages]
            else:
                items = tl.gaps
            for occurrence, (origin, stop, stop_kind, origin_label) in enumerate(items):
                priority = initial
                target_attrs = attrs
                if changes:
                    priority = _priority_at(initial, changes,
                                            stop if stop is not None else cutoff)
                    target_attrs = _attributes_at(ticket, priority, reads, by_priority)
                info = rules.pick(target_attrs)
                if info is None:
                    continue
                reason = ticket_reason
                if reason is None and guarantees is not None:
                    reason = guarantees.reason(target_attrs)
                initial_rule: TargetRule | None = None
                if changes and priority != initial:
                    first_pick = rules.pick(_attributes_at(ticket, initial, reads, by_priority))
                    initial_rule = None if first_pick is None else first_pick.rule
                if ctx is None:
                    ctx = _TicketContext(created, received, as_of)
                results.append(self._target(
                    info, tl, origin, origin_label, stop, stop_kind, priority, reason,
                    occurrence, ctx, initial, initial_rule,
                ))
        return TicketResult(ticket.id, customer, plan.name, final, created, received,
                            tuple(results), None, pi.zone_name, ticket)

    # ----------------------------------------------------------------- one target

    def _target(self, info: _Rule, tl: _Timeline, origin: dt.datetime, origin_label: str,
                stop: dt.datetime | None, stop_kind: EventKind | None, priority: str | None,
                reason: str | None, occurrence: int, ctx: _TicketContext,
                initial_priority: str | None, initial_rule: TargetRule | None) -> TargetResult:
        cal = info.cal
        allowance = info.allowance
        clock = info.clock
        as_of = self._as_of
        end = stop if stop is not None else as_of
        pauses: Sequence[Pause] = ()
        paused = ZERO
        if clock is _BUSINESS_TIME and not (info.pauses and tl.waits) \
                and not (info.resolution and tl.excluded):
            # nothing can pause the clock: start, deadline and measured in one calendar call
            start, deadline, measured = cal.business_target(origin, allowance.seconds, end)
        else:
            start = origin
            if info.starts_at_opening:
                if origin is ctx.received:  # targets starting at receipt: ask once per calendar
                    openings = ctx.openings
                    if openings is None:
                        openings = ctx.openings = {}
                    start = openings.get(id(cal)) or openings.setdefault(
                        id(cal), cal.next_opening(origin))
                else:
                    start = cal.next_opening(origin)
            clipped: list[Pause] = []
            if info.pauses and tl.waits:
                _clip(clipped, tl.waits, start, end, _WAITING_WHY)
            if info.resolution and tl.excluded:
                _clip(clipped, tl.excluded, start, end, _RESOLVED_WHY)
                if len(clipped) > 1:
                    clipped.sort(key=_pause_start)
            if clipped:
                pauses = clipped
                spans = [(p0, p1) for p0, p1, _ in clipped]
                lengths = [cal.measured(p0, p1, clock) for p0, p1 in spans]
                for length in lengths:
                    paused += length
                deadline = paused_deadline(cal, origin, start, allowance, spans, lengths)
            else:
                deadline = cal.deadline(origin, allowance)
            measured = cal.measured(start, end, clock) - paused if end > start else ZERO
        zone = cal.zone
        if deadline.tzinfo is not zone:
            deadline = deadline.astimezone(zone)
        if measured < ZERO:  # float noise of the calendar's open-time sums
            measured = ZERO

        # Compare instants by their UTC time: two datetimes sharing a tzinfo object compare
        # by wall time, which is wrong inside the repeated hour of a DST change. With
        # different tzinfo objects Python compares the UTC times itself (cheaper than a
        # conversion first), so the deadline is converted only when the other shares it.
        if stop is not None:
            if stop.tzinfo is zone:
                index = 0 if stop <= deadline.astimezone(UTC) else 1
            else:
                index = 0 if stop <= deadline else 1
        elif as_of.tzinfo is zone:
            index = 1 if deadline.astimezone(UTC) <= as_of else 2
        else:
            index = 1 if deadline <= as_of else 2
        if info.guaranteed:
            if reason is None:
                status = _GUARANTEED_STATUSES[index]
                guaranteed = True
            else:
                status = Status.NOT_GUARANTEED
                guaranteed = False
        else:
            status = _OBJECTIVE_STATUSES[index]
            guaranteed = False
            reason = None

        changes: list[tuple[dt.datetime, str | None, str | None]] | tuple[()] = ()
        if tl.changes:
            changes = []
            old = initial_priority
            for at, new in tl.changes:
                if at > end:
                    break
                changes.append((at, old, new))
                old = new if new is not None else old

        rule = info.rule
        trace = _Trace(cal, rule, origin, origin_label, pauses, stop_kind, changes,
                       initial_rule, ctx)
        return TargetResult(
            info.metric, info.label, rule.span, rule.commitment, rule.calendar,
            clock, allowance, start, deadline, stop, measured, paused, status, reason,
            guaranteed, occurrence, priority, trace,
        )

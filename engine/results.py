"""Per-ticket results of a simulation, and their JSON-ready form.

Results are immutable. The explanation of a target ("how was this counted?") is rendered
on demand from a small trace object the simulator attaches, because building those strings
for every ticket would cost more than the simulation itself and most results are only
aggregated, never read line by line.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from attrs import field, frozen

from tierwise.engine.errors import SourceSpan
from tierwise.engine.model import Commitment, Metric
from tierwise.engine.quantities import Clock, TargetTime, format_seconds
from tierwise.engine.scenario import Ticket

UTC = dt.UTC


class Status(enum.Enum):
    """The outcome of one target. ``value`` is the lowercase JSON spelling."""

    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    OBJECTIVE_MET = "objective_met"
    OBJECTIVE_MISSED = "objective_missed"
    OBJECTIVE_PENDING = "objective_pending"
    NOT_GUARANTEED = "not_guaranteed"
    NOT_COVERED = "not_covered"

    @property
    def text(self) -> str:
        """The human spelling, e.g. ``not guaranteed``."""
        return self.value.replace("_", " ")

    @property
    def decided(self) -> bool:
        """A guaranteed target whose outcome is final (met or breached)."""
        return self is Status.MET or self is Status.BREACHED


class Explainer(Protocol):
    """Renders a target's explanation lines when somebody asks for them."""

    def render(self, target: TargetResult) -> tuple[str, ...]: ...


@frozen
class StaticExplanation:
    """An explanation given as ready-made lines (tests, other producers)."""

    lines: tuple[str, ...] = ()

    def render(self, target: TargetResult) -> tuple[str, ...]:
        return self.lines


_NO_EXPLANATION = StaticExplanation()


@frozen(slots=False)  # a dict-backed frozen class builds ~2x faster than a slotted one
class TargetResult:
    """One target of one ticket: its rule, deadline, measured time and status.

    Instants are aware. ``deadline`` is in the calendar's local time; ``measured`` and
    ``paused`` are in the target's own clock (open time for business clocks, real time
    otherwise), ``measured`` with the pauses already taken out.
    """

    metric: Metric
    rule: str  # the rule's label, e.g. "response within 4h business when priority is high"
    span: SourceSpan  # where the rule was written
    commitment: Commitment
    calendar: str
    clock: Clock
    allowance: TargetTime
    start: dt.datetime
    deadline: dt.datetime
    stopped_at: dt.datetime | None
    measured: dt.timedelta
    paused: dt.timedelta
    status: Status
    reason: str | None = None  # e.g. "not guaranteed: contact not registered"
    guaranteed: bool = True  # counts as a guarantee for credits
    occurrence: int = 0  # next reply / update: index of the occurrence within the ticket
    priority: str | None = None  # the priority that selected the rule
    trace: Explainer = field(default=_NO_EXPLANATION, eq=False, repr=False)

    @property
    def rule_ref(self) -> str:
        """``file:line`` of the rule."""
        return f"{self.span.file}:{self.span.line}"

    @property
    def deadline_utc(self) -> dt.datetime:
        return self.deadline.astimezone(UTC)

    @property
    def explanation(self) -> tuple[str, ...]:
        """How the target was counted: rule, calendar, deadline trace, pauses, changes."""
        return self.trace.render(self)

    @property
    def breached(self) -> bool:
        """A missed guarantee (what per-incident credits are granted for)."""
        return self.status is Status.BREACHED

    def to_dict(self) -> dict[str, Any]:
        zone = self.deadline.tzinfo
        return {
            "metric": self.metric.value,
            "occurrence": self.occurrence,
            "rule": {"ref": self.rule_ref, "label": self.rule},
            "commitment": self.commitment.value,
            "priority": self.priority,
            "calendar": self.calendar,
            "clock": self.clock.value,
            "allowance": str(self.allowance),
            "start": instant_dict(self.start, zone),
            "deadline": instant_dict(self.deadline, zone),
            "stopped_at": None if self.stopped_at is None else instant_dict(self.stopped_at, zone),
            "measured": duration_dict(self.measured),
            "paused": duration_dict(self.paused),
            "status": self.status.value,
            "reason": self.reason,
            "guaranteed": self.guaranteed,
            "explanation": list(self.explanation),
        }


@frozen(slots=False)
class TicketResult:
    """Everything computed for one ticket.

    ``coverage`` is None for a covered ticket, else the reason it is not covered (a
    not-covered ticket has no targets). ``received`` is when the clocks start: the creation,
    or the next opening of the plan's calendar when requests count only in support hours.
    ``ticket`` is the replayed ticket itself (for later stages: work sessions, attributes).
    """

    ticket_id: str
    customer: str
    plan: str | None
    priority: str | None
    created: dt.datetime
    received: dt.datetime
    targets: tuple[TargetResult, ...] = ()
    coverage: str | None = None
    zone: str = "UTC"  # the plan calendar's zone, for showing ticket-level instants
    ticket: Ticket | None = field(default=None, eq=False, repr=False)

    @property
    def covered(self) -> bool:
        return self.coverage is None

    @property
    def attributes(self) -> Mapping[str, str]:
        """The ticket's condition attributes with its final priority (for grouping)."""
        return self.ticket.attributes(self.priority) if self.ticket is not None else {}

    def to_dict(self) -> dict[str, Any]:
        zone = _zone(self.zone)
        return {
            "ticket": self.ticket_id,
            "customer": self.customer,
            "plan": self.plan,
            "priority": self.priority,
            "created": instant_dict(self.created, zone),
            "received": instant_dict(self.received, zone),
            "covered": self.coverage is None,
            "coverage": self.coverage,
            "targets": [t.to_dict() for t in self.targets],
        }


# --------------------------------------------------------------------------- rendering


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def utc_text(instant: dt.datetime) -> str:
    """RFC 3339 in UTC with a ``Z``."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def instant_dict(instant: dt.datetime, zone: dt.tzinfo | None = None) -> dict[str, str]:
    """An instant in local time (with its offset) and in UTC."""
    local = instant.astimezone(zone) if zone is not None else instant
    return {"local": local.isoformat(), "utc": utc_text(instant)}


def duration_dict(duration: dt.timedelta) -> dict[str, Any]:
    """A duration as seconds (an int when whole) and as compact text (``1h30min``)."""
    total = duration.total_seconds()
    seconds: int | float = int(total) if total == int(total) else total
    return {"seconds": seconds, "text": format_seconds(round(total))}


def local_text(instant: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """Short local text for explanations: ``Fri 2026-03-06 15:00 +01:00``."""
    local = instant.astimezone(zone) if zone is not None else instant
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    secs = ":%S" if local.second or local.microsecond else ""
    return local.strftime(f"%a %Y-%m-%d %H:%M{secs} ") + offset


# --------------------------------------------------------------------------- documents


def result_document(
    tickets: Iterable[TicketResult],
    summary: Mapping[str, Any] | None = None,
    *,
    scenario: str = "",
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """The top-level JSON result: ``tickets``, ``summary`` (``invoices``/``credits`` are
    added by the money stage)."""
    doc: dict[str, Any] = {}
    if scenario:
        doc["scenario"] = scenario
    if as_of is not None:
        doc["as_of"] = instant_dict(as_of)
    doc["tickets"] = [t.to_dict() for t in tickets]
    if summary is not None:
        doc["summary"] = dict(summary)
    return doc


@lru_cache(maxsize=1)
def result_schema() -> dict[str, Any]:
    """The published JSON Schema of result documents (draft 2020-12)."""
    text = resources.files("tierwise.engine.schemas").joinpath("result.schema.json").read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    return schema

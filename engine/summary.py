"""A streaming summary of ticket results: per plan and priority, and in total.

``Summary.add`` takes results as the simulator yields them, so a large scenario is
summarised without keeping its tickets. The only per-ticket memory is one float per first
response (8 bytes in an ``array``), kept so the p90 is exact rather than estimated.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections.abc import Sequence
from typing import Any

from tierwise.engine.model import Metric
from tierwise.engine.results import Status, TicketResult, duration_dict

_STATUS_ORDER = tuple(Status)


class GroupStats:
    """Counters of one group (or of the totals)."""

    __slots__ = ("breached", "first_response", "keep_values", "met", "not_covered", "pending",
                 "statuses", "tickets")

    def __init__(self, keep_values: bool = True) -> None:
        self.keep_values = keep_values
        self.tickets = 0
        self.not_covered = 0
        # keyed by the status's value: hashing a str is cheaper than hashing an Enum member
        self.statuses = dict.fromkeys((s.value for s in _STATUS_ORDER), 0)
        self.met = 0  # guaranteed targets only
        self.breached = 0
        self.pending = 0
        self.first_response = array("d")  # measured seconds, one per first-response target

    def add(self, result: TicketResult) -> None:
        self.tickets += 1
        if result.coverage is not None:
            self.not_covered += 1
            return
        statuses = self.statuses
        for target in result.targets:
            status = target.status
            statuses[status._value_] += 1
            if target.guaranteed:
                if status is Status.MET:
                    self.met += 1
                elif status is Status.BREACHED:
                    self.breached += 1
                elif status is Status.PENDING:
                    self.pending += 1
            if target.metric is Metric.FIRST_RESPONSE and self.keep_values:
                self.first_response.append(target.measured.total_seconds())

    @property
    def breach_rate(self) -> float | None:
        """Breached / (met + breached) among guaranteed targets; None when none decided."""
        decided = self.met + self.breached
        return self.breached / decided if decided else None

    @property
    def mean_first_response(self) -> float | None:
        """Mean measured first response, in seconds of each target's own clock."""
        return _mean(self.first_response)

    @property
    def p90_first_response(self) -> float | None:
        return _p90(self.first_response)

    def to_dict(self, first_response: Sequence[float] | None = None) -> dict[str, Any]:
        """JSON-ready counters; ``first_response`` overrides the kept values (totals)."""
        values = self.first_response if first_response is None else first_response
        mean, p90 = _mean(values), _p90(values)
        rate = self.breach_rate
        return {
            "tickets": self.tickets,
            "not_covered": self.not_covered,
            "targets": {s: n for s, n in self.statuses.items() if n},
            "guaranteed": {"met": self.met, "breached": self.breached, "pending": self.pending},
            "breach_rate": None if rate is None else round(rate, 6),
            "first_response": {
                "count": len(values),
                "mean": None if mean is None else duration_dict(_seconds(mean)),
                "p90": None if p90 is None else duration_dict(_seconds(p90)),
            },
        }


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _p90(values: Sequence[float]) -> float | None:
    """Nearest-rank p90: the smallest value with at least 90% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=round(value, 3))


class Summary:
    """Accumulates ticket results into per (plan, final priority) groups and totals."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str | None, str | None], GroupStats] = {}
        # the totals' first-response values are the groups' together: not stored twice
        self.totals = GroupStats(keep_values=False)

    def add(self, result: TicketResult) -> None:
        key = (result.plan, result.priority)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = GroupStats()
        group.add(result)
        self.totals.add(result)

    def group(self, plan: str | None, priority: str | None) -> GroupStats:
        """The stats of one group (empty if no ticket fell in it)."""
        return self.groups.get((plan, priority)) or GroupStats()

    def to_dict(self) -> dict[str, Any]:
        """Groups sorted by plan then priority (missing values last), then the totals."""
        def order(key: tuple[str | None, str | None]) -> tuple[bool, str, bool, str]:
            plan, priority = key
            return (plan is None, plan or "", priority is None, priority or "")

        groups = [
            {"plan": plan, "priority": priority, **self.groups[(plan, priority)].to_dict()}
            for plan, priority in sorted(self.groups, key=order)
        ]
        every = array("d")
        for group in self.groups.values():
            every.extend(group.first_response)
        return {"groups": groups, "totals": self.totals.to_dict(every)}

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
from tierwise.engine.results import Status, TargetResult, TicketResult, duration_dict

_STATUS_ORDER = tuple(Status)
# by the status's value: hashing a str is cheaper than hashing an Enum member (a call)
_GUARANTEED_INDEX = {Status.MET.value: 0, Status.BREACHED.value: 1, Status.PENDING.value: 2}
_FIRST_RESPONSE = Metric.FIRST_RESPONSE


class GroupStats:
    """Counters of one group (or of the totals)."""

    __slots__ = ("breached", "by_metric", "first_response", "keep_values", "met", "not_covered",
                 "pending", "statuses", "tickets")

    def __init__(self, keep_values: bool = True) -> None:
        self.keep_values = keep_values
        self.tickets = 0
        self.not_covered = 0
        # keyed by the status's value: hashing a str is cheaper than hashing an Enum member
        self.statuses = dict.fromkeys((s.value for s in _STATUS_ORDER), 0)
        self.met = 0  # guaranteed targets only
        self.breached = 0
        self.pending = 0
        # guaranteed targets per metric: [met, breached, pending], so response and
        # resolution breach rates are not mixed into one figure only
        self.by_metric: dict[str, list[int]] = {}
        self.first_response = array("d")  # measured seconds, one per first-response target

    def count_ticket(self, result: TicketResult) -> None:
        self.tickets += 1
        if result.coverage is not None:
            self.not_covered += 1

    def merge(self, other: GroupStats) -> None:
        """Add another group's counters (not its first-response values)."""
        self.tickets += other.tickets
        self.not_covered += other.not_covered
        for status, count in other.statuses.items():
            self.statuses[status] += count
        self.met += other.met
        self.breached += other.breached
        self.pending += other.pending
        for metric, counts in other.by_metric.items():
            mine = self.by_metric.setdefault(metric, [0, 0, 0])
            for index, count in enumerate(counts):
                mine[index] += count

    def add_target(self, target: TargetResult) -> None:
        status = target.status._value_
        self.statuses[status] += 1
        if target.guaranteed:
            index = _GUARANTEED_INDEX.get(status)
            if index is not None:
                metric = target.metric._value_
                counts = self.by_metric.get(metric)
                if counts is None:
                    counts = self.by_metric[metric] = [0, 0, 0]
                counts[index] += 1
                if index == 0:
                    self.met += 1
                elif index == 1:
                    self.breached += 1
                else:
                    self.pending += 1
        if target.metric is _FIRST_RESPONSE and self.keep_values:
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
            "by_metric": {
                metric: {"met": met, "breached": breached, "pending": pending,
                         "breach_rate": (round(breached / (met + breached), 6)
                                         if met + breached else None)}
                for metric, (met, breached, pending) in sorted(self.by_metric.items())
            },
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

    @property
    def totals(self) -> GroupStats:
        """Every group together, added up when asked: each ticket and each target counts in
        exactly one group, so the sums are the totals (counting every target twice, once
        more for the totals, cost as much as the groups). It keeps no first-response
        values of its own: ``to_dict`` takes the groups' values."""
        totals = GroupStats(keep_values=False)
        for group in self.groups.values():
            totals.merge(group)
        return totals

    def add(self, result: TicketResult) -> None:
        """A ticket counts in the group of its final priority; each target in the group of
        the priority that selected its rule (they differ when the priority changed after
        that target stopped), so a group's figures are always judged by its own rules."""
        plan, final = result.plan, result.priority
        groups = self.groups
        group = groups.get((plan, final))
        if group is None:
            group = groups[(plan, final)] = GroupStats()
        group.tickets += 1
        if result.coverage is not None:
            group.not_covered += 1
        for target in result.targets:
            priority = target.priority
            if priority is None or priority == final:
                group.add_target(target)
            else:
                self._group(plan, priority).add_target(target)

    def _group(self, plan: str | None, priority: str | None) -> GroupStats:
        group = self.groups.get((plan, priority))
        if group is None:
            group = self.groups[(plan, priority)] = GroupStats()
        return group

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

"""One pass over a scenario: tickets -> simulator -> summary, money ledger, queue.

This is the single place where the stages meet, so the CLI, the pytest plugin, ``compare``
and ``sweep`` all compute exactly the same thing. The tickets are streamed: with
``keep_tickets=False`` memory stays flat however long the history is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from attrs import field, frozen

from tierwise.engine.billing import Ledger
from tierwise.engine.errors import Diagnostic, ScenarioError
from tierwise.engine.invoices import MoneyResult
from tierwise.engine.model import Catalog
from tierwise.engine.results import Status, TargetResult, TicketResult
from tierwise.engine.scenario import ScenarioHeader, Ticket
from tierwise.engine.simulator import Simulator
from tierwise.engine.summary import Summary

ProgressSink = Callable[[int], None]

#: How often (in tickets) the progress callback is called.
PROGRESS_EVERY = 1000


@frozen
class QueueEntry:
    """An open ticket waiting at ``as_of``, for plans that serve by earliest deadline."""

    ticket_id: str
    customer: str
    plan: str
    deadline: dt.datetime
    metric: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket_id,
            "customer": self.customer,
            "plan": self.plan,
            "metric": self.metric,
            "deadline": self.deadline.isoformat(),
        }


@frozen
class SimulationResult:
    """Everything one replay produced."""

    scenario: str
    as_of: dt.datetime
    plan_files: tuple[str, ...]
    tickets: tuple[TicketResult, ...]
    ticket_count: int
    summary: dict[str, Any]
    money: MoneyResult
    queue: tuple[QueueEntry, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(factory=tuple)


#: The youngest generation's threshold during a replay (CPython's default is 700).
REPLAY_GC_THRESHOLD = 50_000


@contextlib.contextmanager
def replay_gc() -> Iterator[None]:
    """Fewer garbage collections while tickets stream through the stages.

    A replay allocates millions of short-lived objects (events, datetimes, results) that
    reference counting frees at once; they hold no cycles. With the default threshold the
    collector runs every 700 allocations and walks the young objects each time, about 10%
    of a replay. So: objects alive before the replay (catalog, calendars, header) are moved
    out of the collector's view (``gc.freeze``), and the youngest generation is collected
    every 50,000 allocations instead. Cycles are still collected, only less often; the
    previous settings are restored afterwards, also on an error.
    """
    before = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0  # a caller's own gc.freeze() is left alone
    if freeze:
        gc.freeze()
    gc.set_threshold(REPLAY_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if freeze:
            gc.unfreeze()


# by value: hashing a str is cheaper than hashing an Enum member (a Python-level call)
_OPEN = frozenset(s.value for s in (Status.PENDING, Status.OBJECTIVE_PENDING, Status.BREACHED,
                                    Status.OBJECTIVE_MISSED, Status.NOT_GUARANTEED))


def _queue_entry(result: TicketResult) -> QueueEntry | None:
    """The earliest open deadline of a ticket (whose plan serves by deadline).

    Open means not stopped by ``as_of``: pending targets, and overdue ones (breached or
    objective missed with no stop), which head the queue. The first of equal deadlines
    wins, as ``min`` would pick it.
    """
    first: TargetResult | None = None
    for target in result.targets:
        if target.stopped_at is None and target.status._value_ in _OPEN \
                and (first is None or target.deadline < first.deadline):
            first = target
    if first is None or result.plan is None:
        return None
    return QueueEntry(result.ticket_id, result.customer, result.plan, first.deadline,
                      first.metric.value)


def simulate(
    catalog: Catalog,
    header: ScenarioHeader,
    tickets: Iterable[Ticket],
    *,
    plan_files: Sequence[str] = (),
    keep_tickets: bool = True,
    on_progress: ProgressSink | None = None,
    warnings: Sequence[Diagnostic] = (),
) -> SimulationResult:
    """Replay the tickets once, feeding every stage as each ticket's result is known."""
    from tierwise.engine.scenario_io import check_plans

    unknown = check_plans(header, set(catalog.plans))
    if unknown:
        raise ScenarioError(unknown)
    simulator = Simulator(catalog, header)
    summary = Summary()
    ledger = Ledger(catalog, header)
    kept: list[TicketResult] = []
    queue: list[QueueEntry] = []
    count = 0
    simulate_ticket, add_result, add_money = simulator.simulate_ticket, summary.add, ledger.add
    # the plans that serve by earliest deadline (None: a ticket without a plan is not queued)
    queued = frozenset(name for name, p in catalog.plans.items()
                       if p.queue_earliest_deadline_first)
    with replay_gc():
        for ticket in tickets:
            result = simulate_ticket(ticket)
            add_result(result)
            add_money(ticket, result)
            if result.plan in queued:
                entry = _queue_entry(result)
                if entry is not None:
                    queue.append(entry)
            if keep_tickets:
                kept.append(result)
            count += 1
            if on_progress is not None and count % PROGRESS_EVERY == 0:
                on_progress(count)
        if on_progress is not None:
            on_progress(count)
        money = ledger.finish()
    queue.sort(key=lambda e: (e.deadline, e.ticket_id))
    return SimulationResult(
        scenario=header.name or header.source,
        as_of=header.as_of,
        plan_files=tuple(plan_files),
        tickets=tuple(kept),
        ticket_count=count,
        summary=summary.to_dict(),
        money=money,
        queue=tuple(queue),
        diagnostics=tuple(warnings) + tuple(money.diagnostics),
    )


def simulate_files(
    plan_paths: Sequence[str | Path],
    scenario_path: str | Path,
    *,
    keep_tickets: bool = True,
    on_progress: ProgressSink | None = None,
) -> SimulationResult:
    """Compile the plans, open the scenario (streaming JSON Lines) and replay it."""
    from tierwise.engine.plans import load_catalog
    from tierwise.engine.scenario_io import open_scenario

    catalog = load_catalog(plan_paths)
    warnings: list[Diagnostic] = []
    header, tickets = open_scenario(scenario_path, on_warning=warnings.append)
    # ``warnings`` fills while the tickets stream; simulate() reads it after the last one.
    return simulate(
        catalog, header, tickets,
        plan_files=[str(p) for p in plan_paths],
        keep_tickets=keep_tickets,
        on_progress=on_progress,
        warnings=warnings,
    )

"""Two versions of the terms replayed on the same tickets, side by side.

The scenario is read **once**: each ticket is replayed under the old and the new terms in
lockstep (two simulators, two summaries, two ledgers fed from one ticket stream), so a JSON
Lines history is streamed a single time and memory stays flat. Only the tickets whose
outcome changed are kept (the first ``limit`` of them; all with ``limit=None``). The stages
are the ones :func:`tierwise.engine.pipeline.simulate` uses, so each side's summary and money
are exactly what ``tierwise simulate`` reports for those terms (a test holds this).

Three ways to get the two sides (see docs/what-if.md):

- two catalogs (``compare OLD NEW SCENARIO``);
- one catalog and overrides applied to the new side (``compare PLANS SCENARIO --set ...``);
- two plans of one catalog (``--old-plan X --new-plan Y``): on the new side every
  subscription to X (and every plan change to X) is moved to Y.

Figures per plan are grouped by the plan the ticket or invoice had on the **old** side, so
a row compares the same customers and tickets. Money is net of VAT: fees (and
minimum-term charges), billed work (work sessions, allowance fees, packs), credits (money
credits applied, owed or provisional; free-hour credits are counted separately), and net =
fees + work - credits. Credits that need a claim nobody made are shown as ``unclaimed``
and are not subtracted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from tierwise.engine.billing import Ledger
from tierwise.engine.errors import Diagnostic, ScenarioError, TierwiseError, did_you_mean
from tierwise.engine.invoices import CreditStatus, LineKind, MoneyResult
from tierwise.engine.model import Catalog
from tierwise.engine.pipeline import SimulationResult
from tierwise.engine.quantities import Money, format_seconds
from tierwise.engine.results import TargetResult, TicketResult, duration_dict
from tierwise.engine.scenario import ScenarioHeader, Ticket
from tierwise.engine.simulator import Simulator
from tierwise.engine.subscriptions import PlanTimeline
from tierwise.engine.summary import GroupStats, Summary
from tierwise.engine.termdiff import TermChange, diff_catalogs, diff_plans

__all__ = [
    "COMPARE_FORMAT_VERSION",
    "Comparison",
    "Figures",
    "MoneyFigures",
    "PlanRow",
    "TargetChange",
    "TicketChange",
    "compare",
    "compare_files",
    "remap_header",
]

COMPARE_FORMAT_VERSION = 1
#: Changed tickets kept by default (``limit=None`` keeps all).
DEFAULT_LIMIT = 20
NO_PLAN = "(no plan)"

_FEE_LINES = (LineKind.FEE, LineKind.MINIMUM_TERM)
_WORK_LINES = (LineKind.WORK, LineKind.ALLOWANCE, LineKind.PACK)
_OWED = (CreditStatus.APPLIED, CreditStatus.OWED, CreditStatus.PROVISIONAL)


# --------------------------------------------------------------------------- figures


@frozen
class MoneyFigures:
    """Net money of one group in one currency (exact decimals, rounded to the minor unit)."""

    currency: str
    fees: Decimal
    work: Decimal
    credits: Decimal
    unclaimed: Decimal

    @property
    def revenue(self) -> Decimal:
        return self.fees + self.work

    @property
    def net(self) -> Decimal:
        return self.fees + self.work - self.credits

    def to_dict(self) -> dict[str, Any]:
        def text(value: Decimal) -> str:
            return str(Money(value, self.currency).rounded().amount)

        return {"fees": text(self.fees), "work": text(self.work),
                "revenue": text(self.revenue), "credits": text(self.credits),
                "unclaimed": text(self.unclaimed), "net": text(self.net)}


@frozen
class Figures:
    """Ticket outcomes (and money, for plan rows and totals) of one side of one group."""

    tickets: int
    not_covered: int
    met: int
    breached: int
    pending: int
    breach_rate: float | None
    mean_response: float | None  # seconds, in each target's own clock
    p90_response: float | None
    money: tuple[MoneyFigures, ...] = ()
    credit_seconds: int = 0  # free hours granted as credits (applied, owed or provisional)
    #: guaranteed targets per metric, as the summary gives them ({"response": {"met": ...}})
    by_metric: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()

    @classmethod
    def of(cls, stats: GroupStats, money: Iterable[MoneyFigures] = (),
           values: Sequence[float] | None = None, credit_seconds: int = 0) -> Figures:
        d = stats.to_dict(values)
        first = d["first_response"]
        by_metric = tuple((metric, tuple(sorted(counts.items())))
                          for metric, counts in sorted(d.get("by_metric", {}).items()))
        return cls(stats.tickets, stats.not_covered, stats.met, stats.breached, stats.pending,
                   stats.breach_rate,
                   None if first["mean"] is None else first["mean"]["seconds"],
                   None if first["p90"] is None else first["p90"]["seconds"],
                   tuple(sorted(money, key=lambda m: m.currency)), credit_seconds, by_metric)

    def to_dict(self) -> dict[str, Any]:
        def duration(value: float | None) -> dict[str, Any] | None:
            return None if value is None else duration_dict(dt.timedelta(seconds=value))

        out: dict[str, Any] = {
            "tickets": self.tickets,
            "not_covered": self.not_covered,
            "guaranteed": {"met": self.met, "breached": self.breached, "pending": self.pending},
            "breach_rate": None if self.breach_rate is None else round(self.breach_rate, 6),
            "by_metric": {metric: dict(counts) for metric, counts in self.by_metric},
            "first_response": {"mean": duration(self.mean_response),
                               "p90": duration(self.p90_response)},
        }
        if self.money:
            out["money"] = {m.currency: m.to_dict() for m in self.money}
            out["credit_hours"] = format_seconds(self.credit_seconds)
        return out


@frozen
class PriorityRow:
    priority: str | None
    old: Figures
    new: Figures


@frozen
class PlanRow:
    """One plan (as named on the old side; ``new_plan`` when it maps to another)."""

    plan: str
    new_plan: str
    old: Figures
    new: Figures
    priorities: tuple[PriorityRow, ...]


@frozen
class TargetChange:
    """One target of a changed ticket, on each side (None where it does not exist)."""

    metric: str
    occurrence: int
    old: TargetResult | None
    new: TargetResult | None

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "occurrence": self.occurrence,
                "old": _target_brief(self.old), "new": _target_brief(self.new)}


def _target_brief(target: TargetResult | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {"status": target.status.value, "reason": target.reason,
            "deadline": target.deadline.isoformat(), "measured": duration_dict(target.measured),
            "allowance": str(target.allowance),
            "rule": {"ref": target.rule_ref, "label": target.rule}}


@frozen
class TicketChange:
    """A ticket whose outcome (coverage, or a target's status) differs between the sides."""

    ticket: str
    customer: str
    old_plan: str | None
    new_plan: str | None
    priority: str | None
    old_coverage: str | None
    new_coverage: str | None
    targets: tuple[TargetChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "customer": self.customer,
                "plan": {"old": self.old_plan, "new": self.new_plan},
                "priority": self.priority,
                "coverage": {"old": self.old_coverage, "new": self.new_coverage},
                "targets": [t.to_dict() for t in self.targets]}


@frozen
class Comparison:
    """Everything ``tierwise compare`` shows."""

    scenario: str
    as_of: dt.datetime
    ticket_count: int
    old_label: str
    new_label: str
    old_files: tuple[str, ...]
    new_files: tuple[str, ...]
    overrides: tuple[str, ...]
    plan_map: Mapping[str, str]
    terms: tuple[TermChange, ...]
    rows: tuple[PlanRow, ...]
    total: PlanRow
    changed: tuple[TicketChange, ...]
    changed_count: int
    deadlines_moved: int  # tickets whose outcome is the same but a deadline moved
    old: SimulationResult  # summary and money of each side (no per-ticket rows)
    new: SimulationResult
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def outcomes_differ(self) -> bool:
        """Any ticket outcome or any total figure differs (``--fail-on-change``)."""
        return bool(self.changed_count) or self.total.old != self.total.new

    def to_dict(self) -> dict[str, Any]:
        def figures_pair(old: Figures, new: Figures) -> dict[str, Any]:
            return {"old": old.to_dict(), "new": new.to_dict()}

        return {
            "format": COMPARE_FORMAT_VERSION,
            "scenario": self.scenario,
            "as_of": self.as_of.isoformat(),
            "ticket_count": self.ticket_count,
            "old": {"label": self.old_label, "plan_files": list(self.old_files)},
            "new": {"label": self.new_label, "plan_files": list(self.new_files),
                    "overrides": list(self.overrides)},
            "plan_map": dict(self.plan_map),
            "identical": not self.terms and not self.outcomes_differ,
            "terms": [t.to_dict() for t in self.terms],
            "plans": [{"plan": r.plan, "new_plan": r.new_plan, **figures_pair(r.old, r.new),
                       "priorities": [{"priority": p.priority, **figures_pair(p.old, p.new)}
                                      for p in r.priorities]}
                      for r in self.rows],
            "total": figures_pair(self.total.old, self.total.new),
            "changed_tickets": {"count": self.changed_count, "shown": len(self.changed),
                                "deadlines_moved": self.deadlines_moved,
                                "tickets": [c.to_dict() for c in self.changed]},
            "diagnostics": [{"severity": d.severity, "message": d.message,
                             "where": None if d.span is None else str(d.span), "hint": d.hint}
                            for d in self.diagnostics],
        }


# --------------------------------------------------------------------------- sides


def remap_header(header: ScenarioHeader, plan_map: Mapping[str, str]) -> ScenarioHeader:
    """The scenario with subscriptions (and plan changes) to ``X`` moved to ``plan_map[X]``."""
    subs = {}
    for name, sub in header.subscriptions.items():
        changes = tuple(attrs.evolve(c, plan=plan_map.get(c.plan, c.plan)) for c in sub.changes)
        subs[name] = attrs.evolve(sub, plan=plan_map.get(sub.plan, sub.plan), changes=changes)
    return attrs.evolve(header, subscriptions=subs)


class _Side:
    """One side of the lockstep replay: the stages :func:`pipeline.simulate` chains."""

    def __init__(self, label: str, catalog: Catalog, header: ScenarioHeader) -> None:
        from tierwise.engine.scenario_io import check_plans

        unknown = check_plans(header, set(catalog.plans))
        if unknown:
            raise ScenarioError([attrs.evolve(d, message=f"{label} terms: {d.message}")
                                 for d in unknown])
        self.catalog = catalog
        self.header = header
        self.simulator = Simulator(catalog, header)
        self.summary = Summary()
        self.ledger = Ledger(catalog, header)
        # one Summary per row (the old side's plan), so rows and their priority cells are
        # grouped by exactly the rules `simulate` uses
        self.rows: dict[str, Summary] = {}

    def run(self, ticket: Ticket) -> TicketResult:
        result = self.simulator.simulate_ticket(ticket)
        self.summary.add(result)
        self.ledger.add(ticket, result)
        return result

    def count(self, row: str, result: TicketResult) -> None:
        summary = self.rows.get(row)
        if summary is None:
            summary = self.rows[row] = Summary()
        summary.add(result if result.plan == row else attrs.evolve(result, plan=row))

    def row_stats(self, row: str) -> GroupStats:
        summary = self.rows.get(row)
        return summary.totals if summary is not None else GroupStats()

    def cell(self, row: str, priority: str | None) -> GroupStats:
        summary = self.rows.get(row)
        return summary.group(row, priority) if summary is not None else GroupStats()

    def priorities(self, row: str) -> set[str | None]:
        summary = self.rows.get(row)
        return {p for (_r, p) in summary.groups} if summary is not None else set()

    def values(self, row: str | None = None) -> list[float]:
        """First-response values of one row (all rows: None), for its mean and p90."""
        return [v for name, summary in self.rows.items() if row is None or name == row
                for group in summary.groups.values() for v in group.first_response]


def _outcome(result: TicketResult) -> tuple[Any, ...]:
    return (result.coverage, tuple((t.metric, t.occurrence, t.status, t.guaranteed)
                                   for t in result.targets))


def _deadlines(result: TicketResult) -> tuple[Any, ...]:
    return tuple((t.metric, t.occurrence, t.deadline) for t in result.targets)


def _ticket_change(old: TicketResult, new: TicketResult) -> TicketChange:
    def index(result: TicketResult) -> dict[tuple[str, int], TargetResult]:
        return {(t.metric.value, t.occurrence): t for t in result.targets}

    a, b = index(old), index(new)
    keys = list(a) + [k for k in b if k not in a]
    targets = []
    for key in keys:
        x, y = a.get(key), b.get(key)
        if x is not None and y is not None and x.status is y.status and \
                x.deadline == y.deadline and x.guaranteed == y.guaranteed:
            continue
        targets.append(TargetChange(key[0], key[1], x, y))
    return TicketChange(old.ticket_id, old.customer, old.plan, new.plan, old.priority,
                        old.coverage, new.coverage, tuple(targets))


# --------------------------------------------------------------------------- compare


def compare(
    old_catalog: Catalog,
    new_catalog: Catalog,
    header: ScenarioHeader,
    tickets: Iterable[Ticket],
    *,
    plan_map: Mapping[str, str] | None = None,
    overrides: Sequence[str] = (),
    terms: Sequence[TermChange] | None = None,
    limit: int | None = DEFAULT_LIMIT,
    old_label: str = "old",
    new_label: str = "new",
    old_files: Sequence[str] = (),
    new_files: Sequence[str] = (),
    warnings: Sequence[Diagnostic] = (),
) -> Comparison:
    """Replay ``tickets`` once, under both catalogs, and compare the outcomes.

    ``plan_map`` moves subscriptions from old plan names to new ones on the new side.
    ``terms`` defaults to the term diff of the two catalogs (and of each mapped pair).
    """
    plan_map = dict(plan_map or {})
    for old_name, new_name in plan_map.items():
        if old_name not in old_catalog.plans or new_name not in new_catalog.plans:
            raise ValueError(f"plan_map names an unknown plan: {old_name} -> {new_name}")
    if terms is None:
        found: list[TermChange] = []
        for old_name, new_name in plan_map.items():
            found.extend(diff_plans(old_catalog.plans[old_name], new_catalog.plans[new_name]))
        found.extend(diff_catalogs(old_catalog, new_catalog))
        terms = found
    new_header = remap_header(header, plan_map) if plan_map else header
    old = _Side("old", old_catalog, header)
    new = _Side("new", new_catalog, new_header)
    changed: list[TicketChange] = []
    changed_count = moved = count = 0
    for ticket in tickets:
        a, b = old.run(ticket), new.run(ticket)
        row = a.plan or NO_PLAN
        old.count(row, a)
        new.count(row, b)
        count += 1
        if _outcome(a) != _outcome(b):
            changed_count += 1
            if limit is None or len(changed) < limit:
                changed.append(_ticket_change(a, b))
        elif _deadlines(a) != _deadlines(b):
            moved += 1
    old_money, new_money = old.ledger.finish(), new.ledger.finish()
    rows, total = _rows(old, new, old_money, new_money, header, plan_map)
    scenario = header.name or header.source
    diagnostics = (*warnings, *old_money.diagnostics,
                   *(d for d in new_money.diagnostics if d not in old_money.diagnostics))

    def result(side: _Side, money: MoneyResult, files: Sequence[str]) -> SimulationResult:
        return SimulationResult(scenario=scenario, as_of=header.as_of,
                                plan_files=tuple(files), tickets=(), ticket_count=count,
                                summary=side.summary.to_dict(), money=money)

    return Comparison(
        scenario=scenario, as_of=header.as_of, ticket_count=count,
        old_label=old_label, new_label=new_label,
        old_files=tuple(old_files), new_files=tuple(new_files), overrides=tuple(overrides),
        plan_map=plan_map, terms=tuple(terms), rows=rows, total=total,
        changed=tuple(changed), changed_count=changed_count, deadlines_moved=moved,
        old=result(old, old_money, old_files), new=result(new, new_money, new_files),
        diagnostics=tuple(diagnostics),
    )


class _MoneyBucket:
    __slots__ = ("credits", "fees", "unclaimed", "work")

    def __init__(self) -> None:
        zero = Decimal(0)
        self.fees = self.work = self.credits = self.unclaimed = zero


_Money = dict[str, dict[str, _MoneyBucket]]


def _money_by_row(money: MoneyResult, row_of: dict[tuple[str, str], str],
                  fallback: Mapping[str, str]) -> tuple[_Money, dict[str, int]]:
    """Money per row and currency, and free-hour credits per row; invoices and credits
    are placed by (customer, period)."""
    out: _Money = {}
    hours: dict[str, int] = {}

    def bucket(row: str, currency: str) -> _MoneyBucket:
        return out.setdefault(row, {}).setdefault(currency, _MoneyBucket())

    for inv in money.invoices:
        row = row_of.get((inv.customer, inv.period)) or fallback.get(inv.plan, inv.plan)
        b = bucket(row, inv.currency)
        for line in inv.lines:
            if line.kind in _FEE_LINES:
                b.fees += line.amount.amount
            elif line.kind in _WORK_LINES:
                b.work += line.amount.amount
    for credit in money.credits:
        row = row_of.get((credit.customer, credit.period)) or row_of.get(
            (credit.customer, "*"), NO_PLAN)
        if credit.status in _OWED:
            if credit.amount is not None:
                bucket(row, credit.amount.currency).credits += credit.amount.amount
            elif credit.seconds:
                hours[row] = hours.get(row, 0) + credit.seconds
        elif credit.status is CreditStatus.UNCLAIMED and credit.amount is not None:
            bucket(row, credit.amount.currency).unclaimed += credit.amount.amount
    return out, hours


def _rows(old: _Side, new: _Side, old_money: MoneyResult, new_money: MoneyResult,
          header: ScenarioHeader, plan_map: Mapping[str, str]) -> tuple[tuple[PlanRow, ...],
                                                                        PlanRow]:
    # rows are the old side's plans: an invoice or credit goes where the old side put it
    row_of: dict[tuple[str, str], str] = {(inv.customer, inv.period): inv.plan
                                          for inv in old_money.invoices}
    for name, sub in header.subscriptions.items():
        # the plan whose terms apply at as_of (a change may still wait for the next period)
        row_of[(name, "*")] = PlanTimeline.of(sub, old.catalog).plan_at(header.as_of)
    back = {v: k for k, v in plan_map.items()}
    money_old, hours_old = _money_by_row(old_money, row_of, {})
    money_new, hours_new = _money_by_row(new_money, row_of, back)
    names = list(dict.fromkeys([*old.rows, *money_old, *money_new]))
    order = sorted(names, key=lambda n: (n == NO_PLAN, _plan_order(old.catalog, n), n))
    rows = []
    for name in order:
        priorities = sorted(old.priorities(name) | new.priorities(name),
                            key=lambda p: (p is None, _priority_order(old.catalog, name, p)))
        rows.append(PlanRow(
            name, plan_map.get(name, name),
            Figures.of(old.row_stats(name), _figures(money_old.get(name, {})),
                       old.values(name), hours_old.get(name, 0)),
            Figures.of(new.row_stats(name), _figures(money_new.get(name, {})),
                       new.values(name), hours_new.get(name, 0)),
            tuple(PriorityRow(p, Figures.of(old.cell(name, p)), Figures.of(new.cell(name, p)))
                  for p in priorities)))
    total = PlanRow("total", "total", _total(old, money_old, hours_old),
                    _total(new, money_new, hours_new), ())
    return tuple(rows), total


def _plan_order(catalog: Catalog, name: str) -> int:
    names = list(catalog.plans)
    return names.index(name) if name in names else len(names)


def _priority_order(catalog: Catalog, plan: str, priority: str | None) -> tuple[int, str]:
    declared = catalog.plans[plan].priorities if plan in catalog.plans else ()
    rank = declared.index(priority) if priority in declared else len(declared)
    return rank, priority or ""


def _figures(buckets: Mapping[str, _MoneyBucket]) -> list[MoneyFigures]:
    return [MoneyFigures(cur, b.fees, b.work, b.credits, b.unclaimed)
            for cur, b in buckets.items()]


def _total(side: _Side, money: _Money, hours: Mapping[str, int]) -> Figures:
    merged: dict[str, _MoneyBucket] = {}
    for buckets in money.values():
        for cur, b in buckets.items():
            m = merged.setdefault(cur, _MoneyBucket())
            m.fees += b.fees
            m.work += b.work
            m.credits += b.credits
            m.unclaimed += b.unclaimed
    return Figures.of(side.summary.totals, _figures(merged), side.values(),
                      sum(hours.values()))


# --------------------------------------------------------------------------- files


def compare_files(
    old_paths: Sequence[str | Path],
    new_paths: Sequence[str | Path] | None,
    scenario_path: str | Path,
    *,
    overrides: Sequence[str] = (),
    plan_map: Mapping[str, str] | None = None,
    limit: int | None = DEFAULT_LIMIT,
    on_warning: Any = None,
) -> Comparison:
    """Load the plans (``new_paths`` None: the same plans), apply ``overrides`` to the new
    side, open the scenario once and compare."""
    from tierwise.engine.overrides import apply_overrides
    from tierwise.engine.plans import load_catalog
    from tierwise.engine.scenario_io import open_scenario

    old_catalog = load_catalog(old_paths)
    new_catalog = load_catalog(new_paths) if new_paths is not None else old_catalog
    if overrides:
        new_catalog = apply_overrides(new_catalog, overrides, on_warning=on_warning)
    problems = [
        Diagnostic(f"{option}: the {side} terms have no plan '{name}'",
                   expected="one of: " + ", ".join(catalog.plans),
                   hint=did_you_mean(name, catalog.plans))
        for old_name, new_name in (plan_map or {}).items()
        for option, side, name, catalog in (("--old-plan", "old", old_name, old_catalog),
                                            ("--new-plan", "new", new_name, new_catalog))
        if name not in catalog.plans
    ]
    if problems:
        raise TierwiseError(problems)
    warnings: list[Diagnostic] = []
    header, tickets = open_scenario(scenario_path, on_warning=warnings.append)
    old_files = [str(p) for p in old_paths]
    new_files = [str(p) for p in new_paths] if new_paths is not None else old_files
    old_label = " ".join(old_files)
    new_label = " ".join(new_files)
    if plan_map:
        old_label += " " + ",".join(plan_map)
        new_label += " " + ",".join(plan_map.values())
    if overrides:
        new_label += " " + " ".join(f"--set {o}" for o in overrides)
    return compare(old_catalog, new_catalog, header, tickets, plan_map=plan_map,
                   overrides=overrides, limit=limit, old_label=old_label, new_label=new_label,
                   old_files=old_files, new_files=new_files, warnings=warnings)

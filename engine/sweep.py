"""A grid of what-ifs over one scenario, run in parallel.

``--grid "STANDARD.response.normal=2h..12h/2h" --grid "STANDARD.fee=599PLN..999PLN/100PLN"``
is the cartesian product of its axes; each grid point is the base catalog with that point's
overrides (:mod:`tierwise.engine.overrides`), replayed summary-only
(``keep_tickets=False``) on the same tickets.

Shipping the tickets: they are parsed **once per worker**, never once per point.

- Local processes (:func:`run_local`, ``ProcessPoolExecutor``): the worker initializer
  receives the compiled catalog and the scenario *path*, reads the scenario itself into a
  tuple of tickets, and keeps both for every point it is given. A point task carries only
  its overrides (a few hundred bytes), and returns one row.
- Dask (:func:`run_dask`): the client parses the scenario once and ``scatter``s it with
  ``broadcast=True`` (one copy per worker; tasks receive the worker's local copy). Needs
  the optional ``dask`` extra; it is imported only here.

Rows come back as points complete (not in grid order); each carries its ``point`` index.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

from tierwise.engine.errors import Diagnostic, TierwiseError
from tierwise.engine.invoices import CreditStatus, LineKind, MoneyResult
from tierwise.engine.model import Catalog
from tierwise.engine.overrides import (
    Override,
    OverrideError,
    apply_overrides,
    located_problem,
    parse_override,
    parse_value,
)
from tierwise.engine.quantities import Money, format_seconds
from tierwise.engine.scenario import ScenarioHeader, Ticket

__all__ = [
    "MAX_POINTS",
    "GridAxis",
    "GridPoint",
    "SweepData",
    "check_points",
    "columns",
    "evaluate",
    "grid_points",
    "parse_grid",
    "run_dask",
    "run_local",
    "sweep_currencies",
]

#: A grid larger than this is almost certainly a typo in a step.
MAX_POINTS = 10_000

Row = dict[str, Any]


# --------------------------------------------------------------------------- the grid


@frozen
class GridAxis:
    """One ``--grid`` option: a path and the values it takes (one Override per value)."""

    source: str
    path: str  # "STANDARD.response.normal"
    values: tuple[Override, ...]


@frozen
class GridPoint:
    """One combination of axis values (``index`` in grid order, from 0), applied after the
    ``base`` overrides every point shares (``--set``)."""

    index: int
    values: tuple[Override, ...]
    base: tuple[Override, ...] = ()

    @property
    def overrides(self) -> tuple[Override, ...]:
        return (*self.base, *self.values)


_RANGE = re.compile(r"^(?P<lo>.+?)\s*\.\.\s*(?P<hi>[^/]+?)\s*/\s*(?P<step>.+)$")
# a comma between two digits belongs to a number (1,800 EUR; 129,00 zł); others separate
_SEPARATOR = re.compile(r"(?<!\d),|,(?!\d)")


def parse_grid(source: str, option: str = "--grid") -> GridAxis:
    """``PATH=LO..HI/STEP``, ``PATH=A,B,C`` or ``PATH=A`` → the axis (values checked later
    against the catalog; the syntax and range arithmetic are checked here)."""
    base = parse_override(source, option)
    start = base.value_at[0]
    spec = base.value
    match = _RANGE.match(spec)
    if match:
        values = _range_values(base, match)
        overrides = tuple(base.with_value(v, base.value_at) for v in values)
    else:
        overrides = tuple(_list_values(base, spec, start))
    return GridAxis(source, base.name, overrides)


def _list_values(base: Override, spec: str, start: int) -> Iterator[Override]:
    pos = 0
    for piece in [*_SEPARATOR.split(spec)]:
        begin = spec.index(piece, pos)
        pos = begin + len(piece)
        text = piece.strip()
        offset = start + begin + (len(piece) - len(piece.lstrip()))
        if not text:
            raise OverrideError([located_problem(base, (offset, offset + 1),
                                                 "empty value in the list",
                                                 expected="values separated by commas, "
                                                          "e.g. 4h,6h,8h")])
        yield base.with_value(text, (offset, offset + len(text)))


def _range_values(base: Override, match: re.Match[str]) -> list[str]:
    """The values of ``LO..HI/STEP``, as text the value reader takes back unchanged."""
    from tierwise.grammar import ast

    at = base.value_at
    parts = {}
    for name in ("lo", "hi", "step"):
        text = match.group(name).strip()
        span = (at[0] + match.start(name), at[0] + match.end(name))
        try:
            value = parse_value(text)
        except ValueError:
            raise OverrideError([located_problem(base, span, f"cannot read '{text}' as a value",
                                          expected="LO..HI/STEP, e.g. 2h..12h/2h or "
                                                   "599PLN..999PLN/100PLN")]) from None
        parts[name] = (value, text, span)
    (lo, lo_text, _), (hi, hi_text, hi_span), (step, _s, step_span) = \
        parts["lo"], parts["hi"], parts["step"]

    def fail(span: tuple[int, int], message: str, hint: str | None = None) -> OverrideError:
        return OverrideError([located_problem(base, span, message, hint=hint)])

    kinds = (ast.Duration, ast.Days, ast.MoneyAmount, ast.PercentAmount, ast.Months)
    if not isinstance(lo, kinds) or type(lo) is not type(hi) or type(lo) is not type(step):
        raise fail(at, "a range needs three values of one kind, each with its unit",
                   hint="e.g. 2h..12h/2h, 599PLN..999PLN/100PLN, 20%..25%/1%")
    numbers = [_magnitude(v) for v in (lo, hi, step)]
    if isinstance(lo, ast.MoneyAmount):
        assert isinstance(hi, ast.MoneyAmount) and isinstance(step, ast.MoneyAmount)
        if len({lo.currency, hi.currency, step.currency}) != 1:
            raise fail(at, "a range of money needs one currency")
    clock_words = [bool(re.search(r"\b(business|calendar)\b", t)) for t in (lo_text, hi_text)]
    if isinstance(lo, ast.Duration | ast.Days):
        assert isinstance(hi, ast.Duration | ast.Days)
        if clock_words[0] != clock_words[1] or lo.business != hi.business:
            raise fail(at, "both ends of a range need the same clock",
                       hint="e.g. 2h..12h/2h, or 2 business hours..12 business hours/2h")
    first, last, size = numbers
    if size <= 0:
        raise fail(step_span, "the step must be more than zero")
    if last < first:
        raise fail(hi_span, "the range ends before it starts")
    count = int((last - first) / size) + 1
    if count > MAX_POINTS:
        raise fail(step_span, f"this range has {count} values (at most {MAX_POINTS})",
                   hint="use a larger step")
    return [_value_text(lo, first + i * size, clock_words[0]) for i in range(count)]


def _magnitude(value: object) -> Decimal:
    from tierwise.grammar import ast

    if isinstance(value, ast.Duration):
        return value.seconds
    if isinstance(value, ast.Days):
        return value.days
    if isinstance(value, ast.MoneyAmount):
        return value.amount
    if isinstance(value, ast.PercentAmount):
        return value.value
    assert isinstance(value, ast.Months)
    return value.months


def _value_text(kind: object, number: Decimal, explicit: bool) -> str:
    """A range value written back in the language's own spelling (decimal places as the
    range was written: 9.50..10.50/0.50 gives 10.00)."""
    from tierwise.grammar import ast

    if isinstance(kind, ast.Duration):
        seconds = int(number)
        if not explicit:
            return format_seconds(seconds)
        word = "business" if kind.business else "calendar"
        if seconds % 3600 == 0:
            return f"{seconds // 3600} {word} hours"
        if seconds % 60 == 0:
            return f"{seconds // 60} {word} minutes"
        return f"{seconds} {word} seconds"
    if isinstance(kind, ast.Days):
        unit = "day" if number == 1 else "days"
        if not explicit:
            return f"{number} {unit}"
        return f"{number} {'business' if kind.business else 'calendar'} {unit}"
    if isinstance(kind, ast.MoneyAmount):
        return f"{number} {kind.currency}"
    if isinstance(kind, ast.PercentAmount):
        return f"{number}%"
    return f"{number} {'month' if number == 1 else 'months'}"


def grid_points(axes: Sequence[GridAxis], base: Sequence[Override] = ()) -> list[GridPoint]:
    """The cartesian product, first axis slowest; ``base`` overrides come first in each."""
    combos = list(itertools.product(*(axis.values for axis in axes)))
    return [GridPoint(i, tuple(combo), tuple(base)) for i, combo in enumerate(combos)]


def check_points(catalog: Catalog, axes: Sequence[GridAxis], points: Sequence[GridPoint],
                 base: Sequence[Override] = (),
                 on_warning: Callable[[Diagnostic], None] | None = None) -> None:
    """Apply every value, then every point, to the catalog before anything is simulated,
    so a bad value is an input error (exit 2) rather than a failure half-way. Each
    distinct warning is given to ``on_warning`` once."""
    problems: list[tuple[Diagnostic, str]] = []
    seen: set[tuple[str, str]] = set()
    warned: set[tuple[str, str | None]] = set()

    def warn(diagnostic: Diagnostic) -> None:
        key = (diagnostic.message, diagnostic.path)
        if on_warning is not None and key not in warned:
            warned.add(key)
            on_warning(diagnostic)

    apply_overrides(catalog, base, on_warning=warn)
    for axis in axes:
        for value in axis.values:
            try:
                apply_overrides(catalog, [*base, value], on_warning=warn)
            except OverrideError as exc:
                for diag, line in zip(exc.diagnostics, exc.lines, strict=True):
                    key = (diag.message, line)
                    if key not in seen:
                        seen.add(key)
                        problems.append((diag, line))
    if problems:
        raise OverrideError(problems)
    for point in points:
        apply_overrides(catalog, point.overrides)


# --------------------------------------------------------------------------- one point


def evaluate(catalog: Catalog, header: ScenarioHeader, tickets: Iterable[Ticket],
             point: GridPoint) -> Row:
    """Simulate one grid point summary-only and return its row."""
    from tierwise.engine.pipeline import simulate

    changed = apply_overrides(catalog, point.overrides)
    started, cpu = time.perf_counter(), time.process_time()
    result = simulate(changed, header, tickets, keep_tickets=False)
    totals = result.summary["totals"]
    first = totals["first_response"]
    row: Row = {"point": point.index}
    for override in point.values:
        row[override.name] = override.value
    row.update({
        "tickets": result.ticket_count,
        "met": totals["guaranteed"]["met"],
        "breached": totals["guaranteed"]["breached"],
        "pending": totals["guaranteed"]["pending"],
        "breach_rate": totals["breach_rate"],
        "mean_response_s": None if first["mean"] is None else first["mean"]["seconds"],
        "p90_response_s": None if first["p90"] is None else first["p90"]["seconds"],
        "money": money_totals(result.money),
        "seconds": round(time.perf_counter() - started, 3),  # timings: not in CLI output
        "cpu_seconds": round(time.process_time() - cpu, 3),
    })
    return row


def money_totals(money: MoneyResult) -> dict[str, dict[str, str]]:
    """Per currency: fees, work, revenue, credits, net — the same rules as ``compare``."""
    fee_lines = (LineKind.FEE, LineKind.MINIMUM_TERM)
    work_lines = (LineKind.WORK, LineKind.ALLOWANCE, LineKind.PACK)
    owed = (CreditStatus.APPLIED, CreditStatus.OWED, CreditStatus.PROVISIONAL)
    sums: dict[str, dict[str, Decimal]] = {}

    def bucket(currency: str) -> dict[str, Decimal]:
        return sums.setdefault(currency, dict.fromkeys(("fees", "work", "credits"),
                                                       Decimal(0)))

    for inv in money.invoices:
        b = bucket(inv.currency)
        for line in inv.lines:
            if line.kind in fee_lines:
                b["fees"] += line.amount.amount
            elif line.kind in work_lines:
                b["work"] += line.amount.amount
    for credit in money.credits:
        if credit.status in owed and credit.amount is not None:
            bucket(credit.amount.currency)["credits"] += credit.amount.amount
    out = {}
    for currency, b in sorted(sums.items()):
        figures = {**b, "revenue": b["fees"] + b["work"],
                   "net": b["fees"] + b["work"] - b["credits"]}
        out[currency] = {k: str(Money(v, currency).rounded().amount)
                         for k, v in figures.items()}
    return out


def sweep_currencies(catalog: Catalog, header: ScenarioHeader) -> list[str]:
    """The currencies the scenario's subscriptions are invoiced in (CSV columns)."""
    found = set()
    for sub in header.subscriptions.values():
        for name in (sub.plan, *(c.plan for c in sub.changes)):
            plan = catalog.plans.get(name)
            if plan is not None:
                found.add(plan.currency)
    return sorted(found)


def columns(axes: Sequence[GridAxis], currencies: Sequence[str]) -> list[str]:
    """Flat column names of a row (CSV header)."""
    money = [f"{key}_{cur}" for cur in currencies
             for key in ("revenue", "fees", "work", "credits", "net")]
    return ["point", *(a.path for a in axes), "tickets", "met", "breached", "pending",
            "breach_rate", "mean_response_s", "p90_response_s", *money]


def flat(row: Row, currencies: Sequence[str]) -> Row:
    """A row with its money spread into ``revenue_PLN``... columns (zero when absent)."""
    out = {k: v for k, v in row.items() if k not in ("money", "seconds", "cpu_seconds")}
    for cur in currencies:
        figures = row["money"].get(cur, {})
        for key in ("revenue", "fees", "work", "credits", "net"):
            out[f"{key}_{cur}"] = figures.get(key, str(Money(Decimal(0), cur).rounded().amount))
    return out


# --------------------------------------------------------------------------- local processes

# Per worker process: the catalog, the header and the tickets, loaded once by _init_worker.
_WORKER: dict[str, Any] = {}


def _load(path: str) -> tuple[ScenarioHeader, tuple[Ticket, ...]]:
    from tierwise.engine.scenario_io import open_scenario

    header, tickets = open_scenario(path)
    return header, tuple(tickets)


def _init_worker(catalog: Catalog, scenario_path: str) -> None:
    """Process-pool initializer: read the scenario once for all of this worker's points."""
    _WORKER.clear()
    _WORKER["catalog"] = catalog
    try:
        _WORKER["header"], _WORKER["tickets"] = _load(scenario_path)
    except TierwiseError as exc:  # reported by the first task, with its diagnostics
        _WORKER["error"] = tuple(exc.diagnostics)


def _run_point(point: GridPoint) -> tuple[Row | None, tuple[Diagnostic, ...]]:
    """Process-pool task. Errors come back as diagnostics: a TierwiseError would not
    survive pickling with its diagnostics."""
    if "error" in _WORKER:
        return None, _WORKER["error"]
    try:
        return evaluate(_WORKER["catalog"], _WORKER["header"], _WORKER["tickets"], point), ()
    except TierwiseError as exc:
        return None, tuple(exc.diagnostics)


def run_local(catalog: Catalog, scenario_path: str | Path, points: Sequence[GridPoint], *,
              workers: int | None = None) -> Iterator[Row]:
    """Rows as points complete, over ``workers`` local processes (default: one per core).

    With one worker (or one point) everything runs in this process.
    """
    workers = max(1, min(workers or os.cpu_count() or 1, len(points) or 1))
    if workers == 1:
        header, tickets = _load(str(scenario_path))
        for point in points:
            yield evaluate(catalog, header, tickets, point)
        return
    pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                  initargs=(catalog, str(scenario_path)))
    finished = False
    try:
        futures = [pool.submit(_run_point, point) for point in points]
        for future in cf.as_completed(futures):
            row, problems = future.result()
            if row is None:
                raise TierwiseError(problems)
            yield row
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:  # an error, Ctrl-C or a consumer that stopped: do not wait for running points
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()


# --------------------------------------------------------------------------- dask


@frozen(eq=False)
class SweepData:
    """What every Dask worker needs once: the catalog and the parsed scenario."""

    catalog: Catalog
    header: ScenarioHeader
    tickets: tuple[Ticket, ...]


def _dask_point(data: SweepData, point: GridPoint) -> tuple[Row | None, tuple[Diagnostic, ...]]:
    try:
        return evaluate(data.catalog, data.header, data.tickets, point), ()
    except TierwiseError as exc:
        return None, tuple(exc.diagnostics)


class DaskMissing(RuntimeError):
    """``--scheduler`` was given but dask.distributed is not installed."""


def run_dask(catalog: Catalog, scenario_path: str | Path, points: Sequence[GridPoint], *,
             address: str, workers: int | None = None,
             on_ready: Callable[[Mapping[str, Any]], None] | None = None) -> Iterator[Row]:
    """Rows as points complete on a Dask cluster (``address``, or ``"local"`` for a
    ``LocalCluster`` of ``workers`` processes, one thread each)."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise DaskMissing(str(exc)) from None
    header, tickets = _load(str(scenario_path))
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        data = client.scatter(SweepData(catalog, header, tickets), broadcast=True, hash=False)
        if on_ready is not None:
            on_ready({"workers": len(client.scheduler_info().get("workers", {}))})
        futures = [client.submit(_dask_point, data, point, pure=False) for point in points]
        for future in as_completed(futures):
            row, problems = future.result()
            if row is None:
                raise TierwiseError(problems)
            yield row
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


"""`tierwise sweep PLANS... SCENARIO --grid PATH=VALUES ...`: a grid of what-ifs, in parallel.

    tierwise sweep plans/shipping.plan history.jsonl \\
        --grid "STANDARD.response=2h..12h/2h" --grid "STANDARD.fee=599PLN..999PLN/100PLN" \\
        --format csv --output sweep.csv

Rows stream out as grid points complete (CSV or JSON Lines); the table is printed at the
end in grid order. Exit codes: 0 ok, 2 bad input (a bad grid value is reported before
anything runs, with a caret under it).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import force_option, user_errors, write_output
from tierwise.cli.compare import option_errors, set_option, warn_overrides
from tierwise.cli.errors import InputError
from tierwise.engine.errors import Diagnostic, ScenarioError, SourceSpan
from tierwise.engine.overrides import parse_override
from tierwise.engine.sweep import (
    DaskMissing,
    GridAxis,
    check_points,
    columns,
    flat,
    grid_points,
    parse_grid,
    run_dask,
    run_local,
    sweep_currencies,
)

SWEEP_FORMATS = ("table", "csv", "jsonl")


@click.command("sweep")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--grid", "grids", multiple=True, required=True, metavar="PLAN.PATH=VALUES",
              help="An axis of the grid: a range LO..HI/STEP (STANDARD.response=2h..12h/2h, "
                   "START.fee=349PLN..449PLN/50PLN) or a list A,B,C (STANDARD.response=4h,6h). "
                   "Repeatable: the grid is the cartesian product.")
@set_option
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: one per CPU core).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run the points on a Dask cluster at ADDRESS (tcp://host:8786), or "
                   "'local' for a LocalCluster of --workers processes. Needs the dask extra.")
@click.option("--format", "-f", "fmt", type=click.Choice(SWEEP_FORMATS), default="table",
              show_default=True,
              help="table (printed at the end), or csv / jsonl (one row per point, streamed "
                   "as points complete).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (streamed into a temporary file next to it, renamed "
                   "when complete; never overwrites without --force).")
@force_option
def sweep_command(paths: tuple[Path, ...], grids: tuple[str, ...], sets: tuple[str, ...],
                  workers: int | None, scheduler: str | None, fmt: str, output: Path | None,
                  force: bool) -> None:
    """Replay SCENARIO (the last path) once per point of a grid of term changes.

    Each row gives the point's values, breaches and breach rate, mean and p90 first
    response, and per currency revenue (fees + billed work), credits and net. The tickets
    are read once per worker, not once per point.
    """
    if len(paths) < 2:
        raise click.UsageError("give the plan files (or folders) and then the scenario")
    *plans, scenario = paths
    with option_errors():
        axes = [parse_grid(text) for text in grids]
        base = [parse_override(text) for text in sets]
    points = grid_points(axes, base)
    from tierwise.engine.plans import load_catalog
    from tierwise.engine.scenario_io import check_plans, open_scenario

    with user_errors():
        catalog = load_catalog(plans)
        with option_errors():
            check_points(catalog, axes, points, base, on_warning=warn_overrides)
        header, _tickets = open_scenario(scenario)  # the workers read the tickets themselves
        del _tickets
        unknown = check_plans(header, set(catalog.plans))
        if unknown:
            raise ScenarioError(unknown)
    if output is not None and output.exists() and not force:
        raise InputError(f"{output} already exists; not overwriting it", [Diagnostic(
            f"{output} already exists", span=SourceSpan(str(output), 0, 0),
            hint="choose another --output, or pass --force to replace it")])
    currencies = sweep_currencies(catalog, header)
    names = columns(axes, currencies)
    if scheduler is not None:
        rows = run_dask(catalog, scenario, points, address=scheduler, workers=workers)
        where = f"Dask scheduler {scheduler}"
    else:
        count = max(1, min(workers or os.cpu_count() or 1, len(points)))
        rows = run_local(catalog, scenario, points, workers=count)
        where = f"{count} local worker{'s' if count != 1 else ''}"
    started = time.perf_counter()
    done: list[dict[str, Any]] = []
    with user_errors(), _dask_errors():
        if fmt == "table":
            done = [flat(row, currencies) for row in rows]
            write_output(render_table(done, axes, currencies), output, force=force)
        else:
            with _sink(output) as stream:
                writer = _writer(fmt, stream, names)
                for row in rows:
                    writer(flat(row, currencies))
                    done.append(row)
    elapsed = time.perf_counter() - started
    click.echo(f"sweep: {len(done)} point{'s' if len(done) != 1 else ''} on {where} in "
               f"{elapsed:.1f} s", err=True)


@contextlib.contextmanager
def _dask_errors() -> Iterator[None]:
    try:
        yield
    except DaskMissing as exc:
        raise InputError(
            "--scheduler needs dask.distributed, which is not installed",
            [Diagnostic(f"cannot import dask.distributed: {exc}",
                        SourceSpan("<command line>", 0, 0),
                        hint="install the extra: pip install 'tierwise[dask]', or leave out "
                             "--scheduler to use local processes")]) from None
    except OSError as exc:
        if "scheduler" in str(exc).lower() or "connect" in str(exc).lower():
            raise InputError(f"cannot reach the Dask scheduler: {exc}") from None
        raise


@contextlib.contextmanager
def _sink(output: Path | None) -> Iterator[IO[str]]:
    """Standard output, or a temporary file next to ``output`` renamed when complete (so
    an interrupted sweep never leaves a half file under the name asked for)."""
    if output is None:
        yield sys.stdout
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _writer(fmt: str, stream: IO[str], names: Sequence[str]) -> Any:
    """A function writing one flat row (and flushing, so rows appear as they complete)."""
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=list(names), extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        stream.flush()

        def write_csv(row: dict[str, Any]) -> None:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
            stream.flush()

        return write_csv

    def write_jsonl(row: dict[str, Any]) -> None:
        stream.write(json.dumps({k: row.get(k) for k in names}, ensure_ascii=False) + "\n")
        stream.flush()

    return write_jsonl


def render_table(rows: list[dict[str, Any]], axes: Sequence[GridAxis],
                 currencies: Sequence[str], *, width: int | None = None) -> str:
    """The grid in point order: values, breaches, response times, money per currency."""
    table = Table(title=f"Sweep: {len(rows)} point{'s' if len(rows) != 1 else ''}",
                  box=box.SIMPLE_HEAVY)
    table.add_column("#", justify="right")
    for axis in axes:
        table.add_column(axis.path)
    for name in ("tickets", "breached", "breach rate", "mean resp.", "p90 resp."):
        table.add_column(name, justify="right")
    for cur in currencies:
        for name in ("revenue", "credits", "net"):
            table.add_column(f"{name} {cur}", justify="right")
    for row in sorted(rows, key=lambda r: r["point"]):
        rate = row["breach_rate"]
        cells = [str(row["point"]), *(str(row.get(a.path, "")) for a in axes),
                 str(row["tickets"]), str(row["breached"]),
                 "-" if rate is None else f"{rate:.2%}",
                 _hours(row["mean_response_s"]), _hours(row["p90_response_s"])]
        for cur in currencies:
            cells += [row[f"revenue_{cur}"], row[f"credits_{cur}"], row[f"net_{cur}"]]
        table.add_row(*cells)
    buffer = io.StringIO()
    Console(file=buffer, width=width or 200, force_terminal=False, soft_wrap=False).print(table)
    return buffer.getvalue()


def _hours(seconds: float | None) -> str:
    from tierwise.engine.quantities import format_seconds

    return "-" if seconds is None else format_seconds(round(seconds))


"""`tierwise generate PARAMS.toml --output OUT.jsonl`: a synthetic ticket history.

For vendors with no export yet (and for benchmarks): the parameters describe customers,
arrivals and how the team handles tickets (docs/generate.md); the output is a JSON Lines
scenario that `tierwise simulate` streams. The file is written next to its final name and
renamed at the end, so an interrupted run never leaves half a scenario under that name,
and an existing file is only replaced with --force.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import click

from tierwise.cli.common import OptionError, force_option, user_errors
from tierwise.cli.errors import InputError, echo_diagnostics
from tierwise.engine.errors import Diagnostic, SourceSpan
from tierwise.engine.generate import GenerateParams, GenerateReport, generate, load_params
from tierwise.engine.scenario_io import JSONL_SUFFIXES

#: Output buffer: large writes keep a million-ticket run from being bound by system calls.
_BUFFER = 1 << 20


@click.command("generate")
@click.argument("params_file", metavar="PARAMS.toml",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The JSON Lines scenario to write (.jsonl or .ndjson).")
@click.option("--tickets", "-n", type=int, default=None, metavar="N",
              help="Exactly N tickets: the span (end, as_of) grows or shrinks to fit them.")
@click.option("--seed", type=int, default=None, metavar="S",
              help="Override the file's seed (same parameters + seed = the same bytes).")
@force_option
def generate_command(params_file: Path, output: Path, tickets: int | None, seed: int | None,
                     force: bool) -> None:
    """Write a synthetic ticket history from the parameters in PARAMS.toml.

    Tickets arrive as a Poisson process shaped by weekday, hour, month and holidays; the
    team answers and resolves them in its staffed hours (docs/generate.md lists every
    parameter). A short report goes to standard error.
    """
    if output.suffix.lower() not in JSONL_SUFFIXES:
        raise OptionError("--output", str(output), "the output is JSON Lines",
                          expected="a file name ending in .jsonl or .ndjson",
                          hint=f"e.g. --output {output.with_suffix('.jsonl')}")
    if tickets is not None and tickets < 0:
        raise OptionError("--tickets", str(tickets), "a count cannot be negative",
                          expected="a whole number of tickets, e.g. 10000")
    if output.is_dir():
        raise InputError(f"{output} is a directory")
    if output.exists() and not force:
        raise InputError(
            f"{output} already exists; not overwriting it",
            [Diagnostic(f"{output} already exists", span=SourceSpan(str(output), 0, 0),
                        hint="choose another --output, or pass --force to replace it")],
        )
    with user_errors():
        params = load_params(params_file)
    echo_diagnostics(params.warnings)
    if seed is not None:
        params = params.with_seed(seed)
    began = time.perf_counter()
    with user_errors():
        report = _write(output, params, tickets)
    click.echo(summary(report, output, params.seed, time.perf_counter() - began), err=True)


def _write(output: Path, params: GenerateParams, tickets: int | None) -> GenerateReport:
    """Generate into a temporary file beside ``output``, renamed into place when complete."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n", buffering=_BUFFER) as handle:
            report = generate(params, handle, tickets=tickets)
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return report


def summary(report: GenerateReport, output: Path, seed: int, seconds: float) -> str:
    """The few lines printed on stderr after a run."""
    lines = [
        f"wrote {output}: {report.tickets:,} tickets, {report.events:,} events, "
        f"{report.customers:,} customers (seed {seed}, {seconds:.1f} s)"
    ]
    if report.first_created is not None and report.last_created is not None:
        lines.append(f"  created {report.first_created.isoformat()} .. "
                     f"{report.last_created.isoformat()}")
    lines.append(f"  as_of   {report.as_of.isoformat()}")
    if report.events_after_as_of:
        lines.append(f"  {report.events_after_as_of:,} events after as_of left out "
                     "(an export taken at as_of would not have them)")
    if report.arrivals_without_customer:
        lines.append(f"  {report.arrivals_without_customer:,} arrivals dropped: no "
                     "subscription had started yet")
    if report.requested is not None and report.tickets < report.requested:
        lines.append(f"  warning: {report.requested:,} tickets asked for, only "
                     f"{report.tickets:,} arrived in the span")
    return "\n".join(lines)

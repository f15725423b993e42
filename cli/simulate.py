"""`tierwise simulate PLANS... SCENARIO`: deadlines, breaches, invoices and credits."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tierwise.cli.common import (
    OptionError,
    check_paths,
    force_option,
    format_option,
    output_option,
    user_errors,
    write_output,
)
from tierwise.cli.errors import EXIT_FINDINGS, echo_diagnostics
from tierwise.cli.render import render_tables
from tierwise.engine.pipeline import SimulationResult, simulate_files
from tierwise.engine.report import to_dict, to_json, to_toml
from tierwise.engine.scenario_io import JSONL_SUFFIXES

#: JSON Lines files larger than this get a progress bar on stderr (when it is a terminal).
PROGRESS_THRESHOLD_BYTES = 2_000_000
#: Width of the table format when it is not printed to a terminal (files, pipes, tests).
TABLE_WIDTH = 160
SCENARIO_SUFFIXES = (".toml", ".json", *JSONL_SUFFIXES)


def render(result: SimulationResult, fmt: str, *, explain: bool, width: int | None = None) -> str:
    """The result in one of the output formats, as text."""
    if fmt == "json":
        return to_json(result) + "\n"
    if fmt == "toml":
        return to_toml(result)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or TABLE_WIDTH, force_terminal=False,
                      soft_wrap=False)
    render_tables(to_dict(result), console, explain=explain)
    return buffer.getvalue()


def _progress_for(scenario: Path) -> tuple[Progress | None, Callable[[int], None] | None]:
    """A stderr progress bar for long JSON Lines histories; None for small inputs, and when
    stderr is not a terminal (a bar in a log file is only noise)."""
    if scenario.suffix not in JSONL_SUFFIXES:
        return None, None
    if scenario.stat().st_size < PROGRESS_THRESHOLD_BYTES:
        return None, None
    console = Console(stderr=True)
    if not console.is_terminal:
        return None, None
    progress = Progress(TextColumn("replaying"), BarColumn(),
                        TextColumn("{task.completed} tickets"), TimeElapsedColumn(),
                        console=console, transient=True)
    task = progress.add_task("replay", total=None)

    def advance(count: int) -> None:
        progress.update(task, completed=count)

    return progress, advance


def _check_scenario(scenario: Path) -> None:
    """The last path is the scenario: say so when it is evidently something else."""
    if scenario.is_dir():
        raise OptionError("SCENARIO", str(scenario), "the last path is the scenario, "
                          "but this is a folder",
                          expected="a scenario file (.toml, .json or .jsonl) after the plans")
    if scenario.suffix == ".plan":
        raise OptionError("SCENARIO", str(scenario), "the last path is the scenario, "
                          "but this is a plan file",
                          expected="PLANS... SCENARIO: the plans first, the scenario last")
    if scenario.suffix.lower() not in SCENARIO_SUFFIXES:
        raise OptionError("SCENARIO", str(scenario), "not a scenario file name",
                          expected="a .toml, .json, .jsonl or .ndjson file")


def _table_width(output: Path | None) -> int | None:
    """The terminal's width when the table goes to one, else the fixed default."""
    if output is None and sys.stdout.isatty():
        return Console().width
    return None


@click.command("simulate")
@click.argument("paths", nargs=-1, required=True, metavar="PLANS... SCENARIO",
                type=click.Path(path_type=Path))
@format_option
@click.option("--explain", is_flag=True,
              help="Table: show under every figure the rule (file:line) and how it was "
                   "counted (JSON and TOML always carry it).")
@click.option("--summary-only", is_flag=True,
              help="Leave out the per-ticket rows (memory stays flat on huge histories).")
@click.option("--fail-on-breach", is_flag=True,
              help="Exit 1 when any guaranteed target was breached.")
@output_option
@force_option
def simulate_command(paths: tuple[Path, ...], fmt: str, explain: bool, summary_only: bool,
                     fail_on_breach: bool, output: Path | None, force: bool) -> None:
    """Replay SCENARIO (the last path) against the plans in PLANS (files or folders).

    The scenario is TOML, JSON or JSON Lines (`tierwise schema scenario`); JSON Lines is
    streamed ticket by ticket. Exit 0; 1 with --fail-on-breach when a guaranteed target
    was breached; 2 on bad input (nothing is written then).
    """
    if len(paths) < 2:
        raise click.UsageError("give at least one plan file (or folder) and then the scenario")
    *plans, scenario = paths
    check_paths("PLANS", plans, suffixes=(".plan",))
    check_paths("SCENARIO", [scenario], suffixes=SCENARIO_SUFFIXES)
    _check_scenario(scenario)
    progress, advance = _progress_for(scenario)
    with user_errors():
        if progress is not None:
            with progress:
                result = simulate_files(plans, scenario, keep_tickets=not summary_only,
                                        on_progress=advance)
        else:
            result = simulate_files(plans, scenario, keep_tickets=not summary_only)
    echo_diagnostics(result.diagnostics)
    text = render(result, fmt, explain=explain, width=_table_width(output))
    write_output(text, output, force=force, inputs=paths)
    breached = result.summary["totals"]["guaranteed"]["breached"]
    if fail_on_breach and breached:
        raise SystemExit(EXIT_FINDINGS)

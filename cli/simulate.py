"""`tierwise simulate PLANS... SCENARIO`: deadlines, breaches, invoices and credits."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tierwise.cli.common import (
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

#: JSON Lines files larger than this get a progress bar on stderr.
PROGRESS_THRESHOLD_BYTES = 2_000_000


def render(result: SimulationResult, fmt: str, *, explain: bool, width: int | None = None) -> str:
    """The result in one of the output formats, as text."""
    if fmt == "json":
        return to_json(result) + "\n"
    if fmt == "toml":
        return to_toml(result)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 160, force_terminal=False, soft_wrap=False)
    render_tables(to_dict(result), console, explain=explain)
    return buffer.getvalue()


def _progress_for(scenario: Path) -> tuple[Progress | None, Callable[[int], None] | None]:
    """A stderr progress bar for long JSON Lines histories (None for small inputs)."""
    if scenario.suffix not in (".jsonl", ".ndjson"):
        return None, None
    if scenario.stat().st_size < PROGRESS_THRESHOLD_BYTES:
        return None, None
    progress = Progress(TextColumn("replaying"), BarColumn(),
                        TextColumn("{task.completed} tickets"), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    task = progress.add_task("replay", total=None)

    def advance(count: int) -> None:
        progress.update(task, completed=count)

    return progress, advance


@click.command("simulate")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@format_option
@click.option("--explain", is_flag=True,
              help="Show for every figure the rule (file:line) and how it was counted.")
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
    streamed ticket by ticket.
    """
    if len(paths) < 2:
        raise click.UsageError("give at least one plan file (or folder) and then the scenario")
    *plans, scenario = paths
    progress, advance = _progress_for(scenario)
    with user_errors():
        if progress is not None:
            with progress:
                result = simulate_files(plans, scenario, keep_tickets=not summary_only,
                                        on_progress=advance)
        else:
            result = simulate_files(plans, scenario, keep_tickets=not summary_only)
    echo_diagnostics(result.diagnostics)
    write_output(render(result, fmt, explain=explain), output, force=force)
    breached = result.summary["totals"]["guaranteed"]["breached"]
    if fail_on_breach and breached:
        raise SystemExit(EXIT_FINDINGS)

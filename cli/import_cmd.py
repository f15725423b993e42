"""``tierwise import``: turn a helpdesk event-log CSV into a JSON Lines scenario."""

from __future__ import annotations

from pathlib import Path

import click

from tierwise.engine.errors import TierwiseError
from tierwise.engine.importer import import_csv, load_mapping
from tierwise.engine.scenario_io import ValueProblem, parse_timestamp, render_diagnostics


def _fail(error: TierwiseError) -> click.exceptions.Exit:
    """Print located diagnostics to stderr; the caller raises the returned exit 2."""
    click.echo(render_diagnostics(error.diagnostics), err=True)
    return click.exceptions.Exit(2)


@click.command("import")
@click.argument(
    "csv_path", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--mapping",
    "-m",
    "mapping_path",
    required=True,
    type=click.Path(path_type=Path),
    help="TOML file saying what each column means (see plans/imports/).",
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON Lines scenario to write (.jsonl).",
)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--plan", help="Plan of the generated subscriptions (overrides the mapping).")
@click.option(
    "--as-of",
    "as_of",
    metavar="TIMESTAMP",
    help="The scenario's as_of, with an offset (default: the mapping's, else the latest time).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    help="Stop after this many data rows (the last ticket may be cut short).",
)
def import_command(
    csv_path: Path,
    mapping_path: Path,
    output: Path,
    force: bool,
    plan: str | None,
    as_of: str | None,
    max_rows: int | None,
) -> None:
    """Import a helpdesk event log CSV into a JSON Lines scenario.

    Rows are grouped per ticket (a ticket's rows must be contiguous), turned into
    events as the mapping says, and written sorted by creation, after a header with
    one subscription per customer. A short report says what was read and skipped.
    OUTPUT is never overwritten unless --force is given.
    """
    if output.suffix.lower() not in (".jsonl", ".ndjson"):
        raise click.BadParameter("the output is JSON Lines: name it .jsonl", param_hint="--output")
    instant = None
    if as_of is not None:
        try:
            instant = parse_timestamp(as_of)
        except ValueProblem as exc:
            raise click.BadParameter(str(exc), param_hint="--as-of") from None
    try:
        mapping = load_mapping(mapping_path)
        report = import_csv(
            csv_path, mapping, output, force=force, max_rows=max_rows, plan=plan, as_of=instant
        )
    except TierwiseError as exc:
        raise _fail(exc) from None
    click.echo(report.render())

"""``tierwise check PATH...``: parse, compile and lint plan files, compiler-style.

Exit codes: 0 when the plans compile (warnings are printed), 1 with ``--strict`` when
there are warnings, 2 on any error (every diagnostic is printed, each with the file, line,
column, the source line with a caret, what was expected and a hint).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from tierwise.cli.errors import EXIT_FINDINGS, InputError, echo_diagnostics
from tierwise.engine.model import Catalog, Fee, Plan
from tierwise.engine.plans import check_paths


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit with 1 when there are warnings.")
def check_command(paths: Sequence[Path], strict: bool) -> None:
    """Check plan files (or folders of *.plan files) and summarise their plans."""
    try:
        catalog, diagnostics = check_paths(list(paths))
    except RecursionError as exc:  # pathological nesting: still an answer, not a traceback
        raise InputError(f"the input is too deeply nested to check ({exc})") from None
    errors = [d for d in diagnostics if d.severity == "error"]
    if catalog is None or errors:
        count = len(errors)
        raise InputError(f"{count} error{'s' if count != 1 else ''}; no plan was checked"
                         if count else "the plans could not be checked", diagnostics)
    echo_diagnostics(diagnostics)
    click.echo(summary(catalog))
    warnings = len(diagnostics)
    click.echo(f"ok: {_count(len(catalog.plans), 'plan')}, "
               f"{_count(len(catalog.calendars), 'calendar')}, {_count(warnings, 'warning')}")
    if strict and warnings:
        raise SystemExit(EXIT_FINDINGS)


def summary(catalog: Catalog) -> str:
    """Per file, one line per plan: name, title, fee, calendar and how many rules."""
    lines: list[str] = []
    for file in catalog.files:
        plans = [p for p in catalog.plans.values() if p.span.file == file]
        calendars = [c for c in catalog.calendars.values() if c.span.file == file]
        lines.append(f"{file}: {_count(len(plans), 'plan')}, "
                     f"{_count(len(calendars), 'calendar')}")
        rows = [_row(plan) for plan in plans]
        widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
        for row in rows:
            head = "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths,
                                                                      strict=True))
            lines.append(f"  {head}  {row[3]}")
    return "\n".join(lines)


def _row(plan: Plan) -> tuple[str, str, str, str]:
    credits = len(plan.incident_credits) + len(plan.aggregate_credits)
    counts = (f"calendar {plan.calendar}, {_count(len(plan.targets), 'target')}, "
              f"{_count(len(plan.rates), 'rate')}, {_count(credits, 'credit')}")
    name = plan.name if plan.parent is None else f"{plan.name} < {plan.parent}"
    return name, f'"{plan.title}"', _fee(plan.fee), counts


def _fee(fee: Fee | None) -> str:
    if fee is None:
        return "free"
    if fee.negotiated or fee.amount is None:
        return "negotiated"
    prefix = "from " if fee.from_price else ""
    return f"{prefix}{fee.amount} per {fee.period.value}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"

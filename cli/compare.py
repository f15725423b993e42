"""`tierwise compare`: two versions of the terms, side by side, on the same tickets.

    tierwise compare OLD NEW SCENARIO                      # two plan files or folders
    tierwise compare PLANS... SCENARIO --set A=V [--set ...]   # the same plans, changed
    tierwise compare PLANS... SCENARIO --old-plan START --new-plan STANDARD

Exit codes: 0 (also when outcomes differ), 1 with ``--fail-on-change`` when a ticket's
outcome or a total figure differs, 2 on bad input.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import click
from rich import box
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import (
    force_option,
    format_option,
    output_option,
    user_errors,
    write_output,
)
from tierwise.cli.errors import EXIT_FINDINGS, InputError, echo_diagnostics
from tierwise.engine.compare import DEFAULT_LIMIT, Comparison, compare_files
from tierwise.engine.errors import Diagnostic
from tierwise.engine.overrides import OverrideError
from tierwise.engine.report import toml_text


class CommandLineError(InputError):
    """Bad ``--set``/``--grid`` values, each shown with a caret under the bad part."""

    def __init__(self, error: OverrideError):
        count = len(error.diagnostics)
        super().__init__(f"{count} bad option value{'s' if count != 1 else ''}; "
                         "nothing was computed")
        self.error = error

    def show(self, file: object = None) -> None:
        click.echo(self.error.render(), err=True)
        click.echo(f"tierwise: {self.message}", err=True)


@contextlib.contextmanager
def option_errors() -> Iterator[None]:
    """Override errors point into the command line, not into a file: render them so."""
    try:
        yield
    except OverrideError as exc:
        raise CommandLineError(exc) from None


def warn_overrides(diagnostic: Diagnostic) -> None:
    """Warnings about overrides (e.g. a priority no rule names), caret under the part
    (the diagnostic's ``path`` is the option as typed)."""
    line = diagnostic.path
    click.echo(attrs.evolve(diagnostic, path=None).render(line), err=True)


set_option = click.option(
    "--set", "sets", multiple=True, metavar="PLAN.PATH=VALUE",
    help="Change a term of the (new) plans: START.fee=449PLN, STANDARD.response.normal=6h, "
         "STANDARD.rate.remote=150PLN ... (see docs/what-if.md). Repeatable.")


@click.command("compare")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@set_option
@click.option("--old-plan", metavar="PLAN", default=None,
              help="Compare two plans of one catalog: the scenario's subscriptions to this "
                   "plan...")
@click.option("--new-plan", metavar="PLAN", default=None,
              help="...are moved to this plan on the new side.")
@format_option
@click.option("--limit", type=click.IntRange(min=0), default=DEFAULT_LIMIT, show_default=True,
              help="Changed tickets to list.")
@click.option("--all", "show_all", is_flag=True, help="List every changed ticket.")
@click.option("--fail-on-change", is_flag=True,
              help="Exit 1 when any ticket's outcome or any total figure differs.")
@output_option
@force_option
def compare_command(paths: tuple[Path, ...], sets: tuple[str, ...], old_plan: str | None,
                    new_plan: str | None, fmt: str, limit: int, show_all: bool,
                    fail_on_change: bool, output: Path | None, force: bool) -> None:
    """Replay SCENARIO under two versions of the terms and show them side by side.

    Give OLD NEW SCENARIO (two plan files or folders); or PLANS... SCENARIO with --set
    (the new side is PLANS changed by the overrides) and/or --old-plan/--new-plan (two plans
    of one catalog). The scenario is read once; the report starts with the term diff.
    """
    if (old_plan is None) != (new_plan is None):
        raise click.UsageError("--old-plan and --new-plan go together")
    one_catalog = bool(sets) or old_plan is not None
    if one_catalog:
        if len(paths) < 2:
            raise click.UsageError("give the plan files (or folders) and then the scenario")
        *plans, scenario = paths
        old_paths, new_paths = plans, None
    else:
        if len(paths) != 3:
            raise click.UsageError(
                "give OLD NEW SCENARIO (two plan files or folders, then the scenario), or "
                "PLANS SCENARIO with --set PLAN.PATH=VALUE or --old-plan/--new-plan")
        old_path, new_path, scenario = paths
        old_paths, new_paths = [old_path], [new_path]
    plan_map = {old_plan: new_plan} if old_plan is not None and new_plan is not None else None
    with user_errors(), option_errors():
        result = compare_files(old_paths, new_paths, scenario, overrides=sets,
                               plan_map=plan_map, limit=None if show_all else limit,
                               on_warning=warn_overrides)
    echo_diagnostics(result.diagnostics)
    write_output(render(result, fmt), output, force=force)
    if fail_on_change and result.outcomes_differ:
        raise SystemExit(EXIT_FINDINGS)


# --------------------------------------------------------------------------- rendering


def render(result: Comparison, fmt: str, *, width: int | None = None) -> str:
    """The comparison as table text, JSON or TOML."""
    doc = result.to_dict()
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "toml":
        return toml_text(doc)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 160, force_terminal=False, soft_wrap=False)
    render_tables(doc, console)
    return buffer.getvalue()


def _rate(figures: dict[str, Any]) -> str:
    rate = figures["breach_rate"]
    return "-" if rate is None else f"{rate:.1%}"


def _duration(figures: dict[str, Any], key: str) -> str:
    value = figures["first_response"][key]
    return "-" if value is None else str(value["text"])


def _delta(old: str, new: str, *, money: bool = False, percent: bool = False) -> str:
    if old == new:
        return ""
    try:
        if percent:
            a, b = float(old.rstrip("%")), float(new.rstrip("%"))
            return f"{b - a:+.1f} pp"
        from decimal import Decimal

        diff = Decimal(new) - Decimal(old)
        return f"{diff:+}" if money else f"{int(diff):+d}"
    except (ArithmeticError, ValueError):
        return "changed"


def _figure_rows(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = [
        ("tickets", str(old["tickets"]), str(new["tickets"])),
        ("breached (guaranteed)", str(old["guaranteed"]["breached"]),
         str(new["guaranteed"]["breached"])),
        ("breach rate", _rate(old), _rate(new)),
        ("mean first response", _duration(old, "mean"), _duration(new, "mean")),
        ("p90 first response", _duration(old, "p90"), _duration(new, "p90")),
    ]
    out = []
    for name, a, b in rows:
        if name == "breach rate":
            delta = _delta(a, b, percent=True) if "-" not in (a, b) else ""
        elif name.startswith(("mean", "p90")):
            delta = "" if a == b else "changed"
        else:
            delta = _delta(a, b)
        out.append((name, a, b, delta))
    currencies = sorted(set(old.get("money", {})) | set(new.get("money", {})))
    for currency in currencies:
        a_money = old.get("money", {}).get(currency, {})
        b_money = new.get("money", {}).get(currency, {})
        for key in ("fees", "work", "credits", "unclaimed", "net"):
            a, b = a_money.get(key, "0.00"), b_money.get(key, "0.00")
            if key == "unclaimed" and a == b == "0.00":
                continue
            out.append((f"{key} {currency}", a, b, _delta(a, b, money=True)))
    if old.get("credit_hours", "0s") != "0s" or new.get("credit_hours", "0s") != "0s":
        a, b = old.get("credit_hours", "0s"), new.get("credit_hours", "0s")
        out.append(("credit hours", a, b, "" if a == b else "changed"))
    return out


def render_tables(doc: dict[str, Any], console: Console) -> None:
    """Terms, figures per plan and in total, breaches per priority, changed tickets."""
    console.print(f"[bold]old[/bold]: {doc['old']['label']}")
    console.print(f"[bold]new[/bold]: {doc['new']['label']}")
    console.print(f"scenario: {doc['scenario']} ({doc['ticket_count']} tickets, "
                  f"as of {doc['as_of']})")
    terms = doc["terms"]
    if terms:
        console.print(f"\n[bold]Terms changed ({len(terms)})[/bold]")
        for change in terms:
            where = f"{change['old_at'] or '-'} -> {change['new_at'] or '-'}"
            console.print(f"  {change['text']}", highlight=False, markup=False)
            console.print(f"      [dim]{where}[/dim]", highlight=False)
    else:
        console.print("\n[bold]Terms[/bold]: identical")

    table = Table(title="Per plan and in total", box=box.SIMPLE_HEAVY)
    for column, justify in (("plan", "left"), ("figure", "left"), ("old", "right"),
                            ("new", "right"), ("change", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in doc["plans"]:
        label = row["plan"] if row["plan"] == row["new_plan"] else \
            f"{row['plan']} -> {row['new_plan']}"
        _figure_block(table, label, row["old"], row["new"])
    _figure_block(table, "[bold]total[/bold]", doc["total"]["old"], doc["total"]["new"])
    console.print(table)

    prio = Table(title="Guaranteed targets per priority", box=box.SIMPLE_HEAVY)
    for column in ("plan", "priority", "tickets", "breached old", "breached new",
                   "rate old", "rate new", "mean old", "mean new", "p90 old", "p90 new"):
        prio.add_column(column, justify="left" if column in ("plan", "priority") else "right")
    for row in doc["plans"]:
        for p in row["priorities"]:
            old, new = p["old"], p["new"]
            prio.add_row(row["plan"], p["priority"] or "-", str(old["tickets"]),
                         str(old["guaranteed"]["breached"]), str(new["guaranteed"]["breached"]),
                         _rate(old), _rate(new), _duration(old, "mean"), _duration(new, "mean"),
                         _duration(old, "p90"), _duration(new, "p90"))
    console.print(prio)

    changed = doc["changed_tickets"]
    title = (f"Tickets whose outcome changed: {changed['count']}"
             + (f" (first {changed['shown']})" if changed["shown"] < changed["count"] else ""))
    if changed["deadlines_moved"]:
        title += f"; {changed['deadlines_moved']} more with only a deadline moved"
    if not changed["tickets"]:
        console.print(f"[bold]{title}[/bold]")
        return
    tickets = Table(title=title, box=box.SIMPLE_HEAVY)
    for column in ("ticket", "plan", "prio", "target", "old", "new"):
        tickets.add_column(column, overflow="fold")
    for ticket in changed["tickets"]:
        plan = ticket["plan"]["old"] or "-"
        if ticket["plan"]["new"] != ticket["plan"]["old"]:
            plan += f" -> {ticket['plan']['new'] or '-'}"
        if ticket["coverage"]["old"] != ticket["coverage"]["new"]:
            tickets.add_row(ticket["ticket"], plan, ticket["priority"] or "-", "coverage",
                            ticket["coverage"]["old"] or "covered",
                            ticket["coverage"]["new"] or "covered")
        for target in ticket["targets"]:
            tickets.add_row(ticket["ticket"], plan, ticket["priority"] or "-",
                            target["metric"] + (f" #{target['occurrence'] + 1}"
                                                if target["occurrence"] else ""),
                            _target_cell(target["old"]), _target_cell(target["new"]))
    console.print(tickets)


def _figure_block(table: Table, label: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    rows = _figure_rows(old, new)
    for i, (name, a, b, delta) in enumerate(rows):
        table.add_row(label if i == 0 else "", name, a, b, delta,
                      end_section=i == len(rows) - 1)


def _target_cell(target: dict[str, Any] | None) -> str:
    if target is None:
        return "-"
    status = target["status"].replace("_", " ")
    deadline = target["deadline"].replace("T", " ")[:16] + " " + target["deadline"][-6:]
    return f"{status} ({target['allowance']}, deadline {deadline})"

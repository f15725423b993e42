"""Terminal rendering of a simulation result (the `table` format), from the published dict.

Working from the same dict as JSON and TOML keeps the three formats in agreement. Every
string that comes from the user's files (ticket ids, reasons, rule references such as
``[plans/x.plan:12]``) is escaped: rich would otherwise read brackets as markup and
silently drop them.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierwise.engine.quantities import format_seconds

STATUS_STYLE = {
    "met": "green",
    "breached": "bold red",
    "pending": "yellow",
    "objective_met": "green",
    "objective_missed": "magenta",
    "objective_pending": "yellow",
    "not_guaranteed": "dim",
    "not_covered": "dim",
}


def _e(value: Any) -> str:
    """A data value as rich markup that shows it literally."""
    return escape("" if value is None else str(value))


def _local_text(text: str) -> str:
    """``2026-03-09T15:30:00+01:00`` -> ``2026-03-09 15:30 +01:00`` (seconds only if any)."""
    if len(text) < 22 or text[10] != "T":
        return text
    offset = text[-6:] if text[-6] in "+-" else text[19:] if text.endswith("Z") else ""
    clock = text[11:19]
    clock = clock[:5] if clock.endswith(":00") else clock
    return f"{text[:10]} {clock} {offset}".rstrip()


def _local(instant: dict[str, str] | None) -> str:
    if not instant:
        return ""
    return _local_text(instant["local"])


def _styled(text: str, status: str) -> str:
    style = STATUS_STYLE.get(status, "")
    return f"[{style}]{_e(text)}[/{style}]" if style else _e(text)


def tickets_table(doc: dict[str, Any]) -> Table:
    """One row per target (one per ticket that is not covered)."""
    table = Table(title="Tickets", box=box.SIMPLE_HEAVY)
    for column in ("ticket", "plan", "prio", "target", "deadline (local)", "measured",
                   "status", "rule"):
        table.add_column(column, overflow="fold")
    for ticket in doc["tickets"]:
        if not ticket["covered"]:
            table.add_row(_e(ticket["ticket"]), _e(ticket["plan"] or "-"),
                          _e(ticket["priority"] or "-"), "-", "", "",
                          _styled("not covered", "not_covered"), _e(ticket["coverage"]))
            continue
        if not ticket["targets"]:
            table.add_row(_e(ticket["ticket"]), _e(ticket["plan"] or "-"),
                          _e(ticket["priority"] or "-"), "-", "", "", "[dim]no target[/dim]", "")
        for target in ticket["targets"]:
            status = target["status"]
            # the reason already starts with the status ("not guaranteed: ...")
            shown = target.get("reason") or status.replace("_", " ")
            table.add_row(_e(ticket["ticket"]), _e(ticket["plan"] or "-"),
                          _e(target.get("priority") or "-"), _e(_target_label(target)),
                          _local(target["deadline"]), _e(target["measured"]["text"]),
                          _styled(shown, status), _e(target["rule"]["ref"]))
    return table


def _target_label(target: dict[str, Any]) -> str:
    """``response 8 business hours``, ``next reply #2 4 business hours``."""
    label: str = target["metric"]
    if label in ("next reply", "update"):
        label += f" #{target['occurrence'] + 1}"
    return f"{label} {target['allowance']}"


def print_explanations(doc: dict[str, Any], console: Console) -> None:
    """Under the tickets table, every target's trace at full width: the rule (file:line),
    the calendar, where the clock started, how the deadline was counted, pauses, the stop."""
    console.print("[bold]How each target was counted[/bold]", highlight=False)
    for ticket in doc["tickets"]:
        if not ticket["covered"]:
            console.print(f"{_e(ticket['ticket'])}: not covered: {_e(ticket['coverage'])}",
                          highlight=False)
            continue
        for target in ticket["targets"]:
            console.print(f"{_e(ticket['ticket'])} {_e(_target_label(target))}: "
                          + _styled(target.get("reason") or target["status"].replace("_", " "),
                                    target["status"]), highlight=False)
            for line in target["explanation"]:
                console.print(f"    {_e(line)}", highlight=False, overflow="fold")
    console.print()


def summary_table(doc: dict[str, Any]) -> Table:
    """Per plan and priority, then all tickets: guaranteed targets met / breached / pending,
    the breach rate among decided ones, and the measured first response."""
    table = Table(title="Summary", box=box.SIMPLE_HEAVY)
    for column in ("plan", "priority", "tickets", "not covered", "met", "breached", "pending",
                   "breach rate", "mean response", "p90 response"):
        table.add_column(column, justify="right" if column not in ("plan", "priority") else "left")
    rows = [*doc["summary"]["groups"],
            {**doc["summary"]["totals"], "plan": "all", "priority": ""}]
    for group in rows:
        g = group["guaranteed"]
        rate = group["breach_rate"]
        fr = group["first_response"]
        table.add_row(
            _e(group.get("plan") or "-"), _e(group.get("priority") or "-"),
            str(group["tickets"]), str(group["not_covered"]),
            str(g["met"]), str(g["breached"]), str(g["pending"]),
            "-" if rate is None else f"{rate:.1%}",
            _e(fr["mean"]["text"]) if fr.get("mean") else "-",
            _e(fr["p90"]["text"]) if fr.get("p90") else "-",
            end_section=group is rows[-2] if len(rows) > 1 else False,
        )
    return table


def invoices_table(doc: dict[str, Any], *, explain: bool) -> Table:
    """Every invoice line with how it was computed (and with --explain, its rule)."""
    table = Table(title="Invoices", box=box.SIMPLE_HEAVY, show_lines=explain)
    for column in ("customer", "period", "plan", "line", "amount", "how"):
        table.add_column(column, overflow="fold", justify="right" if column == "amount" else "left")
    for inv in doc["invoices"]:
        who = (_e(inv["customer"]), _e(inv["period"]), _e(inv["plan"]))
        for line in inv["lines"]:
            how = line.get("how") or ""
            if explain and line.get("rule"):
                how = f"{how}  [{line['rule']}]" if how else f"[{line['rule']}]"
            table.add_row(*who, _e(line["text"]), _e(f"{line['amount']} {line['currency']}"),
                          _e(how))
        table.add_row(*who, f"[bold]net / VAT {_e(inv['vat_rate'])}% / gross[/bold]",
                      f"{_e(inv['net'])} / {_e(inv['vat'])} / [bold]{_e(inv['gross'])}[/bold] "
                      f"{_e(inv['currency'])}",
                      _e(f"[{inv['vat_rule']}]") if explain and inv.get("vat_rule") else "",
                      end_section=True)
    return table


def credits_table(doc: dict[str, Any], *, explain: bool = False) -> Table:
    """Every credit: its value (money, or free time), where it stands, and why."""
    table = Table(title="Credits", box=box.SIMPLE_HEAVY, show_lines=explain)
    for column in ("customer", "credit", "period", "ticket", "value", "status", "how"):
        table.add_column(column, overflow="fold")
    for credit in doc["credits"]:
        value = (f"{credit['amount']} {credit['currency']}" if credit.get("amount") is not None
                 else f"{format_seconds(credit['seconds'])} free")
        how = credit.get("how") or ""
        if explain and credit.get("rule"):
            how = f"{how}  [{credit['rule']}]" if how else f"[{credit['rule']}]"
        table.add_row(_e(credit["customer"]), _e(credit["name"]), _e(credit["period"]),
                      _e(credit.get("ticket") or ""), _e(value), _e(credit["status_text"]),
                      _e(how))
    return table


def queue_table(doc: dict[str, Any]) -> Table:
    """Open tickets at as_of on plans served by earliest deadline, in serving order."""
    table = Table(title="Queue at as_of (earliest deadline first)", box=box.SIMPLE_HEAVY)
    for column in ("ticket", "customer", "plan", "metric", "deadline (local)"):
        table.add_column(column)
    for entry in doc["queue"]:
        table.add_row(_e(entry["ticket"]), _e(entry["customer"]), _e(entry["plan"]),
                      _e(entry["metric"]), _local_text(entry["deadline"]))
    return table


def render_tables(doc: dict[str, Any], console: Console, *, explain: bool) -> None:
    """The whole result: tickets (unless left out), summary, invoices, credits, queue, totals."""
    if doc["tickets"]:
        console.print(tickets_table(doc))
        if explain:
            print_explanations(doc, console)
    console.print(summary_table(doc))
    if doc["invoices"]:
        console.print(invoices_table(doc, explain=explain))
    if doc["credits"]:
        console.print(credits_table(doc, explain=explain))
    if doc["queue"]:
        console.print(queue_table(doc))
    scenario = doc.get("scenario") or ""
    console.print(f"{_e(scenario)}: {doc.get('ticket_count', len(doc['tickets']))} tickets "
                  f"replayed, as_of {_local_text(doc.get('as_of') or '')}", highlight=False)
    for currency, totals in doc["money"].items():
        console.print(f"[bold]{_e(currency)}[/bold]: net {totals['net']}, VAT {totals['vat']}, "
                      f"gross {totals['gross']}, credits applied {totals['credits_applied']}, "
                      f"credits outstanding {totals['credits_outstanding']}", highlight=False)

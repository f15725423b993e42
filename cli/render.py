"""Terminal rendering of a simulation result (the `table` format), from the published dict.

Working from the same dict as JSON and TOML keeps the three formats in agreement.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

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


def _local(instant: dict[str, str] | None) -> str:
    if not instant:
        return ""
    text = instant["local"]
    return text.replace("T", " ")[:16] + " " + text[-6:] if len(text) >= 22 else text


def tickets_table(doc: dict[str, Any], *, explain: bool) -> Table:
    table = Table(title="Tickets", box=box.SIMPLE_HEAVY, show_lines=explain)
    for column in ("ticket", "plan", "prio", "target", "deadline (local)", "measured",
                   "status", "rule"):
        table.add_column(column, overflow="fold")
    for ticket in doc["tickets"]:
        if not ticket["covered"]:
            table.add_row(ticket["ticket"], ticket["plan"] or "-", ticket["priority"] or "-",
                          "-", "", "", "[dim]not covered[/dim]", ticket["coverage"] or "")
            continue
        for target in ticket["targets"]:
            status = target["status"]
            # the reason already starts with the status ("not guaranteed: ...")
            shown = target.get("reason") or status.replace("_", " ")
            style = STATUS_STYLE.get(status, "")
            label = target["metric"] + (f" #{target['occurrence'] + 1}"
                                        if target["metric"] in ("next reply", "update") else "")
            label += f" {target['allowance']}"
            rule = target["rule"]["ref"]
            if explain:
                rule += "\n" + "\n".join(target["explanation"])
            table.add_row(ticket["ticket"], ticket["plan"] or "-", target.get("priority") or "-",
                          label, _local(target["deadline"]), target["measured"]["text"],
                          f"[{style}]{shown}[/{style}]" if style else shown, rule)
    return table


def summary_table(doc: dict[str, Any]) -> Table:
    table = Table(title="Summary", box=box.SIMPLE_HEAVY)
    for column in ("plan", "priority", "tickets", "met", "breached", "pending", "breach rate",
                   "mean response", "p90 response"):
        table.add_column(column, justify="right" if column not in ("plan", "priority") else "left")
    rows = [*doc["summary"]["groups"], {"plan": "all", "priority": "", **doc["summary"]["totals"]}]
    for group in rows:
        g = group["guaranteed"]
        rate = group["breach_rate"]
        fr = group["first_response"]
        table.add_row(
            str(group.get("plan") or "-"), str(group.get("priority") or "-"), str(group["tickets"]),
            str(g["met"]), str(g["breached"]), str(g["pending"]),
            "-" if rate is None else f"{rate:.1%}",
            fr["mean"]["text"] if fr.get("mean") else "-",
            fr["p90"]["text"] if fr.get("p90") else "-",
        )
    return table


def invoices_table(doc: dict[str, Any], *, explain: bool) -> Table:
    table = Table(title="Invoices", box=box.SIMPLE_HEAVY, show_lines=explain)
    for column in ("customer", "period", "plan", "line", "amount", "how"):
        table.add_column(column, overflow="fold", justify="right" if column == "amount" else "left")
    for inv in doc["invoices"]:
        for line in inv["lines"]:
            how = line.get("how") or ""
            if explain and line.get("rule"):
                how = f"{how}  [{line['rule']}]" if how else f"[{line['rule']}]"
            table.add_row(inv["customer"], inv["period"], inv["plan"], line["text"],
                          f"{line['amount']} {line['currency']}", how)
        table.add_row(inv["customer"], inv["period"], inv["plan"],
                      f"[bold]net / VAT {inv['vat_rate']}% / gross[/bold]",
                      f"{inv['net']} / {inv['vat']} / [bold]{inv['gross']}[/bold] "
                      f"{inv['currency']}",
                      "", end_section=True)
    return table


def credits_table(doc: dict[str, Any]) -> Table:
    table = Table(title="Credits", box=box.SIMPLE_HEAVY)
    for column in ("customer", "credit", "period", "ticket", "value", "status", "how"):
        table.add_column(column, overflow="fold")
    for credit in doc["credits"]:
        value = (f"{credit['amount']} {credit['currency']}" if credit.get("amount") is not None
                 else f"{credit['seconds'] // 60} min free")
        table.add_row(credit["customer"], credit["name"], credit["period"],
                      credit.get("ticket") or "", value, credit["status_text"],
                      credit.get("how") or "")
    return table


def render_tables(doc: dict[str, Any], console: Console, *, explain: bool) -> None:
    if doc["tickets"]:
        console.print(tickets_table(doc, explain=explain))
    console.print(summary_table(doc))
    if doc["invoices"]:
        console.print(invoices_table(doc, explain=explain))
    if doc["credits"]:
        console.print(credits_table(doc))
    if doc["queue"]:
        queue = Table(title="Queue at as_of (earliest deadline first)", box=box.SIMPLE_HEAVY)
        for column in ("ticket", "customer", "plan", "metric", "deadline"):
            queue.add_column(column)
        for entry in doc["queue"]:
            queue.add_row(entry["ticket"], entry["customer"], entry["plan"], entry["metric"],
                          entry["deadline"])
        console.print(queue)
    for currency, totals in doc["money"].items():
        console.print(f"[bold]{currency}[/bold]: net {totals['net']}, VAT {totals['vat']}, "
                      f"gross {totals['gross']}, credits applied {totals['credits_applied']}, "
                      f"credits outstanding {totals['credits_outstanding']}")

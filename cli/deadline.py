"""`tierwise deadline`: one quick computation — when is each target of a new ticket due?

The ticket is replayed by the same simulator as `simulate` (at its own creation instant,
unanswered), so rule selection, coverage, eligibility and the trace are exactly those a
replay would give; only the lines about ``as_of`` are left out, as they say nothing here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import tomli_w

from tierwise.cli.common import FORMATS, OptionError, check_paths, parse_instant, user_errors
from tierwise.engine.errors import did_you_mean
from tierwise.engine.model import Catalog, Commitment, Plan
from tierwise.engine.results import Status, TargetResult, TicketResult, local_text, utc_text
from tierwise.engine.scenario import ScenarioHeader, Subscription, Ticket
from tierwise.engine.simulator import Simulator

CUSTOMER = "(deadline)"
#: Explanation lines that only describe the replay's ``as_of`` (here: the creation itself).
_AS_OF_LINE_START = "not stopped by as_of "
_AS_OF_LINE_END = ": deadline is after as_of"


def compute(catalog: Catalog, plan: str, ticket: Ticket) -> TicketResult:
    """Replay an unanswered ticket at its own creation instant: every target is pending and
    carries its deadline, with the same rule selection and eligibility as `simulate`."""
    subscription = Subscription(customer=ticket.customer, plan=plan, start=ticket.created)
    header = ScenarioHeader(as_of=ticket.created, subscriptions={ticket.customer: subscription},
                            name="deadline")
    return Simulator(catalog, header).simulate_ticket(ticket)


def explanation(target: TargetResult) -> list[str]:
    """The target's trace without the lines about as_of (the ticket was just opened)."""
    return [line for line in target.explanation
            if not line.startswith(_AS_OF_LINE_START) and not line.endswith(_AS_OF_LINE_END)]


def commitment_text(target: TargetResult) -> str:
    """``guaranteed``, ``best effort``, ``average``, or the reason it is not guaranteed."""
    if target.status is Status.NOT_GUARANTEED:
        return target.reason or "not guaranteed"
    if target.commitment is not Commitment.GUARANTEED:
        return f"{target.commitment.value} (an objective, not a guarantee)"
    return "guaranteed"


def format_result(result: TicketResult, plan: Plan | None = None,
                  notes: list[str] | None = None) -> str:
    """The text form: the plan, when the ticket counts as received, then per target its
    deadline in the calendar's local time and in UTC, and how it was counted."""
    zone = ZoneInfo(result.zone)
    where = f" ({plan.span.file}:{plan.span.line})" if plan is not None else ""
    lines = [f"plan {result.plan}{where}, ticket created {local_text(result.created, zone)}"]
    if result.received != result.created:
        lines.append(f"received at {local_text(result.received, zone)} "
                     "(requests count only in support hours)")
    if result.coverage is not None:
        lines.append(f"not covered: {result.coverage}")
    elif not result.targets:
        lines.append("no targets apply to this ticket")
    for target in result.targets:
        lines.append(f"{target.metric.value:<11} {target.deadline.isoformat()}  "
                     f"({utc_text(target.deadline)})  {commitment_text(target)}")
        lines.extend(f"{'':<11} {line}" for line in explanation(target))
    lines.extend(f"hint: {note}" for note in notes or ())
    return "\n".join(lines)


def to_document(result: TicketResult) -> dict[str, Any]:
    """The JSON / TOML form: the ticket as in `simulate`'s result, with the trace trimmed."""
    doc = result.to_dict()
    for out, target in zip(doc["targets"], result.targets, strict=True):
        out["explanation"] = explanation(target)
    return doc


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _plan(catalog: Catalog, name: str | None) -> Plan:
    """The plan named by --plan (optional when the files define exactly one plan)."""
    names = sorted(catalog.plans)
    if name is None:
        if len(names) == 1:
            return catalog.plans[names[0]]
        raise OptionError("--plan", "", f"give --plan: the files define {len(names)} plans",
                          expected=", ".join(names),
                          hint=f"e.g. --plan {names[0]}")
    if name not in catalog.plans:
        hint = did_you_mean(name, names) or did_you_mean(name.upper(), names)
        raise OptionError("--plan", name, f"no plan named '{name}'",
                          expected=", ".join(names), hint=hint)
    return catalog.plans[name]


def _check_priority(plan: Plan, priority: str | None) -> None:
    """A plan that declares its priority levels accepts only those (a typo is an error)."""
    if priority is None or not plan.priorities or priority in plan.priorities:
        return
    raise OptionError("--priority", priority,
                      f"plan {plan.name} has no priority '{priority}'",
                      expected=", ".join(plan.priorities) + " (most urgent first)",
                      hint=did_you_mean(priority, plan.priorities)
                      or did_you_mean(priority.lower(), plan.priorities))


def _channel_notes(plan: Plan, channel: str | None) -> list[str]:
    """A channel the plan does not offer is a legitimate question (the answer: not covered),
    but a close name is likely a typo: say so."""
    if channel is None or not plan.channels or channel in plan.channels:
        return []
    close = did_you_mean(channel, plan.channels)
    offered = ", ".join(sorted(plan.channels))
    return [f"plan {plan.name} takes requests on {offered}" + (f"; {close}" if close else "")]


@click.command("deadline")
@click.argument("plan_file", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--plan", "plan_name", default=None,
              help="The plan (tier) the customer has (optional if the files define one plan).")
@click.option("--opened", required=True, metavar="INSTANT",
              help="When the ticket was created, with its UTC offset: 2026-03-06T15:30+01:00.")
@click.option("--priority", default=None, help="The ticket's priority (as the plan names it).")
@click.option("--channel", default=None, help="The channel (email, phone, ...).")
@click.option("--category", default=None, help="The category (bug, question, ...).")
@click.option("--product", "product_status", default=None, help="Product status (ga, beta...).")
@click.option("--unregistered", is_flag=True, help="The contact is not registered.")
@click.option("--express", is_flag=True, help="An express request.")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="A custom ticket field (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True,
              help="table: text with the trace; json / toml: the ticket as in `simulate`'s "
                   "result (`$defs/ticket` of `tierwise schema result`).")
def deadline_command(plan_file: tuple[Path, ...], plan_name: str | None, opened: str,
                     priority: str | None, channel: str | None, category: str | None,
                     product_status: str | None, unregistered: bool, express: bool,
                     fields: tuple[str, ...], fmt: str) -> None:
    """Print each applicable target's deadline for a ticket opened at --opened, in the
    calendar's local time and in UTC, with a trace of how it was counted.

    PLAN_FILE is one or more plan files or folders. Exit 0, or 2 on bad input.
    """
    from tierwise.engine.plans import load_catalog

    check_paths("PLAN_FILE", plan_file, suffixes=(".plan",))
    created = parse_instant("--opened", opened)
    custom: dict[str, str] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OptionError("--field", item, "a custom field needs NAME=VALUE",
                              expected="NAME=VALUE, e.g. region=EU")
        custom[name.strip()] = value
    with user_errors():
        catalog = load_catalog(plan_file)
    plan = _plan(catalog, plan_name)
    _check_priority(plan, priority)
    ticket = Ticket(id="new", customer=CUSTOMER, created=created, priority=priority,
                    channel=channel, category=category, contact_registered=not unregistered,
                    product_status=product_status, express=express, fields=custom)
    with user_errors():
        result = compute(catalog, plan.name, ticket)
    if fmt == "json":
        click.echo(json.dumps(to_document(result), indent=2, ensure_ascii=False))
    elif fmt == "toml":
        click.echo(tomli_w.dumps(_drop_none(to_document(result))), nl=False)
    else:
        click.echo(format_result(result, plan, _channel_notes(plan, channel)))

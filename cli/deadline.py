"""`tierwise deadline`: one quick computation — when is each target of a new ticket due?"""

from __future__ import annotations

from pathlib import Path

import click

from tierwise.cli.common import OptionError, parse_instant, user_errors
from tierwise.engine.errors import did_you_mean
from tierwise.engine.model import Catalog
from tierwise.engine.results import TicketResult, utc_text
from tierwise.engine.scenario import ScenarioHeader, Subscription, Ticket
from tierwise.engine.simulator import Simulator

CUSTOMER = "(deadline)"


def compute(catalog: Catalog, plan: str, ticket: Ticket) -> TicketResult:
    """Replay an unanswered ticket at its own creation instant: every target is pending and
    carries its deadline, with the same rule selection and eligibility as `simulate`."""
    subscription = Subscription(customer=ticket.customer, plan=plan, start=ticket.created)
    header = ScenarioHeader(as_of=ticket.created, subscriptions={ticket.customer: subscription},
                            name="deadline")
    return Simulator(catalog, header).simulate_ticket(ticket)


def format_result(result: TicketResult) -> str:
    lines = [f"plan {result.plan}, ticket received {result.received.isoformat()}"]
    if result.coverage is not None:
        lines.append(f"not covered: {result.coverage}")
        return "\n".join(lines)
    if not result.targets:
        lines.append("no targets apply to this ticket")
    for target in result.targets:
        state = "" if target.guaranteed else f"  ({target.reason or target.status.text})"
        lines.append(f"{target.metric.value:<11} {target.deadline.isoformat()}  "
                     f"({utc_text(target.deadline)})  {target.rule}{state}")
        lines.extend(f"{'':<11} {line}" for line in target.explanation)
    return "\n".join(lines)


@click.command("deadline")
@click.argument("plan_file", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--plan", "plan_name", required=True, help="The plan (tier) the customer has.")
@click.option("--opened", required=True, help="When the ticket was created, with UTC offset.")
@click.option("--priority", default=None)
@click.option("--channel", default=None)
@click.option("--category", default=None)
@click.option("--product", "product_status", default=None, help="Product status (ga, beta...).")
@click.option("--unregistered", is_flag=True, help="The contact is not registered.")
@click.option("--express", is_flag=True, help="An express request.")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="A custom ticket field (repeatable).")
def deadline_command(plan_file: tuple[Path, ...], plan_name: str, opened: str,
                     priority: str | None, channel: str | None, category: str | None,
                     product_status: str | None, unregistered: bool, express: bool,
                     fields: tuple[str, ...]) -> None:
    """Print each applicable target's deadline for a ticket opened at --opened, in local
    time and UTC, with a trace of how it was counted."""
    from tierwise.engine.plans import load_catalog

    created = parse_instant("--opened", opened)
    custom: dict[str, str] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise OptionError("--field", item, "a custom field needs NAME=VALUE",
                              expected="NAME=VALUE, e.g. region=EU")
        custom[name] = value
    with user_errors():
        catalog = load_catalog(plan_file)
    if plan_name not in catalog.plans:
        raise OptionError("--plan", plan_name, f"no plan named '{plan_name}'",
                          expected=", ".join(sorted(catalog.plans)),
                          hint=did_you_mean(plan_name, catalog.plans))
    ticket = Ticket(id="new", customer=CUSTOMER, created=created, priority=priority,
                    channel=channel, category=category, contact_registered=not unregistered,
                    product_status=product_status, express=express, fields=custom)
    with user_errors():
        result = compute(catalog, plan_name, ticket)
    click.echo(format_result(result))

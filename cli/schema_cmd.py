"""``tierwise schema``: print a JSON Schema the package publishes."""

from __future__ import annotations

import json

import click

from tierwise.engine import schemas
from tierwise.engine.errors import did_you_mean


@click.command("schema")
@click.argument("name", required=False)
def schema_command(name: str | None) -> None:
    """Print the JSON Schema NAME (scenario, ticket, result...); without NAME, list them.

    Feed the output to any JSON Schema tool (draft 2020-12) to check or generate
    scenarios outside tierwise.
    """
    choices = schemas.available()
    if name is None:
        for choice in choices:
            title = schemas.load_schema(choice).get("title", "")
            click.echo(f"{choice:<12} {title}")
        return
    key = name.lower().removesuffix(".json").removesuffix(".schema")
    if key not in choices:
        hint = did_you_mean(key, choices)
        message = f"unknown schema '{name}'; choose from: {', '.join(choices)}"
        raise click.BadParameter(message + (f" ({hint})" if hint else ""), param_hint="NAME")
    click.echo(json.dumps(schemas.load_schema(key), indent=2, ensure_ascii=False))

"""The ``tierwise`` command group: registers one command per module."""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

import click

# (module, attribute) of each command; a command module that is absent is skipped so the
# group can grow one command at a time.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("tierwise.cli.check", "check_command"),
    ("tierwise.cli.deadline", "deadline_command"),
    ("tierwise.cli.simulate", "simulate_command"),
    ("tierwise.cli.compare", "compare_command"),
    ("tierwise.cli.sweep", "sweep_command"),
    ("tierwise.cli.generate", "generate_command"),
    ("tierwise.cli.import_cmd", "import_command"),
    ("tierwise.cli.schema_cmd", "schema_command"),
)


def _version() -> str:
    try:
        return version("tierwise")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="tierwise")
def cli() -> None:
    """Write support-plan terms as text; replay ticket timelines against them.

    Exit codes: 0 ok, 1 findings (breaches, differences, lint warnings with --strict),
    2 usage or input error.
    """


for _module, _attr in COMMANDS:
    try:
        cli.add_command(getattr(import_module(_module), _attr))
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise


def main() -> None:
    """Console-script entry point: click's own usage errors also exit 2."""
    sys.exit(cli.main(standalone_mode=True))

"""What every command shares: turning engine errors into exit 2, and writing output safely."""

from __future__ import annotations

import contextlib
import datetime
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from tierwise.cli.errors import InputError
from tierwise.engine.errors import Diagnostic, SourceSpan, TierwiseError

FORMATS = ("table", "json", "toml")


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Engine errors about the user's input become located messages and exit 2."""
    try:
        yield
    except TierwiseError as exc:
        count = sum(1 for d in exc.diagnostics if d.severity == "error")
        noun = "error" if count == 1 else "errors"
        raise InputError(f"{count} {noun}; nothing was computed", exc.diagnostics) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(exc)) from None


def write_output(text: str, output: Path | None, *, force: bool) -> None:
    """Print, or write a file atomically; an existing file is never replaced without --force."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    if output.exists() and not force:
        raise InputError(
            f"{output} already exists; not overwriting it",
            [Diagnostic(f"{output} already exists", span=SourceSpan(str(output), 0, 0),
                        hint="choose another --output, or pass --force to replace it")],
        )
    if output.is_dir():
        raise InputError(f"{output} is a directory")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write to this file instead of standard output (never overwrites without --force).",
)
force_option = click.option("--force", is_flag=True, help="Allow --output to replace a file.")
format_option = click.option(
    "--format", "-f", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="Output format: a terminal table, JSON (schema: `tierwise schema result`), or TOML.",
)


class OptionError(InputError):
    """A bad option value, shown with a caret under it like any other located input error."""

    def __init__(self, option: str, value: str, message: str, *,
                 expected: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.option, self.value, self.expected, self.hint = option, value, expected, hint

    def show(self, file: object = None) -> None:
        shown = f"{self.option} {self.value}"
        lines = [f"<command line>:{self.option}: error: {self.message}",
                 f"    | {shown}",
                 "    | " + " " * (len(self.option) + 1) + "^" * max(1, len(self.value))]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        click.echo("\n".join(lines), err=True)


def parse_instant(option: str, value: str) -> datetime.datetime:
    """An RFC 3339 instant with its UTC offset; anything else is an OptionError."""
    try:
        instant = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise OptionError(option, value, "not a date and time",
                          expected="an instant such as 2026-03-06T15:00:00+01:00") from None
    if instant.tzinfo is None:
        raise OptionError(option, value, "instant without UTC offset",
                          expected="an offset: 2026-03-06T15:00:00+01:00 or ...Z",
                          hint="tierwise never guesses a time zone: add +01:00, Z, ...")
    return instant

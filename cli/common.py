"""What every command shares: turning engine errors into exit 2, and writing output safely."""

from __future__ import annotations

import contextlib
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

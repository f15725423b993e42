"""Printing located diagnostics and mapping failures to exit codes (0 ok, 1 findings, 2 input)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import click

from tierwise.engine.errors import Diagnostic

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2


def _source(file: str) -> str | None:
    """The text of a file named by a diagnostic, for the caret line (None if unreadable)."""
    try:
        stat = Path(file).stat()
    except OSError:
        return None
    # Keyed on the file's identity too, so a file rewritten in one process is read again.
    return _read_source(file, stat.st_mtime_ns, stat.st_size, stat.st_ino)


@lru_cache(maxsize=64)
def _read_source(file: str, mtime_ns: int, size: int, inode: int) -> str | None:
    path = Path(file)
    if not path.is_file() or size > 50_000_000:
        return None
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def render_diagnostics(diagnostics: Iterable[Diagnostic]) -> str:
    parts = []
    for diag in diagnostics:
        text = _source(diag.span.file) if diag.span is not None else None
        parts.append(diag.render(text))
    return "\n".join(parts)


def echo_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    diagnostics = list(diagnostics)
    if diagnostics:
        click.echo(render_diagnostics(diagnostics), err=True)


class InputError(click.ClickException):
    """A user input error (plan, scenario, option): printed with its diagnostics, exit 2."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()):
        super().__init__(message)
        self.diagnostics = list(diagnostics)

    def show(self, file: object = None) -> None:
        if self.diagnostics:
            click.echo(render_diagnostics(self.diagnostics), err=True)
        click.echo(f"tierwise: {self.message}", err=True)

"""What every command shares: turning engine errors into exit 2, and writing output safely.

Bad input never shows a traceback (SPEC 8): engine errors become located diagnostics, and a
bad option or path is shown with a caret under the value the user typed. Nothing the user
wrote is overwritten or lost: ``--output`` is written to a temporary file and moved into
place only when complete, never replaces a file without ``--force``, and never replaces one
of the command's own input files.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import click

from tierwise.cli.errors import InputError
from tierwise.engine.errors import TierwiseError
from tierwise.engine.scenario_io import TIMESTAMP_EXPECTED, ValueProblem, parse_timestamp

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


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _new_file_mode() -> int:
    """The mode ``open(..., "w")`` would give a new file (mkstemp's 0600 is too private)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_output(text: str, output: Path | None, *, force: bool,
                 inputs: Iterable[Path] = ()) -> None:
    """Print, or write ``output`` atomically.

    An existing file is replaced only with ``force``, and never when it is one of
    ``inputs`` (the plans or scenario just read). The text goes to a temporary file in the
    same folder first, so an interrupted run leaves the old file (or none) intact.
    """
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    for source in inputs:
        if _same_file(output, source):
            raise OptionError("--output", str(output), "this is one of the input files",
                              hint="write the result to another file; inputs are never "
                                   "overwritten, even with --force")
    if output.is_dir():
        raise OptionError("--output", str(output), "this is a folder",
                          expected="a file name, e.g. result.json")
    if output.exists() and not force:
        raise OptionError("--output", str(output), "the file already exists; not overwriting it",
                          hint="choose another --output, or pass --force to replace it")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise OptionError("--output", str(output), f"the folder {folder} does not exist",
                          hint="create it first (a mistyped folder is not created for you)")
    try:
        mode = output.stat().st_mode & 0o777 if output.exists() else _new_file_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        if force:
            os.replace(tmp, output)
        else:
            _place_without_clobbering(Path(tmp), output)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
        raise


def _place_without_clobbering(tmp: Path, output: Path) -> None:
    """Move ``tmp`` to ``output`` unless a file appeared there meanwhile (link is atomic)."""
    try:
        os.link(tmp, output)
    except FileExistsError:
        raise InputError(f"{output} appeared while writing; not overwriting it") from None
    except OSError:  # a file system without hard links: the exists() check above must do
        if output.exists():
            raise InputError(f"{output} already exists; not overwriting it") from None
        os.replace(tmp, output)
        return
    os.unlink(tmp)


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
    """A bad option value, shown with a caret under it like any other located input error.

    ``option`` is the option (``--opened``) or, for a positional argument, its metavar in
    capitals (``SCENARIO``); a positional value is shown alone, as it was typed.
    """

    def __init__(self, option: str, value: str, message: str, *,
                 expected: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.option, self.value, self.expected, self.hint = option, value, expected, hint

    @property
    def positional(self) -> bool:
        return not self.option.startswith("-")

    def show(self, file: object = None) -> None:
        prefix = "" if self.positional else f"{self.option} "
        lines = [f"<command line>:{self.option}: error: {self.message}",
                 f"    | {prefix}{self.value}",
                 "    | " + " " * len(prefix) + "^" * max(1, len(self.value))]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        click.echo("\n".join(lines), err=True)


def check_paths(name: str, paths: Sequence[Path], *, suffixes: Sequence[str] = ()) -> None:
    """Each path must exist: a missing one is an OptionError with a 'did you mean' among
    the files of its folder (preferring ``suffixes``), so a typo gets a caret and a hint."""
    for path in paths:
        if path.exists():
            continue
        folder = path.parent if str(path.parent) else Path(".")
        hint = None
        if folder.is_dir():
            try:
                names = {p.stem: p.name for p in folder.iterdir()
                         if not suffixes or p.suffix in suffixes or p.is_dir()}
            except OSError:
                names = {}
            # compare the stems: a shared suffix (".plan") makes any two names look alike
            close = difflib.get_close_matches(path.stem, list(names), n=1, cutoff=0.6)
            if close:
                hint = f"did you mean '{folder / names[close[0]]}'?"
        else:
            hint = f"the folder {folder} does not exist either"
        raise OptionError(name, str(path), "no such file or folder", hint=hint)


def parse_instant(option: str, value: str) -> datetime.datetime:
    """An RFC 3339 instant with its UTC offset, read exactly like scenario timestamps (the
    same messages: a naive time, a date alone...); anything else is an OptionError."""
    try:
        return parse_timestamp(value)
    except ValueProblem as exc:
        hint = exc.hint
        if "UTC offset" in exc.message:
            hint = (hint + "; " if hint else "") + "tierwise never guesses a time zone"
        raise OptionError(option, value, exc.message, expected=TIMESTAMP_EXPECTED,
                          hint=hint) from None

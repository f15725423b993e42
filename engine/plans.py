"""Loading plans: files and folders in, a compiled Catalog (or every diagnostic) out.

This is the public entry point for everything that needs plans (the CLI, the simulator,
the pytest plugin). Reading is defensive: a missing path, a folder without plans, an
empty, binary or non-UTF-8 file each become a located diagnostic, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tierwise.engine.compiler import compile_files
from tierwise.engine.errors import Diagnostic, PlanError, SourceSpan
from tierwise.engine.model import Catalog
from tierwise.grammar import ast
from tierwise.grammar.parser import parse

PLAN_SUFFIX = ".plan"

__all__ = ["check_paths", "check_text", "compile_text", "load_catalog", "plan_files"]


def load_catalog(paths: Sequence[str | Path] | str | Path) -> Catalog:
    """Parse and compile plan files and folders (all ``*.plan`` in a folder, sorted).

    Raises ``PlanError`` carrying every diagnostic found (the errors, and the warnings
    with them) when there is any error; warnings alone do not raise.
    """
    catalog, diagnostics = check_paths(paths)
    if catalog is None:
        raise PlanError(diagnostics)
    return catalog


def compile_text(text: str, file: str = "<string>") -> Catalog:
    """Compile plan text held in memory; raises ``PlanError`` with every diagnostic when
    there is any error."""
    catalog, diagnostics = check_text(text, file)
    if catalog is None:
        raise PlanError(diagnostics)
    return catalog


def check_text(text: str, file: str = "<string>") -> tuple[Catalog | None, list[Diagnostic]]:
    """Like ``compile_text`` but returns the diagnostics (warnings included)."""
    try:
        plan_file = parse(text, file)
    except PlanError as exc:
        return None, list(exc.diagnostics)
    return compile_files([plan_file])


def check_paths(paths: Sequence[str | Path] | str | Path
                ) -> tuple[Catalog | None, list[Diagnostic]]:
    """Everything ``tierwise check`` needs: the catalog (None on any error) and every
    diagnostic, warnings included. Syntax errors stop before name resolution, so that
    a broken clause does not cause a cascade of follow-up errors."""
    files, diagnostics = plan_files(paths)
    parsed: list[ast.PlanFile] = []
    for path in files:
        text, problem = read_plan_text(path)
        if problem is not None:
            diagnostics.append(problem)
            continue
        assert text is not None
        try:
            parsed.append(parse(text, str(path)))
        except PlanError as exc:
            diagnostics.extend(exc.diagnostics)
    if any(d.severity == "error" for d in diagnostics):
        return None, diagnostics
    catalog, found = compile_files(parsed)
    return catalog, diagnostics + found


def plan_files(paths: Sequence[str | Path] | str | Path
               ) -> tuple[list[Path], list[Diagnostic]]:
    """The files named, and the ``*.plan`` files of the folders named (sorted, each once)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    files: list[Path] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()
    if not paths:
        problems.append(Diagnostic("no plan files given", None,
                                   hint="name plan files or folders: `tierwise check plans/`"))
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob(f"*{PLAN_SUFFIX}") if p.is_file())
            if not found:
                problems.append(Diagnostic(f"no {PLAN_SUFFIX} files in this folder",
                                           SourceSpan(str(path), 0, 0),
                                           hint=f"plan files end in {PLAN_SUFFIX}"))
        elif path.exists():
            found = [path]
        else:
            problems.append(Diagnostic("no such file or folder", SourceSpan(str(path), 0, 0)))
            continue
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, problems


def read_plan_text(path: Path) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or a located diagnostic saying why it cannot be a plan."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, Diagnostic(f"cannot read this file: {exc.strerror or exc}",
                                SourceSpan(name, 0, 0))
    if not data.strip():
        return None, Diagnostic("empty file", SourceSpan(name, 1, 1, 1, 1),
                                hint="a plan file holds `calendar NAME { ... }` and "
                                     "`plan NAME { ... }` blocks (see docs/language.md)")
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _byte_position(data, nul)
        return None, Diagnostic("this is a binary file, not plan text", SourceSpan(
            name, line, column, line, column), hint="plan files are UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        return None, Diagnostic(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}",
            SourceSpan(name, line, column, line, column),
            hint="save the file as UTF-8")
    return text.removeprefix("\ufeff"), None


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column

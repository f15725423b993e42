"""pytest plugin: snapshot-test support terms in a vendor's own repository.

Registered as the ``pytest11`` entry point ``tierwise``, so installing tierwise (and
syrupy, which keeps the snapshot files) is enough::

    def test_q3_terms(tierwise_snapshot):
        tierwise_snapshot("plans/acme.plan", "scenarios/q3.toml")

The full simulation result (deadlines, statuses, invoices, credits) is rendered as TOML and
compared with a snapshot file stored next to the test
(``__snapshots__/<test file>/<test name>.toml``), so a change of terms shows in review as a
readable diff. ``pytest --snapshot-update`` rewrites the files, as everywhere in syrupy.

A mismatch fails the test with a unified diff of the TOML (``-`` the stored snapshot, ``+``
the new result), each hunk labelled with the ticket, invoice or credit it is in. A plan or
scenario with errors fails the test with tierwise's located messages (file:line:col, the
source line, a caret, a hint) instead of a traceback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion

    from tierwise.engine.pipeline import SimulationResult

PathArg = str | Path

#: Lines of unchanged TOML shown around each change in a failure message.
DIFF_CONTEXT = 3
#: A failure message shows at most this many diff lines (the snapshot file has the rest).
DIFF_MAX_LINES = 400


class TierwiseSnapshot(Protocol):
    """The callable the ``tierwise_snapshot`` fixture returns (for type hints in tests)."""

    def __call__(self, plans: PathArg | Sequence[PathArg], scenario: PathArg,
                 *, name: str | None = None) -> SimulationResult: ...


def _extension_class() -> type[Any]:
    """Built on first use so that merely installing tierwise never imports syrupy."""
    from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

    class TierwiseSnapshotExtension(SingleFileSnapshotExtension):
        """One reviewable TOML file per snapshot."""

        _write_mode = WriteMode.TEXT
        file_extension = "toml"

    return TierwiseSnapshotExtension


_EXTENSION: type[Any] | None = None


def snapshot_extension() -> type[Any]:
    """The syrupy extension class that stores a snapshot as one ``.toml`` file."""
    global _EXTENSION
    if _EXTENSION is None:
        _EXTENSION = _extension_class()
    return _EXTENSION


def _syrupy_snapshot(request: pytest.FixtureRequest) -> SnapshotAssertion:
    """syrupy's ``snapshot`` fixture, with a clear message when syrupy is not installed."""
    try:
        import syrupy  # noqa: F401
    except ImportError:
        pytest.fail("tierwise_snapshot needs syrupy, which keeps the snapshot files: "
                    "pip install syrupy", pytrace=False)
    snapshot: SnapshotAssertion = request.getfixturevalue("snapshot")
    return snapshot.use_extension(snapshot_extension())


def _resolve(root: Path, path: PathArg) -> Path:
    """Relative paths are taken from pytest's rootdir, so tests do not depend on the cwd."""
    p = Path(path)
    return p if p.is_absolute() else root / p


def _relative(text: str, root: Path) -> str:
    """Drop the rootdir from file names in messages, as in the snapshots themselves."""
    return text.replace(str(root.resolve()) + "/", "").replace(str(root) + "/", "")


def _replay(plan_paths: list[Path], scenario_path: Path, root: Path) -> SimulationResult | str:
    """The replay's result, or tierwise's located messages (file:line:col, caret, hint)."""
    from tierwise.engine.errors import TierwiseError
    from tierwise.engine.pipeline import simulate_files
    from tierwise.engine.scenario_io import render_diagnostics

    try:
        return simulate_files(plan_paths, scenario_path)
    except TierwiseError as exc:
        diagnostics = list(exc.diagnostics)
    names = ", ".join(_relative(str(p), root) for p in [*plan_paths, scenario_path])
    errors = [d for d in diagnostics if d.severity == "error"] or diagnostics
    count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
    message = f"tierwise could not replay {names}: {count}\n\n{render_diagnostics(diagnostics)}"
    return _relative(message, root)


def _keep_snapshot(assertion: SnapshotAssertion, name: str | None,
                   error: Exception | None) -> None:
    """Record a failed check for a replay that never produced a result.

    Without it syrupy would see the stored snapshot as unused, say so, and delete it under
    ``--snapshot-update``: a typo in a plan must not cost the reviewed snapshot. This uses
    syrupy's result records, so it is best effort: if they change shape, nothing breaks
    (the snapshot is then merely reported unused, as before).
    """
    try:
        from syrupy.assertion import AssertionResult

        index = name or assertion.num_executions
        ext, where = assertion.extension, assertion.test_location
        location = ext.get_location(test_location=where, index=index)
        stored = Path(location)
        assertion.executions[assertion.num_executions] = AssertionResult(
            snapshot_location=location,
            snapshot_name=ext.get_snapshot_name(test_location=where, index=index),
            asserted_data=None,
            recalled_data=stored.read_text(encoding="utf-8") if stored.is_file() else None,
            created=False, updated=False, success=False, exception=error,
            test_location=where,
        )
    except Exception:  # pragma: no cover - depends on syrupy's internals
        pass


# ---- a readable diff -------------------------------------------------------------------

_HEADER = re.compile(r"^\[\[?([A-Za-z0-9_.]+)\]\]?$")
_KEY_VALUE = re.compile(r'^([A-Za-z_]+) = "?([^"]*)"?$')
#: The keys that tell a reader which row of an array of tables a change is in.
_IDENTITY: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket",),
    "tickets.targets": ("metric", "occurrence"),
    "invoices": ("customer", "period"),
    "invoices.lines": ("text",),
    "credits": ("customer", "name", "period"),
    "queue": ("ticket",),
    "summary.groups": ("plan", "priority"),
}


def _row_label(lines: Sequence[str], header_at: int, keys: tuple[str, ...]) -> str:
    """``key value, key value`` from the keys right under the header at ``header_at``."""
    found: dict[str, str] = {}
    for line in lines[header_at + 1:]:
        if line.startswith("["):
            break
        m = _KEY_VALUE.match(line)
        if m and m.group(1) in keys:
            found[m.group(1)] = m.group(2)
    return ", ".join(f"{k} {found[k]}" for k in keys if k in found)


def _where(lines: Sequence[str], index: int) -> str:
    """Where the line at ``index`` is, for a hunk header: e.g.
    ``invoices (customer acme, period 2026-03) > lines (text fee START 2026-03)`` or
    ``tickets (ticket T-7) > targets (metric response, occurrence 0) > deadline``;
    '' for the top-level keys."""
    index = min(index, len(lines) - 1)
    header_at = next((i for i in range(index, -1, -1) if _HEADER.match(lines[i])), None)
    if header_at is None:
        return ""
    name = _HEADER.match(lines[header_at]).group(1)  # type: ignore[union-attr]
    parts = name.split(".")
    labels: list[str] = []
    covered = 0
    for n in range(1, len(parts) + 1):
        prefix = ".".join(parts[:n])
        keys = _IDENTITY.get(prefix)
        if keys is None:
            continue
        row = next((i for i in range(header_at, -1, -1) if lines[i] == f"[[{prefix}]]"), None)
        if row is None:
            continue
        label = _row_label(lines, row, keys)
        part = ".".join(parts[covered:n])
        labels.append(f"{part} ({label})" if label else part)
        covered = n
    if covered < len(parts):
        labels.append(".".join(parts[covered:]))
    return " > ".join(labels)


def snapshot_diff(old: str, new: str, *, context: int = DIFF_CONTEXT) -> list[str]:
    """A unified diff of two TOML renderings, each hunk header naming where it is.

    ``-`` lines are the stored snapshot, ``+`` lines the new result.
    """
    a, b = old.splitlines(), new.splitlines()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        a0, a1, b0, b1 = first[1], last[2], first[3], last[4]
        # The first changed line decides the label (not the leading context).
        changed = next(op for op in group if op[0] != "equal")
        where = _where(b, changed[3]) if changed[3] < len(b) else _where(a, changed[1])
        out.append(f"@@ -{a0 + 1},{a1 - a0} +{b0 + 1},{b1 - b0} @@ {where}".rstrip())
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in a[i1:i2])
                continue
            out.extend("-" + line for line in a[i1:i2])
            out.extend("+" + line for line in b[j1:j2])
    return out


def _failure_message(assertion: SnapshotAssertion, received: str, root: Path) -> str:
    """What a reviewer needs: which snapshot, what changed, how to accept the change."""
    result = assertion.executions[assertion.num_executions - 1]
    location = _relative(str(result.snapshot_location), root)
    if result.exception is not None:
        return f"snapshot {location} could not be read: {result.exception!r}"
    update = "run pytest with --snapshot-update, then review and commit the file"
    if result.recalled_data is None:
        return f"snapshot {location} does not exist yet; to create it, {update}"
    lines = snapshot_diff(str(result.recalled_data), received)
    more = len(lines) - DIFF_MAX_LINES
    if more > 0:
        lines = [*lines[:DIFF_MAX_LINES], f"... {more} more diff lines"]
    return "\n".join([
        f"the result differs from snapshot {location}",
        "(- snapshot, + this run; if the change is intended, " + update + ")",
        f"--- {location}",
        "+++ this run",
        *lines,
    ])


@pytest.fixture
def tierwise_snapshot(request: pytest.FixtureRequest) -> TierwiseSnapshot:
    """Simulate plan file(s) against a scenario and compare the result with its snapshot.

    Paths are relative to pytest's rootdir; file names inside the snapshot are written
    relative to it too, so snapshots do not depend on where the repository is checked out.
    Call it several times in one test with ``name=`` to keep several snapshots.
    """
    from tierwise.engine.report import to_toml

    root = Path(str(request.config.rootpath))
    snapshot = _syrupy_snapshot(request)

    def check(plans: PathArg | Sequence[PathArg], scenario: PathArg,
              *, name: str | None = None) -> SimulationResult:
        __tracebackhide__ = True
        plan_list = [plans] if isinstance(plans, str | Path) else list(plans)
        plan_paths = [_resolve(root, p) for p in plan_list]
        try:
            result = _replay(plan_paths, _resolve(root, scenario), root)
        except Exception as exc:  # a bug, not bad input: keep the traceback, and the snapshot
            _keep_snapshot(snapshot, name, exc)
            raise
        if isinstance(result, str):
            _keep_snapshot(snapshot, name, None)
            pytest.fail(result, pytrace=False)
        text = to_toml(result, relative_to=root)
        assertion = snapshot(name=name) if name else snapshot
        matches: bool = assertion == text  # syrupy records the outcome (and updates)
        if not matches:
            pytest.fail(_failure_message(assertion, text, root), pytrace=False)
        return result

    return check

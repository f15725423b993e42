"""pytest plugin: snapshot-test support terms in a vendor's own repository.

Registered as the ``pytest11`` entry point ``tierwise``, so installing tierwise is enough::

    def test_standard_terms(tierwise_snapshot):
        tierwise_snapshot("plans/acme.plan", "scenarios/q3.toml")

The full simulation result (deadlines, statuses, invoices, credits) is rendered as TOML and
compared with a snapshot file stored next to the test
(``__snapshots__/<test file>/<test name>.toml``), so a change of terms shows in review as a
readable diff. ``pytest --snapshot-update`` rewrites the files, as everywhere in syrupy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion

    from tierwise.engine.pipeline import SimulationResult


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
    global _EXTENSION
    if _EXTENSION is None:
        _EXTENSION = _extension_class()
    return _EXTENSION


TierwiseSnapshot = Callable[..., "SimulationResult"]


@pytest.fixture
def tierwise_snapshot(
    snapshot: SnapshotAssertion, request: pytest.FixtureRequest
) -> TierwiseSnapshot:
    """Simulate plan file(s) against a scenario and compare the result with its snapshot.

    Paths are relative to pytest's rootdir; file names inside the snapshot are written
    relative to it too, so snapshots do not depend on where the repository is checked out.
    """
    from tierwise.engine.pipeline import simulate_files
    from tierwise.engine.report import to_toml

    root = Path(str(request.config.rootpath))

    def check(plans: str | Path | Sequence[str | Path], scenario: str | Path,
              *, name: str | None = None) -> SimulationResult:
        plan_list = [plans] if isinstance(plans, str | Path) else list(plans)
        plan_paths = [p if Path(p).is_absolute() else root / p for p in plan_list]
        scenario_path = Path(scenario) if Path(scenario).is_absolute() else root / scenario
        result = simulate_files(plan_paths, scenario_path)
        text = to_toml(result, relative_to=root)
        assertion = snapshot(extension_class=snapshot_extension(), name=name)
        assert assertion == text
        return result

    return check

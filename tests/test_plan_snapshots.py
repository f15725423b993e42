"""The seed vendors' plans replayed against their example scenarios, snapshotted.

Each ``plans/<vendor>.plan`` has ``plans/scenarios/<vendor>.toml``; the full result
(deadlines, statuses, invoices, credits) is kept as a readable TOML file under
``tests/__snapshots__/test_plan_snapshots/``. A change to a plan, or to what the engine
computes from it, shows up in review as a diff of those files. Update them deliberately
with ``pytest tests/test_plan_snapshots.py --snapshot-update`` and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.testing.plugin import TierwiseSnapshot

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted(p.stem for p in (ROOT / "plans").glob("*.plan"))


def test_every_plan_has_an_example_scenario() -> None:
    """A new plan file without its scenario would silently escape the snapshots."""
    missing = [v for v in PLANS if not (ROOT / "plans" / "scenarios" / f"{v}.toml").is_file()]
    assert PLANS, "no plans found"
    assert not missing, f"plans without plans/scenarios/<name>.toml: {missing}"


@pytest.mark.parametrize("vendor", PLANS)
def test_plan_snapshot(tierwise_snapshot: TierwiseSnapshot, vendor: str) -> None:
    tierwise_snapshot(f"plans/{vendor}.plan", f"plans/scenarios/{vendor}.toml")

"""The tierwise engine: plan text -> rules -> simulation results.

The public API, for scripts and notebooks (imported lazily, so ``tierwise check`` does
not pay for the simulator's imports)::

    from tierwise.engine import load_catalog, simulate_files
    catalog = load_catalog(["plans/"])
    result = simulate_files(["plans/shipping.plan"], "plans/scenarios/shipping.toml")
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "load_catalog": "tierwise.engine.plans",
    "compile_text": "tierwise.engine.plans",
    "load_scenario": "tierwise.engine.scenario_io",
    "open_scenario": "tierwise.engine.scenario_io",
    "simulate": "tierwise.engine.pipeline",
    "simulate_files": "tierwise.engine.pipeline",
    "SimulationResult": "tierwise.engine.pipeline",
    "BusinessCalendar": "tierwise.engine.calendars",
    "calendar_for": "tierwise.engine.calendars",
    "Simulator": "tierwise.engine.simulator",
    "TierwiseError": "tierwise.engine.errors",
    "PlanError": "tierwise.engine.errors",
    "ScenarioError": "tierwise.engine.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tierwise.engine' has no attribute {name!r}")
    return getattr(import_module(module), name)

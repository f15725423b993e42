"""Machine-readable renderings of a simulation: a JSON-ready dict, JSON text, TOML text.

The dict is the published result format (``tierwise schema result``); TOML is the same
data for people and for snapshot files. Both are deterministic (stable key and row order)
so that a change of terms shows as a small diff.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import tomli_w
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator

from tierwise.engine.errors import Diagnostic
from tierwise.engine.pipeline import SimulationResult
from tierwise.engine.results import result_schema

#: The ``format`` key of the document; ``result.schema.json`` pins it with ``const``.
RESULT_FORMAT_VERSION = 1


def to_dict(result: SimulationResult, *, relative_to: str | Path | None = None) -> dict[str, Any]:
    """The published result document; file names made relative to ``relative_to``."""
    money = result.money
    doc: dict[str, Any] = {
        "format": RESULT_FORMAT_VERSION,
        "scenario": result.scenario,
        "as_of": result.as_of.isoformat(),
        "plan_files": list(result.plan_files),
        "ticket_count": result.ticket_count,
        "tickets": [t.to_dict() for t in result.tickets],
        "summary": result.summary,
        "money": money.totals(),
        "invoices": [inv.to_dict() for inv in money.invoices],
        "credits": [c.to_dict() for c in money.credits],
        "queue": [q.to_dict() for q in result.queue],
        "diagnostics": [_diagnostic(d) for d in result.diagnostics],
    }
    if relative_to is not None:
        prefix = str(Path(relative_to).resolve()) + "/"
        doc = _strip_prefix(doc, prefix)
    return doc


def _diagnostic(diag: Diagnostic) -> dict[str, Any]:
    return {
        "severity": diag.severity,
        "message": diag.message,
        "where": str(diag.span) if diag.span is not None else None,
        "path": diag.path,
        "hint": diag.hint,
    }


def _strip_prefix(value: Any, prefix: str) -> Any:
    """Drop an absolute folder from every string, so output does not depend on the checkout."""
    if isinstance(value, str):
        return value.replace(prefix, "")
    if isinstance(value, dict):
        return {k: _strip_prefix(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_prefix(v, prefix) for v in value]
    return value


def to_json(result: SimulationResult, *, relative_to: str | Path | None = None) -> str:
    """The published document as indented JSON (UTF-8 kept readable)."""
    return json.dumps(to_dict(result, relative_to=relative_to), indent=2, ensure_ascii=False)


def _tomlable(value: Any) -> Any:
    """TOML has no null: drop None values (and empty tables inside arrays stay tables)."""
    if isinstance(value, dict):
        return {k: _tomlable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_tomlable(v) for v in value if v is not None]
    if isinstance(value, float):
        return round(value, 6)
    return value


def toml_text(doc: dict[str, Any]) -> str:
    """Any JSON-ready document as TOML (None values dropped: TOML has no null)."""
    return tomli_w.dumps(_tomlable(doc))


def to_toml(result: SimulationResult, *, relative_to: str | Path | None = None) -> str:
    """The result as TOML: one ``[[tickets]]``, ``[[invoices]]``... table per row."""
    return toml_text(to_dict(result, relative_to=relative_to))


@cache
def _validator() -> Validator:
    return Draft202012Validator(result_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(doc: Mapping[str, Any], *, limit: int = 20) -> list[str]:
    """Where ``doc`` departs from ``result.schema.json`` (``$.path: message``); [] when valid.

    Used by the tests and the real-data replay to keep the published schema honest.
    """
    errors = []
    for error in _validator().iter_errors(doc):
        errors.append(f"{error.json_path}: {error.message[:300]}")
        if len(errors) >= limit:
            break
    return errors

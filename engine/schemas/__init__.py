"""The JSON Schemas the package publishes (``*.schema.json`` files next to this module).

They are package data so that ``tierwise schema NAME`` and validation read the very same
files a user can feed to their own tools.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SUFFIX = ".schema.json"


def available() -> list[str]:
    """Names of the shipped schemas (``scenario``, ``ticket``, ``result``...), sorted."""
    names = []
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(SUFFIX) and entry.is_file():
            names.append(entry.name[: -len(SUFFIX)])
    return sorted(names)


@cache
def _load(name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(name + SUFFIX).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):  # pragma: no cover - guarded by the tests
        raise ValueError(f"schema {name!r} is not a JSON object")
    return data


def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema ``NAME.schema.json``; ``KeyError`` naming the choices if absent.

    Returns the cached object: treat it as read-only.
    """
    if name not in available():
        raise KeyError(f"no schema named {name!r}; choose from: {', '.join(available())}")
    return _load(name)

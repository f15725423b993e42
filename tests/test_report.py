"""The published result document (engine/report.py) and its schema (result.schema.json).

The schema is a promise to users' own tools, so these tests tie it to the code from both
sides: every key ``to_dict`` writes is described (and required), the copies of the money
stage's schemas and of the enums cannot drift, and real replays of every example plan
validate against it.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import tomli_w
from click.testing import CliRunner

from tierwise.cli.main import cli
from tierwise.engine.invoices import CREDIT_SCHEMA, INVOICE_SCHEMA, CreditStatus, LineKind
from tierwise.engine.model import Commitment, Metric
from tierwise.engine.pipeline import SimulationResult, simulate_files
from tierwise.engine.quantities import Clock
from tierwise.engine.report import (
    RESULT_FORMAT_VERSION,
    schema_errors,
    to_dict,
    to_json,
    to_toml,
)
from tierwise.engine.results import Status, result_schema

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "plans"
SCHEMA_FILE = ROOT / "engine" / "schemas" / "result.schema.json"
Q1 = ROOT / "tests" / "data" / "scenarios"


def _example_pairs() -> list[tuple[str, str]]:
    """(plan file, scenario) for every plans/scenarios/<vendor>.toml with a plans/<vendor>.plan."""
    folder = PLANS / "scenarios"
    if not folder.is_dir():
        return []
    return [(f"plans/{s.stem}.plan", f"plans/scenarios/{s.name}")
            for s in sorted(folder.glob("*.toml")) if (PLANS / f"{s.stem}.plan").is_file()]


EXAMPLES = _example_pairs()


@cache
def _replay(plan: str, scenario: str, summary_only: bool = False) -> SimulationResult:
    return simulate_files([ROOT / plan], ROOT / scenario, keep_tickets=not summary_only)


def _without_none(value: Any) -> Any:
    """What TOML keeps of a JSON value (it has no null)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    return value


def _q1_for_shipping(tmp_path: Path) -> Iterator[Path]:
    """tests/data/scenarios/q1 in its three formats, minus the pack and the claim that
    the shipping plans do not sell, so that it replays against plans/shipping.plan."""
    toml_doc = tomllib.loads((Q1 / "q1.toml").read_text(encoding="utf-8"))
    for sub in toml_doc["subscriptions"]:
        sub.pop("packs", None)
        sub.pop("claims", None)
    (tmp_path / "q1.toml").write_text(tomli_w.dumps(toml_doc), encoding="utf-8")
    yield tmp_path / "q1.toml"
    json_doc = json.loads((Q1 / "q1.json").read_text(encoding="utf-8"))
    for sub in json_doc["subscriptions"]:
        sub.pop("packs", None)
        sub.pop("claims", None)
    (tmp_path / "q1.json").write_text(json.dumps(json_doc), encoding="utf-8")
    yield tmp_path / "q1.json"
    lines = (Q1 / "q1.jsonl").read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    for sub in header["subscriptions"]:
        sub.pop("packs", None)
        sub.pop("claims", None)
    (tmp_path / "q1.jsonl").write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n",
                                       encoding="utf-8")
    yield tmp_path / "q1.jsonl"


# --------------------------------------------------------------------------- the schema


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(result_schema())


def test_invoice_and_credit_parts_equal_the_money_stage_constants() -> None:
    defs = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["$defs"]
    assert {k: v for k, v in defs["invoice"].items() if k != "$comment"} == INVOICE_SCHEMA
    assert {k: v for k, v in defs["credit"].items() if k != "$comment"} == CREDIT_SCHEMA


def test_enums_equal_the_python_enums() -> None:
    defs = result_schema()["$defs"]
    assert defs["status"]["enum"] == [s.value for s in Status]
    target = defs["target"]["properties"]
    assert target["metric"]["enum"] == [m.value for m in Metric]
    assert target["commitment"]["enum"] == [c.value for c in Commitment]
    assert target["clock"]["enum"] == [c.value for c in Clock]
    assert defs["queue_entry"]["properties"]["metric"]["enum"] == [m.value for m in Metric]
    line = defs["invoice"]["properties"]["lines"]["items"]
    assert line["properties"]["kind"]["enum"] == [k.value for k in LineKind]
    assert defs["credit"]["properties"]["status"]["enum"] == [s.value for s in CreditStatus]
    assert result_schema()["properties"]["format"] == {
        "const": RESULT_FORMAT_VERSION,
        "description": result_schema()["properties"]["format"]["description"]}


def test_schema_names_exactly_the_keys_to_dict_writes(tmp_path: Path) -> None:
    path = next(_q1_for_shipping(tmp_path))
    doc = to_dict(simulate_files([PLANS / "shipping.plan"], path))
    schema = result_schema()
    assert set(schema["properties"]) == set(doc)
    assert set(schema["then"]["required"]) == set(doc)


def test_schema_command_prints_the_shipped_file() -> None:
    result = CliRunner().invoke(cli, ["schema", "result"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- real documents


@pytest.mark.skipif(not EXAMPLES, reason="no plans/scenarios/*.toml yet")
@pytest.mark.parametrize(("plan", "scenario"), EXAMPLES, ids=[p for p, _ in EXAMPLES])
def test_every_example_plan_replays_to_a_valid_document(plan: str, scenario: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    printed = CliRunner().invoke(cli, ["simulate", plan, scenario, "--format", "json"])
    assert printed.exit_code == 0, printed.output
    assert schema_errors(json.loads(printed.stdout)) == []
    result = _replay(plan, scenario)
    doc = to_dict(result)
    assert json.loads(printed.stdout) == to_dict(result, relative_to=ROOT)
    assert schema_errors(doc) == []
    assert doc["format"] == RESULT_FORMAT_VERSION
    assert doc["ticket_count"] == len(doc["tickets"]) > 0
    assert json.loads(to_json(result)) == doc
    assert tomllib.loads(to_toml(result)) == _without_none(doc)


@pytest.mark.skipif(not EXAMPLES, reason="no plans/scenarios/*.toml yet")
@pytest.mark.parametrize(("plan", "scenario"), EXAMPLES[:2], ids=[p for p, _ in EXAMPLES[:2]])
def test_summary_only_documents_are_valid_and_keep_the_count(plan: str, scenario: str) -> None:
    full, short = to_dict(_replay(plan, scenario)), to_dict(_replay(plan, scenario, True))
    assert schema_errors(short) == []
    assert short["tickets"] == []
    assert short["ticket_count"] == full["ticket_count"]
    assert short["summary"] == full["summary"]
    assert short["invoices"] == full["invoices"]


def test_the_three_scenario_formats_give_valid_and_equal_documents(tmp_path: Path) -> None:
    docs = [to_dict(simulate_files([PLANS / "shipping.plan"], path))
            for path in _q1_for_shipping(tmp_path)]
    for doc in docs:
        assert schema_errors(doc) == []
    assert len(docs) == 3
    for doc in docs[1:]:
        assert doc["summary"] == docs[0]["summary"]
        assert doc["invoices"] == docs[0]["invoices"]


def test_relative_to_strips_the_checkout_folder(tmp_path: Path) -> None:
    path = next(_q1_for_shipping(tmp_path))
    result = simulate_files([PLANS / "shipping.plan"], path)
    doc = to_dict(result, relative_to=ROOT)
    assert doc["plan_files"] == ["plans/shipping.plan"]
    assert str(ROOT) not in json.dumps(doc)
    assert doc["tickets"][0]["targets"][0]["rule"]["ref"].startswith("plans/shipping.plan:")


# --------------------------------------------------------------------------- strictness


@pytest.fixture(scope="module")
def valid_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = next(_q1_for_shipping(tmp_path_factory.mktemp("q1")))
    return to_dict(simulate_files([PLANS / "shipping.plan"], path))


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda d: d.pop("money"), id="missing money"),
    pytest.param(lambda d: d.pop("queue"), id="missing queue"),
    pytest.param(lambda d: d.update(extra=1), id="unknown key"),
    pytest.param(lambda d: d.update(format=2), id="other format"),
    pytest.param(lambda d: d.update(as_of={"local": "x", "utc": "y"}), id="as_of object"),
    pytest.param(lambda d: d["summary"]["totals"].update(breach_rate=1.5), id="rate > 1"),
    pytest.param(lambda d: d["tickets"][0]["targets"][0].update(status="late"), id="status"),
    pytest.param(lambda d: d["invoices"][0].update(net=12.5), id="float money"),
    pytest.param(lambda d: d["money"].update(euro={}), id="bad currency"),
    pytest.param(lambda d: d["diagnostics"].append({"severity": "info"}), id="diagnostic"),
])
def test_departures_from_the_published_shape_are_rejected(valid_doc: dict[str, Any],
                                                          mutate: Any) -> None:
    doc = copy.deepcopy(valid_doc)
    assert schema_errors(doc) == []
    mutate(doc)
    assert schema_errors(doc)

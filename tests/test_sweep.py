"""`sweep`: grid parsing, the cartesian product, and parallel runs (processes and Dask)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tierwise.cli.main import cli
from tierwise.engine.overrides import OverrideError
from tierwise.engine.plans import compile_text
from tierwise.engine.sweep import (
    check_points,
    evaluate,
    grid_points,
    parse_grid,
    run_local,
)

TERMS = """\
calendar office {
    zone Europe/Warsaw
    open mon-fri 08:00-16:00
}

plan BASIC {
    calendar office
    priorities urgent, normal
    fee 100 EUR per month
    response within 8 business hours
    rate remote 60 EUR per hour, billed per started 15min
    credit 10% of fee per missed guarantee
}
"""

SCENARIO = """\
as_of = "2026-03-01T00:00:00+01:00"

[[subscriptions]]
customer = "acme"
plan = "BASIC"
start = "2026-01-01T00:00:00+01:00"

[[tickets]]
id = "T1"
customer = "acme"
created = "2026-01-05T09:00:00+01:00"
priority = "normal"
events = [
  { at = "2026-01-05T15:00:00+01:00", type = "replied" },
  { at = "2026-01-05T15:30:00+01:00", type = "work", kind = "remote", duration = "1h" },
]

[[tickets]]
id = "T2"
customer = "acme"
created = "2026-01-12T09:00:00+01:00"
priority = "urgent"
events = [{ at = "2026-01-12T12:00:00+01:00", type = "replied" }]
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    terms = tmp_path / "terms.plan"
    terms.write_text(TERMS, encoding="utf-8")
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    return {"terms": terms, "scenario": scenario}


def values(text: str) -> list[str]:
    return [o.value for o in parse_grid(text).values]


# --------------------------------------------------------------------------- the grid


@pytest.mark.parametrize(("text", "expected"), [
    ("X.response=2h..12h/2h", ["2h", "4h", "6h", "8h", "10h", "12h"]),
    ("X.response=30min..2h/45min", ["30min", "1h15min", "2h"]),
    ("X.response=2 business hours..4 business hours/1h",
     ["2 business hours", "3 business hours", "4 business hours"]),
    ("X.fee=599PLN..999PLN/100PLN", ["599 PLN", "699 PLN", "799 PLN", "899 PLN", "999 PLN"]),
    ("X.fee=€9.50..€10.50/0.50 EUR", ["9.50 EUR", "10.00 EUR", "10.50 EUR"]),
    ("X.vat=20%..23%/1%", ["20%", "21%", "22%", "23%"]),
    ("X.resolution=1 business day..3 business days/1 day",
     ["1 business day", "2 business days", "3 business days"]),
    ("X.minimum_term=3 months..9 months/3 months", ["3 months", "6 months", "9 months"]),
    ("X.response=4h,6h, 8 business hours", ["4h", "6h", "8 business hours"]),
    ("X.fee=129,00 zł,149,50 zł", ["129,00 zł", "149,50 zł"]),
    ("X.fee=1,800 EUR,2,000 EUR", ["1,800 EUR", "2,000 EUR"]),
    ("X.fee=450 EUR", ["450 EUR"]),
])
def test_grid_values(text: str, expected: list[str]) -> None:
    assert values(text) == expected


def test_list_values_point_at_their_own_text() -> None:
    axis = parse_grid("BASIC.response=4h, 6h")
    assert axis.path == "BASIC.response"
    for override in axis.values:
        assert axis.source[override.value_at[0]:override.value_at[1]] == override.value


@pytest.mark.parametrize(("text", "message"), [
    ("X.response=2h..12h/0h", "the step must be more than zero"),
    ("X.response=12h..2h/2h", "the range ends before it starts"),
    ("X.response=2h..12PLN/2h", "three values of one kind"),
    ("X.fee=1 EUR..9 PLN/1 EUR", "one currency"),
    ("X.response=2h..4 business hours/1h", "the same clock"),
    ("X.response=1min..1000h/1min", "at most"),
    ("X.response=4h,,6h", "empty value"),
    ("X.response=2h..x/1h", "cannot read 'x'"),
])
def test_grid_errors(text: str, message: str) -> None:
    with pytest.raises(OverrideError) as info:
        parse_grid(text)
    assert message in info.value.diagnostics[0].message


def test_points_are_the_cartesian_product_first_axis_slowest() -> None:
    axes = [parse_grid("A.response=4h,6h"), parse_grid("A.fee=1 EUR..3 EUR/1 EUR")]
    points = grid_points(axes)
    assert [tuple(o.value for o in p.values) for p in points] == [
        ("4h", "1 EUR"), ("4h", "2 EUR"), ("4h", "3 EUR"),
        ("6h", "1 EUR"), ("6h", "2 EUR"), ("6h", "3 EUR")]
    assert [p.index for p in points] == list(range(6))


def test_bad_values_are_found_before_running() -> None:
    catalog = compile_text(TERMS, "terms.plan")
    axes = [parse_grid("BASIC.fee=100 EUR,100 PLN"), parse_grid("BASIC.response.nrml=4h")]
    with pytest.raises(OverrideError) as info:
        check_points(catalog, axes, grid_points(axes))
    messages = [d.message for d in info.value.diagnostics]
    assert any("is in PLN" in m for m in messages)
    assert any("no priority 'nrml'" in m for m in messages)
    caret = info.value.render().splitlines()
    assert "--grid BASIC.fee=100 EUR,100 PLN" in caret[1]


def test_evaluate_and_serial_run(files: dict[str, Path]) -> None:
    catalog = compile_text(TERMS, str(files["terms"]))
    points = grid_points([parse_grid("BASIC.response=2h..6h/2h")])
    rows = sorted(run_local(catalog, files["scenario"], points, workers=1),
                  key=lambda r: r["point"])
    # T1 answered after 6 business hours, T2 after 3
    assert [r["breached"] for r in rows] == [2, 1, 0]
    assert rows[0]["BASIC.response"] == "2h"
    assert rows[0]["money"]["EUR"]["fees"] == "200.00"
    assert rows[0]["money"]["EUR"]["credits"] == "20.00"  # 10% of the fee per miss
    assert rows[2]["money"]["EUR"]["net"] == "260.00"  # 2 fees + 1h of remote work
    from tierwise.engine.scenario_io import load_scenario

    scenario = load_scenario(files["scenario"])
    direct = evaluate(catalog, scenario.header, scenario.tickets, points[0])
    timings = ("seconds", "cpu_seconds")
    assert {k: v for k, v in direct.items() if k not in timings} == {
        k: v for k, v in rows[0].items() if k not in timings}


# --------------------------------------------------------------------------- command line


def sweep(*args: str) -> Any:
    return CliRunner().invoke(cli, ["sweep", *args])


def test_cli_parallel_csv_matches_a_serial_run(files: dict[str, Path]) -> None:
    args = [str(files["terms"]), str(files["scenario"]), "--grid", "BASIC.response=2h..6h/2h",
            "--grid", "BASIC.fee=100 EUR,150 EUR", "--format", "csv"]
    parallel = sweep(*args, "--workers", "2")
    assert parallel.exit_code == 0, parallel.output
    assert "6 points on 2 local workers" in parallel.stderr
    rows = sorted(csv.DictReader(io.StringIO(parallel.stdout)), key=lambda r: int(r["point"]))
    assert [(r["BASIC.response"], r["BASIC.fee"], r["breached"]) for r in rows] == [
        ("2h", "100 EUR", "2"), ("2h", "150 EUR", "2"), ("4h", "100 EUR", "1"),
        ("4h", "150 EUR", "1"), ("6h", "100 EUR", "0"), ("6h", "150 EUR", "0")]
    assert rows[1]["revenue_EUR"] == "360.00" and rows[1]["credits_EUR"] == "30.00"
    serial = sweep(*args, "--workers", "1")
    assert sorted(csv.DictReader(io.StringIO(serial.stdout)),
                  key=lambda r: int(r["point"])) == rows


def test_cli_jsonl_table_and_base_set(files: dict[str, Path]) -> None:
    jsonl = sweep(str(files["terms"]), str(files["scenario"]), "--grid", "BASIC.response=4h,8h",
                  "--set", "BASIC.fee=50 EUR", "-f", "jsonl", "--workers", "1")
    assert jsonl.exit_code == 0, jsonl.output
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert {r["fees_EUR"] for r in rows} == {"100.00"}  # --set applies to every point
    assert "BASIC.fee" not in rows[0]  # only the grid's axes are columns
    table = sweep(str(files["terms"]), str(files["scenario"]), "--grid", "BASIC.response=4h,8h",
                  "--workers", "1")
    assert table.exit_code == 0 and "Sweep: 2 points" in table.stdout
    assert "BASIC.response" in table.stdout and "revenue EUR" in table.stdout


def test_cli_output_file(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    args = [str(files["terms"]), str(files["scenario"]), "--grid", "BASIC.response=4h,8h",
            "-f", "csv", "--workers", "1", "-o", str(out)]
    assert sweep(*args).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("point,BASIC.response,")
    out.write_text("mine", encoding="utf-8")
    again = sweep(*args)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert out.read_text(encoding="utf-8") == "mine"
    assert sweep(*args, "--force").exit_code == 0
    assert list(tmp_path.glob(".sweep.csv.*")) == []  # no temporary file left behind


def test_cli_bad_grid_exits_2_with_a_caret(files: dict[str, Path]) -> None:
    result = sweep(str(files["terms"]), str(files["scenario"]), "--grid",
                   "BASIC.response=2h..12h/0h")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "the step must be more than zero" in lines[0]
    caret = next(line for line in lines if "^" in line)
    assert caret.index("^") == lines[1].rindex("0h")
    bad_plan = sweep(str(files["terms"]), str(files["scenario"]), "--grid", "BSIC.fee=1 EUR")
    assert bad_plan.exit_code == 2 and "did you mean 'BASIC'?" in bad_plan.stderr
    missing = sweep(str(files["terms"]), str(files["scenario"]))
    assert missing.exit_code == 2


def test_cli_scheduler_without_dask(files: dict[str, Path],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    result = sweep(str(files["terms"]), str(files["scenario"]), "--grid",
                   "BASIC.response=4h", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2
    assert "pip install 'tierwise[dask]'" in result.stderr


@pytest.mark.slow
def test_cli_on_a_dask_local_cluster(files: dict[str, Path]) -> None:
    """The Dask path against a real LocalCluster (threads, to start in about a second)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        result = sweep(str(files["terms"]), str(files["scenario"]), "--grid",
                       "BASIC.response=2h..6h/2h", "-f", "jsonl", "--scheduler",
                       cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    rows = sorted((json.loads(line) for line in result.stdout.splitlines()),
                  key=lambda r: r["point"])
    assert [r["breached"] for r in rows] == [2, 1, 0]
    assert "on Dask scheduler" in result.stderr


def test_a_bad_ticket_line_read_in_a_worker_is_a_located_error(files: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    from tierwise.engine.scenario_io import load_scenario, write_jsonl

    scenario = load_scenario(files["scenario"])
    history = tmp_path / "history.jsonl"
    write_jsonl(history, scenario.header, scenario.tickets)
    with history.open("a", encoding="utf-8") as out:
        out.write('{"type": "ticket", "id": "T9", "customer": "acme"}\n')
    result = sweep(str(files["terms"]), str(history), "--grid", "BASIC.response=4h,8h",
                   "--workers", "2", "-f", "csv")
    assert result.exit_code == 2
    assert "history.jsonl:4" in result.stderr and "Traceback" not in result.output

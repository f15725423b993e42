"""`compare`: two versions of the terms on the same tickets (engine and command line)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tierwise.cli.main import cli
from tierwise.engine.compare import Comparison, compare, compare_files
from tierwise.engine.model import Catalog
from tierwise.engine.overrides import apply_overrides
from tierwise.engine.pipeline import simulate
from tierwise.engine.plans import compile_text
from tierwise.engine.scenario_io import load_scenario, write_jsonl

TERMS = """\
calendar office {
    zone Europe/Warsaw
    open mon-fri 08:00-16:00
}

plan BASIC {
    title "Basic"
    calendar office
    priorities urgent, high, normal
    fee 100 EUR per month
    vat 23%
    response within 8 business hours
    response within 2 business hours when priority is urgent
    resolution within 5 business days
    rate remote, phone 60 EUR per hour, billed per started 15min
    included 2h per month for remote, phone
    credit 1h free per missed response guarantee
    feature "Phone support": no
}

plan PLUS extends BASIC {
    title "Plus"
    fee 200 EUR per month
    feature "Phone support": yes
}
"""

SCENARIO = """\
as_of = "2026-04-01T00:00:00+02:00"
name = "small quarter"

[[subscriptions]]
customer = "acme"
plan = "BASIC"
start = "2026-01-01T00:00:00+01:00"

[[subscriptions]]
customer = "globex"
plan = "PLUS"
start = "2026-01-01T00:00:00+01:00"

[[tickets]]
id = "T1"
customer = "acme"
created = "2026-01-05T09:00:00+01:00"
priority = "normal"
events = [
  { at = "2026-01-05T15:00:00+01:00", type = "replied" },
  { at = "2026-01-05T15:30:00+01:00", type = "work", kind = "remote", duration = "3h" },
  { at = "2026-01-06T10:00:00+01:00", type = "resolved" },
]

[[tickets]]
id = "T2"
customer = "acme"
created = "2026-01-12T09:00:00+01:00"
priority = "urgent"
events = [
  { at = "2026-01-12T10:30:00+01:00", type = "replied" },
  { at = "2026-01-12T12:00:00+01:00", type = "resolved" },
]

[[tickets]]
id = "T3"
customer = "globex"
created = "2026-02-02T09:00:00+01:00"
priority = "high"
events = [
  { at = "2026-02-02T12:00:00+01:00", type = "replied" },
  { at = "2026-02-03T09:00:00+01:00", type = "resolved" },
]
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return compile_text(TERMS, "terms.plan")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    terms = tmp_path / "terms.plan"
    terms.write_text(TERMS, encoding="utf-8")
    faster = tmp_path / "faster.plan"
    faster.write_text(TERMS.replace("response within 8 business hours",
                                    "response within 4 business hours"), encoding="utf-8")
    scenario = tmp_path / "q1.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    return {"terms": terms, "faster": faster, "scenario": scenario}


def run_compare(catalog: Catalog, sets: list[str], **kw: Any) -> Comparison:
    scenario = load_scenario_text(SCENARIO)
    new = apply_overrides(catalog, sets)
    return compare(catalog, new, scenario.header, scenario.tickets, overrides=sets, **kw)


def load_scenario_text(text: str) -> Any:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["compare", *args])


# --------------------------------------------------------------------------- engine


def test_changed_tickets_totals_and_rows(catalog: Catalog) -> None:
    result = run_compare(catalog, ["BASIC.response=4h"])
    assert result.ticket_count == 3
    # T1 answered after 6 business hours: met under 8, breached under 4 (PLUS follows BASIC)
    assert result.changed_count == 1
    (ticket,) = result.changed
    assert ticket.ticket == "T1" and ticket.targets[0].old.status.value == "met"
    assert ticket.targets[0].new.status.value == "breached"
    assert result.deadlines_moved == 2  # T2 (urgent, now 4h too) and T3: still met
    assert (result.total.old.breached, result.total.new.breached) == (0, 1)
    basic = result.rows[0]
    assert basic.plan == "BASIC" and basic.new.breach_rate == pytest.approx(0.25)
    assert [p.priority for p in basic.priorities] == ["urgent", "normal"]  # declared order
    # the missed guarantee earns a free hour on the new side
    assert (basic.old.credit_seconds, basic.new.credit_seconds) == (0, 3600)
    assert [t.text for t in result.terms][:1] == [
        "BASIC: response: 8 business hours -> 4 business hours"]
    assert result.outcomes_differ


def test_money_per_plan_and_total(catalog: Catalog) -> None:
    result = run_compare(catalog, ["BASIC.fee=120 EUR", "BASIC.rate.remote=90 EUR"])
    basic, plus = result.rows
    (old_money,), (new_money,) = basic.old.money, basic.new.money
    assert (old_money.fees, new_money.fees) == (300, 360)
    assert (old_money.work, new_money.work) == (60, 90)  # 3h - 2h included = 1h billed
    assert new_money.net == new_money.fees + new_money.work - new_money.credits
    assert plus.old.money == plus.new.money  # PLUS has its own fee; it has no work
    total_new = result.total.new.money[0]
    assert total_new.fees == 360 + 600
    assert result.changed_count == 0 and result.outcomes_differ


def test_each_side_matches_simulate(catalog: Catalog) -> None:
    """The lockstep replay computes exactly what `simulate` computes for each side."""
    sets = ["BASIC.response.urgent=1h", "PLUS.fee=150 EUR"]
    result = run_compare(catalog, sets)
    scenario = load_scenario_text(SCENARIO)
    for side, cat in ((result.old, catalog), (result.new, apply_overrides(catalog, sets))):
        alone = simulate(cat, scenario.header, scenario.tickets, keep_tickets=False)
        assert side.summary == alone.summary
        assert side.money.totals() == alone.money.totals()
        assert [i.to_dict() for i in side.money.invoices] == [
            i.to_dict() for i in alone.money.invoices]


def test_two_plans_of_one_catalog(catalog: Catalog) -> None:
    scenario = load_scenario_text(SCENARIO)
    result = compare(catalog, catalog, scenario.header, scenario.tickets,
                     plan_map={"BASIC": "PLUS"})
    basic = result.rows[0]
    assert (basic.plan, basic.new_plan) == ("BASIC", "PLUS")
    assert (basic.old.money[0].fees, basic.new.money[0].fees) == (300, 600)
    assert result.terms[0].plan == "BASIC -> PLUS"
    assert "BASIC -> PLUS: fee: 100.00 EUR per month -> 200.00 EUR per month" in [
        t.text for t in result.terms]


def test_limit_keeps_the_first_changed_tickets(catalog: Catalog) -> None:
    result = run_compare(catalog, ["BASIC.response=1h"], limit=1)
    assert result.changed_count == 3 and [c.ticket for c in result.changed] == ["T1"]
    assert len(run_compare(catalog, ["BASIC.response=1h"], limit=None).changed) == 3


def test_identical_terms(catalog: Catalog) -> None:
    result = run_compare(catalog, ["BASIC.fee=100 EUR"])
    assert result.terms == () and not result.outcomes_differ
    assert result.to_dict()["identical"] is True


def test_json_lines_scenario_is_streamed_once(tmp_path: Path, catalog: Catalog,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario_text(SCENARIO)
    jsonl = tmp_path / "q1.jsonl"
    write_jsonl(jsonl, scenario.header, scenario.tickets)
    terms = tmp_path / "terms.plan"
    terms.write_text(TERMS, encoding="utf-8")
    from tierwise.engine import scenario_io

    opened = []
    real = scenario_io.open_scenario

    def counting(path: Any, **kw: Any) -> Any:
        opened.append(path)
        return real(path, **kw)

    monkeypatch.setattr(scenario_io, "open_scenario", counting)
    result = compare_files([terms], None, jsonl, overrides=["BASIC.response=4h"])
    assert len(opened) == 1
    assert result.changed_count == 1 and result.total.new.breached == 1


# --------------------------------------------------------------------------- command line


def test_cli_old_new_scenario_json(files: dict[str, Path]) -> None:
    result = invoke(str(files["terms"]), str(files["faster"]), str(files["scenario"]),
                    "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["terms"][0]["text"] == "BASIC: response: 8 business hours -> 4 business hours"
    assert doc["terms"][0]["old_at"].endswith("terms.plan:12")
    assert doc["terms"][0]["new_at"].endswith("faster.plan:12")
    assert doc["changed_tickets"]["count"] == 1
    assert doc["total"]["new"]["guaranteed"]["breached"] == 1
    assert doc["total"]["new"]["by_metric"]["response"]["breached"] == 1
    assert doc["total"]["old"]["money"]["EUR"]["fees"] == "900.00"


def test_cli_set_table_and_toml(files: dict[str, Path]) -> None:
    table = invoke(str(files["terms"]), str(files["scenario"]), "--set", "BASIC.response=4h")
    assert table.exit_code == 0, table.output
    # both of BASIC's response targets, and PLUS's (it inherits them)
    assert "Terms changed (4)" in table.stdout
    assert "Tickets whose outcome changed: 1" in table.stdout
    assert "breached (4 business hours" in table.stdout
    toml = invoke(str(files["terms"]), str(files["scenario"]), "--set", "BASIC.response=4h",
                  "-f", "toml")
    doc = tomllib.loads(toml.stdout)
    assert doc["new"]["overrides"] == ["BASIC.response=4h"]
    assert doc["changed_tickets"]["tickets"][0]["ticket"] == "T1"


def test_cli_old_and_new_plan(files: dict[str, Path]) -> None:
    result = invoke(str(files["terms"]), str(files["scenario"]), "--old-plan", "BASIC",
                    "--new-plan", "PLUS", "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["plan_map"] == {"BASIC": "PLUS"}
    assert doc["plans"][0]["new"]["money"]["EUR"]["fees"] == "600.00"


def test_cli_fail_on_change_exit_codes(files: dict[str, Path]) -> None:
    changed = invoke(str(files["terms"]), str(files["faster"]), str(files["scenario"]),
                     "--fail-on-change")
    assert changed.exit_code == 1
    same = invoke(str(files["terms"]), str(files["terms"]), str(files["scenario"]),
                  "--fail-on-change")
    assert same.exit_code == 0 and "Terms: identical" in same.stdout


def test_cli_output_is_never_overwritten_without_force(files: dict[str, Path],
                                                        tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = [str(files["terms"]), str(files["faster"]), str(files["scenario"]), "-f", "json",
            "-o", str(out)]
    assert invoke(*args).exit_code == 0
    first = out.read_text(encoding="utf-8")
    out.write_text("mine", encoding="utf-8")
    again = invoke(*args)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert out.read_text(encoding="utf-8") == "mine"
    assert invoke(*args, "--force").exit_code == 0
    assert out.read_text(encoding="utf-8") == first


def test_cli_bad_set_shows_a_caret_and_exits_2(files: dict[str, Path]) -> None:
    result = invoke(str(files["terms"]), str(files["scenario"]), "--set",
                    "BASIC.response.nromal=6h")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "error: plan BASIC has no priority 'nromal'" in lines[0]
    caret = next(line for line in lines if "^" in line)
    assert caret.index("^") == lines[1].index("nromal")
    assert "did you mean 'normal'?" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    ["{terms}", "{scenario}"],  # two paths without --set / --old-plan
    ["{terms}", "{terms}", "{terms}", "{scenario}"],
    ["{terms}", "{scenario}", "--old-plan", "BASIC"],
])
def test_cli_usage_errors(files: dict[str, Path], args: list[str]) -> None:
    result = invoke(*[a.format(**files) for a in args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_bad_input_exits_2(files: dict[str, Path], tmp_path: Path) -> None:
    unknown = invoke(str(files["terms"]), str(files["scenario"]), "--old-plan", "BASC",
                     "--new-plan", "PLUS")
    assert unknown.exit_code == 2 and "did you mean 'BASIC'?" in unknown.stderr
    renamed = tmp_path / "renamed.plan"
    renamed.write_text(TERMS.replace("plan PLUS", "plan PREMIUM"), encoding="utf-8")
    missing = invoke(str(files["terms"]), str(renamed), str(files["scenario"]))
    assert missing.exit_code == 2 and "new terms: subscription for 'globex'" in missing.stderr
    broken = tmp_path / "broken.plan"
    broken.write_text("plan X {\n    fee 4\n}\n", encoding="utf-8")
    bad_plan = invoke(str(broken), str(files["terms"]), str(files["scenario"]))
    assert bad_plan.exit_code == 2 and "broken.plan:" in bad_plan.stderr

"""`tierwise simulate` from the outside: formats, --explain, --output, exit codes, bad input.

Most tests go through click's CliRunner on the real command group; a few run the installed
console script in a subprocess, which is what users (and CI scripts) actually call. Every
invocation is checked for a Python traceback: bad input must never show one (SPEC 8).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tierwise.cli.common import write_output
from tierwise.cli.errors import InputError
from tierwise.cli.main import cli
from tierwise.engine.report import schema_errors

ROOT = Path(__file__).resolve().parent.parent
# Relative, as users type them (an autouse fixture runs every test from the repository root),
# so that rule references read "plans/shipping.plan:177".
SHIPPING = Path("plans/shipping.plan")
WEBPLUG = Path("plans/webplug.plan")
BAD_MANY = Path("tests/data/scenarios/bad_many.toml")
TIERWISE = Path(sys.executable).parent / "tierwise"

# Hand-checked against plans/shipping.plan (Europe/Warsaw, +01:00 until 29 March):
#   T-1 START 8 business hours (08-16) from Fri 15:30 -> Mon 15:30; replied 16:00: breached.
#   T-2 STANDARD critical, days-off calendar 07-17 every day: Sat 10:00 + 4h = 14:00; met.
#   T-3 START Mon 09:00 -> 17:00 would be past closing: Tue 09:00; replied 10:00: met.
#   T-4 EMAIL 12 business hours (09-15) from Tue 31 March 14:00: 1h + 6h + 5h -> Thu 2 April
#       14:00, unanswered at as_of: pending, so EMAIL's earliest-deadline queue holds it.
SCENARIO = """\
as_of = "2026-04-01T00:00:00+02:00"
name = "shipping Q1"

[[subscriptions]]
customer = "acme"
plan = "START"
start = "2026-03-01T00:00:00+01:00"

[[subscriptions]]
customer = "globex"
plan = "STANDARD"
start = "2026-03-01T00:00:00+01:00"

[[subscriptions]]
customer = "initech"
plan = "EMAIL"
start = "2026-03-01T00:00:00+01:00"

[[tickets]]
id = "T-1"
customer = "acme"
created = "2026-03-06T15:30:00+01:00"
channel = "email"
category = "bug"
events = [
  { at = "2026-03-09T16:00:00+01:00", type = "replied" },
  { at = "2026-03-09T16:30:00+01:00", type = "work", kind = "remote", duration = "45min" },
  { at = "2026-03-10T12:00:00+01:00", type = "resolved" },
]

[[tickets]]
id = "T-2"
customer = "globex"
created = "2026-03-07T10:00:00+01:00"
channel = "email"
priority = "critical"
events = [{ at = "2026-03-07T11:00:00+01:00", type = "replied" }]

[[tickets]]
id = "T-3"
customer = "acme"
created = "2026-03-09T09:00:00+01:00"
channel = "email"
events = [{ at = "2026-03-09T10:00:00+01:00", type = "replied" }]

[[tickets]]
id = "T-4"
customer = "initech"
created = "2026-03-31T14:00:00+02:00"
channel = "email"
"""

# Nothing breached: only T-2 and T-3.
NO_BREACH = SCENARIO.split('[[tickets]]\nid = "T-1"')[0] + """
[[tickets]]
id = "T-3"
customer = "acme"
created = "2026-03-09T09:00:00+01:00"
channel = "email"
events = [{ at = "2026-03-09T10:00:00+01:00", type = "replied" }]
"""

# A WebPlug ticket answered late earns one free hour (webplug.plan:88); brackets in an id
# must reach the table literally (rich would read "[x]" as markup).
WEBPLUG_SCENARIO = """\
as_of = "2026-04-01T00:00:00+01:00"

[[subscriptions]]
customer = "loja"
plan = "PADRAO"
start = "2026-03-01T00:00:00Z"

[[tickets]]
id = "[x]"
customer = "loja"
created = "2026-03-02T10:00:00Z"
channel = "email"
events = [{ at = "2026-03-05T10:00:00Z", type = "replied" }]
"""


@pytest.fixture(autouse=True)
def _from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def invoke(*args: Any) -> Result:
    """Run the command group in-process; an unexpected exception fails with its traceback."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result


def flat(text: str) -> str:
    """Whitespace collapsed: table cells wrap, the words stay in order."""
    return " ".join(text.split())


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "shipping.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def json_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("json") / "shipping.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    with contextlib.chdir(ROOT):
        result = invoke("simulate", SHIPPING, path, "--format", "json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _target(doc: dict[str, Any], ticket: str) -> dict[str, Any]:
    (found,) = [t for t in doc["tickets"] if t["ticket"] == ticket]
    target: dict[str, Any] = found["targets"][0]
    return target


# --------------------------------------------------------------------------- formats


def test_table_is_the_default(scenario: Path) -> None:
    result = invoke("simulate", SHIPPING, scenario)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for title in ("Tickets", "Summary", "Invoices", "Queue at as_of"):
        assert title in out
    assert "breached" in out and "T-4" in out
    assert "PLN: net" in out
    assert "clock starts" not in out  # the trace is for --explain


def test_json_has_the_hand_checked_deadlines_and_validates(json_doc: dict[str, Any]) -> None:
    assert schema_errors(json_doc) == []
    t1, t2, t3, t4 = (_target(json_doc, t) for t in ("T-1", "T-2", "T-3", "T-4"))
    assert t1["deadline"] == {"local": "2026-03-09T15:30:00+01:00", "utc": "2026-03-09T14:30:00Z"}
    assert (t1["status"], t1["measured"]["text"]) == ("breached", "8h30min")
    assert (t2["deadline"]["local"], t2["status"]) == ("2026-03-07T14:00:00+01:00", "met")
    assert (t3["deadline"]["local"], t3["status"]) == ("2026-03-10T09:00:00+01:00", "met")
    assert (t4["deadline"]["local"], t4["status"]) == ("2026-04-02T14:00:00+02:00", "pending")
    assert json_doc["queue"] == [{"ticket": "T-4", "customer": "initech", "plan": "EMAIL",
                                  "metric": "response", "deadline": "2026-04-02T14:00:00+02:00"}]
    assert json_doc["summary"]["totals"]["guaranteed"] == {"met": 2, "breached": 1, "pending": 1}
    assert json_doc["ticket_count"] == 4


def test_toml_parses_back_to_the_json_document(scenario: Path, json_doc: dict[str, Any]) -> None:
    result = invoke("simulate", SHIPPING, scenario, "-f", "toml")
    assert result.exit_code == 0, result.output

    def without_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: without_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [without_none(v) for v in value]
        return value

    assert tomllib.loads(result.stdout) == without_none(json_doc)


def test_explain_shows_each_rule_and_how_it_was_counted(scenario: Path) -> None:
    result = invoke("simulate", SHIPPING, scenario, "--explain")
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert ("rule plans/shipping.plan:177: response within 8 business hours when channel is "
            "email") in out
    assert ("deadline Mon 2026-03-09 15:30 +01:00: 8 business hours of open time: "
            "Fri 15:30-16:00 30min; Mon 08:00-15:30 7h30min") in out
    assert "breached: stopped after the deadline" in out
    assert "rule plans/shipping.plan:212" in out  # T-2: the critical-issues rule
    # invoice lines name their rule too (in brackets, which must survive the table markup)
    assert "[plans/shipping.plan:174]" in out  # START's fee
    assert "45min + 5min overhead = 50min" in out


def test_explain_in_json_is_the_same_trace(json_doc: dict[str, Any]) -> None:
    assert _target(json_doc, "T-1")["explanation"][:2] == [
        "rule plans/shipping.plan:177: response within 8 business hours when channel is email",
        "calendar wysylki_start (Europe/Warsaw), business time, allowance 8 business hours",
    ]


def test_summary_only_leaves_out_the_tickets(scenario: Path) -> None:
    table = invoke("simulate", SHIPPING, scenario, "--summary-only")
    assert table.exit_code == 0 and "Tickets" not in table.stdout and "Summary" in table.stdout
    result = invoke("simulate", SHIPPING, scenario, "--summary-only", "-f", "json")
    doc = json.loads(result.stdout)
    assert doc["tickets"] == [] and doc["ticket_count"] == 4
    assert doc["summary"]["totals"]["tickets"] == 4
    assert schema_errors(doc) == []


def test_credits_and_bracketed_ids_show_in_the_table(tmp_path: Path) -> None:
    path = tmp_path / "webplug.toml"
    path.write_text(WEBPLUG_SCENARIO, encoding="utf-8")
    result = invoke("simulate", WEBPLUG, path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "[x]" in out
    assert "Credits" in out and "1h free" in out


# --------------------------------------------------------------------------- --output


def _siblings(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_output_writes_the_file_with_ordinary_permissions(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = invoke("simulate", SHIPPING, scenario, "-f", "json", "--output", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["ticket_count"] == 4
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_output_refuses_to_overwrite_without_force(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("keep me", encoding="utf-8")
    before = _siblings(tmp_path)
    result = invoke("simulate", SHIPPING, scenario, "-f", "json", "-o", out)
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert "^^^" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    assert _siblings(tmp_path) == before  # no temporary file left behind
    forced = invoke("simulate", SHIPPING, scenario, "-f", "json", "-o", out, "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(out.read_text(encoding="utf-8"))["ticket_count"] == 4
    assert _siblings(tmp_path) == before


def test_bad_input_never_leaves_a_partial_or_changed_file(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = invoke("simulate", SHIPPING, BAD_MANY, "-o", out)
    assert result.exit_code == 2 and not out.exists()
    out.write_text("old result", encoding="utf-8")
    result = invoke("simulate", SHIPPING, BAD_MANY, "-o", out, "--force")
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "old result"
    assert _siblings(tmp_path) == {"result.json"}


def test_output_never_replaces_an_input_file(scenario: Path) -> None:
    result = invoke("simulate", SHIPPING, scenario, "-o", scenario, "--force")
    assert result.exit_code == 2
    assert "one of the input files" in result.stderr
    assert scenario.read_text(encoding="utf-8") == SCENARIO


def test_output_into_a_missing_folder_is_refused(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "typo" / "result.json"
    result = invoke("simulate", SHIPPING, scenario, "-o", out)
    assert result.exit_code == 2
    assert f"the folder {out.parent} does not exist" in result.stderr
    assert not out.parent.exists()


def test_a_failed_write_keeps_the_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "result.txt"
    out.write_text("old", encoding="utf-8")

    def broken(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(InputError, match="No space left"):
        write_output("new text", out, force=True)
    assert out.read_text(encoding="utf-8") == "old"
    assert _siblings(tmp_path) == {"result.txt"}


# --------------------------------------------------------------------------- exit codes


def test_fail_on_breach_exits_1_but_still_prints(scenario: Path, tmp_path: Path) -> None:
    result = invoke("simulate", SHIPPING, scenario, "--fail-on-breach", "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["totals"]["guaranteed"]["breached"] == 1
    assert invoke("simulate", SHIPPING, scenario).exit_code == 0
    calm = tmp_path / "calm.toml"
    calm.write_text(NO_BREACH, encoding="utf-8")
    assert invoke("simulate", SHIPPING, calm, "--fail-on-breach").exit_code == 0


SYNTAX_ERROR_PLAN = """\
calendar office {
    zone Europe/Warsaw
    open mon-fri 08:00-16:00
}

plan START {
    calendar office
    response within 4 when channel is email
}
"""


@pytest.mark.parametrize(("case", "where"), [
    ("missing scenario", "<command line>:SCENARIO: error: no such file"),
    ("missing plan", "<command line>:PLANS: error: no such file"),
    ("plan syntax error", "bad.plan:8:21: error:"),
    ("scenario with errors", "bad_many.toml:2:9: error:"),
    ("unknown plan in a subscription", "shipping.toml:4:1: error: subscription for 'acme': "
                                       "unknown plan 'START'"),
    ("scenario given first", "<command line>:SCENARIO: error: the last path is the scenario, "
                             "but this is a plan file"),
    ("folder as scenario", "<command line>:SCENARIO: error: the last path is the scenario, "
                           "but this is a folder"),
])
def test_bad_input_is_located_with_a_caret_and_exit_2(case: str, where: str, scenario: Path,
                                                      tmp_path: Path) -> None:
    bad_plan = tmp_path / "bad.plan"
    bad_plan.write_text(SYNTAX_ERROR_PLAN, encoding="utf-8")
    args = {
        "missing scenario": [SHIPPING, scenario.with_name("shiping.toml")],
        "missing plan": [Path("plans/shiping.plan"), scenario],
        "plan syntax error": [bad_plan, scenario],
        "scenario with errors": [SHIPPING, BAD_MANY],
        "unknown plan in a subscription": [Path("plans/promotino.plan"), scenario],
        "scenario given first": [scenario, SHIPPING],
        "folder as scenario": [SHIPPING, tmp_path],
    }[case]
    result = invoke("simulate", *args)
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert where in err
    assert "^" in err
    if case.startswith("missing"):
        assert "did you mean" in err
    if case == "plan syntax error":
        assert "hint:" in err and "nothing was computed" in err


def test_usage_errors_exit_2(scenario: Path) -> None:
    assert invoke("simulate", scenario).exit_code == 2
    assert invoke("simulate", SHIPPING, scenario, "--format", "xml").exit_code == 2
    assert invoke("simulate", "--help").exit_code == 0


# --------------------------------------------------------------------------- subprocess


def _run(*args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TIERWISE), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)


@pytest.mark.skipif(not TIERWISE.exists(), reason="the tierwise console script is not installed")
def test_console_script_prints_json_and_fails_on_breach(scenario: Path) -> None:
    proc = _run("simulate", "plans/shipping.plan", scenario, "-f", "json", "--fail-on-breach")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert schema_errors(doc) == []
    assert doc["plan_files"] == ["plans/shipping.plan"]
    assert proc.stderr == ""


@pytest.mark.skipif(not TIERWISE.exists(), reason="the tierwise console script is not installed")
def test_console_script_reports_a_bad_plan_without_traceback(tmp_path: Path,
                                                             scenario: Path) -> None:
    bad_plan = tmp_path / "bad.plan"
    bad_plan.write_text(SYNTAX_ERROR_PLAN, encoding="utf-8")
    proc = _run("simulate", bad_plan, scenario, "-o", tmp_path / "out.txt")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{bad_plan}:8:21: error:" in proc.stderr
    assert "    8 |     response within 4 when channel is email" in proc.stderr
    assert not (tmp_path / "out.txt").exists()

"""`tierwise deadline` on the seed plans: hand-computed deadlines, formats, bad options.

Each expected instant below was counted by hand from the plan text (the comment says how),
not copied from the program's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tierwise.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
TIERWISE = Path(sys.executable).parent / "tierwise"


@pytest.fixture(autouse=True)
def _from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def invoke(*args: str) -> Result:
    """Run the command group in-process; an unexpected exception fails with its traceback."""
    result = CliRunner().invoke(cli, ["deadline", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result


def deadlines(*args: str) -> dict[str, dict[str, Any]]:
    """metric -> target, from the JSON form."""
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return {t["metric"]: t for t in doc["targets"]}


# --------------------------------------------------------------------------- hand-computed


def test_shipping_start_friday_afternoon_runs_into_monday() -> None:
    # START: 8 business hours, Mon-Fri 08:00-16:00 Europe/Warsaw.
    # Fri 15:30-16:00 = 30min; Mon 08:00 + 7h30 = Mon 15:30.
    result = invoke("plans/shipping.plan", "--plan", "START", "--channel", "email",
                    "--opened", "2026-03-06T15:30:00+01:00")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("plan START (plans/shipping.plan:170), ticket created "
                        "Fri 2026-03-06 15:30 +01:00")
    assert lines[1].split() == ["response", "2026-03-09T15:30:00+01:00",
                                "(2026-03-09T14:30:00Z)", "guaranteed"]
    out = result.stdout
    assert "rule plans/shipping.plan:177: response within 8 business hours" in out
    assert "Fri 15:30-16:00 30min; Mon 08:00-15:30 7h30min" in out
    assert "as_of" not in out  # the replay's as_of means nothing for a new ticket


def test_an_opening_given_in_utc_is_shown_in_the_calendar_zone() -> None:
    (target,) = deadlines("plans/shipping.plan", "--plan", "START", "--channel", "email",
                          "--opened", "2026-03-06T14:30:00Z").values()
    assert target["start"]["local"] == "2026-03-06T15:30:00+01:00"
    assert target["deadline"] == {"local": "2026-03-09T15:30:00+01:00",
                                  "utc": "2026-03-09T14:30:00Z"}


def test_christmas_eve_is_a_polish_holiday_since_2025() -> None:
    # 2026-12-24 (Thu) is a public holiday in Poland since 2025, 25-26 December too, then
    # the weekend: the clock starts Mon 28 at 08:00 and 8 business hours end at 16:00.
    opened_2026 = deadlines("plans/shipping.plan", "--plan", "START", "--channel", "email",
                            "--opened", "2026-12-24T10:00:00+01:00")["response"]
    assert opened_2026["start"]["local"] == "2026-12-28T08:00:00+01:00"
    assert opened_2026["deadline"]["local"] == "2026-12-28T16:00:00+01:00"
    # In 2024 it was a working day: Tue 10:00-16:00 = 6h, 25-26 closed, Fri 08:00 + 2h.
    opened_2024 = deadlines("plans/shipping.plan", "--plan", "START", "--channel", "email",
                            "--opened", "2024-12-24T10:00:00+01:00")["response"]
    assert opened_2024["deadline"]["local"] == "2024-12-27T10:00:00+01:00"


def test_webplug_priority_phone_is_five_minutes_round_the_clock() -> None:
    # PRIORITARIO_24_7: 5 minutes 24/7 on the priority phone, even on a Saturday night...
    phone = deadlines("plans/webplug.plan", "--plan", "PRIORITARIO_24_7",
                      "--channel", "priority_phone", "--opened", "2026-03-07T03:00:00Z")
    assert list(phone) == ["response"]
    assert phone["response"]["deadline"]["local"] == "2026-03-07T03:05:00+00:00"
    assert phone["response"]["rule"]["ref"] == "plans/webplug.plan:139"
    # ... and across midnight in summer time (Lisbon +01:00).
    summer = deadlines("plans/webplug.plan", "--plan", "PRIORITARIO_24_7",
                       "--channel", "priority_phone", "--opened", "2026-07-11T23:58:00+01:00")
    assert summer["response"]["deadline"]["local"] == "2026-07-12T00:03:00+01:00"
    # Other channels: 4 business hours from Monday's opening (09:00-13:00 Lisbon).
    email = deadlines("plans/webplug.plan", "--plan", "PRIORITARIO_24_7", "--channel", "email",
                      "--opened", "2026-03-07T03:00:00Z")["response"]
    assert email["deadline"]["local"] == "2026-03-09T13:00:00+00:00"
    assert email["rule"]["ref"] == "plans/webplug.plan:140"


def test_promotino_one_hour_24_7_across_both_dst_changes() -> None:
    # Dublin springs forward at 01:00 UTC on 29 March 2026: 00:30 GMT + 1 real hour is
    # 01:30 UTC, which reads 02:30 IST.
    spring = deadlines("plans/promotino.plan", "--plan", "BUSINESS", "--priority", "p1",
                       "--opened", "2026-03-29T00:30:00+00:00")["response"]
    assert spring["deadline"] == {"local": "2026-03-29T02:30:00+01:00",
                                  "utc": "2026-03-29T01:30:00Z"}
    # It falls back at 01:00 UTC on 25 October: 01:30 IST (00:30 UTC) + 1h = 01:30 GMT.
    autumn = deadlines("plans/promotino.plan", "--plan", "BUSINESS", "--priority", "p1",
                       "--opened", "2026-10-25T01:30:00+01:00")["response"]
    assert autumn["deadline"] == {"local": "2026-10-25T01:30:00+00:00",
                                  "utc": "2026-10-25T01:30:00Z"}


def test_promotino_business_hours_skip_saint_patricks_day() -> None:
    # MEDIUM p2: 6 business hours, Mon-Fri 09:00-17:00 Dublin, Irish holidays.
    # Mon 16 March 15:00-17:00 = 2h; Tue 17 March is a holiday; Wed 09:00 + 4h = 13:00.
    result = invoke("plans/promotino.plan", "--plan", "MEDIUM", "--priority", "p2",
                    "--opened", "2026-03-16T15:00:00Z")
    assert result.exit_code == 0, result.output
    assert "response    2026-03-18T13:00:00+00:00" in result.stdout
    assert "Mon 15:00-17:00 2h; Wed 09:00-13:00 4h" in result.stdout


def test_webplug_standard_answers_by_end_of_next_business_day() -> None:
    # PADRAO: Friday's ticket is due at the last closing (18:00) of Monday.
    target = deadlines("plans/webplug.plan", "--plan", "PADRAO", "--channel", "email",
                       "--opened", "2026-03-06T10:00:00Z")["response"]
    assert target["deadline"]["local"] == "2026-03-09T18:00:00+00:00"
    assert (target["status"], target["guaranteed"]) == ("pending", True)


def test_eligibility_and_coverage_are_those_of_a_replay() -> None:
    unregistered = invoke("plans/webplug.plan", "--plan", "PADRAO", "--channel", "email",
                          "--unregistered", "--opened", "2026-03-06T10:00:00Z")
    assert unregistered.exit_code == 0
    assert "not guaranteed: garantia só para contactos registados" in unregistered.stdout
    public = invoke("plans/webplug.plan", "--plan", "PRIORITARIO", "--channel", "email",
                    "--field", "destino=publico", "--opened", "2026-03-06T10:00:00Z")
    assert public.exit_code == 0
    assert "not covered: pedido enviado aos contactos públicos" in public.stdout
    objective = invoke("plans/webplug.plan", "--plan", "SEM_PLANO",
                       "--opened", "2026-03-06T19:30:00Z")
    assert "received at Mon 2026-03-09 09:00 +00:00" in objective.stdout
    assert "average (an objective, not a guarantee)" in objective.stdout


def test_a_channel_the_plan_does_not_take_gets_a_hint() -> None:
    result = invoke("plans/promotino.plan", "--plan", "MEDIUM", "--priority", "p1",
                    "--channel", "chta", "--opened", "2026-03-06T10:00:00Z")
    assert result.exit_code == 0
    assert "not covered: channel chta not offered" in result.stdout
    assert "hint: plan MEDIUM takes requests on chat, phone, web; did you mean 'chat'?" \
        in result.stdout


def test_toml_format_parses_back() -> None:
    result = invoke("plans/pomatio.plan", "--opened", "2026-03-06T10:00:00Z", "-f", "toml")
    assert result.exit_code == 0, result.output
    doc = tomllib.loads(result.stdout)
    assert doc["plan"] == "POMATIO_SUPPORT"  # the only plan of the file: --plan optional
    assert doc["targets"][0]["commitment"] == "best effort"
    assert doc["targets"][0]["deadline"]["local"] == "2026-03-07T11:00:00+01:00"


# --------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(("args", "expected"), [
    pytest.param(["plans/shipping.plan", "--plan", "START", "--opened", "2026-03-06T15:30"],
                 ["<command line>:--opened: error: timestamp '2026-03-06T15:30' has no UTC "
                  "offset", "    | --opened 2026-03-06T15:30", "    | " + " " * 9 + "^" * 16,
                  'hint: write the offset, e.g. "2026-03-06T15:30+01:00"'], id="naive opened"),
    pytest.param(["plans/shipping.plan", "--plan", "START", "--opened", "yesterday"],
                 ["error: 'yesterday' is not an RFC 3339 timestamp"], id="not an instant"),
    pytest.param(["plans/shipping.plan", "--plan", "STRAT", "--opened", "2026-03-06T15:30Z"],
                 ["<command line>:--plan: error: no plan named 'STRAT'", "    | --plan STRAT",
                  "expected: COMMUNITY, EMAIL, PREMIUM, STANDARD, START",
                  "hint: did you mean 'START'?"], id="unknown plan"),
    pytest.param(["plans/shipping.plan", "--plan", "START", "--opened", "2026-03-06T15:30Z",
                  "--field", "region"],
                 ["<command line>:--field: error: a custom field needs NAME=VALUE",
                  "    | --field region", "expected: NAME=VALUE"], id="field without ="),
    pytest.param(["plans/promotino.plan", "--plan", "MEDIUM", "--priority", "P1",
                  "--opened", "2026-03-06T15:30Z"],
                 ["error: plan MEDIUM has no priority 'P1'", "hint: did you mean 'p1'?"],
                 id="unknown priority"),
    pytest.param(["plans/webplugs.plan", "--opened", "2026-03-06T15:30Z"],
                 ["<command line>:PLAN_FILE: error: no such file or folder",
                  "hint: did you mean 'plans/webplug.plan'?"], id="missing plan file"),
])
def test_bad_options_are_shown_with_a_caret_and_exit_2(args: list[str],
                                                       expected: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.stderr
    assert "^" in result.stderr


def test_a_plan_with_a_syntax_error_is_located(tmp_path: Path) -> None:
    plan = tmp_path / "bad.plan"
    plan.write_text("calendar c {\n    zone Europe/Warsaw\n    open mon-fri 08:00-16:00\n}\n"
                    "plan X {\n    calendar c\n    response within 4\n}\n", encoding="utf-8")
    result = invoke(str(plan), "--opened", "2026-03-06T15:30Z")
    assert result.exit_code == 2
    assert f"{plan}:7:21: error: a duration needs a unit" in result.stderr
    assert "    7 |     response within 4\n" in result.stderr
    assert "nothing was computed" in result.stderr


def test_several_plans_need_plan() -> None:
    result = invoke("plans/promotino.plan", "--opened", "2026-03-06T15:30Z")
    assert result.exit_code == 2
    assert "give --plan" in result.stderr and "SMALL" in result.stderr
    assert "    | --plan \n    |        ^\n" in result.stderr  # located like any bad option
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not TIERWISE.exists(), reason="the tierwise console script is not installed")
def test_console_script_deadline_and_a_naive_instant() -> None:
    ok = subprocess.run([str(TIERWISE), "deadline", "plans/promotino.plan", "--plan", "BUSINESS",
                         "--priority", "p1", "--opened", "2026-03-29T00:30:00Z"],
                        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "response    2026-03-29T02:30:00+01:00  (2026-03-29T01:30:00Z)  guaranteed" in ok.stdout
    bad = subprocess.run([str(TIERWISE), "deadline", "plans/promotino.plan", "--plan",
                          "BUSINESS", "--opened", "2026-03-29 00:30"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert bad.returncode == 2
    assert "has no UTC offset" in bad.stderr and "Traceback" not in bad.stderr

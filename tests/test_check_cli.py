"""``tierwise check``: the summary, exit codes, the exact text of a few messages, junk
input, and one run through the installed console script."""

from __future__ import annotations

import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tierwise.cli.main import cli

DATA = Path(__file__).parent / "data" / "plans"
PLANS = Path(__file__).parent.parent / "plans"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_good_plans_print_a_summary() -> None:
    code, out, err = run(str(DATA / "good"))
    assert code == 0, err
    assert out.splitlines() == [
        f"{DATA / 'good' / 'calendars.plan'}: 0 plans, 2 calendars",
        f"{DATA / 'good' / 'tiers.plan'}: 2 plans, 0 calendars",
        '  EMAIL          "E-mail"  129.00 PLN per month  calendar office, 1 target, '
        "2 rates, 0 credits",
        '  START < EMAIL  "Start"   399 PLN per month     calendar office, 2 targets, '
        "2 rates, 1 credit",
        "ok: 2 plans, 2 calendars, 0 warnings",
    ]
    assert err == ""


def test_warnings_are_printed_and_fail_only_with_strict() -> None:
    path = str(DATA / "bad" / "warning.plan")
    code, out, err = run(path)
    assert code == 0 and "ok: 1 plan, 0 calendars, 1 warning" in out
    assert f"{path}:4:5: warning: these two response targets" in err
    code, _, _ = run(path, "--strict")
    assert code == 1


def test_errors_exit_2_and_list_every_diagnostic() -> None:
    code, out, err = run(str(DATA / "bad" / "several.plan"))
    assert code == 2 and out == ""
    assert [line.split(": error: ")[1] for line in err.splitlines() if ": error: " in line] == [
        "unknown time zone 'Europe/Warsw'",
        "VAT of 123% is over 100%",
        "a duration needs a unit",
    ]
    assert err.splitlines()[-1] == "tierwise: 3 errors; no plan was checked"


# --------------------------------------------------------------------------- exact text


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_in(folder: Path, name: str, text: str) -> tuple[int, str]:
    """Run ``check NAME`` from the folder holding that file (short paths in the messages).

    Each test uses its own file name: the CLI caches source lines by file name.
    """
    (folder / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", name])
    return result.exit_code, result.stderr


def test_exact_text_of_a_keyword_typo(in_tmp: Path) -> None:
    code, err = check_in(in_tmp, "typo.plan",
                         "plan P {\n    calendar always\n    respnse within 4h\n}\n")
    assert code == 2
    assert err == (
        "typo.plan:3:5: error: unknown keyword 'respnse'\n"
        "    3 |     respnse within 4h\n"
        "            ^^^^^^^\n"
        "  expected: a plan clause (title, calendar, fee, vat, response, resolution, rate, "
        "included, credit, feature, ...) or '}'\n"
        "  hint: did you mean 'response'?\n"
        "tierwise: 1 error; no plan was checked\n"
    )


def test_exact_text_of_a_missing_unit(in_tmp: Path) -> None:
    code, err = check_in(in_tmp, "unit.plan",
                         "plan P {\n    calendar always\n    response within 4\n}\n")
    assert code == 2
    assert err == (
        "unit.plan:3:21: error: a duration needs a unit\n"
        "    3 |     response within 4\n"
        "                            ^\n"
        "  hint: write `4h`, `4 business hours`, `4 days` or `4 business days`\n"
        "tierwise: 1 error; no plan was checked\n"
    )


def test_exact_text_of_an_ambiguity(in_tmp: Path) -> None:
    code, err = check_in(in_tmp, "ambiguity.plan", "plan P {\n    calendar always\n"
                                   "    response within 4h when channel is phone\n"
                                   "    response within 2h when priority is urgent\n}\n")
    assert code == 2
    assert err.split("\n")[:4] == [
        "ambiguity.plan:3:5: error: these two response targets can both apply to one ticket",
        "    3 |     response within 4h when channel is phone",
        "            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "  hint: a ticket with channel phone and priority urgent matches both (see line 4); "
        "add a condition to one of them, or write a rule for the overlap",
    ]
    assert "ambiguity.plan:4:5: error: these two response targets" in err


def test_exact_text_of_a_drop_of_nothing(in_tmp: Path) -> None:
    code, err = check_in(in_tmp, "drop.plan", "plan BASE {\n    calendar always\n}\n"
                                              "plan C extends BASE {\n    requests at any time\n"
                                              "}\n")
    assert code == 0
    assert err == (
        "drop.plan:5:5: warning: nothing to drop: plan 'C' inherits no `requests in support "
        "hours only` from 'BASE'\n"
        "    5 |     requests at any time\n"
        "            ^^^^^^^^^^^^^^^^^^^^\n"
        "  hint: remove this line\n"
    )


# --------------------------------------------------------------------------- hostile input


def test_five_megabytes_of_junk_get_a_quick_located_answer(tmp_path: Path) -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " \t"
    lines = ["".join(rng.choices(alphabet, k=rng.randint(0, 120))) for _ in range(85_000)]
    words = ["plan", "x", "{", "}", "fee", "450", "EUR", "within", "when", '"s', "[", ","]
    lines += [" ".join(rng.choices(words, k=rng.randint(1, 9))) for _ in range(20_000)]
    path = tmp_path / "junk.plan"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert path.stat().st_size > 5_000_000
    code, out, err = run(str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"{path}:1:")
    assert "Traceback" not in err


def test_five_megabytes_of_random_bytes(tmp_path: Path) -> None:
    rng = random.Random(3)
    path = tmp_path / "noise.plan"
    path.write_bytes(rng.randbytes(5_000_000))
    code, _, err = run(str(path))
    assert code == 2 and "error: " in err and "Traceback" not in err


def test_check_requires_a_path() -> None:
    code, _, err = run()
    assert code == 2 and "Missing argument" in err


# --------------------------------------------------------------------------- real process


def console_script() -> Path:
    """The ``tierwise`` script installed next to this interpreter."""
    return Path(sys.executable).parent / "tierwise"


def test_console_script_reports_errors_with_exit_2() -> None:
    script = console_script()
    if not script.exists():
        pytest.skip("the tierwise console script is not installed next to the interpreter")
    bad = DATA / "bad" / "typo.plan"
    done = subprocess.run([str(script), "check", str(bad)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert f"{bad}:3:5: error: unknown keyword 'respnse'" in done.stderr
    assert "Traceback" not in done.stderr
    good = subprocess.run([str(script), "check", str(DATA / "good")], capture_output=True,
                          text=True, timeout=60, check=False)
    assert good.returncode == 0 and "ok: 2 plans, 2 calendars, 0 warnings" in good.stdout


def test_the_project_plans_pass() -> None:
    if not list(PLANS.glob("*.plan")):
        pytest.skip("no plans/*.plan yet")
    code, out, err = run(str(PLANS))
    assert code == 0, err
    assert out.splitlines()[-1].startswith("ok: ")
    assert out.splitlines()[-1].endswith(" 0 warnings"), err

"""The pytest plugin as a vendor uses it: a repository of its own, run by pytester.

The inner runs are pytest sessions in a temporary vendor repository with no conftest: the
``tierwise_snapshot`` fixture must come from the installed ``pytest11`` entry point,
exactly as in a vendor's CI (each run's header lists the plugin). They run in-process
(a subprocess costs ~3 s of imports each; one run checks a fresh interpreter too), and
each test walks through several steps of one workflow rather than starting over.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.engine.pipeline import simulate_files
from tierwise.testing.plugin import snapshot_diff

pytest_plugins = ["pytester"]

ACME_PLAN = """\
# Acme's published support terms
calendar office {
    zone Europe/Warsaw
    open mon-fri 08:00-16:00
    holidays PL
}

plan START {
    title "Start"
    calendar office
    fee 399 PLN per month
    vat 23%
    minimum term 3 months
    response within 8 business hours when channel is email
    included 3h per month for phone, remote
    rate remote 165 PLN per hour, billed per started 30min
    rate phone 165 PLN per hour, billed per started 15min
}
"""

Q3_SCENARIO = """\
name = "Q3 2026"
as_of = "2026-10-01T00:00:00+02:00"

[[subscriptions]]
customer = "globex"
plan = "START"
start = "2026-07-01T00:00:00+02:00"

[[tickets]]
id = "T-1"
customer = "globex"
created = "2026-07-03T15:00:00+02:00"
channel = "email"
events = [
  { at = "2026-07-06T09:00:00+02:00", type = "replied" },
  { at = "2026-07-06T10:00:00+02:00", type = "work", kind = "remote", duration = "3h20min" },
]

[[tickets]]
id = "T-2"
customer = "globex"
created = "2026-08-14T10:00:00+02:00"
channel = "email"
events = [{ at = "2026-08-18T09:00:00+02:00", type = "replied" }]
"""

VENDOR_TEST = """\
def test_q3_terms(tierwise_snapshot):
    tierwise_snapshot("plans/acme.plan", "scenarios/q3.toml")
"""

SNAPSHOT = Path("tests/__snapshots__/test_terms/test_q3_terms.toml")


@pytest.fixture
def vendor(pytester: pytest.Pytester) -> pytest.Pytester:
    """A vendor's repository: its plan, a scenario, one snapshot test, no conftest."""
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest\n")
    for rel, text in [("plans/acme.plan", ACME_PLAN), ("scenarios/q3.toml", Q3_SCENARIO),
                      ("tests/test_terms.py", VENDOR_TEST)]:
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # One replay out here first: an in-process inner run drops the modules it imported
    # (numpy, used by the calendars, cannot be imported twice in a process), and this way
    # the parser and holiday tables are built once, not in every inner run.
    simulate_files([pytester.path / "plans/acme.plan"], pytester.path / "scenarios/q3.toml")
    return pytester


def _edit_plan(pytester: pytest.Pytester, old: str, new: str) -> None:
    plan = pytester.path / "plans/acme.plan"
    plan.write_text(plan.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_update_creates_the_snapshot_and_the_next_run_passes(vendor: pytest.Pytester) -> None:
    result = vendor.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*snapshot {SNAPSHOT.as_posix()} does not exist yet; "
                                 "to create it, run pytest with --snapshot-update*"])

    result = vendor.runpytest_inprocess("--snapshot-update")
    result.assert_outcomes(passed=1)
    # Loaded from the installed entry point (there is no conftest in the vendor's repository).
    assert not list(vendor.path.rglob("conftest.py"))
    result.stdout.fnmatch_lines(["plugins:*tierwise*", "*1 snapshot generated*"])

    text = (vendor.path / SNAPSHOT).read_text(encoding="utf-8")
    assert 'amount = "399.00"' in text
    assert str(vendor.path) not in text  # no absolute paths: stable across checkouts
    assert '"plans/acme.plan"' in text

    # Once in a fresh interpreter too, as in a vendor's CI: nothing inherited from this one.
    result = vendor.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["plugins:*tierwise*", "*1 snapshot passed*"])


def test_changed_fee_fails_with_a_readable_diff_then_update_accepts_it(
        vendor: pytest.Pytester) -> None:
    vendor.runpytest_inprocess("--snapshot-update").assert_outcomes(passed=1)
    _edit_plan(vendor, "fee 399 PLN", "fee 449 PLN")

    result = vendor.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    # A unified diff of the TOML, hunks labelled with the invoice they are in.
    result.stdout.fnmatch_lines([
        f"*the result differs from snapshot {SNAPSHOT.as_posix()}",
        "*--snapshot-update*",
        "@@ * @@ invoices (customer globex, period 2026-07)",
        '-amount = "399.00"',
        '+amount = "449.00"',
    ])
    assert '-net = "399.00"' in out and '+net = "449.00"' in out
    assert "Traceback" not in out and "plugin.py" not in out  # no wall of frames
    # The stored snapshot is untouched by a failing run.
    assert 'amount = "449.00"' not in (vendor.path / SNAPSHOT).read_text(encoding="utf-8")

    vendor.runpytest_inprocess("--snapshot-update").assert_outcomes(passed=1)
    assert 'amount = "449.00"' in (vendor.path / SNAPSHOT).read_text(encoding="utf-8")
    vendor.runpytest_inprocess().assert_outcomes(passed=1)


def test_a_bad_plan_fails_with_located_errors_and_keeps_the_snapshot(
        vendor: pytest.Pytester) -> None:
    vendor.runpytest_inprocess("--snapshot-update").assert_outcomes(passed=1)
    stored = (vendor.path / SNAPSHOT).read_text(encoding="utf-8")
    _edit_plan(vendor, "response within 8 business hours", "response within 8")

    # Even under --snapshot-update: the reviewed snapshot is neither rewritten nor deleted
    # as "unused" because the replay could not run.
    result = vendor.runpytest_inprocess("--snapshot-update")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*tierwise could not replay plans/acme.plan, scenarios/q3.toml: 1 error",
        "plans/acme.plan:14:*: error: a duration needs a unit",
        "*response within 8 when channel is email*",
        "*^*",
        "  hint: *",
        "*1 snapshot failed*",
    ])
    failure = result.stdout.str().split(" FAILURES ")[1]
    assert "Traceback" not in failure and "PlanError" not in failure
    assert str(vendor.path) not in failure  # file names as the vendor wrote them
    assert "unused" not in failure
    assert (vendor.path / SNAPSHOT).read_text(encoding="utf-8") == stored


# ---- the diff helper, without a subprocess --------------------------------------------

OLD = """\
format = 1
ticket_count = 1

[[tickets]]
ticket = "T-1"
customer = "globex"

[tickets.targets.deadline]
local = "2026-07-06T15:00:00+02:00"

[money.PLN]
net = "399.00"

[[invoices]]
customer = "globex"
period = "2026-07"

[[invoices.lines]]
text = "fee Start 2026-07"
amount = "399.00"
"""


def test_snapshot_diff_labels_each_hunk_with_its_row() -> None:
    new = (OLD.replace('local = "2026-07-06T15:00', 'local = "2026-07-06T11:00')
              .replace("399.00", "449.00").replace("format = 1", "format = 2"))
    hunks = [line for line in snapshot_diff(OLD, new, context=0) if line.startswith("@@")]
    assert hunks == [
        "@@ -1,1 +1,1 @@",
        "@@ -9,1 +9,1 @@ tickets (ticket T-1) > targets.deadline",
        "@@ -12,1 +12,1 @@ money.PLN",
        "@@ -20,1 +20,1 @@ invoices (customer globex, period 2026-07)"
        " > lines (text fee Start 2026-07)",
    ]
    assert snapshot_diff(OLD, OLD) == []

"""The real logs, imported with the shipped mappings and replayed: sane invariants.

Only the first 2,000 rows of each log (``tierwise import --max-rows``), so this stays fast;
bench/replay_real.py replays the full logs and docs/replay.md reports what it shows. Skipped
when the third-party data folder is absent.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tierwise.cli.main import cli
from tierwise.engine.report import schema_errors

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TIERWISE_REAL_DATA", "/work/shared/data/real"))
SERVICENOW = DATA / "servicenow_uci_incident_event_log" / "incident_event_log.csv"
ITALIAN = DATA / "helpdesk_italian_software_company" / "finale.csv"
ROWS = 2000

pytestmark = pytest.mark.skipif(
    not (SERVICENOW.is_file() and ITALIAN.is_file()),
    reason=f"the real logs are not in {DATA} (third-party data, not in the repository)")

# (csv, mapping, plan file, plan)
CASES = {
    "servicenow-promotino-BUSINESS": (SERVICENOW, "plans/imports/servicenow-promotino.toml",
                                      "plans/promotino.plan", "BUSINESS"),
    "servicenow-soluma-VIP": (SERVICENOW, "plans/imports/servicenow.toml",
                              "plans/soluma.plan", "VIP"),
    "italian-webplug-PADRAO": (ITALIAN, "plans/imports/italian-webplug.toml",
                               "plans/webplug.plan", "PADRAO"),
}


def invoke(*args: Any) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module", params=list(CASES))
def replay(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, Any]],
                                                              dict[str, Any]]:
    """(case, the imported ticket records, the simulate JSON document)."""
    csv, mapping, plan_file, plan = CASES[request.param]
    scenario = tmp_path_factory.mktemp("real") / f"{request.param}.jsonl"
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        invoke("import", csv, "--mapping", mapping, "--output", scenario, "--plan", plan,
               "--max-rows", ROWS)
        doc = json.loads(invoke("simulate", plan_file, scenario, "-f", "json").stdout)
    finally:
        os.chdir(old)
    lines = [json.loads(line) for line in scenario.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["type"] == "header"
    assert {s["plan"] for s in lines[0]["subscriptions"]} == {plan}
    return request.param, lines[1:], doc


def test_the_document_is_valid_and_counts_every_imported_ticket(
        replay: tuple[str, list[dict[str, Any]], dict[str, Any]]) -> None:
    _case, records, doc = replay
    assert schema_errors(doc) == []
    assert 100 < len(records) < ROWS  # several rows per ticket
    assert doc["ticket_count"] == len(doc["tickets"]) == len(records)
    assert [t["ticket"] for t in doc["tickets"]] == [r["id"] for r in records]
    assert doc["summary"]["totals"]["tickets"] == len(records)
    assert doc["diagnostics"] == []


def test_statuses_add_up_to_the_summary(
        replay: tuple[str, list[dict[str, Any]], dict[str, Any]]) -> None:
    _case, _records, doc = replay
    guaranteed: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for ticket in doc["tickets"]:
        assert ticket["covered"] == (ticket["coverage"] is None)
        for target in ticket["targets"]:
            statuses[target["status"]] += 1
            if target["guaranteed"]:
                guaranteed[target["status"]] += 1
            assert target["deadline"]["utc"] >= target["start"]["utc"]
            assert target["measured"]["seconds"] >= 0
            if target["stopped_at"] is None:  # only open tickets at as_of have no stop
                assert target["status"] in ("pending", "breached", "objective_pending",
                                            "objective_missed", "not_guaranteed")
    totals = doc["summary"]["totals"]
    assert totals["targets"] == {k: v for k, v in statuses.items() if v}
    assert totals["guaranteed"] == {k: guaranteed[k] for k in ("met", "breached", "pending")}
    assert 0 <= totals["breach_rate"] <= 1
    decided = guaranteed["met"] + guaranteed["breached"]
    assert totals["breach_rate"] == round(guaranteed["breached"] / decided, 6)


def test_plan_specific_outcomes(
        replay: tuple[str, list[dict[str, Any]], dict[str, Any]]) -> None:
    case, records, doc = replay
    tickets = doc["tickets"]
    if case == "servicenow-promotino-BUSINESS":
        # every ServiceNow channel maps onto one Promotino offers, priorities onto p1..p3
        assert all(t["covered"] for t in tickets)
        assert {t["priority"] for t in tickets} <= {"p1", "p2", "p3"}
        assert {t["targets"][0]["rule"]["ref"] for t in tickets} <= {
            "plans/promotino.plan:116", "plans/promotino.plan:117", "plans/promotino.plan:118"}
        assert all(c["name"] == "Support Credit" for c in doc["credits"])
        assert {inv["plan"] for inv in doc["invoices"]} == {"BUSINESS"}
    elif case == "servicenow-soluma-VIP":
        # a response and a resolution target per covered ticket; self-service etc. not covered
        for t in tickets:
            metrics = sorted(x["metric"] for x in t["targets"])
            assert metrics == ([] if not t["covered"] else ["resolution", "response"])
        assert {t["coverage"] for t in tickets if not t["covered"]} <= {
            f"channel {c} not offered" for c in ("portal", "ivr", "direct")}
    else:
        # one free hour per missed answer guarantee (webplug.plan:88), 394 customers at most
        breached = doc["summary"]["totals"]["guaranteed"]["breached"]
        assert len(doc["credits"]) == breached
        assert all(c["seconds"] == 3600 and c["rule"] == "plans/webplug.plan:88"
                   for c in doc["credits"])
        assert all(t["targets"][0]["rule"]["ref"] == "plans/webplug.plan:59" for t in tickets)
        assert len({r["customer"] for r in records}) == len(
            {inv["customer"] for inv in doc["invoices"]})

"""Replay the two real helpdesk logs under the seed vendors' plans, end to end.

    .venv/bin/python bench/replay_real.py [--data DIR] [--workdir DIR] [--json FILE]

For each (log, mapping, plan) below: ``tierwise import`` the FULL CSV with the mapping and
``--plan``, then ``tierwise simulate ... --summary-only --format json`` the scenario (both
timed, as users run them); then one more pass over the same scenario through the engine
API for what the summary does not split out: breach rates per metric and per the priority
that selected the rule, and the ServiceNow ``made_sla`` oracle against our verdicts. A
last run puts Promotino's terms on a São Paulo calendar to show how much the chosen time
zone matters. The report is Markdown on stdout (docs/replay.md quotes it).

Skips cleanly (exit 0, a message) when the data folder is absent: the logs are third-party
data that is not part of the repository (see /work/shared/data/real/README.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("TIERWISE_REAL_DATA", "/work/shared/data/real"))
SERVICENOW = "servicenow_uci_incident_event_log/incident_event_log.csv"
ITALIAN = "helpdesk_italian_software_company/finale.csv"


@frozen
class Job:
    """One replay: a log imported with a mapping and replayed under one plan."""

    log: str  # short name for the tables
    csv: str  # relative to the data folder
    mapping: str  # relative to the repository
    plan_file: str
    plan: str
    oracle: bool = False  # compare with ServiceNow's made_sla


JOBS = (
    Job("ServiceNow", SERVICENOW, "plans/imports/servicenow-promotino.toml",
        "plans/promotino.plan", "MEDIUM", oracle=True),
    Job("ServiceNow", SERVICENOW, "plans/imports/servicenow-promotino.toml",
        "plans/promotino.plan", "BUSINESS", oracle=True),
    Job("ServiceNow", SERVICENOW, "plans/imports/servicenow.toml",
        "plans/soluma.plan", "VIP", oracle=True),
    Job("ServiceNow", SERVICENOW, "plans/imports/servicenow.toml",
        "plans/soluma.plan", "PO_GWARANCJI", oracle=True),
    Job("Italian", ITALIAN, "plans/imports/italian-webplug.toml",
        "plans/webplug.plan", "PADRAO"),
    Job("Italian", ITALIAN, "plans/imports/italian-webplug.toml",
        "plans/webplug.plan", "PRIORITARIO"),
    Job("Italian", ITALIAN, "plans/imports/italian-webplug.toml",
        "plans/webplug.plan", "PRIORITARIO_24_7"),
    Job("Italian", ITALIAN, "plans/imports/italian-webplug.toml",
        "plans/webplug.plan", "SEM_PLANO"),
)


def tierwise(*args: str | Path) -> tuple[float, str]:
    """Run the installed console script (as a user would); its wall time and stdout."""
    exe = Path(sys.executable).parent / "tierwise"
    began = time.perf_counter()
    proc = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    took = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(f"tierwise {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                 f"{proc.stderr}")
    return took, proc.stdout


# --------------------------------------------------------------------------- the runs


def import_and_replay(job: Job, data: Path, work: Path, plan_file: str | None = None,
                      ) -> dict[str, Any]:
    """Import the full log and replay it with the CLI; the figures of both steps."""
    stem = f"{Path(job.mapping).stem}-{job.plan}"
    scenario = work / f"{stem}.jsonl"
    if not scenario.exists():
        import_s, report = tierwise("import", data / job.csv, "--mapping", job.mapping,
                                    "--output", scenario, "--plan", job.plan, "--force")
    else:
        import_s, report = math.nan, ""
    out = work / f"{stem}{'-' + Path(plan_file).stem if plan_file else ''}.json"
    simulate_s, _ = tierwise("simulate", plan_file or job.plan_file, scenario, "--summary-only",
                             "--format", "json", "--output", out, "--force")
    doc = json.loads(out.read_text(encoding="utf-8"))
    return {"job": job, "scenario": scenario, "import_s": import_s, "simulate_s": simulate_s,
            "import_report": report, "doc": doc}


def per_target_pass(job: Job, scenario: Path) -> dict[str, Any]:
    """Per metric and selecting priority: met / breached; and the made_sla cross-table."""
    from tierwise.engine.plans import load_catalog
    from tierwise.engine.results import Status
    from tierwise.engine.scenario_io import open_scenario
    from tierwise.engine.simulator import Simulator

    catalog = load_catalog([ROOT / job.plan_file])
    header, tickets = open_scenario(scenario)
    simulator = Simulator(catalog, header)
    counts: Counter[tuple[str, str, str]] = Counter()
    oracle: Counter[tuple[str, str, str]] = Counter()  # (metric|any, our verdict, made_sla)
    resolved: list[tuple[float, bool]] = []  # (measured resolution seconds, made_sla)
    for ticket in tickets:
        result = simulator.simulate_ticket(ticket)
        made_sla = ticket.fields.get("made_sla", "?")
        if result.coverage is not None:
            oracle[("any", "not covered", made_sla)] += 1
            continue
        verdict: dict[str, bool] = {}
        for target in result.targets:
            if target.metric.value == "resolution" and made_sla in ("true", "false"):
                resolved.append((target.measured.total_seconds(), made_sla == "true"))
            if not target.guaranteed or target.status not in (Status.MET, Status.BREACHED):
                continue
            breached = target.status is Status.BREACHED
            counts[(target.metric.value, target.priority or "-", target.status.value)] += 1
            verdict[target.metric.value] = verdict.get(target.metric.value, False) or breached
        for metric, breached in verdict.items():
            oracle[(metric, "breached" if breached else "met", made_sla)] += 1
        if verdict:
            any_breach = any(verdict.values())
            oracle[("any", "breached" if any_breach else "met", made_sla)] += 1
    return {"counts": counts, "oracle": oracle, "threshold": best_threshold(resolved)}


def best_threshold(pairs: list[tuple[float, bool]]) -> tuple[float, float] | None:
    """The cut T that best reproduces made_sla as "resolved within T" (measured in the
    target's own clock), and its agreement: what the source system's terms look like."""
    if not pairs:
        return None
    pairs = sorted(pairs)
    total, made = len(pairs), sum(1 for _, ok in pairs if ok)
    best = (0.0, (total - made) / total)  # T = 0: nothing is within
    within_ok = within_late = 0
    for i, (seconds, ok) in enumerate(pairs):
        within_ok += ok
        within_late += not ok
        if i + 1 < total and pairs[i + 1][0] == seconds:
            continue
        agree = (within_ok + (total - made - within_late)) / total
        if agree > best[1]:
            best = (seconds, agree)
    return best


def kappa(cells: dict[tuple[str, str], int]) -> float:
    """Cohen's kappa of our verdict against made_sla (agreement beyond chance)."""
    total = sum(cells.values())
    if total == 0:
        return math.nan
    observed = (cells[("met", "true")] + cells[("breached", "false")]) / total
    ours_met = (cells[("met", "true")] + cells[("met", "false")]) / total
    theirs_true = (cells[("met", "true")] + cells[("breached", "true")]) / total
    chance = ours_met * theirs_true + (1 - ours_met) * (1 - theirs_true)
    return (observed - chance) / (1 - chance) if chance < 1 else math.nan


# --------------------------------------------------------------------------- the report


def pct(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100 * part / whole:.1f}%"


def table(head: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    head = list(head)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


_EXCEEDS = re.compile(r"priority=(\w+): mean response (\S+) over (\d+) tickets?"
                      r"(?:, \d+ pending counted so far)? exceeds the target ([^;\s]+)")


def hourly_rate(plan_file: str, plan: str) -> Decimal | None:
    """The plan's catch-all hourly rate, to value free hours granted as credits."""
    from tierwise.engine.plans import load_catalog

    for rule in load_catalog([ROOT / plan_file]).plans[plan].rates:
        if not rule.kinds and rule.price_per_hour is not None:
            return rule.price_per_hour.amount
    return None


def report(runs: list[dict[str, Any]], passes: dict[str, dict[str, Any]],
           variants: list[dict[str, Any]], seconds: float) -> str:
    out = ["# Real-data replay (generated by bench/replay_real.py)", ""]
    out.append(table(
        ["log", "mapping", "plan", "tickets", "not covered", "import (s)", "simulate (s)"],
        [[r["job"].log, f"`{r['job'].mapping}`", f"{r['job'].plan_file}: {r['job'].plan}",
          f"{r['doc']['ticket_count']:,}", f"{r['doc']['summary']['totals']['not_covered']:,}",
          f"{r['import_s']:.1f}", f"{r['simulate_s']:.1f}"] for r in runs]))
    out += ["", "## Summary per plan and final priority (`simulate --summary-only`)", ""]
    rows = []
    for r in runs:
        summary = r["doc"]["summary"]
        for g in [*summary["groups"], {**summary["totals"], "priority": "**all**"}]:
            fr = g["first_response"]
            targets = g["targets"]
            objective = targets.get("objective_met", 0) + targets.get("objective_missed", 0)
            rate = g["breach_rate"]
            rows.append([r["job"].log, r["job"].plan, g["priority"] or "-", f"{g['tickets']:,}",
                         f"{g['guaranteed']['met']:,}", f"{g['guaranteed']['breached']:,}",
                         "-" if rate is None else f"{100 * rate:.1f}%",
                         pct(targets.get("objective_missed", 0), objective) if objective else "-",
                         fr["mean"]["text"] if fr["mean"] else "-",
                         fr["p90"]["text"] if fr["p90"] else "-"])
    out.append(table(["log", "plan", "priority", "tickets", "met", "breached", "breach rate",
                      "objective missed", "mean response", "p90 response"], rows))
    out += ["", "## Breach rate per metric and per the priority that selected the rule", ""]
    rows = []
    for r in runs:
        counts = passes[r["job"].plan]["counts"]
        keys = sorted({(m, p) for m, p, _ in counts})
        for metric, prio in keys:
            met, breached = counts[(metric, prio, "met")], counts[(metric, prio, "breached")]
            rows.append([r["job"].log, r["job"].plan, metric, prio, f"{met + breached:,}",
                         f"{breached:,}", pct(breached, met + breached)])
    out.append(table(["log", "plan", "metric", "priority", "decided", "breached",
                      "breach rate"], rows))
    out += ["", "## Credits", ""]
    rows = []
    for r in runs:
        credits = r["doc"]["credits"]
        if not credits:
            rows.append([r["job"].log, r["job"].plan, "none", "", "", "", ""])
            continue
        by_status = Counter(c["status"] for c in credits)
        money = sum((Decimal(c["amount"]) for c in credits if c["amount"]), Decimal(0))
        hours = sum(c["seconds"] for c in credits) / 3600
        rate = hourly_rate(r["job"].plan_file, r["job"].plan) if hours else None
        value = (f"{money:,.2f} {credits[0]['currency']}" if money else
                 f"{hours:,.0f} free hours" + (f" (≈ {Decimal(hours) * rate:,.0f} EUR at "
                                                f"{rate} EUR/h)" if rate else ""))
        rows.append([r["job"].log, r["job"].plan, credits[0]["name"], len(credits),
                     ", ".join(f"{s} {n}" for s, n in by_status.most_common()), value,
                     credits[0]["scope"]])
    out.append(table(["log", "plan", "credit", "count", "status at as_of", "value", "scope"],
                     rows))
    for r in runs:
        aggregate = [c for c in r["doc"]["credits"] if c["scope"] == "aggregate"]
        if not aggregate:
            continue
        out += ["", f"### {r['job'].plan}: monthly {aggregate[0]['name']}", ""]
        rows = []
        for c in aggregate:
            hits = _EXCEEDS.findall(c["how"])
            rows.append([c["period"], c["status_text"], f"{c['amount']} {c['currency']}",
                         "; ".join(f"{p} {mean} > {target} ({n})"
                                   for p, mean, n, target in hits)])
        fired = {c["period"] for c in aggregate}
        periods = [inv["period"] for inv in r["doc"]["invoices"]]
        for period in periods:
            if period not in fired:
                rows.append([period, "no credit", "", "no priority's mean exceeded its target"])
        rows.sort()
        out.append(table(["month", "status", "amount", "priorities whose mean response "
                          "exceeded the target (tickets)"], rows))
    oracle_runs = [r for r in runs if r["job"].oracle]
    if oracle_runs:
        out += ["", "## ServiceNow `made_sla` against our verdicts", ""]
        rows = []
        for r in oracle_runs:
            oracle = passes[r["job"].plan]["oracle"]
            for metric in sorted({m for m, _, _ in oracle}):
                if metric == "any" and len({m for m, _, _ in oracle}) == 2:
                    continue  # one metric: "any" repeats it
                cells = {(v, s): oracle[(metric, v, s)] for v in ("met", "breached")
                         for s in ("true", "false")}
                total = sum(cells.values())
                agree = cells[("met", "true")] + cells[("breached", "false")]
                rows.append([r["job"].plan, metric, f"{kappa(cells):.2f}",
                             f"{cells[('met', 'true')]:,}",
                             f"{cells[('met', 'false')]:,}", f"{cells[('breached', 'true')]:,}",
                             f"{cells[('breached', 'false')]:,}", pct(agree, total),
                             pct(cells[("breached", "true")] + cells[("breached", "false")],
                                 total),
                             pct(cells[("met", "false")] + cells[("breached", "false")], total)])
        out.append(table(["plan", "our verdict on", "kappa", "met & made_sla",
                          "met & not made_sla",
                          "breached & made_sla", "breached & not made_sla", "agreement",
                          "we breach", "made_sla false"], rows))
        for r in oracle_runs:
            cut = passes[r["job"].plan]["threshold"]
            if cut is not None:
                out.append(f"\n{r['job'].plan}: made_sla is best reproduced as \"resolved within "
                           f"{cut[0] / 3600:.1f} h\" (the target's own clock, pauses taken out): "
                           f"{100 * cut[1]:.1f}% agreement.")
    if variants:
        out += ["", "## Sensitivity: Promotino's terms on a São Paulo calendar", ""]
        rows = []
        for v in variants:
            totals = v["doc"]["summary"]["totals"]
            base = next(r for r in runs if r["job"] == v["job"])["doc"]["summary"]["totals"]
            rows.append([v["job"].plan, f"{100 * base['breach_rate']:.1f}%",
                         f"{100 * totals['breach_rate']:.1f}%",
                         base["first_response"]["mean"]["text"],
                         totals["first_response"]["mean"]["text"],
                         len(next(r for r in runs if r["job"] == v["job"])["doc"]["credits"]),
                         len(v["doc"]["credits"])])
        out.append(table(["plan", "breach rate (Dublin)", "breach rate (São Paulo)",
                          "mean response (Dublin)", "mean response (São Paulo)",
                          "credits (Dublin)", "credits (São Paulo)"], rows))
    out += ["", f"Total wall time of this script: {seconds:.0f} s "
                f"({os.cpu_count()} CPUs visible, machine shared)."]
    return "\n".join(out) + "\n"


def sao_paulo_variant(work: Path) -> Path:
    """promotino.plan with its calendars moved to São Paulo (Brazilian holidays)."""
    text = (ROOT / "plans" / "promotino.plan").read_text(encoding="utf-8")
    text = text.replace("zone Europe/Dublin", "zone America/Sao_Paulo")
    text = text.replace("holidays IE", "holidays BR")
    path = work / "promotino-sao-paulo.plan"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the folder of the real logs (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the imported scenarios and results here (default: a "
                             "temporary folder, removed at the end)")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the raw figures as JSON")
    args = parser.parse_args(argv)
    missing = [p for p in (SERVICENOW, ITALIAN) if not (args.data / p).is_file()]
    if missing:
        print(f"skipped: the real logs are not in {args.data} (missing {', '.join(missing)}); "
              "see docs/replay.md")
        return 0
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tierwise-replay-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        runs, passes, variants = [], {}, []
        for job in JOBS:
            print(f"replaying {job.log} under {job.plan}...", file=sys.stderr)
            run = import_and_replay(job, args.data, work)
            runs.append(run)
            passes[job.plan] = per_target_pass(job, run["scenario"])
        variant_plan = sao_paulo_variant(work)
        for job in JOBS[:2]:
            print(f"replaying {job.log} under {job.plan} (São Paulo)...", file=sys.stderr)
            variants.append(import_and_replay(job, args.data, work, str(variant_plan)))
        text = report(runs, passes, variants, time.perf_counter() - began)
    print(text, end="")
    for run in runs:
        if run["import_report"]:
            print(f"\n<!-- import report, {run['job'].plan}:\n{run['import_report']}-->",
                  file=sys.stderr)
    if args.json is not None:
        raw = {r["job"].plan: {"summary": r["doc"]["summary"], "money": r["doc"]["money"],
                               "credits": r["doc"]["credits"],
                               "import_s": r["import_s"], "simulate_s": r["simulate_s"],
                               "per_target": {"|".join(k): v for k, v in
                                              passes[r["job"].plan]["counts"].items()},
                               "oracle": {"|".join(k): v for k, v in
                                          passes[r["job"].plan]["oracle"].items()}}
               for r in runs}
        args.json.write_text(json.dumps(raw, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

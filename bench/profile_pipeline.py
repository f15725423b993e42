"""Where a replay's time goes, stage by stage: µs per ticket for each stage timed alone.

    .venv/bin/python bench/profile_pipeline.py SCENARIO.jsonl [--plan plans/shipping.plan]
        [--limit N] [--cprofile STAGE] [--pyinstrument STAGE]

``bench/simulate_bench.py`` measures the replay end to end; this script says which stage
the time is spent in. It reads the whole scenario into a list first (timed as ``read``),
then runs each stage over the kept tickets on its own: ``simulate``
(``Simulator.simulate_ticket``), ``summary`` (``Summary.add``), ``ledger.add`` and
``ledger.finish``. Last, ``pipeline`` replays the kept tickets through
:func:`tierwise.engine.pipeline.simulate` (everything but reading, with the pipeline's own
GC settings). One CPU, as in the benchmark; the figures are CPU time of this process, so
that other work on a shared machine disturbs them less.

The stages run with the garbage collector off (a streaming replay keeps neither the
tickets nor the results, so collections over them would be charged to the wrong stage);
the ``pipeline`` row runs with the pipeline's own settings (``pipeline.replay_gc``).

``--cprofile STAGE`` or ``--pyinstrument STAGE`` (``pyinstrument`` is not a project
dependency: ``.venv/bin/pip install pyinstrument``) profiles one stage and prints the top
functions.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("read", "simulate", "summary", "ledger.add", "ledger.finish", "pipeline")


def pin_one_cpu() -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


class _Profiled:
    """Runs a stage plainly, or under the profiler asked for that stage."""

    def __init__(self, cprofile: str | None, pyinstrument: str | None) -> None:
        self.cprofile = cprofile
        self.pyinstrument = pyinstrument

    def run(self, stage: str, work: Callable[[], Any]) -> tuple[Any, float]:
        if stage == "pipeline":  # with the pipeline's own garbage collector settings
            return self._run(stage, work)
        gc.disable()
        try:
            return self._run(stage, work)
        finally:
            gc.enable()

    def _run(self, stage: str, work: Callable[[], Any]) -> tuple[Any, float]:
        if stage == self.cprofile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            t0 = time.perf_counter()
            out = profiler.runcall(work)
            seconds = time.perf_counter() - t0
            stats = pstats.Stats(profiler).sort_stats("tottime")
            stats.print_stats(30)
            stats.sort_stats("cumulative").print_stats(25)
            return out, seconds
        if stage == self.pyinstrument:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.0005)
            t0 = time.perf_counter()
            prof.start()
            out = work()
            prof.stop()
            seconds = time.perf_counter() - t0
            print(prof.output_text(unicode=True, color=False, show_all=False))
            return out, seconds
        t0 = time.process_time()  # CPU time: other processes on the core do not count
        out = work()
        return out, time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--plan", default="plans/shipping.plan")
    parser.add_argument("--limit", type=int, default=None, help="replay the first N tickets")
    parser.add_argument("--cprofile", choices=STAGES, default=None)
    parser.add_argument("--pyinstrument", choices=STAGES, default=None)
    args = parser.parse_args(argv)

    from itertools import islice

    from tierwise.engine.billing import Ledger
    from tierwise.engine.pipeline import simulate
    from tierwise.engine.plans import load_catalog
    from tierwise.engine.scenario_io import open_scenario
    from tierwise.engine.simulator import Simulator
    from tierwise.engine.summary import Summary

    pin_one_cpu()
    runner = _Profiled(args.cprofile, args.pyinstrument)
    catalog = load_catalog([ROOT / args.plan])
    header, stream = open_scenario(args.scenario)
    tickets, read_s = runner.run("read", lambda: list(islice(stream, args.limit)))
    gc.freeze()
    n = len(tickets)
    timings: dict[str, float] = {"read": read_s}

    simulator = Simulator(catalog, header)
    sim = simulator.simulate_ticket
    results, timings["simulate"] = runner.run("simulate", lambda: [sim(t) for t in tickets])
    gc.freeze()

    summary = Summary()

    def summarise() -> None:
        add = summary.add
        for result in results:
            add(result)

    _, timings["summary"] = runner.run("summary", summarise)

    ledger = Ledger(catalog, header)

    def collect() -> None:
        add = ledger.add
        for ticket, result in zip(tickets, results, strict=True):
            add(ticket, result)

    _, timings["ledger.add"] = runner.run("ledger.add", collect)
    money, timings["ledger.finish"] = runner.run("ledger.finish", ledger.finish)
    results.clear()  # a streaming replay keeps neither
    del money
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _, timings["pipeline"] = runner.run(
        "pipeline", lambda: simulate(catalog, header, tickets, keep_tickets=False))

    print(f"{n:,} tickets from {args.scenario}")
    print("| stage | s | µs/ticket | tickets/s |")
    print("| --- | ---: | ---: | ---: |")
    for stage in STAGES:
        s = timings[stage]
        print(f"| {stage} | {s:.2f} | {s / n * 1e6:.1f} | {n / s:,.0f} |")
    stages = sum(timings[s] for s in STAGES[1:-1])
    print(f"| stages after reading, summed | {stages:.2f} | {stages / n * 1e6:.1f} "
          f"| {n / stages:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of `tierwise sweep`: a 40-point grid over a generated ticket history.

    .venv/bin/python bench/sweep_bench.py                 # --tickets 100000 --workers <cores>

1. Generates a seeded history for plans/shipping.plan with ``tierwise.engine.generate``
   (the parameters of plans/generate/shipping.toml, with the arrival rate and customer count
   scaled so that ``--tickets`` tickets fall in 2026), as JSON Lines in a temporary folder.
2. Single point: reads the scenario once, then replays it once summary-only (what one grid
   point costs a worker that already holds the tickets); also reported: the read time.
3. The sweep: ``STANDARD.response`` 2h..20h/2h x ``START.fee`` 349..499 PLN/50 PLN
   (40 points) through :func:`tierwise.engine.sweep.run_local`, the code path of
   ``tierwise sweep --workers N`` (worker start-up and each worker reading the scenario
   included).

Bar: sweep wall time <= 2 x (single-point time x points / workers). Exit status 1 when the
bar is missed. ``--dask`` also times the same grid on a Dask ``LocalCluster``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent


def generate_history(path: Path, tickets: int) -> float:
    """Write ``tickets`` seeded tickets for the shipping plans; the seconds it took."""
    from tierwise.engine.generate import expected_tickets, generate, load_params

    started = time.perf_counter()
    params = load_params(ROOT / "plans" / "generate" / "shipping.toml")
    scale = tickets / expected_tickets(params)
    params = attrs.evolve(
        params,
        arrivals=attrs.evolve(params.arrivals, per_hour=params.arrivals.per_hour * scale),
        customers=attrs.evolve(params.customers,
                               count=max(params.customers.count, tickets // 25)),
    )
    with path.open("w", encoding="utf-8") as out:
        generate(params, out, tickets=tickets)
    return time.perf_counter() - started


def _load() -> str:
    """The 1-minute load average: the machine may be shared while the bench runs."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the history here (and keep it) instead of a temp folder")
    args = parser.parse_args(argv)

    from tierwise.engine.pipeline import simulate
    from tierwise.engine.plans import load_catalog
    from tierwise.engine.scenario_io import open_scenario
    from tierwise.engine.sweep import check_points, grid_points, parse_grid, run_dask, run_local

    plans = ROOT / "plans" / "shipping.plan"
    catalog = load_catalog([plans])
    axes = [parse_grid("STANDARD.response=2h..20h/2h"),
            parse_grid("START.fee=349PLN..499PLN/50PLN")]
    points = grid_points(axes)
    check_points(catalog, axes, points)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        history = folder / f"shipping-{args.tickets}.jsonl"
        gen_s = generate_history(history, args.tickets)
        size_mb = history.stat().st_size / 1e6
        print(f"python {platform.python_version()}, {os.cpu_count()} cores, "
              f"{args.workers} workers")
        print(f"generated {args.tickets:,} tickets ({size_mb:.0f} MB JSON Lines) "
              f"in {gen_s:.1f} s")

        started = time.perf_counter()
        header, stream = open_scenario(history)
        tickets = tuple(stream)
        read_s = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        simulate(catalog, header, tickets, keep_tickets=False)
        point_s, point_cpu = time.perf_counter() - started, time.process_time() - cpu
        del tickets
        print(f"read the scenario: {read_s:.1f} s; single point (summary-only replay): "
              f"{point_s:.1f} s wall, {point_cpu:.1f} s CPU")

        load_before = _load()
        started = time.perf_counter()
        rows = list(run_local(catalog, history, points, workers=args.workers))
        sweep_s = time.perf_counter() - started
        assert len(rows) == len(points)
        ideal = point_s * len(points) / args.workers
        bar = 2 * ideal
        print(f"sweep of {len(points)} points on {args.workers} local workers: {sweep_s:.1f} s "
              f"(ideal {ideal:.1f} s, bar {bar:.1f} s, {sweep_s / ideal:.2f}x ideal)")
        in_worker = sum(r["seconds"] for r in rows) / len(rows)
        cpu_worker = sum(r["cpu_seconds"] for r in rows) / len(rows)
        print(f"  inside the workers a point took {in_worker:.2f} s wall, {cpu_worker:.2f} s "
              f"CPU; serially the grid would take {read_s + point_s * len(points):.0f} s")
        print(f"  load average before/after: {load_before} / {_load()}")
        ok = sweep_s <= bar

        if args.dask:
            started = time.perf_counter()
            dask_rows = list(run_dask(catalog, history, points, address="local",
                                      workers=args.workers))
            dask_s = time.perf_counter() - started
            assert len(dask_rows) == len(points)
            print(f"same sweep on a Dask LocalCluster of {args.workers} processes: "
                  f"{dask_s:.1f} s ({dask_s / ideal:.2f}x ideal)")

        print(f"equivalent command: tierwise sweep {plans.relative_to(ROOT)} {history.name} "
              f'--grid "{axes[0].source}" --grid "{axes[1].source}" '
              f"--workers {args.workers} --format csv")
    print("bar met" if ok else "BAR MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

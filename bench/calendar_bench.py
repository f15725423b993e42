"""Calendar arithmetic benchmark: tierwise against pandas and workclock, in one run.

    .venv/bin/python bench/calendar_bench.py [--n 100000] [--pandas-n 2000] [--repeat 3]

Workload: n random (start, duration) pairs over two years (2025-2026), start instants on
the second, durations 0-40 business hours on the second, on Mon-Fri 09:00-17:00
Europe/Warsaw with Polish public holidays. Every library gets the same instants, already
built as its own input type (conversion is not timed); each figure is the best of
``--repeat`` runs. pandas ``CustomBusinessHour`` only adds whole hours, so it gets
ceil(duration) hours (at least 1) on a sample of ``--pandas-n`` pairs; its figure is per
operation. Results are cross-checked before anything is timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from tierwise.engine.calendars import BusinessCalendar
from tierwise.engine.model import CalendarRule, HolidaySource, WeeklyWindow

ZONE = "Europe/Warsaw"
RULE = CalendarRule(
    "bench",
    ZONE,
    windows=tuple(WeeklyWindow(d, dt.time(9), dt.time(17)) for d in range(5)),
    holidays=(HolidaySource("PL"),),
)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """Best wall time of ``repeat`` runs, in seconds (the machine is shared)."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def workload(n: int, seed: int = 2025) -> tuple[list[dt.datetime], list[dt.timedelta]]:
    rnd = random.Random(seed)
    tz = ZoneInfo(ZONE)
    first = dt.datetime(2025, 1, 1, tzinfo=tz).timestamp()
    span = int(dt.datetime(2027, 1, 1, tzinfo=tz).timestamp() - first)
    starts = [dt.datetime.fromtimestamp(first + rnd.randrange(span), tz) for _ in range(n)]
    durations = [dt.timedelta(seconds=rnd.randrange(40 * 3600 + 1)) for _ in range(n)]
    return starts, durations


def ten_year_memory() -> tuple[float, float, float]:
    """(traced MiB, compiled-array MiB, compile seconds) for 2025-2034, each from scratch.

    The compile time is taken without tracemalloc (which slows allocation down); the memory
    is everything the calendar allocates, holiday sets included (their cache is cleared).
    """
    from tierwise.engine import calendars

    t0 = time.perf_counter()
    BusinessCalendar.from_rule(RULE).compile_years(2025, 2034)
    seconds = time.perf_counter() - t0
    calendars._holiday_dates.cache_clear()
    tracemalloc.start()
    cal = BusinessCalendar.from_rule(RULE)
    cal.compile_years(2025, 2034)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current / 2**20, cal.compiled_bytes() / 2**20, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="pairs for tierwise/workclock")
    parser.add_argument("--pandas-n", type=int, default=2_000, help="pairs for pandas (slow)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, best is kept")
    args = parser.parse_args(argv)

    import pandas as pd

    starts, durations = workload(args.n)
    tz = ZoneInfo(ZONE)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"workload: {args.n} pairs, 2025-2026, Mon-Fri 09:00-17:00 {ZONE}, PL holidays")

    # ---------------------------------------------------------------- tierwise
    t0 = time.perf_counter()
    cal = BusinessCalendar.from_rule(RULE)
    t1 = time.perf_counter()
    cal.add_business(starts[0], durations[0])
    compile_ms = (time.perf_counter() - t1) * 1e3
    validate_ms = (t1 - t0) * 1e3
    cal.compile_years(2025, 2027)

    epochs = np.array([s.timestamp() for s in starts])
    seconds = np.array([d.total_seconds() for d in durations])
    scalar_out = [cal.add_business(s, d) for s, d in zip(starts, durations, strict=True)]
    batch_out = cal.add_business_many(epochs, seconds)
    assert [dt.datetime.fromtimestamp(x, tz) for x in batch_out] == scalar_out
    ends = [s + dt.timedelta(days=3) for s in starts]  # wall-clock +3 days, any instant is ok
    ends_epochs = np.array([e.timestamp() for e in ends])

    add = cal.add_business
    elapsed = cal.elapsed_business
    results: dict[str, float] = {}
    results["tierwise scalar add"] = (
        best_of(args.repeat, lambda: [add(s, d) for s, d in zip(starts, durations, strict=True)])
        / args.n
    )
    results["tierwise batch add"] = (
        best_of(args.repeat, lambda: cal.add_business_many(epochs, seconds)) / args.n
    )
    results["tierwise scalar elapsed"] = (
        best_of(args.repeat, lambda: [elapsed(s, e) for s, e in zip(starts, ends, strict=True)])
        / args.n
    )
    results["tierwise batch elapsed"] = (
        best_of(args.repeat, lambda: cal.elapsed_business_many(epochs, ends_epochs)) / args.n
    )

    # ---------------------------------------------------------------- pandas
    hol = sorted(holidays.country_holidays("PL", years=range(2024, 2029)))
    sample = range(min(args.pandas_n, args.n))
    hours = {i: max(1, math.ceil(durations[i].total_seconds() / 3600)) for i in sample}
    offsets = {
        h: pd.offsets.CustomBusinessHour(n=h, start="09:00", end="17:00", holidays=hol)
        for h in set(hours.values())
    }
    stamps = [pd.Timestamp(starts[i]) for i in sample]
    pairs = [(stamps[k], offsets[hours[i]]) for k, i in enumerate(sample)]
    for k, i in enumerate(list(sample)[:300]):  # same answers (pandas: next opening at closing)
        ours = cal.add_business(starts[i], dt.timedelta(hours=hours[i]))
        ours = ours if cal.is_open(ours) else cal.next_opening(ours)
        assert (stamps[k] + offsets[hours[i]]).to_pydatetime() == ours, (starts[i], hours[i])
    results["pandas CustomBusinessHour add"] = best_of(
        args.repeat, lambda: [s + o for s, o in pairs]
    ) / len(pairs)

    # ---------------------------------------------------------------- workclock
    import workclock

    schedule = workclock.Schedule(
        [workclock.WorkDay(dt.time(9), dt.time(17), days=range(5)), workclock.Holidays(hol)],
        time_zone=ZONE,
    )
    wc_note = "workclock expresses the same holidays (a Holidays rule removes whole local dates)"
    for s, d, ours in list(zip(starts, durations, scalar_out, strict=True))[:2000]:
        assert schedule.add(s, d) == ours, (s, d)
    results["workclock scalar add"] = (
        best_of(
            args.repeat,
            lambda: [schedule.add(s, d) for s, d in zip(starts, durations, strict=True)],
        )
        / args.n
    )
    results["workclock scalar between"] = (
        best_of(
            args.repeat, lambda: [schedule.between(s, e) for s, e in zip(starts, ends, strict=True)]
        )
        / args.n
    )
    dt64 = epochs.astype("datetime64[s]")
    td64 = seconds.astype("timedelta64[s]")
    results["workclock batch add_many"] = (
        best_of(args.repeat, lambda: schedule.add_many(dt64, td64)) / args.n
    )

    # ---------------------------------------------------------------- report
    print(
        f"from_rule (validation; the first one imports holidays): {validate_ms:.1f} ms; "
        f"first query compiles two years: {compile_ms:.1f} ms"
    )
    print()
    print(f"{'operation':34s} {'us/op':>10s}")
    for name, sec in results.items():
        print(f"{name:34s} {sec * 1e6:10.3f}")
    print(f"(pandas timed on {len(pairs)} pairs; {wc_note})")

    scalar = results["tierwise scalar add"]
    batch = results["tierwise batch add"]
    pandas_op = results["pandas CustomBusinessHour add"]
    wc = results["workclock scalar add"]
    mib, compiled_mib, build_s = ten_year_memory()
    bars = [
        ("scalar vs pandas CustomBusinessHour", pandas_op / scalar, 30),
        ("scalar vs workclock scalar", wc / scalar, 3),
        ("batch vs pandas CustomBusinessHour", pandas_op / batch, 300),
    ]
    print()
    print(f"{'ratio':40s} {'measured':>10s} {'bar':>6s}")
    ok = True
    for name, ratio, bar in bars:
        status = "ok" if ratio >= bar else "MISSED"
        ok &= ratio >= bar
        print(f"{name:40s} {ratio:9.1f}x {bar:5d}x {status}")
    ratio = results["workclock batch add_many"] / batch
    print(f"{'batch vs workclock add_many':40s} {ratio:9.1f}x {'-':>6s}")
    ratio = results["workclock scalar between"] / results["tierwise scalar elapsed"]
    print(f"{'scalar elapsed vs workclock between':40s} {ratio:9.1f}x {'-':>6s}")
    print()
    mem_ok = mib < 10
    ok &= mem_ok
    print(
        f"10-year calendar (2025-2034): {mib:.2f} MiB traced ({compiled_mib:.2f} MiB of "
        f"compiled arrays), compiled in {build_s * 1e3:.0f} ms; bar 10 MiB "
        f"{'ok' if mem_ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

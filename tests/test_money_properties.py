"""Properties of the money stage that must hold for any input (hypothesis).

- an invoice's net is the sum of its lines, each rounded to the minor unit; VAT is the
  half-up rounded share of the net;
- an aggregate credit never exceeds its cap;
- billing is monotonic in a session's duration (when the out-of-hours increment is a
  multiple of the in-hours one, as every seed vendor's is, and the overhead does not move
  from an out-of-hours part into support hours: see docs/money.md);
- rounding never bills less than was worked (plus overhead);
- balances never go negative, and what is drawn plus what is charged is what was billable.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from builders import at, make_ticket, office, span
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from money_builders import (
    HOUR,
    MIN,
    business_hours,
    catalog,
    fee,
    header,
    money,
    pct,
    percent_of_fee,
    plain,
    plan,
    result,
    run,
    sub,
    target_result,
)

from tierwise.engine.billing import Balance, billable_parts, draw
from tierwise.engine.calendars import calendar_for
from tierwise.engine.invoices import LineKind, MoneyResult
from tierwise.engine.model import (
    AggregateCredit,
    CreditTier,
    IncludedHours,
    Measure,
    Metric,
    Period,
    RateRule,
    Surcharge,
)
from tierwise.engine.results import Status
from tierwise.engine.scenario import Event, EventKind, Ticket, WorkSession

OFFICE = office()
CAL = calendar_for(OFFICE)
BASE = at("2026-03-02 00:00")
CENT = Decimal("0.01")
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

prices = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
increments = st.sampled_from([0, 60, 15 * MIN, 30 * MIN, HOUR])
# (in-hours increment, out-of-hours increment) with out a multiple of in
split_increments = st.sampled_from([(15 * MIN, 30 * MIN), (15 * MIN, 15 * MIN),
                                    (30 * MIN, HOUR), (60, 15 * MIN), (HOUR, HOUR)])
offsets = st.integers(min_value=0, max_value=14 * 24 * 60)  # minutes into a fortnight
durations = st.integers(min_value=0, max_value=10 * 60)  # minutes


def session(start_min: int, minutes: int, kind: str = "remote") -> Event:
    return Event(BASE + dt.timedelta(minutes=start_min), EventKind.WORK,
                 work=WorkSession(kind, minutes * MIN))


def ledger_run(rate: RateRule, tickets: list[Ticket], vat: int = 23,
               **plan_kw: Any) -> MoneyResult:
    p = plan("STD", "EUR", fee=fee("99.99 EUR"), vat=pct(vat), rates=(rate,),
             **plan_kw)
    cat = catalog(p, calendars=[OFFICE])
    head = header("2026-04-30 00:00", sub("acme", "STD", "2026-03-01 00:00"))
    return run(cat, head, [plain(t, "STD") for t in tickets])


@FAST
@given(price=prices, inc=increments, vat=st.integers(0, 27),
       sessions=st.lists(st.tuples(offsets, durations), max_size=8),
       express=st.booleans())
def test_net_is_the_sum_of_rounded_lines(price: Decimal, inc: int, vat: int,
                                         sessions: list[tuple[int, int]],
                                         express: bool) -> None:
    rate = RateRule(frozenset(), money(f"{price} EUR"), inc, span=span(20))
    t = make_ticket("T1", BASE, *(session(s, m) for s, m in sessions), express=express)
    res = ledger_run(rate, [t], vat=vat, surcharges=(Surcharge("express", pct(33)),))
    for inv in res.invoices:
        total = Decimal(0)
        for line in inv.lines:
            assert line.amount.amount == line.amount.amount.quantize(CENT)
            total += line.amount.amount
        assert inv.net.amount == total
        assert inv.vat.amount == (total * Decimal(vat) / 100).quantize(CENT, ROUND_HALF_UP)
        assert inv.gross.amount == inv.net.amount + inv.vat.amount


@FAST
@given(start=offsets, minutes=durations, overhead=st.integers(0, 15), inc=split_increments,
       split=st.booleans())
def test_rounding_never_bills_less_than_worked(start: int, minutes: int, overhead: int,
                                               inc: tuple[int, int], split: bool) -> None:
    rate = RateRule(frozenset(), money("10 EUR"), inc[0], inc[1])
    parts = billable_parts(BASE + dt.timedelta(minutes=start), minutes * MIN, overhead * MIN,
                           rate, CAL, split)
    assert sum(p.worked for p in parts) == minutes * MIN
    assert sum(p.billable for p in parts) >= (minutes + overhead) * MIN
    for p in parts:
        assert p.billable >= p.worked + p.overhead
        if p.increment:
            assert p.billable % p.increment == 0


@FAST
@given(start=offsets, a=durations, b=durations, overhead=st.integers(0, 15),
       inc=split_increments, ooh=st.integers(0, 100), express=st.booleans(),
       included=st.integers(0, 5 * 60))
@example(start=180, a=287, b=301, overhead=0, inc=(15 * MIN, 30 * MIN), ooh=0, express=False,
         included=0)
def test_billing_is_monotonic_in_session_duration(start: int, a: int, b: int, overhead: int,
                                                  inc: tuple[int, int], ooh: int,
                                                  express: bool, included: int) -> None:
    from tierwise.engine.model import Overhead

    short, long = min(a, b), max(a, b)
    rate = RateRule(frozenset(), money("37.5 EUR"), inc[0], inc[1], span=span(20))
    if overhead:
        # The SPEC puts the overhead on the part in which the session ends: when the longer
        # session crosses an opening, it moves into the finer in-hours part and can bill
        # less (test_overhead_moving_into_support_hours_can_bill_less).
        ends = [billable_parts(BASE + dt.timedelta(minutes=start), m * MIN, overhead * MIN,
                               rate, CAL, True)[-1].in_hours for m in (short, long)]
        assume(ends != [False, True])
    extra: dict[str, Any] = dict(
        surcharges=(Surcharge("out of hours", pct(ooh)), Surcharge("express", pct(100))),
        overheads=(Overhead(overhead * MIN),),
        included_hours=(IncludedHours(included * MIN, frozenset()),),
    )
    charged = []
    for minutes in (short, long):
        t = make_ticket("T1", BASE, session(start, minutes), express=express)
        res = ledger_run(rate, [t], **extra)
        charged.append(sum(inv.total_of(LineKind.WORK).amount for inv in res.invoices))
        parts = billable_parts(BASE + dt.timedelta(minutes=start), minutes * MIN,
                               overhead * MIN, rate, CAL, True)
        charged.append(Decimal(sum(p.billable for p in parts)))
    assert charged[0] <= charged[2]  # money
    assert charged[1] <= charged[3]  # billable seconds


def test_overhead_moving_into_support_hours_can_bill_less() -> None:
    # 15/30-minute blocks, 14 min of notes, opening at 08:00 (docs/money.md, Monotonicity):
    # 03:00 + 4h47 → 07:47, all out of hours: 4h47 + 14min = 5h01 → 11 × 30min = 5h30;
    # 03:00 + 5h01 → 08:01: 5h out → 10 × 30min = 5h; 1min + 14min in → 1 × 15min: 5h15.
    rate = RateRule(frozenset(), money("37.5 EUR"), 15 * MIN, 30 * MIN)
    at3 = BASE + dt.timedelta(hours=3)
    short = billable_parts(at3, 287 * MIN, 14 * MIN, rate, CAL, True)
    long = billable_parts(at3, 301 * MIN, 14 * MIN, rate, CAL, True)
    assert [p.billable // MIN for p in short] == [330]
    assert [p.billable // MIN for p in long] == [300, 15]


@FAST
@given(measured=st.lists(st.tuples(st.sampled_from(["high", "low"]), st.integers(0, 20),
                                   st.booleans()), min_size=1, max_size=12),
       cap=st.integers(1, 150), tiers=st.lists(st.tuples(st.integers(1, 100),
                                                         st.integers(1, 200)),
                                               min_size=1, max_size=3))
def test_aggregate_credits_never_exceed_their_cap(measured: list[tuple[str, int, bool]],
                                                  cap: int,
                                                  tiers: list[tuple[int, int]]) -> None:
    credit = AggregateCredit(
        "Attainment", Measure.ATTAINMENT, Metric.FIRST_RESPONSE, ("priority",), Period.MONTH,
        tuple(CreditTier(pct(t), percent_of_fee(v)) for t, v in tiers),
        cap=percent_of_fee(cap))
    mean = AggregateCredit(
        "Mean", Measure.MEAN, Metric.FIRST_RESPONSE, ("priority",), Period.MONTH,
        (CreditTier(None, percent_of_fee(tiers[0][1])),), cap=percent_of_fee(cap))
    p = plan("STD", "EUR", fee=fee("123.45 EUR"), aggregate_credits=(credit, mean))
    pairs = []
    for i, (prio, hours, met) in enumerate(measured):
        t = make_ticket(f"T{i}", BASE + dt.timedelta(hours=i), priority=prio)
        target = target_result(Metric.FIRST_RESPONSE, Status.MET if met else Status.BREACHED,
                               start=t.created, measured_s=hours * HOUR,
                               allowance=business_hours(8))
        pairs.append((t, result(t, "STD", target)))
    cat = catalog(p, calendars=[OFFICE])
    res = run(cat, header("2026-04-30 00:00", sub("acme", "STD", "2026-03-01 00:00")), pairs)
    limit = (Decimal("123.45") * cap / 100).quantize(CENT, ROUND_HALF_UP)
    for c in res.credits:
        assert c.amount is not None and c.amount.amount <= limit
        assert c.amount.amount >= 0
    for inv in res.invoices:
        assert inv.net.amount >= 0  # credits never make an invoice negative


@FAST
@given(sizes=st.lists(st.integers(0, 600), min_size=1, max_size=6),
       requests=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 400)), max_size=12))
def test_balances_never_go_negative(sizes: list[int], requests: list[tuple[int, int]]) -> None:
    balances = [Balance(f"b{i}", frozenset(), BASE + dt.timedelta(days=i),
                        BASE + dt.timedelta(days=10 + i) if i % 2 else None, size * MIN, i)
                for i, size in enumerate(sizes)]
    for day, minutes in requests:
        before = sum(b.left for b in balances)
        draws, rest = draw(balances, "remote", BASE + dt.timedelta(days=day), minutes * MIN)
        assert all(b.left >= 0 for b in balances)
        taken = sum(s for _, s in draws)
        assert taken + rest == minutes * MIN and rest >= 0
        assert before - taken == sum(b.left for b in balances)

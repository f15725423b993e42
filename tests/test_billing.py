"""Charges (SPEC 3.3): rounding, splitting at support hours, balances, periods, bad input."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from attrs import evolve
from builders import at, cond, make_ticket, office, span, work
from money_builders import (
    HOUR,
    MIN,
    catalog,
    claim,
    fee,
    header,
    money,
    pct,
    plain,
    plan,
    run,
    sub,
)

from tierwise.engine.billing import (
    Balance,
    Ledger,
    billable_parts,
    draw,
    round_up,
    select_rate,
)
from tierwise.engine.calendars import calendar_for
from tierwise.engine.errors import ScenarioError
from tierwise.engine.invoices import Invoice, LineKind, MoneyResult
from tierwise.engine.model import (
    IncludedHours,
    Overhead,
    PackProduct,
    Period,
    Plan,
    PlanChange,
    RateRule,
    Surcharge,
)
from tierwise.engine.scenario import (
    Event,
    EventKind,
    PackPurchase,
    PlanChangeEvent,
    Ticket,
    WorkSession,
)

OFFICE = office()  # Warsaw, mon-fri 08:00-16:00
RATE = RateRule(frozenset(), money("60 EUR"), 15 * MIN, span=span(20))


def amounts(inv: Invoice, kind: LineKind) -> list[str]:
    return [str(line.amount.amount) for line in inv.lines_of(kind)]


def basic(**kw: Any) -> Plan:
    options: dict[str, Any] = dict(fee=fee("100 EUR"), rates=(RATE,))
    options.update(kw)
    return plan("STD", "EUR", **options)


def one_run(as_of: str, tickets: Sequence[Ticket], plans: Sequence[Plan] | None = None,
            **sub_kw: Any) -> MoneyResult:
    cat = catalog(*(plans or [basic()]), calendars=[OFFICE])
    head = header(as_of, sub("acme", "STD", "2026-03-01 00:00", **sub_kw))
    return run(cat, head, [plain(t, "STD") for t in tickets])


# --------------------------------------------------------------------------- rounding


def test_round_up() -> None:
    assert round_up(0, 900) == 0
    assert round_up(1, 900) == 900
    assert round_up(900, 900) == 900
    assert round_up(901, 900) == 1800
    assert round_up(61, 0) == 61  # no increment: exact seconds


def test_billable_parts_without_split_adds_overhead_then_rounds() -> None:
    # 50min + 5min = 55min → 2 × 30min = 1h
    rate = RateRule(frozenset(), money("140 PLN"), 30 * MIN)
    (part,) = billable_parts(at("2026-03-02 10:00"), 50 * MIN, 5 * MIN, rate, None, False)
    assert part.billable == HOUR
    assert part.how(False) == "50min + 5min overhead = 55min → 2 × 30min = 1h"


def test_overhead_goes_to_the_part_in_which_the_session_ends() -> None:
    # 15:50 for 20min on an 08:00-16:00 calendar: 10min in (→ 15min), 10min out + 5min
    # overhead = 15min out (→ 30min).
    rate = RateRule(frozenset(), money("40 EUR"), 15 * MIN, 30 * MIN)
    cal = calendar_for(OFFICE)
    inside, outside = billable_parts(at("2026-03-02 15:50"), 20 * MIN, 5 * MIN, rate, cal, True)
    assert (inside.in_hours, inside.worked, inside.overhead, inside.billable) == (
        True, 10 * MIN, 0, 15 * MIN)
    assert (outside.in_hours, outside.worked, outside.overhead, outside.billable) == (
        False, 10 * MIN, 5 * MIN, 30 * MIN)


def test_night_session_splits_into_three_parts() -> None:
    # 15:00 Mon → 09:00 Tue (18h): 1h in, 16h out, 1h in; the overhead on the last part.
    rate = RateRule(frozenset(), money("40 EUR"), 15 * MIN, 30 * MIN)
    parts = billable_parts(at("2026-03-02 15:00"), 18 * HOUR, 0, rate,
                           calendar_for(OFFICE), True)
    assert [(p.in_hours, p.worked // MIN) for p in parts] == [
        (True, 60), (False, 960), (True, 60)]


def test_zero_length_session_with_overhead_is_one_increment() -> None:
    rate = RateRule(frozenset(), money("40 EUR"), 15 * MIN, 30 * MIN)
    (part,) = billable_parts(at("2026-03-02 20:00"), 0, 5 * MIN, rate, calendar_for(OFFICE),
                             True)
    assert (part.in_hours, part.billable) == (False, 30 * MIN)


def test_rate_naming_the_kind_wins_a_tie_but_a_more_specific_condition_wins_first() -> None:
    generic = RateRule(frozenset(), money("120 PLN"), HOUR)
    remote = RateRule(frozenset({"remote"}), money("165 PLN"), 30 * MIN)
    warranty = RateRule(frozenset(), None, 0, condition=cond(category="warranty"))
    p = plan("P", "PLN", rates=(generic, remote, warranty))
    assert select_rate(p, "remote", {}) is remote
    assert select_rate(p, "phone", {}) is generic
    assert select_rate(p, "remote", {"category": "warranty"}) is warranty


# --------------------------------------------------------------------------- balances


def balance(label: str, acquired: str, expires: str | None, hours: float,
            seq: int, kinds: frozenset[str] = frozenset()) -> Balance:
    return Balance(label, kinds, at(acquired), at(expires) if expires else None,
                   round(hours * HOUR), seq)


def test_draw_order_earliest_expiry_first_non_expiring_last() -> None:
    # A 1-year pack bought first, this month's included hours, credited free hours: the
    # included hours (expire Apr 1) go first, then the pack (2027), then the free hours.
    pack = balance("pack", "2026-01-10 10:00", "2027-01-10 10:00", 1, 1)
    free = balance("free", "2026-02-01 10:00", None, 1, 2)
    included = balance("included", "2026-03-01 00:00", "2026-04-01 00:00", 1, 3)
    draws, rest = draw([pack, free, included], "remote", at("2026-03-05 10:00"), 150 * MIN)
    assert [(b.label, s // MIN) for b, s in draws] == [("included", 60), ("pack", 60),
                                                        ("free", 30)]
    assert rest == 0 and free.left == 30 * MIN


def test_draw_ties_by_acquisition_and_respects_kinds_and_availability() -> None:
    a = balance("a", "2026-03-01 00:00", "2026-04-01 00:00", 1, 2)
    b = balance("b", "2026-02-01 00:00", "2026-04-01 00:00", 1, 1)
    phone_only = balance("phone", "2026-01-01 00:00", "2026-03-02 00:00", 5, 0,
                         frozenset({"phone"}))
    later = balance("later", "2026-03-20 00:00", "2026-03-21 00:00", 5, 3)
    draws, rest = draw([a, b, phone_only, later], "remote", at("2026-03-05 10:00"), 3 * HOUR)
    assert [b_.label for b_, _ in draws] == ["b", "a"]
    assert rest == HOUR


def test_included_hours_roll_over_one_period() -> None:
    # 2h per month rolling over 1 month. March uses 30min (1h30min left, valid until Apr 30
    # inclusive). April: a 3h session draws March's 1h30min first (earlier expiry), then
    # 1h30min of April's; nothing charged.
    p = basic(included_hours=(IncludedHours(2 * HOUR, frozenset(), rollover_periods=1,
                                            span=span(30)),))
    tickets = [make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 30, "remote")),
               make_ticket("T2", "2026-04-02 09:00", work("2026-04-02 10:00", 180, "remote"))]
    res = one_run("2026-04-30 00:00", tickets, [p])
    april = res.invoice("acme", "2026-04")
    draws = [line.draw for line in april.lines_of(LineKind.DRAW) if line.draw]
    assert [(d.balance.split(" (")[0], d.seconds // MIN) for d in draws] == [
        ("included 2h 2026-03", 90), ("included 2h 2026-04", 90)]
    assert amounts(april, LineKind.WORK) == ["0.00"]


# --------------------------------------------------------------------------- surcharges


def test_out_of_hours_surcharge_multiplies_only_the_charged_out_of_hours_part() -> None:
    # 60 EUR/h per 15min, out of hours +50%, express +100%.
    # 15:30 for 1h: 30min in → 30 EUR; 30min out → 30 × 1.5 = 45 EUR; total 75.00.
    # Express ticket, same session: 30 × 2 + 30 × 2 × 1.5 = 150.00.
    p = basic(surcharges=(Surcharge("out of hours", pct(50), span=span(40)),
                          Surcharge("express", pct(100), span=span(41))))
    tickets = [make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 15:30", 60, "remote")),
               make_ticket("T2", "2026-03-03 09:00", work("2026-03-03 15:30", 60, "remote"),
                           express=True)]
    res = one_run("2026-03-31 00:00", tickets, [p])
    inv = res.invoice("acme", "2026-03")
    assert amounts(inv, LineKind.WORK) == ["75.00", "150.00"]
    assert "30min at 60.00 EUR/h × 300% (express +100%, out of hours +50%)" in inv.lines_of(
        LineKind.WORK)[1].how


def test_drawn_minutes_are_not_surcharged() -> None:
    # 1h included; express (+100%) session of 1h30min → 1h drawn, 30min × 60 × 2 = 60.00.
    p = basic(included_hours=(IncludedHours(HOUR, frozenset(), span=span(30)),),
              surcharges=(Surcharge("express", pct(100), span=span(41)),))
    t = make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 90, "remote"),
                    express=True)
    res = one_run("2026-03-31 00:00", [t], [p])
    assert amounts(res.invoice("acme", "2026-03"), LineKind.WORK) == ["60.00"]


# --------------------------------------------------------------------------- periods and fees


def test_first_partial_period_pays_a_full_fee_and_as_of_at_a_boundary() -> None:
    # Start Mar 20 → March's full fee; as_of exactly May 1 00:00 → March and April only.
    cat = catalog(basic(), calendars=[OFFICE])
    res = run(cat, header("2026-05-01 00:00", sub("acme", "STD", "2026-03-20 12:00")))
    assert [i.period for i in res.invoices] == ["2026-03", "2026-04"]
    assert all(amounts(i, LineKind.FEE) == ["100.00"] for i in res.invoices)


def test_quarterly_fee_and_period_keys() -> None:
    p = basic(fee=fee("300 EUR", Period.QUARTER))
    cat = catalog(p, calendars=[OFFICE])
    res = run(cat, header("2026-07-15 00:00", sub("acme", "STD", "2026-02-10 00:00")))
    assert [i.period for i in res.invoices] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert res.invoices[0].start == at("2026-01-01 00:00")


def test_periods_follow_the_plan_zone() -> None:
    # 23:30 on Mar 31 in Warsaw is March; 00:30 on Apr 1 in Warsaw (22:30 UTC Mar 31) is April.
    tickets = [make_ticket("T1", "2026-03-31 09:00", work("2026-03-31 23:30", 10, "remote")),
               make_ticket("T2", "2026-03-31 09:00",
                           work(at("2026-03-31T22:30+00:00"), 10, "remote"))]
    res = one_run("2026-04-30 00:00", tickets)
    assert amounts(res.invoice("acme", "2026-03"), LineKind.WORK) == ["15.00"]
    assert amounts(res.invoice("acme", "2026-04"), LineKind.WORK) == ["15.00"]


def test_immediate_change_switches_rates_at_once_but_fees_next_period() -> None:
    # STD (60 EUR/h) → PLUS (120 EUR/h) on Mar 16, immediate: the Mar 20 session (15min)
    # is billed at 120 → 30.00; March's fee is still STD's 100, April's PLUS's 200.
    std = basic(plan_change=PlanChange.IMMEDIATE)
    plus = plan("PLUS", "EUR", fee=fee("200 EUR"),
                rates=(RateRule(frozenset(), money("120 EUR"), 15 * MIN, span=span(21)),))
    change = (PlanChangeEvent(at("2026-03-16 10:00"), "PLUS"),)
    t = make_ticket("T1", "2026-03-20 09:00", work("2026-03-20 10:00", 15, "remote"))
    res = one_run("2026-04-10 00:00", [t], [std, plus], changes=change)
    march = res.invoice("acme", "2026-03")
    assert amounts(march, LineKind.FEE) == ["100.00"]
    assert amounts(march, LineKind.WORK) == ["30.00"]
    assert amounts(res.invoice("acme", "2026-04"), LineKind.FEE) == ["200.00"]


def test_yearly_fee_on_a_monthly_cycle_is_converted_with_a_warning() -> None:
    std = basic()
    yearly = plan("YEARLY", "EUR", fee=fee("1200 EUR", Period.YEAR), rates=(RATE,))
    change = (PlanChangeEvent(at("2026-04-01 00:00"), "YEARLY"),)
    res = one_run("2026-04-10 00:00", [], [std, yearly], changes=change)
    assert amounts(res.invoice("acme", "2026-04"), LineKind.FEE) == ["100.00"]
    assert any("converted" in d.message for d in res.warnings)


# --------------------------------------------------------------------------- bad input


def test_kind_without_rate_is_a_warning_not_a_crash() -> None:
    p = basic(rates=(RateRule(frozenset({"remote"}), money("60 EUR"), 15 * MIN),))
    t = make_ticket("T9", "2026-03-02 09:00", work("2026-03-02 10:00", 30, "on_site"))
    res = one_run("2026-03-31 00:00", [t], [p])
    (warning,) = res.warnings
    assert "plan STD has no rate for on_site work (ticket T9)" in warning.message
    (line,) = res.invoice("acme", "2026-03").lines_of(LineKind.WORK)
    assert line.flags == ("no rate",) and str(line.amount.amount) == "0.00"


def test_negative_session_is_an_error_and_long_session_a_warning() -> None:
    bad = Event(at("2026-03-02 10:00"), EventKind.WORK, work=WorkSession("remote", -60))
    long = Event(at("2026-03-03 10:00"), EventKind.WORK, work=WorkSession("remote", 25 * HOUR))
    with pytest.raises(ScenarioError) as err:
        one_run("2026-03-31 00:00", [make_ticket("T1", "2026-03-02 09:00", bad)])
    assert "ticket T1: work session at 2026-03-02T10:00:00+01:00 has a negative duration" in (
        str(err.value))
    res = one_run("2026-03-31 00:00", [make_ticket("T2", "2026-03-02 09:00", long)])
    assert any("over 24 h" in d.message for d in res.warnings)
    # 25h → 100 × 15min at 60 EUR/h = 1,500.00: still billed
    assert amounts(res.invoice("acme", "2026-03"), LineKind.WORK) == ["1500.00"]


def test_pack_currency_mismatch_is_an_error() -> None:
    p = basic(packs=(PackProduct("unit", 10 * HOUR, money("400 PLN"), 12, span=span(50)),))
    with pytest.raises(ScenarioError) as err:
        one_run("2026-03-31 00:00", [], [p],
                packs=(PackPurchase("unit", at("2026-03-05 10:00")),))
    assert "pack 'unit' is priced in PLN but plan STD is invoiced in EUR" in str(err.value)


def test_unknown_pack_is_an_error_with_a_hint() -> None:
    p = basic(packs=(PackProduct("unit", 10 * HOUR, money("400 EUR"), 12, span=span(50)),))
    with pytest.raises(ScenarioError) as err:
        one_run("2026-03-31 00:00", [], [p],
                packs=(PackPurchase("unti", at("2026-03-05 10:00")),))
    (diag,) = err.value.diagnostics
    assert "sells no pack 'unti'" in diag.message and diag.hint == "did you mean 'unit'?"


def test_claim_for_an_unknown_period_is_an_error() -> None:
    with pytest.raises(ScenarioError) as err:
        one_run("2026-03-31 00:00", [], claims=(claim("2026-03-05 10:00", "2026-13"),))
    (diag,) = err.value.diagnostics
    assert diag.message == "customer acme: claim for unknown period '2026-13' (month 13 does " \
                           "not exist)"
    assert diag.expected is not None and "YYYY-MM" in diag.expected


def test_ticket_without_subscription_and_session_outside_the_subscription_warn() -> None:
    stranger = make_ticket("X1", "2026-03-02 09:00", work("2026-03-02 10:00", 30, "remote"),
                           customer="nobody")
    early = make_ticket("T1", "2026-02-20 09:00", work("2026-02-20 10:00", 30, "remote"))
    cat = catalog(basic(), calendars=[OFFICE])
    ledger = Ledger(cat, header("2026-03-31 00:00", sub("acme", "STD", "2026-03-01 00:00")))
    for t in (stranger, early):
        ledger.add(*plain(t, "STD"))
    res = ledger.finish()
    messages = [d.message for d in res.warnings]
    assert any("customer nobody has no subscription" in m for m in messages)
    assert any("outside customer acme's invoiced periods" in m for m in messages)


def test_money_result_is_json_ready_with_decimal_strings() -> None:
    t = make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 20, "remote"))
    res = one_run("2026-03-31 00:00", [t])
    doc = json.loads(json.dumps(res.to_dict()))
    inv = doc["invoices"][0]
    assert inv["net"] == "130.00" and inv["vat"] == "0.00"
    assert inv["lines"][1]["amount"] == "30.00"
    assert inv["lines"][1]["rule"] == "plans/test.plan:20"
    assert inv["lines"][1]["how"] == "20min → 2 × 15min = 30min; 30min at 60.00 EUR/h"


def test_overhead_only_for_its_kinds() -> None:
    # 5min notes for remote only: remote 10 + 5 = 15 → 15min; phone 10 → 15min too, but a
    # phone 15min session stays 15min while remote 15 + 5 = 20 → 30min.
    p = basic(overheads=(Overhead(5 * MIN, frozenset({"remote"}), span=span(60)),))
    t = make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 15, "phone"),
                    work("2026-03-02 11:00", 15, "remote"))
    res = one_run("2026-03-31 00:00", [t], [p])
    assert amounts(res.invoice("acme", "2026-03"), LineKind.WORK) == ["15.00", "30.00"]


def test_rate_in_another_currency_is_an_error_and_an_unused_stated_fee_a_warning() -> None:
    p = basic(rates=(RateRule(frozenset(), money("60 PLN"), 15 * MIN, span=span(20)),))
    with pytest.raises(ScenarioError) as err:
        one_run("2026-03-31 00:00", [], [p])
    assert "plan STD: a rate is priced in PLN but the plan is invoiced in EUR" in str(err.value)
    res = one_run("2026-03-31 00:00", [], fee=money("80 EUR"))
    assert amounts(res.invoice("acme", "2026-03"), LineKind.FEE) == ["100.00"]
    assert any("published fees are invoiced" in d.message for d in res.warnings)


def test_session_across_a_dst_change_counts_real_time() -> None:
    # Sunday 2026-03-29, Warsaw springs forward at 02:00 → 03:00. A 2h session from 01:30
    # (24/7 calendar so it all counts in hours) ends at 04:30 local: 2h of real time, 2h
    # billed at 60 EUR/h per 15min = 120.00 (not 1h or 3h).
    cal = calendar_for(office("nights", start="00:00", end="00:00", days=range(7)))
    rate = RateRule(frozenset(), money("60 EUR"), 15 * MIN, 30 * MIN)
    parts = billable_parts(at("2026-03-29 01:30"), 2 * HOUR, 0, rate, cal, True)
    assert sum(p.worked for p in parts) == 2 * HOUR
    assert all(p.in_hours for p in parts)
    assert sum(p.billable for p in parts) == 2 * HOUR


def test_unknown_zone_is_a_plan_error_not_a_traceback() -> None:
    from tierwise.engine.errors import PlanError

    cat = catalog(basic(), calendars=[office(zone="Europe/Atlantis")])
    with pytest.raises(PlanError) as err:
        Ledger(cat, header("2026-03-31 00:00", sub("acme", "STD", "2026-03-01 00:00")))
    assert "unknown time zone 'Europe/Atlantis'" in str(err.value)


# --------------------------------------------------------------------------- provenance, texts


def test_plan_level_lines_cite_their_clause() -> None:
    # The compiler records where each plan-level clause was written (Plan.clause_spans):
    # fee at line 5, vat 6, minimum term 7, plan changes 8. STD (prorated) → PLUS on Mar 16;
    # PLUS ends on Apr 10 after 1 billed period of its 3-month minimum term.
    spans = {"fee": span(5), "vat": span(6), "minimum term": span(7), "plan change": span(8)}
    std = basic(vat=pct(23), plan_change=PlanChange.PRORATED, clause_spans=spans)
    plus = evolve(plan("PLUS", "EUR", fee=fee("200 EUR"), rates=(RATE,), minimum_term_periods=3,
                       clause_spans={"fee": span(15), "minimum term": span(17)}),
                  span=span(12))
    change = (PlanChangeEvent(at("2026-03-16 10:00"), "PLUS"),)
    res = one_run("2026-05-01 00:00", [], [std, plus], changes=change, end="2026-04-10 00:00")
    march, april = res.invoices_of("acme")
    # March: split by STD's `plan changes prorated` (line 8); each share says whose fee.
    # 100 × 15/31 = 48.387 → 48.39; 200 × 16/31 = 103.226 → 103.23.
    first, second = march.lines_of(LineKind.FEE)
    assert [str(x.amount.amount) for x in (first, second)] == ["48.39", "103.23"]
    assert first.rule == second.rule == span(8)
    assert first.text == "fee Std 2026-03 (15 of 31 days)"
    assert first.how == ("100.00 EUR per month (plans/test.plan:5), prorated 15/31 days: "
                         "STD → PLUS on 2026-03-16 (plan changes prorated)")
    assert "200.00 EUR per month (plans/test.plan:15)" in second.how
    assert march.vat_rule == span(6) and march.to_dict()["vat_rule"] == "plans/test.plan:6"
    # April, on PLUS: its fee line and minimum term cite PLUS's clauses; PLUS writes no
    # `vat`, so the VAT rule is its header (0%).
    (fee_line,) = april.lines_of(LineKind.FEE)
    assert fee_line.rule == span(15)
    (term,) = april.lines_of(LineKind.MINIMUM_TERM)
    assert term.rule == span(17)
    assert term.text == "minimum term: 2 remaining periods"
    assert term.how == ("minimum term 3 months, 1 billed → 2 × 200.00 EUR "
                        "(200.00 EUR per month)")
    assert april.vat_rule == span(12)


def test_without_recorded_clauses_lines_fall_back_to_the_clause_object_then_the_header() -> None:
    # Plans compiled before Plan.clause_spans existed: the fee's own span (line 3), the
    # plan's header (line 2) for VAT and the minimum term.
    p = basic(minimum_term_periods=2)
    res = one_run("2026-04-10 00:00", [], [p], end="2026-03-20 00:00")
    (inv,) = res.invoices
    assert inv.lines_of(LineKind.FEE)[0].rule == span(3)
    assert inv.lines_of(LineKind.MINIMUM_TERM)[0].rule == span(2)
    assert inv.lines_of(LineKind.MINIMUM_TERM)[0].text == "minimum term: 1 remaining period"
    assert inv.vat_rule == span(2)


@pytest.mark.parametrize(("amount", "currency", "text"), [
    ("450", "EUR", "450.00 EUR"),
    ("37.5", "EUR", "37.50 EUR"),
    ("-12.3", "PLN", "-12.30 PLN"),
    ("1E+3", "EUR", "1000.00 EUR"),
    ("1000", "JPY", "1000 JPY"),  # no minor unit
    ("0.125", "EUR", "0.125 EUR"),  # a price finer than a cent keeps its digits
])
def test_money_text_shows_the_minor_unit(amount: str, currency: str, text: str) -> None:
    from decimal import Decimal

    from tierwise.engine.invoices import money_text
    from tierwise.engine.quantities import Money

    assert money_text(Money(Decimal(amount), currency)) == text


def test_counts_are_pluralised() -> None:
    from tierwise.engine.invoices import count_text

    assert [count_text(n, "ticket") for n in (0, 1, 2)] == ["0 tickets", "1 ticket", "2 tickets"]


# --------------------------------------------------------------------------- compact work lines


def test_work_lines_are_built_when_read_and_the_same_every_time() -> None:
    # Sessions are kept as columns and their lines built on each read (invoices.LineGroup):
    # equal every time, in the order of start, and the net is the sum of the lines.
    p = basic(included_hours=(IncludedHours(HOUR, frozenset(), span=span(30)),))
    tickets = [make_ticket("T1", "2026-03-03 09:00", work("2026-03-03 10:00", 50, "remote")),
               make_ticket("T2", "2026-03-02 09:00", work("2026-03-05 10:00", 40, "remote")),
               make_ticket("T3", "2026-03-04 09:00", work("2026-03-04 10:00", 20, "remote"))]
    inv = one_run("2026-03-31 00:00", tickets, [p]).invoice("acme", "2026-03")
    assert inv.lines == inv.lines
    assert [line.ticket for line in inv.lines_of(LineKind.WORK)] == ["T1", "T3", "T2"]
    # T1 draws the 1h included (50min → 4 × 15min); T3 (2 × 15min) and T2 (3 × 15min) pay
    assert [line.draw.remaining_seconds for line in inv.lines if line.draw] == [0]
    assert amounts(inv, LineKind.WORK) == ["0.00", "30.00", "45.00"]
    net = sum((line.amount.amount for line in inv.lines), Decimal(0))
    assert inv.net.amount == net == Decimal("175.00")
    assert inv.to_dict()["net"] == "175.00"


def test_a_session_start_keeps_its_own_offset() -> None:
    # The start is kept as epoch seconds and the tzinfo of the scenario's instant: the line
    # shows the instant as it was written (here UTC), the title in the plan's zone.
    start = dt.datetime(2026, 3, 2, 9, 0, 0, 250_000, tzinfo=dt.UTC)
    t = make_ticket("T1", "2026-03-02 09:00", work(start, 30, "remote"))
    (line,) = one_run("2026-03-31 00:00", [t]).invoice("acme", "2026-03").lines_of(
        LineKind.WORK)
    assert line.at == start and line.at.utcoffset() == dt.timedelta(0)
    assert line.to_dict()["at"] == "2026-03-02T09:00:00.250000+00:00"
    assert line.text == "remote T1 2026-03-02 10:00"


def test_ledger_memory_per_work_session_is_small() -> None:
    # The ledger keeps every session until finish(): a few numbers in arrays per session,
    # not objects (about 900 bytes each before). The test keeps the ids, so they do not count.
    tickets = [make_ticket(f"T{i}", at("2026-03-02 09:00") + dt.timedelta(minutes=i),
                           work(at("2026-03-02 10:00") + dt.timedelta(minutes=i), 30, "remote"))
               for i in range(20_000)]
    pairs = [plain(t, "STD") for t in tickets]
    ledger = Ledger(catalog(basic(), calendars=[OFFICE]),
                    header("2026-03-31 00:00", sub("acme", "STD", "2026-03-01 00:00")))
    ids = [t.id for t in tickets]  # kept by the test anyway: not the ledger's cost
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for ticket, result in pairs:
            ledger.add(ticket, result)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(ids) == 20_000
    assert grown / 20_000 < 80
    works = ledger.finish().invoice("acme", "2026-03").lines_of(LineKind.WORK)
    assert len(works) == 20_000

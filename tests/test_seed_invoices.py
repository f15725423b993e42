"""A hand-computed invoice for every money term of every seed vendor (SPEC section 10).

Each test states the term it checks, then the arithmetic in comments, then the figures.
Plans are built with the model classes directly (the plan compiler is tested elsewhere).
Seed 002 (Pomatio) has no money terms: support needs an active subscription, which is a
coverage rule, not a charge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
from builders import at, cond, make_ticket, office, span, work
from money_builders import (
    HOUR,
    MIN,
    business_hours,
    catalog,
    claim,
    fee,
    free_hours,
    header,
    money,
    money_remedy,
    pct,
    plain,
    plan,
    real_hours,
    result,
    run,
    sub,
    support_credit,
    target_result,
)

from tierwise.engine.errors import ScenarioError
from tierwise.engine.invoices import CreditStatus, Invoice, LineKind, MoneyResult
from tierwise.engine.model import (
    AllowanceRule,
    Fee,
    IncidentCredit,
    IncludedHours,
    Metric,
    Overhead,
    PackProduct,
    Period,
    Plan,
    PlanChange,
    RateRule,
    Surcharge,
)
from tierwise.engine.results import Status, TicketResult
from tierwise.engine.scenario import PackPurchase, PlanChangeEvent, Subscription, Ticket


def amounts(inv: Invoice, kind: LineKind) -> list[str]:
    return [str(line.amount.amount) for line in inv.lines_of(kind)]


def totals(inv: Invoice) -> tuple[str, str, str]:
    return str(inv.net.amount), str(inv.vat.amount), str(inv.gross.amount)


# =========================================================================== 000 Promotino

BERLIN = "Europe/Berlin"
PROMO_CAL = office("promotino", zone=BERLIN, start="09:00", end="17:00")
PRIOS = ("urgent", "high", "normal")


def promotino(medium_extra: Mapping[str, Any] | None = None) -> tuple[Plan, ...]:
    """Small free / Medium €450 / Business €1,800 / Personalized €6,000 per month."""
    common: dict[str, Any] = dict(calendar="promotino", priorities=PRIOS,
                  aggregate_credits=(support_credit(),))
    medium_kw = dict(common, fee=fee("450 EUR"))
    medium_kw.update(medium_extra or {})
    return (
        plan("SMALL", "EUR", calendar="promotino"),
        plan("MEDIUM", "EUR", **medium_kw),
        plan("BUSINESS", "EUR", fee=fee("1800 EUR"), **common),
        plan("PERSONALIZED", "EUR", fee=fee("6000 EUR"), **common),
    )


def promo_ticket(tid: str, created: str, prio: str, customer: str = "acme") -> Ticket:
    return make_ticket(tid, at(created, BERLIN), priority=prio, customer=customer)


def response(ticket: Ticket, hours: float, allowed: float, status: Status,
             plan_name: str = "MEDIUM") -> tuple[Ticket, TicketResult]:
    """A first-response result: ``hours`` measured against ``allowed`` business hours."""
    target = target_result(Metric.FIRST_RESPONSE, status, start=ticket.created,
                           measured_s=hours * HOUR, allowance=business_hours(allowed),
                           calendar="promotino", priority=ticket.priority)
    return ticket, result(ticket, plan_name, target)


def promo_run(as_of: str, subs: Sequence[Subscription],
              pairs: Sequence[tuple[Ticket, TicketResult]],
              plans: tuple[Plan, ...] | None = None) -> MoneyResult:
    cat = catalog(*(plans or promotino()), calendars=[PROMO_CAL])
    return run(cat, header(as_of, *subs, zone=BERLIN), pairs)


def promo_sub(customer: str, plan_name: str, **kw: Any) -> Subscription:
    return sub(customer, plan_name, "2026-01-10 12:00", zone=BERLIN, **kw)


def test_promotino_fees_per_tier() -> None:
    # One fee per started month from the start's month (Jan 10 → Jan) to as_of's (Mar 15):
    # Small free → a 0.00 line; Medium 450; Business 1,800; Personalized 6,000; no VAT.
    res = promo_run("2026-03-15 00:00", [promo_sub("s", "SMALL"), promo_sub("m", "MEDIUM"),
                                          promo_sub("b", "BUSINESS"),
                                          promo_sub("p", "PERSONALIZED")], [])
    expected = {"s": "0.00", "m": "450.00", "b": "1800.00", "p": "6000.00"}
    for customer, fee_text in expected.items():
        invs = res.invoices_of(customer)
        assert [i.period for i in invs] == ["2026-01", "2026-02", "2026-03"]
        for inv in invs:
            assert amounts(inv, LineKind.FEE) == [fee_text]
            assert totals(inv) == (fee_text, "0.00", fee_text)
    small = res.invoice("s", "2026-01").lines_of(LineKind.FEE)[0]
    assert small.flags == ("free",)


def march_urgent_miss() -> list[tuple[Ticket, TicketResult]]:
    # March, urgent (guarantee 3 business hours): 2h (met) and 5h (breached):
    # mean (2 + 5) / 2 = 3.5h > 3h → the urgent group exceeds. Normal: 1h vs 9h, fine.
    return [
        response(promo_ticket("U1", "2026-03-03 10:00", "urgent"), 2, 3, Status.MET),
        response(promo_ticket("U2", "2026-03-10 10:00", "urgent"), 5, 3, Status.BREACHED),
        response(promo_ticket("N1", "2026-03-11 10:00", "normal"), 1, 9, Status.MET),
    ]


def test_promotino_support_credit_claimed_within_30_days() -> None:
    # Credit = 100% of March's fee = 450.00, claimed 2026-04-10 (window: until April 30).
    # It shows on the first invoice of a period starting after both March's end (Apr 1)
    # and the claim (Apr 10): May. May: 450.00 fee - 450.00 credit = 0.00.
    res = promo_run("2026-06-01 00:00",
                    [promo_sub("acme", "MEDIUM", claims=(claim("2026-04-10 09:00", "2026-03",
                                                               zone=BERLIN),))],
                    march_urgent_miss())
    (credit,) = res.credits_of("acme")
    assert credit.status is CreditStatus.APPLIED
    assert credit.amount == money("450.00 EUR")
    assert credit.invoice_period == "2026-05"
    assert "mean response 3h30min over 2 tickets exceeds the target 3h" in credit.how
    assert amounts(res.invoice("acme", "2026-04"), LineKind.CREDIT) == []
    may = res.invoice("acme", "2026-05")
    assert amounts(may, LineKind.CREDIT) == ["-450.00"]
    assert totals(may) == ("0.00", "0.00", "0.00")
    assert may.lines_of(LineKind.CREDIT)[0].rule == span(39)


def test_promotino_support_credit_unclaimed_reports_claim_by_date() -> None:
    # No claim by as_of Apr 20, the window still open: "eligible, unclaimed, claim by
    # 2026-04-30", outstanding. No claim (or one on May 1, a day late) by June 1: the
    # window has closed, "lapsed, unclaimed: claim window closed on 2026-04-30", owed
    # nothing. No invoice carries a credit.
    res = promo_run("2026-04-20 00:00", [promo_sub("acme", "MEDIUM")], march_urgent_miss())
    (credit,) = res.credits_of("acme")
    assert credit.status is CreditStatus.UNCLAIMED
    assert credit.status_text == "eligible, unclaimed, claim by 2026-04-30"
    assert res.totals()["EUR"]["credits_outstanding"] == "450.00"
    late = claim("2026-05-01 00:30", "2026-03", zone=BERLIN)
    for claims in ((), (late,)):
        res = promo_run("2026-06-01 00:00", [promo_sub("acme", "MEDIUM", claims=claims)],
                        march_urgent_miss())
        (credit,) = res.credits_of("acme")
        assert credit.status is CreditStatus.EXPIRED
        assert credit.status_text == "lapsed, unclaimed: claim window closed on 2026-04-30"
        assert credit.amount == money("450.00 EUR")  # what it would have been worth
        assert res.totals()["EUR"]["credits_outstanding"] == "0.00"
        assert all(not inv.lines_of(LineKind.CREDIT) for inv in res.invoices)


def test_promotino_support_credit_capped_at_the_months_fee() -> None:
    # Urgent mean 3.5h > 3h and high mean 7h > 6h: 450 + 450 = 900, capped at 100% of
    # the month's fee → 450.00 (claimed on the last day of the window, Apr 30 23:00).
    pairs = [*march_urgent_miss(),
             response(promo_ticket("H1", "2026-03-12 10:00", "high"), 7, 6, Status.BREACHED)]
    res = promo_run("2026-06-01 00:00",
                    [promo_sub("acme", "MEDIUM", claims=(claim("2026-04-30 23:00", "2026-03",
                                                               zone=BERLIN),))], pairs)
    (credit,) = res.credits_of("acme")
    assert credit.capped and credit.uncapped == money("900 EUR")
    assert credit.amount == money("450.00 EUR")
    assert amounts(res.invoice("acme", "2026-05"), LineKind.CREDIT) == ["-450.00"]


def test_promotino_mean_equal_to_guarantee_is_not_exceeding() -> None:
    # 3h and 3h: mean 3h is not strictly greater than 3h → no credit at all.
    pairs = [response(promo_ticket("U1", "2026-03-03 10:00", "urgent"), 3, 3, Status.MET),
             response(promo_ticket("U2", "2026-03-04 10:00", "urgent"), 3, 3, Status.MET)]
    res = promo_run("2026-06-01 00:00", [promo_sub("acme", "MEDIUM")], pairs)
    assert res.credits_of("acme") == ()


def test_promotino_sole_remedy_suppresses_incident_credits_of_that_month() -> None:
    # A variant of Medium that also pays 50 EUR per missed guarantee. In March the Support
    # Credit fires (sole remedy) → U2's 50 EUR is suppressed. In April urgent 1h and 4h:
    # mean 2.5h ≤ 3h → no Support Credit, so U3's breach earns 50 EUR, shown on May's
    # invoice: 450.00 - 50.00 = 400.00.
    extra = {"incident_credits": (IncidentCredit(money_remedy("50 EUR"), span=span(45)),)}
    pairs = [*march_urgent_miss(),
             response(promo_ticket("U3", "2026-04-07 10:00", "urgent"), 4, 3, Status.BREACHED),
             response(promo_ticket("U4", "2026-04-08 10:00", "urgent"), 1, 3, Status.MET)]
    res = promo_run("2026-06-01 00:00", [promo_sub("acme", "MEDIUM")], pairs,
                    plans=promotino(extra))
    by_ticket = {c.ticket: c for c in res.credits_of("acme") if c.scope == "incident"}
    assert by_ticket["U2"].status is CreditStatus.SUPPRESSED
    assert by_ticket["U3"].status is CreditStatus.APPLIED
    assert by_ticket["U3"].invoice_period == "2026-05"
    assert totals(res.invoice("acme", "2026-05")) == ("400.00", "0.00", "400.00")


def test_promotino_change_plans_any_month() -> None:
    # Medium → Business on March 16 ("change plans any month", next period by default):
    # March is billed at Medium (450), April at Business (1,800).
    change = (PlanChangeEvent(at("2026-03-16 10:00", BERLIN), "BUSINESS"),)
    res = promo_run("2026-04-20 00:00", [promo_sub("acme", "MEDIUM", changes=change)], [])
    assert amounts(res.invoice("acme", "2026-03"), LineKind.FEE) == ["450.00"]
    april = res.invoice("acme", "2026-04")
    assert april.plan == "BUSINESS" and amounts(april, LineKind.FEE) == ["1800.00"]


# =========================================================================== 001 Soluma

SOLUMA_CAL = office("soluma", start="08:00", end="16:00")
WARRANTY = cond(category="warranty")


def soluma() -> tuple[Plan, ...]:
    gwarancja = plan(
        "GWARANCJA", "PLN", calendar="soluma", fee=fee("0 PLN"), vat=pct(23),
        rates=(RateRule(frozenset(), None, 0, span=span(50)),),  # warranty work is free
    )
    vip = plan(
        "VIP", "PLN", calendar="soluma", fee=fee("290 PLN", from_price=True), vat=pct(23),
        included_hours=(IncludedHours(2 * HOUR, frozenset(), span=span(60)),),
        rates=(RateRule(frozenset(), None, 0, condition=WARRANTY, span=span(61)),
               RateRule(frozenset(), money("120 PLN"), HOUR, span=span(62))),
        allowances=(AllowanceRule(4, Period.MONTH, money("60 PLN"),
                                  cond(category="unjustified"), span(63)),),
    )
    po = plan(
        "PO_GWARANCJI", "PLN", calendar="soluma", vat=pct(23),
        rates=(RateRule(frozenset(), money("120 PLN"), HOUR, span=span(70)),),
        surcharges=(Surcharge("express", pct(100), span=span(71)),),
    )
    return gwarancja, vip, po


def soluma_run(as_of: str, subs: Sequence[Subscription],
               tickets: Sequence[Ticket]) -> MoneyResult:
    cat = catalog(*soluma(), calendars=[SOLUMA_CAL])
    pairs = [plain(t, None) for t in tickets]
    return run(cat, header(as_of, *subs), pairs)


def test_soluma_gwarancja_is_free_and_warranty_work_is_not_billed() -> None:
    # GWARANCJA: 0 PLN per month; 3 h of work is warranty work: 0.00, no hours drawn.
    res = soluma_run("2026-03-20 00:00", [sub("acme", "GWARANCJA", "2026-03-01 00:00")],
                     [make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 180,
                                                                  "remote"))])
    inv = res.invoice("acme", "2026-03")
    assert amounts(inv, LineKind.FEE) == ["0.00"]
    assert amounts(inv, LineKind.WORK) == ["0.00"]
    assert inv.lines_of(LineKind.DRAW) == ()
    assert totals(inv) == ("0.00", "0.00", "0.00")


def test_soluma_vip_from_price_and_vat() -> None:
    # "od 290 PLN / MC": without a stated fee the base 290.00 is used, flagged "from price";
    # VAT 23% → 66.70, gross 356.70. A customer with an agreed 350 PLN: VAT 80.50, 430.50.
    res = soluma_run("2026-03-20 00:00",
                     [sub("base", "VIP", "2026-03-01 00:00"),
                      sub("agreed", "VIP", "2026-03-01 00:00", fee=money("350 PLN"))], [])
    base = res.invoice("base", "2026-03")
    assert base.lines_of(LineKind.FEE)[0].flags == ("from price",)
    assert totals(base) == ("290.00", "66.70", "356.70")
    agreed = res.invoice("agreed", "2026-03")
    assert agreed.lines_of(LineKind.FEE)[0].flags == ("agreed fee",)
    assert totals(agreed) == ("350.00", "80.50", "430.50")


def test_soluma_vip_included_hours_allowance_and_warranty() -> None:
    # March, VIP, 2 h included, each started hour counted at 120 PLN:
    #   T1 remote 50min → 1h, drawn from the 2h (1h left)
    #   T2 remote 50min → 1h, drawn (0 left)
    #   T2 phone 30min → 1h, nothing left → 1 × 120 = 120.00
    #   T3 warranty 5h → not billed, draws no hours
    #   6 unjustified tickets: 4 free, then 2 × 60.00 = 120.00
    # net 290 + 120 + 120 = 530.00; VAT 23% = 121.90; gross 651.90
    tickets = [
        make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 50, "remote")),
        make_ticket("T2", "2026-03-03 09:00", work("2026-03-03 10:00", 50, "remote"),
                    work("2026-03-04 10:00", 30, "phone")),
        make_ticket("T3", "2026-03-03 09:30", work("2026-03-05 10:00", 300, "remote"),
                    category="warranty"),
        *(make_ticket(f"U{i}", f"2026-03-1{i} 09:00", category="unjustified")
          for i in range(6)),
    ]
    res = soluma_run("2026-03-31 00:00", [sub("acme", "VIP", "2026-03-01 00:00")], tickets)
    inv = res.invoice("acme", "2026-03")
    draws = [line.draw for line in inv.lines_of(LineKind.DRAW)]
    assert [(d.seconds, d.remaining_seconds) for d in draws if d] == [(HOUR, HOUR), (HOUR, 0)]
    assert amounts(inv, LineKind.WORK) == ["0.00", "0.00", "120.00", "0.00"]
    assert inv.lines_of(LineKind.WORK)[3].flags == ("not billed",)
    assert amounts(inv, LineKind.ALLOWANCE) == ["60.00", "60.00"]
    assert [line.ticket for line in inv.lines_of(LineKind.ALLOWANCE)] == ["U4", "U5"]
    assert totals(inv) == ("530.00", "121.90", "651.90")


def test_soluma_vip_included_hours_do_not_roll_over() -> None:
    # March uses 1h of its 2h; the unused hour expires at March's end. April: one 2h10min
    # session → 3h; April's own 2h are drawn, 1h charged: 120.00 (not 0: March's hour is
    # gone). April net 290 + 120 = 410.00, VAT 94.30, gross 504.30.
    tickets = [make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 45, "remote")),
               make_ticket("T2", "2026-04-02 09:00", work("2026-04-02 10:00", 130, "remote"))]
    res = soluma_run("2026-04-30 00:00", [sub("acme", "VIP", "2026-03-01 00:00")], tickets)
    april = res.invoice("acme", "2026-04")
    (drawn,) = [line.draw for line in april.lines_of(LineKind.DRAW)]
    assert drawn is not None and drawn.balance.startswith("included 2h 2026-04")
    assert drawn.seconds == 2 * HOUR
    assert amounts(april, LineKind.WORK) == ["120.00"]
    assert totals(april) == ("410.00", "94.30", "504.30")


def test_soluma_po_gwarancji_each_started_hour_and_express() -> None:
    # PO GWARANCJI, 120 PLN per hour, each started hour: 61min → 2h → 240.00.
    # Express (+100%): 30min → 1h × 120 × 200% = 240.00. No fee.
    # net 480.00, VAT 110.40, gross 590.40.
    tickets = [make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 61, "remote")),
               make_ticket("T2", "2026-03-03 09:00", work("2026-03-03 10:00", 30, "remote"),
                           express=True)]
    res = soluma_run("2026-03-31 00:00", [sub("acme", "PO_GWARANCJI", "2026-03-01 00:00")],
                     tickets)
    inv = res.invoice("acme", "2026-03")
    assert amounts(inv, LineKind.WORK) == ["240.00", "240.00"]
    express = inv.lines_of(LineKind.WORK)[1]
    assert express.flags == ("express",)
    assert "× 200% (express +100%)" in express.how
    assert totals(inv) == ("480.00", "110.40", "590.40")


# =========================================================================== 003 WebPlug

LISBON = "Europe/Lisbon"
WEBPLUG_CAL = office("webplug", zone=LISBON, start="09:00", end="18:00")
WEBPLUG_RATE = RateRule(frozenset(), money("40 EUR"), 15 * MIN, 30 * MIN, span=span(80))
PACKS = (PackProduct("unit", 10 * HOUR, money("400 EUR"), 12, span=span(81)),
         PackProduct("monthly", 5 * HOUR, money("175 EUR"), 1, span=span(82)))


def webplug() -> tuple[Plan, ...]:
    common: dict[str, Any] = dict(calendar="webplug", vat=pct(23), rates=(WEBPLUG_RATE,),
                                  packs=PACKS)
    return (
        plan("STANDARD", "EUR", incident_credits=(IncidentCredit(free_hours(1), span=span(83)),),
             **common),
        plan("PRIORITY_247", "EUR",
             incident_credits=(IncidentCredit(free_hours(2), span=span(84)),),
             **common),
    )


def webplug_run(as_of: str, subs: Sequence[Subscription],
                pairs: Sequence[tuple[Ticket, TicketResult]]) -> MoneyResult:
    cat = catalog(*webplug(), calendars=[WEBPLUG_CAL])
    return run(cat, header(as_of, *subs, zone=LISBON), pairs)


def lis(text: str) -> dt.datetime:
    return at(text, LISBON)


def wp_ticket(tid: str, created: str, *sessions: tuple[str, float]) -> Ticket:
    return make_ticket(tid, at(created, LISBON),
                       *(work(at(s, LISBON), minutes, "remote") for s, minutes in sessions))


def test_webplug_15min_blocks_in_hours_30min_out_of_hours() -> None:
    # 40 EUR/h. In hours: 20min → 2 × 15min = 30min → 20.00.
    # Across the 18:00 closing: 17:40 for 50min = 20min in hours → 2 × 15min = 30min, and
    # 30min out of hours → 1 × 30min = 30min; billable 1h → 40.00.
    # 17:50 for 15min: 10min in → 15min; 5min out → 30min; 45min → 30.00.
    # net 90.00, VAT 23% 20.70, gross 110.70.
    t = wp_ticket("T1", "2026-03-02 09:00", ("2026-03-02 10:00", 20),
                  ("2026-03-02 17:40", 50), ("2026-03-03 17:50", 15))
    res = webplug_run("2026-03-31 00:00", [sub("acme", "STANDARD", "2026-03-01 00:00",
                                               zone=LISBON)], [plain(t, "STANDARD")])
    inv = res.invoice("acme", "2026-03")
    assert amounts(inv, LineKind.WORK) == ["20.00", "40.00", "30.00"]
    crossing = inv.lines_of(LineKind.WORK)[1]
    assert "in hours 20min → 2 × 15min = 30min" in crossing.how
    assert "out of hours 30min → 1 × 30min = 30min" in crossing.how
    assert "out of hours" in crossing.flags
    assert totals(inv) == ("90.00", "20.70", "110.70")


def test_webplug_unit_pack_valid_one_year() -> None:
    # Unit pack 10h for 400.00, bought 2026-01-10 10:00, valid until 2027-01-10 10:00.
    #   2026-01-05 1h: before the purchase → charged 40.00 (and a warning)
    #   2026-02-03 2h: drawn from the pack (8h left)
    #   2027-01-08 1h: still valid → drawn (7h left)
    #   2027-01-11 1h: expired → charged 40.00
    # January 2026: 400.00 + 40.00 = 440.00, VAT 101.20, gross 541.20.
    t = wp_ticket("T1", "2026-01-05 09:00", ("2026-01-05 10:00", 60), ("2026-02-03 10:00", 120),
                  ("2027-01-08 10:00", 60), ("2027-01-11 10:00", 60))
    purchase = PackPurchase("unit", lis("2026-01-10 10:00"))
    res = webplug_run("2027-01-31 00:00", [sub("acme", "STANDARD", "2026-01-01 00:00",
                                               zone=LISBON, packs=(purchase,))],
                      [plain(t, "STANDARD")])
    jan = res.invoice("acme", "2026-01")
    assert amounts(jan, LineKind.PACK) == ["400.00"]
    assert amounts(jan, LineKind.WORK) == ["40.00"]
    assert totals(jan) == ("440.00", "101.20", "541.20")
    feb_draw = res.invoice("acme", "2026-02").lines_of(LineKind.DRAW)[0].draw
    assert feb_draw is not None and (feb_draw.seconds, feb_draw.remaining_seconds) == (
        2 * HOUR, 8 * HOUR)
    jan27 = res.invoice("acme", "2027-01")
    assert [line.draw.remaining_seconds for line in jan27.lines_of(LineKind.DRAW)
            if line.draw] == [7 * HOUR]
    assert amounts(jan27, LineKind.WORK) == ["0.00", "40.00"]
    assert any("bought later" in d.message for d in res.warnings)


def test_webplug_monthly_pack_expires_and_is_drawn_before_the_unit_pack() -> None:
    # Unit pack (10h, 1 year) bought Mar 1; monthly pack (5h, 1 month) bought Mar 5, valid
    # until Apr 5. Mar 10, 2h: the monthly pack expires first → drawn from it (3h left).
    # Apr 6, 2h: monthly expired → drawn from the unit pack (8h left). Nothing charged.
    # March: 400.00 + 175.00 = 575.00, VAT 132.25, gross 707.25.
    t = wp_ticket("T1", "2026-03-10 09:00", ("2026-03-10 10:00", 120), ("2026-04-06 10:00", 120))
    packs = (PackPurchase("unit", lis("2026-03-01 10:00")),
             PackPurchase("monthly", lis("2026-03-05 10:00")))
    res = webplug_run("2026-04-30 00:00", [sub("acme", "STANDARD", "2026-03-01 00:00",
                                               zone=LISBON, packs=packs)],
                      [plain(t, "STANDARD")])
    march = res.invoice("acme", "2026-03")
    (d1,) = [line.draw for line in march.lines_of(LineKind.DRAW)]
    assert d1 is not None and d1.balance.startswith("pack monthly") and d1.remaining_seconds == (
        3 * HOUR)
    assert totals(march) == ("575.00", "132.25", "707.25")
    (d2,) = [line.draw for line in res.invoice("acme", "2026-04").lines_of(LineKind.DRAW)]
    assert d2 is not None and d2.balance.startswith("pack unit") and d2.remaining_seconds == (
        8 * HOUR)


@pytest.mark.parametrize(("plan_name", "free"), [("STANDARD", 1), ("PRIORITY_247", 2)])
def test_webplug_free_hours_per_missed_guarantee(plan_name: str, free: int) -> None:
    # A missed guarantee (deadline Mar 3 14:00) earns 1 free hour (2 on 24/7), no expiry,
    # available from the breach. Session Mar 3 10:00 (before the breach), 1h → charged
    # 40.00. Session Mar 4 10:00, 3h → `free` hours drawn, 3 - free charged.
    # STANDARD: 40 + 2 × 40 = 120.00; PRIORITY_247: 40 + 1 × 40 = 80.00.
    t = wp_ticket("T1", "2026-03-02 09:00", ("2026-03-03 10:00", 60), ("2026-03-04 10:00", 180))
    miss = target_result(Metric.FIRST_RESPONSE, Status.BREACHED, start=t.created,
                         measured_s=30 * HOUR, allowance=real_hours(29),
                         calendar="webplug")
    res = webplug_run("2026-03-31 00:00", [sub("acme", plan_name, "2026-03-01 00:00",
                                               zone=LISBON)], [(t, result(t, plan_name, miss))])
    inv = res.invoice("acme", "2026-03")
    (drawn,) = [line.draw for line in inv.lines_of(LineKind.DRAW)]
    assert drawn is not None and drawn.seconds == free * HOUR and drawn.expires is None
    charged = 40 + (3 - free) * 40
    assert inv.net.amount == Decimal(charged)
    (credit,) = res.credits_of("acme")
    assert credit.scope == "incident" and credit.seconds == free * HOUR
    assert credit.status is CreditStatus.APPLIED


# =========================================================================== 004 shipping

NOTES = (Overhead(5 * MIN, frozenset({"phone", "remote", "development"}), span=span(90)),)
EMAIL_FREE = RateRule(frozenset({"email"}), None, 0, span=span(91))
PAID_KINDS = frozenset({"phone", "remote", "development"})


def shipping_rates(per_hour: str) -> tuple[RateRule, ...]:
    """Remote (and development) per started 30 min, phone per started 15 min; e-mail free."""
    return (
        RateRule(frozenset({"remote", "development"}), money(per_hour), 30 * MIN, span=span(92)),
        RateRule(frozenset({"phone"}), money(per_hour), 15 * MIN, span=span(93)),
        EMAIL_FREE,
    )


def shipping(email_change: PlanChange = PlanChange.NEXT_PERIOD) -> tuple[Plan, ...]:
    common: dict[str, Any] = dict(vat=pct(23), overheads=NOTES)
    return (
        plan("COMMUNITY", "PLN", calendar="community", fee=fee("0 PLN"),
             rates=shipping_rates("200 PLN"), **common),
        plan("EMAIL", "PLN", calendar="email", fee=fee("129 PLN"), minimum_term_periods=3,
             plan_change=email_change, rates=shipping_rates("180 PLN"),
             **common),
        plan("START", "PLN", calendar="start", fee=fee("399 PLN"), minimum_term_periods=3,
             included_hours=(IncludedHours(3 * HOUR, PAID_KINDS, span=span(94)),),
             rates=shipping_rates("165 PLN"), **common),
        plan("STANDARD", "PLN", calendar="standard", fee=fee("799 PLN"),
             minimum_term_periods=6,
             included_hours=(IncludedHours(7 * HOUR, PAID_KINDS, span=span(95)),),
             rates=shipping_rates("140 PLN"), **common),
        plan("PREMIUM", "PLN", calendar="standard",
             fee=Fee(None, negotiated=True, span=span(96)), rates=shipping_rates("140 PLN"),
             **common),
    )


SHIPPING_CALS = [office("community", start="10:00", end="13:00"),
                 office("email", start="09:00", end="15:00"),
                 office("start", start="08:00", end="16:00"),
                 office("standard", start="07:00", end="17:00")]


def ship_run(as_of: str, subs: Sequence[Subscription], tickets: Sequence[Ticket] = (),
             plans: tuple[Plan, ...] | None = None) -> MoneyResult:
    cat = catalog(*(plans or shipping()), calendars=SHIPPING_CALS)
    return run(cat, header(as_of, *subs), [plain(t, None) for t in tickets])


def test_shipping_fees_and_negotiated_premium() -> None:
    # COMMUNITY 0, EMAIL 129, START 399, STANDARD 799 per month, + 23% VAT;
    # PREMIUM negotiated at 2,500 (stated by the subscription): VAT 575.00, gross 3,075.00.
    subs = [sub(name.lower(), name, "2026-03-01 00:00")
            for name in ("COMMUNITY", "EMAIL", "START", "STANDARD")]
    subs.append(sub("premium", "PREMIUM", "2026-03-01 00:00", fee=money("2500 PLN")))
    res = ship_run("2026-03-20 00:00", subs)
    got = {inv.customer: totals(inv) for inv in res.invoices}
    assert got == {
        "community": ("0.00", "0.00", "0.00"),
        "email": ("129.00", "29.67", "158.67"),  # 129 × 23% = 29.67
        "start": ("399.00", "91.77", "490.77"),  # 399 × 23% = 91.77
        "standard": ("799.00", "183.77", "982.77"),  # 799 × 23% = 183.77
        "premium": ("2500.00", "575.00", "3075.00"),
    }


def test_shipping_negotiated_fee_missing_names_the_customer() -> None:
    with pytest.raises(ScenarioError) as err:
        ship_run("2026-03-20 00:00", [sub("bigco", "PREMIUM", "2026-03-01 00:00")])
    assert "customer bigco" in str(err.value) and "negotiated" in str(err.value)


def test_shipping_minimum_term_ended_early() -> None:
    # EMAIL (min. 3 months) from Jan 1, ended Feb 15: Jan and Feb billed; February, the
    # last invoice, adds "minimum term: 1 remaining period" = 1 × 129.00.
    # Feb net 258.00, VAT 59.34, gross 317.34.
    # STANDARD (min. 6 months) from Jan 1, ended Mar 10: 3 billed, 3 × 799 = 2,397.00 on March.
    res = ship_run("2026-04-01 00:00",
                   [sub("e", "EMAIL", "2026-01-01 00:00", "2026-02-15 12:00"),
                    sub("s", "STANDARD", "2026-01-01 00:00", "2026-03-10 12:00")])
    assert [i.period for i in res.invoices_of("e")] == ["2026-01", "2026-02"]
    feb = res.invoice("e", "2026-02")
    (line,) = feb.lines_of(LineKind.MINIMUM_TERM)
    assert line.text == "minimum term: 1 remaining period" and str(line.amount.amount) == "129.00"
    assert line.how == ("minimum term 3 months, 2 billed → 1 × 129.00 PLN "
                        "(129.00 PLN per month)")
    assert totals(feb) == ("258.00", "59.34", "317.34")
    march = res.invoice("s", "2026-03")
    assert amounts(march, LineKind.MINIMUM_TERM) == ["2397.00"]
    assert res.invoice("e", "2026-01").lines_of(LineKind.MINIMUM_TERM) == ()


def test_shipping_start_included_hours_phone_remote_email() -> None:
    # START, 3h included for phone/remote/development, +5 min of notes per session:
    #   phone 20min + 5 = 25min → 2 × 15min = 30min      drawn (2h30min left)
    #   remote 50min + 5 = 55min → 2 × 30min = 1h        drawn (1h30min left)
    #   email 2h → not billed, not drawn from the hours
    #   remote 1h40min + 5 = 1h45min → 4 × 30min = 2h   1h30min drawn, 30min charged:
    #       0.5 × 165 = 82.50
    # net 399 + 82.50 = 481.50; VAT 23% = 110.745 → 110.75 (half-up); gross 592.25
    t = make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 10:00", 20, "phone"),
                    work("2026-03-03 10:00", 50, "remote"), work("2026-03-04 10:00", 120, "email"),
                    work("2026-03-05 10:00", 100, "remote"))
    res = ship_run("2026-03-31 00:00", [sub("acme", "START", "2026-03-01 00:00")], [t])
    inv = res.invoice("acme", "2026-03")
    draws = [line.draw for line in inv.lines_of(LineKind.DRAW) if line.draw]
    assert [(d.seconds // MIN, d.remaining_seconds // MIN) for d in draws] == [
        (30, 150), (60, 90), (90, 0)]
    assert amounts(inv, LineKind.WORK) == ["0.00", "0.00", "0.00", "82.50"]
    assert "20min + 5min overhead = 25min → 2 × 15min = 30min" in inv.lines_of(
        LineKind.WORK)[0].how
    assert inv.lines_of(LineKind.WORK)[2].flags == ("not billed",)
    assert totals(inv) == ("481.50", "110.75", "592.25")


@pytest.mark.parametrize(("plan_name", "rate"), [("COMMUNITY", "200.00"), ("EMAIL", "180.00"),
                                                ("START", "165.00"), ("STANDARD", "140.00")])
def test_shipping_hourly_rates_after_included_hours(plan_name: str, rate: str) -> None:
    # Included hours first used up by an 8h remote session (7h55min + 5min = 8h; START and
    # STANDARD draw 3h / 7h of it), then remote 40min + 5 = 45min → 2 × 30min = 1h at the
    # plan's rate: 200 / 180 / 165 / 140 zł.
    t = make_ticket("T1", "2026-03-02 09:00", work("2026-03-02 08:00", 475, "remote"),
                    work("2026-03-03 10:00", 40, "remote"))
    res = ship_run("2026-03-31 00:00", [sub("acme", plan_name, "2026-03-01 00:00")], [t])
    inv = res.invoice("acme", "2026-03")
    assert amounts(inv, LineKind.WORK)[-1] == rate


def test_shipping_plan_change_next_period_vs_prorated() -> None:
    # EMAIL → START on Monday March 16, 10:00.
    # Next period (default): March 129.00 (EMAIL), April 399.00 (START); a remote session
    # on March 20 is still billed at EMAIL's 180 zł/h (40 + 5 = 45 → 1h → 180.00).
    # Prorated: March has 31 days; Mar 1-15 on EMAIL, Mar 16-31 on START:
    #   129 × 15/31 = 62.419… → 62.42; 399 × 16/31 = 205.935… → 205.94; April 399.00.
    change = (PlanChangeEvent(at("2026-03-16 10:00"), "START"),)
    t = make_ticket("T1", "2026-03-20 09:00", work("2026-03-20 10:00", 40, "remote"))
    nxt = ship_run("2026-04-10 00:00", [sub("acme", "EMAIL", "2026-03-01 00:00",
                                            changes=change)], [t])
    assert amounts(nxt.invoice("acme", "2026-03"), LineKind.FEE) == ["129.00"]
    assert amounts(nxt.invoice("acme", "2026-03"), LineKind.WORK) == ["180.00"]
    assert amounts(nxt.invoice("acme", "2026-04"), LineKind.FEE) == ["399.00"]
    pro = ship_run("2026-04-10 00:00", [sub("acme", "EMAIL", "2026-03-01 00:00",
                                            changes=change)],
                   plans=shipping(PlanChange.PRORATED))
    march = pro.invoice("acme", "2026-03")
    assert amounts(march, LineKind.FEE) == ["62.42", "205.94"]
    assert [line.text for line in march.lines_of(LineKind.FEE)] == [
        "fee Email 2026-03 (15 of 31 days)", "fee Start 2026-03 (16 of 31 days)"]
    assert amounts(pro.invoice("acme", "2026-04"), LineKind.FEE) == ["399.00"]


def test_promotino_support_credit_end_to_end_with_the_simulator() -> None:
    # The same March as above, but replayed by the simulator: urgent tickets answered after
    # 2 and 5 business hours (09:00-17:00 Berlin) against "response within 3 business
    # hours" → mean 3.5h > 3h → 450.00 credited on May's invoice (claimed Apr 10).
    from builders import replied, target

    from tierwise.engine.simulator import Simulator

    rule = target(Metric.FIRST_RESPONSE, business_hours(3), calendar="promotino",
                  when=cond(priority="urgent"))
    plans = promotino({"targets": (rule,)})
    cat = catalog(*plans, calendars=[PROMO_CAL])
    head = header("2026-06-01 00:00",
                  promo_sub("acme", "MEDIUM", claims=(claim("2026-04-10 09:00", "2026-03",
                                                            zone=BERLIN),)),
                  zone=BERLIN)
    tickets = [
        make_ticket("U1", at("2026-03-03 10:00", BERLIN), replied(at("2026-03-03 12:00", BERLIN)),
                    priority="urgent"),
        make_ticket("U2", at("2026-03-10 10:00", BERLIN), replied(at("2026-03-10 15:00", BERLIN)),
                    priority="urgent"),
    ]
    from tierwise.engine.billing import Ledger

    ledger = Ledger(cat, head)
    for t, res in zip(tickets, Simulator(cat, head).run(tickets), strict=True):
        ledger.add(t, res)
    money_result = ledger.finish()
    (credit,) = money_result.credits
    assert credit.status is CreditStatus.APPLIED and credit.invoice_period == "2026-05"
    assert totals(money_result.invoice("acme", "2026-05")) == ("0.00", "0.00", "0.00")


def test_seed_results_match_the_published_schemas() -> None:
    # Draws with expiry dates, packs, express flags, prorated fees: every shape in one place.
    import json

    import jsonschema

    from tierwise.engine.invoices import CREDIT_SCHEMA, INVOICE_SCHEMA

    t = wp_ticket("T1", "2026-03-02 09:00", ("2026-03-03 10:00", 60), ("2026-03-04 17:40", 180))
    miss = target_result(Metric.FIRST_RESPONSE, Status.BREACHED, start=t.created,
                         measured_s=30 * HOUR, allowance=real_hours(29), calendar="webplug")
    packs = (PackPurchase("monthly", lis("2026-03-05 10:00")),)
    res = webplug_run("2026-04-30 00:00", [sub("acme", "STANDARD", "2026-03-01 00:00",
                                               zone=LISBON, packs=packs)],
                      [(t, result(t, "STANDARD", miss))])
    doc = json.loads(json.dumps(res.to_dict()))
    assert any("draw" in line for inv in doc["invoices"] for line in inv["lines"])
    for inv in doc["invoices"]:
        jsonschema.validate(inv, INVOICE_SCHEMA)
    for credit in doc["credits"]:
        jsonschema.validate(credit, CREDIT_SCHEMA)

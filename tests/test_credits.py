"""Credits (SPEC 3.4): per-incident remedies, aggregates, tiers, caps, claims, carrying."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from builders import at, cond, make_ticket, office, span
from money_builders import (
    HOUR,
    business_hours,
    catalog,
    claim,
    fee,
    header,
    money,
    money_remedy,
    pct,
    percent_of_fee,
    plan,
    result,
    run,
    sub,
    support_credit,
    target_result,
)

from tierwise.engine.credits import (
    GroupStats,
    claim_window,
    evaluate_group,
    normal_key,
    parse_period_key,
    period_span,
)
from tierwise.engine.invoices import CreditStatus, LineKind, MoneyResult
from tierwise.engine.model import (
    AggregateCredit,
    CreditTier,
    IncidentCredit,
    Measure,
    Metric,
    Period,
    Plan,
)
from tierwise.engine.quantities import Clock, TargetTime
from tierwise.engine.results import Status, TicketResult
from tierwise.engine.scenario import Ticket

OFFICE = office()  # Warsaw, mon-fri 08:00-16:00


def attainment(**kw: Any) -> AggregateCredit:
    """95% of responses within target: below 95% → 10% of fee; below 90% → 25%; cap 30%."""
    options: dict[str, Any] = dict(
        name="Attainment", measure=Measure.ATTAINMENT, metric=Metric.FIRST_RESPONSE,
        group_by=("priority",), period=Period.MONTH,
        tiers=(CreditTier(pct(95), percent_of_fee(10)), CreditTier(pct(90), percent_of_fee(25))),
        cap=percent_of_fee(30), span=span(70))
    options.update(kw)
    return AggregateCredit(**options)


def std(**kw: Any) -> Plan:
    options: dict[str, Any] = dict(fee=fee("1000 EUR"), priorities=("high", "low"))
    options.update(kw)
    return plan("STD", "EUR", **options)


def ticket(tid: str, created: str, prio: str = "high", **kw: Any) -> Ticket:
    return make_ticket(tid, created, priority=prio, **kw)


def resp(t: Ticket, status: Status, hours: float = 1, allowed: float = 4,
         guaranteed: bool = True,
         metric: Metric = Metric.FIRST_RESPONSE) -> tuple[Ticket, TicketResult]:
    target = target_result(metric, status, start=t.created, measured_s=hours * HOUR,
                           allowance=business_hours(allowed), guaranteed=guaranteed,
                           priority=t.priority)
    return t, result(t, "STD", target)


def go(p: Plan, as_of: str, pairs: list[tuple[Ticket, TicketResult]],
       **sub_kw: Any) -> MoneyResult:
    cat = catalog(p, calendars=[OFFICE])
    head = header(as_of, sub("acme", "STD", "2026-03-01 00:00", **sub_kw))
    return run(cat, head, pairs)


# --------------------------------------------------------------------------- periods, claims


def test_period_keys_and_claim_window() -> None:
    assert parse_period_key("2026-13") == "month 13 does not exist"
    assert parse_period_key("2026-Q5") == "quarter 5 does not exist"
    assert parse_period_key("March") == "not a period"
    assert normal_key("2026-3") == "2026-03" and normal_key("2026-q2") == "2026-Q2"
    march = period_span(at("2026-03-15 10:00"), Period.MONTH, ZoneInfo("Europe/Warsaw"))
    closes, last_day = claim_window(march, 30)
    assert closes == at("2026-05-01 00:00") and last_day == dt.date(2026, 4, 30)


# --------------------------------------------------------------------------- attainment


def test_attainment_tiers_deepest_fires_strictly_below() -> None:
    credit = attainment()
    # 19 of 20 met = 95%: not strictly below 95% → nothing.
    assert evaluate_group(credit, "g", GroupStats(count=20, met=19, decided=20)).tier_index is None
    # 18 of 20 = 90%: below 95 only → tier 0 (10%).
    assert evaluate_group(credit, "g", GroupStats(count=20, met=18, decided=20)).tier_index == 0
    # 17 of 20 = 85%: below 95 and 90 → the deepest, tier 1 (25%).
    assert evaluate_group(credit, "g", GroupStats(count=20, met=17, decided=20)).tier_index == 1


def test_attainment_groups_are_summed_then_capped_and_pending_left_out() -> None:
    # March, fee 1,000. high: 1 met of 2 decided = 50% → 25% = 250; low: 9 of 10 = 90% →
    # below 95 → 10% = 100 (a pending low target is left out of the share).
    # Sum 350, cap 30% of the fee = 300 → 300.00, no claim needed → April's invoice:
    # 1,000.00 - 300.00 = 700.00.
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.MET),
             resp(ticket("H2", "2026-03-03 09:00"), Status.BREACHED, 5),
             *(resp(ticket(f"L{i}", "2026-03-04 09:00", "low"), Status.MET) for i in range(9)),
             resp(ticket("L9", "2026-03-05 09:00", "low"), Status.BREACHED, 5),
             resp(ticket("LP", "2026-03-06 09:00", "low"), Status.PENDING, 1)]
    res = go(std(aggregate_credits=(attainment(),)), "2026-04-15 00:00", pairs)
    (credit,) = res.credits_of("acme")
    assert credit.uncapped == money("350 EUR") and credit.amount == money("300.00 EUR")
    assert credit.capped and credit.status is CreditStatus.APPLIED
    assert "priority=high: 1 of 2 met = 50.00% < 90%" in credit.how
    assert "priority=low: 9 of 10 met = 90.00% < 95%" in credit.how
    april = res.invoice("acme", "2026-04")
    assert [str(x.amount.amount) for x in april.lines_of(LineKind.CREDIT)] == ["-300.00"]
    assert str(april.net.amount) == "700.00"


def test_aggregate_of_a_running_period_is_provisional() -> None:
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 5)]
    res = go(std(aggregate_credits=(attainment(),)), "2026-03-20 00:00", pairs)
    (credit,) = res.credits_of("acme")
    assert credit.status is CreditStatus.PROVISIONAL
    assert credit.status_text == "provisional"  # 0 of 1 met → 25% = 250, under the cap
    assert not res.invoice("acme", "2026-03").lines_of(LineKind.CREDIT)


def test_not_guaranteed_targets_do_not_count() -> None:
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.NOT_GUARANTEED, 9,
                  guaranteed=False)]
    res = go(std(aggregate_credits=(attainment(),)), "2026-04-15 00:00", pairs)
    assert res.credits_of("acme") == ()


# --------------------------------------------------------------------------- mean, day clocks


def test_mean_on_business_days_compares_with_the_allowance_in_the_same_clock() -> None:
    # "resolution within 1 business day" on 08:00-16:00: created Mon 10:00, the deadline
    # Tue 10:00 → allowance = 8h of open time. Measured 9h (open time) → exceeds → 100% of
    # the fee; measured exactly 8h → does not.
    credit = support_credit(metric=Metric.RESOLUTION, claim_window_days=None, group_by=())
    p = std(aggregate_credits=(credit,))
    t = ticket("R1", "2026-03-02 10:00")
    allowance = TargetTime(Clock.BUSINESS_DAYS, days=1)
    for measured, fires in ((9 * HOUR, True), (8 * HOUR, False)):
        target = target_result(Metric.RESOLUTION, Status.BREACHED, start=t.created,
                               measured_s=measured, allowance=allowance,
                               deadline=at("2026-03-03 10:00"))
        res = go(p, "2026-04-15 00:00", [(t, result(t, "STD", target))])
        credits = res.credits_of("acme")
        assert bool(credits) is fires
        if fires:
            assert "exceeds the target 8h" in credits[0].how


# --------------------------------------------------------------------------- per incident


def test_incident_credits_money_percent_metric_and_condition() -> None:
    # 50 EUR per missed resolution guarantee; 5% of the fee per missed response guarantee
    # of an urgent... here "high" ticket; nothing for low tickets' responses; met or not
    # guaranteed targets earn nothing.
    # March: H1 misses response (5% of 1,000 = 50.00) and resolution (50.00); L1 misses
    # response (no credit: condition); H2 met. April invoice: 1,000 - 100 = 900.00.
    credits = (
        IncidentCredit(money_remedy("50 EUR"), frozenset({Metric.RESOLUTION}), span=span(80)),
        IncidentCredit(percent_of_fee(5), frozenset({Metric.FIRST_RESPONSE}),
                       cond(priority="high"), span=span(81)),
    )
    h1 = ticket("H1", "2026-03-02 09:00")
    miss_r = target_result(Metric.FIRST_RESPONSE, Status.BREACHED, start=h1.created,
                           measured_s=5 * HOUR, allowance=business_hours(4))
    miss_s = target_result(Metric.RESOLUTION, Status.BREACHED, start=h1.created,
                           measured_s=50 * HOUR, allowance=business_hours(40))
    l1 = ticket("L1", "2026-03-03 09:00", "low")
    pairs = [(h1, result(h1, "STD", miss_r, miss_s)),
             resp(l1, Status.BREACHED, 5),
             resp(ticket("H2", "2026-03-04 09:00"), Status.MET),
             resp(ticket("H3", "2026-03-05 09:00"), Status.NOT_GUARANTEED, 5, guaranteed=False)]
    res = go(std(incident_credits=credits), "2026-04-15 00:00", pairs)
    got = sorted((c.ticket, str(c.amount)) for c in res.credits_of("acme"))
    assert got == [("H1", "50.00 EUR"), ("H1", "50.00 EUR")]
    april = res.invoice("acme", "2026-04")
    assert str(april.net.amount) == "900.00"
    assert {line.rule for line in april.lines_of(LineKind.CREDIT)} == {span(80), span(81)}


def test_incident_credit_after_the_last_invoice_is_owed() -> None:
    # The subscription ended in March: no later invoice carries the credit → "owed".
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 5)]
    p = std(incident_credits=(IncidentCredit(money_remedy("50 EUR"), span=span(80)),))
    res = go(p, "2026-04-15 00:00", pairs, end="2026-03-31 12:00")
    (credit,) = res.credits_of("acme")
    assert credit.status is CreditStatus.OWED and credit.invoice_period is None


# --------------------------------------------------------------------------- carrying


def credit_bigger_than_invoice(refunds: bool) -> MoneyResult:
    # 300 EUR per missed guarantee on a 100 EUR plan: April shows 100 of it, 200 carried.
    p = std(fee=fee("100 EUR"), refunds_paid_out=refunds,
            incident_credits=(IncidentCredit(money_remedy("300 EUR"), span=span(80)),))
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 5)]
    return go(p, "2026-06-15 00:00", pairs)


def test_credit_never_makes_an_invoice_negative_and_carries_forward() -> None:
    # April: 100 - 100 = 0.00, 200 carried; May: 100 - 100 = 0.00, 100 carried;
    # June: 100 - 100 = 0.00, nothing left.
    res = credit_bigger_than_invoice(False)
    nets = [str(i.net.amount) for i in res.invoices]
    assert nets == ["100.00", "0.00", "0.00", "0.00"]
    april, may, june = res.invoices[1:]
    assert april.carried_forward == money("200.00 EUR")
    assert [x.text for x in april.lines_of(LineKind.CARRIED_FORWARD)] == [
        "credit carried forward: 200.00 EUR"]
    assert may.carried_forward == money("100.00 EUR")
    assert june.carried_forward is None


def test_refunds_paid_out_allow_a_negative_invoice() -> None:
    res = credit_bigger_than_invoice(True)
    april = res.invoice("acme", "2026-04")
    assert str(april.net.amount) == "-200.00" and april.carried_forward is None


# --------------------------------------------------------------------------- claims


def test_claim_naming_another_credit_does_not_count_and_claims_after_as_of_neither() -> None:
    p = std(aggregate_credits=(support_credit(), attainment(name="Other")))
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 9)]
    # The claim names "Other" → the Support Credit is not claimed; by June its window
    # (to Apr 30) has closed: lapsed.
    res = go(p, "2026-06-01 00:00", pairs,
             claims=(claim("2026-04-02 10:00", "2026-03", "Other"),))
    by_name = {c.name: c for c in res.credits_of("acme")}
    assert by_name["Support Credit"].status is CreditStatus.EXPIRED
    # A claim dated after as_of has not happened yet.
    res = go(p, "2026-04-10 00:00", pairs, claims=(claim("2026-04-20 10:00", "2026-03"),))
    by_name = {c.name: c for c in res.credits_of("acme")}
    assert by_name["Support Credit"].status is CreditStatus.UNCLAIMED


def test_claim_made_during_the_period_counts_and_the_credit_waits_for_the_period_end() -> None:
    # Claim on Mar 25 for March: in the window; the credit shows on April's invoice
    # (first period starting after both Mar 31's end and the claim).
    p = std(aggregate_credits=(support_credit(),))
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 9)]
    res = go(p, "2026-05-10 00:00", pairs, claims=(claim("2026-03-25 10:00", "2026-03"),))
    (credit,) = res.credits_of("acme")
    assert credit.status is CreditStatus.APPLIED and credit.invoice_period == "2026-04"


def test_running_period_with_a_claim_window_says_by_when_to_claim() -> None:
    p = std(aggregate_credits=(support_credit(),))
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 9)]
    res = go(p, "2026-03-20 00:00", pairs)
    (credit,) = res.credits_of("acme")
    assert credit.status_text == "provisional, claim by 2026-04-30"
    assert credit.to_dict()["status"] == "provisional"


@pytest.mark.parametrize(("as_of", "status"), [
    ("2026-04-30 23:59", CreditStatus.UNCLAIMED),  # the last minute of the window
    ("2026-05-01 00:00", CreditStatus.EXPIRED),  # the window closes (exclusive)
])
def test_an_unclaimed_credit_lapses_when_its_window_closes(as_of: str,
                                                           status: CreditStatus) -> None:
    # The Support Credit of March (1,000 EUR, capped at the fee) needs a claim within 30
    # days after March: the window closes May 1 00:00. Until then it is "eligible,
    # unclaimed" and outstanding; from then on "lapsed", owed nothing.
    p = std(aggregate_credits=(support_credit(),))
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 9)]
    res = go(p, as_of, pairs)
    (credit,) = res.credits_of("acme")
    assert credit.status is status
    assert credit.amount == money("1000.00 EUR") and credit.claim_by == dt.date(2026, 4, 30)
    outstanding = res.totals()["EUR"]["credits_outstanding"]
    if status is CreditStatus.UNCLAIMED:
        assert credit.status_text == "eligible, unclaimed, claim by 2026-04-30"
        assert outstanding == "1000.00"
    else:
        assert credit.status_text == "lapsed, unclaimed: claim window closed on 2026-04-30"
        assert credit.to_dict()["status"] == "lapsed, unclaimed"
        assert outstanding == "0.00"
    assert not any(inv.lines_of(LineKind.CREDIT) for inv in res.invoices)


def test_a_late_claim_does_not_revive_a_lapsed_credit() -> None:
    p = std(aggregate_credits=(support_credit(),))
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 9)]
    res = go(p, "2026-06-01 00:00", pairs, claims=(claim("2026-05-01 00:00", "2026-03"),))
    (credit,) = res.credits_of("acme")
    assert credit.status is CreditStatus.EXPIRED and credit.claimed_at is None
    assert any("matches no eligible credit" in d.message for d in res.warnings)


def test_claim_that_matches_nothing_is_a_warning() -> None:
    # A yearly key for a monthly credit, and a claim for a month in which nothing fired.
    p = std(aggregate_credits=(support_credit(),))
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.MET, 1)]
    res = go(p, "2026-06-01 00:00", pairs,
             claims=(claim("2026-04-02 10:00", "2026"), claim("2026-04-02 10:00", "2026-03")))
    messages = [d.message for d in res.warnings]
    assert len([m for m in messages if "matches no eligible credit" in m]) == 2


def test_totals_per_currency() -> None:
    # high: 0 of 1 met → below 90% → 25% of 1,000 = 250 (under the 300 cap).
    # March 1,000 + April 1,000 - 250 = 1,750 net; the credit is applied in April.
    pairs = [resp(ticket("H1", "2026-03-02 09:00"), Status.BREACHED, 5)]
    res = go(std(aggregate_credits=(attainment(),)), "2026-04-15 00:00", pairs)
    assert res.totals() == {"EUR": {"net": "1750.00", "vat": "0.00", "gross": "1750.00",
                                    "credits_applied": "250.00", "credits_outstanding": "0.00"}}


def test_invoices_and_credits_match_their_published_schemas() -> None:
    import json

    import jsonschema

    from tierwise.engine.invoices import CREDIT_SCHEMA, INVOICE_SCHEMA

    # Carry-forward, incident credits, draws and free lines all in one result.
    res = credit_bigger_than_invoice(False)
    doc = json.loads(json.dumps(res.to_dict()))
    for inv in doc["invoices"]:
        jsonschema.validate(inv, INVOICE_SCHEMA)
    for credit in doc["credits"]:
        jsonschema.validate(credit, CREDIT_SCHEMA)
    assert doc["credits"] and doc["invoices"]


def test_aggregate_groups_each_target_under_the_priority_that_selected_its_rule() -> None:
    # Created p3 and answered under the p3 rule, then raised to p1: its response belongs to
    # p3's group (judged against p3's target), not to p1's, though the ticket ends as p1.
    import types
    from decimal import Decimal

    from tierwise.engine.credits import AggregateBook
    from tierwise.engine.model import AggregateCredit, Measure, Metric, Period

    credit = AggregateCredit("Support Credit", Measure.MEAN, Metric.FIRST_RESPONSE,
                             ("priority",), Period.MONTH, ())
    plan = types.SimpleNamespace(name="BUSINESS", aggregate_credits=(credit,))
    target = types.SimpleNamespace(
        metric=Metric.FIRST_RESPONSE, guaranteed=True, measured=dt.timedelta(hours=2),
        status=Status.MET, priority="p3")
    book = AggregateBook()
    book.add("acme", plan, ZoneInfo("Europe/Dublin"), at("2026-03-02 09:00"),  # type: ignore[arg-type]
             {"priority": "p1"}, [target], lambda t: Decimal(12 * 3600))  # type: ignore[list-item]
    ((_, _, groups),) = list(book.items())
    assert set(groups) == {"priority=p3"}
    assert groups["priority=p3"].measured == Decimal(7200)

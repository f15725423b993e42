"""What-if overrides (``--set PLAN.PATH=VALUE``): each path, the clock rule, inheritance,
and located errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from builders import business_days, business_hours, cond, make_catalog, make_plan, target

from tierwise.engine.model import Catalog, Commitment, Metric, Period, Plan, TargetRule
from tierwise.engine.overrides import OverrideError, apply_overrides, parse_override
from tierwise.engine.plans import compile_text
from tierwise.engine.precedence import applicable
from tierwise.engine.quantities import Clock, Money, Percent, TargetTime

TERMS = """\
calendar office {
    zone Europe/Warsaw
    open mon-fri 08:00-16:00
}

plan BASIC {
    title "Basic"
    calendar office
    priorities urgent, high, normal
    fee 100 EUR per month
    vat 23%
    response within 8 business hours
    response within 2 business hours when priority is urgent
    resolution within 5 business days
    update every 4h when priority is urgent
    rate remote, phone 60 EUR per hour, billed per started 15min
    rate all 80 EUR per hour, billed per started 30min
    included 2h per month for remote, phone
    feature "Phone support": no
}

plan PLUS extends BASIC {
    title "Plus"
    fee 200 EUR per month
    minimum term 3 months
    response within 4 business hours
}

plan GOLD extends BASIC {
    fee from 500 EUR per month
}

plan SILVER extends BASIC {
    vat 23%
}

plan OPEN {
    calendar office
    response within 24h when channel is email
    response by end of next business day when channel is web
}

plan NIGHT {
    calendar office
    response within 24h
}
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return compile_text(TERMS, "terms.plan")


def targets(plan: Plan, metric: Metric = Metric.FIRST_RESPONSE) -> list[TargetRule]:
    return [t for t in plan.targets if t.metric is metric]


def errors(catalog: Catalog, *sets: str) -> OverrideError:
    with pytest.raises(OverrideError) as info:
        apply_overrides(catalog, list(sets))
    return info.value


# --------------------------------------------------------------------------- syntax


def test_parse_splits_plan_path_and_value_with_offsets() -> None:
    ov = parse_override("STANDARD.response.normal = 6 business hours")
    assert (ov.plan, ov.path, ov.value) == ("STANDARD", ("response", "normal"),
                                           "6 business hours")
    assert ov.source[ov.value_at[0]:ov.value_at[1]] == "6 business hours"
    assert ov.source[ov.path_at[1][0]:ov.path_at[1][1]] == "normal"
    assert ov.name == "STANDARD.response.normal"


def test_parse_quoted_plan_name() -> None:
    ov = parse_override('"Suporte 24/7".fee=20 EUR')
    assert ov.plan == "Suporte 24/7" and ov.path == ("fee",) and ov.value == "20 EUR"
    assert ov.text == '"Suporte 24/7".fee=20 EUR'


@pytest.mark.parametrize(("text", "message"), [
    ("STANDARD.fee", "expected PLAN.PATH=VALUE"),
    ("STANDARD.fee=", "the value is missing"),
    (".fee=1 EUR", "the plan name is missing"),
    ("STANDARD=1 EUR", "what of plan STANDARD should change"),
    ("STANDARD..fee=1 EUR", "empty part in the path"),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(OverrideError) as info:
        parse_override(text)
    assert message in info.value.diagnostics[0].message


# --------------------------------------------------------------------------- money paths


def test_fee_keeps_period_and_names_the_override(catalog: Catalog) -> None:
    new = apply_overrides(catalog, ["BASIC.fee=149,50 EUR"])
    fee = new.plans["BASIC"].fee
    assert fee is not None and fee.amount == Money(Decimal("149.50"), "EUR")
    assert fee.period is Period.MONTH
    assert fee.span.file == "--set BASIC.fee=149,50 EUR"
    assert catalog.plans["BASIC"].fee.amount == Money(Decimal(100), "EUR")  # input unchanged


def test_fee_free_and_per_period(catalog: Catalog) -> None:
    assert apply_overrides(catalog, ["BASIC.fee=free"]).plans["BASIC"].fee is None
    fee = apply_overrides(catalog, ["BASIC.fee=1200 EUR per year"]).plans["BASIC"].fee
    assert fee is not None and fee.period is Period.YEAR


def test_fee_in_another_currency_is_an_error_under_the_value(catalog: Catalog) -> None:
    error = errors(catalog, "BASIC.fee=449PLN")
    diag = error.diagnostics[0]
    assert "is in PLN, but plan BASIC's currency is EUR" in diag.message
    text = error.render()
    assert "--set BASIC.fee=449PLN" in text
    line = text.splitlines()[2]
    assert line.index("^") == text.splitlines()[1].index("449PLN")
    assert line.count("^") == len("449PLN")


def test_from_price_warns(catalog: Catalog) -> None:
    warnings = []
    apply_overrides(catalog, ["GOLD.fee=600 EUR"], on_warning=warnings.append)
    assert warnings and "'from' price" in warnings[0].message


def test_vat_and_minimum_term(catalog: Catalog) -> None:
    new = apply_overrides(catalog, ["BASIC.vat=8%", "PLUS.minimum_term=1 year"])
    assert new.plans["BASIC"].vat == Percent(Decimal(8))
    assert new.plans["PLUS"].minimum_term_periods == 12
    assert "has no unit" in errors(catalog, "PLUS.minimum_term=6").diagnostics[0].message
    assert "must be a percentage" in errors(catalog, "BASIC.vat=8h").diagnostics[0].message


def test_rate_of_a_kind_named_with_others_is_split(catalog: Catalog) -> None:
    plan = apply_overrides(catalog, ["BASIC.rate.remote=75 EUR"]).plans["BASIC"]
    by_kinds = {r.kinds: r for r in plan.rates}
    assert by_kinds[frozenset({"remote"})].price_per_hour == Money(Decimal(75), "EUR")
    assert by_kinds[frozenset({"remote"})].increment_seconds == 15 * 60  # kept
    assert by_kinds[frozenset({"phone"})].price_per_hour == Money(Decimal(60), "EUR")


def test_rate_of_a_kind_only_under_all_gets_its_own_rule(catalog: Catalog) -> None:
    from tierwise.engine.billing import select_rate

    plan = apply_overrides(catalog, ["BASIC.rate.development=100 EUR per hour"]).plans["BASIC"]
    chosen = select_rate(plan, "development", {})
    assert chosen is not None and chosen.price_per_hour == Money(Decimal(100), "EUR")
    assert chosen.increment_seconds == 30 * 60  # the `all` rule's increment
    assert select_rate(plan, "onsite", {}).price_per_hour == Money(Decimal(80), "EUR")
    plan = apply_overrides(catalog, ["BASIC.rate.phone=not billed"]).plans["BASIC"]
    assert select_rate(plan, "phone", {}).price_per_hour is None


def test_rate_errors(catalog: Catalog) -> None:
    assert "which kind of work" in errors(catalog, "BASIC.rate=1 EUR").diagnostics[0].message
    assert "no rate for 'remote'" in errors(catalog, "OPEN.rate.remote=1 EUR").diagnostics[
        0].message


def test_included_hours(catalog: Catalog) -> None:
    plan = apply_overrides(catalog, ["BASIC.included=5h"]).plans["BASIC"]
    assert [r.seconds for r in plan.included_hours] == [5 * 3600]
    plan = apply_overrides(catalog, ["BASIC.included.phone=90min"]).plans["BASIC"]
    assert [r.seconds for r in plan.included_hours] == [90 * 60]
    assert apply_overrides(catalog, ["BASIC.included=0h"]).plans["BASIC"].included_hours == ()
    added = apply_overrides(catalog, ["OPEN.included=3h"]).plans["OPEN"].included_hours
    assert [(r.seconds, r.kinds) for r in added] == [(3 * 3600, frozenset())]
    error = errors(catalog, "BASIC.included.onsite=1h")
    assert "cover 'onsite'" in error.diagnostics[0].message


# --------------------------------------------------------------------------- targets


def test_all_targets_of_a_metric_keep_their_business_clock(catalog: Catalog) -> None:
    plan = apply_overrides(catalog, ["BASIC.response=6h"]).plans["BASIC"]
    assert {t.allowance for t in targets(plan)} == {TargetTime(Clock.BUSINESS_TIME, 6 * 3600)}


def test_explicit_clock_words_set_the_clock(catalog: Catalog) -> None:
    plan = apply_overrides(catalog, ["BASIC.response=6 calendar hours"]).plans["BASIC"]
    assert {t.allowance.clock for t in targets(plan)} == {Clock.CALENDAR_TIME}
    plan = apply_overrides(catalog, ["BASIC.response=2 business days"]).plans["BASIC"]
    assert {t.allowance for t in targets(plan)} == {TargetTime(Clock.BUSINESS_DAYS, days=2)}
    plan = apply_overrides(catalog, ["OPEN.response=by end of next business day"]).plans["OPEN"]
    assert {t.allowance.clock for t in targets(plan)} == {Clock.END_OF_NEXT_BUSINESS_DAY}


def test_plain_values_keep_calendar_and_day_clocks(catalog: Catalog) -> None:
    plan = apply_overrides(catalog, ["BASIC.resolution=3 days"]).plans["BASIC"]
    assert targets(plan, Metric.RESOLUTION)[0].allowance == TargetTime(Clock.BUSINESS_DAYS,
                                                                       days=3)
    night = apply_overrides(catalog, ["NIGHT.response=12h"]).plans["NIGHT"].targets[0]
    assert night.allowance == TargetTime(Clock.CALENDAR_TIME, 12 * 3600)
    # one of OPEN's response targets is counted by the day: a plain 12h is ambiguous there
    assert "end of next business day" in errors(catalog, "OPEN.response=12h").diagnostics[
        0].message


def test_a_plain_value_that_cannot_keep_the_clock_asks_for_a_word(catalog: Catalog) -> None:
    diag = errors(catalog, "BASIC.resolution=6h").diagnostics[0]
    assert "does not say which clock" in diag.message
    assert "6 business hours" in (diag.hint or "") and "6 calendar hours" in (diag.hint or "")
    diag = errors(catalog, "BASIC.response=2 days").diagnostics[0]
    assert "does not say which clock" in diag.message
    assert "not days" in errors(catalog, "BASIC.update=2 business days").diagnostics[0].message
    assert "has no unit" in errors(catalog, "BASIC.response=4").diagnostics[0].message


def test_priority_rule_of_its_own_changes_in_place(catalog: Catalog) -> None:
    plan = apply_overrides(catalog, ["BASIC.response.urgent=1h"]).plans["BASIC"]
    rules = targets(plan)
    assert len(rules) == 2
    urgent = applicable(rules, {"priority": "urgent"}, plan.priorities)
    assert urgent is not None and urgent.allowance == TargetTime(Clock.BUSINESS_TIME, 3600)
    assert urgent.span.file == "--set BASIC.response.urgent=1h"


def test_priority_served_by_a_shared_rule_gets_a_narrower_copy(catalog: Catalog) -> None:
    plan = apply_overrides(catalog, ["BASIC.response.normal=6h"]).plans["BASIC"]
    rules = targets(plan)
    assert len(rules) == 3
    pick = {p: applicable(rules, {"priority": p}, plan.priorities) for p in plan.priorities}
    assert pick["normal"].allowance.seconds == 6 * 3600
    assert pick["high"].allowance.seconds == 8 * 3600  # other priorities keep their terms
    assert pick["urgent"].allowance.seconds == 2 * 3600


def test_priority_errors_and_warnings(catalog: Catalog) -> None:
    diag = errors(catalog, "BASIC.response.nromal=6h").diagnostics[0]
    assert "has no priority 'nromal'" in diag.message and "normal" in (diag.hint or "")
    warnings = []
    apply_overrides(catalog, ["NIGHT.response.p1=2h"], on_warning=warnings.append)
    assert "names no priority 'p1'" in warnings[0].message
    assert "no resolution target" in errors(catalog, "OPEN.resolution=1h").diagnostics[0].message


def test_priority_on_a_model_built_catalog() -> None:
    """Catalogs built from model objects work the same (no plan text involved)."""
    plan = make_plan("STD", priorities=("high", "normal"), targets=[
        target(Metric.FIRST_RESPONSE, business_hours(8)),
        target(Metric.RESOLUTION, business_days(5), when=cond(priority="high")),
    ])
    new = apply_overrides(make_catalog(plan), ["STD.resolution.high=2 business days",
                                                "STD.response.high=4h"]).plans["STD"]
    high = applicable(targets(new), {"priority": "high"}, new.priorities)
    normal = applicable(targets(new), {"priority": "normal"}, new.priorities)
    assert high.allowance.seconds == 4 * 3600 and normal.allowance.seconds == 8 * 3600
    assert targets(new, Metric.RESOLUTION)[0].allowance.days == 2
    assert high.commitment is Commitment.GUARANTEED


# --------------------------------------------------------------------------- inheritance


def test_children_that_inherit_a_term_follow_the_parent(catalog: Catalog) -> None:
    new = apply_overrides(catalog, ["BASIC.resolution=3 business days", "BASIC.vat=8%",
                                    "BASIC.response=6h"])
    for name in ("PLUS", "GOLD"):  # both inherit BASIC's resolution target and VAT
        assert targets(new.plans[name], Metric.RESOLUTION)[0].allowance.days == 3
        assert new.plans[name].vat == Percent(Decimal(8))
    # PLUS writes its own response target: it keeps it; GOLD inherits BASIC's
    assert {t.allowance.seconds for t in targets(new.plans["PLUS"])} == {4 * 3600}
    assert {t.allowance.seconds for t in targets(new.plans["GOLD"])} == {6 * 3600}
    # a child's own fee is not the parent's; nor is its own `vat 23%`, though equal
    assert apply_overrides(catalog, ["BASIC.fee=1 EUR"]).plans["PLUS"].fee.amount.amount == 200
    assert new.plans["SILVER"].vat == Percent(Decimal(23))
    assert new.plans["GOLD"].span_of("vat").file == "--set BASIC.vat=8%"


# --------------------------------------------------------------------------- errors


def test_unknown_plan_and_setting_have_did_you_mean_and_carets(catalog: Catalog) -> None:
    error = errors(catalog, "BASC.fee=1 EUR", "BASIC.feee=1 EUR")
    assert len(error.diagnostics) == 2  # every bad override is reported, not just the first
    first, second = error.diagnostics
    assert first.message == "unknown plan 'BASC'" and first.hint == "did you mean 'BASIC'?"
    assert second.message == "unknown setting 'feee'" and second.hint == "did you mean 'fee'?"
    lines = error.render().splitlines()
    assert lines[0].startswith("<command line>:1:7: error: unknown plan 'BASC'")
    caret = next(line for line in lines if "^" in line)
    assert caret.index("^") == lines[1].index("BASC") and caret.count("^") == 4


def test_extra_path_parts_are_an_error(catalog: Catalog) -> None:
    diag = errors(catalog, "BASIC.fee.monthly=1 EUR").diagnostics[0]
    assert "takes no further path" in diag.message
    diag = errors(catalog, "BASIC.response.urgent.email=1h").diagnostics[0]
    assert "takes no further path" in diag.message


def test_bad_values(catalog: Catalog) -> None:
    assert "cannot read" in errors(catalog, "BASIC.fee=lots").diagnostics[0].message
    assert "negative" in errors(catalog, "BASIC.fee=-5 EUR").diagnostics[0].message
    assert "more than zero" in errors(catalog, "BASIC.response=0h").diagnostics[0].message
    assert "whole number" in errors(catalog, "PLUS.minimum_term=1.5 months").diagnostics[
        0].message

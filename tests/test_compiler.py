"""The compiler: each construct compiled to rule objects (snapshotted as readable text),
where each plan-level clause was written (``Plan.clause_spans``), the precedence rule (more
specific wins, ambiguity is an error, identical results a warning) and inheritance (replace
per kind, per work kind for rates, dropping with ``no ...`` and flags' opposites, cycles)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from syrupy.assertion import SnapshotAssertion
from test_grammar import PlanTextSnapshot

from tierwise.engine.errors import Diagnostic, PlanError
from tierwise.engine.model import Catalog, Metric, Plan
from tierwise.engine.plans import check_paths, check_text, compile_text, load_catalog
from tierwise.engine.quantities import Clock

OFFICE = """calendar office {
    zone Europe/Warsaw
    open mon-fri 09:00-17:00
}
"""


@pytest.fixture
def snapshot_text(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(PlanTextSnapshot)


def plan_text(body: str, name: str = "P", header: str = "") -> str:
    indented = "\n".join("    " + line for line in body.splitlines())
    return f"{OFFICE}plan {name}{header} {{\n    calendar office\n{indented}\n}}\n"


def compile_plan(body: str) -> Plan:
    return compile_text(plan_text(body), "t.plan").plans["P"]


def diagnostics(text: str) -> list[Diagnostic]:
    _, found = check_text(text, "t.plan")
    return found


def located(found: list[Diagnostic]) -> list[tuple[str, int, str]]:
    return [(d.severity, d.span.line if d.span else 0, d.message) for d in found]


# =========================================================================== constructs

PLAN_CONSTRUCTS: dict[str, str] = {
    "title_and_fee": 'title "Medium"\nfee €450 per month\nvat 23%',
    "fee_from": "fee from 290 PLN per month",
    "fee_negotiated_quarterly": "fee negotiated per quarter",
    "fee_free_with_currency": "fee free\ncurrency PLN\nrate remote 200 PLN per hour",
    "currency_from_first_amount": "rate remote 200 zł per hour",
    "minimum_term_quarters": "fee 300 EUR per quarter\nminimum term 1 year",
    "plan_changes_and_flags": "plan changes prorated\nsubscription required\n"
                              "requests in support hours only\nqueue earliest deadline first\n"
                              "refunds paid out",
    "priorities_and_channels": "priorities urgent, high\nchannels email, phone",
    "target_clocks": "response within 4 business hours when priority is high\n"
                     "response within 1h using calendar always when priority is urgent\n"
                     "resolution within 5 business days\n"
                     "next reply within 2 days\n"
                     "update every 30 business minutes when priority is urgent\n"
                     "priorities urgent, high",
    "target_end_of_next_business_day": "response by end of next business day",
    "target_pause_defaults": "resolution within 14 days, not paused when channel is email\n"
                             "resolution within 5 business days\n"
                             "response within 12 business hours, paused while waiting",
    "target_commitments": "best effort response within 24h\n"
                          "average resolution within 2 business days",
    "conditions": 'response within 4h when channel not in [sms, whatsapp] and field region '
                  'is "EU"\nresolution within 2h when contact is registered and express is yes',
    "eligibility": 'not covered when category in [migration, customization] because "no"\n'
                   "not covered when product is beta\n"
                   "guaranteed only when contact is registered\n"
                   'not guaranteed when channel in [sms] because "sms fails"\n'
                   "guarantees limited to 3h of email work per month when category is not bug",
    "rates_named_before_all": "rate all 120 PLN per hour, billed per started 1h\n"
                              "rate email not billed\n"
                              "rate all not billed when category is warranty\n"
                              "rate remote, phone 40 PLN per hour, billed per started 15min in "
                              "hours, per started 30min out of hours",
    "overhead_and_surcharges": "rate all 100 EUR per hour\n"
                               "overhead 5min per session for remote, phone\n"
                               "express surcharge +100%\nout of hours surcharge +50%",
    "included_and_packs": "included 3h per month for phone, remote\n"
                          "included 7h per quarter for development, rolls over 2 quarters\n"
                          "pack unit 1h for 40 EUR, valid 1 year\n"
                          "pack monthly 10h for 350 EUR, valid 1 month",
    "allowance": "allow 4 tickets per month free when category is unjustified, then 60 PLN each",
    "incident_credits": "fee 100 EUR per month\n"
                        "credit 1h free per missed guarantee, expiring after 12 months\n"
                        "credit 50 EUR per missed resolution guarantee\n"
                        "credit 10% of fee per missed response guarantee when channel is phone\n"
                        "response within 4h\nresolution within 5 days",
    "aggregate_credits": 'fee 450 EUR per month\nresponse within 4h\ncredit "Support Credit" {\n'
                         "    measure mean response per priority per month\n"
                         "    exceeds target: 100% of fee\n    cap 100% of fee\n"
                         "    claim within 30 days after period end\n    sole remedy\n}\n"
                         'credit "Attainment" {\n'
                         "    measure attainment of response per priority and field region "
                         "per quarter\n    below 90%: 25% of fee\n    below 95%: 10% of fee\n"
                         "    cap 50% of fee\n}",
    "features": 'feature "Dedicated manager": yes\nfeature "Live chat": no\n'
                'feature "Phone": "in the contract"',
    "all_kinds_everywhere": "rate all 100 EUR per hour\noverhead 5min per session for all\n"
                            "included 2h per month for all\n"
                            "guarantees limited to 3h of all work per month",
}


@pytest.mark.parametrize("name", PLAN_CONSTRUCTS)
def test_plan_construct(name: str, snapshot_text: SnapshotAssertion) -> None:
    assert compile_plan(PLAN_CONSTRUCTS[name]) == snapshot_text


CALENDAR_CONSTRUCTS: dict[str, str] = {
    "weekly": "open mon-fri 09:00-14:00\nopen mon-thu 16:00-18:00\nopen fri 08:00-12:00, "
              "13:00-15:00",
    "overnight_and_whole_day": "open sat 22:00-02:00\nopen sun 00:00-24:00\nopen mon 18:00-24:00",
    "wrapping_days": "open fri-mon 10:00-12:00",
    "holidays_closed_special": "open mon-fri 09:00-17:00\nholidays ES-MD\nholidays PT\n"
                               "closed 2026-12-24\nclosed 2026-08-10..2026-08-12\n"
                               "special 2026-12-31 09:00-12:00\nspecial 2027-01-06 closed",
    "always_open": "open 24/7",
}


@pytest.mark.parametrize("name", CALENDAR_CONSTRUCTS)
def test_calendar_construct(name: str, snapshot_text: SnapshotAssertion) -> None:
    body = "\n".join("    " + line for line in CALENDAR_CONSTRUCTS[name].splitlines())
    catalog = compile_text(f"calendar c {{\n    zone Europe/Madrid\n{body}\n}}\n", "t.plan")
    assert catalog.calendars["c"] == snapshot_text


def test_resolution_pauses_by_default_and_response_does_not() -> None:
    plan = compile_plan("response within 4h\nresolution within 5 business days")
    pauses = {t.metric: t.pauses_when_waiting for t in plan.targets}
    assert pauses == {Metric.FIRST_RESPONSE: False, Metric.RESOLUTION: True}


def test_target_uses_the_plan_calendar_unless_told() -> None:
    plan = compile_plan("response within 4h\nresolution within 1h using calendar always")
    assert [t.calendar for t in plan.targets] == ["office", "always"]
    assert plan.targets[0].allowance.clock is Clock.CALENDAR_TIME


def test_rules_carry_the_span_of_their_clause() -> None:
    plan = compile_plan("rate remote 10 EUR per hour\nresponse within 4h")
    assert (plan.rates[0].span.file, plan.rates[0].span.line) == ("t.plan", 7)
    assert plan.targets[0].span.line == 8
    assert plan.span.line == 5


def test_calendars_are_shared_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.plan").write_text(OFFICE, encoding="utf-8")
    (tmp_path / "b.plan").write_text("plan B {\n  calendar office\n}\n", encoding="utf-8")
    catalog = load_catalog([tmp_path])
    assert catalog.plans["B"].calendar == "office"
    assert catalog.files == (str(tmp_path / "a.plan"), str(tmp_path / "b.plan"))


def test_seed_like_fixture_folder_compiles() -> None:
    catalog = load_catalog([Path(__file__).parent / "data" / "plans" / "good"])
    assert isinstance(catalog, Catalog)
    assert sorted(catalog.plans) == ["EMAIL", "START"]


def test_all_in_a_list_of_kinds_is_an_error() -> None:
    for clause in ("rate phone, all 10 EUR per hour", "included 2h per month for phone, all",
                   "overhead 5min per session for remote, all",
                   "guarantees limited to 3h of email, all work per month"):
        found = diagnostics(plan_text(f"rate phone, email, remote 10 EUR per hour\n{clause}"))
        assert [(d.span.line if d.span else 0, d.message) for d in found
                if d.severity == "error"] == [
            (8, "`all` cannot be listed with other kinds of work")], clause


# =========================================================================== clause spans

ALL_PLAN_LEVEL = ('title "Full"\ncurrency EUR\nfee 10 EUR per month\nvat 23%\n'
                  "minimum term 3 months\nplan changes prorated\npriorities urgent, normal\n"
                  "channels email\nsubscription required\nrequests in support hours only\n"
                  "queue earliest deadline first\nrefunds paid out")


def test_every_plan_level_clause_has_its_span() -> None:
    plan = compile_plan(ALL_PLAN_LEVEL)
    lines = {key: span.line for key, span in plan.clause_spans.items()}
    assert lines == {"calendar": 6, "title": 7, "currency": 8, "fee": 9, "vat": 10,
                     "minimum term": 11, "plan change": 12, "priorities": 13, "channels": 14,
                     "subscription required": 15, "requests in support hours only": 16,
                     "queue": 17, "refunds": 18}
    assert all(span.file == "t.plan" for span in plan.clause_spans.values())
    assert plan.span_of("vat") == plan.clause_spans["vat"]


def test_clauses_not_written_have_no_span() -> None:
    plan = compile_plan("response within 4h")
    assert set(plan.clause_spans) == {"calendar"}
    assert plan.span_of("fee") == plan.span  # the plan's own, when nothing was written


def test_a_free_plan_keeps_the_span_of_its_fee_line() -> None:
    plan = compile_plan("fee free")
    assert plan.fee is None
    assert (plan.clause_spans["fee"].line, plan.clause_spans["fee"].column) == (7, 5)


def test_inherited_clauses_keep_the_parents_span() -> None:
    text = (f"{OFFICE}plan BASE {{\n{_indent(ALL_PLAN_LEVEL)}\n    calendar office\n}}\n"
            'plan CHILD extends BASE {\n    title "Child"\n    vat 8%\n}\n')
    catalog = compile_text(text, "t.plan")
    base, child = catalog.plans["BASE"], catalog.plans["CHILD"]
    assert set(child.clause_spans) == set(base.clause_spans)
    for key, span in child.clause_spans.items():
        assert span.line == (base.clause_spans[key].line if key not in ("title", "vat")
                             else {"title": 21, "vat": 22}[key]), key


def test_a_drop_or_a_flags_opposite_is_where_the_value_was_set() -> None:
    plan = child_of_full("requests at any time\nno minimum term\nqueue in any order")
    lines = {k: plan.clause_spans[k].line for k in
             ("requests in support hours only", "minimum term", "queue")}
    assert lines == {"requests in support hours only": 30, "minimum term": 31, "queue": 32}
    assert plan.clause_spans["refunds"].line == 12  # still the parent's


def _indent(body: str) -> str:
    return "\n".join("    " + line for line in body.splitlines())


# =========================================================================== precedence


def test_more_specific_rule_wins_without_a_diagnostic() -> None:
    found = diagnostics(plan_text("response within 8h\nresponse within 4h when priority is high\n"
                                  "response within 1h when priority is high and channel is phone"))
    assert found == []


def test_disjoint_conditions_do_not_overlap() -> None:
    assert diagnostics(plan_text("priorities p1, p2\nresponse within 1h when priority is p1\n"
                                 "response within 2h when priority is not p1")) == []


def test_ambiguous_rules_are_an_error_at_both() -> None:
    found = diagnostics(plan_text("response within 4h when channel is phone\n"
                                  "response within 2h when priority is urgent"))
    assert located(found) == [
        ("error", 7, "these two response targets can both apply to one ticket"),
        ("error", 8, "these two response targets can both apply to one ticket"),
    ]
    assert found[0].hint == ("a ticket with channel phone and priority urgent matches both "
                             "(see line 8); add a condition to one of them, or write a rule "
                             "for the overlap")


def test_identical_results_are_a_warning() -> None:
    found = diagnostics(plan_text("response within 4h when channel is phone\n"
                                  "response within 4h when priority is urgent"))
    assert located(found) == [("warning", 8, "these two response targets can both apply to "
                                             "one ticket, with the same result")]


def test_closed_universe_makes_negation_exact() -> None:
    assert diagnostics(plan_text("response within 4h when contact is registered\n"
                                 "response within 8h when contact is not registered")) == []


def test_named_work_kinds_win_over_all() -> None:
    catalog, found = check_text(plan_text("rate all 120 EUR per hour\nrate email not billed"),
                                "t.plan")
    assert found == [] and catalog is not None
    assert [sorted(r.kinds) for r in catalog.plans["P"].rates] == [["email"], []]


def test_same_work_kind_twice_is_ambiguous() -> None:
    found = diagnostics(plan_text("rate remote, phone 100 EUR per hour\n"
                                  "rate phone, email 90 EUR per hour"))
    assert [d.message for d in found] == [
        "these two rates can both apply to one ticket for phone work"] * 2


def test_metric_credit_wins_over_any_guarantee() -> None:
    catalog, found = check_text(plan_text("response within 4h\ncredit 1h free per missed "
                                          "guarantee\ncredit 2h free per missed response "
                                          "guarantee"), "t.plan")
    assert found == [] and catalog is not None
    assert [c.metrics for c in catalog.plans["P"].incident_credits] == [
        frozenset({Metric.FIRST_RESPONSE}), frozenset()]


def test_condition_that_never_holds_is_a_warning() -> None:
    found = diagnostics(plan_text("response within 4h when channel is email and channel is "
                                  "phone"))
    assert located(found) == [("warning", 7, "this condition can never hold")]


# =========================================================================== inheritance

PARENT = """plan BASE {
    calendar office
    priorities urgent, normal
    fee 100 EUR per month
    response within 8 business hours
    response within 2 business hours when priority is urgent
    resolution within 5 business days
    rate remote, phone 60 EUR per hour
    rate all 80 EUR per hour
    feature "Chat": no
    feature "Phone": yes
    credit 1h free per missed guarantee
}
"""


def child(body: str) -> Plan:
    indented = "\n".join("    " + line for line in body.splitlines())
    text = f"{OFFICE}{PARENT}plan CHILD extends BASE {{\n{indented}\n}}\n"
    return compile_text(text, "t.plan").plans["CHILD"]


def test_child_inherits_everything_it_does_not_write() -> None:
    plan = child('title "Child"')
    assert plan.parent == "BASE" and plan.calendar == "office"
    assert plan.fee is not None and str(plan.fee.amount) == "100 EUR"
    assert len(plan.targets) == 3 and plan.targets[0].span.line == 9


def test_one_response_target_replaces_all_inherited_ones() -> None:
    plan = child("response within 1h")
    assert [(t.metric, str(t.allowance)) for t in plan.targets] == [
        (Metric.RESOLUTION, "5 business days"), (Metric.FIRST_RESPONSE, "1h")]


def test_no_target_drops_an_inherited_metric() -> None:
    plan = child("no resolution target\nno credits")
    assert {t.metric for t in plan.targets} == {Metric.FIRST_RESPONSE}
    assert plan.incident_credits == ()


def test_rates_are_replaced_per_work_kind() -> None:
    plan = child("rate remote 50 EUR per hour")
    assert [(sorted(r.kinds), str(r.price_per_hour)) for r in plan.rates] == [
        (["phone"], "60 EUR"), (["remote"], "50 EUR"), ([], "80 EUR")]
    plan = child("rate all 10 EUR per hour")
    assert [str(r.price_per_hour) for r in plan.rates] == ["10 EUR"]


def test_features_are_replaced_by_name() -> None:
    plan = child('feature "Chat": yes')
    assert [(f.name, f.value) for f in plan.features] == [("Phone", "yes"), ("Chat", "yes")]


def test_grandchild_inherits_through_its_parent() -> None:
    text = (f"{OFFICE}{PARENT}plan CHILD extends BASE {{\n  fee 200 EUR per month\n}}\n"
            "plan GRAND extends CHILD {\n  no credits\n}\n")
    plan = compile_text(text, "t.plan").plans["GRAND"]
    assert plan.fee is not None and str(plan.fee.amount) == "200 EUR"
    assert plan.incident_credits == () and len(plan.targets) == 3


def test_inheritance_cycle_is_reported_at_each_plan() -> None:
    text = (f"{OFFICE}plan A extends B {{\n  calendar office\n}}\n"
            "plan B extends A {\n  calendar office\n}\n")
    found = diagnostics(text)
    assert sorted(located(found)) == [("error", 5, "inheritance cycle: A extends B extends A"),
                                      ("error", 8, "inheritance cycle: A extends B extends A")]


def test_plan_extending_itself_is_a_cycle() -> None:
    found = diagnostics(f"{OFFICE}plan A extends A {{\n  calendar office\n}}\n")
    assert located(found) == [("error", 5, "inheritance cycle: A extends A")]


def test_unknown_parent_suggests_a_name() -> None:
    found = diagnostics(f"{OFFICE}{PARENT}plan C extends BASEE {{\n}}\n")
    assert located(found) == [("error", 18, "plan 'C' extends unknown plan 'BASEE'")]
    assert found[0].hint == "did you mean 'BASE'?"


def test_error_in_an_inherited_clause_names_the_child() -> None:
    text = (f"{OFFICE}plan BASE {{\n  calendar office\n  response within 4h when priority "
            "is high\n}\nplan C extends BASE {\n  priorities urgent, normal\n}\n")
    found = diagnostics(text)
    assert located(found) == [("error", 7, "priority 'high' is not declared in `priorities`")]
    assert found[0].hint is not None and "in plan 'C', which inherits this clause" in \
        found[0].hint


def test_no_target_without_a_parent_is_a_warning() -> None:
    found = diagnostics(plan_text("no response target"))
    assert located(found) == [("warning", 7, "nothing to drop: plan 'P' extends no plan")]


# ------------------------------------------------------------------ dropping inherited clauses

#: A parent with one clause of every kind a child can drop (lines 6-27 of the text).
FULL = """plan FULL {
    calendar office
    fee 100 EUR per month
    minimum term 3 months
    subscription required
    requests in support hours only
    queue earliest deadline first
    refunds paid out
    response within 4h
    not covered when category is migration
    guaranteed only when contact is registered
    guarantees limited to 3h of email work per month
    rate all 80 EUR per hour
    overhead 5min per session
    express surcharge +100%
    out of hours surcharge +50%
    included 3h per month
    pack unit 1h for 40 EUR, valid 1 year
    pack big 10h for 350 EUR, valid 1 year
    allow 4 tickets per month free when category is unjustified, then 60 EUR each
    credit 1h free per missed guarantee
    feature "Chat": yes
    feature "Phone": no
}
"""


def full_text(body: str) -> str:
    """FULL and a plan CHILD extending it, whose clauses start at line 30."""
    return f"{OFFICE}{FULL}plan CHILD extends FULL {{\n{_indent(body)}\n}}\n"


def child_of_full(body: str) -> Plan:
    return compile_text(full_text(body), "t.plan").plans["CHILD"]


#: Each way of dropping, the Plan field it empties (or switches off) and what is left there.
DROPS: list[tuple[str, str, Callable[[Any], Any], Any]] = [
    ("no response target", "targets", lambda v: v, ()),
    ("no credits", "incident_credits", lambda v: v, ()),
    ("no coverage exclusions", "coverage", lambda v: v, ()),
    ("no guarantee exclusions", "guarantee_rules", lambda v: v, ()),
    ("no guarantee limits", "guarantee_limits", lambda v: v, ()),
    ("no included hours", "included_hours", lambda v: v, ()),
    ("no ticket allowances", "allowances", lambda v: v, ()),
    ("no overhead", "overheads", lambda v: v, ()),
    ("no express surcharge", "surcharges", lambda v: [s.name for s in v], ["out of hours"]),
    ("no out of hours surcharge", "surcharges", lambda v: [s.name for s in v], ["express"]),
    ("no pack unit", "packs", lambda v: [p.name for p in v], ["big"]),
    ('no feature "Chat"', "features", lambda v: [f.name for f in v], ["Phone"]),
    ("no minimum term", "minimum_term_periods", lambda v: v, 0),
    ("no subscription required", "subscription_required", lambda v: v, False),
    ("requests at any time", "requested_in_hours_only", lambda v: v, False),
    ("queue in any order", "queue_earliest_deadline_first", lambda v: v, False),
    ("refunds carried forward", "refunds_paid_out", lambda v: v, False),
]


@pytest.mark.parametrize(("clause", "field", "view", "left"), DROPS,
                         ids=[d[0] for d in DROPS])
def test_a_drop_removes_only_its_kind_of_clause(clause: str, field: str,
                                                view: Callable[[Any], Any], left: Any) -> None:
    catalog, found = check_text(full_text(clause), "t.plan")
    assert found == [] and catalog is not None
    full, plan = catalog.plans["FULL"], catalog.plans["CHILD"]
    assert view(getattr(plan, field)) == left
    assert view(getattr(full, field)) != left
    unchanged = [f.name for f in attrs.fields(Plan)
                 if f.name not in (field, "name", "title", "parent", "span", "clause_spans")]
    assert [n for n in unchanged if getattr(plan, n) != getattr(full, n)] == []


def test_a_flag_switched_off_can_be_switched_on_again_by_a_grandchild() -> None:
    text = full_text("requests at any time") + (
        "plan GRAND extends CHILD {\n    requests in support hours only\n}\n"
        "plan OTHER extends CHILD {\n    title \"Other\"\n}\n")
    catalog, found = check_text(text, "t.plan")
    assert found == [] and catalog is not None
    assert catalog.plans["GRAND"].requested_in_hours_only is True
    assert catalog.plans["OTHER"].requested_in_hours_only is False


def test_a_grandchild_may_write_again_what_its_parent_dropped() -> None:
    text = full_text("no coverage exclusions") + (
        "plan GRAND extends CHILD {\n    not covered when product is beta\n}\n")
    catalog = compile_text(text, "t.plan")
    assert [str(c.condition) for c in catalog.plans["GRAND"].coverage] == ["product is beta"]


def test_dropping_what_is_not_inherited_is_a_warning() -> None:
    text = (f"{OFFICE}plan BASE {{\n    calendar office\n}}\n"
            "plan C extends BASE {\n    no coverage exclusions\n    requests at any time\n"
            "    no pack unit\n}\n")
    found = diagnostics(text)
    assert located(found) == [
        ("warning", 9, "nothing to drop: plan 'C' inherits no `not covered` rules from 'BASE'"),
        ("warning", 10, "nothing to drop: plan 'C' inherits no `requests in support hours "
                        "only` from 'BASE'"),
        ("warning", 11, "nothing to drop: plan 'C' inherits no pack 'unit' from 'BASE'"),
    ]


def test_dropping_what_the_parent_itself_dropped_is_a_warning() -> None:
    text = full_text("no coverage exclusions") + (
        "plan GRAND extends CHILD {\n    no coverage exclusions\n}\n")
    assert located(diagnostics(text)) == [
        ("warning", 33, "nothing to drop: plan 'GRAND' inherits no `not covered` rules from "
                        "'CHILD'")]


def test_a_flags_opposite_without_a_parent_is_a_warning() -> None:
    found = diagnostics(plan_text("requests at any time"))
    assert located(found) == [("warning", 7, "nothing to drop: plan 'P' extends no plan")]


@pytest.mark.parametrize(("body", "what"), [
    ("no coverage exclusions\nnot covered when product is beta", "`not covered` rules"),
    ("not covered when product is beta\nno coverage exclusions", "`not covered` rules"),
    ("no response target\nresponse within 1h", "response targets"),
    ("requests at any time\nrequests in support hours only",
     "`requests in support hours only`"),
    ("no pack unit\npack unit 2h for 70 EUR, valid 1 year", "pack 'unit'"),
    ("no minimum term\nminimum term 6 months", "minimum term"),
])
def test_dropping_and_writing_one_kind_is_an_error(body: str, what: str) -> None:
    found = diagnostics(full_text(body))
    drop_line = 30 if body.startswith(("no ", "requests at")) else 31
    assert located(found) == [("error", drop_line, f"this plan drops {what} and writes its own")]
    assert found[0].hint is not None and "remove this line" in found[0].hint


def test_dropping_twice_is_a_warning() -> None:
    found = diagnostics(full_text("no overhead\nno overhead\nqueue in any order\n"
                                  "queue in any order"))
    assert located(found) == [
        ("warning", 31, "overhead already dropped"),
        ("warning", 33, "`queue earliest deadline first` already switched off"),
    ]


# =========================================================================== API


def test_compile_text_raises_with_every_error() -> None:
    with pytest.raises(PlanError) as info:
        compile_text(plan_text("fee 23% per month\nvat 123%\nresponse within 4"), "t.plan")
    assert [d.message for d in info.value.diagnostics] == [
        "a fee must be an amount of money, not a percentage",
        "VAT of 123% is over 100%",
        "a duration needs a unit",
    ]


def test_check_paths_returns_warnings_with_the_catalog() -> None:
    catalog, found = check_paths([Path(__file__).parent / "data" / "plans" / "bad" /
                                  "warning.plan"])
    assert catalog is not None and [d.severity for d in found] == ["warning"]


def test_load_catalog_accepts_a_single_path() -> None:
    catalog = load_catalog(Path(__file__).parent / "data" / "plans" / "good")
    assert "START" in catalog.plans

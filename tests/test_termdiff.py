"""The semantic term diff: each kind of change, spans on both sides, stable order."""

from __future__ import annotations

import pytest

from tierwise.engine.model import Catalog
from tierwise.engine.plans import compile_text
from tierwise.engine.quantities import Clock, TargetTime
from tierwise.engine.termdiff import TermChange, describe_time, diff_catalogs, diff_plans

OLD = """\
calendar office {
    zone Europe/Warsaw
    open mon-fri 08:00-16:00
    holidays PL
}

plan START {
    title "Start"
    calendar office
    fee 399 PLN per month
    vat 23%
    minimum term 3 months
    response within 8 business hours when channel is email
    resolution within 5 business days
    not covered when category is migration because "no migrations"
    rate remote 165 PLN per hour, billed per started 30min
    included 3h per month for phone, remote
    credit 1h free per missed response guarantee
    credit "Support Credit" {
        measure mean response per priority per month
        exceeds target: 100% of fee
        cap 100% of fee
        claim within 30 days after period end
    }
    feature "Phone support": no
    feature "Forum": yes
}

plan LEGACY {
    calendar office
    fee 10 PLN per month
}
"""


def edit(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


def diff(new_text: str) -> tuple[TermChange, ...]:
    return diff_catalogs(compile_text(OLD, "old.plan"), compile_text(new_text, "new.plan"))


@pytest.fixture(scope="module")
def old() -> Catalog:
    return compile_text(OLD, "old.plan")


def test_identical_terms_have_no_changes(old: Catalog) -> None:
    moved = edit(OLD, ('    vat 23%\n', ''), ('    fee 399 PLN per month\n',
                                               '    fee 399 PLN per month\n    vat 23%\n'))
    assert diff_catalogs(old, old) == ()
    # moving a clause (so every span differs) is not a change
    assert diff(moved) == ()


def test_fee_change_names_both_spans() -> None:
    (change,) = diff(edit(OLD, ("fee 399 PLN", "fee 449 PLN")))
    assert change.text == "START: fee: 399.00 PLN per month -> 449.00 PLN per month"
    assert change.to_dict()["old_at"] == "old.plan:10"
    assert change.to_dict()["new_at"] == "new.plan:10"
    assert (change.plan, change.section, change.change) == ("START", "fee", "changed")


def test_scalars() -> None:
    changes = diff(edit(OLD, ("vat 23%", "vat 8%"), ("minimum term 3 months",
                                                    "minimum term 6 months"),
                        ('title "Start"', 'title "Start+"')))
    assert [c.text for c in changes] == [
        'START: title: Start -> Start+',
        "START: vat: 23% -> 8%",
        "START: minimum term: 3 months -> 6 months",
    ]
    assert [(c.old_at.line, c.new_at.line) for c in changes] == [(8, 8), (11, 11), (12, 12)]


def test_targets_changed_added_removed() -> None:
    changes = diff(edit(
        OLD,
        ("response within 8 business hours when channel is email",
         "response within 6 business hours when channel is email\n"
         "    response within 1h using calendar always when channel is phone"),
        ("    resolution within 5 business days\n", ""),
    ))
    assert [c.text for c in changes] == [
        "START: response when channel is email: 8 business hours -> 6 business hours",
        "START: removed resolution: 5 business days",
        "START: added response when channel is phone: 1h using calendar always",
    ]
    assert changes[1].new_at is None and changes[2].old_at is None
    assert changes[2].new_at is not None and changes[2].new_at.line == 14


def test_rates_included_coverage_credits_features() -> None:
    changes = diff(edit(
        OLD,
        ("rate remote 165 PLN", "rate remote 175 PLN"),
        ("included 3h per month", "included 5h per month"),
        ('because "no migrations"', 'because "migrations are a project"'),
        ("credit 1h free per missed", "credit 2h free per missed"),
        ("cap 100% of fee", "cap 50% of fee"),
        ('feature "Phone support": no', 'feature "Phone support": yes'),
        ('    feature "Forum": yes\n', '    feature "Chat": yes\n'),
    ))
    texts = [c.text for c in changes]
    assert texts == [
        'START: not covered when category is migration: "no migrations" -> '
        '"migrations are a project"',
        "START: rate remote: 165.00 PLN per hour, billed per started 30min -> "
        "175.00 PLN per hour, billed per started 30min",
        "START: included hours for phone, remote: 3h per month -> 5h per month",
        "START: credit per missed response guarantee: 1h free -> 2h free",
        'START: credit "Support Credit": mean response per priority per month; exceeds '
        "target: 100% of fee; cap 100% of fee; claim within 30 days -> mean response per "
        "priority per month; exceeds target: 100% of fee; cap 50% of fee; claim within 30 days",
        'START: feature "Phone support": no -> yes',
        'START: removed feature "Forum": yes',
        'START: added feature "Chat": yes',
    ]
    assert {c.section for c in changes} == {"coverage", "rate", "included", "credit", "feature"}


def test_plans_and_calendars_added_and_removed() -> None:
    new = edit(OLD, ("plan LEGACY {\n    calendar office\n    fee 10 PLN per month\n}\n",
                     "calendar night {\n    zone UTC\n    open 24/7\n}\n\n"
                     "plan GOLD {\n    calendar night\n    fee 999 PLN per month\n}\n"),
               ("open mon-fri 08:00-16:00", "open mon-fri 08:00-17:00"))
    texts = [c.text for c in diff(new)]
    assert texts == [
        "plan LEGACY removed",
        "plan GOLD added",
        "calendar office hours: mon 08:00-16:00, tue 08:00-16:00, wed 08:00-16:00, "
        "thu 08:00-16:00, fri 08:00-16:00 -> mon 08:00-17:00, tue 08:00-17:00, "
        "wed 08:00-17:00, thu 08:00-17:00, fri 08:00-17:00",
        "calendar night added",
    ]


def test_two_plans_of_one_catalog(old: Catalog) -> None:
    changes = diff_plans(old.plans["LEGACY"], old.plans["START"])
    assert changes[0].plan == "LEGACY -> START"
    assert "LEGACY -> START: fee: 10.00 PLN per month -> 399.00 PLN per month" in [
        c.text for c in changes]
    assert diff_plans(old.plans["START"], old.plans["START"], label="X") == []


def test_overrides_are_named_as_the_new_side(old: Catalog) -> None:
    from tierwise.engine.overrides import apply_overrides

    new = apply_overrides(old, ["START.response=6h"])
    (change,) = diff_catalogs(old, new)
    assert change.to_dict()["new_at"] == "--set START.response=6h"
    assert change.to_dict()["old_at"] == "old.plan:13"


@pytest.mark.parametrize(("time", "text"), [
    (TargetTime(Clock.BUSINESS_TIME, 3600), "1 business hour"),
    (TargetTime(Clock.BUSINESS_TIME, 5400), "90 business minutes"),
    (TargetTime(Clock.CALENDAR_TIME, 5400), "1h30min"),
    (TargetTime(Clock.BUSINESS_DAYS, days=1), "1 business day"),
    (TargetTime(Clock.CALENDAR_DAYS, days=5), "5 calendar days"),
    (TargetTime(Clock.END_OF_NEXT_BUSINESS_DAY), "by end of next business day"),
])
def test_describe_time(time: TargetTime, text: str) -> None:
    assert describe_time(time) == text

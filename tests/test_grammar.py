"""The plan grammar, construct by construct: each construct of docs/language.md as a tiny
plan, its AST snapshotted as readable text; plus the lexical rules, the English names of
terminals and the syntax errors (messages, locations, recovery)."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest
from lark import Tree
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from tierwise.engine.errors import PlanError, SourceSpan
from tierwise.engine.quantities import Money, Percent, TargetTime
from tierwise.grammar import ast
from tierwise.grammar.parser import (
    CLAUSE_FORMS,
    MAX_SYNTAX_ERRORS,
    TERMINAL_ENGLISH,
    expected_text,
    lark_parser,
    parse,
)
from tierwise.grammar.transformer import PlanTransformer, parse_number

# =========================================================================== snapshots


def render(obj: Any, indent: int = 0) -> str:
    """A stable, readable text form of AST nodes and rule objects (YAML-like).

    Fields equal to their default are left out; spans are ``@line:col-line:col``.
    """
    pad = "  " * indent
    if isinstance(obj, SourceSpan):
        return f"@{obj.line}:{obj.column}-{obj.end_line}:{obj.end_column}"
    if isinstance(obj, Money | Percent):
        return str(obj)
    if isinstance(obj, TargetTime):
        return f"{obj} ({obj.clock.value})"
    if isinstance(obj, enum.Enum):
        return f"{type(obj).__name__}.{obj.name}"
    if isinstance(obj, Decimal | dt.date | dt.time):
        return str(obj)
    if isinstance(obj, str | int | float | bool) or obj is None:
        return repr(obj)
    if isinstance(obj, frozenset | set):
        return "{" + ", ".join(sorted(render(x) for x in obj)) + "}"
    if isinstance(obj, Mapping):
        if not obj:
            return "{}"
        return "".join(f"\n{pad}  {k}: {render(v, indent + 2).lstrip()}"
                       for k, v in obj.items())
    if isinstance(obj, tuple | list):
        if not obj:
            return "[]"
        return "".join(f"\n{pad}- {render(x, indent + 1).lstrip()}" for x in obj)
    if attrs.has(type(obj)):
        lines = [type(obj).__name__]
        for f in attrs.fields(type(obj)):
            value = getattr(obj, f.name)
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()  # type: ignore[union-attr, call-arg]
            if f.name != "span" and default is not attrs.NOTHING and value == default:
                continue
            text = render(value, indent + 1)
            lines.append(f"{pad}  {f.name}:{text if text.startswith(chr(10)) else ' ' + text}")
        return "\n".join(lines)
    return repr(obj)


class PlanTextSnapshot(SingleFileSnapshotExtension):
    """One readable .txt snapshot per test, under tests/__snapshots__/<module>/."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"

    def serialize(self, data: Any, **kwargs: Any) -> str:
        return render(data).strip() + "\n"


@pytest.fixture
def snapshot_text(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(PlanTextSnapshot)


def clauses(body: str) -> tuple[Any, ...]:
    """The AST of clauses written inside a plan (or a calendar, if they start so)."""
    keyword = body.split()[0]
    block = "calendar c" if keyword in {"zone", "open", "holidays", "closed", "special"} \
        else "plan p"
    indented = "\n".join("    " + line for line in body.splitlines())
    plan_file = parse(f"{block} {{\n{indented}\n}}\n", "t.plan")
    return plan_file.definitions[0].clauses


# =========================================================================== constructs

#: One example per construct of docs/language.md, in its order.
CONSTRUCTS: dict[str, str] = {
    # values with units
    "duration_compact": "response within 1h30min",
    "duration_words": "response within 30 min",
    "duration_seconds": "response within 90s",
    "business_hours": "response within 4 business hours",
    "business_minutes": "response within 30 business minutes",
    "calendar_days": "resolution within 5 calendar days",
    "days": "resolution within 5 days",
    "weeks": "resolution within 2 weeks",
    "business_days": "resolution within 2 business days",
    "money_code_after": "fee 450 EUR per month",
    "money_symbol_before": "fee €1,800 per month",
    "money_decimal_comma": "fee 129,00 zł per month",
    "money_spaced_groups": "fee 1 800,00 zł per month",
    "money_dollar": "fee $20 per month",
    "percent": "vat 12.5%",
    "bare_number": "response within 4",
    "business_weeks": "response within 2 business weeks",
    # calendars
    "zone": "zone Europe/Madrid",
    "open_weekly": "open mon-fri 09:00-14:00",
    "open_list": "open fri 08:00-12:00, 13:00-15:00",
    "open_overnight": "open sat 22:00-02:00",
    "open_day_list": "open mon,wed,fri 09:00-10:00",
    "open_wrapping_days": "open fri-mon 10:00-11:00",
    "open_spaced_range": "open mon – fri 10:00–11:00",
    "open_24_7": "open 24/7",
    "holidays": "holidays ES-MD, PT",
    "closed": "closed 2026-12-24, 2026-08-10..2026-08-14",
    "special_hours": "special 2026-12-31 09:00-12:00",
    "special_closed": "special 2027-01-06 closed",
    # plan-level clauses
    "title": 'title "Suporte Prioritário 24/7 \\"Plus\\""',
    "calendar_ref": "calendar office",
    "priorities": "priorities urgent, high, normal",
    "channels": "channels web, email, chat, phone",
    "fee_from": "fee from 290 PLN per month",
    "fee_free": "fee free",
    "fee_negotiated": "fee negotiated",
    "fee_quarter": "fee 1200 EUR per quarter",
    "currency": "currency PLN",
    "minimum_term": "minimum term 3 months",
    "changes_next_period": "plan changes take effect next period",
    "changes_prorated": "plan changes prorated",
    "changes_immediately": "plan changes take effect immediately",
    "flags": "subscription required\nrequests in support hours only\n"
             "queue earliest deadline first\nrefunds paid out",
    # inheritance: switching an inherited flag off, dropping inherited clauses
    "flags_off": "no subscription required\nrequests at any time\nqueue in any order\n"
                 "refunds carried forward",
    "drops": "no coverage exclusions\nno guarantee exclusions\nno guarantee limits\n"
             "no included hours\nno ticket allowances\nno overhead\nno express surcharge\n"
             'no out of hours surcharge\nno pack unit\nno feature "Live chat"\n'
             "no minimum term",
    # conditions
    "when_is": "response within 4h when priority is urgent",
    "when_in": "response within 4h when priority in [urgent, high]",
    "when_is_not": "response within 4h when channel is not sms",
    "when_not_in": "response within 4h when channel not in [sms, whatsapp, social]",
    "when_and": "response within 4h when category is bug and channel is email",
    "when_field": 'response within 4h when field region is "EU"',
    "when_multiline": "response within 4h when channel in [sms,\n    whatsapp]",
    # targets
    "target_using_calendar": "response within 1h using calendar always when priority is urgent",
    "target_end_of_next_business_day": "response by end of next business day",
    "target_not_paused": "resolution within 14 days, not paused",
    "target_paused": "response within 12 business hours, paused while waiting",
    "next_reply": "next reply within 8 business hours",
    "update_every": "update every 4h when priority is critical",
    "best_effort": "best effort response within 24h",
    "best_effort_hyphen": "best-effort response within 24h",
    "average": "average response within 2 business days",
    "no_target": "no response target",
    # eligibility
    "not_covered": 'not covered when category in [third_party_tools, customization] '
                   'because "not included in support"',
    "guaranteed_only": "guaranteed only when contact is registered",
    "not_guaranteed": 'not guaranteed when channel in [sms] because "no guarantee"',
    "guarantee_limit": "guarantees limited to 3h of email work per month "
                       "when category is not bug",
    # money
    "rate": "rate remote 140 PLN per hour, billed per started 30min",
    "rate_in_out_of_hours": "rate remote, phone 40 EUR per hour, billed per started 15min "
                            "in hours, per started 30min out of hours",
    "rate_not_billed": "rate all not billed when category is warranty",
    "overhead": "overhead 5min per session for remote, phone",
    "express_surcharge": "express surcharge +100%",
    "out_of_hours_surcharge": "out of hours surcharge +50%",
    "included": "included 3h per month for phone, remote, development",
    "included_rollover": "included 7h per month for phone, remote, rolls over 2 months",
    "included_for_all": "included 2h per month for all, rolls over 2 months",
    "overhead_for_all": "overhead 5min per session for all",
    "pack": "pack unit 1h for 40 EUR, valid 1 year",
    "allow": "allow 4 tickets per month free when category is unjustified, then 60 PLN each",
    # credits
    "credit_free_hours": "credit 1h free per missed guarantee",
    "credit_metric": "credit 2h free per missed response guarantee",
    "credit_expiring": "credit 1h free per missed guarantee, expiring after 12 months",
    "credit_money": "credit 50 EUR per missed resolution guarantee",
    "credit_of_fee": "credit 10% of fee per missed guarantee when priority is urgent",
    "no_credits": "no credits",
    "aggregate_mean": 'credit "Support Credit" {\n    measure mean response per priority per '
                      "month\n    exceeds target: 100% of fee\n    cap 100% of fee\n"
                      "    claim within 30 days after period end\n    sole remedy\n}",
    "aggregate_attainment": 'credit "Attainment" {\n    measure attainment of response per '
                            "priority and channel per quarter\n    below 95%: 10% of fee\n"
                            "    below 90%: 25% of fee\n    cap 50% of fee\n}",
    # features
    "feature_yes": 'feature "Dedicated Technical Account Manager": yes',
    "feature_no": 'feature "24/7 live chat": no',
    "feature_text": 'feature "Phone support": "in the service contract"',
}


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_construct(name: str, snapshot_text: SnapshotAssertion) -> None:
    assert clauses(CONSTRUCTS[name]) == snapshot_text


def test_plan_header_and_inheritance(snapshot_text: SnapshotAssertion) -> None:
    text = ('# comment\n\ncalendar office { zone UTC\n  open 24/7 }\n'
            'plan START extends EMAIL {\n    fee 399 PLN per month  # net\n}\n'
            'plan "Suporte Prioritário 24/7" {\n}\n')
    assert parse(text, "t.plan") == snapshot_text


def test_drop_nouns_may_be_singular() -> None:
    written = clauses("no coverage exclusion\nno guarantee exclusion\nno guarantee limit\n"
                      "no included hour\nno ticket allowance\nno response targets")
    assert [(c.kind, c.name.text if c.name else None) for c in written
            if isinstance(c, ast.DropClause)] == [
        ("coverage exclusions", None), ("guarantee exclusions", None),
        ("guarantee limits", None), ("included hours", None), ("ticket allowances", None),
        ("target", "response")]


def test_all_is_every_kind_in_every_kind_list() -> None:
    rate, limit, overhead, included = clauses(
        "rate all 10 EUR per hour\nguarantees limited to 3h of all work per month\n"
        "overhead 5min per session for all\nincluded 2h per month for all")
    assert isinstance(rate, ast.RateClause) and isinstance(limit, ast.GuaranteeLimitClause)
    assert isinstance(overhead, ast.OverheadClause)
    assert isinstance(included, ast.IncludedClause)
    assert overhead.kinds is not None and included.kinds is not None
    for kinds in (rate.kinds, limit.kinds, overhead.kinds, included.kinds):
        assert (kinds.all_kinds, kinds.names) == (True, ())


def test_block_may_be_written_on_one_line() -> None:
    plan_file = parse("plan p { fee free }", "t.plan")  # no final newline
    assert isinstance(plan_file.definitions[0].clauses[0], ast.FeeClause)


def test_empty_text_has_no_definitions() -> None:
    assert parse("", "t.plan").definitions == ()
    assert parse("# only a comment\n\n", "t.plan").definitions == ()


def test_spans_point_at_the_text() -> None:
    (target,) = clauses("response within 4 business hours when priority is urgent")
    assert isinstance(target, ast.TargetClause)
    assert (target.span.line, target.span.column) == (2, 5)
    assert target.time.value is not None
    assert (target.time.value.span.column, target.time.value.span.end_column) == (21, 36)
    assert target.conditions[0].tests[0].values[0].span.column == 55


@pytest.mark.parametrize(("text", "value"), [
    ("4", "4"), ("12.5", "12.5"), ("1,800", "1800"), ("129,00", "129.00"),
    ("1 800,00", "1800.00"), ("6,000", "6000"), ("1,5", "1.5"), ("-450", "-450"),
])
def test_numbers_as_vendors_write_them(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


def test_keyword_is_a_name_where_no_keyword_fits() -> None:
    (target,) = clauses("response within 4h when channel is free")
    assert isinstance(target, ast.TargetClause)
    assert target.conditions[0].tests[0].values[0].text == "free"


# =========================================================================== the grammar


def test_every_terminal_has_an_english_name() -> None:
    names = {t.name for t in lark_parser().terminals}
    missing = sorted(n for n in names if n not in TERMINAL_ENGLISH)
    assert not missing, f"add these terminals to TERMINAL_ENGLISH: {missing}"
    assert not [n for n in names if n.startswith("__ANON")]


def test_every_rule_has_a_transformer_method() -> None:
    grammar = lark_parser()
    names = {r.alias or r.origin.name for r in grammar.rules}
    rule_names = {str(n) for n in names if not str(n).startswith("_")}
    missing = sorted(n for n in rule_names
                     if not callable(getattr(PlanTransformer, n, None)) and n != "value")
    assert not missing, f"PlanTransformer lacks: {missing}"


def test_every_clause_keyword_has_forms_for_hints() -> None:
    assert {"fee", "rate", "response", "open", "credit", "measure"} <= set(CLAUSE_FORMS)


def test_expected_text_groups_clause_starts() -> None:
    assert expected_text({"_TITLE", "_FEE", "RBRACE"}).startswith("a plan clause")
    assert expected_text({"_PER"}) == "'per'"
    assert expected_text({"NUMBER", "DURATION", "PERCENT", "CURRENCY"}).startswith(
        "a value with its unit")


def test_parse_tree_has_no_placeholders() -> None:
    tree = lark_parser().parse("plan p {\n  fee free\n}\n")
    assert isinstance(tree, Tree)


# =========================================================================== syntax errors


def errors(text: str) -> list[tuple[int, int, str, str | None]]:
    with pytest.raises(PlanError) as info:
        parse(text, "t.plan")
    return [(d.span.line, d.span.column, d.message, d.hint) if d.span else (0, 0, d.message,
                                                                            d.hint)
            for d in info.value.diagnostics]


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"), [
    ("plan p {\n  respnse within 4h\n}\n", 2, 3, "unknown keyword 'respnse'",
     "did you mean 'response'?"),
    ("plan p {\n  response withn 4h\n}\n", 2, 12, "unknown keyword 'withn'",
     "did you mean 'within'?"),
    ("plan p {\n  Fee free\n}\n", 2, 3, "unknown keyword 'Fee'", "keywords are lower case"),
    ("plan p {\n  best efort response within 2h\n}\n", 2, 3, "unknown keyword 'best'",
     "did you mean 'best effort'?"),
    ("plan p {\n  fee 4 EUR per mnth\n}\n", 2, 17, "unknown keyword 'mnth'",
     "did you mean 'month'?"),
    ("plan p extnds q {\n}\n", 1, 8, "unknown keyword 'extnds'", "did you mean 'extends'?"),
    ("plan p {\n  response within 4 parsecs\n}\n", 2, 21, "unknown unit 'parsecs'",
     "`4 business hours`"),
    ("plan p {\n  fee 450 eur per month\n}\n", 2, 11, "unknown unit 'eur'", "'EUR'"),
    ("plan p {\n  title \"abc\n}\n", 2, 9, "unterminated string", "close the string"),
    ("plan p {\n  fee 450 EUR\n}\n", 2, 14, "this clause is not complete",
     "`fee 450 EUR per month`"),
    ("plan p {\n  response within 4h when priority = urgent\n}\n", 2, 36,
     "unexpected character '='", "`when priority is urgent`"),
    ("plan p {\n  fee free\n", 2, 11, "unexpected end of file", "block at line 1 is not closed"),
    ("calendar c {\n  open mon-fri 9-17\n}\n", 2, 16, "unexpected number '9'",
     "`open mon-fri 09:00-17:00`"),
    ("plan p {\n  rate remote 165 PLN per hour billed per started 30min\n}\n", 2, 32,
     "unexpected 'billed per started'", "`rate remote 140 PLN per hour, billed"),
    ("plan p {\n  no not covered\n}\n", 2, 6, "unexpected 'not covered'",
     "`no coverage exclusions`"),
    ("plan p {\n  requests at anytime\n}\n", 2, 3, "unknown keyword 'requests'",
     "did you mean 'requests at any time'?"),
])
def test_syntax_error(text: str, line: int, column: int, message: str, hint: str) -> None:
    first = errors(text)[0]
    assert first[:3] == (line, column, message)
    assert first[3] is not None and hint in first[3]


def test_recovery_reports_every_broken_clause() -> None:
    text = ("plan p {\n  respnse within 4h\n  fee 450 EUR\n  vat 23%\n"
            "  title \"x\n  rate remote 1 EUR per hour,\n     bogus\n  feature \"a\": yes\n}\n"
            "plan q {\n  fee free free\n}\n")
    found = errors(text)
    assert [(line, column) for line, column, *_ in found] == [(2, 3), (3, 14), (5, 9),
                                                             (7, 6), (11, 12)]


def test_recovery_skips_to_the_next_definition_after_a_broken_header() -> None:
    text = "plan p extnds q {\n  fee free\n  vat 3%\n}\nplan r {\n  fee 5 EUR\n}\n"
    assert [line for line, *_ in errors(text)] == [1, 6]


def test_syntax_errors_stop_after_a_limit() -> None:
    text = "\n".join(f"plan p{i} xx {{\n}}" for i in range(MAX_SYNTAX_ERRORS + 10))
    found = errors(text)
    assert len(found) == MAX_SYNTAX_ERRORS + 1
    assert "too many syntax errors" in found[-1][2]


def test_twenty_four_seven_is_not_a_number() -> None:
    (clause,) = clauses("open 24/7")
    assert isinstance(clause, ast.OpenClause) and clause.always


def test_junk_line_gets_one_error_per_definition_attempt() -> None:
    junk = "".join(chr(33 + (i * 7919) % 90) for i in range(20_000))
    found = errors(junk)
    assert 1 <= len(found) <= MAX_SYNTAX_ERRORS + 1
    assert re.match(r"unexpected", found[0][2])

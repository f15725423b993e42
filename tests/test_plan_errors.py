"""Every kind of bad plan input gets a located error (file, line, column), a hint where one
helps, exit code 2 from ``tierwise check``, and never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tierwise.cli.main import cli
from tierwise.engine.plans import check_paths

CAL = "calendar office {\n    zone Europe/Warsaw\n    open mon-fri 09:00-17:00\n}\n"


def in_plan(*lines: str) -> str:
    """A plan whose clause lines start at line 7 (after the calendar and `calendar`)."""
    return CAL + "plan P {\n    calendar office\n" + "".join(f"    {x}\n" for x in lines) + "}\n"


def in_calendar(*lines: str) -> str:
    """A calendar whose clause lines start at line 3."""
    return "calendar c {\n    zone Europe/Warsaw\n" + "".join(f"    {x}\n" for x in lines) + "}\n"


# (id, plan text, line, column, message, text the hint must contain or None)
CASES: list[tuple[str, str, int, int, str, str | None]] = [
    # values with units
    ("missing_unit", in_plan("response within 4"), 7, 21, "a duration needs a unit",
     "`4h`, `4 business hours`, `4 days` or `4 business days`"),
    ("missing_currency", in_plan("fee 450 per month"), 7, 9,
     "an amount of money needs a currency", "`450 EUR`"),
    ("missing_percent_sign", in_plan("vat 23"), 7, 9, "a percentage needs a % sign", "`23%`"),
    ("unknown_unit", in_plan("response within 4 parsecs"), 7, 23, "unknown unit 'parsecs'",
     "`4 business hours`"),
    ("percent_for_money", in_plan("fee 23% per month"), 7, 9,
     "a fee must be an amount of money, not a percentage", "`450 EUR`"),
    ("money_for_percent", in_plan("vat 23 EUR"), 7, 9,
     "VAT must be a percentage, not an amount of money", "`23%`"),
    ("months_for_duration", in_plan("response within 3 months"), 7, 21,
     "a target must be a duration, not a number of months", "`4 business hours`"),
    ("business_weeks", in_plan("resolution within 2 business weeks"), 7, 23,
     "'business' goes with hours, minutes or days, not weeks", "business days"),
    ("negative_money", in_plan("fee -450 EUR per month"), 7, 9,
     "negative amount of money: -450 EUR", "without a sign"),
    ("vat_over_100", in_plan("vat 123%"), 7, 9, "VAT of 123% is over 100%", "`vat 23%`"),
    ("currency_mismatch", in_plan("fee 450 EUR per month", "rate remote 100 PLN per hour"),
     8, 17, "100 PLN is in PLN, but this plan's currency is EUR", "line 7"),
    ("fractional_days", in_plan("resolution within 2.5 days"), 7, 23,
     "a number of days must be a whole number", None),
    # calendars
    ("unknown_zone", in_calendar("open mon 09:00-10:00").replace("Warsaw", "Warsw"), 2, 5,
     "unknown time zone 'Europe/Warsw'", "did you mean 'Europe/Warsaw'?"),
    ("no_zone", "calendar c {\n    open mon 09:00-10:00\n}\n", 1, 10,
     "calendar 'c' has no time zone", "IANA"),
    ("never_open", in_calendar("holidays PL"), 1, 10, "calendar 'c' is never open",
     "`open mon-fri 09:00-17:00`"),
    ("unknown_country", in_calendar("open mon 09:00-10:00", "holidays XY"), 4, 14,
     "unknown holiday country 'XY'", "ISO 3166"),
    ("unknown_subdivision", in_calendar("open mon 09:00-10:00", "holidays ES-MX"), 4, 14,
     "unknown subdivision 'MX' of ES", None),
    ("empty_window", in_calendar("open mon-fri 09:00-09:00"), 3, 18,
     "empty window 09:00-09:00", "00:00-24:00"),
    ("bad_time", in_calendar("open mon 09:00-25:00"), 3, 20, "25:00 is not a time of day",
     None),
    ("window_starting_at_24", in_calendar("open mon 24:00-02:00"), 3, 14,
     "24:00 can only end a window", None),
    ("unknown_weekday", in_calendar("open mnday 09:00-10:00"), 3, 10,
     "unknown weekday 'mnday'", "did you mean 'monday'?"),
    ("bad_date", in_calendar("open mon 09:00-10:00", "closed 2026-02-30"), 4, 12,
     "2026-02-30 is not a date", "YYYY-MM-DD"),
    ("reversed_range", in_calendar("open mon 09:00-10:00", "closed 2026-08-14..2026-08-10"),
     4, 12, "the range ends before it starts (2026-08-14..2026-08-10)", None),
    ("always_with_windows", in_calendar("open 24/7", "open mon 09:00-10:00"), 4, 5,
     "`open 24/7` cannot be combined with weekly windows", None),
    # names and inheritance
    ("duplicate_calendar", CAL + CAL, 5, 10, "calendar 'office' is defined twice", "line 1"),
    ("duplicate_plan", in_plan() + "plan P {\n    calendar office\n}\n", 8, 6,
     "plan 'P' is defined twice", "line 5"),
    ("unknown_parent", CAL + "plan P extends BSIC {\n    calendar office\n}\n"
     "plan BASIC {\n    calendar office\n}\n", 5, 16, "plan 'P' extends unknown plan 'BSIC'",
     "did you mean 'BASIC'?"),
    ("inheritance_cycle", CAL + "plan A extends B {\n}\nplan B extends A {\n}\n", 5, 16,
     "inheritance cycle: A extends B extends A", "remove one `extends`"),
    ("drop_and_write", CAL + "plan B {\n    calendar office\n    not covered when product is "
     "beta\n}\nplan C extends B {\n    no coverage exclusions\n    not covered when product "
     "is alpha\n}\n", 10, 5, "this plan drops `not covered` rules and writes its own",
     "(line 11) already replaces what it inherits"),
    ("flag_on_and_off", CAL + "plan B {\n    calendar office\n    refunds paid out\n}\n"
     "plan C extends B {\n    refunds paid out\n    refunds carried forward\n}\n", 11, 5,
     "this plan drops `refunds paid out` and writes its own", "line 10"),
    ("no_calendar", "plan P {\n    fee free\n}\n", 1, 6, "plan 'P' has no calendar",
     "`calendar NAME`"),
    ("unknown_calendar", in_plan("response within 1h using calendar offce"), 7, 39,
     "unknown calendar 'offce'", "did you mean 'office'?"),
    ("calendar_named_always", "calendar always {\n    zone UTC\n    open 24/7\n}\n", 1, 10,
     "'always' is the built-in 24/7 calendar", None),
    # clauses
    ("duplicate_fee", in_plan("fee 1 EUR per month", "fee 2 EUR per month"), 8, 5,
     "duplicate `fee` clause", "line 7"),
    ("undeclared_priority", in_plan("priorities urgent, normal",
                                    "response within 4h when priority is hihg"), 8, 41,
     "priority 'hihg' is not declared in `priorities`", None),
    ("unknown_attribute", in_plan("response within 4h when chanel is email"), 7, 29,
     "unknown attribute 'chanel'", "did you mean 'channel'?"),
    ("closed_value", in_plan("response within 4h when contact is maybe"), 7, 40,
     "'maybe' is not a value of contact", "registered or unregistered"),
    ("update_without_time_clock", in_plan("update every 2 days"), 7, 18,
     "an update target needs a time clock, not days", "`update every 4h`"),
    ("every_on_response", in_plan("response every 4h"), 7, 14,
     "`every` is for update targets; write `response within ...`", None),
    ("two_whens", in_plan("allow 4 tickets per month free when category is x, then 6 EUR each "
                          "when channel is y"), 7, 72, "a rule has one `when`", "`and`"),
    ("pack_without_validity", in_plan("pack unit 1h for 40 EUR"), 7, 5,
     "pack 'unit' has no validity", "`, valid 1 year`"),
    ("percent_credit_of_what", in_plan("credit 10% per missed guarantee"), 7, 12,
     "a percentage credit must say of what", "`10% of fee`"),
    ("credit_without_measure", in_plan('credit "X" {\n        cap 100% of fee\n    }'), 7, 12,
     "credit 'X' has no `measure`", "`measure mean response"),
    ("conflicting_rules", in_plan("response within 4h when channel is phone",
                                  "response within 2h when priority is urgent"), 7, 5,
     "these two response targets can both apply to one ticket", "see line 8"),
    ("overlapping_overheads", in_plan("overhead 5min per session", "overhead 10min per session "
                                      "for remote"), 8, 5, "two overheads apply to the same work",
     "line 7"),
    ("all_in_a_list", in_plan("rate phone, all 10 EUR per hour"), 7, 17,
     "`all` cannot be listed with other kinds of work", "`all` alone"),
    # syntax
    ("keyword_typo", in_plan("respnse within 4h"), 7, 5, "unknown keyword 'respnse'",
     "did you mean 'response'?"),
    ("unterminated_string", in_plan('title "Support'), 7, 11, "unterminated string",
     "close the string"),
    ("missing_brace", CAL + "plan P {\n    calendar office\n", 6, 20, "unexpected end of file",
     "not closed"),
    ("no_definitions", "# nothing but a comment\n", 1, 1, "no plan or calendar in this file",
     "`plan NAME { ... }`"),
]


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_plan(tmp_path: Path, text: str, line: int, column: int, message: str,
                  hint: str | None) -> None:
    path = tmp_path / "bad.plan"
    path.write_text(text, encoding="utf-8")
    catalog, found = check_paths([path])
    errors = [d for d in found if d.severity == "error"]
    assert catalog is None and errors
    first = errors[0]
    assert first.span is not None
    assert (first.span.line, first.span.column, first.message) == (line, column, message)
    if hint is not None:
        assert first.hint is not None and hint in first.hint

    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:{line}:{column}: error: {message}" in result.output
    assert "Traceback" not in result.output


def test_duplicate_calendar_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.plan").write_text(CAL, encoding="utf-8")
    (tmp_path / "b.plan").write_text("\n" + CAL, encoding="utf-8")
    _, found = check_paths([tmp_path])
    assert [(d.span.file, d.span.line, d.message, d.hint) for d in found if d.span] == [
        (str(tmp_path / "b.plan"), 2, "calendar 'office' is defined twice",
         f"the first definition is at {tmp_path / 'a.plan'}:1")]


def test_every_error_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = tmp_path / "many.plan"
    path.write_text(in_plan("fee -1 EUR per month", "vat 200%", "response within 4",
                            "response within 4h using calendar nowhere"), encoding="utf-8")
    _, found = check_paths([path])
    assert [(d.span.line if d.span else 0) for d in found] == [7, 8, 9, 10]


@pytest.mark.parametrize(("data", "line", "column", "message"), [
    (b"", 1, 1, "empty file"),
    (b"   \n\n", 1, 1, "empty file"),
    (b"plan P {\n  ti\x00tle\n}\n", 2, 5, "this is a binary file, not plan text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", 3, 1, "this is a binary file, not plan text"),
    (b'plan P {\n  title "Zak\xb3ad"\n}\n', 2, 13, "not UTF-8 text: byte 0xb3 at offset 21"),
    ('plan P {\n  title "żółw"\n  x'.encode() + b"\xff", 3, 4,
     "not UTF-8 text: byte 0xff at offset 30"),
])
def test_unreadable_file(tmp_path: Path, data: bytes, line: int, column: int,
                         message: str) -> None:
    path = tmp_path / "bad.plan"
    path.write_bytes(data)
    _, found = check_paths([path])
    assert [(d.span.line, d.span.column, d.message) for d in found if d.span] == [
        (line, column, message)]
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2 and f"{path}:{line}:{column}: error: {message}" in result.output
    assert "Traceback" not in result.output


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "nope.plan"), str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.plan'}: error: no such file or folder" in result.output
    assert f"{tmp_path}: error: no .plan files in this folder" in result.output
    assert "Traceback" not in result.output

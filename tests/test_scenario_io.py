"""Reading, validating and writing scenarios: every format, every bad path, no tracebacks."""

from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tierwise.cli.schema_cmd import schema_command
from tierwise.engine.errors import Diagnostic, ScenarioError
from tierwise.engine.quantities import Money
from tierwise.engine.scenario import EventKind, Ticket
from tierwise.engine.scenario_io import (
    MAX_ERRORS,
    SourceLocator,
    check_plans,
    header_to_record,
    load_scenario,
    open_scenario,
    parse_duration,
    parse_money,
    parse_timestamp,
    render_diagnostics,
    scenario_schema,
    ticket_schema,
    ticket_to_record,
    validate_scenario,
    write_jsonl,
)
from tierwise.engine.ticket_lines import Careful, FastTicketReader, TicketIds

DATA = Path(__file__).parent / "data" / "scenarios"

HEADER = (
    '{"type": "header", "as_of": "2026-04-01T00:00:00+02:00", "subscriptions": '
    '[{"customer": "acme", "plan": "STANDARD", "start": "2026-01-01T00:00:00+01:00"}]}'
)


def ticket_line(tid: str, created: str = "2026-01-05T09:00:00+01:00", **extra: Any) -> str:
    record = {"type": "ticket", "id": tid, "customer": "acme", "created": created, **extra}
    return json.dumps(record)


def errors_of(path: Path) -> list[Diagnostic]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return list(info.value.diagnostics)


def one_error(path: Path) -> Diagnostic:
    found = errors_of(path)
    assert len(found) == 1, [d.message for d in found]
    return found[0]


# ---- values with units ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45min", 2700),
        ("1h30min", 5400),
        ("2h", 7200),
        ("90s", 90),
        ("1h 30min", 5400),
        ("1 h", 3600),
        ("2 hours 5 minutes", 7500),
        ("0min", 0),
        ("1h1min1s", 3661),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("45", "without a unit"),
        ("1.5h", "fraction"),
        ("30m", "'min' for minutes"),
        ("2d", "days"),
        ("-30min", "negative"),
        ("30min1h", "reorders"),
        ("", "empty"),
        ("abc", "not a duration"),
        ("5 parsecs", "unknown unit"),
    ],
)
def test_parse_duration_rejects(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("2000 PLN", "2000", "PLN"),
        ("€450", "450", "EUR"),
        ("129,00 zł", "129.00", "PLN"),
        ("1,800 EUR", "1800", "EUR"),
        ("€1,800.50", "1800.50", "EUR"),
        ("1.800,50 EUR", "1800.50", "EUR"),
        ("1 800,00 zł", "1800.00", "PLN"),
        ("$12.5", "12.5", "USD"),
        ("EUR 450", "450", "EUR"),
        ("R$ 99,90", "99.90", "BRL"),
        ("-10 EUR", "-10", "EUR"),
    ],
)
def test_parse_money(text: str, amount: str, currency: str) -> None:
    assert parse_money(text) == Money(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2000", "no currency"),
        ("€450 EUR", "twice"),
        ("1,80,0 EUR", "readable"),
        ("lots", "not an amount"),
    ],
)
def test_parse_money_rejects(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_money(text)


def test_parse_timestamp() -> None:
    value = parse_timestamp("2026-01-05T09:12:00+01:00")
    assert value.utcoffset() == dt.timedelta(hours=1)
    assert parse_timestamp("2026-01-05 08:12Z") == value
    with pytest.raises(ValueError, match=r"no UTC offset.*2026-01-05T09:12:00\+01:00"):
        parse_timestamp("2026-01-05T09:12:00")
    with pytest.raises(ValueError, match="date without a time"):
        parse_timestamp("2026-01-05")
    with pytest.raises(ValueError, match="not a valid date"):
        parse_timestamp("2026-02-30T09:00:00+01:00")
    # the offset without its colon, as strftime's %z writes it
    assert parse_timestamp("2026-01-05T09:12:00+0100") == value
    assert parse_timestamp("2026-01-05T03:12-0500").utcoffset() == dt.timedelta(hours=-5)
    for bad in ("2026-01-05T09:12:00+01", "2026-01-05T09:12:00+010", "2026-01-05T09:12:00+01:0"):
        with pytest.raises(ValueError, match="not an RFC 3339 timestamp"):
            parse_timestamp(bad)


# ---- the three formats -------------------------------------------------------------------


def test_toml_json_and_jsonl_read_the_same() -> None:
    toml = load_scenario(DATA / "q1.toml")
    for other in ("q1.json", "q1.jsonl"):
        scenario = load_scenario(DATA / other)
        assert scenario.tickets == toml.tickets
        assert scenario.header.subscriptions == toml.header.subscriptions
        assert scenario.header.as_of == toml.header.as_of
        assert scenario.header.name == "Q1 replay"


def test_toml_values_and_spans() -> None:
    scenario = load_scenario(DATA / "q1.toml")
    acme = scenario.header.subscriptions["acme"]
    assert acme.fee == Money(Decimal(2000), "PLN")
    assert acme.plan_at(parse_timestamp("2026-03-02T00:00:00+01:00")) == "START"
    assert acme.packs[0].seconds == 5 * 3600
    assert acme.claims[0].period == "2026-01"
    t1, t2, t3 = scenario.tickets
    assert [e.kind for e in t1.events][-2:] == [EventKind.WORK, EventKind.RESOLVED]
    assert t1.events[4].work is not None and t1.events[4].work.seconds == 45 * 60
    assert t1.events[3].priority == "urgent"
    assert t1.fields == {"region": "EU"}
    work = t2.events[1].work  # given as an end
    assert work is not None and work.seconds == 20 * 60 and work.out_of_hours_requested
    assert t3.id == "3" and t3.express and not t3.contact_registered
    # spans point where each record and event was written ([[tickets.events]] tables too)
    assert t1.source is not None and t1.source.line == 20
    assert t1.events[0].source is not None and (
        t1.events[0].source.line,
        t1.events[0].source.column,
    ) == (32, 3)
    assert t2.events[1].source is not None and t2.events[1].source.line == 51
    assert acme.source is not None and acme.source.line == 5


def _leaves(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


@pytest.mark.parametrize(
    ("name", "syntax"), [("tricky.toml", "toml"), ("q1.toml", "toml"), ("q1.json", "json")]
)
def test_locator_finds_every_value(name: str, syntax: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    doc = tomllib.loads(text) if syntax == "toml" else json.loads(text)
    locator = SourceLocator(name, text, syntax)
    lines = text.splitlines()
    for path, value in _leaves(doc):
        assert path in locator.positions.values, path
        span = locator.span(path)
        written = lines[span.line - 1][span.column - 1 :]
        if isinstance(value, str) and "\n" not in value and "'" not in written[:1]:
            assert written.startswith(json.dumps(value, ensure_ascii=False)), (path, written)
        elif isinstance(value, (bool, int)):
            assert written.startswith(json.dumps(value)), (path, written)


def test_tricky_toml_errors() -> None:
    found = validate_scenario(DATA / "tricky.toml")
    assert [(d.span.line, d.span.column) for d in found if d.span] == [(33, 12), (34, 86)]
    assert found[1].message == "ticket 'T-2': 'x' is not a duration" and found[1].hint is None


def test_open_scenario_streams_jsonl() -> None:
    header, tickets = open_scenario(DATA / "q1.jsonl")
    assert header.as_of == parse_timestamp("2026-04-01T00:00:00+02:00")
    first = next(tickets)
    assert first.id == "T-1" and first.source is not None and first.source.line == 2
    assert [t.id for t in tickets] == ["T-2", "3"]


def test_open_scenario_toml_gives_tickets_in_creation_order(tmp_path: Path) -> None:
    header, tickets = open_scenario(DATA / "q1.toml")
    assert len(header.subscriptions) == 2
    assert [t.id for t in tickets] == ["T-1", "T-2", "3"]
    doc = json.loads((DATA / "q1.json").read_text())
    doc["tickets"].reverse()
    path = write(tmp_path, "r.json", json.dumps(doc))
    assert [t.id for t in load_scenario(path).tickets] == ["3", "T-2", "T-1"]  # file order
    assert [t.id for t in open_scenario(path)[1]] == ["T-1", "T-2", "3"]


def test_write_and_read_back(tmp_path: Path) -> None:
    scenario = load_scenario(DATA / "q1.toml")
    out = tmp_path / "copy.jsonl"
    assert write_jsonl(out, scenario.header, scenario.tickets) == 3
    again = load_scenario(out)
    assert again.tickets == scenario.tickets
    assert again.header.subscriptions == scenario.header.subscriptions


def test_records_validate_against_the_published_schemas() -> None:
    scenario = load_scenario(DATA / "q1.toml")
    Draft202012Validator(scenario_schema()).validate(header_to_record(scenario.header))
    for ticket in scenario.tickets:
        Draft202012Validator(ticket_schema()).validate(ticket_to_record(ticket))


# ---- the schemas ---------------------------------------------------------------------------


def test_schemas_are_valid_and_in_sync() -> None:
    for schema in (scenario_schema(), ticket_schema()):
        Draft202012Validator.check_schema(schema)
    scenario, ticket = scenario_schema(), ticket_schema()
    embedded = scenario["$defs"]["ticket"]
    for key in ("properties", "required", "additionalProperties"):
        assert embedded[key] == ticket[key]
    for name in ("event", "timestamp", "duration", "name"):
        assert scenario["$defs"][name] == ticket["$defs"][name]


_valid_ticket = json.loads(ticket_line("T-1", priority="high", fields={"seats": 5, "vip": True}))
_valid_ticket["events"] = [
    {"at": "2026-01-05T10:00:00+01:00", "type": "replied"},
    {"at": "2026-01-05T10:30:00+01:00", "type": "work", "kind": "remote", "duration": "45min"},
    {"at": "2026-01-05T11:00:00+01:00", "type": "priority_changed", "priority": "low"},
    {
        "at": "2026-01-05T12:00:00+01:00",
        "type": "work",
        "kind": "phone",
        "end": "2026-01-05T12:10:00Z",
    },
]
_odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        ["", " ", "x", "45min", "1.5h", "2026-01-05T10:00:00", "2026-01-05T10:00:00Z", "work"]
    ),
    st.sampled_from(["replied", "priority_changed", "ticket", "header"]),
    st.lists(st.integers(), max_size=1),
    st.dictionaries(st.sampled_from(["at", "type", "a"]), st.just("x"), max_size=2),
)
_keys = st.sampled_from(
    [
        "id",
        "customer",
        "created",
        "priority",
        "type",
        "fields",
        "events",
        "express",
        "bogus",
        "note",
        "at",
        "kind",
        "duration",
        "end",
        "out_of_hours_requested",
        "contact_registered",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 5), _keys, _odd_values, st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_fast_check_never_accepts_what_jsonschema_rejects(
    edits: list[tuple[int, str, Any, bool]],
) -> None:
    """The JSON Lines fast path may only vouch for a record the published schema accepts."""
    record = copy.deepcopy(_valid_ticket)
    for where, key, value, delete in edits:
        events = record.get("events")
        in_event = (
            isinstance(events, list) and where < len(events) and isinstance(events[where], dict)
        )
        target = events[where] if in_event else record
        if delete:
            target.pop(key, None)
        else:
            target[key] = value
    valid = Draft202012Validator(ticket_schema()).is_valid(record)
    if fast_read(record) is not Careful.CHECK_ALL:  # a Ticket, or SCHEMA_VALID
        assert valid, record


def fast_read(record: dict[str, Any], customers: tuple[str, ...] = ("acme",)) -> Any:
    """What the JSON Lines fast path makes of one record, as line 2 of a file."""
    as_of = parse_timestamp("2026-04-01T00:00:00+02:00")
    ids = TicketIds(Path("fast.jsonl"), 0, 2)
    reader = FastTicketReader("fast.jsonl", customers, as_of, ids, warnings_matter=True)
    return reader.read_line((json.dumps(record) + "\n").encode(), 2)


def test_fast_check_accepts_good_records() -> None:
    assert isinstance(fast_read(_valid_ticket), Ticket)
    lines = (DATA / "q1.jsonl").read_text().splitlines()[1:]
    fast = [fast_read(json.loads(line), ("acme", "globex")) for line in lines]
    assert fast == list(load_scenario(DATA / "q1.toml").tickets)


# ---- errors: all of them, located ------------------------------------------------------------


def test_bad_toml_reports_every_problem_with_its_place() -> None:
    warnings: list[Diagnostic] = []
    with pytest.raises(ScenarioError) as info:
        load_scenario(DATA / "bad_many.toml", on_warning=warnings.append)
    found = {(d.span.line if d.span else 0, d.path): d for d in info.value.diagnostics}
    expected_lines = {
        2: "$.as_of",
        9: "$.subscriptions[0].fee",
        15: "$.tickets[0].priorty",
        17: "$.tickets[0].events[0].at",
        18: "$.tickets[0].events[1].type",
        19: "$.tickets[0].events[2].duration",
        20: "$.tickets[0].events[3].at",
        21: "$.tickets[0].events[4]",
        22: "$.tickets[0].events[5].end",
        28: "$.tickets[1].customer",
        30: "$.tickets[1].events[0].duration",
    }
    assert sorted(found) == sorted(expected_lines.items())
    messages = {line: d.message for (line, _), d in found.items()}
    assert "has no UTC offset" in messages[2]
    assert messages[17] == (
        "ticket 'T-7': event at 2026-01-05T09:00:00+01:00 is before the ticket was created"
        " (2026-01-05T09:12:00+01:00)"
    )
    assert "unknown event type" in messages[18]
    assert found[(18, "$.tickets[0].events[1].type")].hint == "did you mean 'replied'?"
    assert found[(15, "$.tickets[0].priorty")].hint == "did you mean 'priority'?"
    assert "earlier than the event before it" in messages[20]
    assert "needs 'priority'" in messages[21]
    assert "ends" in messages[22] and "before it starts" in messages[22]
    assert "customer 'acne' has no subscription" in messages[28]
    assert found[(28, "$.tickets[1].customer")].hint == "did you mean 'acme'?"
    assert "does not apply to a 'replied' event" in messages[30]
    # the 30 h session is a warning, not an error
    assert [w.severity for w in warnings] == ["warning"]
    assert "longer than 24 h" in warnings[0].message and warnings[0].span is not None
    assert warnings[0].span.line == 23


def test_caret_rendering() -> None:
    diagnostics = validate_scenario(DATA / "bad_many.toml")
    text = render_diagnostics(diagnostics)
    assert "bad_many.toml:17:10: error: ticket 'T-7': event at" in text
    assert "   17 |   { at = " in text
    assert "\n" + " " * 17 + "^" * 27 + "\n" in text  # under the quoted timestamp
    assert "warning: ticket 'T-7': a work session of 30h" in text


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["s.toml", "s.json", "s.jsonl"])
@pytest.mark.parametrize("content", ["", "  \n\n"])
def test_empty_files(tmp_path: Path, name: str, content: str) -> None:
    assert "empty" in one_error(write(tmp_path, name, content)).message


@pytest.mark.parametrize("name", ["s.toml", "s.json", "s.jsonl"])
def test_binary_files(tmp_path: Path, name: str) -> None:
    d = one_error(write(tmp_path, name, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    assert "binary" in d.message


@pytest.mark.parametrize("name", ["s.toml", "s.json"])
def test_non_utf8_files(tmp_path: Path, name: str) -> None:
    d = one_error(write(tmp_path, name, b'{"a": 1}\n{"name": "Caf\xe9"}\n'))
    assert "not valid UTF-8" in d.message
    assert d.span is not None and (d.span.line, d.span.column) == (2, 14)


def test_non_utf8_jsonl_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.jsonl", (HEADER + "\n").encode() + b'{"id": "Caf\xe9"}\n')
    _, tickets = open_scenario(path)
    with pytest.raises(ScenarioError) as info:
        next(tickets)
    d = info.value.diagnostics[0]
    assert "UTF-8" in d.message and d.span is not None and (d.span.line, d.span.column) == (2, 12)


def test_invalid_toml_keeps_tomllib_position(tmp_path: Path) -> None:
    d = one_error(write(tmp_path, "s.toml", 'as_of = "2026-04-01T00:00:00+02:00"\nname = \n'))
    assert d.message.startswith("invalid TOML: ")
    assert d.span is not None and (d.span.line, d.span.column) == (2, 8)


def test_unquoted_duration_in_toml_gets_a_hint(tmp_path: Path) -> None:
    d = one_error(write(tmp_path, "s.toml", "x = 45min\n"))
    assert d.hint is not None and "quote" in d.hint


def test_duplicate_key_in_toml(tmp_path: Path) -> None:
    d = one_error(write(tmp_path, "s.toml", 'name = "a"\nname = "b"\n'))
    assert d.span is not None and d.span.line == 2 and d.hint is not None


def test_invalid_json_position(tmp_path: Path) -> None:
    d = one_error(
        write(tmp_path, "s.json", '{\n  "as_of": "2026-04-01T00:00:00+02:00",\n  "name": ,\n}')
    )
    assert d.message.startswith("invalid JSON: ")
    assert d.span is not None and (d.span.line, d.span.column) == (3, 11)


def test_json_lines_in_a_json_file(tmp_path: Path) -> None:
    d = one_error(write(tmp_path, "s.json", HEADER + "\n" + ticket_line("T-1") + "\n"))
    assert d.hint is not None and ".jsonl" in d.hint


def test_json_must_be_an_object(tmp_path: Path) -> None:
    assert "JSON object" in one_error(write(tmp_path, "s.json", "[1, 2]")).message


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    d = one_error(write(tmp_path, "s.json", "[" * 100_000 + "]" * 100_000))
    assert "invalid JSON" in d.message


def test_unknown_extension_missing_file_and_directory(tmp_path: Path) -> None:
    assert ".toml" in (one_error(write(tmp_path, "s.yaml", "a: 1")).hint or "")
    assert "no such file" in one_error(tmp_path / "nope.toml").message
    (tmp_path / "dir.toml").mkdir()
    assert "directory" in one_error(tmp_path / "dir.toml").message


def test_json_errors_have_lines_and_paths(tmp_path: Path) -> None:
    doc = {
        "as_of": "2026-04-01T00:00:00+02:00",
        "subscriptions": [
            {"customer": "acme", "plan": "STANDARD", "start": "2026-01-01T00:00:00+01:00"}
        ],
        "tickets": [
            {"id": "A", "customer": "acme", "created": "2026-01-05T09:00:00+01:00"},
            {"id": "B", "customer": "acme", "created": "2026-01-05T09:00:00+01:00", "priority": 3},
        ],
    }
    path = write(tmp_path, "s.json", json.dumps(doc, indent=2))
    d = one_error(path)
    assert d.path == "$.tickets[1].priority"
    assert d.message == "ticket 'B': 'priority' must be text, not a number"
    assert (
        d.span is not None
        and d.span.line == path.read_text().splitlines().index('      "priority": 3') + 1
    )
    assert d.hint == 'quote it: priority = "3"'


def test_toml_native_naive_datetime(tmp_path: Path) -> None:
    d = one_error(write(tmp_path, "s.toml", "as_of = 2026-04-01T00:00:00\n"))
    assert "no UTC offset" in d.message and d.span is not None and d.span.line == 1
    assert d.hint is not None and "2026-04-01T00:00:00+01:00" in d.hint


def test_missing_fields_and_wrong_types(tmp_path: Path) -> None:
    text = """
as_of = "2026-04-01T00:00:00+02:00"
[[subscriptions]]
customer = "acme"
start = "2026-01-01T00:00:00+01:00"
[[tickets]]
customer = "acme"
created = "2026-01-05T09:00:00+01:00"
express = "yes"
events = [{ at = "2026-01-05T10:00:00+01:00", type = "work", duration = 45 }]
"""
    found = errors_of(write(tmp_path, "s.toml", text))
    by_path = {d.path: d for d in found}
    assert "missing required field 'plan'" in by_path["$.subscriptions[0]"].message
    assert "missing required field 'id'" in by_path["$.tickets[0]"].message
    assert by_path["$.tickets[0]"].message.startswith("ticket #1: ")
    assert "'express' must be true or false" in by_path["$.tickets[0].express"].message
    assert "'duration' must be text" in by_path["$.tickets[0].events[0].duration"].message
    assert '"45min"' in (by_path["$.tickets[0].events[0].duration"].hint or "")
    assert "needs 'kind'" in by_path["$.tickets[0].events[0]"].message


def test_work_needs_exactly_one_length(tmp_path: Path) -> None:
    base = '{"at": "2026-01-05T10:00:00+01:00", "type": "work", "kind": "remote"'
    lines = [
        HEADER,
        ticket_line("A", events=[json.loads(base + "}")]),
        ticket_line(
            "B",
            events=[json.loads(base + ', "duration": "1h", "end": "2026-01-05T11:00:00+01:00"}')],
        ),
    ]
    found = errors_of(write(tmp_path, "s.jsonl", "\n".join(lines)))
    assert [d.span.line if d.span else 0 for d in found] == [2, 3]
    assert "needs its length" in found[0].message and "not both" in found[1].message


def test_subscription_checks(tmp_path: Path) -> None:
    text = """
as_of = "2026-04-01T00:00:00+02:00"
[[subscriptions]]
customer = "acme"
plan = "A"
start = "2026-02-01T00:00:00+01:00"
end = "2026-01-01T00:00:00+01:00"
changes = [
  { at = "2026-01-15T00:00:00+01:00", plan = "B" },
  { at = "2026-01-10T00:00:00+01:00", plan = "C" },
]
packs = [{ pack = "unit", bought = "2026-02-02T00:00:00+01:00", hours = "0h" }]
claims = [{ at = "2026-02-02T00:00:00+01:00", period = "2026-13" }]
[[subscriptions]]
customer = "acme"
plan = "B"
start = "2026-01-01T00:00:00+01:00"
fee = "-5 EUR"
"""
    messages = [d.message for d in errors_of(write(tmp_path, "s.toml", text))]
    joined = "\n".join(messages)
    assert "ends (2026-01-01T00:00:00+01:00) before it starts" in joined
    assert "before the subscription starts" in joined
    assert "is earlier than the one before" in joined
    assert "a pack of 0 hours" in joined
    assert "'2026-13' is not a valid period" in joined
    assert "second subscription" in joined
    assert "fee -5 EUR is negative" in joined


def test_duplicate_ticket_ids(tmp_path: Path) -> None:
    text = HEADER + "\n" + ticket_line("A") + "\n" + ticket_line("A") + "\n"
    d = one_error(write(tmp_path, "s.jsonl", text))
    assert "duplicate ticket id 'A' (first used at line 2)" in d.message
    toml = """
as_of = "2026-04-01T00:00:00+02:00"
subscriptions = [{ customer = "acme", plan = "A", start = "2026-01-01T00:00:00+01:00" }]
[[tickets]]
id = "A"
customer = "acme"
created = "2026-01-05T09:00:00+01:00"
[[tickets]]
id = "A"
customer = "acme"
created = "2026-01-05T09:00:00+01:00"
"""
    d = one_error(write(tmp_path, "s.toml", toml))
    assert d.message.endswith("(first used at line 5)") and d.span is not None and d.span.line == 9


def test_warnings_reopen_and_after_as_of(tmp_path: Path) -> None:
    events = [
        {"at": "2026-01-05T10:00:00+01:00", "type": "reopened"},
        {"at": "2026-05-01T10:00:00+02:00", "type": "resolved"},
    ]
    path = write(tmp_path, "s.jsonl", HEADER + "\n" + ticket_line("A", events=events) + "\n")
    warnings: list[Diagnostic] = []
    scenario = load_scenario(path, on_warning=warnings.append)
    assert len(scenario.tickets) == 1
    assert ["not resolved or closed before" in w.message for w in warnings] == [True, False]
    assert "1 event after the scenario's as_of" in warnings[1].message
    assert all(w.severity == "warning" for w in validate_scenario(path))


def test_error_cap(tmp_path: Path) -> None:
    lines = [HEADER] + [ticket_line(f"T{i}", created="2026-01-05T09:00:00") for i in range(80)]
    found = errors_of(write(tmp_path, "s.jsonl", "\n".join(lines)))
    assert len(found) == MAX_ERRORS + 1
    assert found[-1].message.startswith(f"stopped after {MAX_ERRORS} errors")


# ---- JSON Lines specifics ------------------------------------------------------------------


def test_jsonl_needs_a_header_first(tmp_path: Path) -> None:
    d = one_error(write(tmp_path, "s.jsonl", ticket_line("A") + "\n"))
    assert "must be its header" in d.message and d.span is not None and d.span.line == 1


def test_jsonl_blank_lines_and_bom_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "s.jsonl", "\ufeff\n" + HEADER + "\n\n" + ticket_line("A") + "\n\n")
    assert [t.id for t in load_scenario(path).tickets] == ["A"]


def test_jsonl_stream_fails_at_the_bad_line(tmp_path: Path) -> None:
    lines = [HEADER, ticket_line("A"), ticket_line("B", priority=""), ticket_line("C")]
    _, tickets = open_scenario(write(tmp_path, "s.jsonl", "\n".join(lines)))
    assert next(tickets).id == "A"
    with pytest.raises(ScenarioError) as info:
        next(tickets)
    d = info.value.diagnostics[0]
    assert d.span is not None and d.span.line == 3
    assert d.message == "ticket 'B': 'priority' must not be empty" and d.path == "$.priority"


def test_jsonl_load_reports_all_bad_lines(tmp_path: Path) -> None:
    lines = [
        HEADER,
        ticket_line("A"),
        "{not json",
        ticket_line("B", customer="zed"),
        "[]",
        ticket_line("C"),
    ]
    found = errors_of(write(tmp_path, "s.jsonl", "\n".join(lines)))
    assert [(d.span.line, d.span.column) if d.span else None for d in found] == [
        (3, 2),
        (4, 43),
        (5, 1),
    ]
    assert found[0].message.startswith("invalid JSON")
    assert "customer 'zed' has no subscription" in found[1].message


def test_jsonl_tickets_must_be_sorted(tmp_path: Path) -> None:
    lines = [HEADER, ticket_line("A", created="2026-01-06T09:00:00+01:00"), ticket_line("B")]
    d = one_error(write(tmp_path, "s.jsonl", "\n".join(lines)))
    assert d.span is not None and d.span.line == 3
    assert "before the ticket above it ('A'" in d.message and d.hint is not None


def test_jsonl_line_kinds(tmp_path: Path) -> None:
    lines = [HEADER, HEADER, json.dumps({"id": "A"})]
    found = errors_of(write(tmp_path, "s.jsonl", "\n".join(lines)))
    assert "second header" in found[0].message
    assert '"type" is null' in found[1].message


def test_jsonl_header_errors(tmp_path: Path) -> None:
    bad = json.loads(HEADER)
    bad["as_of"] = "2026-04-01"
    bad["tickets"] = []
    found = errors_of(write(tmp_path, "s.jsonl", json.dumps(bad)))
    assert {d.path for d in found} == {"$.as_of", "$.tickets"}


# ---- plans are checked against the catalog later --------------------------------------------


def test_check_plans() -> None:
    header = load_scenario(DATA / "q1.toml").header
    assert check_plans(header, {"STANDARD", "START", "EMAIL"}) == []
    found = check_plans(header, {"STANDARD", "STRAT", "MAIL"})
    assert [d.path for d in found] == [
        "$.subscriptions[0].changes[0].plan",
        "$.subscriptions[1].plan",
    ]
    assert found[0].hint == "did you mean 'STRAT'?"
    assert "unknown plan 'EMAIL'" in found[1].message and found[1].span is not None
    assert found[1].span.line == 15


# ---- tierwise schema ---------------------------------------------------------------------


def test_schema_command() -> None:
    runner = CliRunner()
    listing = runner.invoke(schema_command, [])
    assert listing.exit_code == 0 and "scenario" in listing.output and "ticket" in listing.output
    for name in ("scenario", "ticket"):
        result = runner.invoke(schema_command, [name])
        assert result.exit_code == 0
        assert json.loads(result.output)["$schema"].endswith("2020-12/schema")
    wrong = runner.invoke(schema_command, ["tickt"])
    assert wrong.exit_code == 2
    assert "choose from:" in wrong.output and "did you mean 'ticket'" in wrong.output
    assert "Traceback" not in wrong.output

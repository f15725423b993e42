"""The JSON Lines fast path: it agrees with the careful path, and falls back whenever unsure.

Reading a JSON Lines ticket goes through ``FastTicketReader`` first (direct checks, no
jsonschema, no located diagnostics) and through ``_jsonl_ticket``, the careful path, for any
line the fast path does not vouch for. These tests hold the fast path to three promises:

* a Ticket from the fast path is the Ticket the careful path builds, and the careful path
  reports nothing for that line (no error, and no warning when someone listens);
* "schema valid" from the fast path means jsonschema finds nothing;
* whole files read the same, with the same diagnostics, with or without the fast path.

They also cover the compact set of ticket ids (exact duplicates in 16–32 bytes a ticket).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tierwise.engine import scenario_io, ticket_lines
from tierwise.engine.errors import Diagnostic, ScenarioError, SourceSpan
from tierwise.engine.generate import generate, parse_params
from tierwise.engine.scenario import EventKind, Ticket
from tierwise.engine.scenario_io import (
    _jsonl_ticket,
    _Report,
    load_scenario,
    open_scenario,
    parse_timestamp,
    ticket_schema,
    validate_scenario,
)
from tierwise.engine.ticket_lines import (
    FAST_EVENT_FIELDS,
    FAST_TICKET_FIELDS,
    Careful,
    FastTicketReader,
    TicketIds,
    fast_schema,
)

FILE = "fast.jsonl"
AS_OF = "2026-04-01T00:00:00+02:00"
CUSTOMERS = ("acme", "globex")
HEADER = json.dumps(
    {
        "type": "header",
        "as_of": AS_OF,
        "subscriptions": [
            {"customer": c, "plan": "STANDARD", "start": "2026-01-01T00:00:00+01:00"}
            for c in CUSTOMERS
        ],
    }
)

GOOD: dict[str, Any] = {
    "type": "ticket",
    "id": "T-1",
    "customer": "acme",
    "created": "2026-01-05T09:00:00+01:00",
    "priority": "high",
    "channel": "email",
    "category": "bug",
    "product_status": "ga",
    "contact_registered": True,
    "express": False,
    "fields": {"seats": 5, "vip": True, "region": "EU"},
    "note": "free text",
    "events": [
        {"at": "2026-01-05T10:00:00+01:00", "type": "replied"},
        {"at": "2026-01-05T10:30:00+01:00", "type": "work", "kind": "remote", "duration": "45min"},
        {"at": "2026-01-05T11:00:00+01:00", "type": "priority_changed", "priority": "low"},
        {"at": "2026-01-05T11:05:00+01:00", "type": "waiting", "note": "asked for logs"},
        {"at": "2026-01-05T12:00:00Z", "type": "customer_replied"},
        {
            "at": "2026-01-05T13:00:00.250+01:00",
            "type": "work",
            "kind": "phone",
            "end": "2026-01-05T13:10:00+01:00",
            "out_of_hours_requested": True,
        },
        {"at": "2026-01-06T09:00:00+01:00", "type": "resolved"},
        {"at": "2026-01-07T09:00:00+01:00", "type": "reopened"},
        {"at": "2026-01-08T09:00:00+01:00", "type": "closed"},
    ],
}


def line(record: Any) -> bytes:
    """A record as one JSON Lines line, as the reader gets it from the file."""
    return (json.dumps(record) + "\n").encode()


def reader(*, warnings_matter: bool = True) -> FastTicketReader:
    ids = TicketIds(Path(FILE), 0, 2)
    return FastTicketReader(
        FILE, CUSTOMERS, parse_timestamp(AS_OF), ids, warnings_matter=warnings_matter
    )


def careful(record: Any) -> tuple[Ticket | None, list[Diagnostic], list[Diagnostic]]:
    """The careful path on ``record`` as line 2: its ticket, errors and warnings."""
    warnings: list[Diagnostic] = []
    report = _Report(warnings.append)
    raw = (json.dumps(record) + "\n").encode()
    ids = TicketIds(Path(FILE), 0, 2)
    customers = {c: i for i, c in enumerate(CUSTOMERS)}
    try:
        ticket = _jsonl_ticket(raw, FILE, 2, report, customers, parse_timestamp(AS_OF), ids)
    except ScenarioError as exc:
        return None, list(exc.diagnostics), warnings
    return ticket, report.errors, warnings


def assert_same_ticket(fast: Ticket, slow: Ticket | None) -> None:
    assert slow is not None
    assert fast == slow
    # Sources are left out of equality; the fast path shares the line's span.
    line = SourceSpan(FILE, 2, 1)
    assert fast.source == slow.source == line
    assert all(e.source == line for e in fast.events + slow.events)


def test_the_fast_path_knows_every_field_of_the_schema() -> None:
    schema = ticket_schema()
    assert frozenset(schema["properties"]) == FAST_TICKET_FIELDS
    assert frozenset(schema["$defs"]["event"]["properties"]) == FAST_EVENT_FIELDS
    assert fast_schema().usable


def test_the_wire_structs_take_exactly_the_schema_fields() -> None:
    """msgspec checks the structure, so its Structs must say what the schema says."""
    event_schema = ticket_schema()["$defs"]["event"]
    kinds = typing.get_args(ticket_lines._AnyWireEvent)
    tags = {k.__struct_config__.tag for k in kinds}
    assert tags == set(event_schema["properties"]["type"]["enum"]) == {k.value for k in EventKind}
    assert all(k.event_kind.value == k.__struct_config__.tag for k in kinds)
    assert frozenset(ticket_lines._WireTicket.__struct_fields__) == FAST_TICKET_FIELDS
    fields = frozenset({"type"}).union(*(k.__struct_fields__ for k in kinds))
    assert fields == FAST_EVENT_FIELDS
    # the fields the schema requires per kind are required by the Structs too
    for kind, required in ((ticket_lines._WireWork, "kind"),
                           (ticket_lines._WirePriorityChanged, "priority")):
        optional = len(kind.__struct_defaults__)
        assert required in kind.__struct_fields__[: len(kind.__struct_fields__) - optional]


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ({"type": "replied", "duration": "5min"}, "a work field on a reply"),
        ({"type": "waiting", "priority": "high"}, "a priority on a wait"),
        ({"type": "work", "duration": "5min"}, "work without its kind"),
        ({"type": "work", "kind": "remote"}, "work without a length"),
        ({"type": "work", "kind": "remote", "duration": "5min", "end": "2026-01-05T10:00:00+01:00"},
         "work with both lengths"),
        ({"type": "priority_changed"}, "a change without the priority"),
        ({"type": "escalated"}, "an unknown kind"),
        ({"type": None}, "a null kind"),
        ({"type": "replied", "note": None}, "a null note"),
    ],
)
def test_events_the_careful_path_rejects_go_to_it(event: dict[str, Any], why: str) -> None:
    record = copy.deepcopy(GOOD)
    record["events"] = [{"at": "2026-01-05T10:00:00+01:00", **event}]
    _, errors, _ = careful(record)
    assert errors, why
    assert reader().read_line(line(record), 2) is Careful.CHECK_ALL, why


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\n",
        b"\xef\xbb\xbf" + line(GOOD),  # a byte order mark
        line(GOOD)[:-2] + b"\xff}\n",  # not UTF-8
        line(GOOD)[:-1] + b" {}\n",  # two documents
        b"[" * 10_000 + b"]" * 10_000 + b"\n",  # deep nesting
        line(GOOD).replace(b'"T-1"', b'"\\ud800"'),  # a lone surrogate
    ],
)
def test_lines_that_are_not_one_json_object_go_to_the_careful_path(raw: bytes) -> None:
    assert reader().read_line(raw, 2) is Careful.CHECK_ALL


def test_a_good_record_takes_the_fast_path_and_matches_the_careful_one() -> None:
    fast = reader().read_line(line(GOOD), 2)
    assert isinstance(fast, Ticket)
    slow, errors, warnings = careful(GOOD)
    assert errors == [] and warnings == []
    assert_same_ticket(fast, slow)
    assert fast.fields == {"seats": "5", "vip": "true", "region": "EU"}


def test_names_are_interned() -> None:
    r = reader()
    a = r.read_line(line(json.loads(json.dumps(GOOD))), 2)
    other = json.loads(json.dumps(GOOD))
    other["id"] = "T-2"
    b = r.read_line(line(other), 3)
    assert isinstance(a, Ticket) and isinstance(b, Ticket)
    assert a.customer is b.customer and a.priority is b.priority
    work_a = [e.work for e in a.events if e.work]
    work_b = [e.work for e in b.events if e.work]
    assert work_a[0].kind is work_b[0].kind


# ---- the fast path against the careful path, on records with odd edits ------------------------

_timestamps = st.sampled_from(
    [
        "2026-01-05T08:00:00+01:00",
        "2026-01-05T10:00:00+01:00",
        "2026-01-05T10:00:00.5+01:00",
        "2026-01-05T10:00:00.50+01:00",
        "2026-01-05T09:00:00Z",
        "2026-01-05t10:00:00+01:00",
        "2026-01-05 10:00+01:00",
        "2026-01-05T10:00:00+01:00\n",
        "2026-01-05T10:00:00.12+01",
        "2026-01-05T10:00:00",
        "2026-02-30T10:00:00+01:00",
        "2026-W02-1T10:00:00+01:00",
        "2026-06-01T10:00:00+02:00",
        "2026-01-06T12:00:00-05:00",
        "2026-01-05T10:00:00+24:00",
    ]
)
_durations = st.sampled_from(
    ["45min", "0min", "1h 30min", "25h", "1h1h", "-5min", "-0min", "1.5h", "90", " 2h ", "1H"]
)
_names = st.sampled_from(["remote", "acme", "globex", "zed", "", " ", "\u00a0", "x\n"])
_odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 1),
    st.just(1.5),
    st.just(2**70),
    _timestamps,
    _durations,
    _names,
    st.sampled_from(["replied", "work", "priority_changed", "reopened", "closed", "ticket"]),
    st.just([]),
    st.just({}),
    st.just({"a": 1.5}),
    st.just({"a": "b", "c": 2}),
)
_keys = st.sampled_from(
    [*sorted(FAST_TICKET_FIELDS | FAST_EVENT_FIELDS | {"bogus"}), "at", "type", "duration"]
)


def _edit(record: dict[str, Any], where: int, key: str, value: Any, delete: bool) -> None:
    events = record.get("events")
    in_event = isinstance(events, list) and where < len(events) and isinstance(events[where], dict)
    target = events[where] if in_event else record
    if delete:
        target.pop(key, None)
    else:
        target[key] = value


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 11), _keys, _odd, st.booleans()), min_size=1, max_size=4),
    st.booleans(),
)
def test_fast_path_agrees_with_the_careful_path(
    edits: list[tuple[int, str, Any, bool]], warnings_matter: bool
) -> None:
    record = copy.deepcopy(GOOD)
    for edit in edits:
        _edit(record, *edit)
    fast = reader(warnings_matter=warnings_matter).read_line(line(record), 2)
    if fast is Careful.CHECK_ALL:
        return
    assert Draft202012Validator(ticket_schema()).is_valid(record), record
    if fast is Careful.SCHEMA_VALID:
        return
    assert isinstance(fast, Ticket)
    slow, errors, warnings = careful(record)
    assert errors == [], (record, errors)
    if warnings_matter:
        assert warnings == [], (record, warnings)
    assert_same_ticket(fast, slow)


LONG_WORK = {"type": "work", "kind": "remote", "duration": "25h"}


@pytest.mark.parametrize(
    ("edit", "verdict"),
    [
        ({"customer": "zed"}, Careful.CHECK_ALL),  # no subscription: an error
        ({"created": "2026-01-05T10:45:00+01:00"}, Careful.CHECK_ALL),  # events before it
        ({"priority": None}, Careful.CHECK_ALL),  # null: the schema says no
        ({"bogus": 1}, Careful.CHECK_ALL),
        ({"created": "2026-05-01T10:00:00+02:00"}, Careful.CHECK_ALL),  # and events before
        ({"events": [{"at": "2026-05-01T10:00:00+02:00", "type": "replied"}]}, None),
        ({"events": [{"at": "2026-01-06T10:00:00+01:00", "type": "reopened"}]}, None),
        ({"events": [{"at": "2026-01-06T10:00:00+01:00", **LONG_WORK}]}, None),
    ],
)
def test_warnings_take_the_careful_path_only_when_someone_listens(
    edit: dict[str, Any], verdict: Careful | None
) -> None:
    record = {**copy.deepcopy(GOOD), **edit}
    listened = reader(warnings_matter=True).read_line(line(record), 2)
    unheard = reader(warnings_matter=False).read_line(line(record), 2)
    if verdict is not None:
        assert listened is unheard is verdict
        return
    # Only warnings: the careful path reports them, and builds the same ticket.
    assert listened is Careful.SCHEMA_VALID and isinstance(unheard, Ticket)
    slow, errors, warnings = careful(record)
    assert errors == [] and len(warnings) == 1
    assert_same_ticket(unheard, slow)


def _work(**fields: Any) -> dict[str, Any]:
    return {"at": "2026-01-06T10:00:00+01:00", "type": "work", "kind": "remote", **fields}


@pytest.mark.parametrize(
    "event",
    [
        _work(end="2026-01-06T09:00:00+01:00"),  # ends before it starts
        _work(duration="1H"),  # parse_duration takes it; the schema's pattern does not
        _work(duration="2 Hours"),
        _work(duration="1h1h"),  # the pattern takes it; parse_duration does not
        _work(duration="-5min"),
        _work(duration="45min", end="2026-01-06T11:00:00+01:00"),
        _work(),
        _work(duration="45min", kind=" "),
        _work(duration="45min", out_of_hours_requested=None),
        _work(duration="45min", priority="low"),
        {"at": "2026-01-06T10:00:00+01:00", "type": "replied", "kind": "remote"},
        {"at": "2026-01-06T10:00:00+01:00", "type": "priority_changed"},
        {"at": "2026-01-06T10:00:00+01:00", "type": "priority_changed", "priority": ""},
        {"at": "2026-W02-2T10:00:00+01:00", "type": "replied"},  # fromisoformat takes it
        {"at": "2026-01-06T10:00:00.12+01", "type": "replied"},
        {"at": "2026-01-06T10:00:00+01:00", "type": "Replied"},
        {"at": "2026-01-06T10:00:00+01:00", "type": "replied", "note": None},
    ],
)
def test_each_of_these_takes_the_careful_path(event: dict[str, Any]) -> None:
    record = {**copy.deepcopy(GOOD), "events": [event]}
    assert reader().read_line(line(record), 2) is Careful.CHECK_ALL
    slow, errors, _ = careful(record)
    assert errors and slow is None


@pytest.mark.parametrize(
    "edit",
    [
        {"fields": {"a": 1.5}},
        {"fields": {"a": None}},
        {"fields": {"a": [1]}},
        {"fields": []},
        {"id": ""},
        {"id": True},
        {"id": 1.5},
        {"contact_registered": "yes"},
        {"express": None},
        {"note": 5},
        {"events": {}},
        {"events": [1]},
        {"customer": 5},
        {"created": "2026-01-05"},
        {"channel": " "},
        {"type": "header"},
    ],
)
def test_each_of_these_tickets_takes_the_careful_path(edit: dict[str, Any]) -> None:
    record = {**copy.deepcopy(GOOD), **edit}
    assert reader().read_line(line(record), 2) is Careful.CHECK_ALL
    slow, errors, _ = careful(record)
    assert errors and slow is None


# ---- timestamps -------------------------------------------------------------------------------

_schema_timestamps = st.from_regex(
    re.compile(ticket_schema()["$defs"]["timestamp"]["pattern"].replace("[0-9]", "[0-3]")),
    fullmatch=True,
)


#: Near-misses of RFC 3339 around what msgspec reads but the schema refuses: long fractions,
#: offsets without a colon, no offset at all, other separators.
_near_timestamps = st.builds(
    lambda date, sep, time, frac, off: date + sep + time + frac + off,
    st.sampled_from(["2026-01-05", "2026-1-05", "2024-02-29", "2026-02-29", "20260105"]),
    st.sampled_from(["T", "t", " ", "_"]),
    st.sampled_from(["10:00:00", "10:00", "23:59:60", "24:00:00", "100000"]),
    st.sampled_from(["", ".", ".5", ".123456", ".1234567", ".123456789", ",5"]),
    st.sampled_from(
        ["", "Z", "z", "+01:00", "-00:00", "+0100", "-0530", "+01", "+01:00:00", " +01:00"]
    ),
)


def _at_everywhere(text: str) -> dict[str, Any]:
    """GOOD with ``text`` as the creation time and as every event's time (all equal)."""
    record = copy.deepcopy(GOOD)
    record["created"] = text
    record["events"] = [
        {"at": text, "type": "replied"},
        {"at": text, "type": "work", "kind": "remote", "end": text},
        {"at": text, "type": "resolved"},
    ]
    return record


@settings(max_examples=400, deadline=None)
@given(st.one_of(_schema_timestamps, _timestamps, _near_timestamps, st.text(max_size=30)))
def test_fast_timestamps_are_the_careful_ones(text: str) -> None:
    """The fast path reads an instant exactly as the careful path, or leaves it to it."""
    record = _at_everywhere(text)
    fast = reader(warnings_matter=False).read_line(line(record), 2)
    if isinstance(fast, Ticket):
        assert Draft202012Validator(ticket_schema()).is_valid(record), text
        slow = parse_timestamp(text)
        for instant in (fast.created, *(e.at for e in fast.events)):
            assert instant == slow and instant.utcoffset() == slow.utcoffset(), text
    else:
        assert fast is Careful.CHECK_ALL


_canonical = st.builds(
    lambda d, frac, off: d.strftime("%Y-%m-%dT%H:%M:%S") + frac + off,
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)),
    st.sampled_from(["", ".0", ".5", ".50", ".05", ".123456", ".9"]),
    st.sampled_from(["+01:00", "-05:30", "Z"]),
)


@given(_canonical)
def test_canonical_timestamps_take_the_fast_path(text: str) -> None:
    fast = reader(warnings_matter=False).read_line(line(_at_everywhere(text)), 2)
    assert isinstance(fast, Ticket)
    assert fast.created == dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "text", ["2026-01-05T10:00:00.1234567+01:00", "2026-01-05T10:00:00.123456789Z",
             "2026-01-05T10:00:00"],
)
def test_what_only_msgspec_reads_goes_to_the_careful_path(text: str) -> None:
    record = _at_everywhere(text)
    assert reader().read_line(line(record), 2) is Careful.CHECK_ALL
    _, errors, _ = careful(record)
    assert errors


@pytest.mark.parametrize("text", ["2026-01-05T10:00:00+0100", "2026-01-05T03:30:00-0530"])
def test_an_offset_without_its_colon_is_read_by_both_paths(text: str) -> None:
    record = _at_everywhere(text)
    fast = reader(warnings_matter=False).read_line(line(record), 2)
    slow, errors, _ = careful(record)
    assert isinstance(fast, Ticket) and not errors
    assert_same_ticket(fast, slow)
    assert fast.created == dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    assert fast.created.utcoffset() == parse_timestamp(text).utcoffset()


def test_a_line_with_an_escape_goes_to_the_careful_path_and_reads_the_same() -> None:
    record = {**copy.deepcopy(GOOD), "note": 'said "hi"'}
    raw = line(record)
    assert b"\\" in raw
    assert reader().read_line(raw, 2) is Careful.CHECK_ALL
    slow, errors, _ = careful(record)
    assert slow is not None and not errors
    assert slow == reader().read_line(line(GOOD), 2)


def test_instants_with_one_offset_share_one_tzinfo() -> None:
    """What keeps comparisons cheap in the simulator (see ticket_lines)."""
    fast = reader().read_line(line(GOOD), 2)
    assert isinstance(fast, Ticket)
    zones = {id(e.at.tzinfo) for e in fast.events if e.at.utcoffset() == dt.timedelta(hours=1)}
    assert len(zones) == 1 and id(fast.created.tzinfo) in zones


def test_equal_instants_spelled_apart_are_in_order() -> None:
    record = copy.deepcopy(GOOD)
    record["events"] = [
        {"at": "2026-01-05T10:00:00.50+01:00", "type": "replied"},
        {"at": "2026-01-05T10:00:00.5+01:00", "type": "waiting"},
        {"at": "2026-01-05T09:00:00.5Z", "type": "customer_replied"},
    ]
    fast = reader().read_line(line(record), 2)
    assert isinstance(fast, Ticket)
    slow, errors, warnings = careful(record)
    assert errors == [] and warnings == []
    assert_same_ticket(fast, slow)


# ---- whole files: the same with and without the fast path -----------------------------------

PARAMS = """\
seed = 7
zone = "Europe/Warsaw"
start = 2026-03-02
end = 2026-04-27
[customers]
count = 12
plans = { STANDARD = 1.0 }
[arrivals]
per_hour = 1.0
[tickets]
priority = { normal = 0.8, critical = 0.2 }
channel = { email = 0.7, phone = 0.3 }
category = { bug = 0.5, question = 0.5 }
registered_share = 0.9
express_share = 0.1
[waiting]
share = 0.4
[reopen]
share = 0.2
[priority_change]
share = 0.2
[work]
share = 0.5
kinds = { remote = 0.7, phone = 0.3 }
out_of_hours_share = 0.1
[closing]
share = 0.5
"""


@pytest.fixture(scope="module")
def generated() -> list[str]:
    """A generated scenario's lines: a header, then about a hundred tickets."""
    buffer = io.StringIO()
    generate(parse_params(PARAMS), buffer, tickets=120)
    return buffer.getvalue().splitlines()


def _no_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        FastTicketReader, "read_line", lambda self, raw, lineno: Careful.CHECK_ALL
    )


def _read_all(path: Path) -> tuple[tuple[Ticket, ...] | None, list[Diagnostic]]:
    found: list[Diagnostic] = []
    try:
        tickets: tuple[Ticket, ...] | None = load_scenario(path, on_warning=found.append).tickets
    except ScenarioError as exc:
        tickets = None
        found.extend(exc.diagnostics)
    return tickets, found


def _spans(tickets: tuple[Ticket, ...] | None) -> list[Any]:
    return [(t.source, [e.source for e in t.events]) for t in tickets or ()]


def _corrupt(lines: list[str]) -> list[str]:
    """Bad lines of every kind, among good ones."""
    out = list(lines)
    docs = [json.loads(line) for line in lines]
    t = docs[3]
    out[3] = json.dumps({**t, "customer": "nobody"})
    out[5] = json.dumps({**docs[5], "id": docs[4]["id"]})  # a duplicate id
    out[7] = out[7][:-1]  # invalid JSON
    out[9] = json.dumps({**docs[9], "priority": ""})
    after = {"at": "2099-01-01T00:00:00Z", "type": "closed"}
    out[11] = json.dumps({**docs[11], "events": [*docs[11].get("events", []), after]})  # warns
    out[13] = "   " + out[13]  # leading blanks: json takes them
    out[15] = json.dumps(docs[15], indent=None, separators=(", ", ": "))  # other spacing
    out[17] = ""  # a blank line
    out[19] = json.dumps({**docs[19], "created": docs[19]["created"].replace("T", " ")})
    return out


def test_a_generated_file_reads_entirely_on_the_fast_path(
    generated: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text("\n".join(generated) + "\n")
    calls: list[int] = []
    real = scenario_io._jsonl_ticket
    monkeypatch.setattr(
        scenario_io, "_jsonl_ticket", lambda *a, **k: calls.append(a[2]) or real(*a, **k)
    )
    _, tickets = open_scenario(path, on_warning=lambda d: None)
    assert len(list(tickets)) == len(generated) - 1
    assert calls == []  # not one line needed the careful path


@pytest.mark.parametrize("bad", [False, True])
def test_files_read_the_same_without_the_fast_path(
    generated: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: bool
) -> None:
    lines = _corrupt(generated) if bad else generated
    path = tmp_path / "g.jsonl"
    path.write_text("\n".join(lines) + "\n")
    fast = _read_all(path)
    fast_validated = validate_scenario(path)
    _no_fast_path(monkeypatch)
    slow = _read_all(path)
    assert fast == slow
    assert _spans(fast[0]) == _spans(slow[0])
    assert fast_validated == validate_scenario(path)
    if bad:
        assert fast[0] is None and len([d for d in fast[1] if d.severity == "error"]) == 4
        assert any("after the scenario's as_of" in d.message for d in fast[1])


def test_streams_stop_at_the_same_line_without_the_fast_path(
    generated: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text("\n".join(_corrupt(generated)) + "\n")

    def stream() -> tuple[list[str], list[Diagnostic]]:
        seen: list[str] = []
        _, tickets = open_scenario(path)
        with pytest.raises(ScenarioError) as info:
            seen.extend(t.id for t in tickets)
        return seen, list(info.value.diagnostics)

    fast = stream()
    _no_fast_path(monkeypatch)
    assert fast == stream()
    assert fast[1][0].span is not None and fast[1][0].span.line == 4


# ---- duplicate ids in little memory -----------------------------------------------------------


def _file_with_ids(tmp_path: Path, ids: list[Any]) -> Path:
    lines = [HEADER]
    for tid in ids:
        record = {"type": "ticket", "id": tid, "customer": "acme", "created": GOOD["created"]}
        lines.append(json.dumps(record))
    path = tmp_path / "ids.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _duplicates(path: Path) -> list[str]:
    return [d.message for d in validate_scenario(path) if "duplicate" in d.message]


@pytest.mark.parametrize("collide", [False, True])
def test_duplicates_are_exact_even_when_hashes_collide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collide: bool
) -> None:
    if collide:  # every id hashes alike: each hit must be checked against the real ids
        monkeypatch.setattr(ticket_lines, "_id_hash", lambda key: 12345)
    distinct = _file_with_ids(tmp_path, ["A", "B", 7, "7x", "C"])
    assert _duplicates(distinct) == []
    dup = _file_with_ids(tmp_path, ["A", "B", 7, "C", "7", "B", "D"])
    assert _duplicates(dup) == [
        "ticket '7': duplicate ticket id '7' (first used at line 4)",
        "ticket 'B': duplicate ticket id 'B' (first used at line 3)",
    ]


def test_the_first_hit_rescans_once_and_ignores_unreadable_lines(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    lines = [
        b'{"type": "ticket", "id": "A"}',
        b"{not json",
        b'{"type": "header", "id": "B"}',
        b'{"type": "ticket", "id": true}',
        b'\xff{"type": "ticket", "id": "C"}',
        b'{"type": "ticket", "id": 5}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    ids = TicketIds(path, 0, 1)
    for key, line in (("A", 1), ("5", 6)):
        assert ids.add(key, line) is None
    assert ids.add("5", 7) == 6  # a real hit: the file is read again up to line 7
    assert ids.nbytes == 0  # the exact dict took over
    assert ids.add("B", 8) is None and ids.add("C", 9) is None
    assert ids.add("A", 10) == 1


def test_ids_cost_at_most_32_bytes_each() -> None:
    ids = TicketIds(Path("unused.jsonl"), 0, 1)
    n = 100_000
    for i in range(n):
        assert ids.add(f"T-{i}", i + 2) is None
    assert ids.nbytes <= 32 * n


def test_duplicates_are_found_after_the_table_grows(tmp_path: Path) -> None:
    ids: list[Any] = [f"T-{i}" for i in range(5000)]
    path = _file_with_ids(tmp_path, [*ids, "T-17", 4321, "4321"])
    assert _duplicates(path) == [
        "ticket 'T-17': duplicate ticket id 'T-17' (first used at line 19)",
        "ticket '4321': duplicate ticket id '4321' (first used at line 5003)",
    ]

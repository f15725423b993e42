"""Import real helpdesk event logs (CSV) into JSON Lines scenarios, driven by a TOML mapping.

Real logs differ in every column name, date format and status vocabulary, so what each column
means lives in a small mapping file (see ``plans/imports/*.toml`` and docs/importing.md), not
in code. The CSV is streamed: rows are grouped per ticket (a ticket's rows must be contiguous),
turned into one :class:`Ticket`, and written out; an external merge sort puts the tickets in
creation order (JSON Lines scenarios must be sorted) with memory bounded by a chunk of tickets.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import heapq
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import define, field, frozen

from tierwise.engine.errors import (
    Diagnostic,
    ScenarioError,
    SourceSpan,
    TierwiseError,
    did_you_mean,
)
from tierwise.engine.quantities import Money
from tierwise.engine.scenario import Event, EventKind, ScenarioHeader, Subscription, Ticket
from tierwise.engine.scenario_io import (
    SourceLocator,
    ValueProblem,
    dumps_record,
    header_to_record,
    parse_money,
    parse_timestamp,
    read_toml,
    schema_diagnostics,
    ticket_to_record,
)

__all__ = [
    "MAPPING_SCHEMA",
    "ImportFailed",
    "ImportMapping",
    "ImportReport",
    "import_csv",
    "load_mapping",
    "localize",
]

EVENT_LISTS: dict[str, EventKind] = {
    "replied": EventKind.REPLIED,
    "waiting": EventKind.WAITING,
    "customer_replied": EventKind.CUSTOMER_REPLIED,
    "resolved": EventKind.RESOLVED,
    "reopened": EventKind.REOPENED,
    "closed": EventKind.CLOSED,
}
SORT_CHUNK = 10_000  # tickets held in memory before a sorted run is written to disk

_COLUMN: dict[str, Any] = {"type": "string", "minLength": 1}
_ATTRIBUTE: dict[str, Any] = {
    "anyOf": [
        _COLUMN,
        {
            "type": "object",
            "required": ["column"],
            "additionalProperties": False,
            "properties": {
                "column": _COLUMN,
                "map": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    ]
}
_VALUES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tierwise import mapping",
    "type": "object",
    "required": ["time", "ticket", "events", "subscription"],
    "additionalProperties": False,
    "properties": {
        "csv": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
                "encoding": {"type": "string", "minLength": 1},
                "missing": _VALUES,
            },
        },
        "time": {
            "type": "object",
            "required": ["column", "format", "zone"],
            "additionalProperties": False,
            "properties": {
                "column": _COLUMN,
                "format": {"type": "string", "minLength": 2},
                "zone": {"type": "string", "minLength": 1},
                "sort": {"type": "array", "items": _COLUMN},
            },
        },
        "ticket": {
            "type": "object",
            "required": ["id", "customer"],
            "additionalProperties": False,
            "properties": {
                "id": _COLUMN,
                "created": _COLUMN,
                "customer": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": False,
                    "properties": {"value": _COLUMN, "column": _COLUMN},
                },
                "priority": _ATTRIBUTE,
                "channel": _ATTRIBUTE,
                "category": _ATTRIBUTE,
                "product_status": _ATTRIBUTE,
                "fields": {
                    "type": "object",
                    "additionalProperties": {
                        "anyOf": [
                            _COLUMN,
                            {
                                "type": "object",
                                "required": ["column"],
                                "additionalProperties": False,
                                "properties": {
                                    "column": _COLUMN,
                                    "row": {"enum": ["first", "last"]},
                                },
                            },
                        ]
                    },
                },
            },
        },
        "events": {
            "type": "object",
            "required": ["column"],
            "additionalProperties": False,
            "properties": {
                "column": _COLUMN,
                "mode": {"enum": ["activity", "state"]},
                **{name: _VALUES for name in EVENT_LISTS},
                "ignore": _VALUES,
                "infer_reopen": {"type": "boolean"},
                "end_wait": {"type": "boolean"},
            },
        },
        "subscription": {
            "type": "object",
            "required": ["plan"],
            "additionalProperties": False,
            "properties": {
                "plan": {"type": "string", "minLength": 1},
                "start": {"type": "string", "minLength": 1},
                "fee": {"type": "string"},
            },
        },
        "scenario": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "as_of": {"type": "string"}},
        },
    },
}


class ImportFailed(TierwiseError):
    """The CSV, the mapping or the output path cannot be used (located diagnostics)."""


# --------------------------------------------------------------------------------------------
# The mapping
# --------------------------------------------------------------------------------------------


@frozen
class Attribute:
    """A ticket attribute read from a column, its values renamed through ``mapping``."""

    column: str
    mapping: Mapping[str, str] = field(factory=dict)


@frozen
class FieldSpec:
    """A custom ticket field copied from a column, from the ticket's first or last row."""

    column: str
    last: bool = False


@frozen
class ImportMapping:
    """What each CSV column means; see docs/importing.md for the file format."""

    source: str
    time_column: str
    time_format: str
    zone: str
    id_column: str
    event_column: str
    plan: str
    delimiter: str = ","
    encoding: str = "utf-8"
    missing: frozenset[str] = frozenset()
    sort: tuple[str, ...] = ()
    created_column: str | None = None
    customer_value: str | None = None
    customer_column: str | None = None
    attributes: Mapping[str, Attribute] = field(factory=dict)  # priority, channel, ...
    fields: Mapping[str, FieldSpec] = field(factory=dict)
    mode: str = "activity"
    event_values: Mapping[str, EventKind] = field(factory=dict)
    ignore: frozenset[str] = frozenset()
    infer_reopen: bool = True
    end_wait: bool = True
    start: str = "month"
    fee: Money | None = None
    as_of: dt.datetime | None = None  # None: the latest time in the log
    name: str = ""
    # Where each referenced column is named in the mapping, for "no such column" errors.
    column_spans: tuple[tuple[str, SourceSpan], ...] = ()
    format_span: SourceSpan | None = None


def load_mapping(path: str | Path) -> ImportMapping:
    """Read and check a mapping file; every problem is an :class:`ImportFailed` with its place."""
    try:
        doc, loc = read_toml(path)
    except ScenarioError as exc:
        raise ImportFailed(exc.diagnostics) from None
    errors = schema_diagnostics(MAPPING_SCHEMA, doc, loc, label="mapping")
    if errors:
        raise ImportFailed(errors)
    return _MappingReader(doc, loc).read()


class _MappingReader:
    """Turns a schema-valid mapping document into an :class:`ImportMapping`, checking values."""

    def __init__(self, doc: dict[str, Any], loc: SourceLocator):
        self.doc = doc
        self.loc = loc
        self.errors: list[Diagnostic] = []
        self.columns: list[tuple[str, SourceSpan]] = []

    def error(self, message: str, path: tuple[str | int, ...], hint: str | None = None) -> None:
        where = ".".join(str(p) for p in path)
        self.errors.append(
            Diagnostic(f"mapping: {message}", self.loc.span(path), hint=hint, path=f"$.{where}")
        )

    def column(self, name: str, path: tuple[str | int, ...]) -> str:
        self.columns.append((name, self.loc.span(path)))
        return name

    def attribute(self, spec: Any, path: tuple[str, ...]) -> Attribute:
        if isinstance(spec, str):
            return Attribute(self.column(spec, path))
        return Attribute(self.column(spec["column"], (*path, "column")), dict(spec.get("map", {})))

    def read(self) -> ImportMapping:
        d = self.doc
        csv_part, time_part = d.get("csv", {}), d["time"]
        ticket, events, sub = d["ticket"], d["events"], d["subscription"]
        scenario = d.get("scenario", {})

        try:
            ZoneInfo(time_part["zone"])
        except (ZoneInfoNotFoundError, ValueError):
            self.error(
                f"unknown time zone '{time_part['zone']}'",
                ("time", "zone"),
                hint="use an IANA name such as 'Europe/Rome' or 'America/Sao_Paulo'",
            )
        if "%" not in time_part["format"]:
            self.error(
                f"'{time_part['format']}' is not a strptime format",
                ("time", "format"),
                hint="e.g. '%d/%m/%Y %H:%M' for 29/2/2016 01:16",
            )

        values: dict[str, EventKind] = {}
        for list_name, kind in EVENT_LISTS.items():
            for k, value in enumerate(events.get(list_name, [])):
                if value in values:
                    self.error(
                        f"'{value}' is listed as both '{values[value].value}' and '{list_name}'",
                        ("events", list_name, k),
                    )
                values[value] = kind
        ignore = frozenset(events.get("ignore", []))
        for k, value in enumerate(events.get("ignore", [])):
            if value in values:
                self.error(f"'{value}' is both ignored and an event", ("events", "ignore", k))

        start = sub.get("start", "month")
        if start not in ("month", "first"):
            try:
                parse_timestamp(start)
            except ValueProblem as exc:
                self.error(
                    exc.message,
                    ("subscription", "start"),
                    hint="'month' (default), 'first', or a timestamp with an offset",
                )
        fee = None
        if "fee" in sub:
            try:
                fee = parse_money(sub["fee"])
            except ValueProblem as exc:
                self.error(exc.message, ("subscription", "fee"), hint=exc.hint)
        as_of = None
        if scenario.get("as_of", "max") != "max":
            try:
                as_of = parse_timestamp(scenario["as_of"])
            except ValueProblem as exc:
                self.error(exc.message, ("scenario", "as_of"), hint="'max' or " + (exc.hint or ""))

        customer = ticket["customer"]
        attributes = {
            name: self.attribute(ticket[name], ("ticket", name))
            for name in ("priority", "channel", "category", "product_status")
            if name in ticket
        }
        fields = {}
        for name, spec in ticket.get("fields", {}).items():
            if isinstance(spec, str):
                fields[name] = FieldSpec(self.column(spec, ("ticket", "fields", name)))
            else:
                column = self.column(spec["column"], ("ticket", "fields", name, "column"))
                fields[name] = FieldSpec(column, spec.get("row", "first") == "last")

        mapping = ImportMapping(
            source=self.loc.file,
            time_column=self.column(time_part["column"], ("time", "column")),
            time_format=time_part["format"],
            zone=time_part["zone"],
            id_column=self.column(ticket["id"], ("ticket", "id")),
            event_column=self.column(events["column"], ("events", "column")),
            plan=sub["plan"],
            delimiter=csv_part.get("delimiter", ","),
            encoding=csv_part.get("encoding", "utf-8"),
            missing=frozenset(csv_part.get("missing", [])),
            sort=tuple(
                self.column(c, ("time", "sort", k)) for k, c in enumerate(time_part.get("sort", []))
            ),
            created_column=(
                self.column(ticket["created"], ("ticket", "created"))
                if "created" in ticket
                else None
            ),
            customer_value=customer.get("value"),
            customer_column=(
                self.column(customer["column"], ("ticket", "customer", "column"))
                if "column" in customer
                else None
            ),
            attributes=attributes,
            fields=fields,
            mode=events.get("mode", "activity"),
            event_values=values,
            ignore=ignore,
            infer_reopen=events.get("infer_reopen", True),
            end_wait=events.get("end_wait", True),
            start=start,
            fee=fee,
            as_of=as_of,
            name=scenario.get("name", ""),
            column_spans=tuple(self.columns),
            format_span=self.loc.span(("time", "format")),
        )
        if self.errors:
            raise ImportFailed(self.errors)
        return mapping


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------

EXISTS, SHIFTED, AMBIGUOUS = 0, 1, 2


def localize(naive: dt.datetime, zone: ZoneInfo) -> tuple[dt.datetime, int]:
    """A naive wall time made an instant in ``zone``, with what had to be decided.

    A wall time skipped by a DST change (02:30 on the spring-forward night) moves forward by
    the gap (03:30), the way clocks do: ``SHIFTED``. A repeated one takes its first
    occurrence: ``AMBIGUOUS``.
    """
    if naive.tzinfo is not None:
        return naive, EXISTS
    aware = naive.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(dt.UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        return back, SHIFTED
    if aware.replace(fold=1).utcoffset() != aware.utcoffset():
        return aware, AMBIGUOUS
    return aware, EXISTS


class _Clock:
    """Reads the log's local times (cached: logs repeat the same minute a lot)."""

    def __init__(self, fmt: str, zone: str):
        self.fmt = fmt
        self.zone = ZoneInfo(zone)
        self.cache: dict[str, tuple[dt.datetime, int]] = {}
        self.counts: Counter[int] = Counter()
        self.read_any = False

    def instant(self, text: str) -> dt.datetime | None:
        hit = self.cache.get(text)
        if hit is None:
            try:
                naive = dt.datetime.strptime(text, self.fmt)
            except ValueError:
                return None
            hit = localize(naive, self.zone)
            if len(self.cache) > 200_000:
                self.cache.clear()
            self.cache[text] = hit
        self.read_any = True
        self.counts[hit[1]] += 1
        return hit[0]


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


@define
class ImportReport:
    """What an import did, in numbers a user can check against the source."""

    csv: str
    output: str
    rows: int = 0
    tickets: int = 0
    open_tickets: int = 0  # neither resolved nor closed at the end
    customers: int = 0
    events: Counter[str] = field(factory=Counter)
    skipped_rows: Counter[str] = field(factory=Counter)
    skipped_tickets: Counter[str] = field(factory=Counter)
    shifted_times: int = 0
    ambiguous_times: int = 0
    unmapped: dict[str, Counter[str]] = field(factory=dict)
    notes: list[str] = field(factory=list)
    as_of: dt.datetime | None = None
    seconds: float = 0.0
    stopped_at_row_limit: bool = False

    @property
    def event_count(self) -> int:
        return sum(self.events.values())

    def render(self) -> str:
        """A few lines for the terminal."""
        kinds = ", ".join(f"{k} {n:,}" for k, n in self.events.most_common())
        lines = [
            f"imported {self.csv} -> {self.output} in {self.seconds:.1f} s",
            f"  rows read      {self.rows:,}"
            + ("  (stopped at the row limit)" if self.stopped_at_row_limit else ""),
            f"  tickets        {self.tickets:,}  ({self.open_tickets:,} still open;"
            f" {self.customers:,} customer{'s' if self.customers != 1 else ''})",
            f"  events         {self.event_count:,}" + (f"  ({kinds})" if kinds else ""),
            f"  as_of          {self.as_of.isoformat() if self.as_of else '-'}",
        ]
        lines.append(f"  skipped rows   {sum(self.skipped_rows.values()):,}")
        lines += [f"    {n:>8,}  {why}" for why, n in self.skipped_rows.most_common()]
        if self.skipped_tickets:
            lines.append(f"  skipped tickets {sum(self.skipped_tickets.values()):,}")
            lines += [f"    {n:>8,}  {why}" for why, n in self.skipped_tickets.most_common()]
        lines.append(
            f"  local times    {self.shifted_times:,} skipped by a DST change (moved forward),"
            f" {self.ambiguous_times:,} repeated by one (first taken)"
        )
        for column, values in self.unmapped.items():
            shown = ", ".join(f"'{v}' ({n:,})" for v, n in values.most_common(8))
            more = f" and {len(values) - 8} more" if len(values) > 8 else ""
            lines.append(f"  kept as written (not in the map of '{column}'): {shown}{more}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Reading the CSV
# --------------------------------------------------------------------------------------------


class _Columns:
    """Column positions by name (the first of duplicated names), checked against the mapping."""

    def __init__(
        self, header: list[str], mapping: ImportMapping, csv_file: str, report: ImportReport
    ):
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        self.width = len(header)
        self.index: dict[str, int] = {}
        for i, name in enumerate(header):
            if name in self.index:
                report.notes.append(
                    f"column '{name}' appears twice (columns {self.index[name] + 1} and {i + 1});"
                    " the first is used"
                )
            else:
                self.index[name] = i
        missing: dict[str, SourceSpan] = {}
        for name, span in mapping.column_spans:
            if name not in self.index and name not in missing:
                missing[name] = span
        if not missing:
            return
        known = ", ".join(f"'{n}'" for n in list(self.index)[:30])
        names = {n for n, _ in mapping.column_spans}
        if len(missing) >= 3 and len(missing) * 2 >= len(names):
            first, span = min(missing.items(), key=lambda item: (item[1].line, item[1].column))
            raise ImportFailed(
                Diagnostic(
                    f"mapping: {csv_file} lacks {len(missing)} of the {len(names)} columns"
                    f" this mapping names (e.g. '{first}')",
                    span,
                    hint=f"is this the mapping for this file? its columns are {known}",
                )
            )
        raise ImportFailed(
            [
                Diagnostic(
                    f"mapping: {csv_file} has no column '{name}'",
                    span,
                    hint=did_you_mean(name, self.index) or f"its columns are {known}",
                )
                for name, span in sorted(missing.items(), key=lambda i: (i[1].line, i[1].column))
            ]
        )

    def __getitem__(self, name: str) -> int:
        return self.index[name]


def _text_lines(handle: BinaryIO, encoding: str, csv_file: str) -> Iterator[str]:
    """The file's lines decoded one by one, so a bad byte is reported with its own line."""
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            column = len(raw[: exc.start].decode(encoding, "replace")) + 1
            raise ImportFailed(
                Diagnostic(
                    f"the CSV is not valid {encoding} (byte 0x{raw[exc.start]:02x})",
                    SourceSpan(csv_file, number, column),
                    hint="set [csv] encoding in the mapping (e.g. 'latin-1')",
                )
            ) from None
        if "\x00" in text:
            raise ImportFailed(
                Diagnostic(
                    "this line holds binary data (NUL bytes)",
                    SourceSpan(csv_file, number, text.index("\x00") + 1),
                    hint="this does not look like a CSV file",
                )
            )
        yield text


def _csv_rows(
    lines: Iterator[str], mapping: ImportMapping, csv_file: str
) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) of the CSV; a row the csv module cannot read is a located error."""
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed(
                Diagnostic(f"unreadable CSV row: {exc}", SourceSpan(csv_file, reader.line_num, 1))
            ) from None
        yield first_line, row


class _Sorter:
    """Orders ticket lines by creation in bounded memory: sorted runs on disk, then a merge."""

    def __init__(self, directory: Path, chunk: int):
        self.directory = directory
        self.chunk = chunk
        self.buffer: list[tuple[str, str]] = []
        self.runs: list[Path] = []
        self.seq = 0

    def add(self, created: dt.datetime, line: str) -> None:
        key = created.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S%f") + f"{self.seq:012d}"
        self.seq += 1
        self.buffer.append((key, line))
        if len(self.buffer) >= self.chunk:
            self._spill()

    def _spill(self) -> None:
        self.buffer.sort()
        run = self.directory / f"run-{len(self.runs):05d}"
        with run.open("w", encoding="utf-8", newline="\n") as out:
            out.writelines(f"{key}\t{line}\n" for key, line in self.buffer)
        self.runs.append(run)
        self.buffer = []

    def lines(self) -> Iterator[str]:
        if not self.runs:
            self.buffer.sort()
            yield from (line + "\n" for _, line in self.buffer)
            return
        if self.buffer:
            self._spill()
        with ExitStack() as stack:
            files = [stack.enter_context(run.open(encoding="utf-8")) for run in self.runs]
            for merged in heapq.merge(*files):
                yield merged.split("\t", 1)[1]


class _Converter:
    """Turns the rows of one ticket into a :class:`Ticket` (see docs/importing.md)."""

    def __init__(
        self, mapping: ImportMapping, columns: _Columns, report: ImportReport, csv_file: str
    ):
        self.m = mapping
        self.report = report
        self.csv_file = csv_file
        self.clock = _Clock(mapping.time_format, mapping.zone)
        self.time_ix = columns[mapping.time_column]
        self.event_ix = columns[mapping.event_column]
        self.sort_ixs = [columns[c] for c in mapping.sort if c != mapping.time_column]
        self.created_ix = columns[mapping.created_column] if mapping.created_column else None
        self.customer_ix = columns[mapping.customer_column] if mapping.customer_column else None
        self.attr_ixs = {name: columns[a.column] for name, a in mapping.attributes.items()}
        self.field_ixs = {name: columns[f.column] for name, f in mapping.fields.items()}
        self.latest: dt.datetime | None = None
        self.first_by_customer: dict[str, dt.datetime] = {}

    def value(self, row: list[str], ix: int) -> str | None:
        text = row[ix].strip()
        return None if not text or text in self.m.missing else text

    def attribute(self, name: str, row: list[str]) -> str | None:
        raw = self.value(row, self.attr_ixs[name])
        if raw is None:
            return None
        attr = self.m.attributes[name]
        if attr.mapping:
            mapped = attr.mapping.get(raw)
            if mapped is not None:
                return mapped or None  # mapped to "": no value
            self.report.unmapped.setdefault(attr.column, Counter())[raw] += 1
        return raw

    def instant(self, text: str | None, line: int, column: str) -> dt.datetime | None:
        if text is None:
            return None
        at = self.clock.instant(text)
        if at is None and not self.clock.read_any:
            raise ImportFailed(
                Diagnostic(
                    f"mapping: cannot read '{text}' (column '{column}',"
                    f" {self.csv_file} line {line}) with the format '{self.m.time_format}'",
                    self.m.format_span or SourceSpan.unknown(self.m.source),
                    hint="fix [time] format; see Python's strptime codes (%d/%m/%Y %H:%M ...)",
                )
            )
        return at

    def convert(self, ticket_id: str, rows: list[tuple[int, list[str]]]) -> Ticket | None:
        m, skip = self.m, self.report.skipped_rows
        timed: list[tuple[tuple[Any, ...], dt.datetime, list[str]]] = []
        for line, row in rows:
            raw = self.value(row, self.time_ix)
            if raw is None:
                skip[f"no time in '{m.time_column}'"] += 1
                continue
            at = self.instant(raw, line, m.time_column)
            if at is None:
                skip[f"unreadable time in '{m.time_column}'"] += 1
                continue
            state = self.value(row, self.event_ix)
            if state is not None and state in m.ignore:
                skip[f"'{m.event_column}' is '{state}' (listed in events.ignore)"] += 1
                continue
            key = (at, *(_sort_value(row[ix]) for ix in self.sort_ixs))
            timed.append((key, at, row))
        if not timed:
            self.report.skipped_tickets["no usable rows"] += 1
            return None
        timed.sort(key=lambda item: item[0])

        created = timed[0][1]
        if self.created_ix is not None:
            opened = self.instant(
                self.value(timed[0][2], self.created_ix), rows[0][0], str(m.created_column)
            )
            if opened is not None:
                created = opened
        kept = [(at, row) for _, at, row in timed if at >= created]
        if len(kept) < len(timed):
            skip[f"time before the ticket's '{m.created_column}'"] += len(timed) - len(kept)
        if not kept:
            self.report.skipped_tickets["every row is before the ticket was opened"] += 1
            return None

        first, last = kept[0][1], kept[-1][1]
        customer = m.customer_value
        if self.customer_ix is not None:
            customer = self.value(first, self.customer_ix)
        if customer is None:
            self.report.skipped_tickets[f"no customer in '{m.customer_column}'"] += 1
            return None
        if self.latest is None or kept[-1][0] > self.latest:
            self.latest = kept[-1][0]
        if customer not in self.first_by_customer or created < self.first_by_customer[customer]:
            self.first_by_customer[customer] = created

        attrs = {name: self.attribute(name, first) for name in self.attr_ixs}
        fields = {}
        for name, spec in m.fields.items():
            value = self.value(last if spec.last else first, self.field_ixs[name])
            if value is not None:
                fields[name] = value
        return Ticket(
            id=ticket_id,
            customer=customer,
            created=created,
            priority=attrs.get("priority"),
            channel=attrs.get("channel"),
            category=attrs.get("category"),
            product_status=attrs.get("product_status"),
            fields=fields,
            events=tuple(self.events(kept, attrs.get("priority"))),
        )

    def events(
        self, rows: list[tuple[dt.datetime, list[str]]], priority: str | None
    ) -> list[Event]:
        """Events from the rows: each row (activity log) or each change of value (state log)."""
        m = self.m
        out: list[Event] = []
        state: str | None = None
        waiting = done = False  # done: resolved or closed, and not reopened since
        for at, row in rows:
            if "priority" in self.attr_ixs:
                new = self.attribute("priority", row)
                if new is not None and new != priority:
                    out.append(Event(at, EventKind.PRIORITY_CHANGED, priority=new))
                    priority = new
            value = self.value(row, self.event_ix)
            if value is None or (m.mode == "state" and value == state):
                continue
            state = value
            kind = m.event_values.get(value)
            if waiting and kind is not EventKind.WAITING:
                waiting = False  # a wait lasts until the next other event (activity) or state
                if m.end_wait:
                    out.append(Event(at, EventKind.CUSTOMER_REPLIED))
                    if kind is EventKind.CUSTOMER_REPLIED:
                        continue
            if kind is None:
                continue
            if done and m.infer_reopen and kind in _ACTIVE:
                out.append(Event(at, EventKind.REOPENED))
                done = False
            if kind is EventKind.WAITING:
                if not waiting:
                    waiting = True
                    out.append(Event(at, kind))
            elif kind is EventKind.REOPENED:
                if done:
                    out.append(Event(at, kind))
                    done = False
            else:
                out.append(Event(at, kind))
                done = done or kind in (EventKind.RESOLVED, EventKind.CLOSED)
        return out


_ACTIVE = (EventKind.REPLIED, EventKind.WAITING, EventKind.CUSTOMER_REPLIED)
_LIFECYCLE = (EventKind.RESOLVED, EventKind.CLOSED, EventKind.REOPENED)


def _sort_value(text: str) -> tuple[int, Any]:
    """Numbers sort as numbers, anything else after them as text."""
    text = text.strip()
    return (0, int(text)) if text.isdigit() else (1, text)


# --------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------


def _check_paths(csv_path: Path, mapping: ImportMapping, output: Path, force: bool) -> None:
    out = str(output)
    if output.exists() and output.is_dir():
        raise ImportFailed(Diagnostic(f"{out} is a directory", SourceSpan.unknown(out)))
    for other in (csv_path, Path(mapping.source)):
        if output.exists() and other.exists() and output.resolve() == other.resolve():
            raise ImportFailed(
                Diagnostic(
                    f"the output {out} is the input {other}; refusing to overwrite it",
                    SourceSpan.unknown(out),
                    hint="choose another --output",
                )
            )
    if output.exists() and not force:
        raise ImportFailed(
            Diagnostic(
                f"{out} already exists; not overwriting it",
                SourceSpan.unknown(out),
                hint="pass --force to replace it, or choose another --output",
            )
        )
    if not output.parent.exists():
        raise ImportFailed(
            Diagnostic(f"the folder {output.parent} does not exist", SourceSpan.unknown(out))
        )
    if not csv_path.is_file():
        raise ImportFailed(Diagnostic("no such CSV file", SourceSpan.unknown(str(csv_path))))


def import_csv(
    csv_path: str | Path,
    mapping: ImportMapping | str | Path,
    output: str | Path,
    *,
    force: bool = False,
    max_rows: int | None = None,
    plan: str | None = None,
    as_of: dt.datetime | None = None,
    chunk: int = SORT_CHUNK,
) -> ImportReport:
    """Convert a helpdesk CSV into a JSON Lines scenario at ``output``; the report.

    ``output`` is written to a temporary file first and moved into place at the end, so a
    failed import never leaves half a file (nor destroys an existing one). ``max_rows`` stops
    after that many data rows (the last ticket may then be incomplete). ``plan`` and
    ``as_of`` override the mapping's.
    """
    began = time.perf_counter()
    csv_path, output = Path(csv_path), Path(output)
    if not isinstance(mapping, ImportMapping):
        mapping = load_mapping(mapping)
    _check_paths(csv_path, mapping, output, force)
    csv_file = str(csv_path)
    report = ImportReport(csv=csv_file, output=str(output))

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tierwise-import-")))
        sorter = _Sorter(tmp, chunk)
        try:
            codecs.lookup(mapping.encoding)
        except LookupError:
            raise ImportFailed(
                Diagnostic(
                    f"mapping: unknown encoding '{mapping.encoding}'",
                    SourceSpan.unknown(mapping.source),
                )
            ) from None
        handle = stack.enter_context(csv_path.open("rb"))
        head = handle.read(65536)
        if b"\x00" in head:
            nul = head.index(b"\x00")
            raise ImportFailed(
                Diagnostic(
                    "this is a binary file (NUL bytes), not a CSV",
                    SourceSpan(csv_file, head.count(b"\n", 0, nul) + 1, 1),
                    hint="export the log as CSV text",
                )
            )
        handle.seek(0)
        rows = _csv_rows(_text_lines(handle, mapping.encoding, csv_file), mapping, csv_file)
        header_row = next(rows, None)
        if header_row is None:
            raise ImportFailed(
                Diagnostic("the CSV file is empty (no header row)", SourceSpan(csv_file, 1, 1))
            )
        columns = _Columns(header_row[1], mapping, csv_file, report)
        converter = _Converter(mapping, columns, report, csv_file)
        id_ix = columns[mapping.id_column]
        seen: set[str] = set()
        current: str | None = None
        group: list[tuple[int, list[str]]] = []
        skipping = False

        def flush() -> None:
            if current is None or skipping or not group:
                return
            ticket = converter.convert(current, group)
            if ticket is None:
                return
            report.tickets += 1
            report.events.update(e.kind.value for e in ticket.events)
            lifecycle = [e.kind for e in ticket.events if e.kind in _LIFECYCLE]
            if not lifecycle or lifecycle[-1] is EventKind.REOPENED:
                report.open_tickets += 1
            sorter.add(ticket.created, dumps_record(ticket_to_record(ticket)))

        for line, row in rows:
            if max_rows is not None and report.rows >= max_rows:
                report.stopped_at_row_limit = True
                break
            report.rows += 1
            if len(row) != columns.width:
                if not any(cell.strip() for cell in row):
                    report.skipped_rows["blank line"] += 1
                else:
                    report.skipped_rows[
                        f"{len(row)} cells where the header has {columns.width}"
                    ] += 1
                continue
            tid = row[id_ix].strip()
            if not tid or tid in mapping.missing:
                report.skipped_rows[f"no ticket id in '{mapping.id_column}'"] += 1
                continue
            if tid != current:
                flush()
                current, group = tid, []
                skipping = tid in seen
                seen.add(tid)
            if skipping:
                report.skipped_rows["rows of a ticket that appeared earlier (not contiguous)"] += 1
                continue
            group.append((line, row))
        flush()

        report.shifted_times = converter.clock.counts[SHIFTED]
        report.ambiguous_times = converter.clock.counts[AMBIGUOUS]
        header_record = _header(mapping, converter, csv_path, plan, as_of)
        report.as_of = header_record.as_of
        report.customers = len(header_record.subscriptions)
        _write(output, header_record, sorter)
    report.seconds = time.perf_counter() - began
    return report


def _header(
    mapping: ImportMapping,
    converter: _Converter,
    csv_path: Path,
    plan: str | None,
    as_of: dt.datetime | None,
) -> ScenarioHeader:
    zone = ZoneInfo(mapping.zone)
    subscriptions = {}
    for customer, first in sorted(converter.first_by_customer.items()):
        if mapping.start == "first":
            start = first
        elif mapping.start == "month":
            local = first.astimezone(zone)
            start = localize(dt.datetime(local.year, local.month, 1), zone)[0]
        else:
            start = min(parse_timestamp(mapping.start), first)
        subscriptions[customer] = Subscription(
            customer, plan or mapping.plan, start, fee=mapping.fee
        )
    latest = as_of or mapping.as_of or converter.latest
    if latest is None:  # no tickets at all: the replay has nothing to stop
        latest = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = mapping.name or f"import of {csv_path.name}"
    return ScenarioHeader(latest, subscriptions, name, str(csv_path))


def _write(output: Path, header: ScenarioHeader, sorter: _Sorter) -> None:
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            out.write(dumps_record(header_to_record(header)) + "\n")
            out.writelines(sorter.lines())
        os.replace(partial, output)
    except OSError as exc:
        raise ImportFailed(
            Diagnostic(
                f"cannot write {output}: {exc.strerror or exc}", SourceSpan.unknown(str(output))
            )
        ) from None
    finally:
        if partial.exists():
            partial.unlink()

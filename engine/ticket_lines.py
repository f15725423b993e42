"""The fast path for JSON Lines ticket lines, and the set of ticket ids read so far.

A generated or imported history has a million ticket lines, nearly all of them well formed.
:class:`FastTicketReader` turns such a line into a :class:`Ticket` with msgspec doing the
JSON parsing and the structural checks in C (types, required and unknown fields, which
fields each event type takes), and Python doing the rest of what the careful path checks:
patterns of the schema, known customers, time order, work lengths, unique ids. Whenever it
is not sure (anything malformed, anything to warn about), it says so with a
:class:`Careful` verdict and the line goes through ``scenario_io._jsonl_ticket``, which
validates with jsonschema and explains with a location. So the fast path decides nothing
on its own: a Ticket from it is the Ticket the careful path builds, and tests hold it to that
(tests/test_scenario_io_fast.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from array import array
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import msgspec
from msgspec import UNSET, UnsetType

from tierwise.engine.errors import SourceSpan
from tierwise.engine.scenario import Event, EventKind, Ticket, WorkSession
from tierwise.engine.scenario_values import (
    LONG_WORK_SECONDS,
    ValueProblem,
    field_text,
    parse_duration,
    ticket_schema,
)

__all__ = ["Careful", "FastTicketReader", "TicketIds", "ticket_id_of"]


def ticket_id_of(raw: bytes) -> str | None:
    """The id the careful path records for a line (see scenario_io._jsonl_ticket), or None."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or NUL bytes
        return None
    if not isinstance(doc, dict) or doc.get("type") != "ticket":
        return None
    tid = doc.get("id")
    if isinstance(tid, (str, int)) and not isinstance(tid, bool):
        return str(tid)
    return None


_MASK64 = (1 << 64) - 1
_id_hash: Callable[[str], int] = hash  # a test swaps in one that collides


class TicketIds:
    """The ticket ids read so far in a JSON Lines file, for an exact duplicate check.

    A dict of the ids themselves costs about 77 bytes a ticket (77 MB at a million). This
    keeps a 64-bit hash of each id in an open-addressing table (an ``array('Q')`` kept at
    most half full, so 16 to 32 bytes a ticket). A hash already in the table means a
    duplicate, or with odds of about n²/2⁶⁵ (3·10⁻⁸ at a million ids) a collision. To tell
    them apart, and to name the line of the first use, the first such hit reads the file
    again up to the current line and builds the exact ``{id: first line}`` dict, which then
    serves the rest of the file: a file with a duplicate is in error, and exactness matters
    more than memory there. That rescan happens at most once per read.
    """

    def __init__(self, path: Path, offset: int, first_line: int, size: int = 1 << 12):
        self._path = path
        self._offset = offset  # where the first ticket line starts (bytes)...
        self._first_line = first_line  # ...and its line number
        self._table = array("Q", bytes(8 * size))  # size a power of 2; 0 marks a free slot
        self._free = size // 2  # slots to fill before the table doubles
        self._exact: dict[str, int] | None = None

    def add(self, key: str, lineno: int) -> int | None:
        """Record ``key`` as used at ``lineno``; the line of its first use if it was used."""
        if self._exact is not None:
            first = self._exact.setdefault(key, lineno)
            return first if first != lineno else None
        h = (_id_hash(key) & _MASK64) or 1
        table = self._table
        mask = len(table) - 1
        i = h & mask
        while (slot := table[i]) != 0:
            if slot == h:
                self._exact = self._ids_before(lineno)
                self._table = array("Q")
                return self.add(key, lineno)
            i = (i + 1) & mask
        table[i] = h
        self._free -= 1
        if not self._free:
            self._grow()
        return None

    def _grow(self) -> None:
        old = self._table
        table = self._table = array("Q", bytes(16 * len(old)))
        self._free = len(old) // 2
        mask = len(table) - 1
        for h in filter(None, old):
            i = h & mask
            while table[i]:
                i = (i + 1) & mask
            table[i] = h

    def _ids_before(self, stop: int) -> dict[str, int]:
        """Every id recorded on the lines before ``stop``, with its first line."""
        found: dict[str, int] = {}
        with self._path.open("rb") as handle:
            handle.seek(self._offset)
            for lineno, raw in enumerate(handle, start=self._first_line):
                if lineno >= stop:
                    break
                key = ticket_id_of(raw)
                if key is not None:
                    found.setdefault(key, lineno)
        return found

    @property
    def nbytes(self) -> int:
        """The size of the hash table (0 once the exact dict took over)."""
        return self._table.itemsize * len(self._table)



class Careful(enum.Enum):
    """Why the fast path hands a ticket line to the careful one (``scenario_io._jsonl_ticket``)."""

    CHECK_ALL = "anything may be wrong: validate with jsonschema, then build"
    SCHEMA_VALID = "the record meets the schema but has a problem or a warning to report"


# ------------------------------------------------------------------------------ the wire shape
#
# What msgspec decodes a ticket line into: one Struct per kind of record, with the fields the
# schema allows it and no others (``forbid_unknown_fields``). A field left out stays UNSET,
# and a field set to null fails to decode, as the schema rejects null. Events are a union
# tagged by their "type", so each kind of event takes only its own fields: a "duration" on
# a "replied" event is an unknown field there. Anything that fails to decode goes to the
# careful path, which says what is wrong and where. Like the scenario records, the wire
# Structs are not tracked by the garbage collector: they hold values, never a cycle.

MaybeStr = str | UnsetType
MaybeBool = bool | UnsetType


class _WireEvent(
    msgspec.Struct, forbid_unknown_fields=True, tag_field="type", kw_only=True, gc=False
):
    """An event with only ``at`` (and a note): every kind but work and priority_changed."""

    event_kind: ClassVar[EventKind]
    at: dt.datetime
    note: MaybeStr = UNSET


class _WireWork(_WireEvent, tag="work"):
    event_kind = EventKind.WORK
    kind: str
    duration: MaybeStr = UNSET  # either a duration...
    end: dt.datetime | UnsetType = UNSET  # ...or an end
    out_of_hours_requested: MaybeBool = UNSET


class _WirePriorityChanged(_WireEvent, tag="priority_changed"):
    event_kind = EventKind.PRIORITY_CHANGED
    priority: str


class _WireReplied(_WireEvent, tag="replied"):
    event_kind = EventKind.REPLIED


class _WireWaiting(_WireEvent, tag="waiting"):
    event_kind = EventKind.WAITING


class _WireCustomerReplied(_WireEvent, tag="customer_replied"):
    event_kind = EventKind.CUSTOMER_REPLIED


class _WireResolved(_WireEvent, tag="resolved"):
    event_kind = EventKind.RESOLVED


class _WireReopened(_WireEvent, tag="reopened"):
    event_kind = EventKind.REOPENED


class _WireClosed(_WireEvent, tag="closed"):
    event_kind = EventKind.CLOSED


#: Every kind of event (a test holds them to EventKind and to the schema's enum).
_AnyWireEvent = (
    _WireReplied | _WireWaiting | _WireCustomerReplied | _WirePriorityChanged | _WireWork
    | _WireResolved | _WireReopened | _WireClosed
)


class _WireTicket(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    type: str
    id: str | int
    customer: str
    created: dt.datetime
    priority: MaybeStr = UNSET
    channel: MaybeStr = UNSET
    category: MaybeStr = UNSET
    contact_registered: MaybeBool = UNSET
    product_status: MaybeStr = UNSET
    express: MaybeBool = UNSET
    fields: dict[str, str | int | bool] | UnsetType = UNSET
    events: list[_AnyWireEvent] | UnsetType = UNSET
    note: MaybeStr = UNSET



# ------------------------------------------------------------------------------ the fast path

#: The ticket and event fields the fast path knows. If ticket.schema.json's properties
#: differ (a test holds them equal, and to the wire Structs), every line takes the careful path.
FAST_TICKET_FIELDS = frozenset(
    {"type", "id", "customer", "created", "priority", "channel", "category"}
    | {"contact_registered", "product_status", "express", "fields", "events", "note"}
)
FAST_EVENT_FIELDS = frozenset(
    ("at", "type", "priority", "kind", "duration", "end", "out_of_hours_requested", "note")
)
# Instants. msgspec parses RFC 3339 in C and gives every instant with the same UTC offset
# the same ``tzinfo`` object, so that comparing two of them is a plain comparison (with two
# distinct but equal ``timezone`` objects, CPython calls ``utcoffset()`` on both: 16 times
# slower, and the simulator compares instants all the time). It reads a little more than
# the schema allows, though: more than six digits of fraction (rounded to microseconds),
# and no offset at all. A line with either goes to the careful path: the second shows as a
# naive datetime, and the first is looked for in the raw line, which holds each string
# verbatim when it has no backslash (no escape can hide a character). The schema's forms
# that msgspec refuses (no seconds, say) fail to decode and go to the careful path too.
# tests/test_scenario_io_fast.py holds this to the schema on generated timestamps.
_LONG_FRACTION = re.compile(rb"\.\d{7}").search


def _lax_instant(raw: bytes) -> bool:
    """Whether the line may hold an instant that msgspec reads but the schema refuses."""
    return b"\\" in raw or _LONG_FRACTION(raw) is not None


_CACHE_LIMIT = 4096  # distinct names and durations remembered per file
_NOT_READ = (msgspec.DecodeError, ValueError, RecursionError)  # ValueError: not UTF-8


class FastSchema:
    """What the fast path takes from ticket.schema.json, compiled once."""

    def __init__(self, schema: Mapping[str, Any]):
        defs = schema["$defs"]
        event = defs["event"]
        self.usable = (
            frozenset(schema["properties"]) == FAST_TICKET_FIELDS
            and frozenset(event["properties"]) == FAST_EVENT_FIELDS
            and frozenset(event["properties"]["type"]["enum"]) == {k.value for k in EventKind}
        )
        self.duration = re.compile(defs["duration"]["pattern"]).search
        self.name = re.compile(defs["name"]["pattern"]).search
        self.name_min = int(defs["name"].get("minLength", 0))


@cache
def fast_schema() -> FastSchema:
    return FastSchema(ticket_schema())


class FastTicketReader:
    """A well-formed ticket line to a Ticket in one pass, or the careful path's turn.

    The ticket's events share one SourceSpan (the line), and names (customers, priorities,
    kinds...) are interned so they cost memory once.
    """

    def __init__(
        self,
        file: str,
        customers: Iterable[str],
        as_of: dt.datetime,
        ids: TicketIds,
        *,
        warnings_matter: bool,
    ):
        self.schema = fast_schema()
        self.file = file
        self.customers = {c: c for c in customers}
        self.as_of = as_of
        self.ids = ids
        self.warnings_matter = warnings_matter  # False: nobody listens, warnings are dropped
        self.names: dict[str, str] = {}
        self.durations: dict[str, int] = {}
        self.decode = msgspec.json.Decoder(_WireTicket).decode

    def read_line(self, raw: bytes, lineno: int) -> Ticket | Careful:
        """One line as read from the file, with its newline."""
        if not self.schema.usable:
            return Careful.CHECK_ALL
        if _lax_instant(raw):
            return Careful.CHECK_ALL
        try:
            wire = self.decode(raw)
        except _NOT_READ:
            return Careful.CHECK_ALL
        return self.read(wire, lineno)

    def read(self, wire: _WireTicket, lineno: int) -> Ticket | Careful:
        """One decoded ticket line."""
        check_all = Careful.CHECK_ALL
        tid = wire.id
        if type(tid) is str:
            if not tid:
                return check_all
            key = tid
        else:
            key = str(tid)
        customer = self.customers.get(wire.customer)
        created = wire.created
        if customer is None or created.tzinfo is None or wire.type != "ticket":
            return check_all
        # names seen before are one dict lookup (``name`` checks and interns the new ones)
        names, name = self.names, self.name
        priority = channel = category = product = None
        if (v := wire.priority) is not UNSET and (priority := names.get(v) or name(v)) is None:
            return check_all
        if (v := wire.channel) is not UNSET and (channel := names.get(v) or name(v)) is None:
            return check_all
        if (v := wire.category) is not UNSET and (category := names.get(v) or name(v)) is None:
            return check_all
        if (v := wire.product_status) is not UNSET and (product := names.get(v) or name(v)) is None:
            return check_all
        fields: dict[str, str] = {}
        if wire.fields is not UNSET:
            fields = {k: field_text(v) for k, v in wire.fields.items()}
        span = SourceSpan(self.file, lineno, 1)
        events = self.events(wire.events or (), created, span)
        if type(events) is not list:
            return events  # type: ignore[return-value]  # a Careful verdict
        if self.ids.add(key, lineno) is not None:
            return Careful.SCHEMA_VALID  # a duplicate: the careful path names the first line
        return Ticket(  # positional, in field order: keywords cost twice as much
            key,  # id
            customer,
            created,
            priority,
            channel,
            category,
            wire.contact_registered is not False,
            product,  # product_status
            wire.express is True,
            fields,
            tuple(events),
            span,  # source
        )

    def events(
        self, items: Iterable[_WireEvent], created: dt.datetime, span: SourceSpan
    ) -> list[Event] | Careful:
        """A ticket's events, checked as the schema and the careful path check them."""
        check_all = Careful.CHECK_ALL
        work_kind, priority_changed = EventKind.WORK, EventKind.PRIORITY_CHANGED
        resolved_kinds, reopened = (EventKind.RESOLVED, EventKind.CLOSED), EventKind.REOPENED
        events: list[Event] = []
        latest = created  # no event before the ticket, nor before the event above it
        resolved = warned = False
        for item in items:
            at = item.at
            if at.tzinfo is None or at < latest:
                return check_all
            latest = at
            kind = item.event_kind
            if kind is work_kind:
                work = self.work(item, at)  # type: ignore[arg-type]
                if work is None:
                    return check_all
                warned = warned or work.seconds > LONG_WORK_SECONDS
                events.append(Event(at, kind, None, work, span))  # positional: faster
                continue
            if kind is priority_changed:
                priority = self.name(item.priority)  # type: ignore[attr-defined]
                if priority is None:
                    return check_all
                events.append(Event(at, kind, priority, None, span))
                continue
            if kind in resolved_kinds:
                resolved = True
            elif kind is reopened:
                warned = warned or not resolved  # reopened, but not resolved or closed before
                resolved = False
            events.append(Event(at, kind, None, None, span))
        # ``latest`` is the last event, or the ticket's creation: after as_of, either warns.
        if (warned or latest > self.as_of) and self.warnings_matter:
            return Careful.SCHEMA_VALID
        return events

    def work(self, item: _WireWork, at: dt.datetime) -> WorkSession | None:
        """A work event's session, or None if the careful path has something to say."""
        kind = self.name(item.kind)
        if kind is None:
            return None
        if item.duration is not UNSET:
            if item.end is not UNSET:  # the schema takes one or the other
                return None
            seconds = self.duration(item.duration)
        elif item.end is not UNSET:
            end = item.end
            seconds = None if end.tzinfo is None else round((end - at).total_seconds())
        else:
            return None
        if seconds is None or seconds < 0:
            return None
        return WorkSession(kind, seconds, item.out_of_hours_requested is True)

    def duration(self, value: str) -> int | None:
        """The seconds parse_duration gives, if the schema allows ``value``; else None."""
        seconds = self.durations.get(value)
        if seconds is None:
            if not self.schema.duration(value):
                return None
            try:
                seconds = parse_duration(value)
            except ValueProblem:
                return None
            if len(self.durations) < _CACHE_LIMIT:
                self.durations[value] = seconds
        return seconds

    def name(self, value: str) -> str | None:
        """``value`` (interned) if the schema takes it as a name; else None."""
        known = self.names.get(value)
        if known is None:
            if len(value) < self.schema.name_min or not self.schema.name(value):
                return None
            known = value
            if len(self.names) < _CACHE_LIMIT:
                self.names[value] = value
        return known

"""Reading, validating and writing scenarios (TOML, JSON and JSON Lines).

A scenario is hand-written (TOML or JSON) or generated/imported (JSON Lines, streamed). Every
input is first validated against the JSON Schemas the package ships, then checked for what a
schema cannot say (time order, unknown customers, durations...). Problems are reported all at
once, as located :class:`Diagnostic` objects inside one :class:`ScenarioError`, so the CLI can
print ``file:line:col`` with a caret. The line and column are found by a light re-scan of the
source text that maps each JSON path (``$.tickets[2].priority``) to where it was written.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from tierwise.engine.errors import Diagnostic, ScenarioError, SourceSpan, did_you_mean
from tierwise.engine.quantities import Money, format_seconds
from tierwise.engine.scenario import (
    Claim,
    Event,
    EventKind,
    PackPurchase,
    PlanChangeEvent,
    Scenario,
    ScenarioHeader,
    Subscription,
    Ticket,
    WorkSession,
)
from tierwise.engine.scenario_values import (
    DURATION_EXPECTED,
    LONG_WORK_SECONDS,
    MONEY_EXPECTED,
    PERIOD_EXPECTED,
    TIMESTAMP_EXPECTED,
    ValueProblem,
    field_text,
    parse_duration,
    parse_money,
    parse_timestamp,
    scenario_schema,
    ticket_schema,
)
from tierwise.engine.schemas import load_schema
from tierwise.engine.ticket_lines import Careful, FastTicketReader, TicketIds

__all__ = [
    "JSONL_SUFFIXES",
    "MAX_ERRORS",
    "SourceLocator",
    "ValueProblem",
    "check_plans",
    "dumps_record",
    "header_to_record",
    "load_scenario",
    "open_scenario",
    "parse_duration",
    "parse_money",
    "parse_timestamp",
    "read_toml",
    "render_diagnostics",
    "scenario_schema",
    "schema_diagnostics",
    "ticket_schema",
    "ticket_to_record",
    "validate_scenario",
    "write_jsonl",
]

MAX_ERRORS = 50  # a file with more problems than this is probably the wrong file
JSONL_SUFFIXES = (".jsonl", ".ndjson")
SUFFIXES = (".toml", ".json", *JSONL_SUFFIXES)

Path_ = tuple[str | int, ...]  # a JSON path as a tuple of keys and indices
WarningSink = Callable[[Diagnostic], None]
T = TypeVar("T")


@cache
def _validator(name: str) -> Validator:
    """A validator for a shipped schema with its ``$ref``s inlined (a third faster, same errors)."""
    schema = load_schema(name)
    return validator_for(schema)(_inline_refs(schema, schema.get("$defs", {})))


def _inline_refs(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node and str(node["$ref"]).startswith("#/$defs/"):
            target = _inline_refs(defs[node["$ref"].split("/")[-1]], defs)
            return {**target, **{k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"}}
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


# --------------------------------------------------------------------------------------------
# Locating JSON paths in source text
# --------------------------------------------------------------------------------------------

Offsets = tuple[int, int]  # [start, end) character offsets


class _Positions:
    """Where each value (and each key) of a parsed document was written."""

    def __init__(self) -> None:
        self.values: dict[Path_, Offsets] = {}
        self.keys: dict[Path_, Offsets] = {}


_TOML_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_TOML_LITERAL = re.compile(r"'[^'\n]*'")
_TOML_BARE = re.compile(r"[A-Za-z0-9_-]+")
_TOML_SCALAR = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?"
    r"|[^\s,\]}#]+"
)


class _TomlScanner:
    """A lenient re-scan of TOML that tomllib already accepted, to recover positions."""

    def __init__(self, text: str):
        self.t = text
        self.n = len(text)
        self.i = 0
        self.pos = _Positions()
        self.aot: dict[Path_, int] = {}  # array-of-tables path -> its last index
        self.table: Path_ = ()

    def run(self) -> _Positions:
        try:
            while True:
                self._skip_blank()
                if self.i >= self.n:
                    break
                if self.t[self.i] == "[":
                    self._header()
                else:
                    self._keyval(self.table)
        except (IndexError, ValueError, RecursionError):
            pass  # positions found so far are still right
        return self.pos

    def _skip_ws(self) -> None:
        while self.i < self.n and self.t[self.i] in " \t":
            self.i += 1

    def _skip_blank(self) -> None:
        while self.i < self.n:
            c = self.t[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "#":
                end = self.t.find("\n", self.i)
                self.i = self.n if end < 0 else end
            else:
                return

    def _key(self) -> list[tuple[str, int, int]]:
        parts: list[tuple[str, int, int]] = []
        while True:
            self._skip_ws()
            start = self.i
            c = self.t[self.i]
            if c == '"':
                m = _TOML_BASIC.match(self.t, self.i)
                if not m:
                    raise ValueError("bad key")
                try:
                    name = json.loads(m.group())
                except ValueError:
                    name = m.group()[1:-1]
                self.i = m.end()
            elif c == "'":
                m = _TOML_LITERAL.match(self.t, self.i)
                if not m:
                    raise ValueError("bad key")
                name, self.i = m.group()[1:-1], m.end()
            else:
                m = _TOML_BARE.match(self.t, self.i)
                if not m:
                    raise ValueError("bad key")
                name, self.i = m.group(), m.end()
            parts.append((name, start, self.i))
            self._skip_ws()
            if self.i < self.n and self.t[self.i] == ".":
                self.i += 1
                continue
            return parts

    def _resolve(self, names: Iterable[str]) -> Path_:
        path: Path_ = ()
        for name in names:
            path = (*path, name)
            if path in self.aot:
                path = (*path, self.aot[path])
        return path

    def _header(self) -> None:
        start = self.i
        double = self.t.startswith("[[", self.i)
        self.i += 2 if double else 1
        names = [p[0] for p in self._key()]
        self._skip_ws()
        self.i += 2 if double else 1
        if double:
            base = (*self._resolve(names[:-1]), names[-1])
            index = self.aot.get(base, -1) + 1
            self.aot[base] = index
            path: Path_ = (*base, index)
        else:
            path = self._resolve(names)
        self.pos.values[path] = (start, self.i)
        self.pos.keys[path] = (start, self.i)
        self.table = path

    def _keyval(self, base: Path_) -> None:
        parts = self._key()
        path = base + tuple(p[0] for p in parts)
        self.pos.keys[path] = (parts[-1][1], parts[-1][2])
        self._skip_ws()
        if self.t[self.i] != "=":
            raise ValueError("expected =")
        self.i += 1
        self._skip_ws()
        self._value(path)

    def _value(self, path: Path_) -> None:
        t, start = self.t, self.i
        if t.startswith('"""', start) or t.startswith("'''", start):
            quote = t[start : start + 3]
            j = start + 3
            while j < self.n:
                if quote == '"""' and t[j] == "\\":
                    j += 2
                    continue
                if t.startswith(quote, j):
                    j += 3
                    extra = 0
                    while j < self.n and t[j] == quote[0] and extra < 2:
                        j, extra = j + 1, extra + 1
                    break
                j += 1
            self.i = j
        elif t[start] in "\"'":
            m = (_TOML_BASIC if t[start] == '"' else _TOML_LITERAL).match(t, start)
            self.i = m.end() if m else start + 1
        elif t[start] == "[":
            self.i += 1
            index = 0
            while True:
                self._skip_blank()
                if t[self.i] == "]":
                    self.i += 1
                    break
                self._value((*path, index))
                index += 1
                self._skip_blank()
                if t[self.i] == ",":
                    self.i += 1
        elif t[start] == "{":
            self.i += 1
            while True:
                self._skip_blank()
                if t[self.i] == "}":
                    self.i += 1
                    break
                self._keyval(path)
                self._skip_blank()
                if t[self.i] == ",":
                    self.i += 1
        else:
            m = _TOML_SCALAR.match(t, start)
            self.i = m.end() if m else start + 1
        self.pos.values[path] = (start, self.i)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_SCALAR = re.compile(r"[^\s,\]}:]+")
_JSON_WS = re.compile(r"\s*")


class _JsonScanner:
    """A re-scan of JSON that ``json`` already accepted, to recover positions."""

    def __init__(self, text: str):
        self.t = text
        self.i = 0
        self.pos = _Positions()

    def run(self) -> _Positions:
        with contextlib.suppress(IndexError, ValueError, RecursionError):
            self._value(())
        return self.pos

    def _ws(self) -> None:
        m = _JSON_WS.match(self.t, self.i)
        self.i = m.end() if m else self.i

    def _value(self, path: Path_) -> None:
        self._ws()
        t, start = self.t, self.i
        c = t[start]
        if c == "{":
            self.i += 1
            while True:
                self._ws()
                if t[self.i] == "}":
                    self.i += 1
                    break
                if t[self.i] == ",":
                    self.i += 1
                    continue
                m = _JSON_STRING.match(t, self.i)
                if not m:
                    raise ValueError("expected a key")
                key = json.loads(m.group())
                self.pos.keys[(*path, key)] = (m.start(), m.end())
                self.i = m.end()
                self._ws()
                self.i += 1  # the colon
                self._value((*path, key))
        elif c == "[":
            self.i += 1
            index = 0
            while True:
                self._ws()
                if t[self.i] == "]":
                    self.i += 1
                    break
                if t[self.i] == ",":
                    self.i += 1
                    continue
                self._value((*path, index))
                index += 1
        elif c == '"':
            m = _JSON_STRING.match(t, start)
            self.i = m.end() if m else start + 1
        else:
            m = _JSON_SCALAR.match(t, start)
            self.i = m.end() if m else start + 1
        self.pos.values[path] = (start, self.i)


class SourceLocator:
    """Turns JSON paths of one document (a file, or one JSON Lines line) into source spans.

    ``syntax`` is ``"toml"`` or ``"json"``; positions are found by a re-scan of ``text`` the
    first time a span is asked for, so a file without problems costs nothing extra.
    """

    def __init__(
        self, file: str, text: str, syntax: str, first_line: int = 1, precise: bool = True
    ):
        self.file = file
        self.text = text
        self.syntax = syntax  # "toml" or "json"
        self.first_line = first_line
        self.precise = precise  # False: record spans are just the line (cheap, for JSON Lines)
        self._positions: _Positions | None = None
        self._line_starts: list[int] | None = None

    @property
    def positions(self) -> _Positions:
        if self._positions is None:
            scanner = _TomlScanner(self.text) if self.syntax == "toml" else _JsonScanner(self.text)
            self._positions = scanner.run()
        return self._positions

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return self.first_line + line - 1, offset - self._line_starts[line - 1] + 1

    def span(self, path: Path_, key: bool = False) -> SourceSpan:
        """The place of ``path`` (of its key when ``key``), else of its nearest located parent."""
        positions = self.positions
        probe = tuple(path)
        while True:
            hit = positions.keys.get(probe) if key else None
            hit = hit or positions.values.get(probe)
            if hit:
                return self._span(hit)
            if not probe:
                return SourceSpan(self.file, self.first_line, 1)
            probe, key = probe[:-1], False

    def record_span(self, path: Path_) -> SourceSpan:
        """A span kept on model objects: exact for files, the line for JSON Lines."""
        if not self.precise:
            return SourceSpan(self.file, self.first_line, 1)
        return self.span(path)

    def _span(self, offsets: Offsets) -> SourceSpan:
        start, end = offsets
        line, col = self.line_col(start)
        end_line, end_col = self.line_col(max(start, end - 1))
        return SourceSpan(self.file, line, col, end_line, end_col)


def _json_path(path: Path_) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


# --------------------------------------------------------------------------------------------
# Collecting diagnostics
# --------------------------------------------------------------------------------------------


class _Report:
    """All errors of one load (capped), warnings passed on as they are found."""

    def __init__(self, on_warning: WarningSink | None, limit: int = MAX_ERRORS):
        self.errors: list[Diagnostic] = []
        self.on_warning = on_warning
        self.limit = limit
        self.truncated = False

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic.severity == "warning":
            if self.on_warning is not None:
                self.on_warning(diagnostic)
        elif len(self.errors) < self.limit:
            self.errors.append(diagnostic)
        else:
            self.truncated = True

    @property
    def full(self) -> bool:
        return len(self.errors) >= self.limit

    def raise_if_errors(self, file: str) -> None:
        if not self.errors:
            return
        errors = sorted(self.errors, key=_position_key)
        if self.truncated:
            errors.append(
                Diagnostic(
                    f"stopped after {self.limit} errors; the rest was not checked",
                    SourceSpan.unknown(file),
                    hint="fix these first; there are more",
                )
            )
        raise ScenarioError(errors)


def _hint(problem: ValueProblem) -> str | None:
    """The problem's hint, unless it only repeats what the diagnostic's 'expected' says."""
    return None if (problem.hint or "").startswith("expected ") else problem.hint


def _position_key(d: Diagnostic) -> tuple[str, int, int]:
    span = d.span or SourceSpan.unknown()
    return (span.file, span.line, span.column)


class _Ctx:
    """Reports problems of one record (a ticket, a subscription, the header) with its label."""

    def __init__(
        self, loc: SourceLocator, prefix: Path_, label: str, report: _Report, bad: set[Path_]
    ):
        self.loc = loc
        self.prefix = prefix
        self.label = label
        self.report = report
        self.bad = bad  # paths that already have a schema error: not re-reported
        self.errors = 0

    def add(
        self,
        severity: str,
        message: str,
        rel: Path_ = (),
        *,
        hint: str | None = None,
        expected: str | None = None,
        key: bool = False,
    ) -> None:
        path = self.prefix + rel
        text = f"{self.label}: {message}" if self.label else message
        if severity == "error":
            self.errors += 1
        self.report.add(
            Diagnostic(
                text,
                self.loc.span(path, key=key),
                "warning" if severity == "warning" else "error",
                expected,
                hint,
                _json_path(path),
            )
        )

    def error(self, message: str, rel: Path_ = (), **kw: Any) -> None:
        self.add("error", message, rel, **kw)

    def warning(self, message: str, rel: Path_ = (), **kw: Any) -> None:
        self.add("warning", message, rel, **kw)

    def is_bad(self, rel: Path_) -> bool:
        path = self.prefix + rel
        return any(path[: len(b)] == b for b in self.bad if len(b) <= len(path))

    def _parsed(self, value: Any, rel: Path_, parse: Callable[[Any], T],
                expected: str) -> T | None:
        """A value parsed, or None with the located error reported (never raised)."""
        if value is None or self.is_bad(rel):
            return None
        try:
            return parse(value)
        except ValueProblem as exc:
            self.error(exc.message, rel, expected=expected, hint=_hint(exc))
            return None

    def timestamp(self, value: Any, rel: Path_) -> dt.datetime | None:
        return self._parsed(value, rel, parse_timestamp, TIMESTAMP_EXPECTED)

    def duration(self, value: Any, rel: Path_) -> int | None:
        return self._parsed(value, rel, parse_duration, DURATION_EXPECTED)

    def money(self, value: Any, rel: Path_) -> Money | None:
        return self._parsed(value, rel, parse_money, MONEY_EXPECTED)


# --------------------------------------------------------------------------------------------
# Schema errors in plain words
# --------------------------------------------------------------------------------------------

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a table (object)",
    "null": "null",
}
_EXAMPLES = {
    "as_of": 'as_of = "2026-04-01T00:00:00+02:00"',
    "customer": 'customer = "acme"',
    "plan": 'plan = "STANDARD"',
    "start": 'start = "2026-01-01T00:00:00+01:00"',
    "id": 'id = "T-1"',
    "created": 'created = "2026-01-05T09:12:00+01:00"',
    "at": 'at = "2026-01-05T10:00:00+01:00"',
    "type": 'type = "replied"',
    "priority": 'priority = "urgent"',
    "kind": 'kind = "remote"',
    "pack": 'pack = "unit"',
    "bought": 'bought = "2026-01-10T10:00:00+01:00"',
    "period": 'period = "2026-01"',
}


def json_kind(value: Any) -> str:
    """How a value read from TOML/JSON is named in messages ("a number", "a table"...)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "null"


def _field_name(path: Path_) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


Problem = tuple[Path_, str, str | None, str | None, bool]


def _schema_problems(err: ValidationError) -> list[Problem]:
    """(path, message, expected, hint, point-at-key) for one schema error, in plain words."""
    path: Path_ = tuple(err.absolute_path)
    schema = err.schema if isinstance(err.schema, dict) else {}
    title = schema.get("title")
    inst = err.instance
    field = _field_name(path)
    if title == "work-length" and err.validator == "oneOf":
        both = isinstance(inst, dict) and "duration" in inst and "end" in inst
        message = (
            "a work event takes 'duration' or 'end', not both"
            if both
            else ("a work event needs its length: 'duration' or 'end'")
        )
        return [(path, message, 'duration = "45min", or end = "<timestamp>"', None, False)]
    if err.context:
        return _schema_problems(best_match(err.context))
    kind = err.validator
    rule: Any = err.validator_value
    out: list[Problem] = []
    hint: str | None = None
    if kind == "required" and isinstance(inst, dict):
        missing = [p for p in rule if p not in inst]
        is_event = "at" in inst and isinstance(inst.get("type"), str)
        for name in missing:
            what = f"missing required field '{name}'"
            if is_event and name not in ("at", "type"):
                what = f"a '{inst['type']}' event needs '{name}'"
            example = _EXAMPLES.get(name)
            out.append((path, what, None, f"add {example}" if example else None, False))
        return out
    if kind == "additionalProperties" and isinstance(inst, dict):
        allowed = list(schema.get("properties", {}))
        for name in inst:
            if name in allowed:
                continue
            hint = did_you_mean(name, allowed) or f"allowed fields: {', '.join(allowed)}"
            out.append(((*path, name), f"unknown field '{name}'", None, hint, True))
        return out
    if kind == "pattern" and isinstance(inst, str):
        parser: Callable[[str], Any] | None = {
            "timestamp": parse_timestamp,
            "duration": parse_duration,
            "money": parse_money,
        }.get(str(title))
        expected = {
            "timestamp": TIMESTAMP_EXPECTED,
            "duration": DURATION_EXPECTED,
            "money": MONEY_EXPECTED,
            "period": PERIOD_EXPECTED,
        }.get(str(title))
        if parser is not None:
            try:
                parser(inst)
            except ValueProblem as exc:
                return [(path, exc.message, expected, _hint(exc), False)]
        if title == "name":
            return [(path, f"'{field}' must not be blank", "a name", None, False)]
        return [(path, f"'{inst}' is not a valid {title or field}", expected, None, False)]
    if kind == "type":
        wanted = (
            err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        )
        words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wanted)
        expected = {
            "timestamp": TIMESTAMP_EXPECTED,
            "duration": DURATION_EXPECTED,
            "money": MONEY_EXPECTED,
        }.get(str(title))
        if title == "duration" and isinstance(inst, int) and not isinstance(inst, bool):
            hint = f'write a unit: {field} = "{inst}min" or "{inst}h"'
        elif "string" in wanted and isinstance(inst, (int, float)) and not isinstance(inst, bool):
            hint = f'quote it: {field} = "{inst}"'
        return [(path, f"'{field}' must be {words}, not {json_kind(inst)}", expected, hint, False)]
    if kind == "enum":
        choices = [str(c) for c in rule]
        hint = did_you_mean(str(inst), choices)
        what = "event type" if field == "type" else f"value of '{field}'"
        return [
            (
                path,
                f"unknown {what} {json.dumps(inst, ensure_ascii=False)}",
                f"one of: {', '.join(choices)}",
                hint,
                False,
            )
        ]
    if kind == "const":
        return [(path, f"'{field}' must be {json.dumps(err.validator_value)}", None, None, False)]
    if kind == "minLength":
        return [(path, f"'{field}' must not be empty", None, None, False)]
    return [(path, err.message, None, None, False)]


def _schema_check(
    validator: Validator,
    doc: Any,
    loc: SourceLocator,
    report: _Report,
    label_for: Callable[[Path_], str],
) -> set[Path_]:
    """Validate ``doc``, report every error in plain words; return the paths found bad."""
    bad: set[Path_] = set()
    for err in validator.iter_errors(doc):
        if report.full:
            report.truncated = True
            break
        for path, message, expected, hint, key in _schema_problems(err):
            if path in bad and not key:
                continue  # one error per field is enough ("" is both empty and blank)
            bad.add(path)
            label = label_for(path)
            report.add(
                Diagnostic(
                    f"{label}: {message}" if label else message,
                    loc.span(path, key=key),
                    "error",
                    expected,
                    hint,
                    _json_path(path),
                )
            )
    return bad


def _ticket_label(rec: Any, index: int | None) -> str:
    tid = rec.get("id") if isinstance(rec, dict) else None
    if isinstance(tid, (str, int)) and not isinstance(tid, bool) and str(tid).strip():
        return f"ticket '{tid}'"
    return f"ticket #{index + 1}" if index is not None else "ticket"


def _subscription_label(rec: Any, index: int) -> str:
    customer = rec.get("customer") if isinstance(rec, dict) else None
    if isinstance(customer, str) and customer.strip():
        return f"subscription for '{customer}'"
    return f"subscription #{index + 1}"


# --------------------------------------------------------------------------------------------
# Building model objects, with the checks a schema cannot express
# --------------------------------------------------------------------------------------------

_WORK_ONLY = ("kind", "duration", "end", "out_of_hours_requested")


def _build_subscription(rec: Any, ctx: _Ctx) -> Subscription | None:
    if not isinstance(rec, dict):
        return None
    start = ctx.timestamp(rec.get("start"), ("start",))
    end = ctx.timestamp(rec.get("end"), ("end",))
    if start and end and end <= start:
        ctx.error(f"ends ({_show(end)}) before it starts ({_show(start)})", ("end",))
    fee = ctx.money(rec.get("fee"), ("fee",))
    if fee is not None and fee.amount < 0:
        ctx.error(f"the fee {fee} is negative", ("fee",))

    changes: list[PlanChangeEvent] = []
    previous: dt.datetime | None = None
    for k, item in enumerate(_list(rec.get("changes"))):
        at = ctx.timestamp(item.get("at"), ("changes", k, "at"))
        plan = item.get("plan")
        if at is None or not isinstance(plan, str):
            continue
        if start and at < start:
            ctx.error(
                f"plan change at {_show(at)} is before the subscription starts ({_show(start)})",
                ("changes", k, "at"),
            )
        if end and at >= end:
            ctx.error(
                f"plan change at {_show(at)} is after the subscription ends ({_show(end)})",
                ("changes", k, "at"),
            )
        if previous and at < previous:
            ctx.error(
                f"plan change at {_show(at)} is earlier than the one before ({_show(previous)})",
                ("changes", k, "at"),
                hint="list plan changes in time order",
            )
        previous = at
        changes.append(PlanChangeEvent(at, plan))

    packs: list[PackPurchase] = []
    for k, item in enumerate(_list(rec.get("packs"))):
        bought = ctx.timestamp(item.get("bought"), ("packs", k, "bought"))
        seconds = ctx.duration(item.get("hours"), ("packs", k, "hours"))
        if seconds == 0:
            ctx.error(
                "a pack of 0 hours",
                ("packs", k, "hours"),
                hint="leave 'hours' out to use the product's hours",
            )
        if bought and start and bought < start:
            ctx.warning(
                f"pack bought at {_show(bought)}, before the subscription starts ({_show(start)})",
                ("packs", k, "bought"),
            )
        if bought is not None and isinstance(item.get("pack"), str):
            packs.append(PackPurchase(item["pack"], bought, seconds))

    claims: list[Claim] = []
    for k, item in enumerate(_list(rec.get("claims"))):
        at = ctx.timestamp(item.get("at"), ("claims", k, "at"))
        period = item.get("period")
        credit = item.get("credit")
        if at is not None and isinstance(period, str):
            claims.append(Claim(at, period, credit if isinstance(credit, str) else None))

    customer, plan = rec.get("customer"), rec.get("plan")
    if ctx.errors or start is None or not isinstance(customer, str) or not isinstance(plan, str):
        return None
    return Subscription(
        customer=customer,
        plan=plan,
        start=start,
        end=end,
        changes=tuple(changes),
        packs=tuple(packs),
        claims=tuple(claims),
        fee=fee,
        source=ctx.loc.record_span(ctx.prefix),
    )


def _build_ticket(
    rec: Any,
    ctx: _Ctx,
    customers: Mapping[str, Any],
    as_of: dt.datetime | None,
) -> Ticket | None:
    if not isinstance(rec, dict):
        return None
    customer = rec.get("customer")
    if isinstance(customer, str) and customer not in customers and not ctx.is_bad(("customer",)):
        hint = (
            did_you_mean(customer, customers)
            or f"add a subscription for '{customer}' under [[subscriptions]]"
        )
        ctx.error(f"customer '{customer}' has no subscription", ("customer",), hint=hint)
    created = ctx.timestamp(rec.get("created"), ("created",))
    if created and as_of and created > as_of:
        ctx.warning(
            f"created at {_show(created)}, after the scenario's as_of ({_show(as_of)})",
            ("created",),
            hint="the replay stops at as_of; this ticket is not seen",
        )

    events: list[Event] = []
    previous: dt.datetime | None = None
    resolved = False
    late = 0
    for k, item in enumerate(_list(rec.get("events"))):
        rel: Path_ = ("events", k)
        at = ctx.timestamp(item.get("at"), (*rel, "at"))
        type_name = item.get("type")
        kind = EventKind(type_name) if type_name in _EVENT_VALUES else None
        if kind is not None:
            extra = [f for f in _WORK_ONLY if f in item] if kind is not EventKind.WORK else []
            if kind is not EventKind.PRIORITY_CHANGED and "priority" in item:
                extra.append("priority")
            for name in extra:
                ctx.error(
                    f"field '{name}' does not apply to a '{kind.value}' event",
                    (*rel, name),
                    key=True,
                    hint="only 'work' events take kind, duration, end and out_of_hours_requested;"
                    " only 'priority_changed' takes priority",
                )
        if at is not None:
            if created and at < created:
                ctx.error(
                    f"event at {_show(at)} is before the ticket was created ({_show(created)})",
                    (*rel, "at"),
                    hint="check the event's date and offset, or the ticket's 'created'",
                )
            elif previous and at < previous:
                ctx.error(
                    f"event at {_show(at)} is earlier than the event before it ({_show(previous)})",
                    (*rel, "at"),
                    hint="list events in time order (work sessions by their start)",
                )
            previous = at if previous is None else max(previous, at)
            if as_of and at > as_of:
                late += 1
        work = _build_work(item, kind, at, rel, ctx)
        if kind is EventKind.RESOLVED or kind is EventKind.CLOSED:
            resolved = True
        elif kind is EventKind.REOPENED:
            if not resolved:
                ctx.warning(
                    "'reopened' but the ticket was not resolved or closed before", (*rel, "type")
                )
            resolved = False
        if at is not None and kind is not None:
            priority = item.get("priority") if kind is EventKind.PRIORITY_CHANGED else None
            events.append(
                Event(at, kind, priority, work, source=ctx.loc.record_span(ctx.prefix + rel))
            )
    if late:
        ctx.warning(
            f"{late} event{'s' if late != 1 else ''} after the scenario's as_of ({_show(as_of)})",
            ("events",),
            hint="the replay stops at as_of; later events are not seen",
        )

    tid = rec.get("id")
    if ctx.errors or created is None or not isinstance(customer, str) or tid is None:
        return None
    return Ticket(
        id=str(tid),
        customer=customer,
        created=created,
        priority=_opt_str(rec.get("priority")),
        channel=_opt_str(rec.get("channel")),
        category=_opt_str(rec.get("category")),
        contact_registered=rec.get("contact_registered", True) is not False,
        product_status=_opt_str(rec.get("product_status")),
        express=rec.get("express") is True,
        fields={str(k): field_text(v) for k, v in (rec.get("fields") or {}).items()},
        events=tuple(events),
        source=ctx.loc.record_span(ctx.prefix),
    )


def _build_work(
    item: dict[str, Any], kind: EventKind | None, at: dt.datetime | None, rel: Path_, ctx: _Ctx
) -> WorkSession | None:
    if kind is not EventKind.WORK:
        return None
    seconds: int | None = None
    if "duration" in item:
        seconds = ctx.duration(item["duration"], (*rel, "duration"))
        where: Path_ = (*rel, "duration")
    else:
        where = (*rel, "end")
        end = ctx.timestamp(item.get("end"), where)
        if end is not None and at is not None:
            seconds = round((end - at).total_seconds())
            if seconds < 0:
                ctx.error(
                    f"the work session ends ({_show(end)}) before it starts ({_show(at)})",
                    where,
                    hint="a session's 'at' is its start; 'end' must be later",
                )
                return None
    if seconds is None or not isinstance(item.get("kind"), str):
        return None
    if seconds > LONG_WORK_SECONDS:
        ctx.warning(
            f"a work session of {format_seconds(seconds)} is longer than 24 h",
            where,
            hint="check the duration or end; split multi-day work into sessions",
        )
    return WorkSession(item["kind"], seconds, item.get("out_of_hours_requested") is True)


_EVENT_VALUES = frozenset(k.value for k in EventKind)


def _list(value: Any) -> list[dict[str, Any]]:
    """The dict items of a list (schema errors for the rest are reported already)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _show(value: dt.datetime | None) -> str:
    return value.isoformat() if value is not None else "?"


def _build_header(
    doc: dict[str, Any], loc: SourceLocator, report: _Report, bad: set[Path_], file: str
) -> tuple[dt.datetime | None, dict[str, Subscription], dict[str, Any]]:
    """as_of, subscriptions by customer, and every customer named (for ticket checks)."""
    ctx = _Ctx(loc, (), "", report, bad)
    as_of = ctx.timestamp(doc.get("as_of"), ("as_of",))
    subscriptions: dict[str, Subscription] = {}
    customers: dict[str, Any] = {}
    raw = doc.get("subscriptions")
    for i, rec in enumerate(raw if isinstance(raw, list) else []):
        sub_ctx = _Ctx(loc, ("subscriptions", i), _subscription_label(rec, i), report, bad)
        customer = rec.get("customer") if isinstance(rec, dict) else None
        if isinstance(customer, str):
            if customer in customers:
                sub_ctx.error(
                    f"customer '{customer}' has a second subscription",
                    ("customer",),
                    hint="one subscription per customer; record plan switches under 'changes'",
                )
            customers.setdefault(customer, i)
        sub = _build_subscription(rec, sub_ctx)
        if sub is not None and sub.customer not in subscriptions:
            subscriptions[sub.customer] = sub
    return as_of, subscriptions, customers


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def _fail(
    file: str, message: str, line: int = 0, column: int = 0, hint: str | None = None
) -> ScenarioError:
    return ScenarioError(Diagnostic(message, SourceSpan(file, line, column), hint=hint))


def _read_text(path: Path, empty_hint: str | None = None) -> str:
    """The file as text, or a located error for missing, empty, binary or non-UTF-8 files."""
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(file, "no such file") from None
    except IsADirectoryError:
        raise _fail(file, "is a directory, not a scenario file") from None
    except OSError as exc:
        raise _fail(file, f"cannot read the file: {exc.strerror or exc}") from None
    if not data.strip():
        hint = empty_hint or "a scenario needs at least as_of; see docs/scenarios.md"
        raise _fail(file, "the file is empty", hint=hint)
    _check_binary(data, file, 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _decode_error(data, exc, file, 1) from None


def _check_binary(data: bytes, file: str, first_line: int) -> None:
    nul = data.find(b"\x00")
    if nul >= 0:
        line = first_line + data.count(b"\n", 0, nul)
        raise _fail(
            file,
            "this is a binary file, not text",
            line,
            1,
            hint="scenarios and mappings are UTF-8 text (TOML, JSON, JSON Lines)",
        )


def _decode_error(
    data: bytes, exc: UnicodeDecodeError, file: str, first_line: int
) -> ScenarioError:
    before = data[: exc.start]
    line = first_line + before.count(b"\n")
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    return _fail(
        file,
        f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
        line,
        column,
        hint="save the file as UTF-8",
    )


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _parse_toml(text: str, file: str) -> Any:
    try:
        return _normalize_toml(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_WHERE.search(message)
        line, column = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        message = _TOML_WHERE.sub("", message).replace(" (at end of document)", "")
        if not m and "end of document" in str(exc):
            line = text.count("\n") + 1
            column = len(text.rsplit("\n", 1)[-1]) + 1
        hint = None
        if message.startswith("Invalid value"):
            hint = 'quote text values such as times, durations and amounts: duration = "45min"'
        elif message.startswith("Expected newline or end of document"):
            hint = 'one key = value per line; quote text such as durations: duration = "45min"'
        elif message.startswith("Cannot overwrite") or message.startswith("Cannot declare"):
            hint = "a key or table is given twice; write [[tickets]] before each ticket"
        raise ScenarioError(
            Diagnostic(f"invalid TOML: {message}", SourceSpan(file, line, column), hint=hint)
        ) from None
    except RecursionError:
        raise _fail(file, "invalid TOML: nested too deeply") from None


def _normalize_toml(value: Any) -> Any:
    """TOML's own date-time values as the text they stand for, so one schema fits both."""
    if isinstance(value, dict):
        return {k: _normalize_toml(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_toml(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return value


def _parse_json(text: str, file: str, first_line: int = 1) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = None
        if exc.msg == "Extra data" and first_line == 1:
            hint = "one JSON value per file; for one record per line name the file .jsonl"
        elif exc.msg.startswith("Expecting property name"):
            hint = "JSON keys are double-quoted and lists/objects take no trailing comma"
        raise ScenarioError(
            Diagnostic(
                f"invalid JSON: {exc.msg}",
                SourceSpan(file, first_line + exc.lineno - 1, exc.colno),
                hint=hint,
            )
        ) from None
    except RecursionError:
        raise _fail(file, "invalid JSON: nested too deeply", first_line, 1) from None


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _fail(
            str(path),
            f"cannot tell the format of '{path.name}' from its extension",
            hint="name it .toml, .json, or .jsonl/.ndjson (JSON Lines)",
        )
    return suffix


def _load_document(path: Path, on_warning: WarningSink | None) -> Scenario:
    """A whole TOML or JSON scenario: schema check, then semantic checks, all errors at once."""
    file = str(path)
    text = _read_text(path)
    syntax = "toml" if path.suffix.lower() == ".toml" else "json"
    doc = _parse_toml(text, file) if syntax == "toml" else _parse_json(text, file)
    loc = SourceLocator(file, text, syntax)
    report = _Report(on_warning)
    if not isinstance(doc, dict):
        raise _fail(file, f"a scenario must be a JSON object, not {json_kind(doc)}", 1, 1)

    def label_for(p: Path_) -> str:
        if len(p) >= 2 and p[0] == "tickets" and isinstance(p[1], int):
            return _ticket_label(_at(doc, p[:2]), p[1])
        if len(p) >= 2 and p[0] == "subscriptions" and isinstance(p[1], int):
            return _subscription_label(_at(doc, p[:2]), p[1])
        return ""

    bad = _schema_check(_validator("scenario"), doc, loc, report, label_for)
    as_of, subscriptions, customers = _build_header(doc, loc, report, bad, file)
    tickets: list[Ticket] = []
    seen: dict[str, SourceSpan] = {}
    raw = doc.get("tickets")
    for i, rec in enumerate(raw if isinstance(raw, list) else []):
        if report.full:
            report.truncated = True
            break
        ctx = _Ctx(loc, ("tickets", i), _ticket_label(rec, i), report, bad)
        _check_duplicate(rec, ctx, seen)
        ticket = _build_ticket(rec, ctx, customers, as_of)
        if ticket is not None:
            tickets.append(ticket)
    report.raise_if_errors(file)
    assert as_of is not None  # the schema requires it; errors were raised above
    header = ScenarioHeader(as_of, subscriptions, _opt_str(doc.get("name")) or "", file)
    return Scenario(header, tuple(tickets))


def _at(doc: Any, path: Path_) -> Any:
    for part in path:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def _check_duplicate(rec: Any, ctx: _Ctx, seen: dict[str, SourceSpan]) -> None:
    tid = rec.get("id") if isinstance(rec, dict) else None
    if not isinstance(tid, (str, int)) or isinstance(tid, bool):
        return
    key = str(tid)
    if key in seen:
        first = seen[key]
        ctx.error(f"duplicate ticket id '{key}' (first used at line {first.line})", ("id",))
    else:
        seen[key] = ctx.loc.span((*ctx.prefix, "id"))


# ---- JSON Lines ----------------------------------------------------------------------------


class _JsonlHeader:
    """What reading the first line of a JSON Lines scenario yields."""

    def __init__(
        self, header: ScenarioHeader, customers: dict[str, Any], offset: int, line: int
    ) -> None:
        self.header = header
        self.customers = customers
        self.offset = offset  # byte offset of the first ticket line
        self.line = line  # number of the header line


def _decode_line(raw: bytes, file: str, lineno: int) -> str:
    if b"\x00" in raw:
        raise _fail(
            file,
            "this line holds binary data (NUL bytes)",
            lineno,
            raw.index(b"\x00") + 1,
            hint="JSON Lines scenarios are UTF-8 text, one JSON object per line",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _decode_error(raw, exc, file, lineno) from None
    if lineno == 1 and text.startswith("\ufeff"):
        text = text[1:]
    return text


def _read_jsonl_header(path: Path, on_warning: WarningSink | None) -> _JsonlHeader:
    file = str(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise _fail(file, "no such file") from None
    except IsADirectoryError:
        raise _fail(file, "is a directory, not a scenario file") from None
    except OSError as exc:
        raise _fail(file, f"cannot read the file: {exc.strerror or exc}") from None
    with handle:
        _check_binary(handle.read(8192), file, 1)
        handle.seek(0)
        lineno = 0
        for raw in handle:
            lineno += 1
            text = _decode_line(raw, file, lineno)
            if not text.strip():
                continue
            doc = _parse_json(text, file, lineno)
            loc = SourceLocator(file, text, "json", lineno)
            if not isinstance(doc, dict) or doc.get("type") != "header":
                raise ScenarioError(
                    Diagnostic(
                        "the first line of a JSON Lines scenario must be its header",
                        SourceSpan(file, lineno, 1),
                        expected='{"type": "header", "as_of": "...", "subscriptions": [...]}',
                        hint='then one {"type": "ticket", ...} per line; see docs/scenarios.md',
                    )
                )
            report = _Report(on_warning)
            bad = _schema_check(
                _validator("scenario"),
                doc,
                loc,
                report,
                _header_labels(doc),
            )
            if "tickets" in doc:
                report.add(
                    Diagnostic(
                        "header: tickets do not belong in the header line",
                        loc.span(("tickets",), key=True),
                        hint="write each ticket as its own line after the header",
                        path="$.tickets",
                    )
                )
            as_of, subscriptions, customers = _build_header(doc, loc, report, bad, file)
            report.raise_if_errors(file)
            assert as_of is not None
            header = ScenarioHeader(as_of, subscriptions, _opt_str(doc.get("name")) or "", file)
            return _JsonlHeader(header, customers, handle.tell(), lineno)
    raise _fail(file, "the file is empty", hint="a JSON Lines scenario starts with a header line")


def _header_labels(doc: Any) -> Callable[[Path_], str]:
    def label(p: Path_) -> str:
        if len(p) >= 2 and p[0] == "subscriptions" and isinstance(p[1], int):
            return _subscription_label(_at(doc, p[:2]), p[1])
        return "header"

    return label


def _jsonl_tickets(
    path: Path, start: _JsonlHeader, report: _Report, stop_at_error: bool
) -> Iterator[Ticket]:
    """Parse ticket lines lazily: memory holds one line, plus 16–32 bytes per ticket id.

    Each line goes through :class:`FastTicketReader` first; the lines it does not vouch for
    go through :func:`_jsonl_ticket`, the careful path that validates, explains and locates.
    """
    file = str(path)
    as_of = start.header.as_of
    ids = TicketIds(path, start.offset, start.line + 1)
    fast = FastTicketReader(
        file, start.customers, as_of, ids, warnings_matter=report.on_warning is not None
    )
    read_line, errors = fast.read_line, report.errors
    previous: Ticket | None = None  # the ticket above, and when it was created
    latest: dt.datetime | None = None
    lineno = start.line
    with path.open("rb") as handle:
        handle.seek(start.offset)
        for raw in handle:
            lineno += 1
            if errors and report.full:
                report.truncated = True
                break
            read = read_line(raw, lineno)
            # The common case first: a ticket the fast path vouches for, in creation order.
            if type(read) is Ticket and (latest is None or read.created >= latest):
                previous, latest = read, read.created
                yield read
                continue
            before = len(errors)
            ticket = read if type(read) is Ticket else None
            if ticket is None:
                schema_valid = read is Careful.SCHEMA_VALID
                try:
                    ticket = _jsonl_ticket(
                        raw, file, lineno, report, start.customers, as_of, ids, schema_valid
                    )
                except ScenarioError as exc:  # the line itself is unreadable
                    for d in exc.diagnostics:
                        report.add(d)
                    ticket = None
            if ticket is not None:
                if previous is not None and ticket.created < previous.created:
                    report.add(
                        Diagnostic(
                            f"ticket '{ticket.id}': created {_show(ticket.created)}, before the"
                            f" ticket above it ('{previous.id}', created"
                            f" {_show(previous.created)})",
                            SourceSpan(file, lineno, 1),
                            hint="sort JSON Lines tickets by 'created' (tierwise import does)",
                            path="$.created",
                        )
                    )
                    ticket = None
                else:
                    previous, latest = ticket, ticket.created
            if len(errors) > before or report.truncated:
                if stop_at_error:
                    raise ScenarioError(sorted(errors[before:], key=_position_key))
                continue
            if ticket is not None:
                yield ticket


def _jsonl_ticket(
    raw: bytes,
    file: str,
    lineno: int,
    report: _Report,
    customers: Mapping[str, Any],
    as_of: dt.datetime,
    ids: TicketIds,
    schema_valid: bool = False,
) -> Ticket | None:
    """The careful path for one ticket line: every problem reported, in plain words, located.

    ``schema_valid`` says the fast path already knows the record meets the schema.
    """
    text = _decode_line(raw, file, lineno)
    if not text.strip():
        return None
    doc = _parse_json(text, file, lineno)
    loc = SourceLocator(file, text, "json", lineno, precise=False)
    if not isinstance(doc, dict):
        raise _fail(file, f"expected a JSON object, not {json_kind(doc)}", lineno, 1)
    label = _ticket_label(doc, None)
    if doc.get("type") != "ticket":
        what = doc.get("type")
        message = (
            "a second header; only the first line may be the header"
            if what == "header"
            else f'this line is not a ticket: "type" is {json.dumps(what)}'
        )
        raise ScenarioError(
            Diagnostic(
                message,
                loc.span(("type",)),
                expected='"type": "ticket"',
                hint='every line after the header is {"type": "ticket", "id": ..., ...}',
                path="$.type",
            )
        )
    bad: set[Path_] = set()
    if not schema_valid:
        bad = _schema_check(_validator("ticket"), doc, loc, report, lambda _p: label)
    ctx = _Ctx(loc, (), label, report, bad)
    ctx.errors = len(bad)
    tid = doc.get("id")
    if isinstance(tid, (str, int)) and not isinstance(tid, bool):
        first = ids.add(str(tid), lineno)
        if first is not None:
            ctx.error(f"duplicate ticket id '{tid}' (first used at line {first})", ("id",))
    return _build_ticket(doc, ctx, customers, as_of)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def load_scenario(path: str | Path, *, on_warning: WarningSink | None = None) -> Scenario:
    """Read and validate a whole scenario (.toml, .json, .jsonl/.ndjson by extension).

    Raises :class:`ScenarioError` holding every error found (up to :data:`MAX_ERRORS`).
    Warnings (e.g. a work session over 24 h) go to ``on_warning``; they are dropped if it
    is None.
    """
    path = Path(path)
    if _suffix(path) in JSONL_SUFFIXES:
        start = _read_jsonl_header(path, on_warning)
        report = _Report(on_warning)
        tickets = tuple(_jsonl_tickets(path, start, report, stop_at_error=False))
        report.raise_if_errors(str(path))
        return Scenario(start.header, tickets)
    return _load_document(path, on_warning)


def open_scenario(
    path: str | Path, *, on_warning: WarningSink | None = None
) -> tuple[ScenarioHeader, Iterator[Ticket]]:
    """The header now and the tickets as an iterator, for replays in flat memory.

    Tickets come in creation order whatever the format: TOML and JSON files are read and
    checked whole, then sorted (stably); JSON Lines files must already be sorted. For JSON
    Lines the header line is checked here and each ticket line is parsed when the iterator
    reaches it; a bad line raises :class:`ScenarioError` (with its line number) at that
    point, and a ticket out of ``created`` order is an error.
    """
    path = Path(path)
    if _suffix(path) in JSONL_SUFFIXES:
        start = _read_jsonl_header(path, on_warning)
        report = _Report(on_warning)
        return start.header, _jsonl_tickets(path, start, report, stop_at_error=True)
    scenario = _load_document(path, on_warning)
    return scenario.header, iter(sorted(scenario.tickets, key=lambda t: t.created))


def validate_scenario(path: str | Path) -> list[Diagnostic]:
    """Every error and warning of a scenario file, in file order, without raising."""
    found: list[Diagnostic] = []
    try:
        load_scenario(path, on_warning=found.append)
    except ScenarioError as exc:
        found.extend(exc.diagnostics)
    return sorted(found, key=_position_key)


def check_plans(header: ScenarioHeader, known_plans: set[str]) -> list[Diagnostic]:
    """Errors for subscriptions (and plan changes) naming a plan the catalog lacks."""
    found: list[Diagnostic] = []
    expected = ", ".join(sorted(known_plans)) if 0 < len(known_plans) <= 12 else None
    for i, sub in enumerate(header.subscriptions.values()):
        span = sub.source or SourceSpan.unknown(header.source)
        names = [(sub.plan, f"$.subscriptions[{i}].plan", "")]
        names += [
            (c.plan, f"$.subscriptions[{i}].changes[{k}].plan", f" (plan change at {_show(c.at)})")
            for k, c in enumerate(sub.changes)
        ]
        for plan, path, where in names:
            if plan in known_plans:
                continue
            found.append(
                Diagnostic(
                    f"subscription for '{sub.customer}': unknown plan '{plan}'{where}",
                    span,
                    expected=f"one of: {expected}" if expected else None,
                    hint=did_you_mean(plan, known_plans)
                    or "plan names are those the catalog defines",
                    path=path,
                )
            )
    return found


def read_toml(path: str | Path) -> tuple[dict[str, Any], SourceLocator]:
    """A TOML file (any, e.g. an import mapping) with a locator for its paths.

    TOML date-times come back as RFC 3339 text. Unreadable, empty, binary or invalid files
    raise :class:`ScenarioError` with the position tomllib reports.
    """
    path = Path(path)
    text = _read_text(path, "this TOML file has no content")
    doc = _parse_toml(text, str(path))
    return doc, SourceLocator(str(path), text, "toml")


def schema_diagnostics(
    schema: Mapping[str, Any], doc: Any, locator: SourceLocator, label: str = ""
) -> list[Diagnostic]:
    """Errors of ``doc`` against any JSON Schema, in the same plain words as scenarios."""
    report = _Report(None)
    validator = validator_for(schema)(schema)
    _schema_check(validator, doc, locator, report, lambda _p: label)
    return sorted(report.errors, key=_position_key)


# ---- writing -------------------------------------------------------------------------------


def _event_record(event: Event) -> dict[str, Any]:
    rec: dict[str, Any] = {"at": event.at.isoformat(), "type": event.kind.value}
    if event.priority is not None:
        rec["priority"] = event.priority
    if event.work is not None:
        rec["kind"] = event.work.kind
        rec["duration"] = format_seconds(event.work.seconds)
        if event.work.out_of_hours_requested:
            rec["out_of_hours_requested"] = True
    return rec


def ticket_to_record(ticket: Ticket, *, tagged: bool = True) -> dict[str, Any]:
    """The ticket as a schema-valid record (``"type": "ticket"`` first when ``tagged``)."""
    rec: dict[str, Any] = {"type": "ticket"} if tagged else {}
    rec.update(id=ticket.id, customer=ticket.customer, created=ticket.created.isoformat())
    for name in ("priority", "channel", "category", "product_status"):
        value = getattr(ticket, name)
        if value is not None:
            rec[name] = value
    if not ticket.contact_registered:
        rec["contact_registered"] = False
    if ticket.express:
        rec["express"] = True
    if ticket.fields:
        rec["fields"] = dict(ticket.fields)
    rec["events"] = [_event_record(e) for e in ticket.events]
    return rec


def header_to_record(header: ScenarioHeader, *, tagged: bool = True) -> dict[str, Any]:
    """The header (as_of, name, subscriptions) as a schema-valid record."""
    rec: dict[str, Any] = {"type": "header"} if tagged else {}
    rec["as_of"] = header.as_of.isoformat()
    if header.name:
        rec["name"] = header.name
    subs = []
    for sub in header.subscriptions.values():
        item: dict[str, Any] = {
            "customer": sub.customer,
            "plan": sub.plan,
            "start": sub.start.isoformat(),
        }
        if sub.end is not None:
            item["end"] = sub.end.isoformat()
        if sub.fee is not None:
            item["fee"] = f"{sub.fee.amount} {sub.fee.currency}"
        if sub.changes:
            item["changes"] = [{"at": c.at.isoformat(), "plan": c.plan} for c in sub.changes]
        if sub.packs:
            item["packs"] = [
                {"pack": p.pack, "bought": p.bought.isoformat()}
                | ({"hours": format_seconds(p.seconds)} if p.seconds is not None else {})
                for p in sub.packs
            ]
        if sub.claims:
            item["claims"] = [
                {"at": c.at.isoformat(), "period": c.period}
                | ({"credit": c.credit} if c.credit else {})
                for c in sub.claims
            ]
        subs.append(item)
    rec["subscriptions"] = subs
    return rec


def dumps_record(record: Mapping[str, Any]) -> str:
    """One JSON Lines line (without the newline): compact, UTF-8 kept readable."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(path: str | Path, header: ScenarioHeader, tickets: Iterable[Ticket]) -> int:
    """Write a JSON Lines scenario (tickets must already be sorted by creation); the count."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        out.write(dumps_record(header_to_record(header)) + "\n")
        for ticket in tickets:
            out.write(dumps_record(ticket_to_record(ticket)) + "\n")
            count += 1
    return count


# ---- printing ------------------------------------------------------------------------------


def render_diagnostics(diagnostics: Iterable[Diagnostic]) -> str:
    """Compiler-style text for diagnostics, each with its source line and caret when readable.

    Each file is read once, and only up to the last line needed, so pointing into a large
    JSON Lines file stays cheap.
    """
    items = list(diagnostics)
    wanted: dict[str, set[int]] = {}
    for d in items:
        if d.span is not None and d.span.line > 0:
            wanted.setdefault(d.span.file, set()).add(d.span.line)
    found = {file: _read_lines(file, lines) for file, lines in wanted.items()}
    blocks = []
    for d in items:
        source = None
        if d.span is not None and d.span.line > 0:
            line = found[d.span.file].get(d.span.line)
            if line is not None:
                source = "\n" * (d.span.line - 1) + line
        blocks.append(d.render(source))
    return "\n".join(blocks)


def _read_lines(file: str, numbers: set[int]) -> dict[int, str]:
    """The given lines of a text file (binary lines left out); {} if it cannot be read."""
    out: dict[int, str] = {}
    last = max(numbers)
    try:
        with open(file, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number in numbers and b"\x00" not in raw:
                    out[number] = raw.decode("utf-8", "replace").rstrip("\r\n").lstrip("\ufeff")
                if number >= last:
                    break
    except OSError:
        return {}
    return out

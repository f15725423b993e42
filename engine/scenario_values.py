"""Scenario values with units (instants, durations, money) and the shipped JSON Schemas.

Both scenario paths use these: the careful one (:mod:`tierwise.engine.scenario_io`, which
explains and locates every problem) and the fast one for JSON Lines ticket lines
(:mod:`tierwise.engine.ticket_lines`). A parser raises :class:`ValueProblem` with the
message and the hint kept apart, so that the caller can place them under a caret.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from tierwise.engine.quantities import CURRENCY_ALIASES, Money
from tierwise.engine.schemas import load_schema

#: A work session longer than this is reported (a warning): probably a typo.
LONG_WORK_SECONDS = 24 * 3600

TIMESTAMP_EXPECTED = 'an RFC 3339 timestamp with a UTC offset, e.g. "2026-01-05T09:12:00+01:00"'
DURATION_EXPECTED = 'a whole number with a unit (h, min, s), e.g. "45min", "1h30min", "2h"'
MONEY_EXPECTED = 'an amount with its currency, e.g. "2000 PLN", "€450", "129,00 zł"'
PERIOD_EXPECTED = 'a month "2026-03", a quarter "2026-Q1" or a year "2026"'


# --------------------------------------------------------------------------------------------
# Values with units
# --------------------------------------------------------------------------------------------


class ValueProblem(ValueError):
    """A malformed value; ``message`` and ``hint`` are kept apart for located diagnostics."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(f"{message}; {hint}" if hint else message)
        self.message = message
        self.hint = hint


_TS_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)([Zz]|[+-]\d{2}:?\d{2})$"
)

_NAIVE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")


def parse_timestamp(text: str) -> dt.datetime:
    """An RFC 3339 instant; the offset is mandatory because a wall time alone is ambiguous.

    The offset may also be written without its colon (``+0100``, ISO 8601's basic form, as
    ``strftime("%z")`` writes it): many exports do, and it is just as unambiguous.

    A well-formed instant costs one regex and ``fromisoformat``; the regexes that explain what
    is wrong run only when that fails (their patterns never overlap the good one).
    """
    if not isinstance(text, str):
        raise ValueProblem(
            f"{text!r} is not a timestamp", 'write it as text, e.g. "2026-01-05T09:12:00+01:00"'
        )
    s = text.strip()
    m = _TS_RE.match(s)
    if not m:
        raise _timestamp_problem(text, s)
    zone = m.group(3)
    if zone in ("Z", "z"):
        zone = "+00:00"
    elif len(zone) == 5:  # "+0100", as strftime's %z writes it
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        value = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{zone}")
    except ValueError as exc:
        raise ValueProblem(f"'{text}' is not a valid date and time: {exc}") from None
    if abs(value.utcoffset() or dt.timedelta()) >= dt.timedelta(hours=24):  # pragma: no cover
        raise ValueProblem(f"'{text}' has an impossible UTC offset")
    return value


def _timestamp_problem(text: str, s: str) -> ValueProblem:
    """What is wrong with a timestamp that is not RFC 3339 (``s`` is ``text`` stripped)."""
    naive = _NAIVE_RE.match(s)
    if naive:
        example = f"{naive.group(1)}T{naive.group(2)}"
        return ValueProblem(
            f"timestamp '{text}' has no UTC offset",
            f'write the offset, e.g. "{example}+01:00", or "{example}Z" for UTC',
        )
    if _DATE_RE.match(s):
        return ValueProblem(
            f"'{text}' is a date without a time", f'write a full instant, e.g. "{s}T00:00:00+01:00"'
        )
    if _TIME_RE.match(s):
        return ValueProblem(
            f"'{text}' is a time without a date",
            'write a full instant, e.g. "2026-01-05T09:12:00+01:00"',
        )
    return ValueProblem(f"'{text}' is not an RFC 3339 timestamp", f"expected {TIMESTAMP_EXPECTED}")


def field_text(value: str | int | bool) -> str:
    """A custom ticket field's value as conditions compare it: text, with booleans written
    as ``true``/``false`` (as in the plan language) and integers in decimal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_DURATION_UNITS: dict[str, tuple[int, int]] = {  # unit -> (seconds, rank for ordering)
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), (3600, 0)),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), (60, 1)),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), (1, 2)),
}
_DURATION_PART = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*([^\d\s.,]*)")


def parse_duration(text: str) -> int:
    """Seconds in ``"45min"``, ``"1h30min"``, ``"2h"``, ``"90s"``; a unit is never optional."""
    if not isinstance(text, str):
        hint = f'write it with a unit, e.g. "{text}min"' if isinstance(text, int) else None
        raise ValueProblem(f"{text!r} is not a duration", hint or f"expected {DURATION_EXPECTED}")
    s = text.strip()
    if not s:
        raise ValueProblem("the duration is empty", f"expected {DURATION_EXPECTED}")
    negative = s.startswith(("-", "−"))
    body = s[1:] if negative else s
    pos, total, last_rank = 0, 0, -1
    while pos < len(body):
        m = _DURATION_PART.match(body, pos)
        if not m or m.end() == pos:
            raise ValueProblem(f"'{text}' is not a duration", f"expected {DURATION_EXPECTED}")
        number, unit = m.group(1), m.group(2).lower()
        if "." in number or "," in number:
            raise ValueProblem(
                f"'{text}' uses a fraction", 'use whole numbers, e.g. "1h30min" rather than "1.5h"'
            )
        if not unit:
            raise ValueProblem(
                f"'{text}' has a number without a unit", f"expected {DURATION_EXPECTED}"
            )
        if unit in ("m", "mn"):
            raise ValueProblem(f"'{text}': '{unit}' is ambiguous", "write 'min' for minutes")
        if unit in ("d", "day", "days", "w", "week", "weeks"):
            raise ValueProblem(f"'{text}': days are not used here", 'write hours, e.g. "24h"')
        if unit not in _DURATION_UNITS:
            raise ValueProblem(f"'{text}': unknown unit '{unit}'", "use h, min or s")
        seconds, rank = _DURATION_UNITS[unit]
        if rank <= last_rank:
            raise ValueProblem(
                f"'{text}' repeats or reorders its units",
                'write hours, then minutes, then seconds: "1h30min"',
            )
        last_rank = rank
        total += int(number) * seconds
        pos = m.end()
        while pos < len(body) and body[pos].isspace():
            pos += 1
    if negative and total:
        raise ValueProblem(f"'{text}' is negative", "a duration cannot be negative")
    return total


_MONEY_RE = re.compile(
    r"^\s*(?P<pre>R\$|[€$£]|[A-Z]{3}(?=[\s\d-]))?\s*(?P<sign>[-−])?\s*"
    r"(?P<num>\d[\d.,'\s\u00a0\u202f]*?)\s*(?P<post>[A-Z]{3}|zł|zl|[€$£])?\s*$"
)


def parse_money(text: str) -> Money:
    """An exact amount and currency: ``"2000 PLN"``, ``"€450"``, ``"129,00 zł"``, ``"1,800 EUR"``.

    A single ``,`` followed by exactly three digits groups thousands (``1,800``); otherwise a
    ``,`` is a decimal comma (``129,00``). A single ``.`` is always a decimal point.
    """
    if not isinstance(text, str):
        raise ValueProblem(
            f"{text!r} is not an amount of money", f'write it with a currency, e.g. "{text} EUR"'
        )
    m = _MONEY_RE.match(text)
    if not m:
        raise ValueProblem(f"'{text}' is not an amount of money", f"expected {MONEY_EXPECTED}")
    pre, post = m.group("pre"), m.group("post")
    if pre and post:
        raise ValueProblem(f"'{text}' names its currency twice", 'write it once, e.g. "450 EUR"')
    symbol = pre or post
    if not symbol:
        raise ValueProblem(f"'{text}' has no currency", f'write it, e.g. "{text.strip()} EUR"')
    currency = CURRENCY_ALIASES.get(symbol, symbol)
    amount = _amount(m.group("num"), text)
    if m.group("sign"):
        amount = -amount
    return Money(amount, currency)


def _amount(num: str, text: str) -> Decimal:
    digits = re.sub(r"[\s\u00a0\u202f']", "", num)
    bad = ValueProblem(
        f"'{text}' is not a readable amount", 'write e.g. "1800", "1800.50" or "1,800"'
    )
    if "," in digits and "." in digits:
        cut = max(digits.rfind(","), digits.rfind("."))
        thousands = "." if digits[cut] == "," else ","
        whole, frac = digits[:cut], digits[cut + 1 :]
        groups = whole.split(thousands)
        if not _is_grouped(groups) or not frac.isdigit():
            raise bad
        digits = "".join(groups) + "." + frac
    elif "," in digits or "." in digits:
        sep = "," if "," in digits else "."
        groups = digits.split(sep)
        if len(groups) == 2 and not (sep == "," and len(groups[1]) == 3):
            if not (groups[0].isdigit() and groups[1].isdigit()):
                raise bad
            digits = groups[0] + "." + groups[1]
        elif _is_grouped(groups):
            digits = "".join(groups)
        else:
            raise bad
    try:
        return Decimal(digits)
    except InvalidOperation:
        raise bad from None


def _is_grouped(groups: list[str]) -> bool:
    first, rest = groups[0], groups[1:]
    return (
        first.isdigit() and 1 <= len(first) <= 3 and all(len(g) == 3 and g.isdigit() for g in rest)
    ) or (len(groups) == 1 and first.isdigit())


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------


def scenario_schema() -> dict[str, Any]:
    """The published JSON Schema of a whole scenario (also the JSON Lines header line)."""
    return load_schema("scenario")


def ticket_schema() -> dict[str, Any]:
    """The published JSON Schema of one ticket record (one JSON Lines line)."""
    return load_schema("ticket")

"""What the money stage produces: invoices with explained lines, credits, diagnostics.

Everything here is immutable and JSON-ready through ``to_dict()`` (Decimal amounts as
strings, so no precision is lost and no float ever touches money). An invoice's net, VAT
and gross are derived from its lines, so "net = sum of the rounded lines" holds by
construction rather than by discipline.

An invoice may hold a :class:`LineGroup` among its entries: lines kept in a compact form
and built each time they are read. The money stage keeps the work sessions of a period
that way (a few numbers per session instead of a few objects with their texts), so a
replay of millions of tickets does not hold millions of explained lines nobody reads.
``Invoice.lines`` always gives plain :class:`InvoiceLine` objects, in order.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from attrs import field, frozen

from tierwise.engine.errors import Diagnostic, SourceSpan
from tierwise.engine.quantities import Money, Percent, format_seconds, minor_unit


class LineKind(enum.Enum):
    """What produced an invoice line."""

    FEE = "fee"
    MINIMUM_TERM = "minimum term"
    WORK = "work"
    DRAW = "balance draw"
    PACK = "pack"
    ALLOWANCE = "allowance"
    CREDIT = "credit"
    CARRIED_FORWARD = "carried forward"


@frozen
class BalanceDraw:
    """Minutes taken from one hour balance for one session (an invoice line of 0 money)."""

    balance: str  # e.g. "included 2h 2026-03"
    seconds: int  # drawn
    remaining_seconds: int  # left in that balance after the draw
    expires: dt.datetime | None  # None: never

    def to_dict(self) -> dict[str, Any]:
        return {
            "balance": self.balance,
            "seconds": self.seconds,
            "drawn": format_seconds(self.seconds),
            "remaining_seconds": self.remaining_seconds,
            "remaining": format_seconds(self.remaining_seconds),
            "expires": None if self.expires is None else self.expires.isoformat(),
        }


@frozen
class InvoiceLine:
    """One explained line: the rule (file:line) that produced it and how it was computed."""

    kind: LineKind
    text: str
    amount: Money  # already rounded half-up to the currency's minor unit
    how: str = ""
    rule: SourceSpan | None = None
    ticket: str | None = None
    at: dt.datetime | None = None
    draw: BalanceDraw | None = None
    flags: tuple[str, ...] = ()  # e.g. ("from price",)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "text": self.text,
            "amount": str(self.amount.amount),
            "currency": self.amount.currency,
            "how": self.how,
            "rule": _span_text(self.rule),
        }
        if self.ticket is not None:
            out["ticket"] = self.ticket
        if self.at is not None:
            out["at"] = self.at.isoformat()
        if self.draw is not None:
            out["draw"] = self.draw.to_dict()
        if self.flags:
            out["flags"] = list(self.flags)
        return out


class LineGroup(Protocol):
    """Invoice lines kept compactly and built when read (see the module's docstring)."""

    @property
    def total(self) -> Money:
        """The sum of the lines' amounts, known without building them."""
        ...

    def lines(self) -> Iterator[InvoiceLine]:
        """The lines, built anew on each call."""
        ...


@frozen(slots=False)  # a dict-backed frozen class builds ~2x faster than a slotted one
class Invoice:
    """One customer's invoice for one billing period (net, VAT and gross derive from lines).

    ``entries`` are the lines in order, some of them grouped (:class:`LineGroup`);
    ``lines`` expands the groups, on each read.
    """

    customer: str
    plan: str  # the plan in force at the period's start
    period: str  # "2026-03", "2026-Q1" or "2026"
    start: dt.datetime  # local midnight in the plan's zone
    end: dt.datetime  # exclusive
    currency: str
    entries: tuple[InvoiceLine | LineGroup, ...]
    vat_rate: Percent
    vat_rule: SourceSpan | None = None
    carried_forward: Money | None = None  # credit left over for later invoices

    @property
    def lines(self) -> tuple[InvoiceLine, ...]:
        """Every line, in order (built on each read: keep the tuple when reading it often)."""
        out: list[InvoiceLine] = []
        for entry in self.entries:
            if isinstance(entry, InvoiceLine):
                out.append(entry)
            else:
                out.extend(entry.lines())
        return tuple(out)

    @property
    def net(self) -> Money:
        return sum_money((entry.amount if isinstance(entry, InvoiceLine) else entry.total
                          for entry in self.entries), self.currency)

    @property
    def vat(self) -> Money:
        """VAT on the period's net total, rounded half-up (SPEC 3.3)."""
        return self.vat_rate.of(self.net).rounded()

    @property
    def gross(self) -> Money:
        return self.net + self.vat

    def lines_of(self, kind: LineKind) -> tuple[InvoiceLine, ...]:
        return tuple(line for line in self.lines if line.kind is kind)

    def total_of(self, kind: LineKind) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines_of(kind):
            total = total + line.amount
        return total

    def to_dict(self) -> dict[str, Any]:
        net = self.net
        vat = self.vat_rate.of(net).rounded()
        return {
            "customer": self.customer,
            "plan": self.plan,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "net": str(net.amount),
            "vat_rate": str(self.vat_rate.value),
            "vat_rule": _span_text(self.vat_rule),
            "vat": str(vat.amount),
            "gross": str((net + vat).amount),
            "carried_forward": (
                None if self.carried_forward is None else str(self.carried_forward.amount)
            ),
        }


class CreditStatus(enum.Enum):
    """Where a credit stands at ``as_of``."""

    APPLIED = "applied"  # on an invoice (money), or added to the balances (free hours)
    OWED = "owed"  # granted, but the invoice that will show it is after as_of
    UNCLAIMED = "eligible, unclaimed"  # needs a claim inside the window, still open
    EXPIRED = "lapsed, unclaimed"  # the claim window closed by as_of without a claim
    PROVISIONAL = "provisional"  # the credited period has not ended at as_of
    SUPPRESSED = "suppressed"  # a sole-remedy aggregate credit fired for the period


#: Credits the vendor may still have to pay: ``credits_outstanding`` in the totals.
OUTSTANDING = frozenset({CreditStatus.OWED, CreditStatus.UNCLAIMED, CreditStatus.PROVISIONAL})


@frozen
class CreditRecord:
    """One credit: a per-incident remedy or one aggregate credit of one period."""

    customer: str
    name: str  # the AggregateCredit's name, or "missed guarantee"
    scope: str  # "incident" or "aggregate"
    period: str  # the credited period
    status: CreditStatus
    amount: Money | None = None  # money value after the cap (None for free hours)
    seconds: int = 0  # free hours granted
    uncapped: Money | None = None  # before the cap, when a cap applied
    capped: bool = False
    claim_by: dt.date | None = None  # last day of the claim window
    claimed_at: dt.datetime | None = None
    invoice_period: str | None = None  # where it was (or will be) applied
    ticket: str | None = None
    how: str = ""
    rule: SourceSpan | None = None

    @property
    def status_text(self) -> str:
        """E.g. ``eligible, unclaimed, claim by 2026-04-30``, ``lapsed, unclaimed: claim
        window closed on 2026-04-30`` or ``applied, capped``; a running period's credit also
        says by when to claim it."""
        text = self.status.value
        waiting = (CreditStatus.UNCLAIMED, CreditStatus.PROVISIONAL)
        if self.status in waiting and self.claim_by is not None and self.claimed_at is None:
            text += f", claim by {self.claim_by.isoformat()}"
        elif self.status is CreditStatus.EXPIRED and self.claim_by is not None:
            text += f": claim window closed on {self.claim_by.isoformat()}"
        if self.capped:
            text += ", capped"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "name": self.name,
            "scope": self.scope,
            "period": self.period,
            "status": self.status.value,
            "status_text": self.status_text,
            "amount": None if self.amount is None else str(self.amount.amount),
            "currency": None if self.amount is None else self.amount.currency,
            "seconds": self.seconds,
            "uncapped": None if self.uncapped is None else str(self.uncapped.amount),
            "capped": self.capped,
            "claim_by": None if self.claim_by is None else self.claim_by.isoformat(),
            "claimed_at": None if self.claimed_at is None else self.claimed_at.isoformat(),
            "invoice_period": self.invoice_period,
            "ticket": self.ticket,
            "how": self.how,
            "rule": _span_text(self.rule),
        }


@frozen
class MoneyResult:
    """Everything the money stage computed for one scenario."""

    invoices: tuple[Invoice, ...]
    credits: tuple[CreditRecord, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(factory=tuple)

    def invoice(self, customer: str, period: str) -> Invoice:
        """The invoice of one customer and period (KeyError when there is none)."""
        for inv in self.invoices:
            if inv.customer == customer and inv.period == period:
                return inv
        raise KeyError(f"no invoice for {customer} {period}")

    def invoices_of(self, customer: str) -> tuple[Invoice, ...]:
        return tuple(inv for inv in self.invoices if inv.customer == customer)

    def credits_of(self, customer: str) -> tuple[CreditRecord, ...]:
        return tuple(c for c in self.credits if c.customer == customer)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def revenue(self) -> dict[str, Decimal]:
        """Net invoiced per currency (credits included), for summaries."""
        out: dict[str, Decimal] = {}
        for inv in self.invoices:
            out[inv.currency] = out.get(inv.currency, Decimal(0)) + inv.net.amount
        return out

    def totals(self) -> dict[str, dict[str, str]]:
        """Per currency: net, VAT, gross invoiced, credits applied and credits not yet paid
        (owed, unclaimed with the window still open, provisional), as strings — for
        summaries and ``compare``. A lapsed credit is owed nothing, so it is not outstanding."""
        out: dict[str, dict[str, Decimal]] = {}

        def bucket(currency: str) -> dict[str, Decimal]:
            zero = Decimal(0)
            return out.setdefault(currency, {"net": zero, "vat": zero, "gross": zero,
                                             "credits_applied": zero,
                                             "credits_outstanding": zero})

        for inv in self.invoices:
            b = bucket(inv.currency)
            b["net"] += inv.net.amount
            b["vat"] += inv.vat.amount
            b["gross"] += inv.gross.amount
            b["credits_applied"] -= inv.total_of(LineKind.CREDIT).amount
        for credit in self.credits:
            if credit.amount is not None and credit.status in OUTSTANDING:
                bucket(credit.amount.currency)["credits_outstanding"] += credit.amount.amount
        return {cur: {k: str(Money(v, cur).rounded().amount) for k, v in b.items()}
                for cur, b in sorted(out.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "totals": self.totals(),
            "invoices": [inv.to_dict() for inv in self.invoices],
            "credits": [c.to_dict() for c in self.credits],
            "warnings": [_diag_dict(d) for d in self.diagnostics],
        }


def _span_text(span: SourceSpan | None) -> str | None:
    if span is None or span.line <= 0:
        return None
    return f"{span.file}:{span.line}"


def _diag_dict(diag: Diagnostic) -> dict[str, Any]:
    return {
        "severity": diag.severity,
        "message": diag.message,
        "where": None if diag.span is None else str(diag.span),
        "hint": diag.hint,
    }


def money_text(value: Money) -> str:
    """Money as every line text and explanation shows it: the amount with the currency's
    minor unit and the code ("450.00 EUR", "82.50 PLN", "1000 JPY"), so that figures can be
    compared at a glance. A price finer than the minor unit (a rate of 0.125 EUR/h) keeps
    its digits: the explanation must not hide what the arithmetic used."""
    amount = value.amount
    shown = amount.quantize(minor_unit(value.currency), ROUND_HALF_UP)
    if shown != amount:
        shown = amount.normalize()
    return f"{shown:f} {value.currency}"


def count_text(count: int, noun: str) -> str:
    """``1 ticket``, ``2 tickets``, ``1 remaining period``: English plurals for the nouns
    the money texts use (all regular)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of amounts in one currency (zero for none)."""
    total = Decimal(0)
    for money in amounts:
        if money.currency != currency:
            raise ValueError(f"cannot combine {currency} and {money.currency}")
        total += money.amount
    return Money(total, currency)


def check_currency(amounts: Iterable[Money], currency: str) -> None:
    """Raise as :func:`sum_money` would if the amounts are not all in ``currency``."""
    for money in amounts:
        if money.currency != currency:
            raise ValueError(f"cannot combine {currency} and {money.currency}")


# --------------------------------------------------------------------------- JSON Schemas
# The shapes of ``Invoice.to_dict()`` and ``CreditRecord.to_dict()`` (draft 2020-12), for the
# published result schema, which leaves invoice and credit items to the money stage.

_DECIMAL: dict[str, Any] = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
_NULLABLE_DECIMAL: dict[str, Any] = {"anyOf": [_DECIMAL, {"type": "null"}]}
_RULE: dict[str, Any] = {"type": ["string", "null"], "description": "file:line of the rule"}
_INSTANT: dict[str, Any] = {"type": "string", "format": "date-time"}

LINE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "text", "amount", "currency", "how", "rule"],
    "properties": {
        "kind": {"enum": [k.value for k in LineKind]},
        "text": {"type": "string"},
        "amount": _DECIMAL,
        "currency": {"type": "string"},
        "how": {"type": "string"},
        "rule": _RULE,
        "ticket": {"type": "string"},
        "at": _INSTANT,
        "draw": {
            "type": "object",
            "required": ["balance", "seconds", "remaining_seconds", "expires"],
            "properties": {
                "balance": {"type": "string"},
                "seconds": {"type": "integer", "minimum": 0},
                "drawn": {"type": "string"},
                "remaining_seconds": {"type": "integer", "minimum": 0},
                "remaining": {"type": "string"},
                "expires": {"anyOf": [_INSTANT, {"type": "null"}]},
            },
        },
        "flags": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}

INVOICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["customer", "plan", "period", "start", "end", "currency", "lines", "net",
                 "vat_rate", "vat", "gross", "carried_forward"],
    "properties": {
        "customer": {"type": "string"},
        "plan": {"type": "string"},
        "period": {"type": "string", "pattern": r"^\d{4}(-\d{2}|-Q[1-4])?$"},
        "start": _INSTANT,
        "end": _INSTANT,
        "currency": {"type": "string"},
        "lines": {"type": "array", "items": LINE_SCHEMA},
        "net": _DECIMAL,
        "vat_rate": _DECIMAL,
        "vat_rule": _RULE,
        "vat": _DECIMAL,
        "gross": _DECIMAL,
        "carried_forward": _NULLABLE_DECIMAL,
    },
    "additionalProperties": False,
}

CREDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["customer", "name", "scope", "period", "status", "status_text", "amount",
                 "seconds", "capped"],
    "properties": {
        "customer": {"type": "string"},
        "name": {"type": "string"},
        "scope": {"enum": ["incident", "aggregate"]},
        "period": {"type": "string"},
        "status": {"enum": [s.value for s in CreditStatus]},
        "status_text": {"type": "string"},
        "amount": _NULLABLE_DECIMAL,
        "currency": {"type": ["string", "null"]},
        "seconds": {"type": "integer", "minimum": 0},
        "uncapped": _NULLABLE_DECIMAL,
        "capped": {"type": "boolean"},
        "claim_by": {"type": ["string", "null"], "format": "date"},
        "claimed_at": {"anyOf": [_INSTANT, {"type": "null"}]},
        "invoice_period": {"type": ["string", "null"]},
        "ticket": {"type": ["string", "null"]},
        "how": {"type": "string"},
        "rule": _RULE,
    },
    "additionalProperties": False,
}

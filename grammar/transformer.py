"""Lark parse tree -> AST (grammar/ast.py), one method per grammar rule.

Each method receives the rule's children (named tokens and already transformed
sub-rules; tokens whose terminal starts with "_" were dropped by Lark) and Lark's ``meta``
with the rule's position. Nothing here judges what the author wrote beyond its shape:
values keep their units, names stay text, and the compiler validates. The only values
settled here are the ones whose meaning the unit alone fixes (``4 business hours`` is a
business duration of 14400 s).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from attrs import frozen
from lark import Token, Transformer, v_args
from lark.tree import Meta

from tierwise.engine.errors import SourceSpan
from tierwise.engine.quantities import CURRENCY_ALIASES
from tierwise.grammar import ast

T = TypeVar("T")

#: Seconds per time unit word (singular, plural and short forms).
TIME_UNITS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
}
DAY_UNITS: dict[str, int] = {"day": 1, "days": 1, "week": 7, "weeks": 7}
MONTH_UNITS: dict[str, int] = {"month": 1, "months": 1, "quarter": 3, "quarters": 3,
                               "year": 12, "years": 12}

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_COMPACT_PART = re.compile(r"(\d+)(h|min|s)")


def parse_number(text: str) -> Decimal:
    """``1,800`` -> 1800, ``129,00`` -> 129.00, ``1 800,00`` -> 1800.00, ``12.5`` -> 12.5."""
    compact = text.replace(" ", "").replace("\u00a0", "")
    if _THOUSANDS.fullmatch(compact):
        compact = compact.replace(",", "")
    else:
        compact = compact.replace(",", ".")
    try:
        return Decimal(compact)
    except InvalidOperation:  # pragma: no cover - the NUMBER terminal admits only numbers
        return Decimal(0)


def _iso(currency: str) -> str:
    """``€`` -> ``EUR``, ``zł`` -> ``PLN``; ISO codes stay."""
    return CURRENCY_ALIASES.get(str(currency), str(currency))


def unescape(token: str) -> str:
    r"""The text of a STRING token: quotes removed, ``\"`` and ``\\`` resolved."""
    return re.sub(r"\\(.)", r"\1", token[1:-1])


@frozen
class _Billing:
    increment: ast.Value
    out_of_hours: ast.Value | None


@frozen
class _Wrapped:
    """A sub-rule result that its parent unpacks (rollover, validity, expiry, group_by)."""

    kind: str
    value: Any


class PlanTransformer(Transformer[Token, ast.PlanFile]):
    """Builds the AST of one file; ``file`` goes into every span."""

    def __init__(self, file: str) -> None:
        super().__init__(visit_tokens=False)
        self.file = file

    # ------------------------------------------------------------------ helpers

    def _span(self, meta: Meta, children: Sequence[object] = ()) -> SourceSpan:
        """The rule's span from Lark's meta (end inclusive), or its first child's."""
        if not meta.empty:
            return SourceSpan(self.file, meta.line, meta.column, meta.end_line,
                              max(1, meta.end_column - 1))
        for child in children:  # pragma: no cover - every rule consumes a token
            span = getattr(child, "span", None)
            if isinstance(span, SourceSpan):
                return span
            if isinstance(child, Token):
                return self._tok_span(child)
        return SourceSpan.unknown(self.file)  # pragma: no cover

    def _tok_span(self, tok: Token) -> SourceSpan:
        line = tok.line or 0
        column = tok.column or 0
        end_line = tok.end_line or line
        end_column = (tok.end_column or column + len(tok)) - 1
        return SourceSpan(self.file, line, column, end_line, end_column)

    def _ident(self, tok: Token) -> ast.Ident:
        text = unescape(tok) if tok.type == "STRING" else str(tok)
        return ast.Ident(text, self._tok_span(tok))

    @staticmethod
    def _of(children: Sequence[object], kind: type[T]) -> list[T]:
        return [c for c in children if isinstance(c, kind)]

    @staticmethod
    def _first(children: Sequence[object], kind: type[T]) -> T | None:
        for c in children:
            if isinstance(c, kind):
                return c
        return None

    @staticmethod
    def _tokens(children: Sequence[object], *types: str) -> list[Token]:
        return [c for c in children if isinstance(c, Token) and c.type in types]

    @staticmethod
    def _wrapped(children: Sequence[object], kind: str) -> Any:
        for c in children:
            if isinstance(c, _Wrapped) and c.kind == kind:
                return c.value
        return None

    # ================================================================== file

    @v_args(meta=True)
    def start(self, meta: Meta, children: list[Any]) -> ast.PlanFile:
        """``start: _NL? _definition*``"""
        defs = tuple(c for c in children if isinstance(c, ast.CalendarDef | ast.PlanDef))
        return ast.PlanFile(self.file, defs, self._span(meta, defs))

    @v_args(meta=True)
    def calendar_def(self, meta: Meta, children: list[Any]) -> ast.CalendarDef:
        """``calendar_def: _CALENDAR NAME _LBRACE _NL? (_calendar_clause _NL)* RBRACE _NL``"""
        name = self._ident(children[0])
        clauses = tuple(c for c in children[1:] if not isinstance(c, Token))
        return ast.CalendarDef(name, clauses, self._block_span(meta, children))

    def _block_span(self, meta: Meta, children: list[Any]) -> SourceSpan:
        """A block runs from its keyword to its closing brace (not the newline after it)."""
        span = self._span(meta, children)
        braces = self._tokens(children, "RBRACE")
        if braces:
            end = self._tok_span(braces[-1])
            return SourceSpan(span.file, span.line, span.column, end.end_line, end.end_column)
        return span  # pragma: no cover

    # ================================================================== values

    @v_args(meta=True)
    def bare_number(self, meta: Meta, children: list[Token]) -> ast.BareNumber:
        """``value: NUMBER -> bare_number`` (an error wherever a unit is meant)."""
        (number,) = children
        return ast.BareNumber(parse_number(number), str(number), self._span(meta, children))

    @v_args(meta=True)
    def number_unit(self, meta: Meta, children: list[Token]) -> ast.Value:
        """``value: NUMBER UNIT -> number_unit``: ``30 min``, ``2 days``, ``3 months``."""
        number, unit = children
        return self._with_unit(parse_number(number), str(unit), None, meta, children)

    @v_args(meta=True)
    def business_number(self, meta: Meta, children: list[Token]) -> ast.Value:
        """``value: NUMBER _BUSINESS UNIT -> business_number``: ``4 business hours``."""
        number, unit = children
        return self._with_unit(parse_number(number), str(unit), "business", meta, children)

    @v_args(meta=True)
    def calendar_number(self, meta: Meta, children: list[Token]) -> ast.Value:
        """``value: NUMBER _CALENDAR UNIT -> calendar_number``: ``5 calendar days``."""
        number, unit = children
        return self._with_unit(parse_number(number), str(unit), "calendar", meta, children)

    def _with_unit(self, number: Decimal, unit: str,
                   qualifier: Literal["business", "calendar"] | None,
                   meta: Meta, children: list[Token]) -> ast.Value:
        span = self._span(meta, children)
        text = " ".join(str(c) for c in children) if qualifier is None else (
            f"{children[0]} {qualifier} {children[1]}"
        )
        if unit in TIME_UNITS:
            return ast.Duration(number * TIME_UNITS[unit], qualifier == "business", text, span)
        if unit in DAY_UNITS:
            if qualifier == "business" and DAY_UNITS[unit] != 1:
                return ast.BadValue("'business' goes with hours, minutes or days, not weeks",
                                    f"write {number * 5} business days", text, span)
            return ast.Days(number * DAY_UNITS[unit], qualifier == "business", text, span)
        if qualifier == "business":
            return ast.BadValue(f"'business' goes with hours, minutes or days, not {unit}",
                                "write a number of business days, e.g. `20 business days`",
                                text, span)
        return ast.Months(number * MONTH_UNITS[unit], text, span)

    @v_args(meta=True)
    def compact_duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        """``value: DURATION -> compact_duration``: ``4h``, ``30min``, ``1h30min``."""
        (tok,) = children
        seconds = sum(int(n) * TIME_UNITS[u] for n, u in _COMPACT_PART.findall(tok))
        return ast.Duration(Decimal(seconds), False, str(tok), self._span(meta, children))

    @v_args(meta=True)
    def money_after(self, meta: Meta, children: list[Token]) -> ast.MoneyAmount:
        """``value: NUMBER CURRENCY -> money_after``: ``450 EUR``, ``129,00 zł``."""
        number, currency = children
        return ast.MoneyAmount(parse_number(number), _iso(currency), f"{number} {currency}",
                               self._span(meta, children))

    @v_args(meta=True)
    def money_before(self, meta: Meta, children: list[Token]) -> ast.MoneyAmount:
        """``value: CURRENCY NUMBER -> money_before``: ``€450``, ``$20``."""
        currency, number = children
        return ast.MoneyAmount(parse_number(number), _iso(currency), f"{currency}{number}",
                               self._span(meta, children))

    @v_args(meta=True)
    def percent(self, meta: Meta, children: list[Token]) -> ast.PercentAmount:
        """``value: PERCENT -> percent``: ``23%``, ``+100%``, ``12.5%``."""
        (tok,) = children
        number = parse_number(tok.rstrip("%").strip().lstrip("+"))
        return ast.PercentAmount(number, str(tok), self._span(meta, children))

    # ================================================================== calendars

    @v_args(meta=True)
    def zone_clause(self, meta: Meta, children: list[Token]) -> ast.ZoneClause:
        """``zone_clause: _ZONE (ZONE_NAME | STRING)``"""
        (tok,) = children
        zone = unescape(tok) if tok.type == "STRING" else str(tok)
        return ast.ZoneClause(zone, self._span(meta, children))

    @v_args(meta=True)
    def open_always(self, meta: Meta, children: list[Token]) -> ast.OpenClause:
        """``open_clause: _OPEN ALWAYS_OPEN -> open_always``"""
        return ast.OpenClause((), (), True, self._span(meta, children))

    @v_args(meta=True)
    def open_weekly(self, meta: Meta, children: list[Any]) -> ast.OpenClause:
        """``open_clause: _OPEN _days _windows -> open_weekly``"""
        days = tuple(self._of(children, ast.DayRange))
        windows = tuple(self._of(children, ast.Window))
        return ast.OpenClause(days, windows, False, self._span(meta, children))

    @v_args(meta=True)
    def day_range(self, meta: Meta, children: list[Token]) -> ast.DayRange:
        """``day_range: NAME | NAME _DASH NAME``; ``mon-fri`` is one NAME, split here."""
        span = self._span(meta, children)
        if len(children) == 2:
            return ast.DayRange(str(children[0]), str(children[1]), span)
        first, _, last = str(children[0]).partition("-")
        return ast.DayRange(first, last or None, span)

    @v_args(meta=True)
    def window(self, meta: Meta, children: list[Token]) -> ast.Window:
        """``window: TIME _DASH TIME``"""
        start, end = (self._clock(t) for t in children)
        return ast.Window(start, end, self._span(meta, children))

    def _clock(self, tok: Token) -> ast.ClockTime:
        hour, minute = (int(part) for part in tok.split(":"))
        return ast.ClockTime(hour, minute, self._tok_span(tok))

    @v_args(meta=True)
    def holidays_clause(self, meta: Meta, children: list[Token]) -> ast.HolidaysClause:
        """``holidays_clause: _HOLIDAYS _names``"""
        codes = tuple(self._ident(t) for t in children)
        return ast.HolidaysClause(codes, self._span(meta, children))

    @v_args(meta=True)
    def closed_clause(self, meta: Meta, children: list[Any]) -> ast.ClosedClause:
        """``closed_clause: CLOSED _date_ranges``"""
        ranges = tuple(self._of(children, ast.DateRange))
        return ast.ClosedClause(ranges, self._span(meta, children))

    @v_args(meta=True)
    def date_range(self, meta: Meta, children: list[Token]) -> ast.DateRange:
        """``date_range: DATE (_DOTDOT DATE)?``"""
        dates = [ast.DateLit(str(t), self._tok_span(t)) for t in children]
        return ast.DateRange(dates[0], dates[1] if len(dates) > 1 else None,
                             self._span(meta, children))

    @v_args(meta=True)
    def special_hours(self, meta: Meta, children: list[Any]) -> ast.SpecialClause:
        """``special_clause: _SPECIAL DATE _windows -> special_hours``"""
        date = ast.DateLit(str(children[0]), self._tok_span(children[0]))
        windows = tuple(self._of(children, ast.Window))
        return ast.SpecialClause(date, windows, self._span(meta, children))

    @v_args(meta=True)
    def special_closed(self, meta: Meta, children: list[Token]) -> ast.SpecialClause:
        """``special_clause: _SPECIAL DATE CLOSED -> special_closed``"""
        date = ast.DateLit(str(children[0]), self._tok_span(children[0]))
        return ast.SpecialClause(date, (), self._span(meta, children))

    # ================================================================== plans

    @v_args(meta=True)
    def plan_def(self, meta: Meta, children: list[Any]) -> ast.PlanDef:
        """``plan_def: _PLAN plan_name (_EXTENDS plan_name)? _LBRACE _NL? (_plan_clause _NL)*
        RBRACE _NL``"""
        names = self._of(children, ast.Ident)
        clauses = tuple(c for c in children if not isinstance(c, ast.Ident | Token))
        return ast.PlanDef(names[0], names[1] if len(names) > 1 else None, clauses,
                           self._block_span(meta, children))

    def plan_name(self, children: list[Token]) -> ast.Ident:
        """``plan_name: NAME | STRING``"""
        return self._ident(children[0])

    @v_args(meta=True)
    def title_clause(self, meta: Meta, children: list[Token]) -> ast.TitleClause:
        """``title_clause: _TITLE STRING``"""
        (tok,) = children
        return ast.TitleClause(ast.Text(unescape(tok), self._tok_span(tok)),
                               self._span(meta, children))

    @v_args(meta=True)
    def calendar_clause(self, meta: Meta, children: list[Token]) -> ast.CalendarRef:
        """``calendar_clause: _CALENDAR NAME``"""
        return ast.CalendarRef(self._ident(children[0]), self._span(meta, children))

    @v_args(meta=True)
    def priorities_clause(self, meta: Meta, children: list[Token]) -> ast.PrioritiesClause:
        """``priorities_clause: _PRIORITIES _names``"""
        return ast.PrioritiesClause(tuple(self._ident(t) for t in children),
                                    self._span(meta, children))

    @v_args(meta=True)
    def channels_clause(self, meta: Meta, children: list[Token]) -> ast.ChannelsClause:
        """``channels_clause: _CHANNELS _names``"""
        return ast.ChannelsClause(tuple(self._ident(t) for t in children),
                                  self._span(meta, children))

    @v_args(meta=True)
    def currency_clause(self, meta: Meta, children: list[Token]) -> ast.CurrencyClause:
        """``currency_clause: _CURRENCY_KW CURRENCY``"""
        return ast.CurrencyClause(_iso(children[0]), self._span(meta, children))

    @v_args(meta=True)
    def vat_clause(self, meta: Meta, children: list[ast.Value]) -> ast.VatClause:
        """``vat_clause: _VAT value``"""
        return ast.VatClause(children[0], self._span(meta, children))

    @v_args(meta=True)
    def minimum_term_clause(self, meta: Meta, children: list[ast.Value]) -> ast.MinimumTermClause:
        """``minimum_term_clause: _MINIMUM_TERM value``"""
        return ast.MinimumTermClause(children[0], self._span(meta, children))

    @v_args(meta=True)
    def changes_next_period(self, meta: Meta, children: list[Any]) -> ast.PlanChangesClause:
        """``plan_changes_clause: _PLAN_CHANGES _TAKE_EFFECT_NEXT_PERIOD``"""
        return ast.PlanChangesClause("next period", self._span(meta, children))

    @v_args(meta=True)
    def changes_prorated(self, meta: Meta, children: list[Any]) -> ast.PlanChangesClause:
        """``plan_changes_clause: _PLAN_CHANGES _PRORATED``"""
        return ast.PlanChangesClause("prorated", self._span(meta, children))

    @v_args(meta=True)
    def changes_immediately(self, meta: Meta, children: list[Any]) -> ast.PlanChangesClause:
        """``plan_changes_clause: _PLAN_CHANGES _TAKE_EFFECT_IMMEDIATELY``"""
        return ast.PlanChangesClause("immediate", self._span(meta, children))

    @v_args(meta=True)
    def subscription_required(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_clause: _SUBSCRIPTION_REQUIRED``"""
        return ast.FlagClause("subscription required", True, self._span(meta, children))

    @v_args(meta=True)
    def requests_in_hours_only(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_clause: _REQUESTS_IN_SUPPORT_HOURS_ONLY``"""
        return ast.FlagClause("requests in support hours only", True, self._span(meta, children))

    @v_args(meta=True)
    def queue_earliest_deadline_first(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_clause: _QUEUE_EARLIEST_DEADLINE_FIRST``"""
        return ast.FlagClause("queue earliest deadline first", True, self._span(meta, children))

    @v_args(meta=True)
    def refunds_paid_out(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_clause: _REFUNDS_PAID_OUT``"""
        return ast.FlagClause("refunds paid out", True, self._span(meta, children))

    # ================================================================== conditions

    @v_args(meta=True)
    def condition(self, meta: Meta, children: list[ast.Test]) -> ast.ConditionNode:
        """``condition: _WHEN _tests`` with ``_tests: test | _tests _AND test``"""
        return ast.ConditionNode(tuple(children), self._span(meta, children))

    def _test(self, meta: Meta, children: list[ast.Ident], negated: bool) -> ast.Test:
        attribute, *values = children
        return ast.Test(attribute, tuple(values), negated, self._span(meta, children))

    @v_args(meta=True)
    def test_is(self, meta: Meta, children: list[ast.Ident]) -> ast.Test:
        """``test: attribute _IS test_value -> test_is``"""
        return self._test(meta, children, negated=False)

    @v_args(meta=True)
    def test_is_not(self, meta: Meta, children: list[ast.Ident]) -> ast.Test:
        """``test: attribute _IS_NOT test_value -> test_is_not``"""
        return self._test(meta, children, negated=True)

    @v_args(meta=True)
    def test_in(self, meta: Meta, children: list[ast.Ident]) -> ast.Test:
        """``test: attribute _IN _LSQB _test_values _RSQB -> test_in``"""
        return self._test(meta, children, negated=False)

    @v_args(meta=True)
    def test_not_in(self, meta: Meta, children: list[ast.Ident]) -> ast.Test:
        """``test: attribute _NOT_IN _LSQB _test_values _RSQB -> test_not_in``"""
        return self._test(meta, children, negated=True)

    def attribute(self, children: list[Token]) -> ast.Ident:
        """``attribute: NAME -> attribute``"""
        return self._ident(children[0])

    def field_attribute(self, children: list[Token]) -> ast.Ident:
        """``attribute: _FIELD (NAME | STRING) -> field_attribute``: kept as ``field:NAME``."""
        name = self._ident(children[0])
        return ast.Ident(f"field:{name.text}", name.span)

    def test_value(self, children: list[Token]) -> ast.Ident:
        """``test_value: NAME | STRING``"""
        return self._ident(children[0])

    def reason(self, children: list[Token]) -> ast.Text:
        """``reason: _BECAUSE STRING``"""
        return ast.Text(unescape(children[0]), self._tok_span(children[0]))

    # ================================================================== targets

    @v_args(meta=True)
    def target_clause(self, meta: Meta, children: list[Any]) -> ast.TargetClause:
        """``target_clause: commitment? metric target_time _target_tail*``"""
        commitment = self._first(children, str) or "guaranteed"
        metric = self._first(children, ast.Metric)
        time = self._first(children, ast.TargetTimeNode)
        assert metric is not None and time is not None
        return ast.TargetClause(
            commitment,  # type: ignore[arg-type]
            metric,
            time,
            tuple(self._of(children, ast.PauseOption)),
            tuple(self._of(children, ast.UsingCalendar)),
            tuple(self._of(children, ast.ConditionNode)),
            self._span(meta, children),
        )

    def commitment(self, children: list[Token]) -> str:
        """``commitment: BEST_EFFORT | AVERAGE``"""
        return "best effort" if children[0].type == "BEST_EFFORT" else "average"

    @v_args(meta=True)
    def metric(self, meta: Meta, children: list[Token]) -> ast.Metric:
        """``metric: RESPONSE | RESOLUTION | NEXT_REPLY | UPDATE``"""
        names: dict[str, ast.MetricName] = {
            "RESPONSE": "response", "RESOLUTION": "resolution",
            "NEXT_REPLY": "next reply", "UPDATE": "update",
        }
        return ast.Metric(names[children[0].type], self._span(meta, children))

    @v_args(meta=True)
    def target_time(self, meta: Meta, children: list[Any]) -> ast.TargetTimeNode:
        """``target_time: WITHIN value | EVERY value | END_OF_NEXT_BUSINESS_DAY``"""
        span = self._span(meta, children)
        kind = children[0].type
        if kind == "END_OF_NEXT_BUSINESS_DAY":
            return ast.TargetTimeNode("end of next business day", None, span)
        return ast.TargetTimeNode("within" if kind == "WITHIN" else "every", children[1], span)

    @v_args(meta=True)
    def pause_option(self, meta: Meta, children: list[Token]) -> ast.PauseOption:
        """``pause_option: PAUSED_WHILE_WAITING | NOT_PAUSED``"""
        return ast.PauseOption(children[0].type == "PAUSED_WHILE_WAITING",
                               self._span(meta, children))

    @v_args(meta=True)
    def using_calendar(self, meta: Meta, children: list[Token]) -> ast.UsingCalendar:
        """``using_calendar: _USING_CALENDAR NAME``"""
        return ast.UsingCalendar(self._ident(children[0]), self._span(meta, children))

    # ================================================================== eligibility

    @v_args(meta=True)
    def coverage_clause(self, meta: Meta, children: list[Any]) -> ast.CoverageClause:
        """``coverage_clause: _NOT_COVERED condition reason?``"""
        condition = self._first(children, ast.ConditionNode)
        assert condition is not None
        return ast.CoverageClause(condition, self._first(children, ast.Text),
                                  self._span(meta, children))

    def _guarantee(self, meta: Meta, children: list[Any], only: bool) -> ast.GuaranteeClause:
        condition = self._first(children, ast.ConditionNode)
        assert condition is not None
        return ast.GuaranteeClause(only, condition, self._first(children, ast.Text),
                                   self._span(meta, children))

    @v_args(meta=True)
    def guaranteed_only(self, meta: Meta, children: list[Any]) -> ast.GuaranteeClause:
        """``guarantee_clause: _GUARANTEED_ONLY condition reason? -> guaranteed_only``"""
        return self._guarantee(meta, children, only=True)

    @v_args(meta=True)
    def not_guaranteed(self, meta: Meta, children: list[Any]) -> ast.GuaranteeClause:
        """``guarantee_clause: _NOT_GUARANTEED condition reason? -> not_guaranteed``"""
        return self._guarantee(meta, children, only=False)

    @v_args(meta=True)
    def guarantee_limit_clause(self, meta: Meta, children: list[Any]
                               ) -> ast.GuaranteeLimitClause:
        """``guarantee_limit_clause: _GUARANTEES_LIMITED_TO value _OF work_kinds _WORK _PER
        PERIOD_NAME condition?``"""
        amount, kinds, period = children[0], children[1], children[2]
        return ast.GuaranteeLimitClause(amount, kinds, self._ident(period),
                                        self._first(children, ast.ConditionNode),
                                        self._span(meta, children))

    @v_args(meta=True)
    def work_kinds(self, meta: Meta, children: list[Token]) -> ast.WorkKinds:
        """``work_kinds: ALL | _names``"""
        span = self._span(meta, children)
        if children[0].type == "ALL":
            return ast.WorkKinds((), True, span)
        return ast.WorkKinds(tuple(self._ident(t) for t in children), False, span)

    # ================================================================== money

    def _fee(self, meta: Meta, children: list[Any], kind: ast.FeeKind) -> ast.FeeClause:
        values = [c for c in children if not isinstance(c, Token)]
        periods = self._tokens(children, "PERIOD_NAME")
        return ast.FeeClause(kind, values[0] if values else None,
                             self._ident(periods[0]) if periods else None,
                             self._span(meta, children))

    @v_args(meta=True)
    def fee_amount(self, meta: Meta, children: list[Any]) -> ast.FeeClause:
        """``fee_clause: _FEE value _PER PERIOD_NAME -> fee_amount``"""
        return self._fee(meta, children, "amount")

    @v_args(meta=True)
    def fee_from(self, meta: Meta, children: list[Any]) -> ast.FeeClause:
        """``fee_clause: _FEE _FROM value _PER PERIOD_NAME -> fee_from``"""
        return self._fee(meta, children, "from")

    @v_args(meta=True)
    def fee_free(self, meta: Meta, children: list[Any]) -> ast.FeeClause:
        """``fee_clause: _FEE FREE -> fee_free``"""
        return self._fee(meta, children, "free")

    @v_args(meta=True)
    def fee_negotiated(self, meta: Meta, children: list[Any]) -> ast.FeeClause:
        """``fee_clause: _FEE _NEGOTIATED (_PER PERIOD_NAME)? -> fee_negotiated``"""
        return self._fee(meta, children, "negotiated")

    @v_args(meta=True)
    def rate_clause(self, meta: Meta, children: list[Any]) -> ast.RateClause:
        """``rate_clause: _RATE work_kinds rate_price billing? condition?``"""
        kinds, price = children[0], children[1]
        billing = self._first(children, _Billing)
        return ast.RateClause(
            kinds,
            None if isinstance(price, Token) else price,
            billing.increment if billing else None,
            billing.out_of_hours if billing else None,
            self._first(children, ast.ConditionNode),
            self._span(meta, children),
        )

    def price_per_hour(self, children: list[ast.Value]) -> ast.Value:
        """``rate_price: value _PER_HOUR -> price_per_hour``"""
        return children[0]

    def not_billed(self, children: list[Any]) -> Token:
        """``rate_price: _NOT_BILLED -> not_billed``: a marker token, no price."""
        return Token("NOT_BILLED", "not billed")

    def billing(self, children: list[Any]) -> _Billing:
        """``billing: _COMMA _BILLED_PER_STARTED value _IN_HOURS? (_COMMA _PER_STARTED value
        OUT_OF_HOURS)?``"""
        values = [c for c in children if not isinstance(c, Token)]
        return _Billing(values[0], values[1] if len(values) > 1 else None)

    def _for_kinds(self, children: Sequence[object]) -> ast.WorkKinds | None:
        """The kinds after ``for`` (``ALL`` or NAME tokens), None when there is no ``for``."""
        tokens = self._tokens(children, "ALL", "NAME")
        if not tokens:
            return None
        first, last = self._tok_span(tokens[0]), self._tok_span(tokens[-1])
        span = SourceSpan(first.file, first.line, first.column, last.end_line, last.end_column)
        if tokens[0].type == "ALL":
            return ast.WorkKinds((), True, span)
        return ast.WorkKinds(tuple(self._ident(t) for t in tokens), False, span)

    @v_args(meta=True)
    def overhead_clause(self, meta: Meta, children: list[Any]) -> ast.OverheadClause:
        """``overhead_clause: _OVERHEAD value _PER_SESSION (_FOR (ALL | _names))?``"""
        return ast.OverheadClause(children[0], self._for_kinds(children),
                                  self._span(meta, children))

    @v_args(meta=True)
    def surcharge_clause(self, meta: Meta, children: list[Any]) -> ast.SurchargeClause:
        """``surcharge_clause: (EXPRESS | OUT_OF_HOURS) _SURCHARGE value condition?``"""
        name: Literal["express", "out of hours"] = (
            "express" if children[0].type == "EXPRESS" else "out of hours"
        )
        return ast.SurchargeClause(name, children[1], self._first(children, ast.ConditionNode),
                                   self._span(meta, children))

    @v_args(meta=True)
    def included_clause(self, meta: Meta, children: list[Any]) -> ast.IncludedClause:
        """``included_clause: _INCLUDED value _PER PERIOD_NAME (_FOR (ALL | _names))?
        rollover?``"""
        return ast.IncludedClause(children[0], self._ident(children[1]),
                                  self._for_kinds(children[2:]),
                                  self._wrapped(children, "rollover"),
                                  self._span(meta, children))

    def rollover(self, children: list[ast.Value]) -> _Wrapped:
        """``rollover: _COMMA _ROLLS_OVER value``"""
        return _Wrapped("rollover", children[0])

    @v_args(meta=True)
    def pack_clause(self, meta: Meta, children: list[Any]) -> ast.PackClause:
        """``pack_clause: _PACK NAME value _FOR value validity?``"""
        return ast.PackClause(self._ident(children[0]), children[1], children[2],
                              self._wrapped(children, "validity"), self._span(meta, children))

    def validity(self, children: list[ast.Value]) -> _Wrapped:
        """``validity: _COMMA _VALID value``"""
        return _Wrapped("validity", children[0])

    @v_args(meta=True)
    def allow_clause(self, meta: Meta, children: list[Any]) -> ast.AllowClause:
        """``allow_clause: _ALLOW NUMBER _TICKETS _PER PERIOD_NAME FREE condition? _COMMA _THEN
        value _EACH condition?``"""
        count_tok, period = children[0], children[1]
        count = ast.BareNumber(parse_number(count_tok), str(count_tok), self._tok_span(count_tok))
        fee = next(c for c in children[2:] if not isinstance(c, Token | ast.ConditionNode))
        return ast.AllowClause(count, self._ident(period), fee,
                               tuple(self._of(children, ast.ConditionNode)),
                               self._span(meta, children))

    # ================================================================== credits

    @v_args(meta=True)
    def incident_credit_clause(self, meta: Meta, children: list[Any]
                               ) -> ast.IncidentCreditClause:
        """``incident_credit_clause: _CREDIT remedy _PER_MISSED metric? _GUARANTEE expiry?
        condition?``"""
        remedy = self._first(children, ast.RemedyNode)
        assert remedy is not None
        return ast.IncidentCreditClause(remedy, self._first(children, ast.Metric),
                                        self._wrapped(children, "expiry"),
                                        self._first(children, ast.ConditionNode),
                                        self._span(meta, children))

    def expiry(self, children: list[ast.Value]) -> _Wrapped:
        """``expiry: _COMMA _EXPIRING_AFTER value``"""
        return _Wrapped("expiry", children[0])

    @v_args(meta=True)
    def remedy_money(self, meta: Meta, children: list[ast.Value]) -> ast.RemedyNode:
        """``remedy: value -> remedy_money``"""
        return ast.RemedyNode("money", children[0], self._span(meta, children))

    @v_args(meta=True)
    def remedy_free_hours(self, meta: Meta, children: list[Any]) -> ast.RemedyNode:
        """``remedy: value FREE -> remedy_free_hours``"""
        return ast.RemedyNode("free hours", children[0], self._span(meta, children))

    @v_args(meta=True)
    def remedy_of_fee(self, meta: Meta, children: list[ast.Value]) -> ast.RemedyNode:
        """``remedy: value _OF_FEE -> remedy_of_fee``"""
        return ast.RemedyNode("of fee", children[0], self._span(meta, children))

    @v_args(meta=True)
    def aggregate_credit(self, meta: Meta, children: list[Any]) -> ast.AggregateCreditClause:
        """``aggregate_credit: _CREDIT STRING _LBRACE _NL? (_credit_clause _NL)* RBRACE``"""
        name_tok = children[0]
        clauses = tuple(c for c in children[1:] if not isinstance(c, Token))
        return ast.AggregateCreditClause(ast.Text(unescape(name_tok), self._tok_span(name_tok)),
                                         clauses, self._span(meta, children))

    @v_args(meta=True)
    def measure_clause(self, meta: Meta, children: list[Any]) -> ast.MeasureClause:
        """``measure_clause: _MEASURE (MEAN | ATTAINMENT_OF) metric group_by? _PER
        PERIOD_NAME``"""
        kind: Literal["mean", "attainment"] = (
            "mean" if children[0].type == "MEAN" else "attainment")
        metric = self._first(children, ast.Metric)
        assert metric is not None
        group = self._wrapped(children, "group_by") or ()
        period = self._tokens(children, "PERIOD_NAME")[0]
        return ast.MeasureClause(kind, metric, group, self._ident(period),
                                 self._span(meta, children))

    def group_by(self, children: list[ast.Ident]) -> _Wrapped:
        """``group_by: _PER _group_attributes`` (attributes joined with ``and``)"""
        return _Wrapped("group_by", tuple(children))

    @v_args(meta=True)
    def exceeds_clause(self, meta: Meta, children: list[ast.RemedyNode]) -> ast.ExceedsClause:
        """``exceeds_clause: _EXCEEDS_TARGET _COLON remedy``"""
        return ast.ExceedsClause(children[0], self._span(meta, children))

    @v_args(meta=True)
    def below_clause(self, meta: Meta, children: list[Any]) -> ast.BelowClause:
        """``below_clause: _BELOW value _COLON remedy``"""
        return ast.BelowClause(children[0], children[1], self._span(meta, children))

    @v_args(meta=True)
    def cap_clause(self, meta: Meta, children: list[ast.RemedyNode]) -> ast.CapClause:
        """``cap_clause: _CAP remedy``"""
        return ast.CapClause(children[0], self._span(meta, children))

    @v_args(meta=True)
    def claim_clause(self, meta: Meta, children: list[ast.Value]) -> ast.ClaimClause:
        """``claim_clause: _CLAIM_WITHIN value _AFTER_PERIOD_END``"""
        return ast.ClaimClause(children[0], self._span(meta, children))

    @v_args(meta=True)
    def sole_remedy_clause(self, meta: Meta, children: list[Any]) -> ast.SoleRemedyClause:
        """``sole_remedy_clause: _SOLE_REMEDY``"""
        return ast.SoleRemedyClause(self._span(meta, children))

    # ================================================================== features

    @v_args(meta=True)
    def feature_clause(self, meta: Meta, children: list[Any]) -> ast.FeatureClause:
        """``feature_clause: _FEATURE STRING _COLON feature_value``"""
        name_tok, value = children
        return ast.FeatureClause(ast.Text(unescape(name_tok), self._tok_span(name_tok)),
                                 value, self._span(meta, children))

    def feature_yes(self, children: list[Token]) -> str:
        """``feature_value: YES -> feature_yes``"""
        return "yes"

    def feature_no(self, children: list[Token]) -> str:
        """``feature_value: _NO -> feature_no``"""
        return "no"

    def feature_text(self, children: list[Token]) -> str:
        """``feature_value: STRING -> feature_text``"""
        return unescape(children[0])

    # ================================================================== inheritance

    @v_args(meta=True)
    def no_subscription_required(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_off_clause: _NO _SUBSCRIPTION_REQUIRED -> no_subscription_required``"""
        return ast.FlagClause("subscription required", False, self._span(meta, children))

    @v_args(meta=True)
    def requests_at_any_time(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_off_clause: _REQUESTS_AT_ANY_TIME -> requests_at_any_time``"""
        return ast.FlagClause("requests in support hours only", False,
                              self._span(meta, children))

    @v_args(meta=True)
    def queue_in_any_order(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_off_clause: _QUEUE_IN_ANY_ORDER -> queue_in_any_order``"""
        return ast.FlagClause("queue earliest deadline first", False,
                              self._span(meta, children))

    @v_args(meta=True)
    def refunds_carried_forward(self, meta: Meta, children: list[Any]) -> ast.FlagClause:
        """``flag_off_clause: _REFUNDS_CARRIED_FORWARD -> refunds_carried_forward``"""
        return ast.FlagClause("refunds paid out", False, self._span(meta, children))

    def _drop(self, meta: Meta, children: list[Any], kind: ast.DropKind,
              name: ast.Ident | None = None) -> ast.DropClause:
        return ast.DropClause(kind, name, self._span(meta, children))

    @v_args(meta=True)
    def no_target(self, meta: Meta, children: list[ast.Metric]) -> ast.DropClause:
        """``drop_clause: _NO metric _TARGET -> no_target``"""
        (metric,) = children
        return self._drop(meta, children, "target", ast.Ident(metric.name, metric.span))

    @v_args(meta=True)
    def no_credits(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _CREDITS -> no_credits``"""
        return self._drop(meta, children, "credits")

    @v_args(meta=True)
    def no_coverage_exclusions(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _COVERAGE_EXCLUSIONS -> no_coverage_exclusions``"""
        return self._drop(meta, children, "coverage exclusions")

    @v_args(meta=True)
    def no_guarantee_exclusions(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _GUARANTEE_EXCLUSIONS -> no_guarantee_exclusions``"""
        return self._drop(meta, children, "guarantee exclusions")

    @v_args(meta=True)
    def no_guarantee_limits(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _GUARANTEE_LIMITS -> no_guarantee_limits``"""
        return self._drop(meta, children, "guarantee limits")

    @v_args(meta=True)
    def no_included_hours(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _INCLUDED_HOURS -> no_included_hours``"""
        return self._drop(meta, children, "included hours")

    @v_args(meta=True)
    def no_ticket_allowances(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _TICKET_ALLOWANCES -> no_ticket_allowances``"""
        return self._drop(meta, children, "ticket allowances")

    @v_args(meta=True)
    def no_overhead(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _OVERHEAD -> no_overhead``"""
        return self._drop(meta, children, "overhead")

    @v_args(meta=True)
    def no_surcharge(self, meta: Meta, children: list[Token]) -> ast.DropClause:
        """``drop_clause: _NO (EXPRESS | OUT_OF_HOURS) _SURCHARGE -> no_surcharge``"""
        (tok,) = children
        name = "express" if tok.type == "EXPRESS" else "out of hours"
        return self._drop(meta, children, "surcharge", ast.Ident(name, self._tok_span(tok)))

    @v_args(meta=True)
    def no_pack(self, meta: Meta, children: list[Token]) -> ast.DropClause:
        """``drop_clause: _NO _PACK NAME -> no_pack``"""
        return self._drop(meta, children, "pack", self._ident(children[0]))

    @v_args(meta=True)
    def no_feature(self, meta: Meta, children: list[Token]) -> ast.DropClause:
        """``drop_clause: _NO _FEATURE STRING -> no_feature``"""
        return self._drop(meta, children, "feature", self._ident(children[0]))

    @v_args(meta=True)
    def no_minimum_term(self, meta: Meta, children: list[Any]) -> ast.DropClause:
        """``drop_clause: _NO _MINIMUM_TERM -> no_minimum_term``"""
        return self._drop(meta, children, "minimum term")

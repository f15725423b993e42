"""What-if overrides: ``STANDARD.response.normal=6h`` applied to a compiled catalog.

``compare --set`` and ``sweep --grid`` change a few terms of compiled plans without editing
the plan text. The path language (docs/what-if.md) names a plan and one kind of term; the
value is read by the plan language's own grammar, so ``449 PLN``, ``€450``, ``129,00 zł``,
``4 business hours`` and ``2 business days`` mean exactly what they mean in a plan file.

Paths::

    PLAN.fee=449 PLN            PLAN.vat=23%              PLAN.minimum_term=6 months
    PLAN.included=5h            PLAN.included.KIND=5h     PLAN.rate.KIND=150 PLN
    PLAN.response=4 business hours                        PLAN.response.PRIORITY=6h
    (also resolution, next_reply, update)

Decisions, each written down in docs/what-if.md:

- A target value *without* a clock word (``6h``, ``3 days``) keeps the clock of the target
  it replaces (``6h`` on an ``8 business hours`` target is 6 business hours), because a
  sweep over ``2h..12h/2h`` must not silently turn business time into round-the-clock
  time. ``business`` or ``calendar`` in the value sets the clock explicitly. A plain value
  that cannot keep the clock (hours on a target counted in days) is an error asking for the
  clock word.
- ``PLAN.response.PRIORITY`` changes what a ticket of that priority gets: a rule only for
  that priority is changed in place; a rule that also serves other priorities is split (a
  copy limited to the priority, with the new value, wins by being more specific), so the
  other priorities keep their terms.
- An override of a plan also changes the plans that extend it and inherit that kind of
  term unchanged (the very clause: same value and same source span), as editing the plan
  text would.
- A changed or added rule's source span names the override (``--set STANDARD.fee=449 PLN``)
  so results and the term diff say where the value came from.

Every problem is a located :class:`Diagnostic` in an :class:`OverrideError`; the CLI shows
the option with a caret under the bad part.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal

import attrs
from attrs import frozen
from lark import Lark
from lark.exceptions import LarkError

from tierwise.engine.errors import (
    Diagnostic,
    Severity,
    SourceSpan,
    TierwiseError,
    did_you_mean,
)
from tierwise.engine.model import (
    AttributeTest,
    Catalog,
    Condition,
    Fee,
    IncludedHours,
    Metric,
    Period,
    Plan,
    RateRule,
    TargetRule,
)
from tierwise.engine.precedence import can_overlap, implies
from tierwise.engine.quantities import NO_CURRENCY, Clock, Money, Percent, TargetTime

__all__ = [
    "KEYS",
    "Override",
    "OverrideError",
    "apply_overrides",
    "located_problem",
    "parse_override",
    "parse_value",
]

WarningSink = Callable[[Diagnostic], None]


_METRICS = {
    "response": Metric.FIRST_RESPONSE,
    "resolution": Metric.RESOLUTION,
    "next_reply": Metric.NEXT_REPLY,
    "update": Metric.PERIODIC_UPDATE,
}
#: The first part of a path after the plan name, and what may follow it.
KEYS: dict[str, str] = {
    "fee": "",
    "vat": "",
    "minimum_term": "",
    "included": "[.KIND]",
    "rate": ".KIND",
    **dict.fromkeys(_METRICS, "[.PRIORITY]"),
}
PATH_FORMS = ("fee, vat, minimum_term, included[.KIND], rate.KIND, response[.PRIORITY], "
              "resolution[.PRIORITY], next_reply[.PRIORITY], update[.PRIORITY]")
_TARGET_FORMS = "`6h`, `4 business hours`, `2 business days`, `5 days`, " \
                "`by end of next business day`"
_CLOCK_WORD = re.compile(r"(?<![\w-])(business|calendar)(?![\w-])", re.IGNORECASE)
_END_OF_DAY = re.compile(r"^(by\s+)?end\s+of\s+(the\s+)?next\s+business\s+day$", re.IGNORECASE)
_PER_PERIOD = re.compile(r"\s+per\s+(month|quarter|year)\s*$", re.IGNORECASE)
_PER_HOUR = re.compile(r"\s*(?:per\s+hour|/\s*h(?:our)?)\s*$", re.IGNORECASE)
_NOT_BILLED = re.compile(r"^not\s+billed$", re.IGNORECASE)


# --------------------------------------------------------------------------- syntax


@frozen
class Override:
    """One ``PLAN.PATH=VALUE``, with where each part was written in ``source``.

    ``source`` is the option's text as the user typed it (a ``--set`` value, or a whole
    ``--grid`` value whose items each make one Override); offsets are 0-based, end-exclusive,
    so a message can put a caret under the bad part.
    """

    source: str
    plan: str
    path: tuple[str, ...]
    value: str
    plan_at: tuple[int, int]
    path_at: tuple[tuple[int, int], ...]
    value_at: tuple[int, int]
    option: str = "--set"

    @property
    def text(self) -> str:
        """The override written out: ``STANDARD.response.normal=6h``."""
        plan = self.plan if _PLAIN_NAME.match(self.plan) else f'"{self.plan}"'
        return f"{plan}.{'.'.join(self.path)}={self.value}"

    @property
    def name(self) -> str:
        """What is set, without the value: ``STANDARD.response.normal``."""
        return self.text[: len(self.text) - len(self.value) - 1]

    @property
    def key(self) -> str:
        """The path without the plan: ``response.normal``."""
        return ".".join(self.path)

    @property
    def command_line(self) -> str:
        """How it appeared on the command line: ``--set STANDARD.fee=449PLN``."""
        return f"{self.option} {self.source}"

    def rule_span(self) -> SourceSpan:
        """The span a rule changed by this override carries instead of its clause's."""
        file = f"{self.option} {self.text}"
        start = len(self.text) - len(self.value) + 1
        return SourceSpan(file, 1, start, 1, len(self.text))

    def with_value(self, value: str, value_at: tuple[int, int]) -> Override:
        return attrs.evolve(self, value=value, value_at=value_at)


_PLAIN_NAME = re.compile(r"^[^\W\d_][\w-]*$")


class OverrideError(TierwiseError):
    """Bad overrides. ``lines[i]`` is the command-line text ``diagnostics[i]`` points into
    (line 1 of a pseudo-file ``<command line>``)."""

    def __init__(self, problems: Iterable[tuple[Diagnostic, str]]):
        problems = list(problems)
        super().__init__([d for d, _ in problems])
        self.lines: tuple[str, ...] = tuple(line for _, line in problems)

    def render(self) -> str:
        """Compiler-style text with a caret under the bad part of each option."""
        return "\n".join(d.render(line) for d, line in zip(self.diagnostics, self.lines,
                                                            strict=True))


def _problem(ov: Override, at: tuple[int, int], message: str, *, expected: str | None = None,
             hint: str | None = None,
             severity: Severity = "error") -> tuple[Diagnostic, str]:
    """A diagnostic whose caret is under ``at`` (offsets into ``ov.source``)."""
    shift = len(ov.option) + 1
    start, end = at
    span = SourceSpan("<command line>", 1, start + shift + 1, 1, max(start, end - 1) + shift + 1)
    diagnostic = Diagnostic(message, span, severity=severity, expected=expected, hint=hint)
    return diagnostic, ov.command_line


#: For other what-if modules (grid values) that report into the command line the same way.
located_problem = _problem


class _Fail(Exception):
    """Internal: one override is wrong (carries its diagnostic)."""

    def __init__(self, problem: tuple[Diagnostic, str]):
        super().__init__(problem[0].message)
        self.problem = problem


def parse_override(source: str, option: str = "--set") -> Override:
    """Split ``PLAN.PATH=VALUE`` (syntax only; names and values are checked when applied).

    A plan named by a string is quoted: ``"Suporte Prioritário 24/7".fee=20 EUR``.
    """
    empty = Override(source, "", (), "", (0, 0), (), (0, len(source)), option)
    eq = _find_equals(source)
    if eq < 0:
        raise OverrideError([_problem(empty, (0, len(source)), "expected PLAN.PATH=VALUE",
                                      expected="e.g. STANDARD.response.normal=6h or "
                                               "START.fee=449PLN")])
    left = source[:eq]
    pos = len(left) - len(left.lstrip())
    if left[pos:pos + 1] == '"':
        close = left.find('"', pos + 1)
        if close < 0:
            raise OverrideError([_problem(empty, (pos, eq), "unclosed quote in the plan name")])
        plan, plan_at, rest_at = left[pos + 1:close], (pos, close + 1), close + 1
    else:
        dot = left.find(".", pos)
        stop = dot if dot >= 0 else eq
        plan = left[pos:stop].rstrip()
        plan_at, rest_at = (pos, pos + len(plan)), stop
    if not plan:
        raise OverrideError([_problem(empty, (pos, max(pos + 1, eq)), "the plan name is missing",
                                      expected="PLAN.PATH=VALUE, e.g. START.fee=449PLN")])
    parts: list[str] = []
    parts_at: list[tuple[int, int]] = []
    rest = left[rest_at:]
    if not rest.strip():
        raise OverrideError([_problem(empty, (rest_at, eq + 1),
                                      f"what of plan {plan} should change?",
                                      expected=f"PLAN.PATH=VALUE; paths: {PATH_FORMS}")])
    if not rest.startswith("."):
        raise OverrideError([_problem(empty, (rest_at, eq), "expected '.' after the plan name")])
    offset = rest_at + 1
    for raw in rest[1:].split("."):
        stripped = raw.strip()
        start = offset + (len(raw) - len(raw.lstrip()))
        if not stripped:
            raise OverrideError([_problem(empty, (offset, max(offset + 1, offset + len(raw))),
                                          "empty part in the path",
                                          expected=f"paths: {PATH_FORMS}")])
        parts.append(stripped)
        parts_at.append((start, start + len(stripped)))
        offset += len(raw) + 1
    raw_value = source[eq + 1:]
    value = raw_value.strip()
    vstart = eq + 1 + (len(raw_value) - len(raw_value.lstrip()))
    value_at = (vstart, vstart + len(value)) if value else (eq, eq + 1)
    ov = Override(source, plan, tuple(parts), value, plan_at, tuple(parts_at), value_at, option)
    if not value:
        raise OverrideError([_problem(ov, value_at, "the value is missing after '='",
                                      expected="e.g. =6h, =449 PLN, =23%")])
    return ov


def _find_equals(source: str) -> int:
    """The first ``=`` outside a quoted plan name."""
    quoted = False
    for i, ch in enumerate(source):
        if ch == '"':
            quoted = not quoted
        elif ch == "=" and not quoted:
            return i
    return -1


# --------------------------------------------------------------------------- values


@functools.cache
def _value_parser() -> Lark:
    """The plan grammar started at its ``value`` rule: values read exactly as in a plan."""
    from tierwise.grammar import GRAMMAR_PATH

    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="contextual",
                propagate_positions=True, maybe_placeholders=False, start="value")


def parse_value(text: str) -> object:
    """A value with its unit as the language reads it (``grammar.ast`` Duration, Days,
    Months, MoneyAmount, PercentAmount, BareNumber or BadValue); ValueError if unreadable."""
    from tierwise.grammar.transformer import PlanTransformer

    try:
        tree = _value_parser().parse(text)
        return PlanTransformer("<value>").transform(tree)
    except (LarkError, TierwiseError) as exc:
        raise ValueError(str(exc)) from None


def _read(ov: Override, expected: str, text: str | None = None) -> object:
    """Parse the override's value (or ``text``), failing with a located message."""
    from tierwise.grammar import ast

    try:
        value = parse_value(text if text is not None else ov.value)
    except ValueError:
        raise _Fail(_problem(ov, ov.value_at, f"cannot read '{ov.value}' as a value",
                             expected=expected)) from None
    if isinstance(value, ast.BadValue):
        raise _Fail(_problem(ov, ov.value_at, value.message, expected=expected,
                             hint=value.hint))
    if isinstance(value, ast.BareNumber):
        raise _Fail(_problem(ov, ov.value_at, f"'{ov.value}' has no unit", expected=expected,
                             hint="a quantity always carries its unit, as in a plan file"))
    return value


def _money(ov: Override, plan: Plan, text: str, what: str) -> Money:
    from tierwise.grammar import ast

    forms = "an amount with its currency, e.g. 449 PLN, €450, 129,00 zł"
    value = _read(ov, forms, text)
    if not isinstance(value, ast.MoneyAmount):
        raise _Fail(_problem(ov, ov.value_at, f"{what} must be an amount of money",
                             expected=forms))
    if value.amount < 0:
        raise _Fail(_problem(ov, ov.value_at, f"negative amount of money: {ov.value}",
                             hint="amounts are written without a sign"))
    if plan.currency not in (NO_CURRENCY, value.currency):
        raise _Fail(_problem(ov, ov.value_at,
                             f"{ov.value} is in {value.currency}, but plan {plan.name}'s "
                             f"currency is {plan.currency}",
                             hint=f"write the amount in {plan.currency}; a plan uses one "
                                  "currency"))
    return Money(value.amount, value.currency)


def _whole(ov: Override, number: Decimal, what: str) -> int:
    if number != number.to_integral_value():
        raise _Fail(_problem(ov, ov.value_at, f"{what} must be a whole number"))
    return int(number)


def _target_time(ov: Override, rule: TargetRule, plan: Plan) -> TargetTime:
    """The new allowance for ``rule``: explicit clock words set the clock, a plain value
    keeps the rule's clock (see the module docstring)."""
    from tierwise.grammar import ast

    what = f"{plan.name}'s {rule.metric.value} target ({_rule_text(rule)})"
    if _END_OF_DAY.match(ov.value):
        if rule.metric is Metric.PERIODIC_UPDATE:
            raise _Fail(_problem(ov, ov.value_at, "an update target needs a time clock",
                                 expected="e.g. 4h or 4 business hours"))
        return TargetTime(Clock.END_OF_NEXT_BUSINESS_DAY)
    value = _read(ov, _TARGET_FORMS)
    explicit = _CLOCK_WORD.search(ov.value) is not None
    current = rule.allowance.clock
    counted = ("whole days (by end of next business day)"
               if current is Clock.END_OF_NEXT_BUSINESS_DAY else current.value)
    if isinstance(value, ast.Duration):
        seconds = _whole(ov, value.seconds, "a target (in seconds)")
        if seconds <= 0:
            raise _Fail(_problem(ov, ov.value_at, "a target must be more than zero"))
        if explicit:
            clock = Clock.BUSINESS_TIME if value.business else Clock.CALENDAR_TIME
        elif current in (Clock.BUSINESS_TIME, Clock.CALENDAR_TIME):
            clock = current
        else:
            raise _Fail(_problem(
                ov, ov.value_at, f"{what} is counted in {counted}; a plain "
                f"'{ov.value}' does not say which clock to use",
                hint=f"write `{_hours_text(seconds, 'business')}` or "
                     f"`{_hours_text(seconds, 'calendar')}`"))
        return TargetTime(clock, seconds=seconds)
    if isinstance(value, ast.Days):
        if rule.metric is Metric.PERIODIC_UPDATE:
            raise _Fail(_problem(ov, ov.value_at, "an update target needs a time clock, not days",
                                 expected="e.g. 4h or 4 business hours"))
        days = _whole(ov, value.days, "a number of days")
        if days <= 0:
            raise _Fail(_problem(ov, ov.value_at, "a target must be more than zero"))
        if explicit:
            clock = Clock.BUSINESS_DAYS if value.business else Clock.CALENDAR_DAYS
        elif current in (Clock.BUSINESS_DAYS, Clock.CALENDAR_DAYS):
            clock = current
        else:
            raise _Fail(_problem(
                ov, ov.value_at, f"{what} is counted in {counted}; a plain "
                f"'{ov.value}' does not say which clock to use",
                hint=f"write `{days} business days` or `{days} calendar days`"))
        return TargetTime(clock, days=days)
    raise _Fail(_problem(ov, ov.value_at, "a target must be a duration", expected=_TARGET_FORMS))


def _hours_text(seconds: int, word: str) -> str:
    if seconds % 3600 == 0:
        n = seconds // 3600
        return f"{n} {word} hour{'s' if n != 1 else ''}"
    n = seconds // 60 if seconds % 60 == 0 else seconds
    unit = "minutes" if seconds % 60 == 0 else "seconds"
    return f"{n} {word} {unit}"


def _rule_text(rule: TargetRule) -> str:
    cond = "always" if rule.condition.is_always else f"when {rule.condition}"
    return f"{rule.allowance}, {cond}"


# --------------------------------------------------------------------------- applying


@frozen
class _Change:
    """How one override changes a plan, and which part of a plan it touches (so plans that
    inherit that part unchanged can be changed too)."""

    apply: Callable[[Plan], Plan]
    part: Callable[[Plan], Hashable]


def _spanned(rules: Iterable[object]) -> tuple[tuple[object, object], ...]:
    """Rules with their spans: inherited rules are the very clauses of the parent."""
    return tuple((r, getattr(r, "span", None)) for r in rules)


def apply_overrides(catalog: Catalog, overrides: Sequence[str | Override], *,
                    option: str = "--set",
                    on_warning: WarningSink | None = None) -> Catalog:
    """A new catalog with the overrides applied in order (the input is not changed).

    Raises :class:`OverrideError` with one located diagnostic per bad override (all of them
    are checked, not just the first). Warnings go to ``on_warning``; their ``path`` is the
    option as typed (``--set STANDARD.response.normal=6h``), the text their span points into.
    """
    problems: list[tuple[Diagnostic, str]] = []
    warnings: list[tuple[Diagnostic, str]] = []
    for item in overrides:
        try:
            ov = item if isinstance(item, Override) else parse_override(item, option)
        except OverrideError as exc:
            problems.extend(zip(exc.diagnostics, exc.lines, strict=True))
            continue
        try:
            catalog = _apply_one(catalog, ov, warnings)
        except _Fail as fail:
            problems.append(fail.problem)
    if problems:
        raise OverrideError(problems)
    if on_warning is not None:
        for diag, line in warnings:  # ``path`` carries the option as typed, for the caret
            on_warning(attrs.evolve(diag, path=line))
    return catalog


def _apply_one(catalog: Catalog, ov: Override,
               warnings: list[tuple[Diagnostic, str]]) -> Catalog:
    plan = catalog.plans.get(ov.plan)
    if plan is None:
        names = sorted(catalog.plans)
        raise _Fail(_problem(ov, ov.plan_at, f"unknown plan '{ov.plan}'",
                             expected="one of: " + ", ".join(names) if len(names) <= 12 else None,
                             hint=did_you_mean(ov.plan, names)))
    key = ov.path[0].lower().replace("-", "_")
    if key not in KEYS:
        raise _Fail(_problem(ov, ov.path_at[0], f"unknown setting '{ov.path[0]}'",
                             expected=PATH_FORMS, hint=did_you_mean(key, KEYS)))
    if key in _METRICS:
        change = _target_change(ov, plan, _METRICS[key], warnings)
    elif key == "rate":
        change = _rate_change(ov, plan)
    elif key == "included":
        change = _included_change(ov, plan)
    else:
        _no_more_parts(ov, 1, key)
        change = {"fee": _fee_change, "vat": _vat_change,
                  "minimum_term": _term_change}[key](ov, plan, warnings)
    plans = dict(catalog.plans)
    plans[plan.name] = change.apply(plan)
    before = change.part(plan)
    for child in _descendants(catalog, plan.name):
        if change.part(catalog.plans[child]) == before:
            plans[child] = change.apply(catalog.plans[child])
    return attrs.evolve(catalog, plans=plans)


def _descendants(catalog: Catalog, name: str) -> list[str]:
    """Plans that extend ``name``, directly or not, in catalog order."""
    out: list[str] = []
    for plan in catalog.plans.values():
        seen: set[str] = set()
        parent = plan.parent
        while parent is not None and parent not in seen:
            if parent == name:
                out.append(plan.name)
                break
            seen.add(parent)
            parent_plan = catalog.plans.get(parent)
            parent = parent_plan.parent if parent_plan is not None else None
    return out


def _no_more_parts(ov: Override, allowed: int, key: str) -> None:
    if len(ov.path) > allowed:
        extra = ov.path_at[allowed]
        raise _Fail(_problem(ov, (extra[0], ov.path_at[-1][1]),
                             f"'{ov.path[0]}' takes no further path: "
                             f"'{'.'.join(ov.path[allowed:])}'",
                             expected=f"PLAN.{key}{KEYS[key]}=VALUE"))


# --- fee, vat, minimum term


def _fee_change(ov: Override, plan: Plan, warnings: list[tuple[Diagnostic, str]]) -> _Change:
    text = ov.value
    period: Period | None = None
    per = _PER_PERIOD.search(text)
    if per:
        period = Period(per.group(1).lower())
        text = text[:per.start()]
    if text.strip().lower() == "free":
        def make_free(p: Plan) -> Plan:
            return attrs.evolve(p, fee=None, clause_spans=_spans(p, "fee", ov.rule_span()))
        return _Change(make_free, lambda p: (p.fee, p.fee.span if p.fee else None))
    money = _money(ov, plan, text, "a fee")
    current = plan.fee.period if plan.fee is not None else Period.MONTH
    if period is not None and period is not current and plan.minimum_term_periods:
        raise _Fail(_problem(ov, ov.value_at, f"plan {plan.name} is billed per {current.value}"
                             f" and has a minimum term counted in {current.value}s",
                             hint=f"write the fee per {current.value}, or edit the plan"))
    if plan.fee is not None and plan.fee.from_price:
        warnings.append(_problem(ov, ov.value_at, f"plan {plan.name}'s fee is a 'from' price: "
                                 "subscriptions that state their own fee keep it",
                                 severity="warning"))
    span = ov.rule_span()

    def set_fee(p: Plan) -> Plan:
        old = p.fee
        fee = (Fee(money, period or current, span=span) if old is None else
               attrs.evolve(old, amount=money, period=period or old.period, negotiated=False,
                            span=span))
        currency = money.currency if p.currency == NO_CURRENCY else p.currency
        return attrs.evolve(p, fee=fee, currency=currency,
                            clause_spans=_spans(p, "fee", span))

    return _Change(set_fee, lambda p: (p.fee, p.fee.span if p.fee else None))


def _vat_change(ov: Override, plan: Plan, warnings: list[tuple[Diagnostic, str]]) -> _Change:
    from tierwise.grammar import ast

    value = _read(ov, "a percentage, e.g. 23%")
    if not isinstance(value, ast.PercentAmount):
        raise _Fail(_problem(ov, ov.value_at, "VAT must be a percentage", expected="e.g. 23%"))
    if value.value < 0:
        raise _Fail(_problem(ov, ov.value_at, "VAT cannot be negative"))
    vat = Percent(value.value)
    span = ov.rule_span()
    return _Change(lambda p: attrs.evolve(p, vat=vat, clause_spans=_spans(p, "vat", span)),
                   lambda p: (p.vat, p.clause_spans.get("vat")))


def _term_change(ov: Override, plan: Plan, warnings: list[tuple[Diagnostic, str]]) -> _Change:
    from tierwise.grammar import ast

    forms = "a number of months or years, e.g. 6 months, 1 year, 0 months"
    value = _read(ov, forms)
    if not isinstance(value, ast.Months):
        raise _Fail(_problem(ov, ov.value_at, "a minimum term is a number of months",
                             expected=forms))
    months = _whole(ov, value.months, "a minimum term")
    per = plan.fee.period.months if plan.fee is not None else 1
    if months < 0 or months % per:
        raise _Fail(_problem(ov, ov.value_at, f"a minimum term of {ov.value} is not a whole "
                             f"number of billing periods ({per} months each)"))
    periods = months // per
    span = ov.rule_span()
    return _Change(lambda p: attrs.evolve(p, minimum_term_periods=periods,
                                          clause_spans=_spans(p, "minimum term", span)),
                   lambda p: (p.minimum_term_periods, p.clause_spans.get("minimum term")))


def _spans(plan: Plan, clause: str, span: SourceSpan) -> dict[str, SourceSpan]:
    """The plan's clause positions with ``clause`` now written by the override."""
    return {**plan.clause_spans, clause: span}


# --- included hours and rates


def _plain_seconds(ov: Override, what: str) -> int:
    from tierwise.grammar import ast

    forms = "a duration, e.g. 5h, 90min, 0h"
    value = _read(ov, forms)
    if not isinstance(value, ast.Duration) or value.business:
        raise _Fail(_problem(ov, ov.value_at, f"{what} must be a plain duration", expected=forms))
    seconds = _whole(ov, value.seconds, f"{what} (in seconds)")
    if seconds < 0:
        raise _Fail(_problem(ov, ov.value_at, f"{what} cannot be negative"))
    return seconds


def _included_change(ov: Override, plan: Plan) -> _Change:
    _no_more_parts(ov, 2, "included")
    seconds = _plain_seconds(ov, "included hours")
    kind = ov.path[1] if len(ov.path) > 1 else None
    span = ov.rule_span()
    rules = plan.included_hours
    if kind is None:
        if len(rules) > 1:
            listed = "; ".join(_kinds_text(r.kinds) for r in rules)
            raise _Fail(_problem(ov, ov.path_at[0], f"plan {plan.name} has {len(rules)} "
                                 f"included-hours clauses ({listed})",
                                 hint="name the kind of work: PLAN.included.KIND=..."))
        index = 0 if rules else None
    else:
        found = [i for i, r in enumerate(rules) if not r.kinds or kind in r.kinds]
        if not found:
            kinds = sorted({k for r in rules for k in r.kinds})
            raise _Fail(_problem(ov, ov.path_at[1], f"no included hours of plan {plan.name} "
                                 f"cover '{kind}' work",
                                 expected="one of: " + ", ".join(kinds) if kinds else None,
                                 hint=did_you_mean(kind, kinds)
                                 or "PLAN.included=... adds hours for every kind"))
        index = found[0]
    fallback = plan.fee.period if plan.fee is not None else Period.MONTH

    def set_included(p: Plan) -> Plan:
        current = list(p.included_hours)
        if index is None:
            if seconds:
                current.append(IncludedHours(seconds, frozenset(), fallback, 0, span))
        elif seconds:
            current[index] = attrs.evolve(current[index], seconds=seconds, span=span)
        else:
            del current[index]
        return attrs.evolve(p, included_hours=tuple(current))

    return _Change(set_included, lambda p: _spanned(p.included_hours))


def _kinds_text(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(kinds)) if kinds else "all work"


def _rate_change(ov: Override, plan: Plan) -> _Change:
    if len(ov.path) < 2:
        kinds = sorted({k for r in plan.rates for k in r.kinds})
        raise _Fail(_problem(ov, ov.path_at[0], "which kind of work's rate?",
                             expected="PLAN.rate.KIND=AMOUNT" + (
                                 f"; {plan.name}'s kinds: {', '.join(kinds)}" if kinds else "")))
    _no_more_parts(ov, 2, "rate")
    kind = ov.path[1]
    text = _PER_HOUR.sub("", ov.value)
    price = None if _NOT_BILLED.match(text.strip()) else _money(ov, plan, text, "a rate")
    span = ov.rule_span()
    always = [r for r in plan.rates if r.condition.is_always]
    named = [r for r in always if kind in r.kinds]
    catch_all = [r for r in always if not r.kinds]
    if not named and not catch_all:
        kinds = sorted({k for r in plan.rates for k in r.kinds})
        raise _Fail(_problem(ov, ov.path_at[1], f"plan {plan.name} has no rate for '{kind}' work",
                             expected="one of: " + ", ".join(kinds) if kinds else None,
                             hint=did_you_mean(kind, kinds)))
    template = (named or catch_all)[0]

    def set_rate(p: Plan) -> Plan:
        rates: list[RateRule] = []
        added = attrs.evolve(template, kinds=frozenset({kind}), price_per_hour=price, span=span)
        for rule in p.rates:
            if rule == template and rule.kinds:
                rest = rule.kinds - {kind}
                if rest:
                    rates.append(attrs.evolve(rule, kinds=rest))
                continue
            rates.append(rule)
        # a rule naming the kind wins over `all` and is listed first, as the compiler does
        return attrs.evolve(p, rates=(added, *rates))

    return _Change(set_rate, lambda p: _spanned(r for r in p.rates if r.applies_to_kind(kind)))


# --- targets


def _target_change(ov: Override, plan: Plan, metric: Metric,
                   warnings: list[tuple[Diagnostic, str]]) -> _Change:
    _no_more_parts(ov, 2, _key_of(metric))
    rules = [r for r in plan.targets if r.metric is metric]
    if not rules:
        present = sorted({_key_of(r.metric) for r in plan.targets})
        raise _Fail(_problem(ov, ov.path_at[0], f"plan {plan.name} has no {metric.value} target",
                             hint=("its targets: " + ", ".join(present)) if present
                             else "it has no targets; add one to the plan text"))
    if len(ov.path) == 1:
        new = {id(r): _target_time(ov, r, plan) for r in rules}
        allowances = [(r, new[id(r)]) for r in rules]
        span = ov.rule_span()

        def set_all(p: Plan) -> Plan:
            out = []
            for rule in p.targets:
                found = next((a for r, a in allowances if r == rule and r.span == rule.span),
                             None)
                out.append(rule if found is None else
                           attrs.evolve(rule, allowance=found, span=span))
            return attrs.evolve(p, targets=tuple(out))

        return _Change(set_all, lambda p: _spanned(r for r in p.targets if r.metric is metric))
    return _priority_change(ov, plan, metric, rules, warnings)


def _key_of(metric: Metric) -> str:
    return next(k for k, m in _METRICS.items() if m is metric)


def _priority_change(ov: Override, plan: Plan, metric: Metric, rules: list[TargetRule],
                     warnings: list[tuple[Diagnostic, str]]) -> _Change:
    priority = ov.path[1]
    known = _named_priorities(plan)
    if plan.priorities and priority not in plan.priorities:
        raise _Fail(_problem(ov, ov.path_at[1], f"plan {plan.name} has no priority '{priority}'",
                             expected="one of: " + ", ".join(plan.priorities),
                             hint=did_you_mean(priority, plan.priorities)))
    if not plan.priorities and priority not in known:
        hint = did_you_mean(priority, known)
        warnings.append(_problem(
            ov, ov.path_at[1], f"plan {plan.name} names no priority '{priority}'; the value "
            f"applies to tickets whose priority is '{priority}'",
            hint=hint, severity="warning"))
    only = Condition((AttributeTest("priority", frozenset({priority})),))
    prios = plan.priorities
    touching = [r for r in rules if can_overlap(r.condition, only, prios)]
    if not touching:
        raise _Fail(_problem(ov, ov.path_at[1], f"no {metric.value} target of plan {plan.name} "
                             f"applies to priority '{priority}'",
                             hint=f"its {metric.value} targets: "
                                  + "; ".join(_rule_text(r) for r in rules)))
    specific = [r for r in touching if implies(r.condition, only, prios)]
    split = []
    for rule in touching:
        if rule in specific:
            continue
        narrowed = Condition((*rule.condition.tests, *only.tests))
        # a rule only for this priority already decides every such ticket: no copy needed
        if any(implies(narrowed, s.condition, prios) for s in specific):
            continue
        split.append(rule)
    allowance = {id(r): _target_time(ov, r, plan) for r in [*specific, *split]}
    span = ov.rule_span()

    def find(rule: TargetRule, among: list[TargetRule]) -> TargetRule | None:
        return next((r for r in among if r == rule and r.span == rule.span), None)

    def set_priority(p: Plan) -> Plan:
        out: list[TargetRule] = []
        for rule in p.targets:
            hit = find(rule, specific)
            if hit is not None:
                out.append(attrs.evolve(rule, allowance=allowance[id(hit)], span=span))
                continue
            hit = find(rule, split)
            if hit is not None:
                narrowed = Condition((*rule.condition.tests, *only.tests))
                out.append(attrs.evolve(rule, condition=narrowed, allowance=allowance[id(hit)],
                                        span=span))
            out.append(rule)
        return attrs.evolve(p, targets=tuple(out))

    return _Change(set_priority, lambda p: _spanned(r for r in p.targets if r.metric is metric))


def _named_priorities(plan: Plan) -> list[str]:
    """Priorities a plan names in any condition (when it declares no ``priorities``)."""
    found: set[str] = set()
    conditions: list[Condition] = [r.condition for r in plan.targets]
    conditions += [r.condition for r in plan.rates]
    conditions += [r.condition for r in plan.coverage]
    conditions += [r.condition for r in plan.guarantee_rules]
    conditions += [c.condition for c in plan.incident_credits]
    for condition in conditions:
        for test in condition.tests:
            if test.attribute == "priority":
                found |= test.values
    return sorted(found)

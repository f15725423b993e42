"""A semantic diff of two versions of the terms: what a reviewer of a price change reads.

``diff_catalogs(old, new)`` lists, plan by plan, the terms that were added, removed or
changed ("STANDARD: response when channel is email: 8 business hours -> 6 business hours"),
each naming where the rule was written on both sides. Rules are matched by what they are
about (a target by its metric and condition, a rate by its kinds and condition, a credit by
its name...), not by position or source line, so moving a clause or re-indenting a file
is not a change. Rule equality ignores source spans (they are ``eq=False`` in the model).

Order is stable: plans in the old catalog's order then added plans; within a plan a fixed
sequence of sections; within a section the old order, then what was added.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from attrs import frozen

from tierwise.engine.errors import SourceSpan
from tierwise.engine.model import (
    AggregateCredit,
    AllowanceRule,
    CalendarRule,
    Catalog,
    Commitment,
    Condition,
    Feature,
    Fee,
    IncidentCredit,
    IncludedHours,
    Measure,
    PackProduct,
    Plan,
    RateRule,
    TargetRule,
)
from tierwise.engine.quantities import Money, TargetTime, format_seconds

__all__ = ["TermChange", "describe_time", "diff_catalogs", "diff_plans", "where"]

T = TypeVar("T")


@frozen
class TermChange:
    """One difference in the terms.

    ``change`` is ``added``, ``removed`` or ``changed``; ``old``/``new`` are the terms as
    text (None on the side where the term does not exist); ``old_at``/``new_at`` where the
    rule was written (a file position, or the ``--set`` option that made it).
    """

    plan: str | None  # None for a shared calendar
    section: str  # plan, fee, target, rate, credit, feature, calendar...
    change: str
    subject: str
    old: str | None
    new: str | None
    old_at: SourceSpan | None = None
    new_at: SourceSpan | None = None

    @property
    def text(self) -> str:
        """One line for people: ``START: fee: 399.00 PLN per month -> 449.00 PLN per month``."""
        head = f"{self.plan}: " if self.plan is not None else ""
        if self.section == "plan" and self.change != "changed":
            return f"plan {self.subject} {self.change}"
        if self.section == "calendar" and self.change != "changed":
            return f"{head}calendar {self.subject} {self.change}"
        if self.change == "added":
            return f"{head}added {self.subject}: {self.new}"
        if self.change == "removed":
            return f"{head}removed {self.subject}: {self.old}"
        return f"{head}{self.subject}: {self.old} -> {self.new}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "section": self.section,
            "change": self.change,
            "subject": self.subject,
            "old": self.old,
            "new": self.new,
            "old_at": where(self.old_at),
            "new_at": where(self.new_at),
            "text": self.text,
        }


def where(span: SourceSpan | None) -> str | None:
    """``file:line`` of a rule, the option text of an override, None when unknown."""
    if span is None:
        return None
    if span.line <= 0 or span.file.startswith("--"):
        return span.file
    return f"{span.file}:{span.line}"


# --------------------------------------------------------------------------- entry points


def diff_catalogs(old: Catalog, new: Catalog) -> tuple[TermChange, ...]:
    """Every difference between two catalogs: plans, then shared calendars."""
    out: list[TermChange] = []
    for name, plan in old.plans.items():
        if name in new.plans:
            out.extend(diff_plans(plan, new.plans[name]))
        else:
            out.append(TermChange(None, "plan", "removed", name, _plan_text(plan), None,
                                  plan.span, None))
    for name, plan in new.plans.items():
        if name not in old.plans:
            out.append(TermChange(None, "plan", "added", name, None, _plan_text(plan),
                                  None, plan.span))
    out.extend(_diff_calendars(old.calendars, new.calendars))
    return tuple(out)


def diff_plans(old: Plan, new: Plan, *, label: str | None = None) -> list[TermChange]:
    """The differences between two versions of one plan (or two plans: ``label`` names the
    pair, e.g. ``START -> STANDARD``)."""
    name = label or (old.name if old.name == new.name else f"{old.name} -> {new.name}")
    d = _PlanDiff(name, old, new)
    d.scalar("title", lambda p: p.title, "title")
    d.scalar("extends", lambda p: p.parent or "nothing")
    d.scalar("currency", lambda p: p.currency, "currency")
    d.scalar("calendar", lambda p: p.calendar, "calendar")
    d.scalar("fee", lambda p: _fee_text(p.fee), "fee")
    d.scalar("vat", lambda p: str(p.vat), "vat")
    d.scalar("minimum term", _term_text, "minimum term")
    d.scalar("plan changes", lambda p: p.plan_change.value, "plan change")
    d.scalar("priorities", lambda p: ", ".join(p.priorities) or "any", "priorities")
    d.scalar("channels", lambda p: ", ".join(sorted(p.channels)) or "any", "channels")
    for flag, text, key in (
        ("subscription_required", "subscription required", "subscription required"),
        ("requested_in_hours_only", "requests in support hours only",
         "requests in support hours only"),
        ("queue_earliest_deadline_first", "queue earliest deadline first", "queue"),
        ("refunds_paid_out", "refunds paid out", "refunds"),
    ):
        d.scalar(text, _flag(flag), key)
    d.rules("target", lambda p: p.targets,
            lambda r: (r.metric, r.condition),
            lambda r: f"{r.metric.value}{_when(r.condition)}",
            lambda r, p: _target_text(r, p))
    d.rules("coverage", lambda p: p.coverage, lambda r: r.condition,
            lambda r: f"not covered{_when(r.condition)}", lambda r, p: f'"{r.reason}"')
    d.rules("guarantee", lambda p: p.guarantee_rules, lambda r: (r.only, r.condition),
            lambda r: f"{'guaranteed only' if r.only else 'not guaranteed'}{_when(r.condition)}",
            lambda r, p: f'"{r.reason}"')
    d.rules("guarantee limit", lambda p: p.guarantee_limits, lambda r: (r.kinds, r.condition),
            lambda r: f"guarantees limited for {_kinds(r.kinds)} work{_when(r.condition)}",
            lambda r, p: f"{format_seconds(r.seconds)} per month")
    d.rules("rate", lambda p: p.rates, lambda r: (r.kinds, r.condition),
            lambda r: f"rate {_kinds(r.kinds)}{_when(r.condition)}", lambda r, p: _rate_text(r))
    d.rules("surcharge", lambda p: p.surcharges, lambda r: (r.name, r.condition),
            lambda r: f"{r.name} surcharge{_when(r.condition)}", lambda r, p: f"+{r.percent}")
    d.rules("overhead", lambda p: p.overheads, lambda r: r.kinds,
            lambda r: f"overhead for {_kinds(r.kinds)}",
            lambda r, p: f"{format_seconds(r.seconds)} per session")
    d.rules("included", lambda p: p.included_hours, lambda r: r.kinds,
            lambda r: f"included hours for {_kinds(r.kinds)}", lambda r, p: _included_text(r))
    d.rules("pack", lambda p: p.packs, lambda r: r.name, lambda r: f"pack {r.name}",
            lambda r, p: _pack_text(r))
    d.rules("allowance", lambda p: p.allowances, lambda r: r.condition,
            lambda r: f"allowance{_when(r.condition)}", lambda r, p: _allowance_text(r))
    d.rules("credit", lambda p: p.incident_credits, lambda r: (r.metrics, r.condition),
            lambda r: f"credit per missed {_metrics(r)}guarantee{_when(r.condition)}",
            lambda r, p: str(r.remedy) + _expiry(r))
    d.rules("credit", lambda p: p.aggregate_credits, lambda r: r.name,
            lambda r: f'credit "{r.name}"', lambda r, p: _aggregate_text(r))
    d.rules("feature", lambda p: p.features, lambda r: r.name,
            lambda r: f'feature "{r.name}"', lambda r, p: _feature_value(r))
    return d.out


# --------------------------------------------------------------------------- machinery


class _PlanDiff:
    """Collects the changes of one plan pair, section by section."""

    def __init__(self, name: str, old: Plan, new: Plan) -> None:
        self.name, self.old, self.new = name, old, new
        self.out: list[TermChange] = []

    def scalar(self, subject: str, text: Callable[[Plan], str],
               clause: str | None = None) -> None:
        """A plan-level term; its position is the clause's (``Plan.clause_spans``), or the
        plan's when the clause was not written."""
        a, b = text(self.old), text(self.new)
        if a != b:
            def spot(p: Plan) -> SourceSpan:
                return p.span_of(clause) if clause is not None else p.span

            self.out.append(TermChange(self.name, subject, "changed", subject, a, b,
                                       spot(self.old), spot(self.new)))

    def rules(self, section: str, get: Callable[[Plan], Sequence[T]],
              key: Callable[[T], Hashable], subject: Callable[[T], str],
              text: Callable[[T, Plan], str]) -> None:
        old = _keyed(get(self.old), key)
        new = _keyed(get(self.new), key)
        for k, rule in old.items():
            span = getattr(rule, "span", None)
            if k not in new:
                self.out.append(TermChange(self.name, section, "removed", subject(rule),
                                           text(rule, self.old), None, span, None))
                continue
            other = new[k]
            a, b = text(rule, self.old), text(other, self.new)
            if a != b or rule != other:
                if a == b:  # a difference the text does not show: say so rather than hide it
                    b += " (details changed)"
                self.out.append(TermChange(self.name, section, "changed", subject(rule), a, b,
                                           span, getattr(other, "span", None)))
        for k, rule in new.items():
            if k not in old:
                self.out.append(TermChange(self.name, section, "added", subject(rule), None,
                                           text(rule, self.new), None,
                                           getattr(rule, "span", None)))


def _keyed(rules: Iterable[T], key: Callable[[T], Hashable]) -> dict[Hashable, T]:
    """Rules by key, in order; a repeated key (rare) gets a running number."""
    out: dict[Hashable, T] = {}
    for rule in rules:
        k = key(rule)
        n = 0
        while (k, n) in out:
            n += 1
        out[(k, n)] = rule
    return out


# --------------------------------------------------------------------------- texts


def describe_time(time: TargetTime) -> str:
    """An allowance as the language writes it: ``4 business hours``, ``6h``, ``2 business
    days``, ``by end of next business day`` (the one spelling, kept in TargetTime)."""
    return str(time)


def _flag(name: str) -> Callable[[Plan], str]:
    def text(plan: Plan) -> str:
        return "yes" if getattr(plan, name) else "no"
    return text


def _when(condition: Condition) -> str:
    return "" if condition.is_always else f" when {condition}"


def _kinds(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(kinds)) if kinds else "all"


def _money(money: Money | None) -> str:
    return "not billed" if money is None else str(money.rounded())


def _plan_text(plan: Plan) -> str:
    return f'"{plan.title}", {_fee_text(plan.fee)}, {len(plan.targets)} targets'


def _fee_text(fee: Fee | None) -> str:
    if fee is None:
        return "free"
    if fee.negotiated or fee.amount is None:
        return "negotiated"
    text = f"{_money(fee.amount)} per {fee.period.value}"
    return f"from {text}" if fee.from_price else text


def _term_text(plan: Plan) -> str:
    n = plan.minimum_term_periods
    if not n:
        return "none"
    period = plan.fee.period.value if plan.fee is not None else "month"
    return f"{n} {period}{'s' if n != 1 else ''}"


def _target_text(rule: TargetRule, plan: Plan) -> str:
    prefix = "" if rule.commitment is Commitment.GUARANTEED else f"{rule.commitment.value} "
    text = prefix + describe_time(rule.allowance)
    if rule.calendar != plan.calendar:
        text += f" using calendar {rule.calendar}"
    default = rule.metric.value == "resolution"
    if rule.pauses_when_waiting != default:
        text += ", paused while waiting" if rule.pauses_when_waiting else ", not paused"
    return text


def _rate_text(rule: RateRule) -> str:
    if rule.price_per_hour is None:
        return "not billed"
    text = f"{_money(rule.price_per_hour)} per hour, billed per started " \
           f"{format_seconds(rule.increment_seconds)}"
    if rule.increment_out_of_hours_seconds is not None:
        text += f" in hours, per started {format_seconds(rule.increment_out_of_hours_seconds)}" \
                " out of hours"
    return text


def _included_text(rule: IncludedHours) -> str:
    text = f"{format_seconds(rule.seconds)} per {rule.period.value}"
    if rule.rollover_periods:
        text += f", rolls over {rule.rollover_periods} {rule.period.value}s"
    return text


def _pack_text(rule: PackProduct) -> str:
    price = "free" if rule.price is None else _money(rule.price)
    return f"{format_seconds(rule.seconds)} for {price}, valid {rule.valid_months} months" + (
        f", for {_kinds(rule.kinds)}" if rule.kinds else "")


def _allowance_text(rule: AllowanceRule) -> str:
    return f"{rule.count} tickets per {rule.period.value} free, then {_money(rule.fee_each)} each"


def _metrics(rule: IncidentCredit) -> str:
    return "".join(f"{m.value} " for m in sorted(rule.metrics, key=lambda m: m.value))


def _expiry(rule: IncidentCredit) -> str:
    months = rule.remedy.expires_after_months
    return "" if months is None else f", expiring after {months} months"


def _aggregate_text(rule: AggregateCredit) -> str:
    measure = "mean" if rule.measure is Measure.MEAN else "attainment of"
    parts = [f"{measure} {rule.metric.value} per {' and '.join(rule.group_by) or 'plan'} "
             f"per {rule.period.value}"]
    for tier in rule.tiers:
        if tier.threshold is None:
            parts.append(f"exceeds target: {tier.remedy}")
        else:
            parts.append(f"below {tier.threshold}: {tier.remedy}")
    if rule.cap is not None:
        parts.append(f"cap {rule.cap}")
    if rule.claim_window_days is not None:
        parts.append(f"claim within {rule.claim_window_days} days")
    if rule.sole_remedy:
        parts.append("sole remedy")
    return "; ".join(parts)


def _feature_value(feature: Feature) -> str:
    return feature.value if feature.value in ("yes", "no") else f'"{feature.value}"'


# --------------------------------------------------------------------------- calendars


def _diff_calendars(old: Any, new: Any) -> list[TermChange]:
    out: list[TermChange] = []
    for name, cal in old.items():
        if name not in new:
            out.append(TermChange(None, "calendar", "removed", name, _calendar_text(cal), None,
                                  cal.span, None))
        elif cal != new[name]:
            other = new[name]
            for subject, text in (("zone", lambda c: c.zone), ("hours", _hours_text),
                                  ("holidays", _holidays_text), ("closed", _closed_text),
                                  ("special hours", _special_text)):
                a, b = text(cal), text(other)
                if a != b:
                    out.append(TermChange(None, "calendar", "changed",
                                          f"calendar {name} {subject}", a, b, cal.span,
                                          other.span))
    for name, cal in new.items():
        if name not in old:
            out.append(TermChange(None, "calendar", "added", name, None, _calendar_text(cal),
                                  None, cal.span))
    return out


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours_text(cal: CalendarRule) -> str:
    if cal.always_open:
        return "24/7"
    return ", ".join(f"{_DAYS[w.weekday]} {w.start:%H:%M}-{w.end:%H:%M}" for w in cal.windows) \
        or "never open"


def _holidays_text(cal: CalendarRule) -> str:
    return ", ".join(h.country + (f"-{h.subdivision}" if h.subdivision else "")
                     for h in cal.holidays) or "none"


def _closed_text(cal: CalendarRule) -> str:
    return ", ".join(d.isoformat() for d in cal.closed_dates) or "none"


def _special_text(cal: CalendarRule) -> str:
    return "; ".join(
        f"{s.date.isoformat()} " + (", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in s.windows)
                                   or "closed")
        for s in cal.special_hours) or "none"


def _calendar_text(cal: CalendarRule) -> str:
    return f"{cal.zone}, {_hours_text(cal)}"


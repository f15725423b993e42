"""Which rule applies: "more specific wins", and true ambiguity is a compile-time error.

A condition is a conjunction of attribute tests. Rule A is *more specific* than rule B when
every ticket A matches is also matched by B (A's set of tickets is a subset of B's) and the
two conditions differ. Among the rules that match a ticket, the applicable rule is the one
more specific than all the others. The compiler rejects two rules of the same kind that can
match one ticket, give different results, and of which neither is more specific: so at run
time a most specific rule always exists.

Universes are open (a ticket may carry a channel no rule names) except for the attributes
in ``CLOSED_UNIVERSES`` and for priority when the plan declares its priority levels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from tierwise.engine.model import CLOSED_UNIVERSES, AttributeTest, Condition


class Conditional(Protocol):
    @property
    def condition(self) -> Condition: ...


R = TypeVar("R", bound=Conditional)


# A constraint on one attribute: (allowed values, is_complement). With is_complement the
# allowed values are "everything except these".
_Constraint = tuple[frozenset[str], bool]


def _constraints(
    condition: Condition, universes: Mapping[str, frozenset[str]]
) -> dict[str, _Constraint]:
    """Fold a condition's tests into one constraint per attribute (intersection)."""
    out: dict[str, _Constraint] = {}
    for test in condition.tests:
        current = _as_constraint(test, universes)
        if test.attribute in out:
            current = _intersect(out[test.attribute], current)
        out[test.attribute] = current
    return out


def _as_constraint(test: AttributeTest, universes: Mapping[str, frozenset[str]]) -> _Constraint:
    universe = universes.get(test.attribute)
    if test.negated and universe is not None:
        return (universe - test.values, False)
    return (test.values, test.negated)


def _intersect(a: _Constraint, b: _Constraint) -> _Constraint:
    (va, ca), (vb, cb) = a, b
    if not ca and not cb:
        return (va & vb, False)
    if not ca and cb:
        return (va - vb, False)
    if ca and not cb:
        return (vb - va, False)
    return (va | vb, True)


def _subset(a: _Constraint, b: _Constraint) -> bool:
    """Is every value allowed by a also allowed by b?"""
    (va, ca), (vb, cb) = a, b
    if not ca and not cb:
        return va <= vb
    if not ca and cb:
        return not (va & vb)
    if ca and not cb:
        return False  # an open complement is never inside a finite set
    return vb <= va


def _nonempty(c: _Constraint) -> bool:
    values, complement = c
    return complement or bool(values)


def _universes(priorities: Sequence[str]) -> dict[str, frozenset[str]]:
    universes = dict(CLOSED_UNIVERSES)
    if priorities:
        universes["priority"] = frozenset(priorities)
    return universes


def implies(a: Condition, b: Condition, priorities: Sequence[str] = ()) -> bool:
    """Does every ticket matching ``a`` also match ``b``?"""
    universes = _universes(priorities)
    ca, cb = _constraints(a, universes), _constraints(b, universes)
    if any(not _nonempty(c) for c in ca.values()):
        return True  # a matches nothing
    for attribute, constraint_b in cb.items():
        constraint_a = ca.get(attribute)
        if constraint_a is None:
            universe = universes.get(attribute)
            if universe is None or not _subset((universe, False), constraint_b):
                return False
        elif not _subset(constraint_a, constraint_b):
            return False
    return True


def more_specific(a: Condition, b: Condition, priorities: Sequence[str] = ()) -> bool:
    """``a`` is strictly more specific than ``b``: a implies b, and not the other way."""
    return implies(a, b, priorities) and not implies(b, a, priorities)


def can_overlap(a: Condition, b: Condition, priorities: Sequence[str] = ()) -> bool:
    """Could one ticket match both conditions?"""
    universes = _universes(priorities)
    ca, cb = _constraints(a, universes), _constraints(b, universes)
    for attribute in ca.keys() | cb.keys():
        if attribute in ca and attribute in cb:
            merged = _intersect(ca[attribute], cb[attribute])
        else:
            merged = ca.get(attribute) or cb[attribute]
        if not _nonempty(merged):
            return False
    return True


def applicable(rules: Iterable[R], attributes: Mapping[str, str],
               priorities: Sequence[str] = ()) -> R | None:
    """The rule that applies to a ticket with these attributes, or None.

    Among the matching rules, the most specific one. The compiler guarantees that one rule
    implies all the others whenever their results differ; if several equally specific
    rules match (the compiler allows this only for identical results) the first is taken.
    """
    matching = [r for r in rules if r.condition.matches(attributes)]
    if not matching:
        return None
    best = matching[0]
    for rule in matching[1:]:
        if implies(rule.condition, best.condition, priorities) and not implies(
            best.condition, rule.condition, priorities
        ):
            best = rule
    return best

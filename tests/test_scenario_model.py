"""The scenario records (tickets, events, work sessions): immutable values, source aside."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from tierwise.engine.errors import SourceSpan
from tierwise.engine.scenario import Event, EventKind, Ticket, WorkSession

AT = dt.datetime(2026, 1, 5, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def ticket(source: SourceSpan | None, **changes: object) -> Ticket:
    work = Event(AT, EventKind.WORK, work=WorkSession("remote", 600), source=source)
    values: dict[str, object] = {
        "id": "T-1", "customer": "acme", "created": AT, "priority": "high",
        "fields": {"region": "EU"}, "events": (work,), "source": source,
    }
    values.update(changes)
    return Ticket(**values)  # type: ignore[arg-type]


def test_equal_values_written_in_different_places_are_equal() -> None:
    a = ticket(SourceSpan("a.toml", 3, 1))
    b = ticket(SourceSpan("b.jsonl", 9, 1))
    assert a == b and a.events == b.events
    assert hash(a.events[0]) == hash(b.events[0])


@pytest.mark.parametrize(
    "change",
    [{"id": "T-2"}, {"priority": "low"}, {"fields": {"region": "US"}}, {"events": ()},
     {"created": AT + dt.timedelta(seconds=1)}, {"contact_registered": False}],
)
def test_any_other_difference_makes_them_differ(change: dict[str, object]) -> None:
    assert ticket(None) != ticket(None, **change)


def test_events_differ_by_time_kind_priority_and_work() -> None:
    base = Event(AT, EventKind.PRIORITY_CHANGED, "high")
    assert base != Event(AT, EventKind.PRIORITY_CHANGED, "low")
    assert base != Event(AT + dt.timedelta(seconds=1), EventKind.PRIORITY_CHANGED, "high")
    assert Event(AT, EventKind.WORK, work=WorkSession("remote", 60)) != Event(
        AT, EventKind.WORK, work=WorkSession("remote", 61))
    assert base != "not an event"


def test_records_are_immutable_and_pickle() -> None:
    t = ticket(SourceSpan("a.toml", 3, 1))
    with pytest.raises(AttributeError):
        t.priority = "low"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        t.events[0].at = AT  # type: ignore[misc]
    back = pickle.loads(pickle.dumps(t))
    assert back == t and back.source == t.source


def test_defaults() -> None:
    t = Ticket("T-1", "acme", AT)
    assert (t.contact_registered, t.express, t.fields, t.events, t.source) == (
        True, False, {}, (), None)
    assert Ticket("T-2", "acme", AT).fields is not t.fields  # a fresh dict each time


def test_attributes_are_the_values_conditions_test() -> None:
    t = Ticket("T-1", "acme", AT, priority="high", channel="email", express=True)
    assert dict(t.attributes()) == {"priority": "high", "channel": "email",
                                    "contact": "registered", "express": "yes"}
    assert t.attributes("low")["priority"] == "low"
    fields = Ticket("T-2", "acme", AT, category="bug", contact_registered=False,
                    fields={"region": "EU"}).attributes()
    assert dict(fields) == {"field:region": "EU", "category": "bug",
                            "contact": "unregistered", "express": "no"}


def test_tickets_with_the_same_values_share_one_attribute_mapping() -> None:
    a = Ticket("T-1", "acme", AT, priority="high", channel="email")
    b = Ticket("T-2", "globex", AT + dt.timedelta(days=1), priority="high", channel="email")
    assert a.attributes() is b.attributes()
    assert a.attributes() is not a.attributes("low")
    assert a.attributes() is not Ticket("T-3", "acme", AT, priority="high").attributes()
    with_fields = Ticket("T-4", "acme", AT, priority="high", channel="email",
                         fields={"region": "EU"})
    assert with_fields.attributes() is not with_fields.attributes()  # built each time

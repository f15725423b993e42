"""Instants compared and converted cheaply: one instant held again in each fixed offset.

Comparing or subtracting two aware datetimes is a plain wall-clock operation when they
share one ``tzinfo`` object (about 25 ns), and a conversion of both sides to UTC when they
do not (about 350 ns). The scenario reader gives every instant with the same UTC offset
one ``dt.timezone`` object, so a reference instant that the engine compares or subtracts
ticket after ticket (``as_of``, a subscription's bounds, the calendars' base, the Unix
epoch) is worth holding again in the ``tzinfo`` of the instants it meets. For a fixed
offset the result is exact: the same instant, so the same order and the same difference.
Zones with rules (``ZoneInfo``) are left alone, since two instants sharing one compare by
wall time, which is wrong inside a repeated hour.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["HeldInstant", "timestamp"]

#: Distinct tzinfos remembered per held instant (readers share a handful; flat memory anyway).
_LIMIT = 1024


class HeldInstant:
    """An instant, and the same instant held in each fixed-offset tzinfo asked for."""

    __slots__ = ("by_tz", "instant")

    def __init__(self, instant: dt.datetime) -> None:
        self.instant = instant
        #: tzinfo -> the instant held in it (public so that a hot loop can try it first)
        self.by_tz: dict[dt.tzinfo | None, dt.datetime] = {}

    def held_in(self, tz: dt.tzinfo | None) -> dt.datetime:
        """The instant in ``tz`` if ``tz`` is a fixed offset (and the instant is aware);
        otherwise the instant as it is, which compares and subtracts exactly anyway."""
        found = self.by_tz.get(tz)
        if found is None:
            instant = self.instant
            fixed = type(tz) is dt.timezone and instant.tzinfo is not None
            found = instant.astimezone(tz) if fixed else instant
            if len(self.by_tz) >= _LIMIT:
                self.by_tz.clear()
            self.by_tz[tz] = found
        return found


_EPOCH = HeldInstant(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))


def timestamp(at: dt.datetime) -> float:
    """``at.timestamp()``, the same float, about twice as fast for an instant with a
    fixed-offset ``dt.timezone``: ``timestamp()`` is ``(at - epoch).total_seconds()``, and
    with the epoch held in ``at``'s own tzinfo the difference needs no UTC conversion."""
    tz = at.tzinfo
    if type(tz) is not dt.timezone:
        return at.timestamp()
    return (at - (_EPOCH.by_tz.get(tz) or _EPOCH.held_in(tz))).total_seconds()

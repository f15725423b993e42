"""Values with units: money, percentages and target times.

A quantity never exists without its unit: the language rejects bare numbers where a unit
is meant, and these types keep the unit attached all the way to the results.
"""

from __future__ import annotations

import enum
from decimal import ROUND_HALF_UP, Decimal

from attrs import frozen

# ISO 4217 minor units for the currencies vendors use; anything else defaults to 2.
MINOR_UNITS: dict[str, int] = {"JPY": 0, "KRW": 0, "HUF": 2, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3}
# Currency symbols and local spellings the language accepts, mapped to ISO codes.
CURRENCY_ALIASES: dict[str, str] = {
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
    "zł": "PLN",
    "zl": "PLN",
    "R$": "BRL",
}


#: The currency of a plan that states no price at all (a free plan without ``currency``):
#: it takes the currency of whatever it is combined with (ISO 4217's "no currency" code).
NO_CURRENCY = "XXX"


def minor_unit(currency: str) -> Decimal:
    """The smallest coin of a currency, e.g. Decimal('0.01') for EUR."""
    digits = MINOR_UNITS.get(currency, 2)
    return Decimal(1).scaleb(-digits)


@frozen(order=True)
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def rounded(self) -> Money:
        """Half-up to the currency's minor unit (SPEC 3.3: each invoice line, and VAT)."""
        return Money(self.amount.quantize(minor_unit(self.currency), ROUND_HALF_UP), self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@frozen(order=True)
class Percent:
    """A percentage as written: ``Percent(Decimal('23'))`` is 23%."""

    value: Decimal

    @property
    def fraction(self) -> Decimal:
        return self.value / Decimal(100)

    def of(self, money: Money) -> Money:
        return Money(money.amount * self.fraction, money.currency)

    def __str__(self) -> str:
        return f"{self.value}%"


class Clock(enum.Enum):
    """How a target's allowance is counted (SPEC 3.1)."""

    BUSINESS_TIME = "business time"  # open time of the calendar
    CALENDAR_TIME = "calendar time"  # real elapsed time
    BUSINESS_DAYS = "business days"  # same wall time on the N-th business day, clamped
    CALENDAR_DAYS = "calendar days"  # same wall time N local dates later
    END_OF_NEXT_BUSINESS_DAY = "end of next business day"


@frozen(order=True)
class TargetTime:
    """An allowance: ``seconds`` for the time clocks, ``days`` for the day clocks."""

    clock: Clock
    seconds: int = 0
    days: int = 0

    def __str__(self) -> str:
        if self.clock is Clock.END_OF_NEXT_BUSINESS_DAY:
            return "by end of next business day"
        if self.clock in (Clock.BUSINESS_DAYS, Clock.CALENDAR_DAYS):
            word = "business" if self.clock is Clock.BUSINESS_DAYS else "calendar"
            return f"{self.days} {word} day{'s' if self.days != 1 else ''}"
        if self.clock is Clock.CALENDAR_TIME:
            return format_seconds(self.seconds)
        return business_text(self.seconds)


def business_text(seconds: int) -> str:
    """Business time as the language writes it: ``4 business hours``, ``30 business minutes``."""
    if seconds and seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} business minute{'s' if minutes != 1 else ''}"
    return f"{format_seconds(seconds)} business"


def format_seconds(seconds: int) -> str:
    """A compact duration: 4h, 30min, 1h30min, 45s."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}min")
    if secs or not parts:
        parts.append(f"{secs}s")
    return sign + "".join(parts)

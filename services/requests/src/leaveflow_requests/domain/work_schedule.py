"""Who works when: the work week, the length of a full day and a part-time pattern.

Pure and synchronous. A day's *weight* is how much of a full day it counts for: 0 outside
the work week; with a pattern, the day's scheduled hours over `hours_per_day` (4 of 8 = 0.5,
a weekday missing from the pattern = 0); without a pattern, 1.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from .errors import InvalidRequest

MON_TO_FRI = frozenset({1, 2, 3, 4, 5})
ISO_WEEKDAYS = frozenset(range(1, 8))
FULL_DAY_HOURS = Decimal(8)
ZERO = Decimal(0)
ONE = Decimal(1)


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):  # a float has already lost the exact value
        raise TypeError("hours are Decimal, int or str, never float")
    return value if isinstance(value, Decimal) else Decimal(value)


@dataclass(frozen=True)
class WorkSchedule:
    workweek: frozenset[int] = MON_TO_FRI
    hours_per_day: Decimal = FULL_DAY_HOURS
    # Hours per ISO weekday for part-time staff. Left out of hash (a mapping is not hashable).
    pattern: Mapping[int, Decimal] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        workweek = frozenset(self.workweek)
        if not workweek or not workweek <= ISO_WEEKDAYS:
            raise InvalidRequest("the work week holds ISO weekdays 1..7", field="schedule")
        hours_per_day = _decimal(self.hours_per_day)
        if not hours_per_day.is_finite() or hours_per_day <= 0 or hours_per_day > 24:
            raise InvalidRequest("a full day is more than 0 and at most 24 hours", field="schedule")
        object.__setattr__(self, "workweek", workweek)
        object.__setattr__(self, "hours_per_day", hours_per_day)
        if self.pattern is None:
            return
        pattern: dict[int, Decimal] = {}
        for weekday, raw in self.pattern.items():
            hours = _decimal(raw)
            if weekday not in ISO_WEEKDAYS:
                raise InvalidRequest(f"{weekday} is not an ISO weekday", field="schedule")
            if not hours.is_finite() or hours < 0 or hours > hours_per_day:
                raise InvalidRequest(
                    f"a pattern day holds 0 to {hours_per_day} hours", field="schedule"
                )
            pattern[weekday] = hours
        object.__setattr__(self, "pattern", MappingProxyType(pattern))

    @classmethod
    def of(cls, workweek: Collection[int]) -> WorkSchedule:
        return cls(workweek=frozenset(workweek))

    def day_hours(self, day: date) -> Decimal:
        """The hours scheduled on `day` (holidays aside)."""
        weekday = day.isoweekday()
        if weekday not in self.workweek:
            return ZERO
        if self.pattern is None:
            return self.hours_per_day
        return self.pattern.get(weekday, ZERO)

    def day_weight(self, day: date) -> Decimal:
        """How much of a full day `day` counts for (holidays aside)."""
        if day.isoweekday() not in self.workweek:
            return ZERO
        if self.pattern is None:
            return ONE
        return self.day_hours(day) / self.hours_per_day

"""How much of a year's allowance an employee has been granted by a given day.

Cumulative by construction: the figure is always allowance x (credited share of the year),
rounded once, so rounding never drifts and a full year gives exactly the allowance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .calendar import PERIODS_PER_YEAR, UPFRONT, LeaveYear, periods
from .policy import CENT, NONE, PERIOD_END, ZERO, Policy, round_grant


@dataclass(frozen=True)
class Employment:
    start: date | None = None
    end: date | None = None

    def overlap(self, start: date, end: date) -> tuple[date, date] | None:
        first = max(start, self.start) if self.start else start
        last = min(end, self.end) if self.end else end
        return (first, last) if first <= last else None


@dataclass(frozen=True)
class Credit:
    """One step of the cumulative accrual: `total` granted by `day`."""

    day: date
    total: Decimal


def _share(days_in: int, days_of: int) -> Decimal:
    return Decimal(days_in) / Decimal(days_of)


def credits(
    policy: Policy, allowance: Decimal, year: LeaveYear, employment: Employment
) -> Iterator[Credit]:
    """The days on which the cumulative grant for `year` steps up, with the new total."""
    if policy.accrual == UPFRONT:
        span = employment.overlap(year.start, year.end)
        if span is None:
            return
        first, last = span
        partial = (first, last) != (year.start, year.end)
        if partial and policy.prorate_first_year:
            share = _share((last - first).days + 1, year.days)
            yield Credit(first, round_grant(allowance * share, policy.rounding))
        else:
            yield Credit(first, allowance.quantize(CENT))
        return
    count = PERIODS_PER_YEAR[policy.accrual]
    days = policy.semimonthly_days or [1, 15]
    credited = ZERO
    for period in periods(
        year,
        policy.accrual,
        semimonthly_days=(days[0], days[1]),
        biweekly_anchor=policy.biweekly_anchor,
    ):
        span = employment.overlap(period.start, period.end)
        if span is None:
            continue
        first, last = span
        whole = span == (period.start, period.end) or not policy.prorate_first_year
        credited += 1 if whole else _share((last - first).days + 1, period.days)
        # Only ever rounded to the cent, and always from the cumulative share: a joiner's
        # partial period rounded to a half day would make the next month's step jump.
        day = last if policy.accrue_at == PERIOD_END else first
        yield Credit(day, round_grant(allowance * credited / count, NONE))


def accrued(
    policy: Policy, allowance: Decimal, year: LeaveYear, employment: Employment, as_of: date
) -> Decimal:
    total = ZERO
    for credit in credits(policy, allowance, year, employment):
        if credit.day > as_of:
            break
        total = credit.total
    return total

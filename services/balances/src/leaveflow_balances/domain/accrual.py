"""How much of a year's allowance an employee has been granted by a given day.

Cumulative by construction: the figure is always allowance x (credited share of the year),
rounded once, so rounding never drifts and a full year gives exactly the allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

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
) -> tuple[Credit, ...]:
    """The days on which the cumulative grant for `year` steps up, with the new total."""
    span = employment.overlap(year.start, year.end)
    if span is None:
        return ()
    days = policy.semimonthly_days or [1, 15]
    # Worked out once per distinct (rules, year, employed span): a year end asks for the
    # same answer for nearly everyone.
    return _credits(
        policy.accrual,
        (days[0], days[1]),
        policy.biweekly_anchor,
        policy.accrue_at,
        policy.prorate_first_year,
        policy.rounding,
        allowance,
        year,
        span,
    )


@lru_cache(maxsize=4096)
def _credits(
    accrual: str,
    semimonthly_days: tuple[int, int],
    biweekly_anchor: date | None,
    accrue_at: str,
    prorate: bool,
    rounding: str,
    allowance: Decimal,
    year: LeaveYear,
    span: tuple[date, date],
) -> tuple[Credit, ...]:
    first, last = span
    if accrual == UPFRONT:
        if span != (year.start, year.end) and prorate:
            share = _share((last - first).days + 1, year.days)
            return (Credit(first, round_grant(allowance * share, rounding)),)
        return (Credit(first, allowance.quantize(CENT)),)
    count = PERIODS_PER_YEAR[accrual]
    employed = Employment(first, last)
    credited = ZERO
    out = []
    for period in periods(
        year, accrual, semimonthly_days=semimonthly_days, biweekly_anchor=biweekly_anchor
    ):
        part = employed.overlap(period.start, period.end)
        if part is None:
            continue
        start, end = part
        whole = part == (period.start, period.end) or not prorate
        credited += 1 if whole else _share((end - start).days + 1, period.days)
        # Only ever rounded to the cent, and always from the cumulative share: a joiner's
        # partial period rounded to a half day would make the next month's step jump.
        day = end if accrue_at == PERIOD_END else start
        out.append(Credit(day, round_grant(allowance * credited / count, NONE)))
    return tuple(out)


def accrued(
    policy: Policy, allowance: Decimal, year: LeaveYear, employment: Employment, as_of: date
) -> Decimal:
    total = ZERO
    for credit in credits(policy, allowance, year, employment):
        if credit.day > as_of:
            break
        total = credit.total
    return total

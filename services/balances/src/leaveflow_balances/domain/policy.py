"""A policy: how a leave type is granted at one location."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .calendar import UPFRONT

NONE, HALF_DAY, DAY = "none", "half_day", "day"
PERIOD_START, PERIOD_END = "period_start", "period_end"
CENT, HALF = Decimal("0.01"), Decimal("0.5")
ZERO = Decimal("0")


def round_grant(amount: Decimal, rounding: str) -> Decimal:
    """Round a prorated grant: to the cent, the nearest half day, or the nearest day
    (halves round up, as people expect: 12.25 -> 12.5, 12.75 -> 13)."""
    if rounding == HALF_DAY:
        return ((amount / HALF).quantize(Decimal(1), ROUND_HALF_UP) * HALF).quantize(CENT)
    if rounding == DAY:
        return amount.quantize(Decimal(1), ROUND_HALF_UP).quantize(CENT)
    return amount.quantize(CENT, ROUND_HALF_UP)


def policy_key(tenant_id: str, location_id: str, leave_type_id: str) -> str:
    return f"{tenant_id}:{location_id}:{leave_type_id}"


@dataclass
class Policy:
    tenant_id: str
    location_id: str
    leave_type_id: str
    annual_allowance: Decimal = ZERO
    accrual: str = UPFRONT
    semimonthly_days: list[int] | None = None
    biweekly_anchor: date | None = None
    accrue_at: str = PERIOD_START
    prorate_first_year: bool = True
    rounding: str = HALF_DAY
    carryover_max: Decimal | None = ZERO
    carryover_expiry_months: int | None = None
    negative_allowance: Decimal = ZERO
    unlimited: bool = False
    active: bool = True
    unit: str = "days"
    # The PolicyUpserted event of the last change: accrual entries name it as their cause.
    event_id: str | None = None

    @property
    def key(self) -> str:
        return policy_key(self.tenant_id, self.location_id, self.leave_type_id)

    def carry(self, remaining: Decimal) -> Decimal:
        """What a year's remaining carries into the next: capped if positive, all if owed."""
        if remaining <= 0:
            return remaining
        if self.carryover_max is None:
            return remaining
        return min(remaining, self.carryover_max)

"""A policy: how a leave type is granted at one location."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .calendar import UPFRONT

NONE, HALF_DAY, DAY = "none", "half_day", "day"
PERIOD_START, PERIOD_END = "period_start", "period_end"
CENT, HALF = Decimal("0.01"), Decimal("0.5")
ZERO = Decimal("0")
SANDWICH_OFF = "off"
SANDWICH_MODES = (SANDWICH_OFF, "weekends", "holidays", "both")
# Where a seniority step's extra starts: on the work anniversary that reaches it (the rest
# of that leave year, prorated) or with the leave year in which that anniversary falls.
FROM_ANNIVERSARY, FROM_LEAVE_YEAR_START = "anniversary", "leave_year_start"


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


@dataclass(frozen=True)
class SeniorityStep:
    """`extra` more a leave year once `after_years` of service are reached."""

    after_years: int
    extra: Decimal


@dataclass(frozen=True)
class LabelExtra:
    """`extra` more a leave year while the person carries `label`."""

    label: str
    extra: Decimal


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
    # Request rules: balances stores and announces them; requests enforces them on submit.
    min_notice_days: int | None = None
    max_days_ahead: int | None = None
    max_consecutive: Decimal | None = None
    probation_days: int | None = None
    sandwich: str = SANDWICH_OFF
    # Entitlements, each explained by ledger entries of its own kind.
    accrual_cap: Decimal | None = None
    seniority: list[SeniorityStep] = field(default_factory=list)
    seniority_from: str = FROM_ANNIVERSARY
    label_extra: list[LabelExtra] = field(default_factory=list)
    # Time off in lieu: the type is credited by approved claims; credits expire after
    # `toil_expiry_months` (never when None).
    toil: bool = False
    toil_expiry_months: int | None = None
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

"""Request bodies of the balances API and the JSON shapes it answers with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leaveflow_kit.http import Unprocessable

from ...domain.calendar import LeaveYear
from ...domain.ledger import Balance, LedgerEntry
from ...domain.policy import CENT, Policy

Amount = Decimal


# Leave years are worked out a year either side of any day asked about; keep days where
# that arithmetic stays inside what `date` can hold.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)


def check_day(day: date | None, field: str) -> date | None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise Unprocessable(f"{field} must be between {FIRST_DAY} and {LAST_DAY}", field=field)
    return day


def num(value: Decimal) -> float:
    """API.md: amounts are JSON numbers with at most 2 decimals."""
    return float(value.quantize(CENT))


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    annual_allowance: Decimal | None = Field(default=None, ge=0, le=10000, decimal_places=2)
    accrual: Literal["upfront", "monthly", "semimonthly", "biweekly"] = "upfront"
    semimonthly_days: tuple[int, int] = (1, 15)
    biweekly_anchor: date | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY)
    accrue_at: Literal["period_start", "period_end"] = "period_start"
    prorate_first_year: bool = True
    rounding: Literal["none", "half_day", "day"] = "half_day"
    carryover_max: Decimal | None = Field(default=Decimal(0), ge=0, le=10000, decimal_places=2)
    carryover_expiry_months: int | None = Field(default=None, ge=1, le=120)
    negative_allowance: Decimal = Field(default=Decimal(0), ge=0, le=10000, decimal_places=2)
    unlimited: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> PolicyIn:
        first, second = self.semimonthly_days
        if not 1 <= first < second <= 28:
            raise ValueError("semimonthly_days: two days of the month, 1-28, in order")
        if self.annual_allowance is None and not self.unlimited:
            raise ValueError("annual_allowance is required unless the policy is unlimited")
        return self


def policy_out(p: Policy) -> dict[str, Any]:
    return {
        "location_id": p.location_id,
        "leave_type_id": p.leave_type_id,
        "unit": p.unit,
        "annual_allowance": num(p.annual_allowance),
        "accrual": p.accrual,
        "semimonthly_days": p.semimonthly_days or [1, 15],
        "biweekly_anchor": p.biweekly_anchor.isoformat() if p.biweekly_anchor else None,
        "accrue_at": p.accrue_at,
        "prorate_first_year": p.prorate_first_year,
        "rounding": p.rounding,
        "carryover_max": None if p.carryover_max is None else num(p.carryover_max),
        "carryover_expiry_months": p.carryover_expiry_months,
        "negative_allowance": num(p.negative_allowance),
        "unlimited": p.unlimited,
        "active": p.active,
    }


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    annual_allowance: Decimal = Field(ge=0, le=10000, decimal_places=2)


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    employee_id: str = Field(min_length=1, max_length=200)
    leave_type_id: str = Field(min_length=1, max_length=200)
    amount: Decimal = Field(ge=-1000, le=1000, decimal_places=2)
    reason: str = Field(min_length=1, max_length=500)
    effective_date: date = Field(ge=FIRST_DAY, le=LAST_DAY)


class YearEndIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    year: int = Field(ge=FIRST_DAY.year, le=LAST_DAY.year)


def balance_out(leave_type_id: str, unit: str, b: Balance) -> dict[str, Any]:
    return {
        "leave_type_id": leave_type_id,
        "unit": unit,
        "allowance": num(b.allowance),
        "accrued": num(b.accrued),
        "carried_over": num(b.carried_over),
        "carryover_expires_on": (
            b.carryover_expires_on.isoformat() if b.carryover_expires_on else None
        ),
        "adjustments": num(b.adjustments),
        "used": num(b.used),
        "pending": num(b.pending),
        "remaining": num(b.remaining),
        "available": num(b.available),
        "unlimited": b.unlimited,
    }


def leave_year_out(year: LeaveYear) -> dict[str, Any]:
    return {"label": year.label, "start": year.start.isoformat(), "end": year.end.isoformat()}


def entry_out(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "leave_type_id": e.leave_type_id,
        "kind": e.kind,
        "amount": num(e.amount),
        "effective_date": e.effective_date.isoformat(),
        "source_event_id": e.source_event_id,
        "request_id": e.request_id,
        "reason": e.reason,
        "expires_on": e.expires_on.isoformat() if e.expires_on else None,
    }

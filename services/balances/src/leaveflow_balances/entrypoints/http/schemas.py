"""Request bodies of the balances API and the models of what it answers.

Responses keep the JSON the API has always sent: amounts as JSON numbers with at most two
decimals, dates as ISO strings, every field present (null when unset).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leaveflow_kit.validation import MAX_DATE, MIN_DATE

from ...domain.calendar import LeaveYear
from ...domain.ledger import Balance, LedgerEntry
from ...domain.policy import CENT, Policy
from ...domain.year_end import YearEndJob

Amount = Decimal


# Leave years are worked out a year either side of any day asked about; keep days where
# that arithmetic stays inside what `date` can hold (the kit's bounds, every service's).
FIRST_DAY, LAST_DAY = MIN_DATE, MAX_DATE
# The directory's ids are 32 characters; a filter longer than this names nothing.
ID_LENGTH = 200


def num(value: Decimal) -> float:
    """Amounts are JSON numbers with at most 2 decimals (docs/api.md)."""
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


# --- responses ----------------------------------------------------------------------------

ItemT = TypeVar("ItemT")


class PageOut(BaseModel, Generic[ItemT]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[ItemT]
    next_cursor: str | None


class PolicyOut(BaseModel):
    location_id: str
    leave_type_id: str
    unit: str
    annual_allowance: float
    accrual: str
    semimonthly_days: list[int]
    biweekly_anchor: date | None
    accrue_at: str
    prorate_first_year: bool
    rounding: str
    carryover_max: float | None
    carryover_expiry_months: int | None
    negative_allowance: float
    unlimited: bool
    active: bool

    @classmethod
    def of(cls, p: Policy) -> PolicyOut:
        return cls(
            location_id=p.location_id,
            leave_type_id=p.leave_type_id,
            unit=p.unit,
            annual_allowance=num(p.annual_allowance),
            accrual=p.accrual,
            semimonthly_days=list(p.semimonthly_days or [1, 15]),
            biweekly_anchor=p.biweekly_anchor,
            accrue_at=p.accrue_at,
            prorate_first_year=p.prorate_first_year,
            rounding=p.rounding,
            carryover_max=None if p.carryover_max is None else num(p.carryover_max),
            carryover_expiry_months=p.carryover_expiry_months,
            negative_allowance=num(p.negative_allowance),
            unlimited=p.unlimited,
            active=p.active,
        )


class BalanceOut(BaseModel):
    """One leave type's balance; `/v1/ledger/{employee_id}` lists the entries behind it."""

    leave_type_id: str
    unit: str
    allowance: float
    accrued: float
    carried_over: float
    carryover_expires_on: date | None
    adjustments: float
    used: float
    pending: float
    remaining: float
    available: float
    unlimited: bool

    @classmethod
    def of(cls, leave_type_id: str, unit: str, b: Balance) -> BalanceOut:
        return cls(
            leave_type_id=leave_type_id,
            unit=unit,
            allowance=num(b.allowance),
            accrued=num(b.accrued),
            carried_over=num(b.carried_over),
            carryover_expires_on=b.carryover_expires_on,
            adjustments=num(b.adjustments),
            used=num(b.used),
            pending=num(b.pending),
            remaining=num(b.remaining),
            available=num(b.available),
            unlimited=b.unlimited,
        )


class LeaveYearOut(BaseModel):
    label: int
    start: date
    end: date

    @classmethod
    def of(cls, year: LeaveYear) -> LeaveYearOut:
        return cls(label=year.label, start=year.start, end=year.end)


class EmployeeBalancesOut(BaseModel):
    employee_id: str
    name: str
    as_of: date
    leave_year: LeaveYearOut
    balances: list[BalanceOut]


class EntryOut(BaseModel):
    """A ledger entry: a booking, an adjustment, a carry-over, or a derived accrual or
    expiry."""

    id: str
    leave_type_id: str
    kind: str
    amount: float
    effective_date: date
    source_event_id: str | None
    request_id: str | None
    reason: str | None
    expires_on: date | None

    @classmethod
    def of(cls, e: LedgerEntry) -> EntryOut:
        return cls(
            id=e.id,
            leave_type_id=e.leave_type_id,
            kind=e.kind,
            amount=num(e.amount),
            effective_date=e.effective_date,
            source_event_id=e.source_event_id,
            request_id=e.request_id,
            reason=e.reason,
            expires_on=e.expires_on,
        )


class OverrideOut(BaseModel):
    employee_id: str
    leave_type_id: str
    year: int
    annual_allowance: float


class YearEndJobOut(BaseModel):
    location_id: str
    year: int
    state: str
    processed: int
    carried: int

    @classmethod
    def of(cls, job: YearEndJob) -> YearEndJobOut:
        return cls(
            location_id=job.location_id,
            year=job.year,
            state=job.state,
            processed=job.processed,
            carried=job.carried,
        )


class SkippedLocationOut(BaseModel):
    location_id: str
    reason: str


class YearEndStartedOut(BaseModel):
    year: int
    jobs: list[YearEndJobOut]
    skipped: list[SkippedLocationOut]


class YearEndStatusOut(BaseModel):
    year: int
    jobs: list[YearEndJobOut]

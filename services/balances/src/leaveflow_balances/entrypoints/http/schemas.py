"""Request bodies of the balances API and the models of what it answers.

Responses keep the JSON the API has always sent: amounts as JSON numbers with at most two
decimals, dates as ISO strings, every field present (null when unset).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from leaveflow_kit.validation import MAX_DATE, MIN_DATE

from ...domain.calendar import LeaveYear
from ...domain.ledger import Balance, LedgerEntry
from ...domain.policy import CENT, LabelExtra, Policy, SeniorityStep
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


# Request rules reach at most ten years ahead: further than any leave is planned.
RULE_DAYS = 3650
Extra = Annotated[Decimal, Field(ge=0, le=1000, decimal_places=2)]


class SeniorityStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_years: int = Field(ge=1, le=80)
    extra: Extra


class LabelExtraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=100)
    extra: Extra


class ToilIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expiry_months: int | None = Field(default=None, ge=1, le=120)


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
    min_notice_days: int | None = Field(default=None, ge=0, le=RULE_DAYS)
    max_days_ahead: int | None = Field(default=None, ge=0, le=RULE_DAYS)
    max_consecutive: Decimal | None = Field(default=None, gt=0, le=10000, decimal_places=2)
    probation_days: int | None = Field(default=None, ge=0, le=RULE_DAYS)
    sandwich: Literal["off", "weekends", "holidays", "both"] = "off"
    accrual_cap: Decimal | None = Field(default=None, ge=0, le=10000, decimal_places=2)
    seniority: list[SeniorityStepIn] = Field(default_factory=list, max_length=50)
    seniority_from: Literal["anniversary", "leave_year_start"] = "anniversary"
    label_extra: list[LabelExtraIn] = Field(default_factory=list, max_length=50)
    toil: ToilIn | None = None

    @field_validator("max_days_ahead")
    @classmethod
    def _ahead_of_notice(cls, value: int | None, info: ValidationInfo) -> int | None:
        notice = info.data.get("min_notice_days")
        if value is not None and notice is not None and value < notice:
            raise ValueError("max_days_ahead is below min_notice_days: no day could be asked")
        return value

    @field_validator("seniority")
    @classmethod
    def _one_step_per_year(cls, value: list[SeniorityStepIn]) -> list[SeniorityStepIn]:
        years = [step.after_years for step in value]
        if len(set(years)) != len(years):
            raise ValueError("seniority: one step per after_years")
        return sorted(value, key=lambda step: step.after_years)

    @field_validator("label_extra")
    @classmethod
    def _one_rule_per_label(cls, value: list[LabelExtraIn]) -> list[LabelExtraIn]:
        labels = [rule.label for rule in value]
        if len(set(labels)) != len(labels):
            raise ValueError("label_extra: one rule per label")
        return value

    @field_validator("toil")
    @classmethod
    def _toil_is_counted(cls, value: ToilIn | None, info: ValidationInfo) -> ToilIn | None:
        if value is not None and info.data.get("unlimited"):
            raise ValueError("a time-off-in-lieu type counts its credits: it cannot be unlimited")
        return value

    def policy(self, tenant_id: str, location_id: str, leave_type_id: str) -> Policy:
        return Policy(
            tenant_id=tenant_id,
            location_id=location_id,
            leave_type_id=leave_type_id,
            annual_allowance=self.annual_allowance or Decimal(0),
            accrual=self.accrual,
            semimonthly_days=list(self.semimonthly_days),
            biweekly_anchor=self.biweekly_anchor,
            accrue_at=self.accrue_at,
            prorate_first_year=self.prorate_first_year,
            rounding=self.rounding,
            carryover_max=self.carryover_max,
            carryover_expiry_months=self.carryover_expiry_months,
            negative_allowance=self.negative_allowance,
            unlimited=self.unlimited,
            min_notice_days=self.min_notice_days,
            max_days_ahead=self.max_days_ahead,
            max_consecutive=self.max_consecutive,
            probation_days=self.probation_days,
            sandwich=self.sandwich,
            accrual_cap=self.accrual_cap,
            seniority=[SeniorityStep(s.after_years, s.extra) for s in self.seniority],
            seniority_from=self.seniority_from,
            label_extra=[LabelExtra(r.label, r.extra) for r in self.label_extra],
            toil=self.toil is not None,
            toil_expiry_months=self.toil.expiry_months if self.toil else None,
        )

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


class SeniorityStepOut(BaseModel):
    after_years: int
    extra: float


class LabelExtraOut(BaseModel):
    label: str
    extra: float


class ToilOut(BaseModel):
    expiry_months: int | None


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
    min_notice_days: int | None
    max_days_ahead: int | None
    max_consecutive: float | None
    probation_days: int | None
    sandwich: str
    accrual_cap: float | None
    seniority: list[SeniorityStepOut]
    seniority_from: str
    label_extra: list[LabelExtraOut]
    toil: ToilOut | None

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
            min_notice_days=p.min_notice_days,
            max_days_ahead=p.max_days_ahead,
            max_consecutive=None if p.max_consecutive is None else num(p.max_consecutive),
            probation_days=p.probation_days,
            sandwich=p.sandwich,
            accrual_cap=None if p.accrual_cap is None else num(p.accrual_cap),
            seniority=[
                SeniorityStepOut(after_years=s.after_years, extra=num(s.extra)) for s in p.seniority
            ],
            seniority_from=p.seniority_from,
            label_extra=[LabelExtraOut(label=r.label, extra=num(r.extra)) for r in p.label_extra],
            toil=ToilOut(expiry_months=p.toil_expiry_months) if p.toil else None,
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
    seniority: float
    label_extra: float
    toil_earned: float
    toil_expires_on: date | None

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
            seniority=num(b.seniority),
            label_extra=num(b.label_extra),
            toil_earned=num(b.toil_earned),
            toil_expires_on=b.toil_expires_on,
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

"""Events produced by the requests service (directory and leave requests), v1."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from .envelope import EventData
from .values import Amount, DayPart, LeaveStatus, LeaveUnit, Role


class _RequestsEvent(EventData):
    PRODUCER: ClassVar[str] = "requests"


class TenantCreated(_RequestsEvent):
    EVENT_TYPE: ClassVar[str] = "TenantCreated"
    tenant_id: str
    name: str
    timezone: str
    admin_id: str


class HolidaySource(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    country: str
    subdivision: str | None = None
    # How the requests service reads the `holidays` library for this location (its
    # categories, e.g. DE adds `catholic`; the names' language), so every consumer shows
    # the very days requests prices around without repeating that rule.
    categories: list[str] = ["public"]
    language: str | None = None


class ExtraHoliday(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    date: date
    name: str


class LocationUpserted(_RequestsEvent):
    EVENT_TYPE: ClassVar[str] = "LocationUpserted"
    location_id: str
    name: str
    timezone: str
    workweek: list[int]
    holidays: HolidaySource | None = None
    extra_holidays: list[ExtraHoliday] = []
    leave_year_start: str = "01-01"
    active: bool = True


class DepartmentUpserted(_RequestsEvent):
    EVENT_TYPE: ClassVar[str] = "DepartmentUpserted"
    department_id: str
    name: str
    approver_ids: list[str] = []
    active: bool = True


class EmployeeUpserted(_RequestsEvent):
    EVENT_TYPE: ClassVar[str] = "EmployeeUpserted"
    employee_id: str
    name: str
    email: str
    role: Role
    location_id: str | None = None
    department_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    work_hours_per_day: Amount | None = None


class EmployeeInvited(_RequestsEvent):
    """An admin invited the employee to sign in: the notifications service emails them a
    link to the sign-in page. Names, for the mail: `invited_by` is the inviter's name."""

    EVENT_TYPE: ClassVar[str] = "EmployeeInvited"
    employee_id: str
    email: str
    name: str
    company: str
    invited_by: str | None = None


class LeaveTypeUpserted(_RequestsEvent):
    EVENT_TYPE: ClassVar[str] = "LeaveTypeUpserted"
    leave_type_id: str
    name: str
    unit: LeaveUnit = LeaveUnit.DAYS
    requires_approval: bool = True
    allow_half_days: bool = True
    color: str | None = None
    active: bool = True
    # Flat yearly allowance used until per-location policies exist; None = not tracked.
    annual_allowance: Amount | None = None
    # Shown as "Away" to all but the person, their approvers and admins (calendar, feeds).
    private: bool = False


class _LeaveRequestFacts(_RequestsEvent):
    """What every request event repeats so consumers never need to join."""

    request_id: str
    employee_id: str
    leave_type_id: str
    start_date: date
    end_date: date
    start_part: DayPart = DayPart.FULL
    end_part: DayPart = DayPart.FULL
    amount: Amount
    unit: LeaveUnit = LeaveUnit.DAYS
    working_days: list[date] = []
    # The employee's department when the event happened (routing and visibility).
    department_id: str | None = None


class LeaveRequested(_LeaveRequestFacts):
    EVENT_TYPE: ClassVar[str] = "LeaveRequested"
    requires_approval: bool = True
    reason: str | None = None


class LeavePending(_LeaveRequestFacts):
    """Balances reserved the amount; the request now waits for an approver."""

    EVENT_TYPE: ClassVar[str] = "LeavePending"
    available_after: Amount | None = None


class LeaveRejected(_LeaveRequestFacts):
    """Balances said no (e.g. `insufficient_balance`, `no_policy`): the request is over."""

    EVENT_TYPE: ClassVar[str] = "LeaveRejected"
    rejection_reason: str
    available: Amount | None = None


class LeaveApproved(_LeaveRequestFacts):
    EVENT_TYPE: ClassVar[str] = "LeaveApproved"
    approver_id: str | None = None
    note: str | None = None


class LeaveDenied(_LeaveRequestFacts):
    EVENT_TYPE: ClassVar[str] = "LeaveDenied"
    approver_id: str | None = None
    note: str | None = None


class LeaveRepriced(_LeaveRequestFacts):
    """The location's holidays or work week changed: `amount` is the new price."""

    EVENT_TYPE: ClassVar[str] = "LeaveRepriced"
    old_amount: Amount
    status: LeaveStatus


class LeaveCancelled(_LeaveRequestFacts):
    EVENT_TYPE: ClassVar[str] = "LeaveCancelled"
    previous_status: LeaveStatus
    cancelled_by: str | None = None
    note: str | None = None

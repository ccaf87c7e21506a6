"""Events produced by the requests service (directory and leave requests), v1."""

from __future__ import annotations

from datetime import date, datetime
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


class ApprovalLevelRule(BaseModel):
    """One configured approval level of a department. It applies to a request when every
    condition it has holds: `amount >= min_amount` (in the type's unit), the type listed."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    approver_ids: list[str]
    min_amount: Amount | None = None
    leave_type_ids: list[str] | None = None


class DepartmentUpserted(_RequestsEvent):
    EVENT_TYPE: ClassVar[str] = "DepartmentUpserted"
    department_id: str
    name: str
    # The approvers of the first level (the shorthand of a single unconditional level).
    approver_ids: list[str] = []
    active: bool = True
    approval_levels: list[ApprovalLevelRule] = []


class ApprovalLevelState(BaseModel):
    """One level of a request's approval, fixed when the request became pending."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    level: int
    approver_ids: list[str]
    # waiting | pending | approved | denied | skipped
    status: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None


class Approval(BaseModel):
    """Where a request's approval stands. `deciders` are the people who may decide the
    current level now (its approvers but never the requester, their substitutes holding
    today, stand-ins for approvers on leave, else the admins): the ones to notify."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    current_level: int | None = None
    levels: list[ApprovalLevelState] = []
    deciders: list[str] = []


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
    # An approver whose approved leave hands their decisions to the department's other
    # approvers (else the admins) on those days.
    when_on_leave: bool = False
    # Free labels ("senior") that policies may grant extra entitlement for.
    labels: list[str] = []


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
    # Issue 17: what "warn" blackouts say (for the approvers, in every notification), and
    # an admin's deliberate override of notice and blocking blackouts.
    warnings: list[str] = []
    rules_overridden: bool = False


class LeavePending(_LeaveRequestFacts):
    """Balances reserved the amount; the request now waits for an approver."""

    EVENT_TYPE: ClassVar[str] = "LeavePending"
    available_after: Amount | None = None
    approval: Approval | None = None
    warnings: list[str] = []


class LeaveLevelApproved(_LeaveRequestFacts):
    """One level approved and a later one now decides: the request stays pending.
    `approval.deciders` are the next level's deciders."""

    EVENT_TYPE: ClassVar[str] = "LeaveLevelApproved"
    level: int
    approver_id: str
    note: str | None = None
    approval: Approval


class LeaveRejected(_LeaveRequestFacts):
    """Balances said no (e.g. `insufficient_balance`, `no_policy`): the request is over."""

    EVENT_TYPE: ClassVar[str] = "LeaveRejected"
    rejection_reason: str
    available: Amount | None = None


class LeaveApproved(_LeaveRequestFacts):
    # `approver_id` "system" with a `note` saying why: an automatic decision.
    EVENT_TYPE: ClassVar[str] = "LeaveApproved"
    approver_id: str | None = None
    note: str | None = None
    level: int | None = None
    approval: Approval | None = None


class LeaveDenied(_LeaveRequestFacts):
    EVENT_TYPE: ClassVar[str] = "LeaveDenied"
    approver_id: str | None = None
    note: str | None = None
    level: int | None = None
    approval: Approval | None = None


class LeaveRepriced(_LeaveRequestFacts):
    """The location's holidays or work week changed: `amount` is the new price."""

    EVENT_TYPE: ClassVar[str] = "LeaveRepriced"
    old_amount: Amount
    status: LeaveStatus
    # Set when a person edited the request (PATCH) rather than the calendar changing:
    # the new dates are in the facts, the old ones here; a pending request's approval
    # restarts at level 1 (`approval`).
    edited_by: str | None = None
    old_start_date: date | None = None
    old_end_date: date | None = None
    approval: Approval | None = None
    # Set on a person's edit only: balances checks the new price against what is left and
    # answers a shortfall with `LeaveEditRejected` naming this id (a calendar change is a
    # fact to follow, never refused, so it carries none).
    edit_id: str | None = None


class LeaveCancelled(_LeaveRequestFacts):
    EVENT_TYPE: ClassVar[str] = "LeaveCancelled"
    previous_status: LeaveStatus
    cancelled_by: str | None = None
    note: str | None = None


class ApprovalReminderDue(_LeaveRequestFacts):
    """A pending request waited `remind_after_hours` (then every `remind_every_hours`):
    remind the current level's deciders. One event per (request, level, number)."""

    EVENT_TYPE: ClassVar[str] = "ApprovalReminderDue"
    level: int
    reminder_number: int
    pending_since: datetime
    approval: Approval


class ApprovalEscalated(_LeaveRequestFacts):
    """A pending request waited `escalate_after_hours`, or its leave starts while it is
    still pending with `when_leave_starts: escalate`: tell the admins, once."""

    EVENT_TYPE: ClassVar[str] = "ApprovalEscalated"
    level: int | None = None
    admin_ids: list[str]
    pending_since: datetime
    # "waited" (escalate_after_hours) or "leave_starts"
    cause: str = "waited"
    approval: Approval | None = None


class ToilApproved(_RequestsEvent):
    """An approved time-off-in-lieu claim: balances credits `amount` dated `date`."""

    EVENT_TYPE: ClassVar[str] = "ToilApproved"
    toil_id: str
    employee_id: str
    leave_type_id: str
    date: date
    amount: Amount
    unit: LeaveUnit = LeaveUnit.DAYS
    approver_id: str | None = None
    note: str | None = None


class ToilCancelled(_RequestsEvent):
    """A claim was cancelled: pending (nothing was credited) or approved, once balances
    took its unused credit back (balances takes it back here too, should requests have
    stopped between the two)."""

    EVENT_TYPE: ClassVar[str] = "ToilCancelled"
    toil_id: str
    employee_id: str
    leave_type_id: str
    date: date
    amount: Amount
    unit: LeaveUnit = LeaveUnit.DAYS
    previous_status: str
    cancelled_by: str | None = None
    note: str | None = None


class ToilPending(_RequestsEvent):
    """A time-off-in-lieu claim waits for a level: made (level 1), or the level before it
    approved. `approval.deciders` are the ones to ask; nothing is credited yet."""

    EVENT_TYPE: ClassVar[str] = "ToilPending"
    toil_id: str
    employee_id: str
    leave_type_id: str
    date: date
    amount: Amount
    unit: LeaveUnit = LeaveUnit.DAYS
    note: str | None = None
    department_id: str | None = None
    approval: Approval | None = None


class ToilDenied(_RequestsEvent):
    """A claim was denied at `approval`'s current level: nothing is credited."""

    EVENT_TYPE: ClassVar[str] = "ToilDenied"
    toil_id: str
    employee_id: str
    leave_type_id: str
    date: date
    amount: Amount
    unit: LeaveUnit = LeaveUnit.DAYS
    approver_id: str | None = None
    note: str | None = None
    approval: Approval | None = None

"""Domain records -> integration events (leaveflow_contracts). The only place they are built."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeInvited,
    EmployeeUpserted,
    EventData,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveLevelApproved,
    LeavePending,
    LeaveRejected,
    LeaveRepriced,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
    ToilApproved,
    ToilCancelled,
    ToilDenied,
    ToilPending,
)
from leaveflow_contracts.requests import (
    Approval,
    ApprovalLevelRule,
    ExtraHoliday,
    HolidaySource,
)
from leaveflow_contracts.values import LeaveUnit

from ..domain.directory import Department, Employee, LeaveType, Location, Tenant
from ..domain.model import LeaveRequest
from ..domain.toil import ToilClaim


def tenant_created(tenant: Tenant, admin_id: str) -> TenantCreated:
    return TenantCreated(
        tenant_id=tenant.id, name=tenant.name, timezone=tenant.timezone, admin_id=admin_id
    )


def _holiday_source(loc: Location) -> HolidaySource | None:
    calendar = loc.holiday_calendar()
    if calendar is None:
        return None
    return HolidaySource(
        country=calendar.country,
        subdivision=calendar.subdivision,
        categories=list(calendar.categories or ()),
        language=calendar.language,
    )


def employee_invited(e: Employee, tenant: Tenant, by: Employee | None) -> EmployeeInvited:
    # Names, not ids: the mail says who invited whom to which company.
    return EmployeeInvited(
        employee_id=e.id,
        email=e.email,
        name=e.name,
        company=tenant.name,
        invited_by=by.name if by else None,
    )


def location_upserted(loc: Location) -> LocationUpserted:
    return LocationUpserted(
        location_id=loc.id,
        name=loc.name,
        timezone=loc.timezone,
        workweek=list(loc.workweek),
        holidays=_holiday_source(loc),
        extra_holidays=[
            ExtraHoliday(date=date.fromisoformat(h["date"]), name=h["name"])
            for h in loc.extra_holidays
        ],
        leave_year_start=loc.leave_year_start,
        active=loc.active,
    )


def department_upserted(d: Department) -> DepartmentUpserted:
    return DepartmentUpserted(
        department_id=d.id,
        name=d.name,
        approver_ids=list(d.approver_ids),
        active=d.active,
        approval_levels=[
            ApprovalLevelRule(
                approver_ids=list(r.approver_ids),
                min_amount=r.min_amount,
                leave_type_ids=list(r.leave_type_ids) if r.leave_type_ids is not None else None,
            )
            for r in d.rules()
        ],
    )


def employee_upserted(e: Employee) -> EmployeeUpserted:
    return EmployeeUpserted(
        employee_id=e.id,
        name=e.name,
        email=e.email,
        role=e.role,
        location_id=e.location_id,
        department_id=e.department_id,
        start_date=e.start_date,
        end_date=e.end_date,
        slack_user_id=e.slack_user_id,
        teams_user_id=e.teams_user_id,
        work_hours_per_day=e.work_hours_per_day,
        when_on_leave=e.when_on_leave,
        labels=list(e.labels),
    )


def leave_type_upserted(t: LeaveType) -> LeaveTypeUpserted:
    return LeaveTypeUpserted(
        leave_type_id=t.id,
        name=t.name,
        unit=t.unit,
        requires_approval=t.requires_approval,
        allow_half_days=t.allow_half_days,
        color=t.color,
        active=t.active,
        annual_allowance=t.annual_allowance,
        private=t.private,
    )


def _facts(r: LeaveRequest) -> dict[str, object]:
    return {
        "request_id": r.id,
        "employee_id": r.employee_id,
        "leave_type_id": r.leave_type_id,
        "start_date": r.start_date,
        "end_date": r.end_date,
        "start_part": r.start_part,
        "end_part": r.end_part,
        "amount": r.amount,
        "unit": r.unit,
        "working_days": list(r.working_days),
        "department_id": r.department_id,
    }


def leave_requested(r: LeaveRequest) -> LeaveRequested:
    return LeaveRequested(
        **_facts(r),
        requires_approval=r.requires_approval,
        reason=r.reason,
        warnings=r.warnings,
        rules_overridden=r.rules_overridden,
    )


def leave_pending(
    r: LeaveRequest, available_after: Decimal | None, approval: Approval | None = None
) -> LeavePending:
    return LeavePending(
        **_facts(r), available_after=available_after, approval=approval, warnings=r.warnings
    )


def leave_rejected(r: LeaveRequest, available: Decimal | None) -> LeaveRejected:
    return LeaveRejected(
        **_facts(r), rejection_reason=r.rejection_reason or "rejected", available=available
    )


def leave_decided(
    r: LeaveRequest,
    by: str | None,
    note: str | None,
    *,
    level: int | None = None,
    approval: Approval | None = None,
) -> EventData:
    cls = LeaveApproved if r.status == "approved" else LeaveDenied
    return cls(**_facts(r), approver_id=by, note=note, level=level, approval=approval)


def leave_level_approved(
    r: LeaveRequest, by: str, note: str | None, *, level: int, approval: Approval
) -> LeaveLevelApproved:
    return LeaveLevelApproved(
        **_facts(r), level=level, approver_id=by, note=note, approval=approval
    )


def leave_repriced(
    r: LeaveRequest,
    old_amount: Decimal,
    *,
    edited_by: str | None = None,
    old_start_date: date | None = None,
    old_end_date: date | None = None,
    approval: Approval | None = None,
    edit_id: str | None = None,
) -> LeaveRepriced:
    return LeaveRepriced(
        **_facts(r),
        old_amount=old_amount,
        status=r.status,
        edited_by=edited_by,
        old_start_date=old_start_date,
        old_end_date=old_end_date,
        approval=approval,
        edit_id=edit_id,
    )


def leave_cancelled(r: LeaveRequest, previous: str, by: str, note: str | None) -> LeaveCancelled:
    return LeaveCancelled(
        **_facts(r),
        previous_status=previous,
        cancelled_by=by,
        note=note,
    )


def _toil_facts(c: ToilClaim) -> dict[str, object]:
    return {
        "toil_id": c.id,
        "employee_id": c.employee_id,
        "leave_type_id": c.leave_type_id,
        "date": c.date,
        "amount": c.amount,
        "unit": LeaveUnit(c.unit),
    }


def toil_pending(c: ToilClaim, approval: Approval | None) -> ToilPending:
    return ToilPending(
        **_toil_facts(c),
        note=c.note,
        department_id=c.department_id,
        approval=approval,
    )


def toil_denied(c: ToilClaim, by: str, note: str | None, approval: Approval | None) -> ToilDenied:
    return ToilDenied(
        **_toil_facts(c),
        approver_id=by,
        note=note,
        approval=approval,
    )


def toil_cancelled(c: ToilClaim, previous: str, by: str, note: str | None) -> ToilCancelled:
    return ToilCancelled(
        **_toil_facts(c),
        previous_status=previous,
        cancelled_by=by,
        note=note,
    )


def toil_approved(c: ToilClaim, approver_id: str | None) -> ToilApproved:
    # The claim's own note: balances writes it on the credit's ledger entry.
    return ToilApproved(
        **_toil_facts(c),
        approver_id=approver_id,
        note=c.note,
    )

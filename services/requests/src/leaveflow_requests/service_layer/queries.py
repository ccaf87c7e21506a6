"""Read side of the requests service: the queries that are more than one read of the
read model (`ports.ReadModel`, which the routes use directly for plain reads).

Every read is scoped to the caller's tenant: another tenant's record reads as absent.
"""

from __future__ import annotations

from datetime import date

from leaveflow_kit.clock import today_in

from ..domain.directory import Employee, normalise_email
from ..domain.model import LeaveRequest
from ..domain.working_days import WorkingDays, count_working_days
from .ports import Clock, DirectoryReads, ReadModel
from .submission_rules import sandwiched_days, with_sandwiched
from .visibility import Visibility


async def employee_today(reads: DirectoryReads, clock: Clock, employee: Employee) -> date:
    """Today where the employee works: their location's zone, else their company's."""
    location = (
        await reads.location(employee.tenant_id, employee.location_id)
        if employee.location_id
        else None
    )
    if location is not None:
        return today_in(clock, location.timezone)
    tenant = await reads.tenant(employee.tenant_id)
    return today_in(clock, tenant.timezone if tenant else None)


async def employee_has_left(reads: DirectoryReads, clock: Clock, employee: Employee) -> bool:
    """Whether the employee's last day is behind them (in their own time zone)."""
    if employee.end_date is None:
        return False
    return employee.end_date < await employee_today(reads, clock, employee)


async def get_employee_by_email(reads: ReadModel, tenant_id: str, email: str) -> Employee | None:
    try:
        key = normalise_email(email)
    except ValueError:
        return None
    return await reads.employee_by_email(tenant_id, key)


async def list_leave_requests(
    reads: ReadModel,
    tenant_id: str,
    *,
    limit: int,
    cursor: str | None,
    start: date | None = None,
    end: date | None = None,
    visible: Visibility | None = None,
    **filters: str | None,
) -> tuple[list[LeaveRequest], str | None]:
    """A page of requests matching the filters (None: any) that `visible` covers (None:
    the whole tenant); with a date window, only those touching it. A filter outside the
    caller's scope finds nothing (an empty page, as for a filter nobody matches)."""
    given = {k: v for k, v in filters.items() if v is not None}
    employee_ids = None
    if visible is not None and not visible.everyone:
        wanted = given.get("employee_id")
        if wanted is not None and not visible.covers(wanted):
            return [], None
        employee_ids = None if wanted is not None else visible.employee_ids | {visible.self_id}
    return await reads.leave_requests(
        tenant_id,
        limit=limit,
        cursor=cursor,
        start=start,
        end=end,
        filters=given,
        employee_ids=employee_ids,
    )


async def working_days(
    reads: ReadModel,
    tenant_id: str,
    employee: Employee,
    start: date,
    end: date,
    *,
    start_part: str = "full",
    end_part: str = "full",
) -> WorkingDays:
    """The days a request of `employee` over the range would take: their location's work
    week and holidays, their work pattern, the half days, exactly as a submission counts."""
    location = (
        await reads.location(tenant_id, employee.location_id) if employee.location_id else None
    )
    return count_working_days(
        start,
        end,
        start_part=start_part,
        end_part=end_part,
        schedule=location.schedule_for(employee) if location else None,
        holidays=location.holidays_between(start, end).keys() if location else (),
    )


async def priced_days(
    reads: ReadModel,
    tenant_id: str,
    employee: Employee,
    start: date,
    end: date,
    *,
    start_part: str = "full",
    end_part: str = "full",
    leave_type_id: str | None = None,
) -> tuple[WorkingDays, tuple[date, ...]]:
    """`working_days`, and with a day-unit leave type also the non-working days its
    policy's sandwich rule charges (included in the days and the amount)."""
    counted = await working_days(
        reads, tenant_id, employee, start, end, start_part=start_part, end_part=end_part
    )
    leave_type = await reads.leave_type(tenant_id, leave_type_id) if leave_type_id else None
    if leave_type is None or leave_type.unit != "days":
        return counted, ()
    location = (
        await reads.location(tenant_id, employee.location_id) if employee.location_id else None
    )
    extra = await sandwiched_days(reads, employee, location, leave_type.id, counted, start, end)
    return with_sandwiched(counted, extra), extra

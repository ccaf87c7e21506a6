"""Directory API: locations, departments, employees and leave types of a tenant."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter

from leaveflow_kit.clock import today_in
from leaveflow_kit.http import NotFound, Unprocessable
from leaveflow_kit.http.paging import Page

from ...domain.directory import Department, LeaveType, Location
from ...service_layer import directory, employee_import
from ...service_layer.commands import (
    CreateLeaveType,
    DepartmentFields,
    LocationFields,
    UpsertEmployee,
)
from ...service_layer.ports import ReadModel
from .deps import ActorDep, ClockDep, ReadModelDep, UnitOfWorkDep
from .schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    EmployeeIn,
    EmployeeOut,
    EmployeePatch,
    HolidayOut,
    ImportReportOut,
    LeaveTypeIn,
    LeaveTypeOut,
    LeaveTypePatch,
    LocationHolidaysOut,
    LocationIn,
    LocationOut,
    LocationPatch,
    PageOut,
)

router = APIRouter(tags=["directory"])

# The documented body limit of the CSV import (bootstrap.py hands it to the runtime); a
# larger file is a 413 before it is read. Every other route: the kit's 1 MiB.
MAX_IMPORT_BYTES = 5_000_000
IMPORT_PATH = "/v1/employees/import"


# --- departments --------------------------------------------------------------------------


async def _department_or_404(reads: ReadModel, tenant_id: str, department_id: str) -> Department:
    department = await reads.department(tenant_id, department_id)
    if department is None or not department.active:
        raise NotFound("no such department")
    return department


def _department_fields(
    body: DepartmentIn | DepartmentPatch, current: Department | None = None
) -> DepartmentFields:
    given = body.model_fields_set
    max_off = body.max_off if current is None or "max_off" in given else current.max_off
    mode = body.max_off_mode or (current.max_off_mode if current else "block")
    return DepartmentFields(
        name=body.name if body.name is not None else (current.name if current else ""),
        max_off=max_off,
        max_off_mode=mode,
        approver_ids=tuple(body.approver_ids) if body.approver_ids is not None else None,
        approval_levels=(
            tuple(level.rule() for level in body.approval_levels)
            if body.approval_levels is not None
            else None
        ),
    )


@router.post("/v1/departments", status_code=201)
async def create_department(
    body: DepartmentIn, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep
) -> DepartmentOut:
    """Add a department with its approval levels (or `approver_ids`, one level), whose
    approvers are active employees with role approver or admin."""
    fields = _department_fields(body)
    return DepartmentOut.of(await directory.save_department(uow, actor, fields, clock=clock))


@router.get("/v1/departments")
async def list_departments(actor: ActorDep, reads: ReadModelDep) -> PageOut[DepartmentOut]:
    items = await reads.departments(actor.tenant_id)
    return PageOut(items=[DepartmentOut.of(d) for d in items if d.active], next_cursor=None)


@router.get("/v1/departments/{department_id}")
async def get_department(department_id: str, actor: ActorDep, reads: ReadModelDep) -> DepartmentOut:
    return DepartmentOut.of(await _department_or_404(reads, actor.tenant_id, department_id))


@router.patch("/v1/departments/{department_id}")
async def patch_department(
    department_id: str,
    body: DepartmentPatch,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    reads: ReadModelDep,
    clock: ClockDep,
) -> DepartmentOut:
    """Rename a department or change its approval levels or coverage limit (admin)."""
    current = await _department_or_404(reads, actor.tenant_id, department_id)
    fields = _department_fields(body, current)
    saved = await directory.save_department(uow, actor, fields, department_id, clock=clock)
    return DepartmentOut.of(saved)


@router.delete("/v1/departments/{department_id}", status_code=204)
async def delete_department(department_id: str, actor: ActorDep, uow: UnitOfWorkDep) -> Response:
    """Remove a department (admin); kept as inactive so history still names it."""
    await directory.deactivate_department(uow, actor, department_id)
    return Response(status_code=204)


# --- locations ----------------------------------------------------------------------------


def _location_fields(body: LocationIn | LocationPatch, base: Location | None) -> LocationFields:
    """The fields given in the body; those not given keep the location's current values."""
    given = body.model_dump(exclude_unset=True)
    current = LocationOut.of(base).model_dump() if base else {}

    def pick(key: str, default: Any) -> Any:
        return given[key] if key in given else current.get(key, default)

    source = pick("holidays", None)
    extras = pick("extra_holidays", []) or []  # null clears them
    return LocationFields(
        name=pick("name", ""),
        timezone=pick("timezone", "UTC"),
        workweek=tuple(pick("workweek", [1, 2, 3, 4, 5])),
        country=source["country"] if source else None,
        subdivision=source.get("subdivision") if source else None,
        extra_holidays=tuple((str(h["date"]), h["name"]) for h in extras),
        leave_year_start=pick("leave_year_start", "01-01"),
    )


async def _location_or_404(reads: ReadModel, tenant_id: str, location_id: str) -> Location:
    location = await reads.location(tenant_id, location_id)
    if location is None:
        raise NotFound("no such location")
    return location


@router.post("/v1/locations", status_code=201)
async def create_location(body: LocationIn, actor: ActorDep, uow: UnitOfWorkDep) -> LocationOut:
    """Add a location: time zone, work week, public holidays, leave-year start (admin)."""
    return LocationOut.of(await directory.save_location(uow, actor, _location_fields(body, None)))


@router.get("/v1/locations")
async def list_locations(actor: ActorDep, reads: ReadModelDep) -> PageOut[LocationOut]:
    items = await reads.locations(actor.tenant_id)
    return PageOut(items=[LocationOut.of(loc) for loc in items], next_cursor=None)


@router.get("/v1/locations/{location_id}")
async def get_location(location_id: str, actor: ActorDep, reads: ReadModelDep) -> LocationOut:
    return LocationOut.of(await _location_or_404(reads, actor.tenant_id, location_id))


@router.patch("/v1/locations/{location_id}")
async def patch_location(
    location_id: str,
    body: LocationPatch,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    reads: ReadModelDep,
    clock: ClockDep,
) -> LocationOut:
    """Change some fields of a location (admin)."""
    current = await _location_or_404(reads, actor.tenant_id, location_id)
    fields = _location_fields(body, current)
    return LocationOut.of(
        await directory.save_location(uow, actor, fields, location_id, clock=clock)
    )


@router.delete("/v1/locations/{location_id}", status_code=204)
async def delete_location(location_id: str, actor: ActorDep, uow: UnitOfWorkDep) -> Response:
    """Deactivate a location (admin); its history stays."""
    await directory.deactivate_location(uow, actor, location_id)
    return Response(status_code=204)


@router.get("/v1/locations/{location_id}/holidays")
async def location_holidays(
    location_id: str,
    actor: ActorDep,
    reads: ReadModelDep,
    clock: ClockDep,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> LocationHolidaysOut:
    """Public and company holidays of a location in a year (default: this year)."""
    location = await _location_or_404(reads, actor.tenant_id, location_id)
    chosen = year or today_in(clock, location.timezone).year
    found = location.holidays_between(date(chosen, 1, 1), date(chosen, 12, 31))
    return LocationHolidaysOut(
        location_id=location.id,
        year=chosen,
        items=[HolidayOut(date=d, name=n) for d, n in found.items()],
    )


# --- employees ----------------------------------------------------------------------------


@router.post("/v1/employees", status_code=201)
async def create_employee(body: EmployeeIn, actor: ActorDep, uow: UnitOfWorkDep) -> EmployeeOut:
    """Add an employee (admin)."""
    cmd = UpsertEmployee(**body.model_dump())
    return EmployeeOut.of(await directory.create_employee(uow, actor, cmd))


# A page of up to 1,000 people is serialised straight from the records in one pass of
# pydantic's core: `EmployeeOut.of` (a deep `asdict` per person) and FastAPI's re-validation
# of a returned model took ten times as long and made most of the garbage whose full
# collections were the list's slow tail (issue 19). Same schema, so the same JSON.
_EMPLOYEE_PAGE: TypeAdapter[PageOut[EmployeeOut]] = TypeAdapter(PageOut[EmployeeOut])


@router.get("/v1/employees", response_model=PageOut[EmployeeOut])
async def list_employees(
    actor: ActorDep,
    reads: ReadModelDep,
    page: Page,
    department_id: Annotated[str | None, Query(max_length=100)] = None,
    location_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The tenant's people in pages; `department_id` and `location_id` narrow the list to
    those in that department and at that location."""
    items, cursor = await reads.employees_of(
        actor.tenant_id,
        limit=page.limit,
        cursor=page.cursor,
        department_id=department_id,
        location_id=location_id,
    )
    body = _EMPLOYEE_PAGE.validate_python(
        {"items": items, "next_cursor": cursor}, from_attributes=True
    )
    return Response(_EMPLOYEE_PAGE.dump_json(body), media_type="application/json")


@router.post(
    IMPORT_PATH,
    responses={413: {"description": "The file is larger than 5 MB"}},
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_employees(
    request: Request, actor: ActorDep, uow: UnitOfWorkDep
) -> ImportReportOut:
    """Create or update employees from CSV (`name,email,location,department,role,start_date`,
    optionally `labels`, `;`-separated).

    All or nothing: any bad line means nobody changes, and every bad line is reported.
    """
    raw = await request.body()  # at most MAX_IMPORT_BYTES: the app's body limit for it
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("the file is not UTF-8 text", field="body") from None
    return ImportReportOut.of(await employee_import.import_employees(uow, actor, text))


@router.get("/v1/employees/{employee_id}")
async def get_employee(employee_id: str, actor: ActorDep, reads: ReadModelDep) -> EmployeeOut:
    employee = await reads.employee(actor.tenant_id, employee_id)
    if employee is None:
        raise NotFound("no such employee")
    return EmployeeOut.of(employee)


@router.patch("/v1/employees/{employee_id}")
async def patch_employee(
    employee_id: str, body: EmployeePatch, actor: ActorDep, uow: UnitOfWorkDep
) -> EmployeeOut:
    """Change some fields of an employee (admin)."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "email", "role", "work_hours_per_day", "when_on_leave", "labels"):
        if required in changes and changes[required] is None:
            raise Unprocessable(f"{required} cannot be null", field=required)
    return EmployeeOut.of(await directory.update_employee(uow, actor, employee_id, changes))


# --- leave types --------------------------------------------------------------------------


async def _leave_types_out(
    reads: ReadModel, tenant_id: str, *types: LeaveType
) -> list[LeaveTypeOut]:
    available_at = await reads.locations_by_leave_type(tenant_id)
    return [LeaveTypeOut.of(t, available_at) for t in types]


@router.patch("/v1/leave-types/{leave_type_id}")
async def patch_leave_type(
    leave_type_id: str,
    body: LeaveTypePatch,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    reads: ReadModelDep,
) -> LeaveTypeOut:
    """Change some fields of a leave type (admin); the unit never changes."""
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in ("color", "annual_allowance")
    }
    leave_type = await directory.update_leave_type(uow, actor, leave_type_id, changes)
    (out,) = await _leave_types_out(reads, actor.tenant_id, leave_type)
    return out


@router.delete("/v1/leave-types/{leave_type_id}", status_code=204)
async def delete_leave_type(leave_type_id: str, actor: ActorDep, uow: UnitOfWorkDep) -> Response:
    """Remove a leave type (admin): deleted if never requested, otherwise deactivated (no
    new requests; its history and balances stay)."""
    await directory.remove_leave_type(uow, actor, leave_type_id)
    return Response(status_code=204)


@router.post("/v1/leave-types", status_code=201)
async def create_leave_type(
    body: LeaveTypeIn, actor: ActorDep, uow: UnitOfWorkDep, reads: ReadModelDep
) -> LeaveTypeOut:
    """Add a leave type (admin)."""
    leave_type = await directory.create_leave_type(uow, actor, CreateLeaveType(**body.model_dump()))
    (out,) = await _leave_types_out(reads, actor.tenant_id, leave_type)
    return out


@router.get("/v1/leave-types")
async def list_leave_types(actor: ActorDep, reads: ReadModelDep) -> PageOut[LeaveTypeOut]:
    items = await reads.leave_types(actor.tenant_id)
    return PageOut(items=await _leave_types_out(reads, actor.tenant_id, *items), next_cursor=None)


@router.get("/v1/leave-types/{leave_type_id}")
async def get_leave_type(leave_type_id: str, actor: ActorDep, reads: ReadModelDep) -> LeaveTypeOut:
    leave_type = await reads.leave_type(actor.tenant_id, leave_type_id)
    if leave_type is None:
        raise NotFound("no such leave type")
    (out,) = await _leave_types_out(reads, actor.tenant_id, leave_type)
    return out

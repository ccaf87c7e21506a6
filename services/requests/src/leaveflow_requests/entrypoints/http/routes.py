"""HTTP routes of the requests service: parse, authorise, call a use case, map the result."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from leaveflow_kit.auth import CurrentUser, Principal, TokenIssuer
from leaveflow_kit.http import NotFound, Unprocessable
from leaveflow_kit.http.paging import Page, page_out
from leaveflow_kit.storage import Store

from ...domain.directory import Department, Employee, LeaveType, Location
from ...service_layer import employee_import, handlers, policies, queries
from ...service_layer.commands import (
    Actor,
    CancelLeaveRequest,
    CreateLeaveType,
    CreateTenant,
    DecideLeaveRequest,
    DepartmentFields,
    LocationFields,
    SubmitLeaveRequest,
    UpsertEmployee,
)
from .schemas import (
    DepartmentIn,
    DepartmentPatch,
    DevLoginIn,
    EmployeeIn,
    EmployeePatch,
    LeaveRequestIn,
    LeaveTypeIn,
    LeaveTypePatch,
    LocationIn,
    LocationPatch,
    NoteIn,
    RequiredNoteIn,
    TenantIn,
    request_out,
)

router = APIRouter()


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _actor(request: Request, user: Principal) -> Actor:
    return Actor(
        tenant_id=user.tenant_id,
        employee_id=user.employee_id,
        role=user.role,
        correlation_id=getattr(request.state, "correlation_id", None),
    )


def _employee_out(e: Employee) -> dict[str, Any]:
    out = asdict(e)
    out.pop("request_guard", None)
    for key in ("start_date", "end_date"):
        out[key] = out[key].isoformat() if out[key] else None
    out["work_hours_per_day"] = float(e.work_hours_per_day)
    if e.work_pattern is not None:
        out["work_pattern"] = {k: float(v) for k, v in e.work_pattern.items()}
    return out


def _leave_type_out(t: LeaveType, available_at: dict[str, list[str]]) -> dict[str, Any]:
    out = asdict(t)
    out.pop("extra", None)
    out["annual_allowance"] = float(t.annual_allowance) if t.annual_allowance is not None else None
    # Where it can be requested: the locations with an active policy in balances.
    out["location_ids"] = sorted(available_at.get(t.id, []))
    return out


async def _leave_types_out(
    request: Request, user: Principal, *types: LeaveType
) -> list[dict[str, Any]]:
    available_at = await policies.locations_by_leave_type(_store(request), user.tenant_id)
    return [_leave_type_out(t, available_at) for t in types]


# --- tenancy and tokens -------------------------------------------------------------------


@router.post("/v1/tenants", status_code=201, tags=["tenancy"])
async def create_tenant(body: TenantIn, request: Request) -> dict[str, Any]:
    """Sign up a company: creates the tenant and its first admin (public while signup is open;
    with `LEAVEFLOW_SIGNUP_OPEN=first`, until the first company exists)."""
    mode = request.app.state.settings.signup_open
    if mode is False:
        raise NotFound("signup is closed")
    tenant, admin = await handlers.create_tenant(
        _store(request), CreateTenant(**body.model_dump()), first_only=mode == "first"
    )
    issuer: TokenIssuer = request.app.state.issuer
    token = issuer.issue(Principal(tenant_id=tenant.id, employee_id=admin.id, role="admin"))
    return {"tenant_id": tenant.id, "admin_id": admin.id, "token": token}


@router.post("/v1/auth/dev-login", tags=["tenancy"])
async def dev_login(body: DevLoginIn, request: Request) -> dict[str, Any]:
    """Log in as any employee by email (development only; 404 when disabled)."""
    if not request.app.state.settings.dev_login:
        raise NotFound("dev login is disabled")
    employee = await handlers.find_login(_store(request), body.tenant_id, body.email)
    issuer: TokenIssuer = request.app.state.issuer
    principal = Principal(tenant_id=employee.tenant_id, employee_id=employee.id, role=employee.role)
    return {"token": issuer.issue(principal), "employee_id": employee.id, "role": employee.role}


@router.get("/.well-known/jwks.json", tags=["tenancy"])
async def jwks(request: Request) -> dict[str, Any]:
    """Public keys that verify Leaveflow tokens."""
    issuer: TokenIssuer = request.app.state.issuer
    return issuer.jwks()


# --- directory ----------------------------------------------------------------------------


def _location_out(loc: Location) -> dict[str, Any]:
    return {
        "id": loc.id,
        "name": loc.name,
        "timezone": loc.timezone,
        "workweek": loc.workweek,
        "holidays": (
            {"country": loc.country, "subdivision": loc.subdivision} if loc.country else None
        ),
        "extra_holidays": loc.extra_holidays,
        "leave_year_start": loc.leave_year_start,
        "active": loc.active,
    }


def _location_fields(body: LocationIn | LocationPatch, base: Location | None) -> LocationFields:
    given = body.model_dump(exclude_unset=True)
    current = _location_out(base) if base else {}

    def pick(key: str, default: Any) -> Any:
        return given[key] if key in given else current.get(key, default)

    source = pick("holidays", None)
    extras = pick("extra_holidays", [])
    return LocationFields(
        name=pick("name", ""),
        timezone=pick("timezone", "UTC"),
        workweek=tuple(pick("workweek", [1, 2, 3, 4, 5])),
        country=source["country"] if source else None,
        subdivision=source.get("subdivision") if source else None,
        extra_holidays=tuple((str(h["date"]), h["name"]) for h in extras),
        leave_year_start=pick("leave_year_start", "01-01"),
    )


def _department_out(d: Department) -> dict[str, Any]:
    return {"id": d.id, "name": d.name, "approver_ids": d.approver_ids, "active": d.active}


async def _department_or_404(request: Request, user: Principal, department_id: str) -> Department:
    department = await queries.get_department(_store(request), user.tenant_id, department_id)
    if department is None or not department.active:
        raise NotFound("no such department")
    return department


@router.post("/v1/departments", status_code=201, tags=["directory"])
async def create_department(
    body: DepartmentIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Add a department with its approvers (employees with role approver or admin)."""
    department = await handlers.save_department(
        _store(request),
        _actor(request, user),
        DepartmentFields(name=body.name, approver_ids=tuple(body.approver_ids)),
    )
    return _department_out(department)


@router.get("/v1/departments", tags=["directory"])
async def list_departments(request: Request, user: CurrentUser) -> dict[str, Any]:
    items = await queries.list_departments(_store(request), user.tenant_id)
    return page_out([_department_out(d) for d in items if d.active], None)


@router.get("/v1/departments/{department_id}", tags=["directory"])
async def get_department(department_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    return _department_out(await _department_or_404(request, user, department_id))


@router.patch("/v1/departments/{department_id}", tags=["directory"])
async def patch_department(
    department_id: str, body: DepartmentPatch, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Rename a department or change its approvers (admin)."""
    current = await _department_or_404(request, user, department_id)
    department = await handlers.save_department(
        _store(request),
        _actor(request, user),
        DepartmentFields(
            name=body.name if body.name is not None else current.name,
            approver_ids=tuple(
                body.approver_ids if body.approver_ids is not None else current.approver_ids
            ),
        ),
        department_id,
    )
    return _department_out(department)


@router.delete("/v1/departments/{department_id}", status_code=204, tags=["directory"])
async def delete_department(department_id: str, request: Request, user: CurrentUser) -> Response:
    """Remove a department (admin); kept as inactive so history still names it."""
    await handlers.deactivate_department(_store(request), _actor(request, user), department_id)
    return Response(status_code=204)


@router.post("/v1/locations", status_code=201, tags=["directory"])
async def create_location(body: LocationIn, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Add a location: time zone, work week, public holidays, leave-year start (admin)."""
    location = await handlers.save_location(
        _store(request), _actor(request, user), _location_fields(body, None)
    )
    return _location_out(location)


@router.get("/v1/locations", tags=["directory"])
async def list_locations(request: Request, user: CurrentUser) -> dict[str, Any]:
    items = await queries.list_locations(_store(request), user.tenant_id)
    return page_out([_location_out(loc) for loc in items], None)


async def _location_or_404(request: Request, user: Principal, location_id: str) -> Location:
    location = await queries.get_location(_store(request), user.tenant_id, location_id)
    if location is None:
        raise NotFound("no such location")
    return location


@router.get("/v1/locations/{location_id}", tags=["directory"])
async def get_location(location_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    return _location_out(await _location_or_404(request, user, location_id))


@router.patch("/v1/locations/{location_id}", tags=["directory"])
async def patch_location(
    location_id: str, body: LocationPatch, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Change some fields of a location (admin)."""
    current = await _location_or_404(request, user, location_id)
    location = await handlers.save_location(
        _store(request),
        _actor(request, user),
        _location_fields(body, current),
        location_id,
        clock=request.app.state.clock,
    )
    return _location_out(location)


@router.delete("/v1/locations/{location_id}", status_code=204, tags=["directory"])
async def delete_location(location_id: str, request: Request, user: CurrentUser) -> Response:
    """Deactivate a location (admin); its history stays."""
    await handlers.deactivate_location(_store(request), _actor(request, user), location_id)
    return Response(status_code=204)


@router.get("/v1/locations/{location_id}/holidays", tags=["directory"])
async def location_holidays(
    location_id: str,
    request: Request,
    user: CurrentUser,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> dict[str, Any]:
    """Public and company holidays of a location in a year (default: this year)."""
    location = await _location_or_404(request, user, location_id)
    chosen = year or request.app.state.clock().year
    found = location.holidays_between(date(chosen, 1, 1), date(chosen, 12, 31))
    return {
        "location_id": location.id,
        "year": chosen,
        "items": [{"date": d.isoformat(), "name": n} for d, n in found.items()],
    }


@router.post("/v1/employees", status_code=201, tags=["directory"])
async def create_employee(body: EmployeeIn, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Add an employee (admin)."""
    employee = await handlers.create_employee(
        _store(request), _actor(request, user), UpsertEmployee(**body.model_dump())
    )
    return _employee_out(employee)


@router.get("/v1/employees", tags=["directory"])
async def list_employees(request: Request, user: CurrentUser, page: Page) -> dict[str, Any]:
    items, cursor = await queries.list_employees(
        _store(request), user.tenant_id, limit=page.limit, cursor=page.cursor
    )
    return page_out([_employee_out(e) for e in items], cursor)


@router.post(
    "/v1/employees/import",
    tags=["directory"],
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_employees(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Create or update employees from CSV (`name,email,location,department,role,start_date`).

    All or nothing: any bad line means nobody changes, and every bad line is reported.
    """
    raw = await request.body()
    if len(raw) > 5_000_000:
        raise Unprocessable("the file is larger than 5 MB", field="body")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("the file is not UTF-8 text", field="body") from None
    report = await employee_import.import_employees(_store(request), _actor(request, user), text)
    return {"created": report.created, "updated": report.updated, "errors": report.errors}


@router.get("/v1/employees/{employee_id}", tags=["directory"])
async def get_employee(employee_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    employee = await queries.get_employee(_store(request), user.tenant_id, employee_id)
    if employee is None:
        raise NotFound("no such employee")
    return _employee_out(employee)


@router.patch("/v1/employees/{employee_id}", tags=["directory"])
async def patch_employee(
    employee_id: str, body: EmployeePatch, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Change some fields of an employee (admin)."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "email", "role", "work_hours_per_day"):
        if required in changes and changes[required] is None:
            raise Unprocessable(f"{required} cannot be null", field=required)
    employee = await handlers.update_employee(
        _store(request), _actor(request, user), employee_id, changes
    )
    return _employee_out(employee)


@router.patch("/v1/leave-types/{leave_type_id}", tags=["directory"])
async def patch_leave_type(
    leave_type_id: str, body: LeaveTypePatch, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Change some fields of a leave type (admin); the unit never changes."""
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in ("color", "annual_allowance")
    }
    leave_type = await handlers.update_leave_type(
        _store(request), _actor(request, user), leave_type_id, changes
    )
    (out,) = await _leave_types_out(request, user, leave_type)
    return out


@router.delete("/v1/leave-types/{leave_type_id}", status_code=204, tags=["directory"])
async def delete_leave_type(leave_type_id: str, request: Request, user: CurrentUser) -> Response:
    """Remove a leave type (admin): deleted if never requested, otherwise deactivated (no
    new requests; its history and balances stay)."""
    await handlers.remove_leave_type(_store(request), _actor(request, user), leave_type_id)
    return Response(status_code=204)


@router.post("/v1/leave-types", status_code=201, tags=["directory"])
async def create_leave_type(
    body: LeaveTypeIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Add a leave type (admin)."""
    leave_type = await handlers.create_leave_type(
        _store(request), _actor(request, user), CreateLeaveType(**body.model_dump())
    )
    (out,) = await _leave_types_out(request, user, leave_type)
    return out


@router.get("/v1/leave-types", tags=["directory"])
async def list_leave_types(request: Request, user: CurrentUser) -> dict[str, Any]:
    items = await queries.list_leave_types(_store(request), user.tenant_id)
    return page_out(await _leave_types_out(request, user, *items), None)


@router.get("/v1/leave-types/{leave_type_id}", tags=["directory"])
async def get_leave_type(leave_type_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    leave_type = await queries.get_leave_type(_store(request), user.tenant_id, leave_type_id)
    if leave_type is None:
        raise NotFound("no such leave type")
    (out,) = await _leave_types_out(request, user, leave_type)
    return out


# --- leave requests -----------------------------------------------------------------------


@router.post("/v1/leave-requests", status_code=202, tags=["leave requests"])
async def submit(body: LeaveRequestIn, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Submit a leave request; its status moves on asynchronously (poll or stream)."""
    created = await handlers.submit_leave_request(
        _store(request),
        request.app.state.clock,
        _actor(request, user),
        SubmitLeaveRequest(**body.model_dump()),
    )
    return request_out(created)


@router.get("/v1/leave-requests", tags=["leave requests"])
async def list_requests(
    request: Request,
    user: CurrentUser,
    page: Page,
    employee_id: str | None = None,
    status: str | None = None,
    department_id: str | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    if user.role == "user":
        employee_id = user.employee_id  # a user sees only their own requests
    if from_ is not None and to is not None and to < from_:
        raise Unprocessable("to is before from", field="to")
    items, cursor = await queries.list_leave_requests(
        _store(request),
        user.tenant_id,
        limit=page.limit,
        cursor=page.cursor,
        start=from_,
        end=to,
        employee_id=employee_id,
        status=status,
        department_id=department_id,
    )
    return page_out([request_out(r) for r in items], cursor)


@router.get("/v1/leave-requests/{request_id}", tags=["leave requests"])
async def get_request(request_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    found = await queries.get_leave_request(_store(request), user.tenant_id, request_id)
    if found is None or (user.role == "user" and found.employee_id != user.employee_id):
        raise NotFound("no such leave request")
    return request_out(found)


async def _decide(
    request: Request, user: Principal, request_id: str, approve: bool, note: str | None
) -> dict[str, Any]:
    decided = await handlers.decide_leave_request(
        _store(request),
        request.app.state.clock,
        _actor(request, user),
        DecideLeaveRequest(request_id=request_id, approve=approve, note=note),
    )
    return request_out(decided)


@router.post("/v1/leave-requests/{request_id}/approve", tags=["leave requests"])
async def approve(
    request_id: str, request: Request, user: CurrentUser, body: NoteIn | None = None
) -> dict[str, Any]:
    """Approve a pending request (approver of the department, or admin)."""
    return await _decide(request, user, request_id, True, body.note if body else None)


@router.post("/v1/leave-requests/{request_id}/deny", tags=["leave requests"])
async def deny(
    request_id: str, body: RequiredNoteIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Deny a pending request; a note is required."""
    return await _decide(request, user, request_id, False, body.note)


@router.post("/v1/leave-requests/{request_id}/cancel", tags=["leave requests"])
async def cancel(
    request_id: str, request: Request, user: CurrentUser, body: NoteIn | None = None
) -> dict[str, Any]:
    """Cancel: the requester before the leave starts, or an admin at any time."""
    cancelled = await handlers.cancel_leave_request(
        _store(request),
        request.app.state.clock,
        _actor(request, user),
        CancelLeaveRequest(request_id=request_id, note=body.note if body else None),
    )
    return request_out(cancelled)


@router.get("/v1/working-days", tags=["leave requests"])
async def working_days(
    request: Request,
    user: CurrentUser,
    start_date: date,
    end_date: date,
    employee_id: str | None = None,
    start_part: Literal["full", "am", "pm"] = "full",
    end_part: Literal["full", "am", "pm"] = "full",
) -> dict[str, Any]:
    employee = await queries.get_employee(
        _store(request), user.tenant_id, employee_id or user.employee_id
    )
    if employee is None:
        raise Unprocessable("unknown employee", field="employee_id")
    counted = await queries.working_days(
        _store(request),
        user.tenant_id,
        employee,
        start_date,
        end_date,
        start_part=start_part,
        end_part=end_part,
    )
    return {"amount": float(counted.amount), "days": [d.isoformat() for d in counted.days]}

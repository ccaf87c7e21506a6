"""HTTP routes of the balances service (API.md, "balances service")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from leaveflow_kit.auth import CurrentUser, Principal
from leaveflow_kit.http import Forbidden, NotFound, Unprocessable
from leaveflow_kit.http.paging import Page, page_out

from ...domain.calendar import leave_year_of
from ...domain.policy import Policy
from ...domain.replicas import AllowanceOverride, EmployeeReplica
from ...domain.year_end import YearEndJob, year_end_id
from ...service_layer import admin
from ...service_layer.clock import Clock, local_today
from ...service_layer.ports import ReadModel as Directory
from ...service_layer.ports import UnitOfWork
from ...service_layer.projection import employee_balances, ledger_view
from ...service_layer.scheduler import YearEndScheduler
from ...service_layer.year_end import open_job
from .schemas import (
    FIRST_DAY,
    LAST_DAY,
    AdjustmentIn,
    OverrideIn,
    PolicyIn,
    YearEndIn,
    balance_out,
    check_day,
    entry_out,
    leave_year_out,
    num,
    policy_out,
)

router = APIRouter(tags=["balances"])


def _reads(request: Request) -> Directory:
    reads: Directory = request.app.state.read_model
    return reads


def _uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.unit_of_work
    return uow


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def _require_admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden("requires role admin")


async def _today(directory: Directory, request: Request, employee: EmployeeReplica) -> date:
    timezone = "UTC"
    if employee.location_id is not None:
        location = await directory.location(employee.tenant_id, employee.location_id)
        timezone = location.timezone if location else timezone
    return local_today(_clock(request), timezone)


async def _viewable(directory: Directory, user: Principal, employee_id: str) -> EmployeeReplica:
    """Self, an approver of the employee's department, or an admin; 404 outside the tenant."""
    employee = await directory.employee(user.tenant_id, employee_id)
    if employee is None:
        raise NotFound("no such employee")
    if user.is_admin or user.employee_id == employee_id:
        return employee
    department_id = employee.department_id
    if (
        user.role == "approver"
        and department_id is not None
        and await directory.approves_for(user.tenant_id, user.employee_id, department_id)
    ):
        return employee
    raise Forbidden("you may not see this employee's balance")


async def _balances_of(
    directory: Directory, request: Request, employee: EmployeeReplica, as_of: date | None
) -> dict[str, Any]:
    day = check_day(as_of, "as_of") or await _today(directory, request, employee)
    year, balances = await employee_balances(directory, employee, day)
    return {
        "employee_id": employee.id,
        "name": employee.name,
        "as_of": day.isoformat(),
        "leave_year": leave_year_out(year),
        "balances": [
            balance_out(tb.policy.leave_type_id, tb.policy.unit, tb.balance) for tb in balances
        ],
    }


@router.get("/v1/balances/{employee_id}")
async def get_balance(
    employee_id: str, request: Request, user: CurrentUser, as_of: date | None = None
) -> dict[str, Any]:
    """Balances per leave type on `as_of` (default today; future days project accruals
    and expire carried days); every figure is explained by `/v1/ledger/{employee_id}`."""
    directory = _reads(request)
    employee = await _viewable(directory, user, employee_id)
    return await _balances_of(directory, request, employee, as_of)


@router.get("/v1/balances")
async def list_balances(
    request: Request,
    user: CurrentUser,
    page: Page,
    department_id: str | None = None,
    location_id: str | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Balances of many employees (admin: anyone; approver: their departments' people)."""
    if user.role not in ("admin", "approver"):
        raise Forbidden("requires role approver or admin")
    check_day(as_of, "as_of")
    directory = _reads(request)
    allowed: set[str] | None = None
    if not user.is_admin:
        allowed = await directory.departments_approved_by(user.tenant_id, user.employee_id)
        if department_id is not None and department_id not in allowed:
            raise Forbidden("you do not approve for this department")
    where: dict[str, str] = {}
    if department_id is not None:
        where["department_id"] = department_id
    if location_id is not None:
        where["location_id"] = location_id
    items: list[dict[str, Any]] = []
    cursor = page.cursor
    while len(items) < page.limit:
        docs = await directory.employees(
            user.tenant_id, filters=where, limit=page.limit, after=cursor
        )
        if not docs:
            cursor = None
            break
        for employee in docs:
            cursor = employee.id
            if allowed is None or employee.department_id in allowed:
                items.append(await _balances_of(directory, request, employee, as_of))
                if len(items) == page.limit:
                    break
        if len(docs) < page.limit and len(items) < page.limit:
            cursor = None
            break
    return page_out(items, cursor)


@router.get("/v1/ledger/{employee_id}")
async def get_ledger(
    employee_id: str,
    request: Request,
    user: CurrentUser,
    page: Page,
    leave_type_id: str | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """The entries that explain a balance, in date order."""
    check_day(from_, "from")
    check_day(to, "to")
    directory = _reads(request)
    employee = await _viewable(directory, user, employee_id)
    entries = await ledger_view(
        directory,
        employee,
        leave_type_id=leave_type_id,
        start=from_,
        end=to,
        today=await _today(directory, request, employee),
    )
    offset = int(page.cursor) if page.cursor and page.cursor.isdigit() else 0
    chunk = entries[offset : offset + page.limit]
    more = offset + page.limit < len(entries)
    return page_out([entry_out(e) for e in chunk], str(offset + page.limit) if more else None)


@router.put("/v1/policies/{location_id}/{leave_type_id}")
async def put_policy(
    location_id: str, leave_type_id: str, body: PolicyIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Set how a leave type is granted at a location (admin); announces PolicyUpserted.

    Ids the service has not heard of yet are accepted: the directory's events may still
    be on their way. Ids of another tenant's location or type answer 404."""
    _require_admin(user)
    await _not_foreign(_reads(request), user, location_id, leave_type_id)
    policy = Policy(
        tenant_id=user.tenant_id,
        location_id=location_id,
        leave_type_id=leave_type_id,
        annual_allowance=body.annual_allowance or Decimal(0),
        accrual=body.accrual,
        semimonthly_days=list(body.semimonthly_days),
        biweekly_anchor=body.biweekly_anchor,
        accrue_at=body.accrue_at,
        prorate_first_year=body.prorate_first_year,
        rounding=body.rounding,
        carryover_max=body.carryover_max,
        carryover_expiry_months=body.carryover_expiry_months,
        negative_allowance=body.negative_allowance,
        unlimited=body.unlimited,
    )
    return policy_out(await admin.put_policy(_uow(request), policy, user.employee_id))


async def _not_foreign(
    reads: Directory, user: Principal, location_id: str, leave_type_id: str
) -> None:
    if await reads.owned_by_another_tenant(
        user.tenant_id, location_id=location_id, leave_type_id=leave_type_id
    ):
        raise NotFound("no such location or leave type")


@router.delete("/v1/policies/{location_id}/{leave_type_id}", status_code=204)
async def delete_policy(
    location_id: str, leave_type_id: str, request: Request, user: CurrentUser
) -> Response:
    """Withdraw a policy (admin): the type is no longer available at the location."""
    _require_admin(user)
    if not await admin.remove_policy(
        _uow(request), user.tenant_id, location_id, leave_type_id, user.employee_id
    ):
        raise NotFound("no such policy")
    return Response(status_code=204)


@router.get("/v1/policies")
async def list_policies(
    request: Request,
    user: CurrentUser,
    page: Page,
    location_id: str | None = None,
    leave_type_id: str | None = None,
) -> dict[str, Any]:
    """The tenant's active policies (everyone in the tenant may read them)."""
    policies = sorted(
        (
            p
            for p in await _reads(request).policies(user.tenant_id)
            if p.active
            and (location_id is None or p.location_id == location_id)
            and (leave_type_id is None or p.leave_type_id == leave_type_id)
        ),
        key=lambda p: p.key,
    )
    after = [p for p in policies if page.cursor is None or p.key > page.cursor]
    chunk = after[: page.limit]
    more = len(after) > page.limit
    return page_out([policy_out(p) for p in chunk], chunk[-1].key if more else None)


@router.put("/v1/allowance-overrides/{employee_id}/{leave_type_id}/{year}")
async def put_override(
    employee_id: str,
    leave_type_id: str,
    year: Annotated[int, Path(ge=FIRST_DAY.year, le=LAST_DAY.year)],
    body: OverrideIn,
    request: Request,
    user: CurrentUser,
) -> dict[str, Any]:
    """A personal annual allowance for one leave type and leave year (admin)."""
    _require_admin(user)
    if await _reads(request).employee(user.tenant_id, employee_id) is None:
        raise NotFound("no such employee")
    override = AllowanceOverride(
        user.tenant_id, employee_id, leave_type_id, year, body.annual_allowance
    )
    await admin.put_override(_uow(request), override)
    return {
        "employee_id": employee_id,
        "leave_type_id": leave_type_id,
        "year": year,
        "annual_allowance": num(body.annual_allowance),
    }


@router.post("/v1/adjustments", status_code=201)
async def create_adjustment(
    body: AdjustmentIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Add or remove days by hand (admin); negative amounts allowed."""
    _require_admin(user)
    directory = _reads(request)
    if await directory.employee(user.tenant_id, body.employee_id) is None:
        raise NotFound("no such employee")
    if await directory.leave_type(user.tenant_id, body.leave_type_id) is None:
        raise Unprocessable("unknown leave type", field="leave_type_id")
    entry = await admin.adjust(
        _uow(request),
        tenant_id=user.tenant_id,
        actor_id=user.employee_id,
        employee_id=body.employee_id,
        leave_type_id=body.leave_type_id,
        amount=body.amount,
        reason=body.reason,
        effective_date=body.effective_date,
    )
    return {"id": entry.id, "kind": entry.kind, **entry_out(entry)}


def _job_out(job: YearEndJob) -> dict[str, Any]:
    return {
        "location_id": job.location_id,
        "year": job.year,
        "state": job.state,
        "processed": job.processed,
        "carried": job.carried,
    }


@router.post("/v1/year-end", status_code=202)
async def close_year(body: YearEndIn, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Close leave year `year` at every location of the tenant where it has ended (admin).
    Runs in the background; twice is the same as once. 422 when it has ended nowhere."""
    _require_admin(user)
    scheduler: YearEndScheduler = request.app.state.year_ends
    jobs, skipped = [], []
    for location in await _reads(request).locations(user.tenant_id):
        today = local_today(_clock(request), location.timezone)
        if leave_year_of(today, location.leave_year_start).label <= body.year:
            skipped.append({"location_id": location.id, "reason": "leave year not ended"})
            continue
        job = await open_job(
            _uow(request), user.tenant_id, location.id, body.year, user.employee_id
        )
        scheduler.run_in_background(job)
        jobs.append(_job_out(job))
    if not jobs:
        raise Unprocessable(f"leave year {body.year} has not ended at any location", field="year")
    return {"year": body.year, "jobs": jobs, "skipped": skipped}


@router.get("/v1/year-end/{year}")
async def year_end_status(year: int, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Where the closing of `year` stands, per location (admin)."""
    _require_admin(user)
    reads = _reads(request)
    jobs = []
    for location in await reads.locations(user.tenant_id):
        job = await reads.year_end_job(year_end_id(user.tenant_id, location.id, year))
        if job is not None:
            jobs.append(_job_out(job))
    return {"year": year, "jobs": jobs}

"""Balances API: a person's balances, many people's, and the ledger that explains them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from leaveflow_kit.auth import CurrentUser
from leaveflow_kit.http.paging import Page
from leaveflow_kit.validation import BoundedDate

from ...domain.replicas import EmployeeReplica
from ...service_layer import queries
from ...service_layer.ports import Clock, ReadModel
from ...service_layer.projection import employee_balances, ledger_view, year_start_at
from .access import departments_seen, require_approver_or_admin, viewable
from .deps import ClockDep, ReadModelDep
from .schemas import (
    ID_LENGTH,
    BalanceOut,
    EmployeeBalancesOut,
    EntryOut,
    LeaveYearOut,
    PageOut,
)

router = APIRouter(tags=["balances"])


async def _balances_of(
    reads: ReadModel, clock: Clock, employee: EmployeeReplica, as_of: date | None
) -> EmployeeBalancesOut:
    # One read of the location for both the day and the leave year's start.
    location = await queries.location_of(reads, employee)
    day = as_of or queries.today_at(clock, location)
    year, balances = await employee_balances(
        reads, employee, day, year_start=year_start_at(location, employee)
    )
    return EmployeeBalancesOut(
        employee_id=employee.id,
        name=employee.name,
        as_of=day,
        leave_year=LeaveYearOut.of(year),
        balances=[
            BalanceOut.of(tb.policy.leave_type_id, tb.policy.unit, tb.balance) for tb in balances
        ],
    )


@router.get("/v1/balances/{employee_id}", response_model=EmployeeBalancesOut)
async def get_balance(
    employee_id: str,
    user: CurrentUser,
    reads: ReadModelDep,
    clock: ClockDep,
    as_of: BoundedDate | None = None,
) -> Response:
    """Balances per leave type on `as_of` (default today; future days project accruals
    and expire carried days); every figure is explained by `/v1/ledger/{employee_id}`."""
    employee = await viewable(reads, user, employee_id)
    body = await _balances_of(reads, clock, employee, as_of)
    # The model was validated as it was built: serialised straight to JSON, not validated
    # again and walked into a dict for FastAPI's encoder (issue 19: the hot read).
    return Response(body.model_dump_json(), media_type="application/json")


@router.get("/v1/balances")
async def list_balances(
    user: CurrentUser,
    reads: ReadModelDep,
    clock: ClockDep,
    page: Page,
    department_id: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    location_id: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    as_of: BoundedDate | None = None,
) -> PageOut[EmployeeBalancesOut]:
    """Balances of many employees (admin: anyone; approver: their departments' people)."""
    require_approver_or_admin(user)
    departments = await departments_seen(reads, user, department_id)
    filters: dict[str, str] = {}
    if department_id is not None:
        filters["department_id"] = department_id
    if location_id is not None:
        filters["location_id"] = location_id
    employees, cursor = await queries.employees_page(
        reads,
        user.tenant_id,
        filters=filters,
        departments=departments,
        limit=page.limit,
        cursor=page.cursor,
    )
    items = [await _balances_of(reads, clock, employee, as_of) for employee in employees]
    return PageOut(items=items, next_cursor=cursor)


@router.get("/v1/ledger/{employee_id}")
async def get_ledger(
    employee_id: str,
    user: CurrentUser,
    reads: ReadModelDep,
    clock: ClockDep,
    page: Page,
    leave_type_id: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    from_: Annotated[BoundedDate | None, Query(alias="from")] = None,
    to: BoundedDate | None = None,
) -> PageOut[EntryOut]:
    """The entries that explain a balance, in date order."""
    employee = await viewable(reads, user, employee_id)
    entries = await ledger_view(
        reads,
        employee,
        leave_type_id=leave_type_id,
        start=from_,
        end=to,
        today=await queries.today_of(reads, clock, employee),
    )
    offset = page.offset
    chunk = entries[offset : offset + page.limit]
    more = offset + page.limit < len(entries)
    return PageOut(
        items=[EntryOut.of(e) for e in chunk],
        next_cursor=str(offset + page.limit) if more else None,
    )

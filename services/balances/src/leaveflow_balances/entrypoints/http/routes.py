"""HTTP routes of the balances service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from leaveflow_kit.auth import CurrentUser, Principal
from leaveflow_kit.http import Forbidden, NotFound, Unprocessable
from leaveflow_kit.storage import Store

from ...adapters.repository import (
    approves_for,
    read_employee,
    read_entries,
    read_leave_types,
)
from ...domain.ledger import balance_from
from ...service_layer import handlers

router = APIRouter(tags=["balances"])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _num(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


async def _authorise_view(store: Store, user: Principal, employee_id: str) -> None:
    """Self, an approver of the employee's department, or an admin; 404 outside the tenant."""
    employee = await read_employee(store, user.tenant_id, employee_id)
    if employee is None:
        raise NotFound("no such employee")
    if user.is_admin or user.employee_id == employee_id:
        return
    department_id = employee.department_id
    if (
        user.role == "approver"
        and department_id is not None
        and await approves_for(store, user.tenant_id, user.employee_id, department_id)
    ):
        return
    raise Forbidden("you may not see this employee's balance")


@router.get("/v1/balances/{employee_id}")
async def get_balance(
    employee_id: str,
    request: Request,
    user: CurrentUser,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Balances per leave type; every figure is explained by `/v1/ledger/{employee_id}`."""
    store = _store(request)
    await _authorise_view(store, user, employee_id)
    day = as_of or datetime.now(UTC).date()
    entries = await read_entries(store, user.tenant_id, employee_id)
    out = []
    for leave_type in await read_leave_types(store, user.tenant_id):
        mine = [e for e in entries if e.leave_type_id == leave_type.id]
        b = balance_from(mine, allowance=leave_type.annual_allowance)
        out.append(
            {
                "leave_type_id": leave_type.id,
                "unit": leave_type.unit,
                "allowance": _num(b.allowance),
                "accrued": _num(b.accrued),
                "carried_over": _num(b.carried_over),
                "carryover_expires_on": None,
                "adjustments": _num(b.adjustments),
                "used": _num(b.used),
                "pending": _num(b.pending),
                "remaining": _num(b.remaining),
                "available": _num(b.available),
                "unlimited": b.unlimited,
            }
        )
    return {
        "employee_id": employee_id,
        "as_of": day.isoformat(),
        "leave_year": {"start": f"{day.year}-01-01", "end": f"{day.year}-12-31"},
        "balances": out,
    }


@router.get("/v1/ledger/{employee_id}")
async def get_ledger(
    employee_id: str,
    request: Request,
    user: CurrentUser,
    leave_type_id: str | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """The entries that explain a balance."""
    store = _store(request)
    await _authorise_view(store, user, employee_id)
    entries = await read_entries(store, user.tenant_id, employee_id)
    items = [
        {
            "id": e.id,
            "leave_type_id": e.leave_type_id,
            "kind": e.kind,
            "amount": _num(e.amount),
            "effective_date": e.effective_date.isoformat(),
            "source_event_id": e.source_event_id,
            "request_id": e.request_id,
            "reason": e.reason,
        }
        for e in entries
        if (leave_type_id is None or e.leave_type_id == leave_type_id)
        and (from_ is None or e.effective_date >= from_)
        and (to is None or e.effective_date <= to)
    ]
    return {"items": items, "next_cursor": None}


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    employee_id: str = Field(min_length=1)
    leave_type_id: str = Field(min_length=1)
    amount: Decimal = Field(ge=-1000, le=1000, decimal_places=2)
    reason: str = Field(min_length=1, max_length=500)
    effective_date: date


@router.post("/v1/adjustments", status_code=201)
async def create_adjustment(
    body: AdjustmentIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Add or remove days by hand (admin); negative amounts allowed."""
    if not user.is_admin:
        raise Forbidden("requires role admin")
    store = _store(request)
    if await read_employee(store, user.tenant_id, body.employee_id) is None:
        raise NotFound("no such employee")
    known_types = {t.id for t in await read_leave_types(store, user.tenant_id)}
    if body.leave_type_id not in known_types:
        raise Unprocessable("unknown leave type", field="leave_type_id")
    entry = await handlers.adjust(
        store,
        tenant_id=user.tenant_id,
        actor_id=user.employee_id,
        employee_id=body.employee_id,
        leave_type_id=body.leave_type_id,
        amount=body.amount,
        reason=body.reason,
        effective_date=body.effective_date,
    )
    return {"id": entry.id, "kind": entry.kind, "amount": _num(entry.amount)}

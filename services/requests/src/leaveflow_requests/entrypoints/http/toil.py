"""Time off in lieu API (issue 17): claim time worked beyond the schedule, decided like
leave through the department's approval levels; approved, balances credits it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from leaveflow_kit.http.paging import Page
from leaveflow_kit.validation import Text

from ...domain.toil import ToilClaim
from ...service_layer import toil
from ...service_layer.commands import Actor
from ...service_layer.ports import Clock, UnitOfWork
from .deps import ActorDep, ClockDep, ReadModelDep, ToilCreditsDep, UnitOfWorkDep
from .schemas import (
    ApprovalOut,
    ApproveIn,
    DenyIn,
    HistoryEntryOut,
    Id,
    LeaveDate,
    NoteIn,
    PageOut,
    _In,
)

router = APIRouter(tags=["time off in lieu"])

QueryId = Annotated[str, Query(max_length=100)]


class ToilIn(_In):
    employee_id: Id | None = None
    leave_type_id: Id
    # The day worked: not after today in the person's location.
    date: LeaveDate
    # In the type's unit: at most 24 hours, or 31 days.
    amount: Decimal = Field(gt=0, le=1000, decimal_places=2)
    # Why the time is owed ("covered the Saturday release"); on balances' ledger entry.
    note: Annotated[str, Text(2000, min_length=1, multiline=True)]


class ToilOut(BaseModel):
    id: str
    employee_id: str
    leave_type_id: str
    date: dt.date
    amount: float
    unit: str
    note: str
    # pending | approved | denied | cancelled
    status: str
    department_id: str | None
    created_at: str | None
    history: list[HistoryEntryOut]
    # null: the type needs no approval.
    approval: ApprovalOut | None

    @classmethod
    def of(cls, c: ToilClaim) -> ToilOut:
        created = c.created_at.isoformat() if c.created_at else None
        return cls.model_validate(
            {
                "id": c.id,
                "employee_id": c.employee_id,
                "leave_type_id": c.leave_type_id,
                "date": c.date,
                "amount": c.amount,
                "unit": c.unit,
                "note": c.note,
                "status": c.status,
                "department_id": c.department_id,
                "created_at": created,
                "history": c.history,
                "approval": asdict(c.approval) if c.approval else None,
            }
        )


@router.post("/v1/toil", status_code=202)
async def claim(body: ToilIn, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep) -> ToilOut:
    """Claim time off in lieu for a day worked (for someone else: their approver or an
    admin); pending until its approval levels decide it."""
    cmd = toil.ClaimToil(
        leave_type_id=body.leave_type_id,
        date=body.date,
        amount=body.amount,
        note=body.note,
        employee_id=body.employee_id,
    )
    return ToilOut.of(await toil.claim_toil(uow, clock, actor, cmd))


@router.get("/v1/toil")
async def list_claims(
    actor: ActorDep,
    reads: ReadModelDep,
    clock: ClockDep,
    page: Page,
    employee_id: QueryId | None = None,
    status: QueryId | None = None,
    leave_type_id: QueryId | None = None,
) -> PageOut[ToilOut]:
    """The claims the caller may see, as for leave requests."""
    items, cursor = await toil.list_toil(
        reads,
        clock,
        actor,
        limit=page.limit,
        cursor=page.cursor,
        employee_id=employee_id,
        status=status,
        leave_type_id=leave_type_id,
    )
    return PageOut(items=[ToilOut.of(c) for c in items], next_cursor=cursor)


@router.get("/v1/toil/{toil_id}")
async def get_claim(toil_id: str, actor: ActorDep, reads: ReadModelDep, clock: ClockDep) -> ToilOut:
    return ToilOut.of(await toil.get_toil(reads, clock, actor, toil_id))


async def _decide(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    toil_id: str,
    approve: bool,
    note: str | None,
    level: int | None,
) -> ToilOut:
    cmd = toil.DecideToil(toil_id=toil_id, approve=approve, note=note, level=level)
    return ToilOut.of(await toil.decide_toil(uow, clock, actor, cmd))


@router.post("/v1/toil/{toil_id}/approve")
async def approve(
    toil_id: str,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    body: ApproveIn | None = None,
) -> ToilOut:
    """Approve the current level of a pending claim (a decider of it, or an admin); the
    last level's approval credits it in balances."""
    note, level = (body.note, body.level) if body else (None, None)
    return await _decide(uow, clock, actor, toil_id, True, note, level)


@router.post("/v1/toil/{toil_id}/deny")
async def deny(
    toil_id: str, body: DenyIn, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep
) -> ToilOut:
    """Deny a pending claim at its current level; a note is required."""
    return await _decide(uow, clock, actor, toil_id, False, body.note, body.level)


@router.post("/v1/toil/{toil_id}/cancel")
async def cancel(
    toil_id: str,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    credits: ToilCreditsDep,
    body: NoteIn | None = None,
) -> ToilOut:
    """Withdraw a pending claim, or an approved one whose credit leave has not used (409
    with a sentence otherwise): the claimant or an admin."""
    note = body.note if body else None
    return ToilOut.of(await toil.cancel_toil(uow, clock, credits, actor, toil_id, note))

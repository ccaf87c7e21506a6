"""Leave requests API: submit, list, read, decide, cancel, and what a range would cost."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from leaveflow_kit.http import NotFound, Unprocessable
from leaveflow_kit.http.paging import Page
from leaveflow_kit.validation import BoundedDate

from ...service_layer import leave_requests, queries
from ...service_layer.commands import (
    Actor,
    CancelLeaveRequest,
    DecideLeaveRequest,
    EditLeaveRequest,
    SubmitLeaveRequest,
)
from ...service_layer.ports import Clock, UnitOfWork
from ...service_layer.visibility import visibility_of
from .deps import ActorDep, ClockDep, ReadModelDep, UnitOfWorkDep
from .schemas import (
    ApproveIn,
    DenyIn,
    LeaveRequestIn,
    LeaveRequestOut,
    LeaveRequestPatch,
    NoteIn,
    PageOut,
    WorkingDaysOut,
)

router = APIRouter(tags=["leave requests"])

QueryId = Annotated[str, Query(max_length=100)]


@router.post("/v1/leave-requests", status_code=202)
async def submit(
    body: LeaveRequestIn, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep
) -> LeaveRequestOut:
    """Submit a leave request; its status moves on asynchronously (poll or stream)."""
    cmd = SubmitLeaveRequest(**body.model_dump())
    return LeaveRequestOut.of(await leave_requests.submit_leave_request(uow, clock, actor, cmd))


@router.get("/v1/leave-requests")
async def list_requests(
    actor: ActorDep,
    reads: ReadModelDep,
    clock: ClockDep,
    page: Page,
    employee_id: QueryId | None = None,
    status: QueryId | None = None,
    department_id: QueryId | None = None,
    from_: Annotated[BoundedDate | None, Query(alias="from")] = None,
    to: BoundedDate | None = None,
) -> PageOut[LeaveRequestOut]:
    if from_ is not None and to is not None and to < from_:
        raise Unprocessable("to is before from", field="to")
    items, cursor = await queries.list_leave_requests(
        reads,
        actor.tenant_id,
        limit=page.limit,
        cursor=page.cursor,
        start=from_,
        end=to,
        visible=await visibility_of(reads, actor, clock),
        employee_id=employee_id,
        status=status,
        department_id=department_id,
    )
    return PageOut(items=[LeaveRequestOut.of(r) for r in items], next_cursor=cursor)


@router.get("/v1/leave-requests/{request_id}")
async def get_request(
    request_id: str, actor: ActorDep, reads: ReadModelDep, clock: ClockDep
) -> LeaveRequestOut:
    found = await reads.leave_request(actor.tenant_id, request_id)
    # Out of the caller's scope reads as absent: its existence is not disclosed.
    if found is None or not (await visibility_of(reads, actor, clock)).covers(found.employee_id):
        raise NotFound("no such leave request")
    return LeaveRequestOut.of(found)


async def _decide(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    request_id: str,
    approve: bool,
    note: str | None,
    level: int | None,
) -> LeaveRequestOut:
    cmd = DecideLeaveRequest(request_id=request_id, approve=approve, note=note, level=level)
    return LeaveRequestOut.of(await leave_requests.decide_leave_request(uow, clock, actor, cmd))


@router.post("/v1/leave-requests/{request_id}/approve")
async def approve(
    request_id: str,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    body: ApproveIn | None = None,
) -> LeaveRequestOut:
    """Approve the current level of a pending request (a decider of it, or an admin)."""
    note, level = (body.note, body.level) if body else (None, None)
    return await _decide(uow, clock, actor, request_id, True, note, level)


@router.post("/v1/leave-requests/{request_id}/deny")
async def deny(
    request_id: str, body: DenyIn, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep
) -> LeaveRequestOut:
    """Deny a pending request at its current level; a note is required."""
    return await _decide(uow, clock, actor, request_id, False, body.note, body.level)


@router.patch("/v1/leave-requests/{request_id}")
async def edit(
    request_id: str,
    body: LeaveRequestPatch,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> LeaveRequestOut:
    """Change dates, parts, hours or reason: the requester while pending (the approval
    restarts at level 1), an admin also while approved and not ended (stays approved)."""
    given = body.model_dump(exclude_unset=True)
    cmd = EditLeaveRequest(request_id=request_id, reason_given="reason" in given, **given)
    return LeaveRequestOut.of(await leave_requests.edit_leave_request(uow, clock, actor, cmd))


@router.post("/v1/leave-requests/{request_id}/cancel")
async def cancel(
    request_id: str,
    actor: ActorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    body: NoteIn | None = None,
) -> LeaveRequestOut:
    """Cancel: the requester before the leave starts, or an admin at any time."""
    cmd = CancelLeaveRequest(request_id=request_id, note=body.note if body else None)
    return LeaveRequestOut.of(await leave_requests.cancel_leave_request(uow, clock, actor, cmd))


@router.get("/v1/working-days")
async def working_days(
    actor: ActorDep,
    reads: ReadModelDep,
    start_date: BoundedDate,
    end_date: BoundedDate,
    employee_id: QueryId | None = None,
    start_part: Literal["full", "am", "pm"] = "full",
    end_part: Literal["full", "am", "pm"] = "full",
    leave_type_id: QueryId | None = None,
) -> WorkingDaysOut:
    """What a range would cost the employee; with `leave_type_id`, also the non-working
    days its policy's sandwich rule would charge (`sandwiched_days`, in `days` and the
    amount)."""
    employee = await reads.employee(actor.tenant_id, employee_id or actor.employee_id)
    # Someone outside the caller's scope is as unknown as nobody (no schedule disclosed).
    if employee is None or not (await visibility_of(reads, actor)).covers_employee(employee):
        raise Unprocessable("unknown employee", field="employee_id")
    counted, sandwiched = await queries.priced_days(
        reads,
        actor.tenant_id,
        employee,
        start_date,
        end_date,
        start_part=start_part,
        end_part=end_part,
        leave_type_id=leave_type_id,
    )
    return WorkingDaysOut.of(counted, sandwiched)

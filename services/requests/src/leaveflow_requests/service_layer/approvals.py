"""Approval levels in the service layer: the plan a request gets when it becomes pending,
who decides its current level today, and the seam of the pending-approval scheduler.

The seam (see /work/wt/REQ16_SEAM.md): `pending_approvals` lists what waits for a decision
with its current level, deciders and since when; `decide_as_system` approves or denies a
request as the actor "system" with a reason (`note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from leaveflow_contracts.requests import Approval as ApprovalOut
from leaveflow_contracts.requests import ApprovalLevelState

from ..domain import errors
from ..domain.approval import (
    SYSTEM,
    Approval,
    DecidersContext,
    deciders_of,
    may_decide,
    plan_approval,
)
from ..domain.directory import Department, Employee
from ..domain.model import PENDING, LeaveRequest
from . import integration, queries
from .ports import Clock, DirectoryReads, ReadModel, Repository, UnitOfWork


class Decidable(Protocol):
    """What goes through approval levels: a leave request, or a TOIL claim."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def employee_id(self) -> str: ...
    @property
    def department_id(self) -> str | None: ...
    @property
    def leave_type_id(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def status(self) -> str: ...
    @property
    def approval(self) -> Approval | None: ...


async def _department_id(reads: DirectoryReads, request: Decidable) -> str | None:
    # The employee's department now (as for who sees the request), not the one they were
    # in when they asked: a move between departments moves the decision too.
    employee = await reads.employee(request.tenant_id, request.employee_id)
    return employee.department_id if employee else request.department_id


@dataclass(frozen=True)
class DecidingDirectory:
    """Where `request`'s decision lies now: its requester's department (None: none, or
    an inactive one) and the tenant's admins. Read once by a use case that both plans a
    request's approval and names its deciders, which each read them otherwise."""

    department: Department | None
    admin_ids: frozenset[str]


async def deciding_directory(reads: DirectoryReads, request: Decidable) -> DecidingDirectory:
    department_id = await _department_id(reads, request)
    department = await reads.department(request.tenant_id, department_id) if department_id else None
    return DecidingDirectory(
        department if department is not None and department.active else None,
        frozenset(await reads.admin_ids(request.tenant_id)),
    )


async def plan_for(
    reads: DirectoryReads, request: Decidable, directory: DecidingDirectory | None = None
) -> Approval:
    """The levels `request` goes through, from its department's levels of now."""
    directory = directory or await deciding_directory(reads, request)
    department = directory.department
    return plan_approval(
        department.rules() if department is not None else [],
        amount=request.amount,
        leave_type_id=request.leave_type_id,
        requester_id=request.employee_id,
        admin_ids=directory.admin_ids,
    )


async def replan_pending_of(repo: Repository, employee: Employee) -> None:
    """A move to another department moves the decisions of the person's pending requests
    and TOIL claims too: they start again at level 1 of the new department's levels."""
    for request in await repo.live_requests_overlapping(
        employee.tenant_id, employee.id, date.min, date.max
    ):
        if request.status == PENDING and request.approval is not None:
            request.approval = await plan_for(repo, request)
            await repo.save(request)
    for claim in await repo.pending_toil_claims(employee.tenant_id, employee.id):
        if claim.approval is not None:
            claim.approval = await plan_for(repo, claim)
            await repo.save(claim)


async def deciders_context(
    reads: DirectoryReads,
    clock: Clock,
    request: Decidable,
    directory: DecidingDirectory | None = None,
) -> DecidersContext:
    """Today's directory for `request`: its department's approvers now, the substitutions
    holding today and the approvers away on approved leave today, each in the approver's
    own location's date."""
    tenant_id = request.tenant_id
    directory = directory or await deciding_directory(reads, request)
    department = directory.department
    approvers = set(department.all_approver_ids()) if department is not None else set()
    admins = directory.admin_ids
    levels = request.approval.levels if request.approval else []
    concerned = approvers | {a for level in levels for a in level.approver_ids}
    substitutes: dict[str, list[str]] = {}
    away: set[str] = set()
    substitutions = await reads.substitutions(tenant_id)
    for approver_id in sorted(concerned):
        approver = await reads.employee(tenant_id, approver_id)
        if approver is None:
            continue
        today = await queries.employee_today(reads, clock, approver)
        substitutes[approver_id] = [
            s.substitute_id
            for s in substitutions
            if s.approver_id == approver_id and s.holds_on(today)
        ]
        if approver.when_on_leave and await reads.on_approved_leave(tenant_id, approver_id, today):
            away.add(approver_id)
    return DecidersContext(
        requester_id=request.employee_id,
        admin_ids=frozenset(admins),
        department_approvers=frozenset(approvers),
        substitutes=substitutes,
        away=frozenset(away),
    )


async def current_deciders(
    reads: DirectoryReads,
    clock: Clock,
    request: Decidable,
    directory: DecidingDirectory | None = None,
) -> list[str]:
    """Who may decide `request`'s current level now (empty once it is decided)."""
    level = request.approval.current if request.approval else None
    if level is None or request.status != PENDING:
        return []
    return deciders_of(level, await deciders_context(reads, clock, request, directory))


async def may_decide_now(reads: DirectoryReads, clock: Clock, request: Decidable, who: str) -> bool:
    level = request.approval.current if request.approval else None
    if level is None or request.status != PENDING:
        return False
    return may_decide(level, await deciders_context(reads, clock, request), who)


async def approval_out(
    reads: DirectoryReads,
    clock: Clock,
    request: Decidable,
    directory: DecidingDirectory | None = None,
) -> ApprovalOut | None:
    """The request's approval as events carry it, with today's deciders."""
    approval = request.approval
    if approval is None:
        return None
    return ApprovalOut(
        current_level=approval.current_level,
        levels=[
            ApprovalLevelState(
                level=s.level,
                approver_ids=list(s.approver_ids),
                status=s.status,
                decided_by=s.decided_by,
                decided_at=s.decided_at,
                note=s.note,
            )
            for s in approval.levels
        ],
        deciders=await current_deciders(reads, clock, request, directory),
    )


@dataclass(frozen=True)
class PendingApproval:
    """A request waiting for a decision. `pending_since`: when it became pending (or an
    edit restarted its approval); `level_since`: when its current level began to wait."""

    tenant_id: str
    request: LeaveRequest
    current_level: int | None
    deciders: list[str]
    pending_since: datetime
    level_since: datetime


def pending_since(request: LeaveRequest) -> datetime:
    """When the request last entered `pending` (an edit that restarts the approval counts)."""
    found = request.created_at
    for step in request.history:
        entered = step["to"] == PENDING and (step["from"] != PENDING or step.get("restarted"))
        if entered:
            found = datetime.fromisoformat(step["at"])
    if found is None:  # never: every request is created with its time
        raise errors.InvalidTransition(f"request {request.id} has no history")
    return found


def level_since(request: LeaveRequest) -> datetime:
    since = pending_since(request)
    approval = request.approval
    if approval is None or approval.current_level is None or approval.current_level == 1:
        return since
    previous = approval.levels[approval.current_level - 2].decided_at
    return max(since, previous) if previous is not None else since


async def _legacy_deciders(reads: DirectoryReads, clock: Clock, request: LeaveRequest) -> list[str]:
    """A request pending from before approval levels: decided as its department's first
    level of now would be."""
    (first, *_) = (await plan_for(reads, request)).levels
    return deciders_of(first, await deciders_context(reads, clock, request))


async def pending_approvals(
    reads: ReadModel, clock: Clock, tenant_id: str | None = None
) -> list[PendingApproval]:
    """Every pending request (of one tenant, or of all with None), oldest first, with its
    current level, the deciders of that level today and since when it waits."""
    found = []
    for request in await reads.pending_requests(tenant_id):
        found.append(
            PendingApproval(
                tenant_id=request.tenant_id,
                request=request,
                current_level=request.current_level,
                deciders=await current_deciders(reads, clock, request)
                if request.approval
                else await _legacy_deciders(reads, clock, request),
                pending_since=pending_since(request),
                level_since=level_since(request),
            )
        )
    return sorted(found, key=lambda p: (p.pending_since, p.request.id))


async def record_decision(
    repo: Repository,
    clock: Clock,
    request: LeaveRequest,
    *,
    by: str,
    level: int | None,
    final: bool,
    note: str | None,
    tenant_id: str,
    actor: str,
    correlation_id: str | None = None,
) -> None:
    """Save a decided level and record its event: `LeaveLevelApproved` while a later
    level decides, else `LeaveApproved` / `LeaveDenied`."""
    await repo.save(request)
    approval = await approval_out(repo, clock, request)
    if final:
        data = integration.leave_decided(request, by, note, level=level, approval=approval)
    else:
        # Only a level short of the last is not final: the request has levels.
        assert approval is not None
        assert level is not None
        data = integration.leave_level_approved(request, by, note, level=level, approval=approval)
    await repo.record(data, tenant_id=tenant_id, actor=actor, correlation_id=correlation_id)


async def decide_as_system(
    uow: UnitOfWork,
    clock: Clock,
    tenant_id: str,
    request_id: str,
    *,
    approve: bool,
    note: str,
    level: int | None = None,
) -> LeaveRequest:
    """An automatic decision (actor "system", `note` says why): approve approves every
    level left at once (one `LeaveApproved`), deny denies at the current level.

    With `level`, only while that level is the current one (else `InvalidTransition`), so
    a scheduler that read a stale state cannot decide a level a person just decided. A
    request no longer pending: `InvalidTransition`; unknown: `NotFound`."""

    async def work(repo: Repository) -> LeaveRequest:
        request = await repo.leave_request(tenant_id, request_id)
        if request is None:
            raise errors.NotFound("no such leave request")
        if request.status != PENDING:
            raise errors.InvalidTransition(f"cannot decide a {request.status} request")
        current = request.current_level
        if level is not None and current != level:
            raise errors.InvalidTransition(f"level {level} is not the current level")
        now = clock.now()
        if approve:
            request.approve_all(SYSTEM, now, note)
        else:
            request.deny(SYSTEM, now, note)
        last = request.approval.levels[-1].level if request.approval and approve else current
        await record_decision(
            repo,
            clock,
            request,
            by=SYSTEM,
            level=last,
            final=True,
            note=note,
            tenant_id=tenant_id,
            actor=SYSTEM,
        )
        return request

    return await uow.run(work)

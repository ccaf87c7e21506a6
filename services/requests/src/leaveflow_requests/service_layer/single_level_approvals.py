"""`PendingApprovals` and `SystemDecisions` over today's single approval step: a pending
request is decided by its employee's department's approvers (never the requester), else
by the admins; the system decides through the ordinary decide use case as `system`."""

from __future__ import annotations

from datetime import datetime

from leaveflow_contracts.requests import Approval, ApprovalLevelState

from ..domain import errors
from ..domain.model import PENDING, LeaveRequest
from .approval_schedule_ports import PendingApproval
from .commands import Actor, DecideLeaveRequest
from .leave_requests import decide_leave_request
from .ports import Clock, ReadModel, Repository, UnitOfWork

SYSTEM = "system"
_PAGE = 200


def pending_since(request: LeaveRequest) -> datetime:
    """When it last became pending (its history's newest move into `pending`)."""
    for entry in reversed(request.history):
        if entry.get("to") == PENDING and entry.get("from") != PENDING:
            return datetime.fromisoformat(entry["at"])
    assert request.created_at is not None
    return request.created_at


class SingleLevelApprovals:
    def __init__(self, uow: UnitOfWork, reads: ReadModel, clock: Clock) -> None:
        self._uow = uow
        self._reads = reads
        self._clock = clock

    async def admin_ids(self, tenant_id: str) -> set[str]:
        async def work(repo: Repository) -> set[str]:
            return await repo.admin_ids(tenant_id)

        return await self._uow.run(work)

    async def _deciders(self, request: LeaveRequest, admins: set[str]) -> list[str]:
        employee = await self._reads.employee(request.tenant_id, request.employee_id)
        department_id = employee.department_id if employee else request.department_id
        department = (
            await self._reads.department(request.tenant_id, department_id)
            if department_id
            else None
        )
        approvers = set(department.approver_ids) if department else set()
        approvers.discard(request.employee_id)
        return sorted(approvers or admins - {request.employee_id} or admins)

    async def pending(self, tenant_id: str, now: datetime) -> list[PendingApproval]:
        admins = await self.admin_ids(tenant_id)
        found: list[PendingApproval] = []
        cursor: str | None = None
        while True:
            page, cursor = await self._reads.leave_requests(
                tenant_id,
                limit=_PAGE,
                cursor=cursor,
                start=None,
                end=None,
                filters={"status": PENDING},
            )
            for request in page:
                deciders = await self._deciders(request, admins)
                since = pending_since(request)
                level = ApprovalLevelState(level=1, approver_ids=deciders, status=PENDING)
                approval = Approval(current_level=1, levels=[level], deciders=deciders)
                found.append(PendingApproval(request, approval, since, since))
            if cursor is None:
                return found

    async def decide(self, tenant_id: str, request_id: str, *, approve: bool, note: str) -> bool:
        actor = Actor(tenant_id=tenant_id, employee_id=SYSTEM, role="admin")
        command = DecideLeaveRequest(request_id=request_id, approve=approve, note=note)
        try:
            await decide_leave_request(self._uow, self._clock, actor, command)
        except (errors.InvalidTransition, errors.NotFound):
            return False  # decided, cancelled or gone meanwhile
        return True

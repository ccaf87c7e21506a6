"""The scheduler's `PendingApprovals` and `SystemDecisions` over the approval workflow
(service_layer/approvals.py): what waits at which level with today's deciders, and the
system's decision through `decide_as_system`."""

from __future__ import annotations

from datetime import datetime

from leaveflow_contracts.requests import Approval

from ..domain import errors
from ..domain.model import APPROVED, CANCELLED, DENIED, REJECTED
from . import approvals
from .approval_schedule_ports import PendingApproval
from .ports import Clock, ReadModel, UnitOfWork

# No request leaves these for `pending` again (an approved one is only cancelled; an
# admin's edit keeps it approved), so the schedule owes them nothing, ever.
FINISHED = frozenset({APPROVED, DENIED, CANCELLED, REJECTED})


class WorkflowApprovals:
    def __init__(self, uow: UnitOfWork, reads: ReadModel, clock: Clock) -> None:
        self._uow = uow
        self._reads = reads
        self._clock = clock

    async def admin_ids(self, tenant_id: str) -> set[str]:
        return await self._reads.admin_ids(tenant_id)

    async def finished(self, tenant_id: str, request_ids: set[str]) -> set[str]:
        done = set()
        for request_id in request_ids:
            request = await self._reads.leave_request(tenant_id, request_id)
            if request is None or request.status in FINISHED:
                done.add(request_id)
        return done

    async def pending(self, tenant_id: str, now: datetime) -> list[PendingApproval]:
        found = []
        for waiting in await approvals.pending_approvals(self._reads, self._clock, tenant_id):
            shown = await approvals.approval_out(self._reads, self._clock, waiting.request)
            # A request pending from before levels existed has no plan: its one step.
            approval = (shown or Approval(current_level=waiting.current_level)).model_copy(
                update={"deciders": waiting.deciders}
            )
            found.append(
                PendingApproval(
                    waiting.request, approval, waiting.pending_since, waiting.level_since
                )
            )
        return found

    async def decide(
        self,
        tenant_id: str,
        request_id: str,
        *,
        approve: bool,
        note: str,
        level: int | None = None,
    ) -> bool:
        try:
            await approvals.decide_as_system(
                self._uow,
                self._clock,
                tenant_id,
                request_id,
                approve=approve,
                note=note,
                level=level,
            )
        except (errors.InvalidTransition, errors.NotFound):
            return False  # decided, moved on a level, cancelled or gone meanwhile
        return True

"""Reactions to the balances service's verdict on a submitted request: reserved (it
waits for approval, or is approved at once) or rejected (not enough left)."""

from __future__ import annotations

from leaveflow_contracts import LeaveReservationRejected, LeaveReserved
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction

from . import integration
from .approvals import approval_out, plan_for
from .ports import Clock, RepositoryFactory


def balance_outcome_handlers(clock: Clock, repositories: RepositoryFactory) -> Handlers:
    handlers = Handlers()

    @handlers.on
    async def on_balance_outcome(
        tx: Transaction, event: Handled[LeaveReserved | LeaveReservationRejected]
    ) -> None:
        data = event.data
        repo = repositories(tx)
        request = await repo.leave_request(event.envelope.tenant_id, data.request_id)
        if request is None or request.status != "submitted":
            return  # cancelled meanwhile, or already moved: nothing to do
        now = clock.now()
        if isinstance(data, LeaveReserved):
            if request.reserved(now, await plan_for(repo, request)) == "approved":
                outcome = integration.leave_decided(request, None, "no approval needed")
            else:
                approval = await approval_out(repo, clock, request)
                outcome = integration.leave_pending(request, data.available_after, approval)
        else:
            request.reservation_rejected(data.reason, now)
            outcome = integration.leave_rejected(request, data.available)
        await repo.record(
            outcome, tenant_id=request.tenant_id, actor="system", cause=event.envelope
        )
        await repo.save(request)

    return handlers

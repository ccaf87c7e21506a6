"""Reactions to the balances service's verdict on a submitted request: reserved (it
waits for approval, or is approved at once) or rejected (not enough left); and on an
edit: refused (not enough left for the new dates), so the request goes back as it was."""

from __future__ import annotations

from leaveflow_contracts import LeaveEditRejected, LeaveReservationRejected, LeaveReserved
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction

from . import integration
from .approvals import approval_out, deciding_directory, plan_for
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
            directory = await deciding_directory(repo, request)
            if request.reserved(now, await plan_for(repo, request, directory)) == "approved":
                outcome = integration.leave_decided(request, None, "no approval needed")
            else:
                approval = await approval_out(repo, clock, request, directory)
                outcome = integration.leave_pending(request, data.available_after, approval)
        else:
            request.reservation_rejected(data.reason, now)
            outcome = integration.leave_rejected(request, data.available)
        await repo.record(
            outcome, tenant_id=request.tenant_id, actor="system", cause=event.envelope
        )
        await repo.save(request)

    @handlers.on
    async def on_edit_rejected(tx: Transaction, event: Handled[LeaveEditRejected]) -> None:
        """Undo the refused edit: the dates, parts, price and reason of before, and its
        approval where no one decided since; announced as a re-pricing back (no
        `edit_id`: balances holds those days already and books no difference)."""
        data = event.data
        repo = repositories(tx)
        request = await repo.leave_request(event.envelope.tenant_id, data.request_id)
        if request is None:
            return
        edited = request.edit_refused(data.edit_id, data.reason, clock.now())
        await repo.save(request)
        if edited is None:
            return
        undone = integration.leave_repriced(
            request,
            edited.amount,
            old_start_date=edited.start_date,
            old_end_date=edited.end_date,
            approval=await approval_out(repo, clock, request),
        )
        await repo.record(undone, tenant_id=request.tenant_id, actor="system", cause=event.envelope)

    return handlers

"""Time off in lieu claims as deliveries, like leave (fanout.py): each level's deciders
are asked when the claim waits for it (`ToilPending`), and the claimant hears the
decision (`ToilApproved`, `ToilDenied`). Claims are decided on the dashboard, so these
messages carry no buttons; one delivery per (event, recipient, channel), as for leave."""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import ToilApproved, ToilDenied, ToilPending
from leaveflow_kit.clock import Clock
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction

from ..domain.messages import TOIL_APPROVED, TOIL_ASKED, TOIL_DENIED, Notice
from .approvals import deciders, level_states
from .fanout import create_deliveries
from .replica import LEAVE_TYPE_REPLICA, person

ToilEvent = ToilPending | ToilApproved | ToilDenied


async def toil_notice(tx: Transaction, tenant_id: str, d: ToilEvent, kind: str) -> Notice:
    employee = await person(tx, tenant_id, d.employee_id)
    leave_type = await LEAVE_TYPE_REPLICA.get(tx, tenant_id, d.leave_type_id)
    approval = d.approval if isinstance(d, ToilPending | ToilDenied) else None
    return Notice(
        kind=kind,
        tenant_id=tenant_id,
        employee_name=employee["name"] if employee else "An employee",
        leave_type=leave_type["name"] if leave_type else "time off in lieu",
        start_date=d.date.isoformat(),
        end_date=d.date.isoformat(),
        amount=str(d.amount),
        unit=str(d.unit.value if hasattr(d.unit, "value") else d.unit),
        detail=d.note,
        levels=await level_states(tx, tenant_id, approval),
        level=approval.current_level if approval else None,
    )


def toil_handlers(clock: Clock) -> Handlers:
    handlers = Handlers()

    @handlers.on
    async def on_toil_event(tx: Transaction, event: Handled[ToilEvent]) -> None:
        tenant_id, d = event.envelope.tenant_id, event.data
        recipients: list[dict[str, Any]]
        if isinstance(d, ToilPending):
            kind = TOIL_ASKED
            recipients = await deciders(tx, tenant_id, d.approval, d.department_id, d.employee_id)
        else:
            kind = TOIL_APPROVED if isinstance(d, ToilApproved) else TOIL_DENIED
            employee = await person(tx, tenant_id, d.employee_id)
            recipients = [employee] if employee is not None else []
        await create_deliveries(
            tx,
            clock,
            tenant_id=tenant_id,
            event_id=event.envelope.event_id,
            event_type=event.envelope.type,
            notice=await toil_notice(tx, tenant_id, d, kind),
            recipients=recipients,
        )

    return handlers

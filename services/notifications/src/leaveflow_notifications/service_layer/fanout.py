"""Turn request events into delivery records, in the consumer's transaction.

One delivery per (event, recipient, channel), its id derived from the three, so a
redelivered event finds its deliveries already there and sends nothing twice.
"""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import (
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeavePending,
    LeaveRejected,
)
from leaveflow_kit.clock import Clock
from leaveflow_kit.documents import to_doc
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction
from leaveflow_kit.telemetry import current_trace

from ..domain.delivery import Delivery, delivery_id
from ..domain.messages import APPROVED, CANCELLED, DENIED, PENDING, REJECTED, Notice
from .collections import (
    CHANNELS,
    DELIVERIES,
    EMAIL,
    INTEGRATIONS,
    PREFERENCES,
    SLACK,
    TEAMS,
    integration_key,
    preference_key,
)
from .replica import LEAVE_TYPE_REPLICA, approvers_of, directory_handlers, person


def recipient_view(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "email", "slack_user_id", "teams_user_id")
    return {k: doc.get(k) for k in keys}


async def _channels_for(tx: Transaction, tenant_id: str, who: dict[str, Any]) -> list[str]:
    prefs = await tx.get(PREFERENCES, preference_key(tenant_id, who["id"])) or {}
    chosen = []
    for channel in CHANNELS:
        if prefs.get(channel) is False:
            continue
        integration = await tx.get(INTEGRATIONS, integration_key(tenant_id, channel))
        if integration is None:
            continue
        if channel == SLACK and not (
            integration.get("webhook_url")
            or (integration.get("bot_token") and who.get("slack_user_id"))
        ):
            continue
        if channel == TEAMS and not integration.get("webhook_url"):
            continue
        chosen.append(channel)
    return chosen


async def create_deliveries(
    tx: Transaction,
    clock: Clock,
    *,
    tenant_id: str,
    event_id: str,
    event_type: str,
    notice: Notice,
    recipients: list[dict[str, Any]],
    only_channel_wide: bool = False,
) -> int:
    """With `only_channel_wide` (the digest) the recipient `channel` gets the Slack and Teams
    channel posts, and people get only email, so a channel is not spammed once per person."""
    created = 0
    seen: set[str] = set()
    for who in recipients:
        if who["id"] in seen:
            continue
        seen.add(who["id"])
        for channel in await _channels_for(tx, tenant_id, who):
            if only_channel_wide and (channel == EMAIL) == (who["id"] == "channel"):
                continue
            delivery = Delivery(
                id=delivery_id(event_id, channel, who["id"]),
                tenant_id=tenant_id,
                event_id=event_id,
                event_type=event_type,
                channel=channel,
                recipient=who["id"],
                payload={"notice": notice.to_dict(), "to": recipient_view(who)},
                created_at=clock.now(),
                trace=current_trace(),
            )
            if await tx.get(DELIVERIES, delivery.id) is None:
                await tx.insert(DELIVERIES, delivery.id, to_doc(delivery))
                created += 1
    return created


LeaveEvent = LeavePending | LeaveApproved | LeaveDenied | LeaveRejected | LeaveCancelled

KIND_OF: dict[type[LeaveEvent], str] = {
    LeavePending: PENDING,
    LeaveApproved: APPROVED,
    LeaveDenied: DENIED,
    LeaveRejected: REJECTED,
    LeaveCancelled: CANCELLED,
}


async def notice_for(tx: Transaction, event: Handled[LeaveEvent]) -> Notice:
    d = event.data
    tenant_id = event.envelope.tenant_id
    employee = await person(tx, tenant_id, d.employee_id)
    leave_type = await LEAVE_TYPE_REPLICA.get(tx, tenant_id, d.leave_type_id)
    detail: str | None = None
    available: str | None = None
    if isinstance(d, LeaveApproved | LeaveDenied | LeaveCancelled):
        detail = d.note
    if isinstance(d, LeaveRejected):
        detail = d.rejection_reason
        available = str(d.available) if d.available is not None else None
    return Notice(
        kind=KIND_OF[type(d)],
        tenant_id=tenant_id,
        employee_name=employee["name"] if employee else "An employee",
        request_id=d.request_id,
        leave_type=leave_type["name"] if leave_type else "leave",
        start_date=d.start_date.isoformat(),
        end_date=d.end_date.isoformat(),
        amount=str(d.amount),
        unit=str(d.unit.value if hasattr(d.unit, "value") else d.unit),
        detail=detail,
        available=available,
    )


def requests_handlers(clock: Clock) -> Handlers:
    """The directory replica's handlers, and one that turns each decision-relevant leave
    event into deliveries."""
    handlers = Handlers()

    @handlers.on
    async def on_leave_event(tx: Transaction, event: Handled[LeaveEvent]) -> None:
        tenant_id = event.envelope.tenant_id
        notice = await notice_for(tx, event)
        employee_id = event.data.employee_id
        employee = await person(tx, tenant_id, employee_id)
        recipients: list[dict[str, Any]] = []
        if notice.kind in (PENDING, CANCELLED):
            recipients += [
                a
                for a in await approvers_of(tx, tenant_id, event.data.department_id)
                if a["id"] != employee_id
            ]
        if notice.kind != PENDING and employee is not None:
            recipients.append(employee)
        await create_deliveries(
            tx,
            clock,
            tenant_id=tenant_id,
            event_id=event.envelope.event_id,
            event_type=event.envelope.type,
            notice=notice,
            recipients=recipients,
        )

    return Handlers().include(directory_handlers, handlers)

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


CHANNEL = "channel"
"""The recipient of a post to a tenant's shared channel (a Slack webhook or channel, a
Teams channel): one per event, however many people it concerns."""


def channel_recipient(people: list[dict[str, Any]]) -> dict[str, Any]:
    """The channel as a recipient: the people the post concerns are mentioned (Slack) and
    are the ones its signed links act for (Teams)."""
    return {
        "id": CHANNEL,
        "name": None,
        "mentions": [p["slack_user_id"] for p in people if p.get("slack_user_id")],
        "people": [p["id"] for p in people],
    }


async def _routes_for(
    tx: Transaction, tenant_id: str, who: dict[str, Any]
) -> list[tuple[str, bool]]:
    """(channel, personal?) for each way `who` is reached: Slack is personal when the bot
    can message them directly, else it is the shared channel; Teams (a Workflows webhook)
    is always a channel; email always personal."""
    prefs = await tx.get(PREFERENCES, preference_key(tenant_id, who["id"])) or {}
    chosen = []
    for channel in CHANNELS:
        if prefs.get(channel) is False:
            continue
        integration = await tx.get(INTEGRATIONS, integration_key(tenant_id, channel))
        if integration is None:
            continue
        if channel == SLACK:
            if integration.get("bot_token") and who.get("slack_user_id"):
                chosen.append((SLACK, True))
            elif integration.get("webhook_url"):
                chosen.append((SLACK, False))
            continue
        if channel == TEAMS:
            if integration.get("webhook_url"):
                chosen.append((TEAMS, False))
            continue
        chosen.append((channel, True))
    return chosen


async def _channels_for(tx: Transaction, tenant_id: str, who: dict[str, Any]) -> list[str]:
    return [channel for channel, _ in await _routes_for(tx, tenant_id, who)]


async def _insert(tx: Transaction, delivery: Delivery) -> int:
    if await tx.get(DELIVERIES, delivery.id) is not None:
        return 0
    await tx.insert(DELIVERIES, delivery.id, to_doc(delivery))
    return 1


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
    """One delivery per person reached personally, and one per shared channel for the
    whole event (not one identical post per person), with the channel's notice (named,
    no note). With `only_channel_wide` (the digest) the recipient `channel` gets the Slack
    and Teams channel posts, and people get only email."""
    created = 0
    seen: set[str] = set()

    def delivery(channel: str, to: dict[str, Any], what: Notice) -> Delivery:
        view = to if to["id"] == CHANNEL and "people" in to else recipient_view(to)
        return Delivery(
            id=delivery_id(event_id, channel, to["id"]),
            tenant_id=tenant_id,
            event_id=event_id,
            event_type=event_type,
            channel=channel,
            recipient=to["id"],
            payload={"notice": what.to_dict(), "to": view},
            created_at=clock.now(),
            trace=current_trace(),
        )

    in_channel: dict[str, list[dict[str, Any]]] = {}  # shared channel -> people it concerns
    for who in recipients:
        if who["id"] in seen:
            continue
        seen.add(who["id"])
        if only_channel_wide:
            for channel in await _channels_for(tx, tenant_id, who):
                if (channel == EMAIL) == (who["id"] == CHANNEL):
                    continue
                created += await _insert(tx, delivery(channel, who, notice))
            continue
        for channel, personal in await _routes_for(tx, tenant_id, who):
            if personal:
                created += await _insert(tx, delivery(channel, who, notice))
            else:
                in_channel.setdefault(channel, []).append(who)
    for channel, people in in_channel.items():
        to = channel_recipient(people)
        created += await _insert(tx, delivery(channel, to, notice.for_channel()))
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

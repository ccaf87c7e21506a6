"""Turn request events into delivery records, in the consumer's transaction.

One delivery per (event, recipient, channel), its id derived from the three, so a
redelivered event finds its deliveries already there and sends nothing twice.
"""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import (
    Approval,
    ApprovalEscalated,
    ApprovalReminderDue,
    Envelope,
    EventData,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveLevelApproved,
    LeavePending,
    LeaveRejected,
    LeaveRepriced,
    LeaveStatus,
)
from leaveflow_kit.clock import Clock
from leaveflow_kit.documents import to_doc
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction
from leaveflow_kit.telemetry import current_trace

from ..domain.delivery import Delivery, delivery_id
from ..domain.messages import (
    APPROVED,
    CANCELLED,
    DENIED,
    EDITED,
    ESCALATED,
    LEVEL_APPROVED,
    PENDING,
    REJECTED,
    REMINDER,
    SYSTEM,
    Notice,
)
from .approvals import (
    CHANNEL_ID,
    asked_about,
    deciders,
    level_states,
    name_of,
    people,
    update_sent_messages,
    waiting_for,
)
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
from .replica import LEAVE_TYPE_REPLICA, admins, approvers_of, directory_handlers, person
from .teams_conversations import TEAMS_CONVERSATIONS, conversation_key

# A preference (off unless chosen): the employee hears each level approved on the way.
LEVEL_UPDATES = "level_updates"


def recipient_view(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "email", "slack_user_id", "teams_user_id")
    return {k: doc.get(k) for k in keys}


CHANNEL = CHANNEL_ID
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
    can message them directly, else it is the shared channel; Teams is personal when they
    have a chat with the Teams bot, else the channel (a Workflows webhook); email always
    personal."""
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
            # The bot reaches who installed it or wrote to it; the others, the channel.
            chat = await tx.get(TEAMS_CONVERSATIONS, conversation_key(tenant_id, who["id"]))
            if chat is not None:
                chosen.append((TEAMS, True))
            elif integration.get("webhook_url"):
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
            request_id=what.request_id,
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
    for channel, concerned in in_channel.items():
        to = channel_recipient(concerned)
        created += await _insert(tx, delivery(channel, to, notice.for_channel()))
    return created


LeaveEvent = LeavePending | LeaveApproved | LeaveDenied | LeaveRejected | LeaveCancelled
# Every event that repeats a request's facts (the contracts' `_LeaveRequestFacts`).
LeaveFacts = (
    LeaveEvent | LeaveLevelApproved | ApprovalReminderDue | ApprovalEscalated | LeaveRepriced
)

KIND_OF: dict[type[LeaveEvent], str] = {
    LeavePending: PENDING,
    LeaveApproved: APPROVED,
    LeaveDenied: DENIED,
    LeaveRejected: REJECTED,
    LeaveCancelled: CANCELLED,
}


async def facts_notice(
    tx: Transaction, tenant_id: str, d: LeaveFacts, kind: str, **more: Any
) -> Notice:
    """The notice of a request event's facts, with the names our replica holds."""
    employee = await person(tx, tenant_id, d.employee_id)
    leave_type = await LEAVE_TYPE_REPLICA.get(tx, tenant_id, d.leave_type_id)
    return Notice(
        kind=kind,
        tenant_id=tenant_id,
        employee_name=employee["name"] if employee else "An employee",
        request_id=d.request_id,
        leave_type=leave_type["name"] if leave_type else "leave",
        start_date=d.start_date.isoformat(),
        end_date=d.end_date.isoformat(),
        amount=str(d.amount),
        unit=str(d.unit.value if hasattr(d.unit, "value") else d.unit),
        **more,
    )


async def notice_for(tx: Transaction, event: Handled[LeaveEvent]) -> Notice:
    d = event.data
    tenant_id = event.envelope.tenant_id
    more: dict[str, Any] = {}
    if isinstance(d, LeaveApproved | LeaveDenied | LeaveCancelled):
        more["detail"] = d.note
    if isinstance(d, LeaveApproved | LeaveDenied):
        more["automatic"] = d.approver_id == SYSTEM
    if isinstance(d, LeaveRejected):
        more["detail"] = d.rejection_reason
        more["available"] = str(d.available) if d.available is not None else None
    if isinstance(d, LeavePending | LeaveApproved | LeaveDenied):
        more["levels"] = await level_states(tx, tenant_id, d.approval)
    if isinstance(d, LeavePending) and d.approval is not None:
        more["level"] = d.approval.current_level
    return await facts_notice(tx, tenant_id, d, KIND_OF[type(d)], **more)


async def _level_updates_wanted(tx: Transaction, tenant_id: str, employee_id: str) -> bool:
    prefs = await tx.get(PREFERENCES, preference_key(tenant_id, employee_id)) or {}
    return prefs.get(LEVEL_UPDATES) is True


async def _closing_text(tx: Transaction, tenant_id: str, d: EventData) -> str | None:
    """What a later event says on the messages already sent about its request (None:
    they stay as they are)."""
    if isinstance(d, LeaveLevelApproved):
        return f"Level {d.level} approved by {await name_of(tx, tenant_id, d.approver_id)}."
    if isinstance(d, LeaveApproved | LeaveDenied):
        verb = "Approved" if isinstance(d, LeaveApproved) else "Denied"
        if d.approver_id == SYSTEM:
            return f"{verb} automatically" + (f": {d.note}" if d.note else ".")
        return f"{verb} by {await name_of(tx, tenant_id, d.approver_id)}."
    if isinstance(d, LeaveCancelled):
        return "Cancelled."
    if isinstance(d, LeaveRepriced) and d.edited_by:
        who = await name_of(tx, tenant_id, d.edited_by)
        return f"Changed by {who}: a new message asks about the new dates."
    return None


def requests_handlers(clock: Clock) -> Handlers:
    """The directory replica's handlers, and the ones that turn each decision-relevant
    leave event into deliveries (and updates of the messages sent before it)."""
    handlers = Handlers()

    async def fan_out(
        tx: Transaction, envelope: Envelope, notice: Notice, recipients: list[dict[str, Any]]
    ) -> None:
        await create_deliveries(
            tx,
            clock,
            tenant_id=envelope.tenant_id,
            event_id=envelope.event_id,
            event_type=envelope.type,
            notice=notice,
            recipients=recipients,
        )

    async def update_earlier(
        tx: Transaction, envelope: Envelope, d: LeaveFacts, approval: Approval | None
    ) -> None:
        what = await _closing_text(tx, envelope.tenant_id, d)
        if what is None:
            return
        await update_sent_messages(
            tx,
            clock,
            tenant_id=envelope.tenant_id,
            event_id=envelope.event_id,
            event_type=envelope.type,
            request_id=d.request_id,
            what=what,
            levels=await level_states(tx, envelope.tenant_id, approval),
        )

    @handlers.on
    async def on_leave_event(tx: Transaction, event: Handled[LeaveEvent]) -> None:
        tenant_id = event.envelope.tenant_id
        d = event.data
        notice = await notice_for(tx, event)
        employee = await person(tx, tenant_id, d.employee_id)
        recipients: list[dict[str, Any]] = []
        if isinstance(d, LeavePending):
            recipients += await deciders(tx, tenant_id, d.approval, d.department_id, d.employee_id)
        if isinstance(d, LeaveCancelled):
            # Whoever was asked about it, at whatever level; else (asked before deliveries
            # named their request) the department's approvers.
            asked = await asked_about(tx, tenant_id, d.request_id)
            asked = asked or await approvers_of(tx, tenant_id, d.department_id)
            recipients += [a for a in asked if a["id"] != d.employee_id]
        if notice.kind != PENDING and employee is not None:
            recipients.append(employee)
        await fan_out(tx, event.envelope, notice, recipients)
        if not isinstance(d, LeavePending | LeaveRejected):
            approval = d.approval if isinstance(d, LeaveApproved | LeaveDenied) else None
            await update_earlier(tx, event.envelope, d, approval)

    @handlers.on
    async def on_level_approved(tx: Transaction, event: Handled[LeaveLevelApproved]) -> None:
        """The next level's deciders are asked; the employee hears of it only if they
        asked for level updates (the "approved" they wait for comes with LeaveApproved)."""
        tenant_id, d = event.envelope.tenant_id, event.data
        levels = await level_states(tx, tenant_id, d.approval)
        ask = await facts_notice(
            tx, tenant_id, d, PENDING, levels=levels, level=d.approval.current_level
        )
        asked = await deciders(tx, tenant_id, d.approval, d.department_id, d.employee_id)
        await fan_out(tx, event.envelope, ask, asked)
        employee = await person(tx, tenant_id, d.employee_id)
        if employee is not None and await _level_updates_wanted(tx, tenant_id, d.employee_id):
            told = await facts_notice(
                tx,
                tenant_id,
                d,
                LEVEL_APPROVED,
                level=d.level,
                levels=levels,
                waiting_for=await waiting_for(tx, tenant_id, d.approval),
            )
            await fan_out(tx, event.envelope, told, [employee])
        await update_earlier(tx, event.envelope, d, d.approval)

    @handlers.on
    async def on_reminder_or_escalation(
        tx: Transaction, event: Handled[ApprovalReminderDue | ApprovalEscalated]
    ) -> None:
        """A reminder to each decider the event lists; an escalation to its admins."""
        tenant_id, d = event.envelope.tenant_id, event.data
        levels = await level_states(tx, tenant_id, d.approval)
        waits = await waiting_for(tx, tenant_id, d.approval)
        if isinstance(d, ApprovalReminderDue):
            notice = await facts_notice(
                tx,
                tenant_id,
                d,
                REMINDER,
                level=d.level,
                reminder_number=d.reminder_number,
                levels=levels,
                waiting_for=waits,
            )
            recipients = await people(tx, tenant_id, d.approval.deciders)
        else:
            notice = await facts_notice(
                tx, tenant_id, d, ESCALATED, level=d.level, levels=levels, waiting_for=waits
            )
            recipients = await people(tx, tenant_id, d.admin_ids) or await admins(tx, tenant_id)
        recipients = [r for r in recipients if r["id"] != d.employee_id]
        await fan_out(tx, event.envelope, notice, recipients)

    @handlers.on
    async def on_repriced(tx: Transaction, event: Handled[LeaveRepriced]) -> None:
        """A person's edit of a pending request: its deciders (level 1 again) are asked
        about the new dates. A re-pricing by the calendar, or an edit of an approved
        leave, asks nobody anything."""
        tenant_id, d = event.envelope.tenant_id, event.data
        if not d.edited_by or d.status != LeaveStatus.PENDING:
            return
        notice = await facts_notice(
            tx,
            tenant_id,
            d,
            EDITED,
            level=d.approval.current_level if d.approval else None,
            levels=await level_states(tx, tenant_id, d.approval),
            old_start_date=(d.old_start_date or d.start_date).isoformat(),
            old_end_date=(d.old_end_date or d.end_date).isoformat(),
            edited_by=await name_of(tx, tenant_id, d.edited_by),
        )
        asked = await deciders(tx, tenant_id, d.approval, d.department_id, d.employee_id)
        await fan_out(tx, event.envelope, notice, [a for a in asked if a["id"] != d.edited_by])
        await update_earlier(tx, event.envelope, d, d.approval)

    return Handlers().include(directory_handlers, handlers)

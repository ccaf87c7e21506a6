"""Approval levels as the notifications read them: who decides now, how every level
stands (in names), and the messages already sent about a request that a later state
updates in place.

The requests service fixes a request's levels and computes its `deciders` (approvers of
the current level but never the requester, substitutes holding today, stand-ins, else the
admins): we notify exactly those and never recompute them. Only an event without
`approval` (sent before levels existed) falls back to the department's approvers.
"""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import Approval
from leaveflow_kit.clock import Clock
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import Transaction
from leaveflow_kit.telemetry import current_trace

from ..domain.delivery import PENDING, RETRYING, SENT, Delivery, delivery_id
from ..domain.messages import ASKING, SYSTEM, Notice
from .collections import DELIVERIES
from .ports import UPDATES
from .replica import approvers_of, person

AUTOMATIC = "Leaveflow (automatic)"
# The recipient id of a shared channel's post (`fanout.CHANNEL`).
CHANNEL_ID = "channel"
# In an update's payload: the delivery whose message it rewrites.
ORIGINAL = "original"


async def people(tx: Transaction, tenant_id: str, ids: list[str]) -> list[dict[str, Any]]:
    """The replica's record of each id it knows, in order, each once."""
    found: list[dict[str, Any]] = []
    for employee_id in dict.fromkeys(ids):
        doc = await person(tx, tenant_id, employee_id)
        if doc is not None:
            found.append(doc)
    return found


async def name_of(tx: Transaction, tenant_id: str, employee_id: str | None) -> str:
    if employee_id == SYSTEM:
        return AUTOMATIC
    doc = await person(tx, tenant_id, employee_id) if employee_id else None
    return str(doc["name"]) if doc else "someone"


async def names(tx: Transaction, tenant_id: str, ids: list[str]) -> str:
    return ", ".join(str(p["name"]) for p in await people(tx, tenant_id, ids))


async def deciders(
    tx: Transaction,
    tenant_id: str,
    approval: Approval | None,
    department_id: str | None,
    employee_id: str,
) -> list[dict[str, Any]]:
    """Who to ask now: the event's deciders; without an `approval` (an older producer),
    or when the replica knows none of them yet, the department's approvers (else the
    admins). Never the requester."""
    found = await people(tx, tenant_id, approval.deciders) if approval else []
    if not found:
        found = await approvers_of(tx, tenant_id, department_id)
    return [p for p in found if p["id"] != employee_id]


async def asked_about(tx: Transaction, tenant_id: str, request_id: str) -> list[dict[str, Any]]:
    """Everyone who was asked to decide the request, at any level (reminders and
    escalations included), as our deliveries record it."""
    ids: list[str] = []
    for doc in await tx.find(
        DELIVERIES, {"tenant_id": tenant_id, "request_id": request_id}, limit=500
    ):
        payload = doc.get("payload") or {}
        if UPDATES in payload or (payload.get("notice") or {}).get("kind") not in ASKING:
            continue
        to = payload.get("to") or {}
        ids += [str(p) for p in to.get("people") or []] or [str(doc["recipient"])]
    return await people(tx, tenant_id, [i for i in ids if i != CHANNEL_ID])


async def level_states(
    tx: Transaction, tenant_id: str, approval: Approval | None
) -> list[dict[str, str]]:
    """[{"level", "status", "who"}]: a decided level names who decided it, the current
    one the people it waits for (its deciders), a later one its approvers."""
    if approval is None:
        return []
    states = []
    for level in approval.levels:
        if level.status in ("approved", "denied"):
            who = await name_of(tx, tenant_id, level.decided_by)
        elif level.level == approval.current_level and approval.deciders:
            who = await names(tx, tenant_id, approval.deciders)
        else:
            who = await names(tx, tenant_id, level.approver_ids)
        states.append({"level": str(level.level), "status": level.status, "who": who})
    return states


async def waiting_for(tx: Transaction, tenant_id: str, approval: Approval | None) -> str:
    return await names(tx, tenant_id, approval.deciders) if approval else ""


async def update_sent_messages(
    tx: Transaction,
    clock: Clock,
    *,
    tenant_id: str,
    event_id: str,
    event_type: str,
    request_id: str,
    what: str,
    levels: list[dict[str, str]],
) -> int:
    """One update per message already sent asking to decide the request, where its peer
    lets us change it (Slack Web API messages, which keep `channel` and `ts`; the Teams
    bot's cards, which keep their activity id): it now
    reads as closed by `what`, with every level's state and no buttons. Webhook posts
    (Slack or Teams) have no handle and stay as they were; the new state reaches people
    in new messages.

    Idempotent per event like every delivery: the id names the event and the message. An
    update of the same message still waiting to be sent (a Slack hiccup being retried) is
    brought up to date instead, so an older state can never land after a newer one."""
    # Every channel whose sends keep a handle: Slack's Web API, the Teams bot.
    where = {"tenant_id": tenant_id, "request_id": request_id}
    waiting: dict[str, Delivery] = {}
    for status in (PENDING, RETRYING):
        for doc in await tx.find(DELIVERIES, {**where, "status": status}, limit=200):
            queued = from_doc(Delivery, doc)
            if ORIGINAL in queued.payload:
                waiting[str(queued.payload[ORIGINAL])] = queued
    created = 0
    for doc in await tx.find(DELIVERIES, {**where, "status": SENT}, limit=200):
        sent = from_doc(Delivery, doc)
        if sent.message_ref is None or UPDATES in sent.payload:
            continue
        notice = Notice.from_dict(sent.payload["notice"])
        if notice.kind not in ASKING:
            continue  # what told the employee something stays as it was
        update_id = delivery_id(event_id, sent.channel, f"update:{sent.id}")
        if await tx.get(DELIVERIES, update_id) is not None:
            continue
        notice = notice.closed_by(what, levels or None)
        stale = waiting.get(sent.id)
        if stale is not None:
            stale.payload = {**stale.payload, "notice": notice.to_dict()}
            await tx.put(DELIVERIES, stale.id, to_doc(stale))
            continue
        update = Delivery(
            id=update_id,
            tenant_id=tenant_id,
            event_id=event_id,
            event_type=event_type,
            channel=sent.channel,
            recipient=sent.recipient,
            payload={
                "notice": notice.to_dict(),
                "to": sent.payload["to"],
                UPDATES: sent.message_ref,
                ORIGINAL: sent.id,
            },
            created_at=clock.now(),
            trace=current_trace(),
            request_id=request_id,
        )
        await tx.insert(DELIVERIES, update.id, to_doc(update))
        created += 1
    return created

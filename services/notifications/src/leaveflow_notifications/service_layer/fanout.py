"""Turn events into delivery records (in the consumer's transaction)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from leaveflow_contracts import EmployeeUpserted
from leaveflow_kit.documents import to_doc
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import Transaction

from ..domain.delivery import Delivery, delivery_id
from ..domain.messages import describe

DELIVERIES, INTEGRATIONS, PEOPLE = "deliveries", "integrations", "people"
SLACK = "slack"

Clock = Callable[[], datetime]


def integration_key(tenant_id: str, channel: str) -> str:
    return f"{tenant_id}:{channel}"


async def on_employee(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, EmployeeUpserted)
    await tx.put(
        PEOPLE,
        d.employee_id,
        {"id": d.employee_id, "tenant_id": event.envelope.tenant_id, "name": d.name},
    )


def on_decision(clock: Clock) -> EventHandler:
    async def handle(tx: Transaction, event: HandledEvent) -> None:
        tenant_id = event.envelope.tenant_id
        integration = await tx.get(INTEGRATIONS, integration_key(tenant_id, SLACK))
        if integration is None or not integration.get("webhook_url"):
            return
        person = await tx.get(PEOPLE, event.data.employee_id)  # type: ignore[attr-defined]
        text = describe(event.data, person["name"] if person else "An employee")
        if text is None:
            return
        recipient = integration.get("channel") or "webhook"
        delivery = Delivery(
            id=delivery_id(event.envelope.event_id, SLACK, recipient),
            tenant_id=tenant_id,
            event_id=event.envelope.event_id,
            event_type=event.envelope.type,
            channel=SLACK,
            recipient=recipient,
            payload={"text": text},
            created_at=clock(),
        )
        if await tx.get(DELIVERIES, delivery.id) is None:
            await tx.insert(DELIVERIES, delivery.id, to_doc(delivery))

    return handle


def requests_handlers(clock: Clock) -> dict[str, EventHandler]:
    decision = on_decision(clock)
    return {"EmployeeUpserted": on_employee, "LeaveApproved": decision, "LeaveDenied": decision}


def balances_handlers(clock: Clock) -> dict[str, EventHandler]:
    return {"LeaveReservationRejected": on_decision(clock)}

"""The tenant's event log: every event this service records, kept for `GET /v1/stream`.

Each event is written to the outbox (for JetStream) and to the `event_log` collection in the
same transaction, so the stream shows exactly what was committed, nothing that was rolled
back. Keys are the event ids, which are time-ordered, so a tenant's log reads in id order
and an SSE `Last-Event-ID` is a plain cursor.
"""

from __future__ import annotations

from leaveflow_contracts import Envelope, EventData
from leaveflow_kit.events import record
from leaveflow_kit.storage import Transaction

from ..adapters.repository import EVENT_LOG


async def emit(
    tx: Transaction,
    data: EventData,
    *,
    tenant_id: str,
    actor: str | None = None,
    correlation_id: str | None = None,
    cause: Envelope | None = None,
) -> Envelope:
    """Record `data` in the outbox and in the tenant's event log (one commit)."""
    envelope = record(
        tx, data, tenant_id=tenant_id, actor=actor, correlation_id=correlation_id, cause=cause
    )
    await tx.insert(
        EVENT_LOG,
        envelope.event_id,
        {
            "id": envelope.event_id,
            "tenant_id": envelope.tenant_id,
            "type": envelope.type,
            # Whose event it is, for the stream's visibility rule (None: directory-wide).
            "employee_id": getattr(data, "employee_id", None),
            "envelope": envelope.model_dump(mode="json"),
        },
    )
    return envelope

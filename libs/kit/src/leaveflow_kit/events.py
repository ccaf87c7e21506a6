"""Recording integration events into a transaction's outbox."""

from __future__ import annotations

from leaveflow_contracts import Envelope, EventData, subject_for

from . import telemetry
from .storage import Transaction


def record(
    tx: Transaction,
    data: EventData,
    *,
    tenant_id: str,
    actor: str | None = None,
    correlation_id: str | None = None,
    cause: Envelope | None = None,
) -> Envelope:
    """Wrap `data` in an envelope and queue it in the outbox of `tx` (same commit)."""
    if cause is not None:
        envelope = cause.caused(data, actor=actor)
    else:
        envelope = Envelope.wrap(
            data, tenant_id=tenant_id, actor=actor, correlation_id=correlation_id
        )
    if (trace_context := telemetry.current_trace()) is not None:
        # Stored with the outbox row, so the relay can continue this trace when it publishes.
        envelope = envelope.model_copy(update={"trace": trace_context})
    tx.publish(envelope, subject_for(data.PRODUCER, data.EVENT_TYPE, data.VERSION))
    return envelope

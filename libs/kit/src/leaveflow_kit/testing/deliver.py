"""Hand one event to a service's handlers, in a transaction, as its consumer would.

envelope = await deliver(store, handlers, LeaveRequested(...), tenant_id="t1")
await deliver(store, handlers, envelope)  # a redelivery: the inbox drops it
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from leaveflow_contracts import Envelope, EventData, subject_for

from ..messaging.consumer import EventHandler, apply_alone
from ..storage import Store

__all__ = ["deliver"]


async def deliver(
    store: Store,
    handlers: Mapping[str, EventHandler],
    event: EventData | Envelope,
    *,
    tenant_id: str | None = None,
    occurred_at: datetime | None = None,
    actor: str | None = None,
    correlation_id: str | None = None,
    cause: Envelope | None = None,
    consumer: str = "test",
    subject: str | None = None,
) -> Envelope:
    """Wrap `event` (unless it is an envelope already: then it is delivered again as is)
    and apply it through the consumer's own path (`apply_alone`): inbox check, handler,
    inbox mark, one commit; an `InvalidEvent` with `record` is recorded as the consumer
    records it (one without propagates). Returns the envelope.

    A type no handler takes is an error here (the consumer would skip it silently, but a
    test that delivers it has a typo or a missing registration)."""
    envelope = (
        event
        if isinstance(event, Envelope)
        else _wrap(event, tenant_id, occurred_at, actor, correlation_id, cause)
    )
    if envelope.type not in handlers:
        raise LookupError(f"no handler for {envelope.type} (have {sorted(handlers)})")
    on = subject or subject_for(_producer(event, envelope), envelope.type, envelope.version)
    await apply_alone(store, consumer, handlers, envelope, on)
    return envelope


def _wrap(
    data: EventData,
    tenant_id: str | None,
    occurred_at: datetime | None,
    actor: str | None,
    correlation_id: str | None,
    cause: Envelope | None,
) -> Envelope:
    if cause is not None:
        envelope = cause.caused(data, actor=actor)
        if tenant_id is not None and tenant_id != envelope.tenant_id:
            raise ValueError("an event caused by another keeps its tenant")
    elif tenant_id is None:
        raise TypeError("deliver() needs tenant_id= for an event (or cause=)")
    else:
        envelope = Envelope.wrap(
            data, tenant_id=tenant_id, actor=actor, correlation_id=correlation_id
        )
    if occurred_at is not None:
        envelope = envelope.model_copy(update={"occurred_at": occurred_at})
    return envelope


def _producer(event: EventData | Envelope, envelope: Envelope) -> str:
    if isinstance(event, EventData):
        return event.PRODUCER
    from leaveflow_contracts.registry import data_class

    return data_class(envelope.type, envelope.version).PRODUCER

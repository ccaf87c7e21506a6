"""The envelope every Leaveflow event travels in, and the base of every event payload."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

_id_lock = threading.Lock()
_id_state = [0, 0]  # last millisecond, sequence within it


def new_id() -> str:
    """A time-ordered opaque id: 48-bit ms clock, 16-bit sequence, 64 random bits (32 hex).

    Ids made by one process are strictly increasing, even within a millisecond, so key
    order is creation order and list cursors never skip a record made in the same ms.
    """
    with _id_lock:
        now = int(time.time() * 1000)
        if now <= _id_state[0]:
            now, seq = _id_state[0], _id_state[1] + 1
            if seq > 0xFFFF:  # 65,536 ids in one ms: borrow the next millisecond
                now, seq = now + 1, 0
        else:
            seq = 0
        _id_state[0], _id_state[1] = now, seq
    return f"{now:012x}{seq:04x}{os.urandom(8).hex()}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventData(BaseModel):
    """Payload of one event type. Subclasses set EVENT_TYPE, VERSION and PRODUCER."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    EVENT_TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str]


class Envelope(BaseModel):
    """Metadata common to all events; `data` holds the type-specific payload.

    Consumers ignore unknown fields (extra="ignore") so producers may add fields freely.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str = Field(default_factory=new_id)
    type: str
    version: int = 1
    tenant_id: str
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any]
    # W3C trace context (`traceparent`, maybe `tracestate`) of the transaction that recorded
    # the event, when the producer traces; consumers continue that trace. Left out of the
    # JSON when absent, so an untraced event's bytes are what they always were.
    trace: dict[str, str] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="W3C trace context (traceparent, tracestate) of the recording transaction",
    )

    @classmethod
    def wrap(
        cls,
        data: EventData,
        *,
        tenant_id: str,
        actor: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        event_id = new_id()
        return cls(
            event_id=event_id,
            type=data.EVENT_TYPE,
            version=data.VERSION,
            tenant_id=tenant_id,
            occurred_at=occurred_at or utcnow(),
            actor=actor,
            # A root event correlates with itself, so a whole causal chain shares one id.
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            data=data.model_dump(mode="json"),
        )

    def caused(self, data: EventData, *, actor: str | None = None) -> Envelope:
        """A follow-up event: same tenant and correlation, caused by this one."""
        return Envelope.wrap(
            data,
            tenant_id=self.tenant_id,
            actor=actor if actor is not None else self.actor,
            correlation_id=self.correlation_id,
            causation_id=self.event_id,
        )

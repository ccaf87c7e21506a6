"""NATS JetStream plumbing shared by the services: broker, streams, relay, consumers."""

from .broker import connect_broker, create_broker, ensure_streams
from .consumer import (
    DurableConsumer,
    EventHandler,
    Handled,
    HandledEvent,
    InvalidEvent,
    apply_alone,
    apply_event,
    subscribe_events,
)
from .handlers import Handlers
from .relay import OutboxRelay

__all__ = [
    "DurableConsumer",
    "EventHandler",
    "Handled",
    "HandledEvent",
    "Handlers",
    "InvalidEvent",
    "OutboxRelay",
    "apply_alone",
    "apply_event",
    "connect_broker",
    "create_broker",
    "ensure_streams",
    "subscribe_events",
]

"""NATS JetStream plumbing shared by the services: broker, streams, relay, consumers."""

from .broker import connect_broker, create_broker, ensure_streams
from .consumer import DurableConsumer, EventHandler, HandledEvent, subscribe_events
from .relay import OutboxRelay

__all__ = [
    "DurableConsumer",
    "EventHandler",
    "HandledEvent",
    "OutboxRelay",
    "connect_broker",
    "create_broker",
    "ensure_streams",
    "subscribe_events",
]

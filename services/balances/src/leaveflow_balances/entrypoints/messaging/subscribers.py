"""Event subscriptions of the balances service."""

from __future__ import annotations

from leaveflow_kit.messaging import subscribe_events
from leaveflow_kit.runtime import ServiceRuntime

from ...service_layer.handlers import REQUESTS_EVENT_HANDLERS

CONSUMER = "balances"


def subscribe(runtime: ServiceRuntime) -> None:
    subscribe_events(
        runtime.broker,
        runtime.store,
        consumer=CONSUMER,
        producer="requests",
        handlers=REQUESTS_EVENT_HANDLERS,
        max_deliver=runtime.settings.max_deliver,
        ack_wait_seconds=runtime.settings.ack_wait_seconds,
    )

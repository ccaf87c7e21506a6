"""Event subscriptions of the calendar service."""

from __future__ import annotations

from leaveflow_kit.messaging import subscribe_events
from leaveflow_kit.runtime import ServiceRuntime

from ...service_layer.projection import BALANCES_HANDLERS, REQUESTS_HANDLERS

CONSUMER = "calendar"


def subscribe(runtime: ServiceRuntime) -> None:
    for producer, handlers in (("requests", REQUESTS_HANDLERS), ("balances", BALANCES_HANDLERS)):
        subscribe_events(
            runtime.broker,
            runtime.store,
            consumer=CONSUMER,
            producer=producer,
            handlers=handlers,
            max_deliver=runtime.settings.max_deliver,
            ack_wait_seconds=runtime.settings.ack_wait_seconds,
        )

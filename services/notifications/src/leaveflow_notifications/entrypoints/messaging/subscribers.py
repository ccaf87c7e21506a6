"""Event subscriptions of the notifications service."""

from __future__ import annotations

from collections.abc import Callable

from leaveflow_kit.messaging import subscribe_events
from leaveflow_kit.runtime import ServiceRuntime

from ...service_layer.fanout import Clock, balances_handlers, requests_handlers

CONSUMER = "notifications"


def subscribe(runtime: ServiceRuntime, clock: Clock, wake: Callable[[], None]) -> None:
    for producer, handlers in (
        ("requests", requests_handlers(clock)),
        ("balances", balances_handlers(clock)),
    ):
        subscribe_events(
            runtime.broker,
            runtime.store,
            consumer=CONSUMER,
            producer=producer,
            handlers=handlers,
            max_deliver=runtime.settings.max_deliver,
            ack_wait_seconds=runtime.settings.ack_wait_seconds,
            after_commit=wake,
        )

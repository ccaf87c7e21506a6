"""Event subscriptions of the requests service."""

from __future__ import annotations

from leaveflow_kit.messaging import subscribe_events
from leaveflow_kit.runtime import ServiceRuntime

from ...service_layer.handlers import Clock, on_balance_outcome

CONSUMER = "requests"


def subscribe(runtime: ServiceRuntime, clock: Clock) -> None:
    outcome = on_balance_outcome(clock)
    subscribe_events(
        runtime.broker,
        runtime.store,
        consumer=CONSUMER,
        producer="balances",
        handlers={"LeaveReserved": outcome, "LeaveReservationRejected": outcome},  # type: ignore[dict-item]
        max_deliver=runtime.settings.max_deliver,
        ack_wait_seconds=runtime.settings.ack_wait_seconds,
    )

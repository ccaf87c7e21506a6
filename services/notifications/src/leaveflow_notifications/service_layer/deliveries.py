"""The delivery log an admin reads, and sending one delivery again on request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leaveflow_kit.clock import Clock
from leaveflow_kit.documents import to_doc

from ..domain.delivery import SENT, Delivery
from .ports import DeliveryRecords


class NoSuchDelivery(Exception):
    """Absent, or another tenant's (HTTP 404)."""


class AlreadySent(Exception):
    """A sent delivery is never sent twice (HTTP 409)."""


class DeliveryRetries:
    def __init__(self, records: DeliveryRecords, clock: Clock, wake: Callable[[], None]) -> None:
        self._records = records
        self._clock = clock
        self._wake = wake

    async def retry(self, tenant_id: str, delivery_id: str) -> Delivery:
        """Due now, whatever its backoff said; the dispatchers are woken to send it."""

        def retry_now(delivery: Delivery) -> Delivery:
            if delivery.tenant_id != tenant_id:
                raise NoSuchDelivery("no such delivery")
            if delivery.status == SENT:
                raise AlreadySent("this delivery was sent; it is not sent twice")
            delivery.retry_now(self._clock.now())
            return delivery

        delivery = await self._records.change(delivery_id, retry_now)
        if delivery is None:
            raise NoSuchDelivery("no such delivery")
        self._wake()
        return delivery


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    """A delivery as an admin sees it: no payload (it holds contact details), no claim."""
    out = to_doc(delivery)
    for private in ("payload", "claim", "claimed_until", "trace", "message_ref"):
        out.pop(private, None)
    out["event"] = {"id": delivery.event_id, "type": delivery.event_type}
    return out

"""The delivery log an admin reads, and sending one delivery again on request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leaveflow_kit.clock import Clock
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import Store, Transaction

from ..domain.delivery import SENT, Delivery
from .collections import DELIVERIES


class NoSuchDelivery(Exception):
    """Absent, or another tenant's (HTTP 404)."""


class AlreadySent(Exception):
    """A sent delivery is never sent twice (HTTP 409)."""


class DeliveryRetries:
    def __init__(self, store: Store, clock: Clock, wake: Callable[[], None]) -> None:
        self._store = store
        self._clock = clock
        self._wake = wake

    async def retry(self, tenant_id: str, delivery_id: str) -> Delivery:
        """Due now, whatever its backoff said; the dispatchers are woken to send it."""

        async def run(tx: Transaction) -> Delivery:
            doc = await tx.get(DELIVERIES, delivery_id)
            if doc is None or doc["tenant_id"] != tenant_id:
                raise NoSuchDelivery("no such delivery")
            delivery = from_doc(Delivery, doc)
            if delivery.status == SENT:
                raise AlreadySent("this delivery was sent; it is not sent twice")
            delivery.retry_now(self._clock.now())
            await tx.put(DELIVERIES, delivery.id, to_doc(delivery))
            return delivery

        delivery = await self._store.atomic(run)
        self._wake()
        return delivery


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    """A delivery as an admin sees it: no payload (it holds contact details), no claim."""
    out = to_doc(delivery)
    for private in ("payload", "claim", "claimed_until", "trace"):
        out.pop(private, None)
    out["event"] = {"id": delivery.event_id, "type": delivery.event_type}
    return out

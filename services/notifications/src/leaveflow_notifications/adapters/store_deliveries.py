"""Deliveries in the document store: implements `service_layer.ports.DeliveryRecords`."""

from __future__ import annotations

from collections.abc import Callable

from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import Store, Transaction

from ..domain.delivery import Delivery
from ..service_layer.collections import DELIVERIES


class StoreDeliveries:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def waiting(self, channel: str, status: str, *, limit: int) -> list[Delivery]:
        where = {"channel": channel, "status": status}
        docs = await self._store.find(DELIVERIES, where, limit=limit)
        return [from_doc(Delivery, d) for d in docs]

    async def change(
        self, delivery_id: str, change: Callable[[Delivery], Delivery | None]
    ) -> Delivery | None:
        async def run(tx: Transaction) -> Delivery | None:
            doc = await tx.get(DELIVERIES, delivery_id)
            if doc is None:
                return None
            changed = change(from_doc(Delivery, doc))
            if changed is not None:
                await tx.put(DELIVERIES, delivery_id, to_doc(changed))
            return changed

        return await self._store.atomic(run)

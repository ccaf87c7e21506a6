"""The read side of the notifications store: implements `service_layer.ports.ReadModel`."""

from __future__ import annotations

from typing import Any

from leaveflow_kit.documents import from_doc
from leaveflow_kit.storage import Store

from ..domain.delivery import Delivery
from ..service_layer.collections import (
    DELIVERIES,
    INTEGRATIONS,
    PREFERENCES,
    integration_key,
    preference_key,
)
from ..service_layer.replica import LOCATION_REPLICA, PEOPLE_REPLICA, TENANT_REPLICA


class StoreReads:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def person(self, tenant_id: str, employee_id: str) -> dict[str, Any] | None:
        return await PEOPLE_REPLICA.get(self._store, tenant_id, employee_id)

    async def person_by(self, tenant_id: str, field: str, value: str) -> dict[str, Any] | None:
        if not value:
            return None
        docs = await PEOPLE_REPLICA.find(self._store, tenant_id, {field: value})
        return docs[0] if docs else None

    async def time_zone(self, tenant_id: str, employee_id: str) -> str | None:
        employee = await self.person(tenant_id, employee_id)
        if employee is not None and employee.get("location_id"):
            location = await LOCATION_REPLICA.get(self._store, tenant_id, employee["location_id"])
            if location is not None:
                return str(location["timezone"])
        tenant = await TENANT_REPLICA.get(self._store, tenant_id, tenant_id)
        return str(tenant["timezone"]) if tenant and tenant.get("timezone") else None

    async def integration(self, tenant_id: str, channel: str) -> dict[str, Any] | None:
        return await self._store.get(INTEGRATIONS, integration_key(tenant_id, channel))

    async def preferences(self, tenant_id: str, employee_id: str) -> dict[str, Any] | None:
        return await self._store.get(PREFERENCES, preference_key(tenant_id, employee_id))

    async def integration_by(self, channel: str, field: str, value: str) -> dict[str, Any] | None:
        docs = await self._store.find(INTEGRATIONS, {"kind": channel, field: value}, limit=1)
        return docs[0] if docs else None

    async def deliveries(
        self,
        tenant_id: str,
        *,
        status: str | None,
        channel: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Delivery], str | None]:
        where: dict[str, Any] = {"tenant_id": tenant_id}
        if status:
            where["status"] = status
        if channel:
            where["channel"] = channel
        # One more than a page: whether it exists says whether there is a next page.
        docs = await self._store.find(DELIVERIES, where, limit=limit + 1, after_key=cursor)
        items = [from_doc(Delivery, d) for d in docs[:limit]]
        return items, (items[-1].id if len(docs) > limit else None)

"""The approval scheduler's documents: the pending rules (one per tenant, one per
department override) and every reminder and escalation sent, keyed deterministically."""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import EventData
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import DuplicateKey, IndexSpec, Store, Transaction

from ..domain.pending_rules import ApprovalSettings
from ..service_layer.approval_schedule_ports import Dispatch
from .repository import Repository

APPROVAL_SETTINGS = "approval_settings"
APPROVAL_DISPATCHES = "approval_dispatches"
SCHEDULE_INDEXES = (
    IndexSpec(APPROVAL_SETTINGS, ("tenant_id",)),
    IndexSpec(APPROVAL_DISPATCHES, ("tenant_id", "request_id")),
)
_SYSTEM = "system"


def _settings_key(tenant_id: str, department_id: str | None) -> str:
    return f"{tenant_id}:{department_id or ''}"


class StoreScheduleLedger:
    """`ScheduleLedger` (and `ApprovalSettingsStore`) on the service's store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def settings(self, tenant_id: str, department_id: str | None) -> ApprovalSettings | None:
        doc = await self._store.get(APPROVAL_SETTINGS, _settings_key(tenant_id, department_id))
        return from_doc(ApprovalSettings, doc["settings"]) if doc else None

    async def put_settings(
        self, tenant_id: str, department_id: str | None, settings: ApprovalSettings
    ) -> None:
        key = _settings_key(tenant_id, department_id)
        doc: dict[str, Any] = {
            "id": key,
            "tenant_id": tenant_id,
            "department_id": department_id,
            "settings": to_doc(settings),
        }

        async def work(tx: Transaction) -> None:
            await tx.put(APPROVAL_SETTINGS, key, doc)

        await self._store.atomic(work)

    async def delete_settings(self, tenant_id: str, department_id: str) -> bool:
        key = _settings_key(tenant_id, department_id)

        async def work(tx: Transaction) -> bool:
            return await tx.delete(APPROVAL_SETTINGS, key)

        return await self._store.atomic(work)

    async def tenants_with_settings(self) -> list[str]:
        docs = await self._store.find(APPROVAL_SETTINGS, {})
        return sorted({d["tenant_id"] for d in docs})

    async def all_settings(self, tenant_id: str) -> dict[str | None, ApprovalSettings]:
        docs = await self._store.find(APPROVAL_SETTINGS, {"tenant_id": tenant_id})
        return {d["department_id"]: from_doc(ApprovalSettings, d["settings"]) for d in docs}

    async def dispatches(self, tenant_id: str, request_id: str) -> list[Dispatch]:
        where = {"tenant_id": tenant_id, "request_id": request_id}
        docs = await self._store.find(APPROVAL_DISPATCHES, where)
        return [from_doc(Dispatch, d) for d in docs]

    async def dispatched_requests(self, tenant_id: str) -> set[str]:
        docs = await self._store.find(APPROVAL_DISPATCHES, {"tenant_id": tenant_id})
        return {d["request_id"] for d in docs}

    async def forget(self, tenant_id: str, request_id: str) -> int:
        where = {"tenant_id": tenant_id, "request_id": request_id}

        async def work(tx: Transaction) -> int:
            found = await tx.find(APPROVAL_DISPATCHES, where)
            for doc in found:
                await tx.delete(APPROVAL_DISPATCHES, doc["key"])
            return len(found)

        return await self._store.atomic(work)

    async def dispatch(self, dispatch: Dispatch, event: EventData) -> bool:
        async def work(tx: Transaction) -> bool:
            # Looked up first: a DuplicateKey aborts the transaction (storage port rules).
            if await tx.get(APPROVAL_DISPATCHES, dispatch.key) is not None:
                return False
            await tx.insert(APPROVAL_DISPATCHES, dispatch.key, to_doc(dispatch))
            await Repository(tx).record(event, tenant_id=dispatch.tenant_id, actor=_SYSTEM)
            return True

        try:
            return await self._store.atomic(work)
        except DuplicateKey:
            return False  # another replica recorded it between our look and our insert

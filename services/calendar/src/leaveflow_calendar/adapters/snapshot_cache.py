"""Tenant snapshots kept in this process for the most recently read tenants.

Safe per process for the same reason as the feed cache: a snapshot is used only while the
tenant's version in the store still equals the one it was loaded at.
"""

from __future__ import annotations

from collections import OrderedDict

from ..service_layer.queries import Snapshot

DEFAULT_TENANTS = 32


class MemorySnapshotCache:
    def __init__(self, max_tenants: int = DEFAULT_TENANTS) -> None:
        self.max_tenants = max_tenants
        self._entries: OrderedDict[str, Snapshot] = OrderedDict()

    def get(self, tenant_id: str) -> Snapshot | None:
        found = self._entries.get(tenant_id)
        if found is not None:
            self._entries.move_to_end(tenant_id)
        return found

    def put(self, tenant_id: str, snapshot: Snapshot) -> None:
        self._entries[tenant_id] = snapshot
        self._entries.move_to_end(tenant_id)
        while len(self._entries) > self.max_tenants:
            self._entries.popitem(last=False)

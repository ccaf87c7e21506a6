"""Which leave types are available where, learned from the balances service's events.

Balances owns the policies; this service keeps only (location, leave type) → active, so a
request for a type that has no policy at the employee's location is refused at once (422)
instead of being rejected later. Events of one policy may be redelivered or, across a
consumer restart, arrive late: the newest event id wins.
"""

from __future__ import annotations

from collections import defaultdict

from leaveflow_contracts import PolicyUpserted
from leaveflow_kit.messaging import HandledEvent
from leaveflow_kit.storage import Store, Transaction

from ..adapters.repository import POLICIES, policy_key


async def on_policy_upserted(tx: Transaction, event: HandledEvent) -> None:
    data = event.data
    assert isinstance(data, PolicyUpserted)
    tenant_id = event.envelope.tenant_id
    key = policy_key(tenant_id, data.location_id, data.leave_type_id)
    known = await tx.get(POLICIES, key)
    if known is not None and known["event_id"] >= event.envelope.event_id:
        return
    await tx.put(
        POLICIES,
        key,
        {
            "tenant_id": tenant_id,
            "location_id": data.location_id,
            "leave_type_id": data.leave_type_id,
            "active": data.active,
            "event_id": event.envelope.event_id,
        },
    )


async def locations_by_leave_type(store: Store, tenant_id: str) -> dict[str, list[str]]:
    """For each leave type, the locations where it is available."""
    available: dict[str, list[str]] = defaultdict(list)
    for doc in await store.find(POLICIES, {"tenant_id": tenant_id}):
        if doc["active"]:
            available[doc["leave_type_id"]].append(doc["location_id"])
    return dict(available)

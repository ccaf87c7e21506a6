"""Which leave types are available where, learned from the balances service's events.

Balances owns the policies; this service keeps only (location, leave type) → active, so a
request for a type that has no policy at the employee's location is refused at once (422)
instead of being rejected later. Events of one policy may be redelivered or, across a
consumer restart, arrive late: the newest event id wins.
"""

from __future__ import annotations

from leaveflow_contracts import PolicyUpserted
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import Transaction

from .ports import RepositoryFactory


def on_policy_upserted(repositories: RepositoryFactory) -> EventHandler:
    async def handle(tx: Transaction, event: HandledEvent) -> None:
        data = event.data
        assert isinstance(data, PolicyUpserted)
        tenant_id = event.envelope.tenant_id
        repo = repositories(tx)
        known = await repo.policy_event_id(tenant_id, data.location_id, data.leave_type_id)
        if known is not None and known >= event.envelope.event_id:
            return
        await repo.save_policy(
            tenant_id,
            data.location_id,
            data.leave_type_id,
            active=data.active,
            event_id=event.envelope.event_id,
        )

    return handle

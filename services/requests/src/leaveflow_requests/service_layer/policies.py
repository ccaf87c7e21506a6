"""Which leave types are available where, learned from the balances service's events.

Balances owns the policies; this service keeps only (location, leave type) → active, so a
request for a type that has no policy at the employee's location is refused at once (422)
instead of being rejected later. Events of one policy may be redelivered or, across a
consumer restart, arrive late: the one that happened last wins (docs/adr/0004).
"""

from __future__ import annotations

from leaveflow_contracts import PolicyUpserted
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction

from .ports import RepositoryFactory


def policy_handlers(repositories: RepositoryFactory) -> Handlers:
    """The handlers that keep the policy replica (also what a rebuild replays)."""
    handlers = Handlers()

    @handlers.on
    async def on_policy_upserted(tx: Transaction, event: Handled[PolicyUpserted]) -> None:
        data = event.data
        await repositories(tx).save_policy(
            event.envelope.tenant_id,
            data.location_id,
            data.leave_type_id,
            active=data.active,
            at=event.envelope,
        )

    return handlers

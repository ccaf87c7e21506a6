"""Which leave types are available where, learned from the balances service's events.

Balances owns the policies; this service keeps only (location, leave type) → active, the
policy's request rules and whether the type is time off in lieu there, so a request for a
type that has no policy at the employee's location, or one that breaks a rule, is refused
at once (422) instead of being rejected later. Events of one policy may be redelivered or, across a
consumer restart, arrive late: the one that happened last wins (docs/adr/0004).
"""

from __future__ import annotations

from leaveflow_contracts import PolicyUpserted
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction

from ..domain.request_rules import SANDWICH_MODES, RequestRules
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
            rules=RequestRules(
                min_notice_days=data.min_notice_days,
                max_days_ahead=data.max_days_ahead,
                max_consecutive=data.max_consecutive,
                probation_days=data.probation_days,
                sandwich=data.sandwich if data.sandwich in SANDWICH_MODES else "off",
            ),
            toil=data.toil,
        )

    return handlers

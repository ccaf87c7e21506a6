"""Time off in lieu, balances' side: an approved claim (`ToilApproved`, from requests)
credits the employee's type with a `toil_credit` entry dated the day worked, expiring as the
location's policy says at the time of approval."""

from __future__ import annotations

from leaveflow_contracts import ToilApproved
from leaveflow_kit.logging import get_logger
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction

from ..domain.calendar import DEFAULT_YEAR_START, add_months, leave_year_of
from ..domain.ledger import LedgerEntry
from ..domain.toil import TOIL_CREDIT
from .ports import Repository, RepositoryFactory
from .projection import active_policy, year_start_of

log = get_logger(__name__)


async def on_toil_approved(repo: Repository, event: Handled[ToilApproved]) -> None:
    """Credit the claim once (its entry id is the claim's)."""
    data, tenant_id = event.data, event.envelope.tenant_id
    employee = await repo.employee(tenant_id, data.employee_id)
    policy = await active_policy(repo, employee, data.leave_type_id) if employee else None
    months = policy.toil_expiry_months if policy is not None and policy.toil else None
    year_start = await year_start_of(repo, employee) if employee else DEFAULT_YEAR_START
    try:
        expires_on = add_months(data.date, months) if months is not None else None
        label = leave_year_of(data.date, year_start).label
    except (ValueError, OverflowError) as error:
        # A date the leave-year arithmetic cannot hold: no retry could book it.
        log.warning("toil_not_credited", toil_id=data.toil_id, error=str(error))
        return
    await repo.add_entry(
        LedgerEntry(
            id=f"toil:{data.toil_id}",
            tenant_id=tenant_id,
            employee_id=data.employee_id,
            leave_type_id=data.leave_type_id,
            kind=TOIL_CREDIT,
            amount=data.amount,
            effective_date=data.date,
            source_event_id=event.envelope.event_id,
            reason=data.note or "time off in lieu",
            expires_on=expires_on,
            leave_year=label,
        )
    )


def toil_handlers(repositories: RepositoryFactory) -> Handlers:
    handlers = Handlers()

    @handlers.on
    async def approved(tx: Transaction, event: Handled[ToilApproved]) -> None:
        await on_toil_approved(repositories(tx), event)

    return handlers

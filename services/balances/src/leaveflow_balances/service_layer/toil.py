"""Time off in lieu, balances' side: an approved claim (`ToilApproved`, from requests)
credits the employee's type with a `toil_credit` entry dated the day worked, expiring as the
location's policy says at the time of approval. A cancelled claim's credit is taken back
(`take_back`, asked by requests before it cancels the claim, and again on `ToilCancelled`
in case requests stopped in between) while leave has used none of it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from leaveflow_contracts import ToilApproved, ToilCancelled
from leaveflow_kit.logging import get_logger
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction

from ..domain.calendar import DEFAULT_YEAR_START, add_months, leave_year_of
from ..domain.ledger import LedgerEntry
from ..domain.toil import TOIL_CREDIT, reversal_id, used_of
from .ports import Repository, RepositoryFactory, UnitOfWork
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


class CreditNotTakenBack(Exception):
    """The credit cannot be taken back (a sentence for the claimant)."""


class CreditUsed(CreditNotTakenBack):
    pass


class CreditNotBooked(CreditNotTakenBack):
    pass


def _amount_text(amount: Decimal, unit: str) -> str:
    text = f"{amount.normalize():f}"
    return f"{text} h" if unit == "hours" else f"{text} {'day' if amount == 1 else 'days'}"


async def _take_back(
    repo: Repository, tenant_id: str, employee_id: str, toil_id: str, source_event_id: str
) -> LedgerEntry | None:
    """Book the opposite of the claim's credit, once; None when it was taken back
    already. Refused while leave uses any of it, and before the credit is booked."""
    entries = await repo.entries(tenant_id, employee_id)
    credit_id = f"toil:{toil_id}"
    if any(e.id == reversal_id(credit_id) for e in entries):
        return None
    credit = next((e for e in entries if e.id == credit_id), None)
    if credit is None:
        raise CreditNotBooked("this credit is not in the balance yet: try again in a moment")
    used = used_of(credit, entries)
    if used > 0:
        unit = await _unit(repo, tenant_id, credit)
        raise CreditUsed(
            f"approved leave already uses {_amount_text(used, unit)} of this time off in "
            "lieu: cancel that leave first, then this claim"
        )
    # The guard serialises this with reservations and deductions of the same type.
    await repo.touch_balance_guard(tenant_id, employee_id, credit.leave_type_id)
    reversal = replace(
        credit,
        id=reversal_id(credit_id),
        amount=-credit.amount,
        source_event_id=source_event_id,
        reason=f"claim cancelled: {credit.reason}" if credit.reason else "claim cancelled",
        expires_on=None,
    )
    await repo.add_entry(reversal)
    return reversal


async def _unit(repo: Repository, tenant_id: str, credit: LedgerEntry) -> str:
    leave_type = await repo.leave_type(tenant_id, credit.leave_type_id)
    return leave_type.unit if leave_type is not None else "days"


async def take_back(
    uow: UnitOfWork, *, tenant_id: str, employee_id: str, toil_id: str, asked_by: str
) -> bool:
    """Take the claim's credit back for requests, which then cancels the claim: True
    when booked now, False when it was already; `CreditNotTakenBack` with a sentence."""

    async def run(repo: Repository) -> bool:
        entry = await _take_back(repo, tenant_id, employee_id, toil_id, f"cancel:{asked_by}")
        return entry is not None

    return await uow.run(run)


async def on_toil_cancelled(repo: Repository, event: Handled[ToilCancelled]) -> None:
    """The claim is cancelled: its credit is gone, whether requests asked first (then
    this books nothing) or stopped before it could."""
    data, tenant_id = event.data, event.envelope.tenant_id
    if data.previous_status != "approved":
        return
    try:
        await _take_back(repo, tenant_id, data.employee_id, data.toil_id, event.envelope.event_id)
    except CreditNotTakenBack as why:
        log.warning("toil_credit_kept", toil_id=data.toil_id, reason=str(why))


def toil_handlers(repositories: RepositoryFactory) -> Handlers:
    handlers = Handlers()

    @handlers.on
    async def approved(tx: Transaction, event: Handled[ToilApproved]) -> None:
        await on_toil_approved(repositories(tx), event)

    @handlers.on
    async def cancelled(tx: Transaction, event: Handled[ToilCancelled]) -> None:
        await on_toil_cancelled(repositories(tx), event)

    return handlers

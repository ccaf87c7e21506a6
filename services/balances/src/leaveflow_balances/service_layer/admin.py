"""Admin use cases: policies (announced as PolicyUpserted), allowance overrides, and
manual adjustments; one transaction each, events in the same commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from leaveflow_contracts import BalanceAdjusted, PolicyUpserted, new_id

from ..domain import ledger
from ..domain.calendar import leave_year_of
from ..domain.ledger import LedgerEntry
from ..domain.policy import Policy
from ..domain.replicas import AllowanceOverride
from .ports import Repository, UnitOfWork
from .projection import year_start_of


def _announce(repo: Repository, policy: Policy, actor_id: str) -> str:
    envelope = repo.record(
        PolicyUpserted(
            location_id=policy.location_id,
            leave_type_id=policy.leave_type_id,
            unit=policy.unit,
            annual_allowance=policy.annual_allowance,
            unlimited=policy.unlimited,
            active=policy.active,
            accrual=policy.accrual,
            negative_allowance=policy.negative_allowance,
            min_notice_days=policy.min_notice_days,
            max_days_ahead=policy.max_days_ahead,
            max_consecutive=policy.max_consecutive,
            probation_days=policy.probation_days,
            sandwich=policy.sandwich,
            toil=policy.toil,
        ),
        tenant_id=policy.tenant_id,
        actor=actor_id,
    )
    return envelope.event_id


async def put_policy(uow: UnitOfWork, policy: Policy, actor_id: str) -> Policy:
    async def run(repo: Repository) -> Policy:
        leave_type = await repo.leave_type(policy.tenant_id, policy.leave_type_id)
        saved = replace(policy, unit=leave_type.unit if leave_type else policy.unit)
        # The event id is known before the commit: accruals name it as their cause.
        saved.event_id = _announce(repo, saved, actor_id)
        await repo.save_policy(saved)
        return saved

    return await uow.run(run)


async def remove_policy(
    uow: UnitOfWork, tenant_id: str, location_id: str, leave_type_id: str, actor_id: str
) -> bool:
    async def run(repo: Repository) -> bool:
        policy = await repo.policy(tenant_id, location_id, leave_type_id)
        if policy is None or not policy.active:
            return False
        policy.active = False
        policy.event_id = _announce(repo, policy, actor_id)
        await repo.save_policy(policy)
        return True

    return await uow.run(run)


async def put_override(uow: UnitOfWork, override: AllowanceOverride) -> None:
    await uow.run(lambda repo: repo.save_override(override))


async def adjust(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor_id: str,
    employee_id: str,
    leave_type_id: str,
    amount: Decimal,
    reason: str,
    effective_date: date,
) -> LedgerEntry:
    async def run(repo: Repository) -> LedgerEntry:
        employee = await repo.employee(tenant_id, employee_id)
        year_start = await year_start_of(repo, employee) if employee else "01-01"
        entry_id = new_id()
        event = repo.record(
            BalanceAdjusted(
                entry_id=entry_id,
                employee_id=employee_id,
                leave_type_id=leave_type_id,
                amount=amount,
                reason=reason,
                effective_date=effective_date,
            ),
            tenant_id=tenant_id,
            actor=actor_id,
        )
        entry = LedgerEntry(
            id=entry_id,
            tenant_id=tenant_id,
            employee_id=employee_id,
            leave_type_id=leave_type_id,
            kind=ledger.ADJUSTMENT,
            amount=amount,
            effective_date=effective_date,
            source_event_id=event.event_id,
            reason=f"{reason} (by {actor_id})",
            leave_year=leave_year_of(effective_date, year_start).label,
        )
        await repo.add_entry(entry)
        return entry

    return await uow.run(run)

"""Admin use cases: policies (announced as PolicyUpserted), allowance overrides, and
manual adjustments; one transaction each, events in the same commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from leaveflow_contracts import BalanceAdjusted, PolicyUpserted, new_id
from leaveflow_kit.documents import to_doc
from leaveflow_kit.events import record
from leaveflow_kit.storage import Store, Transaction

from ..adapters.repository import OVERRIDES, POLICIES, Repository, override_key
from ..domain import ledger
from ..domain.calendar import leave_year_of
from ..domain.ledger import LedgerEntry
from ..domain.policy import Policy
from ..domain.replicas import AllowanceOverride
from .projection import year_start_of


def _announce(tx: Transaction, policy: Policy, actor_id: str) -> str:
    envelope = record(
        tx,
        PolicyUpserted(
            location_id=policy.location_id,
            leave_type_id=policy.leave_type_id,
            unit=policy.unit,
            annual_allowance=policy.annual_allowance,
            unlimited=policy.unlimited,
            active=policy.active,
            accrual=policy.accrual,
            negative_allowance=policy.negative_allowance,
        ),
        tenant_id=policy.tenant_id,
        actor=actor_id,
    )
    return envelope.event_id


async def put_policy(store: Store, policy: Policy, actor_id: str) -> Policy:
    async def run(tx: Transaction) -> Policy:
        repo = Repository(tx)
        leave_type = await repo.leave_type(policy.tenant_id, policy.leave_type_id)
        saved = replace(policy, unit=leave_type.unit if leave_type else policy.unit)
        # The event id is known before the commit: accruals name it as their cause.
        saved.event_id = _announce(tx, saved, actor_id)
        await repo.save(POLICIES, saved.key, saved)
        return saved

    return await store.atomic(run)


async def remove_policy(
    store: Store, tenant_id: str, location_id: str, leave_type_id: str, actor_id: str
) -> bool:
    async def run(tx: Transaction) -> bool:
        repo = Repository(tx)
        policy = await repo.policy(tenant_id, location_id, leave_type_id)
        if policy is None or not policy.active:
            return False
        policy.active = False
        policy.event_id = _announce(tx, policy, actor_id)
        await repo.save(POLICIES, policy.key, policy)
        return True

    return await store.atomic(run)


async def put_override(store: Store, override: AllowanceOverride) -> None:
    key = override_key(
        override.tenant_id, override.employee_id, override.leave_type_id, override.year
    )

    async def run(tx: Transaction) -> None:
        await tx.put(OVERRIDES, key, to_doc(override))

    await store.atomic(run)


async def adjust(
    store: Store,
    *,
    tenant_id: str,
    actor_id: str,
    employee_id: str,
    leave_type_id: str,
    amount: Decimal,
    reason: str,
    effective_date: date,
) -> LedgerEntry:
    async def run(tx: Transaction) -> LedgerEntry:
        repo = Repository(tx)
        employee = await repo.employee(tenant_id, employee_id)
        year_start = await year_start_of(repo, employee) if employee else "01-01"
        entry_id = new_id()
        event = record(
            tx,
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

    return await store.atomic(run)

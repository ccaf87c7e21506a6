"""Balances use cases: keep directory replicas, run the reservation saga, adjust."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveRepriced,
    LeaveRequested,
    LeaveReservationRejected,
    LeaveReserved,
    LeaveTypeUpserted,
    new_id,
)
from leaveflow_kit.events import record
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import Store, Transaction

from ..adapters.repository import DEPARTMENTS, Repository
from ..domain import ledger
from ..domain.ledger import LedgerEntry, balance_from
from ..domain.replicas import EmployeeReplica, LeaveTypeReplica, Reservation

Clock = Callable[[], datetime]
INSUFFICIENT_BALANCE = "insufficient_balance"


async def on_leave_type_upserted(tx: Transaction, event: HandledEvent) -> None:
    data = event.data
    assert isinstance(data, LeaveTypeUpserted)
    await Repository(tx).save_leave_type(
        LeaveTypeReplica(
            id=data.leave_type_id,
            tenant_id=event.envelope.tenant_id,
            name=data.name,
            unit=data.unit,
            annual_allowance=data.annual_allowance,
            active=data.active,
        )
    )


async def on_employee_upserted(tx: Transaction, event: HandledEvent) -> None:
    data = event.data
    assert isinstance(data, EmployeeUpserted)
    await Repository(tx).save_employee(
        EmployeeReplica(
            id=data.employee_id,
            tenant_id=event.envelope.tenant_id,
            name=data.name,
            role=data.role,
            department_id=data.department_id,
        )
    )


def _entry(
    event: HandledEvent, request_id: str, kind: str, amount: Decimal, day: date
) -> LedgerEntry:
    data = event.data
    return LedgerEntry(
        # Deterministic id: the same step of the same request can never be booked twice.
        id=f"{request_id}:{kind}",
        tenant_id=event.envelope.tenant_id,
        employee_id=data.employee_id,  # type: ignore[attr-defined]
        leave_type_id=data.leave_type_id,  # type: ignore[attr-defined]
        kind=kind,
        amount=amount,
        effective_date=day,
        source_event_id=event.envelope.event_id,
        request_id=request_id,
    )


async def on_leave_requested(tx: Transaction, event: HandledEvent) -> None:
    """Reserve the days, or reject the request for want of balance."""
    data = event.data
    assert isinstance(data, LeaveRequested)
    repo = Repository(tx)
    if await repo.reservation(data.request_id) is not None:
        return
    tenant_id = event.envelope.tenant_id
    # Two instances reserving for one employee must conflict in the store, or both could
    # read the same balance and overspend it (MongoDB snapshot isolation).
    await repo.touch_balance_guard(tenant_id, data.employee_id, data.leave_type_id)
    leave_type = await repo.leave_type(tenant_id, data.leave_type_id)
    entries = [
        e
        for e in await repo.entries(tenant_id, data.employee_id)
        if e.leave_type_id == data.leave_type_id
    ]
    balance = balance_from(entries, allowance=leave_type.annual_allowance if leave_type else None)
    reservation = Reservation(
        id=data.request_id,
        tenant_id=tenant_id,
        employee_id=data.employee_id,
        leave_type_id=data.leave_type_id,
        amount=data.amount,
    )
    if not balance.can_reserve(data.amount):
        reservation.state = "rejected"
        await repo.save_reservation(reservation)
        record(
            tx,
            LeaveReservationRejected(
                request_id=data.request_id,
                employee_id=data.employee_id,
                leave_type_id=data.leave_type_id,
                amount=data.amount,
                reason=INSUFFICIENT_BALANCE,
                available=balance.available,
            ),
            tenant_id=tenant_id,
            actor="balances",
            cause=event.envelope,
        )
        return
    await repo.add_entry(
        _entry(event, data.request_id, ledger.RESERVATION, data.amount, data.start_date)
    )
    await repo.save_reservation(reservation)
    record(
        tx,
        LeaveReserved(
            request_id=data.request_id,
            employee_id=data.employee_id,
            leave_type_id=data.leave_type_id,
            amount=data.amount,
            available_after=balance.available - data.amount,
        ),
        tenant_id=tenant_id,
        actor="balances",
        cause=event.envelope,
    )


async def on_leave_approved(tx: Transaction, event: HandledEvent) -> None:
    """A reservation becomes a deduction."""
    data = event.data
    assert isinstance(data, LeaveApproved)
    repo = Repository(tx)
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state != "reserved":
        return
    await repo.add_entry(
        _entry(
            event, data.request_id, ledger.RESERVATION_RELEASE, reservation.amount, data.start_date
        )
    )
    await repo.add_entry(
        _entry(event, data.request_id, ledger.DEDUCTION, reservation.amount, data.start_date)
    )
    reservation.state = "deducted"
    await repo.save_reservation(reservation)


async def on_leave_released(tx: Transaction, event: HandledEvent) -> None:
    """Denied or cancelled: release the reservation, or restore deducted days."""
    data = event.data
    assert isinstance(data, LeaveDenied | LeaveCancelled)
    repo = Repository(tx)
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state not in ("reserved", "deducted"):
        return
    kind = ledger.RESTORATION if reservation.state == "deducted" else ledger.RESERVATION_RELEASE
    await repo.add_entry(_entry(event, data.request_id, kind, reservation.amount, data.start_date))
    reservation.state = "released"
    await repo.save_reservation(reservation)


async def on_leave_repriced(tx: Transaction, event: HandledEvent) -> None:
    """The request's price changed: the reservation (or deduction) follows by the difference,
    booked as its own entry so the ledger shows why."""
    data = event.data
    assert isinstance(data, LeaveRepriced)
    repo = Repository(tx)
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state not in ("reserved", "deducted"):
        return
    delta = data.amount - reservation.amount
    if delta == 0:
        return
    kind = ledger.DEDUCTION if reservation.state == "deducted" else ledger.RESERVATION
    entry = _entry(event, data.request_id, kind, delta, data.start_date)
    entry.id = f"{data.request_id}:{kind}:{event.envelope.event_id}"
    entry.reason = f"repriced from {data.old_amount} to {data.amount}"
    await repo.add_entry(entry)
    reservation.amount = data.amount
    await repo.save_reservation(reservation)


async def on_department_upserted(tx: Transaction, event: HandledEvent) -> None:
    data = event.data
    assert isinstance(data, DepartmentUpserted)
    await tx.put(
        DEPARTMENTS,
        data.department_id,
        {
            "id": data.department_id,
            "tenant_id": event.envelope.tenant_id,
            "approver_ids": list(data.approver_ids),
            "active": data.active,
        },
    )


REQUESTS_EVENT_HANDLERS: dict[str, EventHandler] = {
    "DepartmentUpserted": on_department_upserted,
    "LeaveTypeUpserted": on_leave_type_upserted,
    "EmployeeUpserted": on_employee_upserted,
    "LeaveRequested": on_leave_requested,
    "LeaveApproved": on_leave_approved,
    "LeaveDenied": on_leave_released,
    "LeaveCancelled": on_leave_released,
    "LeaveRepriced": on_leave_repriced,
}


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
    entry = LedgerEntry(
        id=new_id(),
        tenant_id=tenant_id,
        employee_id=employee_id,
        leave_type_id=leave_type_id,
        kind=ledger.ADJUSTMENT,
        amount=amount,
        effective_date=effective_date,
        reason=reason,
    )

    async def run(tx: Transaction) -> None:
        await Repository(tx).add_entry(entry)

    await store.atomic(run)
    return entry

"""Balances use cases driven by the requests service's events: keep directory replicas and
run the reservation saga (reserve -> deduct | release; restore on a late cancel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    LocationUpserted,
)
from leaveflow_kit.clock import Clock, today_in
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import Transaction

from ..domain import ledger
from ..domain.calendar import leave_year_of
from ..domain.ledger import LedgerEntry, day_amounts_text
from ..domain.replicas import (
    DepartmentReplica,
    EmployeeReplica,
    LeaveTypeReplica,
    LocationReplica,
    Portion,
    Reservation,
)
from ..domain.split import by_leave_year, day_amounts
from .ports import Repository, RepositoryFactory
from .projection import active_policy, type_balance, year_start_of

INSUFFICIENT_BALANCE, NO_POLICY = "insufficient_balance", "no_policy"
# The request events balances books from; they all carry the request's facts.
RequestFacts = LeaveRequested | LeaveApproved | LeaveDenied | LeaveCancelled | LeaveRepriced
RepositoryHandler = Callable[[Repository, HandledEvent], Awaitable[None]]


async def on_leave_type_upserted(repo: Repository, event: HandledEvent) -> None:
    data = event.data
    assert isinstance(data, LeaveTypeUpserted)
    replica = LeaveTypeReplica(
        id=data.leave_type_id,
        tenant_id=event.envelope.tenant_id,
        name=data.name,
        unit=data.unit,
        active=data.active,
    )
    await repo.save_leave_type(replica)


def on_location_upserted(clock: Clock, changed: Callable[[], None]) -> RepositoryHandler:
    async def handle(repo: Repository, event: HandledEvent) -> None:
        data = event.data
        assert isinstance(data, LocationUpserted)
        known = await repo.location(event.envelope.tenant_id, data.location_id)
        replica = LocationReplica(
            id=data.location_id,
            tenant_id=event.envelope.tenant_id,
            timezone=data.timezone,
            leave_year_start=data.leave_year_start,
            active=data.active,
            first_seen=known.first_seen if known else today_in(clock, data.timezone),
        )
        await repo.save_location(replica)
        changed()

    return handle


async def on_employee_upserted(repo: Repository, event: HandledEvent) -> None:
    data = event.data
    assert isinstance(data, EmployeeUpserted)
    replica = EmployeeReplica(
        id=data.employee_id,
        tenant_id=event.envelope.tenant_id,
        name=data.name,
        role=data.role,
        department_id=data.department_id,
        location_id=data.location_id,
        start_date=data.start_date,
        end_date=data.end_date,
    )
    await repo.save_employee(replica)


async def on_department_upserted(repo: Repository, event: HandledEvent) -> None:
    data = event.data
    assert isinstance(data, DepartmentUpserted)
    await repo.save_department(
        DepartmentReplica(
            id=data.department_id,
            tenant_id=event.envelope.tenant_id,
            approver_ids=list(data.approver_ids),
            active=data.active,
        )
    )


def _booking(
    event: HandledEvent, portion: Portion, kind: str, *, sign: int = 1, suffix: str = ""
) -> LedgerEntry:
    data = event.data
    assert isinstance(data, RequestFacts)
    amounts = {d: str(Decimal(v) * sign) for d, v in portion.day_amounts.items()}
    return LedgerEntry(
        # Deterministic id: the same step of the same request can never be booked twice.
        id=f"{data.request_id}:{kind}:{portion.label}{suffix}",
        tenant_id=event.envelope.tenant_id,
        employee_id=data.employee_id,
        leave_type_id=data.leave_type_id,
        kind=kind,
        amount=portion.amount * sign,
        effective_date=portion.first_day,
        source_event_id=event.envelope.event_id,
        request_id=data.request_id,
        day_amounts=amounts,
        leave_year=portion.label,
    )


def _portions(data: RequestFacts, year_start: str) -> list[Portion]:
    amounts = day_amounts(
        data.working_days,
        data.amount,
        start_date=data.start_date,
        end_date=data.end_date,
        start_part=data.start_part,
        end_part=data.end_part,
    )
    split = by_leave_year(amounts, lambda d: leave_year_of(d, year_start))
    return [Portion(year.label, day_amounts_text(days)) for year, days in split.items()]


def _reject(
    repo: Repository,
    event: HandledEvent,
    reason: str,
    amount: Decimal,
    available: Decimal | None,
) -> None:
    data = event.data
    assert isinstance(data, LeaveRequested)
    repo.record(
        LeaveReservationRejected(
            request_id=data.request_id,
            employee_id=data.employee_id,
            leave_type_id=data.leave_type_id,
            amount=amount,
            reason=reason,
            available=available,
        ),
        tenant_id=event.envelope.tenant_id,
        actor="balances",
        cause=event.envelope,
    )


async def on_leave_requested(repo: Repository, event: HandledEvent) -> None:
    """Reserve the days, or reject the request for want of balance (or of a policy).

    A request across two leave years is split by date and each part checked against its
    own year; carried days count only for the part's days before they expire."""
    data = event.data
    assert isinstance(data, LeaveRequested)
    if await repo.reservation(data.request_id) is not None:
        return
    tenant_id = event.envelope.tenant_id
    # Two instances reserving for one employee must conflict in the store, or both could
    # read the same balance and overspend it (MongoDB snapshot isolation).
    await repo.touch_balance_guard(tenant_id, data.employee_id, data.leave_type_id)
    reservation = Reservation(
        id=data.request_id,
        tenant_id=tenant_id,
        employee_id=data.employee_id,
        leave_type_id=data.leave_type_id,
        amount=data.amount,
        state="rejected",
    )
    employee = await repo.employee(tenant_id, data.employee_id)
    policy = await active_policy(repo, employee, data.leave_type_id) if employee else None
    if employee is None or policy is None:
        await repo.save_reservation(reservation)
        _reject(repo, event, NO_POLICY, data.amount, None)
        return
    year_start = await year_start_of(repo, employee)
    entries = await repo.entries(tenant_id, employee.id)
    reservation.portions = _portions(data, year_start)
    available_after: Decimal | None = None
    for portion in reservation.portions:
        view = await type_balance(
            repo, employee, policy, portion.last_day, entries, year_start=year_start
        )
        before = portion.amount_before(view.balance.carryover_expires_on)
        available = view.balance.available_for(before)
        if not view.balance.can_reserve(portion.amount, before):
            await repo.save_reservation(reservation)
            _reject(repo, event, INSUFFICIENT_BALANCE, portion.amount, available)
            return
        if available_after is None:
            available_after = available - portion.amount
    for portion in reservation.portions:
        await repo.add_entry(_booking(event, portion, ledger.RESERVATION))
    reservation.state = "reserved"
    await repo.save_reservation(reservation)
    repo.record(
        LeaveReserved(
            request_id=data.request_id,
            employee_id=data.employee_id,
            leave_type_id=data.leave_type_id,
            amount=data.amount,
            available_after=None if policy.unlimited else available_after,
        ),
        tenant_id=tenant_id,
        actor="balances",
        cause=event.envelope,
    )


async def on_leave_approved(repo: Repository, event: HandledEvent) -> None:
    """A reservation becomes a deduction."""
    data = event.data
    assert isinstance(data, LeaveApproved)
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state != "reserved":
        return
    for portion in reservation.portions:
        await repo.add_entry(_booking(event, portion, ledger.RESERVATION_RELEASE))
        await repo.add_entry(_booking(event, portion, ledger.DEDUCTION))
    reservation.state = "deducted"
    await repo.save_reservation(reservation)


async def on_leave_released(repo: Repository, event: HandledEvent) -> None:
    """Denied or cancelled: release the reservation, or restore deducted days."""
    data = event.data
    assert isinstance(data, LeaveDenied | LeaveCancelled)
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state not in ("reserved", "deducted"):
        return
    kind = ledger.RESTORATION if reservation.state == "deducted" else ledger.RESERVATION_RELEASE
    for portion in reservation.portions:
        await repo.add_entry(_booking(event, portion, kind))
    reservation.state = "released"
    await repo.save_reservation(reservation)


async def on_leave_repriced(repo: Repository, event: HandledEvent) -> None:
    """The request's price changed: the reservation (or deduction) follows by the
    difference, day by day and year by year, booked as its own entry so the ledger shows
    why."""
    data = event.data
    assert isinstance(data, LeaveRepriced)
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state not in ("reserved", "deducted"):
        return
    employee = await repo.employee(event.envelope.tenant_id, data.employee_id)
    if employee is None:
        return
    new = {p.label: p for p in _portions(data, await year_start_of(repo, employee))}
    old = {p.label: p for p in reservation.portions}
    kind = ledger.DEDUCTION if reservation.state == "deducted" else ledger.RESERVATION
    for label in sorted(new.keys() | old.keys()):
        before = old.get(label, Portion(label)).day_amounts
        after = new.get(label, Portion(label)).day_amounts
        delta = {
            d: str(Decimal(after.get(d, "0")) - Decimal(before.get(d, "0")))
            for d in sorted(before.keys() | after.keys())
        }
        delta = {d: v for d, v in delta.items() if Decimal(v) != 0}
        if not delta:
            continue
        entry = _booking(event, Portion(label, delta), kind, suffix=f":{event.envelope.event_id}")
        entry.reason = f"repriced from {data.old_amount} to {data.amount}"
        await repo.add_entry(entry)
    reservation.portions = [new[label] for label in sorted(new)]
    reservation.amount = data.amount
    await repo.save_reservation(reservation)


def _nothing() -> None:
    return None


def _on(repositories: RepositoryFactory, handle: RepositoryHandler) -> EventHandler:
    """The consumer's handler: `handle` on the repository over the consumer's transaction."""

    async def run(tx: Transaction, event: HandledEvent) -> None:
        await handle(repositories(tx), event)

    return run


def requests_event_handlers(
    clock: Clock,
    repositories: RepositoryFactory,
    location_changed: Callable[[], None] = _nothing,
) -> dict[str, EventHandler]:
    """`location_changed` is told when a location was saved (the year-end scheduler)."""
    handlers: dict[str, RepositoryHandler] = {
        "LocationUpserted": on_location_upserted(clock, location_changed),
        "DepartmentUpserted": on_department_upserted,
        "LeaveTypeUpserted": on_leave_type_upserted,
        "EmployeeUpserted": on_employee_upserted,
        "LeaveRequested": on_leave_requested,
        "LeaveApproved": on_leave_approved,
        "LeaveDenied": on_leave_released,
        "LeaveCancelled": on_leave_released,
        "LeaveRepriced": on_leave_repriced,
    }
    return {name: _on(repositories, handle) for name, handle in handlers.items()}

"""Event handlers that keep the who's-off projection and the directory replicas current.

Every handler is idempotent (the consumer's inbox drops redeliveries; re-applying is
harmless anyway) and order-tolerant: the rules live in `domain.absence` (status lattice,
tombstones, newest-fact-wins by `occurred_at`). Each handler also bumps the tenant's
`version` in the same transaction: feed caches of every instance compare it, so a change
reaches every feed of the tenant at the next fetch.
"""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveApproved,
    LeavePending,
    LeaveRepriced,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
)
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import Transaction

from ..domain.absence import (
    APPROVED,
    ENDED,
    PENDING,
    SUBMITTED,
    Absence,
    DepartmentReplica,
    ExtraHoliday,
    LeaveFacts,
    LeaveTypeReplica,
    LocationReplica,
    PersonReplica,
    Replica,
    TenantReplica,
    advance,
    new_absence,
)

ABSENCES, PEOPLE, LEAVE_TYPES = "absences", "people", "leave_types"
DEPARTMENTS, LOCATIONS, TENANTS = "departments", "locations", "tenants"
FEEDS, VERSIONS = "feeds", "tenant_versions"


def record_key(tenant_id: str, record_id: str) -> str:
    """Records are keyed within their tenant: ids come from events, and no id of one
    tenant may ever address (or overwrite) a record of another."""
    return f"{tenant_id}/{record_id}"


LiveLeaveEvent = LeaveRequested | LeavePending | LeaveApproved | LeaveRepriced


async def bump_version(tx: Transaction, tenant_id: str) -> None:
    current = await tx.get(VERSIONS, tenant_id)
    version = int(current["version"]) + 1 if current else 1
    await tx.put(VERSIONS, tenant_id, {"id": tenant_id, "tenant_id": tenant_id, "version": version})


async def _upsert_replica(
    tx: Transaction, collection: str, incoming: Replica, event: HandledEvent
) -> None:
    key = record_key(incoming.tenant_id, incoming.id)
    found = await tx.get(collection, key)
    current: Any = from_doc(type(incoming), found) if found else None
    updated = advance(current, incoming, event.envelope.occurred_at)
    if updated is not None:
        await tx.put(collection, key, to_doc(updated))
        await bump_version(tx, event.envelope.tenant_id)


async def on_tenant(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, TenantCreated)
    tenant = TenantReplica(id=d.tenant_id, tenant_id=d.tenant_id, name=d.name, timezone=d.timezone)
    await _upsert_replica(tx, TENANTS, tenant, event)


async def on_location(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, LocationUpserted)
    location = LocationReplica(
        id=d.location_id,
        tenant_id=event.envelope.tenant_id,
        name=d.name,
        timezone=d.timezone,
        country=d.holidays.country if d.holidays else None,
        subdivision=d.holidays.subdivision if d.holidays else None,
        holiday_categories=list(d.holidays.categories) if d.holidays else ["public"],
        holiday_language=d.holidays.language if d.holidays else None,
        extra_holidays=[ExtraHoliday(h.date, h.name) for h in d.extra_holidays],
        active=d.active,
    )
    await _upsert_replica(tx, LOCATIONS, location, event)


async def on_department(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, DepartmentUpserted)
    department = DepartmentReplica(
        id=d.department_id, tenant_id=event.envelope.tenant_id, name=d.name, active=d.active
    )
    await _upsert_replica(tx, DEPARTMENTS, department, event)


async def on_employee(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, EmployeeUpserted)
    person = PersonReplica(
        id=d.employee_id,
        tenant_id=event.envelope.tenant_id,
        name=d.name,
        department_id=d.department_id,
        location_id=d.location_id,
        end_date=d.end_date,
    )
    await _upsert_replica(tx, PEOPLE, person, event)


async def on_leave_type(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, LeaveTypeUpserted)
    leave_type = LeaveTypeReplica(
        id=d.leave_type_id, tenant_id=event.envelope.tenant_id, name=d.name, color=d.color
    )
    await _upsert_replica(tx, LEAVE_TYPES, leave_type, event)


def _facts(d: LiveLeaveEvent) -> LeaveFacts:
    return LeaveFacts(
        employee_id=d.employee_id,
        leave_type_id=d.leave_type_id,
        start_date=d.start_date,
        end_date=d.end_date,
        start_part=str(d.start_part),
        end_part=str(d.end_part),
        amount=d.amount,
        unit=str(d.unit),
        working_days=list(d.working_days),
        department_id=d.department_id,
    )


async def _apply(tx: Transaction, event: HandledEvent, status: str) -> None:
    d = event.data
    assert isinstance(d, LiveLeaveEvent)
    tenant_id = event.envelope.tenant_id
    key = record_key(tenant_id, d.request_id)
    found = await tx.get(ABSENCES, key)
    if found is not None and found["status"] == ENDED:
        return  # over already: a late event must not revive it
    facts = _facts(d)
    current = from_doc(Absence, found) if found else new_absence(d.request_id, tenant_id, facts)
    updated = current.apply(facts, status, event.envelope.occurred_at)
    if found is None or updated is not current:
        await tx.put(ABSENCES, key, to_doc(updated))
        await bump_version(tx, tenant_id)


async def on_requested(tx: Transaction, event: HandledEvent) -> None:
    await _apply(tx, event, SUBMITTED)


async def on_pending(tx: Transaction, event: HandledEvent) -> None:
    await _apply(tx, event, PENDING)


async def on_approved(tx: Transaction, event: HandledEvent) -> None:
    await _apply(tx, event, APPROVED)


async def on_repriced(tx: Transaction, event: HandledEvent) -> None:
    """New working days and amount; the status it carries only ever moves the lattice up."""
    status = str(getattr(event.data, "status", SUBMITTED))
    await _apply(tx, event, status if status in (PENDING, APPROVED) else SUBMITTED)


async def on_ended(tx: Transaction, event: HandledEvent) -> None:
    """Rejected, denied or cancelled: nobody is off for it any more.

    A tombstone rather than a delete: a late LeaveRequested/LeaveApproved for this request
    (another consumer, a redelivery) must find that it is over."""
    request_id = event.data.request_id  # type: ignore[attr-defined]
    tenant_id = event.envelope.tenant_id
    key = record_key(tenant_id, request_id)
    found = await tx.get(ABSENCES, key)
    if found is not None and found["status"] == ENDED:
        return
    await tx.put(ABSENCES, key, {"id": request_id, "tenant_id": tenant_id, "status": ENDED})
    await bump_version(tx, tenant_id)


REQUESTS_HANDLERS: dict[str, EventHandler] = {
    "TenantCreated": on_tenant,
    "LocationUpserted": on_location,
    "DepartmentUpserted": on_department,
    "EmployeeUpserted": on_employee,
    "LeaveTypeUpserted": on_leave_type,
    "LeaveRequested": on_requested,
    "LeavePending": on_pending,
    "LeaveApproved": on_approved,
    "LeaveRepriced": on_repriced,
    "LeaveRejected": on_ended,
    "LeaveDenied": on_ended,
    "LeaveCancelled": on_ended,
}
# Balances' own "no" arrives before requests turns it into LeaveRejected: end it at once.
BALANCES_HANDLERS: dict[str, EventHandler] = {"LeaveReservationRejected": on_ended}

"""Event handlers that keep the who's-off projection current."""

from __future__ import annotations

from leaveflow_contracts import (
    EmployeeUpserted,
    LeaveApproved,
    LeaveRequested,
    LeaveTypeUpserted,
)
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import Transaction

from ..domain.absence import Absence, LeaveTypeReplica, PersonReplica

ABSENCES, PEOPLE, LEAVE_TYPES = "absences", "people", "leave_types"
GONE = "gone"


async def on_employee(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, EmployeeUpserted)
    person = PersonReplica(
        id=d.employee_id,
        tenant_id=event.envelope.tenant_id,
        name=d.name,
        department_id=d.department_id,
        location_id=d.location_id,
    )
    await tx.put(PEOPLE, person.id, to_doc(person))


async def on_leave_type(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, LeaveTypeUpserted)
    lt = LeaveTypeReplica(
        id=d.leave_type_id, tenant_id=event.envelope.tenant_id, name=d.name, color=d.color
    )
    await tx.put(LEAVE_TYPES, lt.id, to_doc(lt))


async def _upsert(tx: Transaction, event: HandledEvent, status: str) -> None:
    d = event.data
    assert isinstance(d, LeaveRequested | LeaveApproved)
    existing = await tx.get(ABSENCES, d.request_id)
    if existing is not None and existing["status"] == GONE:
        return  # denied, cancelled or rejected already: a late event must not revive it
    if existing is not None and existing["status"] == "approved" and status == "pending":
        return  # never downgrade
    absence = Absence(
        id=d.request_id,
        tenant_id=event.envelope.tenant_id,
        employee_id=d.employee_id,
        leave_type_id=d.leave_type_id,
        start_date=d.start_date,
        end_date=d.end_date,
        start_part=d.start_part,
        end_part=d.end_part,
        status=status,
    )
    await tx.put(ABSENCES, absence.id, to_doc(absence))


async def on_requested(tx: Transaction, event: HandledEvent) -> None:
    await _upsert(tx, event, "pending")


async def on_approved(tx: Transaction, event: HandledEvent) -> None:
    await _upsert(tx, event, "approved")


async def on_gone(tx: Transaction, event: HandledEvent) -> None:
    """Denied, cancelled or rejected: nobody is off for it any more.

    A tombstone rather than a delete: events of the two producers arrive through two
    consumers with no order between them, so a late LeaveRequested/LeaveApproved for this
    request must find that it is over."""
    request_id = event.data.request_id  # type: ignore[attr-defined]
    await tx.put(
        ABSENCES,
        request_id,
        {"id": request_id, "tenant_id": event.envelope.tenant_id, "status": GONE},
    )


REQUESTS_HANDLERS: dict[str, EventHandler] = {
    "EmployeeUpserted": on_employee,
    "LeaveTypeUpserted": on_leave_type,
    "LeaveRequested": on_requested,
    "LeaveApproved": on_approved,
    "LeaveDenied": on_gone,
    "LeaveCancelled": on_gone,
}
BALANCES_HANDLERS: dict[str, EventHandler] = {"LeaveReservationRejected": on_gone}


def absence_from(doc: dict[str, object]) -> Absence:
    return from_doc(Absence, dict(doc))

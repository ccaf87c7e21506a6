"""Event handlers that keep the who's-off projection and the directory replicas current.

Every handler is idempotent (the consumer's inbox drops redeliveries; re-applying is
harmless anyway) and order-tolerant: the rules live in `domain.absence` (status lattice,
tombstones, newest-fact-wins by `occurred_at`; the directory replicas through
`leaveflow_kit.replica`). Each handler also bumps the tenant's `version` in the same
transaction: feed caches of every instance compare it, so a change reaches every feed of
the tenant at the next fetch. With the version it records *what* changed
(`tenant_changes`, a ring of the last versions' records): a reader holding the tenant as
of an older version re-reads only those records instead of the whole tenant (50,000
people take seconds to load; the few records an hour of requests touches, milliseconds).
"""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeavePending,
    LeaveRejected,
    LeaveRepriced,
    LeaveRequested,
    LeaveReservationRejected,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
)
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.replica import Replica, ReplicaSet
from leaveflow_kit.storage import Doc, Transaction

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
    TenantReplica,
    advance,
    new_absence,
)
from ..domain.absence import (
    Replica as ReplicaRecord,
)

ABSENCES, PEOPLE, LEAVE_TYPES = "absences", "people", "leave_types"
DEPARTMENTS, LOCATIONS, TENANTS = "departments", "locations", "tenants"
FEEDS, VERSIONS, CHANGES = "feeds", "tenant_versions", "tenant_changes"
# The change log is a ring of this many slots per tenant (version modulo it): one write per
# change, no deletes; a reader further behind than this loads the tenant again.
CHANGES_KEPT = 4096
DIRECTORY_COLLECTIONS = (TENANTS, LOCATIONS, DEPARTMENTS, PEOPLE, LEAVE_TYPES)
# The directory replicas, by collection: the kit's rule (tenant:id keys, newest
# occurred_at wins, tombstones; docs/adr/0004).
REPLICAS = {name: Replica(name) for name in DIRECTORY_COLLECTIONS}
# Version 1: kit replica documents under `tenant:id` keys (before: `tenant/id`, no stamp).
# Version 2: people keep their role, departments their approver_ids (visibility).
# Version 3: leave types keep `private` (shown as "Away" to most).
# Version 4: a department's approver_ids are those of every approval level, not level 1's.
# Bump on any change of the replicas' keys or stored shape: they are then rebuilt from
# the requests stream on start-up.
DIRECTORY_VERSION = 4


def record_key(tenant_id: str, record_id: str) -> str:
    """Absences are keyed within their tenant: ids come from events, and no id of one
    tenant may ever address (or overwrite) a record of another."""
    return f"{tenant_id}/{record_id}"


LiveLeaveEvent = LeaveRequested | LeavePending | LeaveApproved | LeaveRepriced


def change_slot_key(tenant_id: str, slot: int) -> str:
    """Zero-padded, so key order within a tenant is slot order (`find(after_key=)`)."""
    return f"{tenant_id}/{slot:05d}"


async def bump_version(tx: Transaction, tenant_id: str, collection: str, record_id: str) -> None:
    """The tenant's next version, and which record it changed (`collection`, its id), in
    the version's slot of the change log (over the change one lap before)."""
    current = await tx.get(VERSIONS, tenant_id)
    version = int(current["version"]) + 1 if current else 1
    await tx.put(VERSIONS, tenant_id, {"id": tenant_id, "tenant_id": tenant_id, "version": version})
    key = change_slot_key(tenant_id, version % CHANGES_KEPT)
    change = {
        "id": key,
        "tenant_id": tenant_id,
        "version": version,
        "collection": collection,
        "record_id": record_id,
    }
    await tx.put(CHANGES, key, change)


async def _upsert_replica(
    tx: Transaction, collection: str, incoming: ReplicaRecord, event: Handled[Any]
) -> None:
    """The kit decides whether the event is news; `advance` keeps the revision count the
    feeds' SEQUENCE is built from (a change that changes nothing visible moves only
    `as_of`)."""
    occurred_at = event.envelope.occurred_at

    def merge(current: Doc | None, doc: Doc) -> Doc:
        known: Any = from_doc(type(incoming), current) if current else None
        updated = advance(known, incoming, occurred_at)
        return to_doc(updated) if updated is not None else (current or doc)

    stored = await REPLICAS[collection].upsert(
        tx, incoming.tenant_id, incoming.id, to_doc(incoming), event.envelope, merge=merge
    )
    if stored is not None:
        await bump_version(tx, event.envelope.tenant_id, collection, incoming.id)


directory_handlers = Handlers()


@directory_handlers.on
async def on_tenant(tx: Transaction, event: Handled[TenantCreated]) -> None:
    d = event.data
    tenant = TenantReplica(id=d.tenant_id, tenant_id=d.tenant_id, name=d.name, timezone=d.timezone)
    await _upsert_replica(tx, TENANTS, tenant, event)


@directory_handlers.on
async def on_location(tx: Transaction, event: Handled[LocationUpserted]) -> None:
    d = event.data
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


@directory_handlers.on
async def on_department(tx: Transaction, event: Handled[DepartmentUpserted]) -> None:
    d = event.data
    department = DepartmentReplica(
        id=d.department_id,
        tenant_id=event.envelope.tenant_id,
        name=d.name,
        active=d.active,
        approver_ids=every_level_approver(d),
    )
    await _upsert_replica(tx, DEPARTMENTS, department, event)


def every_level_approver(d: DepartmentUpserted) -> list[str]:
    """Whoever decides any level of the department's requests sees its people's pending
    leave and may follow its feed (a level-2 head must see what reaches them); the
    shorthand `approver_ids` is level 1's, so it is only a part of them. First-seen order,
    no repeats, so a replay stores the very same list."""
    ids = [*d.approver_ids, *(a for level in d.approval_levels for a in level.approver_ids)]
    return list(dict.fromkeys(ids))


@directory_handlers.on
async def on_employee(tx: Transaction, event: Handled[EmployeeUpserted]) -> None:
    d = event.data
    person = PersonReplica(
        id=d.employee_id,
        tenant_id=event.envelope.tenant_id,
        name=d.name,
        department_id=d.department_id,
        location_id=d.location_id,
        end_date=d.end_date,
        role=str(d.role),
    )
    await _upsert_replica(tx, PEOPLE, person, event)


@directory_handlers.on
async def on_leave_type(tx: Transaction, event: Handled[LeaveTypeUpserted]) -> None:
    d = event.data
    leave_type = LeaveTypeReplica(
        id=d.leave_type_id,
        tenant_id=event.envelope.tenant_id,
        name=d.name,
        color=d.color,
        private=d.private,
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


async def _apply(tx: Transaction, event: Handled[LiveLeaveEvent], status: str) -> None:
    d = event.data
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
        await bump_version(tx, tenant_id, ABSENCES, d.request_id)


leave_handlers = Handlers()


@leave_handlers.on
async def on_requested(tx: Transaction, event: Handled[LeaveRequested]) -> None:
    await _apply(tx, event, SUBMITTED)


@leave_handlers.on
async def on_pending(tx: Transaction, event: Handled[LeavePending]) -> None:
    await _apply(tx, event, PENDING)


@leave_handlers.on
async def on_approved(tx: Transaction, event: Handled[LeaveApproved]) -> None:
    await _apply(tx, event, APPROVED)


@leave_handlers.on
async def on_repriced(tx: Transaction, event: Handled[LeaveRepriced]) -> None:
    """New working days and amount; the status it carries only ever moves the lattice up."""
    status = str(event.data.status)
    await _apply(tx, event, status if status in (PENDING, APPROVED) else SUBMITTED)


@leave_handlers.on
async def on_ended(
    tx: Transaction,
    event: Handled[LeaveRejected | LeaveDenied | LeaveCancelled | LeaveReservationRejected],
) -> None:
    """Rejected, denied or cancelled: nobody is off for it any more. Balances' own "no"
    (LeaveReservationRejected) arrives before requests turns it into LeaveRejected: it
    ends it at once.

    A tombstone rather than a delete: a late LeaveRequested/LeaveApproved for this request
    (another consumer, a redelivery) must find that it is over."""
    request_id = event.data.request_id
    tenant_id = event.envelope.tenant_id
    key = record_key(tenant_id, request_id)
    found = await tx.get(ABSENCES, key)
    if found is not None and found["status"] == ENDED:
        return
    await tx.put(ABSENCES, key, {"id": request_id, "tenant_id": tenant_id, "status": ENDED})
    await bump_version(tx, tenant_id, ABSENCES, request_id)


# What the calendar's consumers run (grouped by producer: requests and balances).
HANDLERS = Handlers().include(directory_handlers, leave_handlers)
# The directory replicas, rebuilt from the requests stream when DIRECTORY_VERSION moves.
DIRECTORY_REPLICAS = ReplicaSet(
    name="calendar.directory",
    version=DIRECTORY_VERSION,
    producer="requests",
    collections=DIRECTORY_COLLECTIONS,
    handlers=directory_handlers,
)

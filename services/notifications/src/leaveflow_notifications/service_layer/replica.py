"""Our copy of the directory, built from the requests service's events: who people are,
how to reach them (email, Slack and Teams ids), who approves for which department, and
the time zone of each location (it decides what "today" is for the people there).

Kept by the kit's replica rule (docs/adr/0004-newest-wins-replicas.md): keys scoped by
tenant, the event that happened last wins, whatever order events arrive or replay in.
The collections are rebuilt from the requests stream on start-up whenever
`DIRECTORY_VERSION` changes (version 1: tenant-scoped keys, where raw ids were before;
version 2: leave types' `private`).
"""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
)
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.replica import Replica, ReplicaSet
from leaveflow_kit.storage import Reader, Store, Transaction

from .collections import DEPARTMENTS, LEAVE_TYPES, LOCATIONS, PEOPLE, TENANTS

TENANT_REPLICA = Replica(TENANTS)
PEOPLE_REPLICA = Replica(PEOPLE)
DEPARTMENT_REPLICA = Replica(DEPARTMENTS)
LEAVE_TYPE_REPLICA = Replica(LEAVE_TYPES)
LOCATION_REPLICA = Replica(LOCATIONS)

DIRECTORY_VERSION = 2

directory_handlers = Handlers()


@directory_handlers.on
async def on_tenant(tx: Transaction, event: Handled[TenantCreated]) -> None:
    d = event.data
    fields = {"name": d.name, "timezone": d.timezone}
    await TENANT_REPLICA.upsert(tx, d.tenant_id, d.tenant_id, fields, event.envelope)


@directory_handlers.on
async def on_location(tx: Transaction, event: Handled[LocationUpserted]) -> None:
    d = event.data
    fields = {"name": d.name, "timezone": d.timezone}
    await LOCATION_REPLICA.upsert(
        tx, event.envelope.tenant_id, d.location_id, fields, event.envelope
    )


@directory_handlers.on
async def on_employee(tx: Transaction, event: Handled[EmployeeUpserted]) -> None:
    d = event.data
    fields = {
        "name": d.name,
        "email": d.email,
        "role": str(d.role),
        "department_id": d.department_id,
        "location_id": d.location_id,
        "end_date": d.end_date.isoformat() if d.end_date else None,
        "slack_user_id": d.slack_user_id,
        "teams_user_id": d.teams_user_id,
    }
    await PEOPLE_REPLICA.upsert(tx, event.envelope.tenant_id, d.employee_id, fields, event.envelope)


@directory_handlers.on
async def on_department(tx: Transaction, event: Handled[DepartmentUpserted]) -> None:
    d = event.data
    fields = {"name": d.name, "approver_ids": list(d.approver_ids), "active": d.active}
    await DEPARTMENT_REPLICA.upsert(
        tx, event.envelope.tenant_id, d.department_id, fields, event.envelope
    )


@directory_handlers.on
async def on_leave_type(tx: Transaction, event: Handled[LeaveTypeUpserted]) -> None:
    d = event.data
    # `private`: the Slack status while away names no private type (version 2).
    fields = {"name": d.name, "active": d.active, "private": d.private}
    await LEAVE_TYPE_REPLICA.upsert(
        tx, event.envelope.tenant_id, d.leave_type_id, fields, event.envelope
    )


DIRECTORY = ReplicaSet(
    "notifications.directory",
    DIRECTORY_VERSION,
    "requests",
    [TENANTS, LOCATIONS, PEOPLE, DEPARTMENTS, LEAVE_TYPES],
    directory_handlers,
)


async def person(reader: Reader, tenant_id: str, employee_id: str) -> dict[str, Any] | None:
    return await PEOPLE_REPLICA.get(reader, tenant_id, employee_id)


async def admins(reader: Store | Transaction, tenant_id: str) -> list[dict[str, Any]]:
    return (await PEOPLE_REPLICA.find(reader, tenant_id, {"role": "admin"}))[:50]


async def approvers_of(
    tx: Transaction, tenant_id: str, department_id: str | None
) -> list[dict[str, Any]]:
    """The department's approvers; without any, the tenant's admins (as the API routes)."""
    found: list[dict[str, Any]] = []
    if department_id:
        dept = await DEPARTMENT_REPLICA.get(tx, tenant_id, department_id)
        if dept is not None:
            for approver_id in dept.get("approver_ids", []):
                doc = await person(tx, tenant_id, approver_id)
                if doc is not None:
                    found.append(doc)
    if not found:
        found = await admins(tx, tenant_id)
    return found

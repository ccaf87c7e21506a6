"""Our copy of the directory, built from the requests service's events: who people are,
how to reach them (email, Slack and Teams ids), who approves for which department, and
the time zone of each location (it decides what "today" is for the people there)."""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
)
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import Store, Transaction

from .collections import DEPARTMENTS, LEAVE_TYPES, LOCATIONS, PEOPLE, TENANTS


async def on_tenant(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, TenantCreated)
    await tx.put(TENANTS, d.tenant_id, {"id": d.tenant_id, "name": d.name, "timezone": d.timezone})


async def on_employee(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, EmployeeUpserted)
    await tx.put(
        PEOPLE,
        d.employee_id,
        {
            "id": d.employee_id,
            "tenant_id": event.envelope.tenant_id,
            "name": d.name,
            "email": d.email,
            "role": str(d.role),
            "department_id": d.department_id,
            "location_id": d.location_id,
            "end_date": d.end_date.isoformat() if d.end_date else None,
            "slack_user_id": d.slack_user_id,
            "teams_user_id": d.teams_user_id,
        },
    )


async def on_department(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, DepartmentUpserted)
    await tx.put(
        DEPARTMENTS,
        d.department_id,
        {
            "id": d.department_id,
            "tenant_id": event.envelope.tenant_id,
            "name": d.name,
            "approver_ids": list(d.approver_ids),
            "active": d.active,
        },
    )


async def on_leave_type(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, LeaveTypeUpserted)
    await tx.put(
        LEAVE_TYPES,
        d.leave_type_id,
        {
            "id": d.leave_type_id,
            "tenant_id": event.envelope.tenant_id,
            "name": d.name,
            "active": d.active,
        },
    )


async def on_location(tx: Transaction, event: HandledEvent) -> None:
    d = event.data
    assert isinstance(d, LocationUpserted)
    await tx.put(
        LOCATIONS,
        d.location_id,
        {
            "id": d.location_id,
            "tenant_id": event.envelope.tenant_id,
            "name": d.name,
            "timezone": d.timezone,
        },
    )


def directory_handlers() -> dict[str, EventHandler]:
    return {
        "TenantCreated": on_tenant,
        "LocationUpserted": on_location,
        "EmployeeUpserted": on_employee,
        "DepartmentUpserted": on_department,
        "LeaveTypeUpserted": on_leave_type,
    }


async def person(
    reader: Store | Transaction, tenant_id: str, employee_id: str
) -> dict[str, Any] | None:
    doc = await reader.get(PEOPLE, employee_id)
    return doc if doc is not None and doc.get("tenant_id") == tenant_id else None


async def approvers_of(
    tx: Transaction, tenant_id: str, department_id: str | None
) -> list[dict[str, Any]]:
    """The department's approvers; without any, the tenant's admins (as the API routes)."""
    found: list[dict[str, Any]] = []
    if department_id:
        dept = await tx.get(DEPARTMENTS, department_id)
        if dept is not None and dept.get("tenant_id") == tenant_id:
            for approver_id in dept.get("approver_ids", []):
                doc = await person(tx, tenant_id, approver_id)
                if doc is not None:
                    found.append(doc)
    if not found:
        found = await tx.find(PEOPLE, {"tenant_id": tenant_id, "role": "admin"}, limit=50)
    return found

"""Read side of the requests service: plain queries, no aggregates mutated."""

from __future__ import annotations

from typing import Any

from leaveflow_kit.documents import from_doc
from leaveflow_kit.storage import Store

from ..adapters.repository import (
    DEPARTMENTS,
    EMPLOYEES,
    LEAVE_REQUESTS,
    LEAVE_TYPES,
    LOCATIONS,
)
from ..domain.directory import Department, Employee, LeaveType, Location
from ..domain.model import LeaveRequest


async def _page(
    store: Store, collection: str, where: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    docs = await store.find(collection, where, limit=limit + 1, after_key=cursor)
    next_cursor = docs[limit - 1]["id"] if len(docs) > limit else None
    return docs[:limit], next_cursor


async def get_leave_request(store: Store, tenant_id: str, request_id: str) -> LeaveRequest | None:
    doc = await store.get(LEAVE_REQUESTS, request_id)
    if doc is None or doc.get("tenant_id") != tenant_id:
        return None
    return from_doc(LeaveRequest, doc)


async def list_leave_requests(
    store: Store,
    tenant_id: str,
    *,
    limit: int,
    cursor: str | None,
    **filters: str | None,
) -> tuple[list[LeaveRequest], str | None]:
    where: dict[str, Any] = {"tenant_id": tenant_id}
    where.update({k: v for k, v in filters.items() if v is not None})
    docs, next_cursor = await _page(store, LEAVE_REQUESTS, where, limit, cursor)
    return [from_doc(LeaveRequest, d) for d in docs], next_cursor


async def get_employee(store: Store, tenant_id: str, employee_id: str) -> Employee | None:
    doc = await store.get(EMPLOYEES, employee_id)
    if doc is None or doc.get("tenant_id") != tenant_id:
        return None
    return from_doc(Employee, doc)


async def list_employees(
    store: Store, tenant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Employee], str | None]:
    docs, next_cursor = await _page(store, EMPLOYEES, {"tenant_id": tenant_id}, limit, cursor)
    return [from_doc(Employee, d) for d in docs], next_cursor


async def get_department(store: Store, tenant_id: str, department_id: str) -> Department | None:
    doc = await store.get(DEPARTMENTS, department_id)
    if doc is None or doc.get("tenant_id") != tenant_id:
        return None
    return from_doc(Department, doc)


async def list_departments(store: Store, tenant_id: str) -> list[Department]:
    docs = await store.find(DEPARTMENTS, {"tenant_id": tenant_id})
    return [from_doc(Department, d) for d in docs]


async def get_location(store: Store, tenant_id: str, location_id: str) -> Location | None:
    doc = await store.get(LOCATIONS, location_id)
    if doc is None or doc.get("tenant_id") != tenant_id:
        return None
    return from_doc(Location, doc)


async def list_locations(store: Store, tenant_id: str) -> list[Location]:
    docs = await store.find(LOCATIONS, {"tenant_id": tenant_id})
    return [from_doc(Location, d) for d in docs]


async def get_leave_type(store: Store, tenant_id: str, leave_type_id: str) -> LeaveType | None:
    doc = await store.get(LEAVE_TYPES, leave_type_id)
    if doc is None or doc.get("tenant_id") != tenant_id:
        return None
    return from_doc(LeaveType, doc)


async def list_leave_types(store: Store, tenant_id: str) -> list[LeaveType]:
    docs = await store.find(LEAVE_TYPES, {"tenant_id": tenant_id})
    return [from_doc(LeaveType, d) for d in docs]

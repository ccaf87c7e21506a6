"""Read side of the requests service: plain queries, no aggregates mutated.

Every read is scoped to the caller's tenant: another tenant's record reads as absent.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from leaveflow_kit.documents import from_doc
from leaveflow_kit.storage import Store

from ..adapters.repository import (
    DEPARTMENTS,
    EMPLOYEES,
    LEAVE_REQUESTS,
    LEAVE_TYPES,
    LOCATIONS,
)
from ..domain.directory import Department, Employee, LeaveType, Location, normalise_email
from ..domain.model import LeaveRequest
from ..domain.working_days import WorkingDays, count_working_days

T = TypeVar("T")


async def _one(store: Store, collection: str, cls: type[T], tenant_id: str, key: str) -> T | None:
    if not key:
        return None
    doc = await store.get(collection, key)
    if doc is None or doc.get("tenant_id") != tenant_id:
        return None
    return from_doc(cls, doc)


async def _all(store: Store, collection: str, cls: type[T], tenant_id: str) -> list[T]:
    return [from_doc(cls, d) for d in await store.find(collection, {"tenant_id": tenant_id})]


async def _page(
    store: Store, collection: str, where: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    docs = await store.find(collection, where, limit=limit + 1, after_key=cursor)
    next_cursor = docs[limit - 1]["id"] if len(docs) > limit else None
    return docs[:limit], next_cursor


async def get_leave_request(store: Store, tenant_id: str, request_id: str) -> LeaveRequest | None:
    return await _one(store, LEAVE_REQUESTS, LeaveRequest, tenant_id, request_id)


async def list_leave_requests(
    store: Store,
    tenant_id: str,
    *,
    limit: int,
    cursor: str | None,
    start: date | None = None,
    end: date | None = None,
    **filters: str | None,
) -> tuple[list[LeaveRequest], str | None]:
    """A page of requests matching the filters; with a date window, only those touching it.

    The store filters by equality only, so a window is applied while scanning: pages keep
    filling until `limit` matches or the end, and the cursor is the last key scanned.
    """
    where: dict[str, Any] = {"tenant_id": tenant_id}
    where.update({k: v for k, v in filters.items() if v is not None})
    if start is None and end is None:
        docs, next_cursor = await _page(store, LEAVE_REQUESTS, where, limit, cursor)
        return [from_doc(LeaveRequest, d) for d in docs], next_cursor
    first = start.isoformat() if start else ""
    last = end.isoformat() if end else "9999-12-31"
    found: list[dict[str, Any]] = []
    scanned = cursor
    exhausted = False
    while len(found) < limit and not exhausted:
        batch = await store.find(LEAVE_REQUESTS, where, limit=limit, after_key=scanned)
        exhausted = len(batch) < limit
        for doc in batch:
            scanned = doc["id"]
            if doc["start_date"] <= last and first <= doc["end_date"]:
                found.append(doc)
                if len(found) == limit:
                    break
    next_cursor = None
    if len(found) == limit and await store.find(LEAVE_REQUESTS, where, limit=1, after_key=scanned):
        next_cursor = scanned
    return [from_doc(LeaveRequest, d) for d in found], next_cursor


async def get_employee(store: Store, tenant_id: str, employee_id: str) -> Employee | None:
    return await _one(store, EMPLOYEES, Employee, tenant_id, employee_id)


async def get_employee_by_email(store: Store, tenant_id: str, email: str) -> Employee | None:
    try:
        key = normalise_email(email)
    except ValueError:
        return None
    docs = await store.find(EMPLOYEES, {"tenant_id": tenant_id, "email": key}, limit=1)
    return from_doc(Employee, docs[0]) if docs else None


async def list_employees(
    store: Store, tenant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Employee], str | None]:
    docs, next_cursor = await _page(store, EMPLOYEES, {"tenant_id": tenant_id}, limit, cursor)
    return [from_doc(Employee, d) for d in docs], next_cursor


async def get_department(store: Store, tenant_id: str, department_id: str) -> Department | None:
    return await _one(store, DEPARTMENTS, Department, tenant_id, department_id)


async def list_departments(store: Store, tenant_id: str) -> list[Department]:
    return await _all(store, DEPARTMENTS, Department, tenant_id)


async def get_location(store: Store, tenant_id: str, location_id: str) -> Location | None:
    return await _one(store, LOCATIONS, Location, tenant_id, location_id)


async def list_locations(store: Store, tenant_id: str) -> list[Location]:
    return await _all(store, LOCATIONS, Location, tenant_id)


async def get_leave_type(store: Store, tenant_id: str, leave_type_id: str) -> LeaveType | None:
    return await _one(store, LEAVE_TYPES, LeaveType, tenant_id, leave_type_id)


async def list_leave_types(store: Store, tenant_id: str) -> list[LeaveType]:
    return await _all(store, LEAVE_TYPES, LeaveType, tenant_id)


async def working_days(
    store: Store,
    tenant_id: str,
    employee: Employee,
    start: date,
    end: date,
    *,
    start_part: str = "full",
    end_part: str = "full",
) -> WorkingDays:
    """The days a request of `employee` over the range would take: their location's work
    week and holidays, their work pattern, the half days, exactly as a submission counts."""
    location = (
        await get_location(store, tenant_id, employee.location_id) if employee.location_id else None
    )
    return count_working_days(
        start,
        end,
        start_part=start_part,
        end_part=end_part,
        schedule=location.schedule_for(employee) if location else None,
        holidays=location.holidays_between(start, end).keys() if location else (),
    )

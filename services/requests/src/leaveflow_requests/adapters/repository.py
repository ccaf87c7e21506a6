"""Typed access to the requests service's documents, inside one store transaction."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import IndexSpec, Transaction

from ..domain.directory import Department, Employee, LeaveType, Location, Tenant
from ..domain.model import LIVE_STATUSES, LeaveRequest

TENANTS, EMPLOYEES, LEAVE_TYPES, LEAVE_REQUESTS, LOCATIONS, DEPARTMENTS = (
    "tenants",
    "employees",
    "leave_types",
    "leave_requests",
    "locations",
    "departments",
)
# Every event this service records, per tenant, for the SSE stream (service_layer/event_log).
EVENT_LOG = "event_log"
# Replica of the balances service's policies: a leave type is available at a location only
# while an active policy exists for the pair (service_layer/policies.py keeps it).
POLICIES = "policies"

INDEXES = (
    IndexSpec(EMPLOYEES, ("tenant_id", "email"), unique=True),
    IndexSpec(EMPLOYEES, ("tenant_id",)),
    IndexSpec(LEAVE_TYPES, ("tenant_id",)),
    IndexSpec(LOCATIONS, ("tenant_id",)),
    IndexSpec(DEPARTMENTS, ("tenant_id",)),
    IndexSpec(LEAVE_REQUESTS, ("tenant_id", "employee_id")),
    IndexSpec(LEAVE_REQUESTS, ("tenant_id", "status")),
    IndexSpec(LEAVE_REQUESTS, ("tenant_id", "leave_type_id")),
    IndexSpec(EVENT_LOG, ("tenant_id",)),
    IndexSpec(POLICIES, ("tenant_id",)),
)


def policy_key(tenant_id: str, location_id: str, leave_type_id: str) -> str:
    return f"{tenant_id}:{location_id}:{leave_type_id}"


T = TypeVar("T")


class Repository:
    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    async def _get(self, collection: str, cls: type[T], key: str, tenant_id: str) -> T | None:
        if not key:
            return None  # an empty id names nothing
        doc = await self.tx.get(collection, key)
        # Another tenant's record does not exist for this caller.
        if doc is None or doc.get("tenant_id", doc.get("id")) != tenant_id:
            return None
        return from_doc(cls, doc)

    async def tenant(self, tenant_id: str) -> Tenant | None:
        doc = await self.tx.get(TENANTS, tenant_id)
        return from_doc(Tenant, doc) if doc else None

    async def any_tenant(self) -> bool:
        return bool(await self.tx.find(TENANTS, {}, limit=1))

    async def employee(self, tenant_id: str, employee_id: str) -> Employee | None:
        return await self._get(EMPLOYEES, Employee, employee_id, tenant_id)

    async def employee_by_email(self, tenant_id: str, email: str) -> Employee | None:
        docs = await self.tx.find(EMPLOYEES, {"tenant_id": tenant_id, "email": email}, limit=1)
        return from_doc(Employee, docs[0]) if docs else None

    async def admin_ids(self, tenant_id: str) -> set[str]:
        docs = await self.tx.find(EMPLOYEES, {"tenant_id": tenant_id, "role": "admin"})
        return {d["id"] for d in docs}

    async def department(self, tenant_id: str, department_id: str) -> Department | None:
        return await self._get(DEPARTMENTS, Department, department_id, tenant_id)

    async def location(self, tenant_id: str, location_id: str) -> Location | None:
        return await self._get(LOCATIONS, Location, location_id, tenant_id)

    async def leave_type(self, tenant_id: str, leave_type_id: str) -> LeaveType | None:
        return await self._get(LEAVE_TYPES, LeaveType, leave_type_id, tenant_id)

    async def leave_type_used(self, tenant_id: str, leave_type_id: str) -> bool:
        where = {"tenant_id": tenant_id, "leave_type_id": leave_type_id}
        return bool(await self.tx.find(LEAVE_REQUESTS, where, limit=1))

    async def offers(self, tenant_id: str, location_id: str, leave_type_id: str) -> bool:
        """Whether balances has an active policy for the type at the location."""
        doc = await self.tx.get(POLICIES, policy_key(tenant_id, location_id, leave_type_id))
        return doc is not None and bool(doc["active"])

    async def leave_request(self, tenant_id: str, request_id: str) -> LeaveRequest | None:
        return await self._get(LEAVE_REQUESTS, LeaveRequest, request_id, tenant_id)

    async def live_requests_overlapping(
        self, tenant_id: str, employee_id: str, start: date, end: date
    ) -> list[LeaveRequest]:
        """Submitted, pending or approved requests of the employee that touch [start, end].

        Filtered on the raw documents (ISO dates compare as strings) so that an employee
        with years of history does not cost a decode per old request on every submission.
        """
        docs = await self.tx.find(
            LEAVE_REQUESTS, {"tenant_id": tenant_id, "employee_id": employee_id}
        )
        first, last = start.isoformat(), end.isoformat()
        return [
            from_doc(LeaveRequest, d)
            for d in docs
            if d["status"] in LIVE_STATUSES and d["start_date"] <= last and first <= d["end_date"]
        ]

    async def add_tenant(self, tenant: Tenant) -> None:
        await self.tx.insert(TENANTS, tenant.id, to_doc(tenant))

    async def add_employee(self, employee: Employee) -> None:
        await self.tx.insert(EMPLOYEES, employee.id, to_doc(employee))

    async def save(self, record: Any) -> None:
        collection = {
            Tenant: TENANTS,
            Employee: EMPLOYEES,
            LeaveType: LEAVE_TYPES,
            LeaveRequest: LEAVE_REQUESTS,
            Location: LOCATIONS,
            Department: DEPARTMENTS,
        }[type(record)]
        await self.tx.put(collection, record.id, to_doc(record))

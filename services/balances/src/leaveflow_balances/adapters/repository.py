"""Typed access to the balances service's documents, in a transaction or outside one.

Carry-overs are stored one document per employee and new leave year (holding that year's
carry-over entries for every leave type): a year end then writes one document per person,
which is what makes 100,000 people close in seconds rather than minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import Doc, IndexSpec, Transaction

from ..domain.ledger import LedgerEntry
from ..domain.policy import Policy, policy_key
from ..domain.replicas import (
    AllowanceOverride,
    EmployeeReplica,
    LeaveTypeReplica,
    LocationReplica,
    Reservation,
)

(
    LEAVE_TYPES,
    EMPLOYEES,
    LOCATIONS,
    LEDGER,
    CARRYOVERS,
    RESERVATIONS,
    BALANCE_GUARDS,
    DEPARTMENTS,
    POLICIES,
    OVERRIDES,
    YEAR_ENDS,
) = (
    "leave_types",
    "employees",
    "locations",
    "ledger",
    "carryovers",
    "reservations",
    "balance_guards",
    "departments",
    "policies",
    "overrides",
    "year_ends",
)

INDEXES = (
    IndexSpec(LEDGER, ("tenant_id", "employee_id")),
    IndexSpec(LEDGER, ("tenant_id", "leave_year")),
    IndexSpec(CARRYOVERS, ("tenant_id", "employee_id")),
    IndexSpec(CARRYOVERS, ("tenant_id", "year")),
    IndexSpec(LEAVE_TYPES, ("tenant_id",)),
    IndexSpec(LOCATIONS, ("tenant_id",)),
    IndexSpec(EMPLOYEES, ("tenant_id",)),
    IndexSpec(EMPLOYEES, ("tenant_id", "location_id")),
    IndexSpec(EMPLOYEES, ("tenant_id", "department_id")),
    IndexSpec(POLICIES, ("tenant_id",)),
    IndexSpec(YEAR_ENDS, ("state",)),
)


class Reader(Protocol):
    """What a `Transaction` and a `Store` both offer for reading."""

    async def get(self, collection: str, key: str) -> Doc | None: ...

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]: ...


def carryover_key(tenant_id: str, employee_id: str, year: int) -> str:
    return f"{tenant_id}:{employee_id}:{year}"


def override_key(tenant_id: str, employee_id: str, leave_type_id: str, year: int) -> str:
    return f"{tenant_id}:{employee_id}:{leave_type_id}:{year}"


def year_end_key(tenant_id: str, location_id: str, year: int) -> str:
    return f"{tenant_id}:{location_id}:{year}"


class Directory:
    """Reads that work on a transaction or on the store (the HTTP side reads outside any)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def _owned(self, collection: str, key: str, tenant_id: str) -> Doc | None:
        doc = await self.reader.get(collection, key)
        return doc if doc is not None and doc.get("tenant_id") == tenant_id else None

    async def leave_type(self, tenant_id: str, leave_type_id: str) -> LeaveTypeReplica | None:
        doc = await self._owned(LEAVE_TYPES, leave_type_id, tenant_id)
        return from_doc(LeaveTypeReplica, doc) if doc else None

    async def leave_types(self, tenant_id: str) -> list[LeaveTypeReplica]:
        docs = await self.reader.find(LEAVE_TYPES, {"tenant_id": tenant_id})
        return [from_doc(LeaveTypeReplica, d) for d in docs]

    async def location(self, tenant_id: str, location_id: str) -> LocationReplica | None:
        doc = await self._owned(LOCATIONS, location_id, tenant_id)
        return from_doc(LocationReplica, doc) if doc else None

    async def employee(self, tenant_id: str, employee_id: str) -> EmployeeReplica | None:
        doc = await self._owned(EMPLOYEES, employee_id, tenant_id)
        return from_doc(EmployeeReplica, doc) if doc else None

    async def policy(self, tenant_id: str, location_id: str, leave_type_id: str) -> Policy | None:
        doc = await self.reader.get(POLICIES, policy_key(tenant_id, location_id, leave_type_id))
        return from_doc(Policy, doc) if doc else None

    async def policies(self, tenant_id: str) -> list[Policy]:
        docs = await self.reader.find(POLICIES, {"tenant_id": tenant_id})
        return [from_doc(Policy, d) for d in docs]

    async def override(
        self, tenant_id: str, employee_id: str, leave_type_id: str, year: int
    ) -> AllowanceOverride | None:
        doc = await self.reader.get(
            OVERRIDES, override_key(tenant_id, employee_id, leave_type_id, year)
        )
        return from_doc(AllowanceOverride, doc) if doc else None

    async def entries(self, tenant_id: str, employee_id: str) -> list[LedgerEntry]:
        """Every stored entry of the employee: bookings, adjustments and carry-overs."""
        where = {"tenant_id": tenant_id, "employee_id": employee_id}
        entries = [from_doc(LedgerEntry, d) for d in await self.reader.find(LEDGER, where)]
        for sheet in await self.reader.find(CARRYOVERS, where):
            entries += [from_doc(LedgerEntry, e) for e in sheet["entries"]]
        return entries

    async def reservation(self, request_id: str) -> Reservation | None:
        doc = await self.reader.get(RESERVATIONS, request_id)
        return from_doc(Reservation, doc) if doc else None

    async def approves_for(self, tenant_id: str, approver_id: str, department_id: str) -> bool:
        doc = await self._owned(DEPARTMENTS, department_id, tenant_id)
        return doc is not None and doc["active"] and approver_id in doc["approver_ids"]


class Repository(Directory):
    """Reads and writes inside one transaction."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(tx)
        self.tx = tx

    async def save(self, collection: str, key: str, record: Any) -> None:
        await self.tx.put(collection, key, to_doc(record))

    async def touch_balance_guard(
        self, tenant_id: str, employee_id: str, leave_type_id: str
    ) -> None:
        key = f"{tenant_id}:{employee_id}:{leave_type_id}"
        doc = await self.tx.get(BALANCE_GUARDS, key) or {"tenant_id": tenant_id, "writes": 0}
        await self.tx.put(BALANCE_GUARDS, key, {**doc, "writes": doc["writes"] + 1})

    async def add_entry(self, entry: LedgerEntry) -> bool:
        """False if this entry (deterministic id) was already written.

        Checked before inserting: a failed write aborts the whole transaction (MongoDB
        semantics, which every adapter follows), so DuplicateKey cannot be caught here.
        """
        if await self.tx.get(LEDGER, entry.id) is not None:
            return False
        await self.tx.insert(LEDGER, entry.id, to_doc(entry))
        return True

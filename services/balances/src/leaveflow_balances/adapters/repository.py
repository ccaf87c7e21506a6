"""Typed access to the balances service's documents inside one transaction."""

from __future__ import annotations

from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import IndexSpec, Store, Transaction

from ..domain.ledger import LedgerEntry
from ..domain.replicas import EmployeeReplica, LeaveTypeReplica, Reservation

LEAVE_TYPES, EMPLOYEES, LEDGER, RESERVATIONS, BALANCE_GUARDS, DEPARTMENTS = (
    "leave_types",
    "employees",
    "ledger",
    "reservations",
    "balance_guards",
    "departments",
)

INDEXES = (
    IndexSpec(LEDGER, ("tenant_id", "employee_id")),
    IndexSpec(LEAVE_TYPES, ("tenant_id",)),
    IndexSpec(EMPLOYEES, ("tenant_id",)),
)


class Repository:
    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    async def leave_type(self, tenant_id: str, leave_type_id: str) -> LeaveTypeReplica | None:
        doc = await self.tx.get(LEAVE_TYPES, leave_type_id)
        return from_doc(LeaveTypeReplica, doc) if doc and doc["tenant_id"] == tenant_id else None

    async def save_leave_type(self, leave_type: LeaveTypeReplica) -> None:
        await self.tx.put(LEAVE_TYPES, leave_type.id, to_doc(leave_type))

    async def save_employee(self, employee: EmployeeReplica) -> None:
        await self.tx.put(EMPLOYEES, employee.id, to_doc(employee))

    async def touch_balance_guard(
        self, tenant_id: str, employee_id: str, leave_type_id: str
    ) -> None:
        key = f"{tenant_id}:{employee_id}:{leave_type_id}"
        doc = await self.tx.get(BALANCE_GUARDS, key) or {"tenant_id": tenant_id, "writes": 0}
        await self.tx.put(BALANCE_GUARDS, key, {**doc, "writes": doc["writes"] + 1})

    async def reservation(self, request_id: str) -> Reservation | None:
        doc = await self.tx.get(RESERVATIONS, request_id)
        return from_doc(Reservation, doc) if doc else None

    async def save_reservation(self, reservation: Reservation) -> None:
        await self.tx.put(RESERVATIONS, reservation.id, to_doc(reservation))

    async def entries(self, tenant_id: str, employee_id: str) -> list[LedgerEntry]:
        docs = await self.tx.find(LEDGER, {"tenant_id": tenant_id, "employee_id": employee_id})
        return [from_doc(LedgerEntry, d) for d in docs]

    async def add_entry(self, entry: LedgerEntry) -> bool:
        """False if this entry (deterministic id) was already written.

        Checked before inserting: a failed write aborts the whole transaction (MongoDB
        semantics, which every adapter follows), so DuplicateKey cannot be caught here.
        """
        if await self.tx.get(LEDGER, entry.id) is not None:
            return False
        await self.tx.insert(LEDGER, entry.id, to_doc(entry))
        return True


async def read_entries(store: Store, tenant_id: str, employee_id: str) -> list[LedgerEntry]:
    docs = await store.find(LEDGER, {"tenant_id": tenant_id, "employee_id": employee_id})
    return [from_doc(LedgerEntry, d) for d in docs]


async def read_employee(store: Store, tenant_id: str, employee_id: str) -> EmployeeReplica | None:
    doc = await store.get(EMPLOYEES, employee_id)
    return from_doc(EmployeeReplica, doc) if doc and doc["tenant_id"] == tenant_id else None


async def approves_for(store: Store, tenant_id: str, approver_id: str, department_id: str) -> bool:
    doc = await store.get(DEPARTMENTS, department_id)
    return (
        doc is not None
        and doc["tenant_id"] == tenant_id
        and doc["active"]
        and approver_id in doc["approver_ids"]
    )


async def read_leave_types(store: Store, tenant_id: str) -> list[LeaveTypeReplica]:
    docs = await store.find(LEAVE_TYPES, {"tenant_id": tenant_id})
    return [from_doc(LeaveTypeReplica, d) for d in docs]

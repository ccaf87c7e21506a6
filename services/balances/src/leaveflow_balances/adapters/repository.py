"""The balances service's documents in the store: the repository, unit of work and read
model that `service_layer/ports.py` declares. Collection names and keys live here only.

The directory replica (locations, leave types, employees, departments) is kept with the
kit's replica rule (`leaveflow_kit.replica`): keys `tenant:id`, newest event wins;
`DIRECTORY_VERSION` names that shape, and bootstrap.py rebuilds the replica by replaying
the requests stream when the stored version differs.

Carry-overs are stored one document per employee and new leave year (holding that year's
carry-over entries for every leave type): a year end then writes one document per person,
which is what makes 100,000 people close in seconds rather than minutes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from leaveflow_contracts import Envelope, EventData
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.events import record
from leaveflow_kit.replica import DELETED, Replica, Stamp, replica_key
from leaveflow_kit.storage import Between, Doc, IndexSpec, Store, Transaction

from ..domain.calendar import LeaveYear
from ..domain.ledger import LedgerEntry
from ..domain.policy import Policy, policy_key
from ..domain.replicas import (
    AllowanceOverride,
    DepartmentReplica,
    EmployeeReplica,
    LeaveTypeReplica,
    LocationReplica,
    Reservation,
)
from ..domain.year_end import RUNNING, YearEndJob
from .ledger_docs import entries_from_docs, entry_to_doc

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
    # A person's entries of one leave year are a range of this index (`entries(within=)`);
    # all of them, its (tenant_id, employee_id) prefix.
    IndexSpec(LEDGER, ("tenant_id", "employee_id", "effective_date")),
    # What the one above replaced (issue 19): dropped from files made before it.
    IndexSpec(LEDGER, ("tenant_id", "employee_id"), retired=True),
    IndexSpec(LEDGER, ("tenant_id", "leave_year")),
    IndexSpec(CARRYOVERS, ("tenant_id", "employee_id")),
    IndexSpec(CARRYOVERS, ("tenant_id", "year")),
    IndexSpec(LEAVE_TYPES, ("tenant_id",)),
    IndexSpec(LEAVE_TYPES, ("id",)),
    IndexSpec(LOCATIONS, ("tenant_id",)),
    IndexSpec(LOCATIONS, ("id",)),
    IndexSpec(DEPARTMENTS, ("tenant_id",)),
    IndexSpec(EMPLOYEES, ("tenant_id",)),
    IndexSpec(EMPLOYEES, ("tenant_id", "location_id")),
    IndexSpec(EMPLOYEES, ("tenant_id", "department_id")),
    IndexSpec(POLICIES, ("tenant_id",)),
    IndexSpec(YEAR_ENDS, ("state",)),
)
T = TypeVar("T")

# Version 1 keyed these by the bare id, last write winning; 2 is the kit's replica rule.
DIRECTORY_VERSION = 2
DIRECTORY = (LOCATIONS, LEAVE_TYPES, EMPLOYEES, DEPARTMENTS)
_LOCATIONS, _LEAVE_TYPES, _EMPLOYEES, _DEPARTMENTS = (Replica(c) for c in DIRECTORY)
_LIVE: dict[str, None] = {DELETED: None}


class _Source(Protocol):
    """What a `Transaction` and a `Store` both offer for reading."""

    async def get(self, collection: str, key: str) -> Doc | None: ...

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]: ...


def carryover_key(tenant_id: str, employee_id: str, year: int) -> str:
    return f"{tenant_id}:{employee_id}:{year}"


def override_key(tenant_id: str, employee_id: str, leave_type_id: str, year: int) -> str:
    return f"{tenant_id}:{employee_id}:{leave_type_id}:{year}"


def balance_guard_key(tenant_id: str, employee_id: str, leave_type_id: str) -> str:
    return f"{tenant_id}:{employee_id}:{leave_type_id}"


class _Documents:
    """`ports.Reads` on a transaction or on the store (the HTTP side reads outside any)."""

    def __init__(self, source: _Source) -> None:
        self._source = source

    async def leave_type(self, tenant_id: str, leave_type_id: str) -> LeaveTypeReplica | None:
        doc = await _LEAVE_TYPES.get(self._source, tenant_id, leave_type_id)
        return from_doc(LeaveTypeReplica, doc) if doc else None

    async def location(self, tenant_id: str, location_id: str) -> LocationReplica | None:
        doc = await _LOCATIONS.get(self._source, tenant_id, location_id)
        return from_doc(LocationReplica, doc) if doc else None

    async def employee(self, tenant_id: str, employee_id: str) -> EmployeeReplica | None:
        doc = await _EMPLOYEES.get(self._source, tenant_id, employee_id)
        return from_doc(EmployeeReplica, doc) if doc else None

    async def policy(self, tenant_id: str, location_id: str, leave_type_id: str) -> Policy | None:
        doc = await self._source.get(POLICIES, policy_key(tenant_id, location_id, leave_type_id))
        return from_doc(Policy, doc) if doc else None

    async def policies(self, tenant_id: str) -> list[Policy]:
        docs = await self._source.find(POLICIES, {"tenant_id": tenant_id})
        return [from_doc(Policy, d) for d in docs]

    async def override(
        self, tenant_id: str, employee_id: str, leave_type_id: str, year: int
    ) -> AllowanceOverride | None:
        doc = await self._source.get(
            OVERRIDES, override_key(tenant_id, employee_id, leave_type_id, year)
        )
        return from_doc(AllowanceOverride, doc) if doc else None

    async def entries(
        self, tenant_id: str, employee_id: str, *, within: LeaveYear | None = None
    ) -> list[LedgerEntry]:
        # Only the entries of the window are read: a balance needs one year of them, and
        # reading and decoding every year of a long history was most of a balance query's
        # time (the store reads the range of the index, ISO days sorting as the days do).
        where: dict[str, Any] = {"tenant_id": tenant_id, "employee_id": employee_id}
        if within is None:
            sheets = await self._source.find(CARRYOVERS, where)
            entries = entries_from_docs(await self._source.find(LEDGER, where))
            for sheet in sheets:
                entries += entries_from_docs(sheet["entries"])
            return entries
        low, high = within.start.isoformat(), within.end.isoformat()
        where["effective_date"] = Between(low, high)
        entries = entries_from_docs(await self._source.find(LEDGER, where))
        # The sheet of year L carries into the leave year that started in calendar year L
        # (on its first day): a window labelled W starts in W and ends by W + 1, so only
        # sheets W and W + 1 can hold its entries, even if the year's start moved since.
        for year in (within.label, within.label + 1):
            found = await self._source.get(CARRYOVERS, carryover_key(tenant_id, employee_id, year))
            if found is not None:
                entries += entries_from_docs(found["entries"], low, high)
        return entries

    async def approves_for(self, tenant_id: str, approver_id: str, department_id: str) -> bool:
        doc = await _DEPARTMENTS.get(self._source, tenant_id, department_id)
        return doc is not None and doc["active"] and approver_id in doc["approver_ids"]

    async def year_end_job(self, job_id: str) -> YearEndJob | None:
        doc = await self._source.get(YEAR_ENDS, job_id)
        return from_doc(YearEndJob, doc) if doc else None


class Repository(_Documents):
    """`ports.Repository` over one store transaction."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(tx)
        self.tx = tx

    async def reservation(self, request_id: str) -> Reservation | None:
        doc = await self.tx.get(RESERVATIONS, request_id)
        return from_doc(Reservation, doc) if doc else None

    async def _upsert(self, replica: Replica, record: Any, at: Stamp) -> bool:
        doc = to_doc(record)
        return await replica.upsert(self.tx, doc["tenant_id"], doc["id"], doc, at) is not None

    async def upsert_leave_type(self, leave_type: LeaveTypeReplica, at: Stamp) -> bool:
        return await self._upsert(_LEAVE_TYPES, leave_type, at)

    async def upsert_location(self, location: LocationReplica, at: Stamp) -> bool:
        return await self._upsert(_LOCATIONS, location, at)

    async def upsert_employee(self, employee: EmployeeReplica, at: Stamp) -> bool:
        return await self._upsert(_EMPLOYEES, employee, at)

    async def upsert_department(self, department: DepartmentReplica, at: Stamp) -> bool:
        return await self._upsert(_DEPARTMENTS, department, at)

    async def save_policy(self, policy: Policy) -> None:
        await self.tx.put(POLICIES, policy.key, to_doc(policy))

    async def save_override(self, override: AllowanceOverride) -> None:
        key = override_key(
            override.tenant_id, override.employee_id, override.leave_type_id, override.year
        )
        await self.tx.put(OVERRIDES, key, to_doc(override))

    async def save_reservation(self, reservation: Reservation) -> None:
        await self.tx.put(RESERVATIONS, reservation.id, to_doc(reservation))

    async def touch_balance_guard(
        self, tenant_id: str, employee_id: str, leave_type_id: str
    ) -> None:
        key = balance_guard_key(tenant_id, employee_id, leave_type_id)
        doc = await self.tx.get(BALANCE_GUARDS, key) or {"tenant_id": tenant_id, "writes": 0}
        await self.tx.put(BALANCE_GUARDS, key, {**doc, "writes": doc["writes"] + 1})

    async def add_entry(self, entry: LedgerEntry) -> bool:
        # Checked before inserting: a failed write aborts the whole transaction (MongoDB
        # semantics, which every adapter follows), so DuplicateKey cannot be caught here.
        if await self.tx.get(LEDGER, entry.id) is not None:
            return False
        await self.tx.insert(LEDGER, entry.id, entry_to_doc(entry))
        return True

    async def save_carryovers(
        self, year: int, sheets: Sequence[tuple[EmployeeReplica, list[LedgerEntry]]]
    ) -> None:
        # One document per employee and year, for every leave type, and one statement for
        # the batch (`put_many`): a year end then writes a thousand people at once, which
        # is what closes 100,000 people in seconds.
        await self.tx.put_many(
            CARRYOVERS,
            [
                (
                    carryover_key(employee.tenant_id, employee.id, year),
                    {
                        "tenant_id": employee.tenant_id,
                        "employee_id": employee.id,
                        "location_id": employee.location_id,
                        "year": year,
                        "entries": [entry_to_doc(e) for e in entries],
                    },
                )
                for employee, entries in sheets
            ],
        )

    async def save_year_end_job(self, job: YearEndJob) -> None:
        await self.tx.put(YEAR_ENDS, job.id, to_doc(job))

    def record(
        self, data: EventData, *, tenant_id: str, actor: str, cause: Envelope | None = None
    ) -> Envelope:
        return record(self.tx, data, tenant_id=tenant_id, actor=actor, cause=cause)


class StoreUnitOfWork:
    """`ports.UnitOfWork`: one store transaction per use case."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def run(self, work: Callable[[Repository], Awaitable[T]]) -> T:
        async def in_transaction(tx: Transaction) -> T:
            return await work(Repository(tx))

        return await self._store.atomic(in_transaction)


class StoreReads(_Documents):
    """`ports.ReadModel`: plain reads on the store, outside any transaction."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._store = store

    async def locations(self, tenant_id: str) -> list[LocationReplica]:
        docs = await _LOCATIONS.find(self._store, tenant_id)
        return [from_doc(LocationReplica, d) for d in docs]

    async def active_locations(self) -> list[LocationReplica]:
        docs = await self._store.find(LOCATIONS, {"active": True, **_LIVE})
        return [from_doc(LocationReplica, d) for d in docs]

    async def _employees(
        self, tenant_id: str, where: Mapping[str, str], limit: int | None, after: str | None
    ) -> list[EmployeeReplica]:
        # Keys are `tenant:id`, so within a tenant they sort as the ids the cursors name.
        docs = await self._store.find(
            EMPLOYEES,
            {**where, "tenant_id": tenant_id, **_LIVE},
            limit=limit,
            after_key=None if after is None else replica_key(tenant_id, after),
        )
        return [from_doc(EmployeeReplica, d) for d in docs]

    async def employees(
        self, tenant_id: str, *, filters: Mapping[str, str], limit: int, after: str | None
    ) -> list[EmployeeReplica]:
        return await self._employees(tenant_id, filters, limit, after)

    async def employees_at(
        self, tenant_id: str, location_id: str, *, limit: int | None = None, after: str | None
    ) -> list[EmployeeReplica]:
        return await self._employees(tenant_id, {"location_id": location_id}, limit, after)

    async def count_employees_at(self, tenant_id: str, location_id: str) -> int:
        where = {"tenant_id": tenant_id, "location_id": location_id, **_LIVE}
        return await self._store.count(EMPLOYEES, where)

    async def departments(self, tenant_id: str) -> list[DepartmentReplica]:
        docs = await _DEPARTMENTS.find(self._store, tenant_id)
        return [from_doc(DepartmentReplica, d) for d in docs]

    async def departments_approved_by(self, tenant_id: str, approver_id: str) -> set[str]:
        docs = await _DEPARTMENTS.find(self._store, tenant_id)
        return {d["id"] for d in docs if d["active"] and approver_id in d["approver_ids"]}

    async def owned_by_another_tenant(
        self, tenant_id: str, *, location_id: str, leave_type_id: str
    ) -> bool:
        for collection, record_id in ((LOCATIONS, location_id), (LEAVE_TYPES, leave_type_id)):
            owners = {d["tenant_id"] for d in await self._store.find(collection, {"id": record_id})}
            if owners and tenant_id not in owners:
                return True
        return False

    async def year_entries(self, tenant_id: str, year: int) -> list[LedgerEntry]:
        where = {"tenant_id": tenant_id, "leave_year": year}
        entries = entries_from_docs(await self._store.find(LEDGER, where))
        for sheet in await self._store.find(CARRYOVERS, {"tenant_id": tenant_id, "year": year}):
            entries += entries_from_docs(sheet["entries"])
        return entries

    async def carried_into(self, tenant_id: str, year: int) -> set[str]:
        docs = await self._store.find(CARRYOVERS, {"tenant_id": tenant_id, "year": year})
        return {d["employee_id"] for d in docs}

    async def overrides_of_year(self, tenant_id: str, year: int) -> list[AllowanceOverride]:
        docs = await self._store.find(OVERRIDES, {"tenant_id": tenant_id, "year": year})
        return [from_doc(AllowanceOverride, d) for d in docs]

    async def running_year_ends(self) -> list[YearEndJob]:
        docs = await self._store.find(YEAR_ENDS, {"state": RUNNING})
        return [from_doc(YearEndJob, d) for d in docs]

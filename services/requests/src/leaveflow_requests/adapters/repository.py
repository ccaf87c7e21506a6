"""The requests service's documents in the store: the repository, unit of work and read
model that `service_layer/ports.py` declares."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from datetime import date
from typing import Any, Protocol, TypeVar

from leaveflow_contracts import Envelope, EventData
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.events import record
from leaveflow_kit.replica import Replica
from leaveflow_kit.storage import Between, IndexSpec, Store, Transaction, tenant_get

from ..domain.blackouts import Blackout
from ..domain.directory import Department, Employee, LeaveType, Location, Tenant
from ..domain.model import APPROVED, LIVE_STATUSES, PENDING, LeaveRequest
from ..domain.request_rules import RequestRules
from ..domain.substitution import Substitution
from ..domain.toil import ToilClaim
from ..service_layer.ports import Record
from .identity import IDENTITY_INDEXES, IdentityReads, IdentityWrites

TENANTS, EMPLOYEES, LEAVE_TYPES, LEAVE_REQUESTS, LOCATIONS, DEPARTMENTS = (
    "tenants",
    "employees",
    "leave_types",
    "leave_requests",
    "locations",
    "departments",
)
SUBSTITUTIONS = "substitutions"
BLACKOUTS = "blackouts"
TOIL_CLAIMS = "toil_claims"
# Every event this service records, per tenant, for the SSE stream. Keys are the event
# ids, which are time-ordered, so a tenant's log reads in id order and an SSE
# `Last-Event-ID` is a plain cursor.
EVENT_LOG = "event_log"
# Replica of the balances service's policies: a leave type is available at a location only
# while an active policy exists for the pair (service_layer/policies.py keeps it).
POLICIES = "policies"

INDEXES = (
    IndexSpec(EMPLOYEES, ("tenant_id", "email"), unique=True),
    # Every submission and decision names the deciders (a department's approvers, the
    # admins): without these, each scanned the whole tenant's employees. The department and
    # location ones also serve GET /v1/employees?department_id=|location_id= (the team
    # calendar).
    IndexSpec(EMPLOYEES, ("tenant_id", "role")),
    IndexSpec(EMPLOYEES, ("tenant_id", "department_id")),
    IndexSpec(EMPLOYEES, ("tenant_id", "location_id")),
    # The tenant's whole list, GET /v1/employees: read a page at a time in key order from
    # this index; through one of the others each page sorted the whole tenant (issue 19).
    IndexSpec(EMPLOYEES, ("tenant_id",)),
    IndexSpec(LEAVE_TYPES, ("tenant_id",)),
    IndexSpec(LOCATIONS, ("tenant_id",)),
    IndexSpec(DEPARTMENTS, ("tenant_id",)),
    # A person's requests, a page at a time (their list), and those that end on or after
    # a day: what every submission, edit and approver-on-leave check asks. On the first
    # alone each of those read and decoded the person's whole history (issue 19); on the
    # second alone a page of the list sorted all of it (ADR 0014).
    IndexSpec(LEAVE_REQUESTS, ("tenant_id", "employee_id")),
    IndexSpec(LEAVE_REQUESTS, ("tenant_id", "employee_id", "end_date")),
    IndexSpec(LEAVE_REQUESTS, ("tenant_id", "status")),
    IndexSpec(LEAVE_REQUESTS, ("tenant_id", "leave_type_id")),
    IndexSpec(EVENT_LOG, ("tenant_id",)),
    IndexSpec(POLICIES, ("tenant_id",)),
    IndexSpec(SUBSTITUTIONS, ("tenant_id",)),
    IndexSpec(LEAVE_REQUESTS, ("status",)),
    IndexSpec(BLACKOUTS, ("tenant_id",)),
    IndexSpec(TOIL_CLAIMS, ("tenant_id",)),
    IndexSpec(TOIL_CLAIMS, ("tenant_id", "employee_id")),
    IndexSpec(TOIL_CLAIMS, ("tenant_id", "status")),
    *IDENTITY_INDEXES,
)

_COLLECTION: dict[type[Any], str] = {
    Tenant: TENANTS,
    Employee: EMPLOYEES,
    LeaveType: LEAVE_TYPES,
    LeaveRequest: LEAVE_REQUESTS,
    Location: LOCATIONS,
    Department: DEPARTMENTS,
    Substitution: SUBSTITUTIONS,
    Blackout: BLACKOUTS,
    ToilClaim: TOIL_CLAIMS,
}


POLICY_REPLICA = Replica(POLICIES)
# Stored shape 1: kit replica documents (newest occurred_at wins) instead of "newest event
# id"; the key (tenant:location:type) is unchanged. Bump on any change of shape or key.
# Shape 2: the policy's request rules (issue 17) are kept too. Shape 3: and whether the
# type is time off in lieu there (`PolicyUpserted.toil`).
POLICIES_VERSION = 3


def policy_id(location_id: str, leave_type_id: str) -> str:
    return f"{location_id}:{leave_type_id}"


T = TypeVar("T")
# The one document the first signup inserts (LEAVEFLOW_SIGNUP_OPEN=first).
_FIRST_SIGNUP = ("installation", "first-signup")


def _from(first: str) -> Between:
    """An ISO date from `first` on."""
    return Between(first, "9999-12-31")


class _Source(Protocol):
    """What a Store and a Transaction both offer."""

    async def get(self, collection: str, key: str) -> dict[str, Any] | None: ...

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[dict[str, Any]]: ...


class _TenantDocuments(IdentityReads):
    """Tenant-scoped typed reads (and the sign-in records'), inside a transaction or not."""

    def __init__(self, source: _Source) -> None:
        self._source = source

    async def _get(self, collection: str, cls: type[T], key: str, tenant_id: str) -> T | None:
        # Another tenant's record, or an empty id, does not exist for this caller.
        doc = await tenant_get(self._source, collection, tenant_id, key)
        return None if doc is None else from_doc(cls, doc)

    async def tenant(self, tenant_id: str) -> Tenant | None:
        doc = await self._source.get(TENANTS, tenant_id) if tenant_id else None
        return from_doc(Tenant, doc) if doc else None

    async def _all(self, collection: str, cls: type[T], tenant_id: str) -> list[T]:
        docs = await self._source.find(collection, {"tenant_id": tenant_id})
        return [from_doc(cls, d) for d in docs]

    async def employee(self, tenant_id: str, employee_id: str) -> Employee | None:
        return await self._get(EMPLOYEES, Employee, employee_id, tenant_id)

    async def employee_by_email(self, tenant_id: str, email: str) -> Employee | None:
        where = {"tenant_id": tenant_id, "email": email}
        docs = await self._source.find(EMPLOYEES, where, limit=1)
        return from_doc(Employee, docs[0]) if docs else None

    async def department(self, tenant_id: str, department_id: str) -> Department | None:
        return await self._get(DEPARTMENTS, Department, department_id, tenant_id)

    async def location(self, tenant_id: str, location_id: str) -> Location | None:
        return await self._get(LOCATIONS, Location, location_id, tenant_id)

    async def leave_type(self, tenant_id: str, leave_type_id: str) -> LeaveType | None:
        return await self._get(LEAVE_TYPES, LeaveType, leave_type_id, tenant_id)

    async def leave_request(self, tenant_id: str, request_id: str) -> LeaveRequest | None:
        return await self._get(LEAVE_REQUESTS, LeaveRequest, request_id, tenant_id)

    async def policy_rules(
        self, tenant_id: str, location_id: str, leave_type_id: str
    ) -> RequestRules:
        doc = await POLICY_REPLICA.get(
            self._source, tenant_id, policy_id(location_id, leave_type_id)
        )
        if doc is None or not doc["active"] or not doc.get("rules"):
            return RequestRules()
        return from_doc(RequestRules, doc["rules"])

    async def toil_claim(self, tenant_id: str, toil_id: str) -> ToilClaim | None:
        return await self._get(TOIL_CLAIMS, ToilClaim, toil_id, tenant_id)

    async def pending_toil_claims(self, tenant_id: str, employee_id: str) -> list[ToilClaim]:
        where = {"tenant_id": tenant_id, "employee_id": employee_id, "status": PENDING}
        return [from_doc(ToilClaim, d) for d in await self._source.find(TOIL_CLAIMS, where)]

    async def toil_offered(self, tenant_id: str, location_id: str, leave_type_id: str) -> bool:
        doc = await POLICY_REPLICA.get(
            self._source, tenant_id, policy_id(location_id, leave_type_id)
        )
        return doc is not None and bool(doc["active"]) and bool(doc.get("toil"))

    async def live_requests_overlapping(
        self, tenant_id: str, employee_id: str, start: date, end: date
    ) -> list[LeaveRequest]:
        # The index reads only requests ending on or after `start` (ISO dates compare as
        # strings); the rest are filtered on the raw documents, before any is decoded.
        first, last = start.isoformat(), end.isoformat()
        where = {"tenant_id": tenant_id, "employee_id": employee_id, "end_date": _from(first)}
        docs = await self._source.find(LEAVE_REQUESTS, where)
        return [
            from_doc(LeaveRequest, d)
            for d in docs
            if d["status"] in LIVE_STATUSES and d["start_date"] <= last and first <= d["end_date"]
        ]

    async def departments(self, tenant_id: str) -> list[Department]:
        return await self._all(DEPARTMENTS, Department, tenant_id)

    async def blackouts(self, tenant_id: str) -> list[Blackout]:
        return await self._all(BLACKOUTS, Blackout, tenant_id)

    async def blackout(self, tenant_id: str, blackout_id: str) -> Blackout | None:
        return await self._get(BLACKOUTS, Blackout, blackout_id, tenant_id)

    async def locations(self, tenant_id: str) -> list[Location]:
        return await self._all(LOCATIONS, Location, tenant_id)

    async def leave_types(self, tenant_id: str) -> list[LeaveType]:
        return await self._all(LEAVE_TYPES, LeaveType, tenant_id)

    async def employee_ids_in(self, tenant_id: str, department_ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for department_id in sorted(set(department_ids)):
            where = {"tenant_id": tenant_id, "department_id": department_id}
            found.update(d["id"] for d in await self._source.find(EMPLOYEES, where))
        return found

    async def admin_ids(self, tenant_id: str) -> set[str]:
        docs = await self._source.find(EMPLOYEES, {"tenant_id": tenant_id, "role": "admin"})
        return {d["id"] for d in docs}

    async def substitution(self, tenant_id: str, substitution_id: str) -> Substitution | None:
        return await self._get(SUBSTITUTIONS, Substitution, substitution_id, tenant_id)

    async def substitutions(self, tenant_id: str) -> list[Substitution]:
        return await self._all(SUBSTITUTIONS, Substitution, tenant_id)

    async def on_approved_leave(self, tenant_id: str, employee_id: str, day: date) -> bool:
        wanted = day.isoformat()
        where = {"tenant_id": tenant_id, "employee_id": employee_id, "end_date": _from(wanted)}
        return any(
            d["status"] == APPROVED and d["start_date"] <= wanted
            for d in await self._source.find(LEAVE_REQUESTS, where)
        )

    async def pending_requests(self, tenant_id: str | None) -> list[LeaveRequest]:
        where: dict[str, Any] = {"status": PENDING}
        if tenant_id is not None:
            where["tenant_id"] = tenant_id
        return [from_doc(LeaveRequest, d) for d in await self._source.find(LEAVE_REQUESTS, where)]


class Repository(_TenantDocuments, IdentityWrites):
    """`ports.Repository` over one store transaction."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(tx)
        self.tx = tx

    async def employees_at(self, tenant_id: str, location_id: str) -> list[Employee]:
        docs = await self.tx.find(EMPLOYEES, {"tenant_id": tenant_id, "location_id": location_id})
        return [from_doc(Employee, d) for d in docs]

    async def leave_type_used(self, tenant_id: str, leave_type_id: str) -> bool:
        where = {"tenant_id": tenant_id, "leave_type_id": leave_type_id}
        return bool(await self.tx.find(LEAVE_REQUESTS, where, limit=1))

    async def offers(self, tenant_id: str, location_id: str, leave_type_id: str) -> bool:
        doc = await POLICY_REPLICA.get(self.tx, tenant_id, policy_id(location_id, leave_type_id))
        return doc is not None and bool(doc["active"])

    async def save_policy(
        self,
        tenant_id: str,
        location_id: str,
        leave_type_id: str,
        *,
        active: bool,
        at: Envelope,
        rules: RequestRules | None = None,
        toil: bool = False,
    ) -> bool:
        doc = {
            "location_id": location_id,
            "leave_type_id": leave_type_id,
            "active": active,
            "rules": to_doc(rules or RequestRules()),
            "toil": toil,
        }
        stored = await POLICY_REPLICA.upsert(
            self.tx, tenant_id, policy_id(location_id, leave_type_id), doc, at
        )
        return stored is not None

    async def add_tenant(self, tenant: Tenant) -> None:
        await self.tx.insert(TENANTS, tenant.id, to_doc(tenant))

    async def any_tenant(self) -> bool:
        return bool(await self.tx.find(TENANTS, {}, limit=1))

    async def claim_first_signup(self, tenant_id: str) -> bool:
        if await self.tx.get(*_FIRST_SIGNUP) is not None:
            return False
        await self.tx.insert(*_FIRST_SIGNUP, {"tenant_id": tenant_id})
        return True

    async def add_employee(self, employee: Employee) -> None:
        await self.tx.insert(EMPLOYEES, employee.id, to_doc(employee))

    async def save(self, record: Record) -> None:
        await self.tx.put(_COLLECTION[type(record)], record.id, to_doc(record))

    async def delete_leave_type(self, leave_type_id: str) -> None:
        await self.tx.delete(LEAVE_TYPES, leave_type_id)

    async def delete_substitution(self, substitution_id: str) -> None:
        await self.tx.delete(SUBSTITUTIONS, substitution_id)

    async def delete_blackout(self, blackout_id: str) -> None:
        await self.tx.delete(BLACKOUTS, blackout_id)

    async def record(
        self,
        data: EventData,
        *,
        tenant_id: str,
        actor: str | None = None,
        correlation_id: str | None = None,
        cause: Envelope | None = None,
    ) -> Envelope:
        envelope = record(
            self.tx,
            data,
            tenant_id=tenant_id,
            actor=actor,
            correlation_id=correlation_id,
            cause=cause,
        )
        await self.tx.insert(
            EVENT_LOG,
            envelope.event_id,
            {
                "id": envelope.event_id,
                "tenant_id": envelope.tenant_id,
                "type": envelope.type,
                # Whose event it is, for the stream's visibility rule (None: directory-wide).
                "employee_id": getattr(data, "employee_id", None),
                "envelope": envelope.model_dump(mode="json"),
            },
        )
        return envelope


class StoreUnitOfWork:
    """`ports.UnitOfWork`: one store transaction per use case."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def run(self, work: Callable[[Repository], Awaitable[T]]) -> T:
        async def in_transaction(tx: Transaction) -> T:
            return await work(Repository(tx))

        return await self._store.atomic(in_transaction)


class StoreReads(_TenantDocuments):
    """`ports.ReadModel`: plain reads on the store, outside any transaction."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._store = store

    async def _page(
        self, collection: str, where: dict[str, Any], limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        docs = await self._store.find(collection, where, limit=limit + 1, after_key=cursor)
        next_cursor = docs[limit - 1]["id"] if len(docs) > limit else None
        return docs[:limit], next_cursor

    async def employees_of(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        department_id: str | None = None,
        location_id: str | None = None,
    ) -> tuple[list[Employee], str | None]:
        where = {"tenant_id": tenant_id}
        if department_id:
            where["department_id"] = department_id
        if location_id:
            where["location_id"] = location_id
        docs, next_cursor = await self._page(EMPLOYEES, where, limit, cursor)
        return [from_doc(Employee, d) for d in docs], next_cursor

    async def leave_requests(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        start: date | None,
        end: date | None,
        filters: Mapping[str, str],
        employee_ids: Collection[str] | None = None,
    ) -> tuple[list[LeaveRequest], str | None]:
        where: dict[str, Any] = {"tenant_id": tenant_id, **filters}
        if start is None and end is None and employee_ids is None:
            docs, next_cursor = await self._page(LEAVE_REQUESTS, where, limit, cursor)
            return [from_doc(LeaveRequest, d) for d in docs], next_cursor
        # The store filters by equality only, so the window and the set of employees are
        # applied while scanning.
        first = start.isoformat() if start else ""
        last = end.isoformat() if end else "9999-12-31"

        def wanted(doc: dict[str, Any]) -> bool:
            if employee_ids is not None and doc["employee_id"] not in employee_ids:
                return False
            return bool(doc["start_date"] <= last and first <= doc["end_date"])

        found: list[dict[str, Any]] = []
        scanned = cursor
        exhausted = False
        while len(found) < limit and not exhausted:
            batch = await self._store.find(LEAVE_REQUESTS, where, limit=limit, after_key=scanned)
            exhausted = len(batch) < limit
            for doc in batch:
                scanned = doc["id"]
                if wanted(doc):
                    found.append(doc)
                    if len(found) == limit:
                        break
        next_cursor = None
        if len(found) == limit and await self._store.find(
            LEAVE_REQUESTS, where, limit=1, after_key=scanned
        ):
            next_cursor = scanned
        return [from_doc(LeaveRequest, d) for d in found], next_cursor

    async def toil_claims(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        filters: Mapping[str, str],
        employee_ids: Collection[str] | None = None,
    ) -> tuple[list[ToilClaim], str | None]:
        where: dict[str, Any] = {"tenant_id": tenant_id, **filters}
        if employee_ids is None:
            docs, next_cursor = await self._page(TOIL_CLAIMS, where, limit, cursor)
            return [from_doc(ToilClaim, d) for d in docs], next_cursor
        # The store filters by equality only: the set of people is applied while scanning.
        found: list[dict[str, Any]] = []
        scanned = cursor
        exhausted = False
        while len(found) < limit and not exhausted:
            batch = await self._store.find(TOIL_CLAIMS, where, limit=limit, after_key=scanned)
            exhausted = len(batch) < limit
            for doc in batch:
                scanned = doc["id"]
                if doc["employee_id"] in employee_ids:
                    found.append(doc)
                    if len(found) == limit:
                        break
        next_cursor = None
        if len(found) == limit and await self._store.find(
            TOIL_CLAIMS, where, limit=1, after_key=scanned
        ):
            next_cursor = scanned
        return [from_doc(ToilClaim, d) for d in found], next_cursor

    async def locations_by_leave_type(self, tenant_id: str) -> dict[str, list[str]]:
        available: dict[str, list[str]] = defaultdict(list)
        for doc in await POLICY_REPLICA.find(self._store, tenant_id):
            if doc["active"]:
                available[doc["leave_type_id"]].append(doc["location_id"])
        return dict(available)

    async def events_after(self, tenant_id: str, after: str, *, limit: int) -> list[dict[str, Any]]:
        return await self._store.find(
            EVENT_LOG, {"tenant_id": tenant_id}, limit=limit, after_key=after
        )

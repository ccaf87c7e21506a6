"""The tenant as every read starts from: its directory and live leave, joined, in order, as
of one projection `version`, kept in memory and brought up to date from the change log.

Loading a tenant reads all of it (50,000 people take seconds); a tenant held at an older
version is brought forward by re-reading only the records changed since (the change log,
written by the projection in the transaction that bumps the version). When the log no
longer holds every version since (more than a ring's lap behind, or a version bumped by
code that wrote no change), the tenant is loaded again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from leaveflow_kit.documents import from_doc
from leaveflow_kit.storage import Doc, Store

from ..domain.absence import (
    APPROVED,
    PENDING,
    Absence,
    DepartmentReplica,
    LeaveTypeReplica,
    LocationReplica,
    PersonReplica,
    TenantReplica,
)
from ..domain.leave_view import LeaveView, join
from . import projection
from .projection import (
    ABSENCES,
    CHANGES,
    DEPARTMENTS,
    LEAVE_TYPES,
    LOCATIONS,
    PEOPLE,
    REPLICAS,
    TENANTS,
    VERSIONS,
    change_slot_key,
    record_key,
)

T = TypeVar("T")
LIVE = frozenset((APPROVED, PENDING))


@dataclass
class Directory:
    """The tenant's replicas, by id."""

    tenant: TenantReplica | None = None
    people: dict[str, PersonReplica] = field(default_factory=dict)
    leave_types: dict[str, LeaveTypeReplica] = field(default_factory=dict)
    departments: dict[str, DepartmentReplica] = field(default_factory=dict)
    locations: dict[str, LocationReplica] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """The tenant's directory and live leave (approved and pending, joined, in order) as of
    one projection `version`: what every read of the tenant starts from. `absences` are
    the live absences the leaves were joined from, by request id (a changed person or type
    joins theirs again)."""

    version: int
    directory: Directory
    leaves: tuple[LeaveView, ...]
    absences: Mapping[str, Absence] = field(default_factory=dict)


class SnapshotCache(Protocol):
    def get(self, tenant_id: str) -> Snapshot | None: ...

    def put(self, tenant_id: str, snapshot: Snapshot) -> None: ...


_REPLICA_TYPES: dict[str, type[Any]] = {
    PEOPLE: PersonReplica,
    LEAVE_TYPES: LeaveTypeReplica,
    DEPARTMENTS: DepartmentReplica,
    LOCATIONS: LocationReplica,
}
_DIRECTORY_FIELDS = {
    PEOPLE: "people",
    LEAVE_TYPES: "leave_types",
    DEPARTMENTS: "departments",
    LOCATIONS: "locations",
}


# Values most records of a tenant repeat: every decoded document has its own copy of each,
# and a snapshot lives long. One copy each: 53 -> 42 MB for 50,000 people.
_REPEATED = ("tenant_id", "department_id", "location_id", "role")


def _shared(doc: Doc, pool: dict[str, str]) -> Doc:
    for name in _REPEATED:
        value = doc.get(name)
        if isinstance(value, str):
            doc[name] = pool.setdefault(value, value)
    return doc


async def _by_id(store: Store, collection: str, cls: type[T], tenant_id: str) -> dict[str, T]:
    docs = await REPLICAS[collection].find(store, tenant_id)
    pool: dict[str, str] = {}
    return {d["id"]: from_doc(cls, _shared(d, pool)) for d in docs}


async def load_directory(store: Store, tenant_id: str) -> Directory:
    tenant = await REPLICAS[TENANTS].get(store, tenant_id, tenant_id)
    return Directory(
        tenant=from_doc(TenantReplica, tenant) if tenant else None,
        people=await _by_id(store, PEOPLE, PersonReplica, tenant_id),
        leave_types=await _by_id(store, LEAVE_TYPES, LeaveTypeReplica, tenant_id),
        departments=await _by_id(store, DEPARTMENTS, DepartmentReplica, tenant_id),
        locations=await _by_id(store, LOCATIONS, LocationReplica, tenant_id),
    )


async def load_absences(store: Store, tenant_id: str) -> dict[str, Absence]:
    """The tenant's live absences (approved or pending), by request id."""
    return {
        doc["id"]: from_doc(Absence, doc)
        for doc in await store.find(ABSENCES, {"tenant_id": tenant_id})
        if doc["status"] in LIVE
    }


def _view(absence: Absence, directory: Directory) -> LeaveView | None:
    return join(
        absence,
        directory.people.get(absence.employee_id),
        directory.leave_types.get(absence.leave_type_id),
    )


def _ordered(views: Iterable[LeaveView]) -> tuple[LeaveView, ...]:
    return tuple(sorted(views, key=lambda v: (v.start_date, v.employee_id, v.request_id)))


def joined(absences: Iterable[Absence], directory: Directory) -> tuple[LeaveView, ...]:
    """The views of `absences`, ordered by start date, then person, then request."""
    return _ordered(v for a in absences if (v := _view(a, directory)) is not None)


async def tenant_version(store: Store, tenant_id: str) -> int:
    found = await store.get(VERSIONS, tenant_id)
    return int(found["version"]) if found else 0


async def load(store: Store, tenant_id: str, version: int) -> Snapshot:
    """The whole tenant, labelled `version` (read before the data by the caller)."""
    directory = await load_directory(store, tenant_id)
    absences = await load_absences(store, tenant_id)
    return Snapshot(version, directory, joined(absences.values(), directory), absences)


async def _slots(store: Store, tenant_id: str, first: int, count: int) -> list[Doc]:
    """`count` change records from slot `first` on, in slot order. Keys are the tenant's
    id and the slot, so the scan runs along the key index and stops after `count`."""
    after = change_slot_key(tenant_id, first - 1) if first else f"{tenant_id}/"
    return await store.find(CHANGES, {"tenant_id": tenant_id}, after_key=after, limit=count)


async def _changes_since(
    store: Store, held: Snapshot, tenant_id: str, current: int
) -> list[Doc] | None:
    """The change records of versions after the held one up to `current`, in order; None
    when the ring no longer holds them all (overwritten a lap later, or never written)."""
    kept = projection.CHANGES_KEPT
    wanted = current - held.version
    if not 0 < wanted <= kept:
        return None
    first = (held.version + 1) % kept
    head = min(wanted, kept - first)
    found = await _slots(store, tenant_id, first, head)
    if wanted > head:  # round the ring: the rest from its first slot
        found += await _slots(store, tenant_id, 0, wanted - head)
    if [int(c["version"]) for c in found] != list(range(held.version + 1, current + 1)):
        return None
    return found


async def _replica(store: Store, collection: str, tenant_id: str, record_id: str) -> Any:
    doc = await REPLICAS[collection].get(store, tenant_id, record_id)
    return from_doc(_REPLICA_TYPES[collection], doc) if doc else None


async def refreshed(store: Store, held: Snapshot, tenant_id: str, current: int) -> Snapshot | None:
    """`held` brought forward to `current` by the records changed since its version; None
    when the change log cannot say what changed (then the tenant is loaded again).

    Each changed record is read as it is now, so a change newer than `current` (committed
    since it was read) only makes the snapshot newer than its label (one more refresh)."""
    changes = await _changes_since(store, held, tenant_id, current)
    if changes is None:
        return None
    touched: dict[str, set[str]] = {}
    for change in changes:
        touched.setdefault(str(change["collection"]), set()).add(str(change["record_id"]))
    directory = await _directory_after(store, held.directory, tenant_id, touched)
    absences: dict[str, Absence] = dict(held.absences)
    for request_id in touched.get(ABSENCES, ()):
        doc = await store.get(ABSENCES, record_key(tenant_id, request_id))
        if doc is not None and doc.get("status") in LIVE:
            absences[request_id] = from_doc(Absence, doc)
        else:
            absences.pop(request_id, None)
    # Joined again: the changed absences, and every absence of a changed person or type.
    people, types = touched.get(PEOPLE, set()), touched.get(LEAVE_TYPES, set())
    stale = touched.get(ABSENCES, set()) | {
        a.id for a in absences.values() if a.employee_id in people or a.leave_type_id in types
    }
    kept = [v for v in held.leaves if v.request_id not in stale]
    fresh = [
        v for rid in stale if (a := absences.get(rid)) and (v := _view(a, directory)) is not None
    ]
    return Snapshot(current, directory, _ordered([*kept, *fresh]), absences)


async def _directory_after(
    store: Store, held: Directory, tenant_id: str, touched: Mapping[str, set[str]]
) -> Directory:
    """A copy of `held` with the touched replicas read again (collections not touched are
    shared with `held`: a snapshot is never changed once made)."""
    updates: dict[str, Any] = {}
    for collection, name in _DIRECTORY_FIELDS.items():
        ids = touched.get(collection)
        if not ids:
            continue
        records = dict(getattr(held, name))
        for record_id in ids:
            record = await _replica(store, collection, tenant_id, record_id)
            if record is None:
                records.pop(record_id, None)
            else:
                records[record_id] = record
        updates[name] = records
    if touched.get(TENANTS):
        tenant = await REPLICAS[TENANTS].get(store, tenant_id, tenant_id)
        updates["tenant"] = from_doc(TenantReplica, tenant) if tenant else None
    return replace(held, **updates) if updates else held


async def snapshot(
    store: Store, snapshots: SnapshotCache, tenant_id: str, version: int | None = None
) -> Snapshot:
    """The tenant's snapshot, brought up to date only when its version moved.

    The version is read *before* the data: a change committed in between makes the data
    newer than its label, which costs one more refresh later, never a stale answer."""
    current = await tenant_version(store, tenant_id) if version is None else version
    cached = snapshots.get(tenant_id)
    if cached is not None and cached.version >= current:
        return cached
    made = await refreshed(store, cached, tenant_id, current) if cached is not None else None
    if made is None:
        made = await load(store, tenant_id, current)
    latest = snapshots.get(tenant_id)
    # Another read may have put a newer one meanwhile: keep the newest.
    if latest is None or latest.version <= made.version:
        snapshots.put(tenant_id, made)
    return made

"""The read side: who is off, joined with today's directory (so renames follow at once).

Visibility (docs/architecture.md, "Where authorisation lives"): "who is off" is a
directory-level fact (the team calendar), so *approved* leave is visible to every member
of the tenant, without reasons or notes (the projection keeps none). Pending leave is a
request still in its workflow and follows the one visibility rule (`Scope`): an admin sees
the tenant's, an approver their departments' people's and their own, a user their own.
The same rule decides who sees the type of a private leave; everyone else sees "Away".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar

from leaveflow_kit.auth import Principal
from leaveflow_kit.auth.scope import Scope, scope_of
from leaveflow_kit.documents import from_doc
from leaveflow_kit.storage import Store

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
from .projection import (
    ABSENCES,
    DEPARTMENTS,
    LEAVE_TYPES,
    LOCATIONS,
    PEOPLE,
    REPLICAS,
    TENANTS,
    VERSIONS,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Viewer:
    tenant_id: str
    employee_id: str
    role: str

    @property
    def principal(self) -> Principal:
        return Principal(self.tenant_id, self.employee_id, self.role)


@dataclass
class Directory:
    """The tenant's replicas, by id."""

    tenant: TenantReplica | None = None
    people: dict[str, PersonReplica] = field(default_factory=dict)
    leave_types: dict[str, LeaveTypeReplica] = field(default_factory=dict)
    departments: dict[str, DepartmentReplica] = field(default_factory=dict)
    locations: dict[str, LocationReplica] = field(default_factory=dict)


async def _by_id(store: Store, collection: str, cls: type[T], tenant_id: str) -> dict[str, T]:
    docs = await REPLICAS[collection].find(store, tenant_id)
    return {d["id"]: from_doc(cls, d) for d in docs}


async def tenant_timezone(store: Store, tenant_id: str) -> str | None:
    """The company's time zone, as the directory last said (None before it has)."""
    tenant = await REPLICAS[TENANTS].get(store, tenant_id, tenant_id)
    return str(tenant["timezone"]) if tenant and tenant.get("timezone") else None


async def load_directory(store: Store, tenant_id: str) -> Directory:
    tenant = await REPLICAS[TENANTS].get(store, tenant_id, tenant_id)
    return Directory(
        tenant=from_doc(TenantReplica, tenant) if tenant else None,
        people=await _by_id(store, PEOPLE, PersonReplica, tenant_id),
        leave_types=await _by_id(store, LEAVE_TYPES, LeaveTypeReplica, tenant_id),
        departments=await _by_id(store, DEPARTMENTS, DepartmentReplica, tenant_id),
        locations=await _by_id(store, LOCATIONS, LocationReplica, tenant_id),
    )


async def load_leaves(
    store: Store, tenant_id: str, directory: Directory, statuses: Iterable[str]
) -> list[LeaveView]:
    """Every leave of the tenant in `statuses`, joined, ordered by start date then person."""
    wanted = frozenset(statuses)
    views = []
    for doc in await store.find(ABSENCES, {"tenant_id": tenant_id}):
        if doc["status"] not in wanted:
            continue
        absence = from_doc(Absence, doc)
        view = join(
            absence,
            directory.people.get(absence.employee_id),
            directory.leave_types.get(absence.leave_type_id),
        )
        if view is not None:
            views.append(view)
    views.sort(key=lambda v: (v.start_date, v.employee_id, v.request_id))
    return views


def scope_of_viewer(viewer: Viewer, directory: Directory) -> Scope:
    """The viewer's scope by the tenant's active departments and who approves for them."""
    return scope_of(
        viewer.principal,
        ((d.id, d.approver_ids) for d in directory.departments.values() if d.active),
    )


def visible_to(scope: Scope, view: LeaveView) -> bool:
    if view.status == APPROVED:
        return True
    return scope.covers(view.employee_id, view.department_id)


@dataclass(frozen=True)
class Snapshot:
    """The tenant's directory and live leave (approved and pending, joined, in order) as of
    one projection `version`: what every read of the tenant starts from."""

    version: int
    directory: Directory
    leaves: tuple[LeaveView, ...]


class SnapshotCache(Protocol):
    def get(self, tenant_id: str) -> Snapshot | None: ...

    def put(self, tenant_id: str, snapshot: Snapshot) -> None: ...


async def tenant_version(store: Store, tenant_id: str) -> int:
    found = await store.get(VERSIONS, tenant_id)
    return int(found["version"]) if found else 0


async def snapshot(
    store: Store, snapshots: SnapshotCache, tenant_id: str, version: int | None = None
) -> Snapshot:
    """The tenant's snapshot, loaded again only when its version moved.

    The version is read *before* the data: a change committed in between makes the data
    newer than its label, which costs one more load later, never a stale answer."""
    current = await tenant_version(store, tenant_id) if version is None else version
    cached = snapshots.get(tenant_id)
    if cached is not None and cached.version >= current:
        return cached
    directory = await load_directory(store, tenant_id)
    leaves = await load_leaves(store, tenant_id, directory, (APPROVED, PENDING))
    made = Snapshot(version=current, directory=directory, leaves=tuple(leaves))
    snapshots.put(tenant_id, made)
    return made


async def whos_off(
    store: Store,
    snapshots: SnapshotCache,
    viewer: Viewer,
    start: date,
    end: date,
    *,
    department_id: str | None = None,
    location_id: str | None = None,
    include_pending: bool = False,
) -> list[dict[str, object]]:
    tenant = await snapshot(store, snapshots, viewer.tenant_id)
    scope = scope_of_viewer(viewer, tenant.directory)
    return [
        (view if scope.covers(view.employee_id, view.department_id) else view.away()).as_item()
        for view in tenant.leaves
        if view.start_date <= end
        and start <= view.end_date
        and (include_pending or view.status == APPROVED)
        and (department_id is None or view.department_id == department_id)
        and (location_id is None or view.location_id == location_id)
        and visible_to(scope, view)
    ]

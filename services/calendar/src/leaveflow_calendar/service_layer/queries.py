"""The read side: who is off, joined with today's directory (so renames follow at once).

Visibility (docs/architecture.md, "Where authorisation lives"): "who is off" is a
directory-level fact (the team calendar), so *approved* leave is visible to every member
of the tenant, without reasons or notes (the projection keeps none). Pending leave is a
request still in its workflow and follows the one visibility rule (`Scope`): an admin sees
the tenant's, an approver their departments' people's and their own, a user their own.
The same rule decides who sees the type of a private leave; everyone else sees "Away".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from leaveflow_kit.auth import Principal
from leaveflow_kit.auth.scope import Scope, scope_of
from leaveflow_kit.storage import Store

from ..domain.absence import APPROVED
from ..domain.leave_view import LeaveView
from .projection import REPLICAS, TENANTS
from .tenant_snapshot import (
    Directory,
    Snapshot,
    SnapshotCache,
    load_directory,
    snapshot,
    tenant_version,
)

__all__ = [
    "Directory",
    "Snapshot",
    "SnapshotCache",
    "Viewer",
    "load_directory",
    "snapshot",
    "tenant_timezone",
    "tenant_version",
    "whos_off_views",
]


@dataclass(frozen=True)
class Viewer:
    tenant_id: str
    employee_id: str
    role: str

    @property
    def principal(self) -> Principal:
        return Principal(self.tenant_id, self.employee_id, self.role)


async def tenant_timezone(store: Store, tenant_id: str) -> str | None:
    """The company's time zone, as the directory last said (None before it has)."""
    tenant = await REPLICAS[TENANTS].get(store, tenant_id, tenant_id)
    return str(tenant["timezone"]) if tenant and tenant.get("timezone") else None


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


async def whos_off_views(
    store: Store,
    snapshots: SnapshotCache,
    viewer: Viewer,
    start: date,
    end: date,
    *,
    department_id: str | None = None,
    location_id: str | None = None,
    include_pending: bool = False,
) -> list[LeaveView]:
    """The leaves the viewer sees in the window, in order, each as the viewer may see it
    (a private type's as "Away" unless their scope covers the person)."""
    tenant = await snapshot(store, snapshots, viewer.tenant_id)
    scope = scope_of_viewer(viewer, tenant.directory)
    return [
        view if scope.covers(view.employee_id, view.department_id) else view.away()
        for view in tenant.leaves
        if view.start_date <= end
        and start <= view.end_date
        and (include_pending or view.status == APPROVED)
        and (department_id is None or view.department_id == department_id)
        and (location_id is None or view.location_id == location_id)
        and visible_to(scope, view)
    ]

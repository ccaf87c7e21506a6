"""Who may see or change what, checked before a route does anything (docs/architecture.md,
"Where authorisation lives"): admins the tenant, approvers their departments' people and
themselves, everyone else themselves; another tenant's records answer 404."""

from __future__ import annotations

from leaveflow_kit.auth import Principal
from leaveflow_kit.auth.scope import Scope, scope_of
from leaveflow_kit.http import Forbidden, NotFound

from ...domain.replicas import EmployeeReplica
from ...service_layer.ports import ReadModel


def require_admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden("requires role admin")


def require_approver_or_admin(user: Principal) -> None:
    if user.role not in ("admin", "approver"):
        raise Forbidden("requires role approver or admin")


async def scope_for(reads: ReadModel, user: Principal) -> Scope:
    """The caller's scope (`leaveflow_kit.auth.scope`) over the tenant's active
    departments as balances' replica holds them; the role is the current one (the kit's
    standing lookup put it on the principal)."""
    if user.role != "approver":
        # Only an approver's scope depends on the departments (`scope_of`): an admin's or
        # a user's is known without reading them, a query saved on every balance read.
        return scope_of(user, ())
    departments = await reads.departments(user.tenant_id)
    return scope_of(user, ((d.id, d.approver_ids) for d in departments if d.active))


async def viewable(reads: ReadModel, user: Principal, employee_id: str) -> EmployeeReplica:
    """Self, an approver of the employee's department, or an admin; 404 outside the tenant."""
    employee = await reads.employee(user.tenant_id, employee_id)
    if employee is None:
        raise NotFound("no such employee")
    if not (await scope_for(reads, user)).covers(employee.id, employee.department_id):
        raise Forbidden("you may not see this employee's balance")
    return employee


async def departments_seen(
    reads: ReadModel, user: Principal, department_id: str | None
) -> set[str] | None:
    """The departments whose people `user` may list (None: all, for an admin)."""
    scope = await scope_for(reads, user)
    if scope.everyone:
        return None
    if department_id is not None and not scope.covers_department(department_id):
        raise Forbidden("you do not approve for this department")
    return set(scope.department_ids)

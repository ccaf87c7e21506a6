"""Who may see or change what, checked before a route does anything (docs/architecture.md,
"Where authorisation lives"): admins the tenant, approvers their departments' people and
themselves, everyone else themselves; another tenant's records answer 404."""

from __future__ import annotations

from leaveflow_kit.auth import Principal
from leaveflow_kit.http import Forbidden, NotFound

from ...domain.replicas import EmployeeReplica
from ...service_layer.ports import ReadModel


def require_admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden("requires role admin")


def require_approver_or_admin(user: Principal) -> None:
    if user.role not in ("admin", "approver"):
        raise Forbidden("requires role approver or admin")


async def viewable(reads: ReadModel, user: Principal, employee_id: str) -> EmployeeReplica:
    """Self, an approver of the employee's department, or an admin; 404 outside the tenant."""
    employee = await reads.employee(user.tenant_id, employee_id)
    if employee is None:
        raise NotFound("no such employee")
    if user.is_admin or user.employee_id == employee_id:
        return employee
    department_id = employee.department_id
    if (
        user.role == "approver"
        and department_id is not None
        and await reads.approves_for(user.tenant_id, user.employee_id, department_id)
    ):
        return employee
    raise Forbidden("you may not see this employee's balance")


async def departments_seen(
    reads: ReadModel, user: Principal, department_id: str | None
) -> set[str] | None:
    """The departments whose people `user` may list (None: all, for an admin)."""
    if user.is_admin:
        return None
    allowed = await reads.departments_approved_by(user.tenant_id, user.employee_id)
    if department_id is not None and department_id not in allowed:
        raise Forbidden("you do not approve for this department")
    return allowed

"""The visibility rule: whose leave, balances and schedule a caller may see or act on.

Admins see the whole tenant. An approver sees the employees of the departments they
approve for, plus themselves. Everyone else sees only themselves. Every read and write
path of every service asks this one rule, so they cannot drift apart.

    scope = scope_of(user, ((d.id, d.approver_ids) for d in departments))
    if not scope.covers(employee.id, employee.department_id):
        raise NotFound(...)  # another's data: not disclosed

`departments` lists each department with everyone who approves for it now, at any
approval level and substitutes while their substitution holds: the caller knows those
rules, this module only applies them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .tokens import Principal

__all__ = ["Scope", "scope_of"]


@dataclass(frozen=True)
class Scope:
    employee_id: str
    everyone: bool
    department_ids: frozenset[str]

    def covers(self, employee_id: str, department_id: str | None) -> bool:
        """Whether the caller may see (or act for) employee `employee_id` of
        `department_id` (None: in no department)."""
        if self.everyone or employee_id == self.employee_id:
            return True
        return department_id is not None and department_id in self.department_ids

    def covers_department(self, department_id: str) -> bool:
        """Whether the caller may see all of department `department_id` (a
        `?department_id=` filter, a department's calendar feed)."""
        return self.everyone or department_id in self.department_ids


def scope_of(principal: Principal, departments: Iterable[tuple[str, Iterable[str]]]) -> Scope:
    """The caller's scope given `(department_id, approver_ids)` of the tenant's departments.

    Only the approver role gains departments: a user still listed in `approver_ids` after
    a demotion sees no one but themselves."""
    if principal.is_admin:
        return Scope(principal.employee_id, everyone=True, department_ids=frozenset())
    if principal.role != "approver":
        return Scope(principal.employee_id, everyone=False, department_ids=frozenset())
    mine = frozenset(
        department_id
        for department_id, approver_ids in departments
        if principal.employee_id in set(approver_ids)
    )
    return Scope(principal.employee_id, everyone=False, department_ids=mine)

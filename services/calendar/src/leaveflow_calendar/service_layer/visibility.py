"""The one visibility rule, as every service applies it: admins see the tenant, an
approver the employees of the departments they approve for plus themselves, everyone else
themselves. (Stand-in with the kit's `scope_of` shape until `leaveflow_kit.auth.scope`
lands.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leaveflow_kit.auth import Principal


@dataclass(frozen=True)
class Scope:
    employee_id: str
    everyone: bool
    department_ids: frozenset[str]

    def covers(self, employee_id: str, department_id: str | None) -> bool:
        if self.everyone or employee_id == self.employee_id:
            return True
        return department_id is not None and department_id in self.department_ids

    def covers_department(self, department_id: str) -> bool:
        return self.everyone or department_id in self.department_ids


def scope_of(principal: Principal, departments: Iterable[tuple[str, Iterable[str]]]) -> Scope:
    if principal.is_admin:
        return Scope(principal.employee_id, everyone=True, department_ids=frozenset())
    if principal.role != "approver":
        return Scope(principal.employee_id, everyone=False, department_ids=frozenset())
    mine = frozenset(d for d, approvers in departments if principal.employee_id in set(approvers))
    return Scope(principal.employee_id, everyone=False, department_ids=mine)

"""Whose leave a caller may see and act for: THE visibility rule of the requests service.

Admins see the whole tenant; an approver sees the people of the departments they approve
for at some level, or substitute for such an approver today, plus themselves; a user sees
themselves. Every read path (list,
get, stream, working days) and submitting for someone else go through `visibility_of`, so
the rule lives in one place (`_scope`, the kit's `scope_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from leaveflow_kit.auth import Principal
from leaveflow_kit.auth.scope import Scope, scope_of
from leaveflow_kit.clock import SystemClock

from ..domain.directory import Department, Employee
from . import queries
from .commands import Actor
from .ports import Clock, DirectoryReads, ReadModel, Repository


@dataclass(frozen=True)
class Visibility:
    """The caller's scope: everyone (admin), or the employees listed in `employee_ids`."""

    everyone: bool
    self_id: str
    department_ids: frozenset[str] = frozenset()
    employee_ids: frozenset[str] = frozenset()

    def covers(self, employee_id: str) -> bool:
        return self.everyone or employee_id == self.self_id or employee_id in self.employee_ids

    def covers_employee(self, employee: Employee) -> bool:
        """Like `covers`, by the employee's current department (no directory read)."""
        return (
            self.everyone
            or employee.id == self.self_id
            or employee.department_id in self.department_ids
        )


def _scope(
    actor: Actor, departments: Iterable[Department], substitutes: Mapping[str, Iterable[str]]
) -> Scope:
    """The rule itself: the kit's, shared by every service."""
    principal = Principal(actor.tenant_id, actor.employee_id, actor.role)
    return scope_of(
        principal,
        (
            (
                d.id,
                [
                    *d.all_approver_ids(),
                    *(s for a in d.all_approver_ids() for s in substitutes.get(a, ())),
                ],
            )
            for d in departments
        ),
    )


async def _substituting_today(
    reads: DirectoryReads, clock: Clock, actor: Actor
) -> dict[str, list[str]]:
    """{approver: [the actor]} for each approver the actor substitutes for today (in the
    approver's own location's date)."""
    found: dict[str, list[str]] = {}
    for substitution in await reads.substitutions(actor.tenant_id):
        if substitution.substitute_id != actor.employee_id:
            continue
        approver = await reads.employee(actor.tenant_id, substitution.approver_id)
        if approver is not None and substitution.holds_on(
            await queries.employee_today(reads, clock, approver)
        ):
            found[approver.id] = [actor.employee_id]
    return found


async def visibility_of(
    reads: ReadModel | Repository, actor: Actor, clock: Clock | None = None
) -> Visibility:
    """The actor's scope over the CURRENT directory (departments and their members now)."""
    if actor.is_admin:
        return Visibility(everyone=True, self_id=actor.employee_id)
    substitutes = await _substituting_today(reads, clock or SystemClock(), actor)
    scope = _scope(actor, await reads.departments(actor.tenant_id), substitutes)
    members = await reads.employee_ids_in(actor.tenant_id, scope.department_ids)
    return Visibility(
        everyone=scope.everyone,
        self_id=actor.employee_id,
        department_ids=scope.department_ids,
        employee_ids=frozenset(members) | {actor.employee_id},
    )

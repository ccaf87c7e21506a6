"""A caller's standing now: the role and employment the directory holds, not the token's.

Tokens carry the role they were issued with and live for hours, so a demotion or a
departure would otherwise act only when the token expires. A service that keeps a replica
of the employees implements `StandingLookup` over it and hands it to
`build_runtime(..., standing=...)` (or sets `app.state.standing`); `current_user` then
refuses the tokens of people who have left and uses their current role.

    class DirectoryStanding:
        async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
            employee = await replica.employee(tenant_id, employee_id)
            if employee is None:
                return None  # not replicated yet: the token is taken as it is
            return Standing(role=employee.role, active=not has_left(employee, today))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Standing", "StandingLookup"]


@dataclass(frozen=True)
class Standing:
    """The employee's role now, and whether they are still employed: not deleted and their
    `end_date` not before today in their location's (else the tenant's) time zone."""

    role: str
    active: bool


class StandingLookup(Protocol):
    async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
        """The employee's standing, or None when this service does not know them (yet):
        a token issued right after signup reaches a service before the employee does."""
        ...

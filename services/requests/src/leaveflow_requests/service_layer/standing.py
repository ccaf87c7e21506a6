"""A person's standing now, from this service's own directory: their current role, and
whether they still work here. Tokens carry the role they were issued with; every request
is judged by the standing instead, so a demotion or a departure acts at once (the other
services follow within a minute, from their replicas)."""

from __future__ import annotations

from dataclasses import dataclass

from . import queries
from .ports import Clock, ReadModel


@dataclass(frozen=True)
class Standing:
    role: str
    active: bool


# The directory is this service's own: someone it does not know does not work here.
UNKNOWN = Standing(role="user", active=False)


class DirectoryStanding:
    """The standing of (tenant, employee) over the requests service's directory."""

    def __init__(self, reads: ReadModel, clock: Clock) -> None:
        self._reads = reads
        self._clock = clock

    async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
        employee = await self._reads.employee(tenant_id, employee_id)
        if employee is None:
            return UNKNOWN
        left = await queries.employee_has_left(self._reads, self._clock, employee)
        return Standing(role=employee.role, active=not left)

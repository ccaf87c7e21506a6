"""The caller's standing now, from balances' replica of the directory: their current
role, and whether they still work here (`leaveflow_kit.auth.standing`). A demotion or a
departure acts here as soon as its EmployeeUpserted is applied, not when the token
expires."""

from __future__ import annotations

from leaveflow_kit.auth import Standing
from leaveflow_kit.clock import Clock

from . import queries
from .ports import ReadModel


class ReplicaStanding:
    """The standing of (tenant, employee) over the employee replica; None for someone
    the replica has not heard of yet (their token is taken as it is)."""

    def __init__(self, reads: ReadModel, clock: Clock) -> None:
        self._reads = reads
        self._clock = clock

    async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
        employee = await self._reads.employee(tenant_id, employee_id)
        if employee is None:
            return None
        # Their last day counts in their location's zone (UTC without one): balances keeps
        # no tenant record to read the company's zone from.
        left = employee.end_date is not None and employee.end_date < await queries.today_of(
            self._reads, self._clock, employee
        )
        return Standing(role=employee.role, active=not left)

"""A person's standing now, from this service's own directory: their current role, and
whether they still work here. Tokens carry the role they were issued with; every request
is judged by the standing instead, so a demotion or a departure acts at once (the other
services follow within a minute, from their replicas)."""

from __future__ import annotations

from datetime import UTC

from leaveflow_kit.auth.standing import Standing

from . import queries
from .ports import Clock, ReadModel

# The directory is this service's own: someone it does not know does not work here.
UNKNOWN = Standing(role="user", active=False)


class DirectoryStanding:
    """`leaveflow_kit.auth.StandingLookup` over the requests service's directory: the kit's
    `current_user` asks it on every authenticated call."""

    def __init__(self, reads: ReadModel, clock: Clock) -> None:
        self._reads = reads
        self._clock = clock

    async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
        employee = await self._reads.employee(tenant_id, employee_id)
        if employee is None:
            return UNKNOWN
        if employee.end_date is None:
            return Standing(role=employee.role, active=True)
        # Asked on every call: read the zone (location, tenant) only when it matters, on
        # the day or so around the last one where zones disagree about "today".
        utc_today = self._clock.now().astimezone(UTC).date()
        if abs((employee.end_date - utc_today).days) > 1:
            return Standing(role=employee.role, active=employee.end_date > utc_today)
        left = await queries.employee_has_left(self._reads, self._clock, employee)
        return Standing(role=employee.role, active=not left)

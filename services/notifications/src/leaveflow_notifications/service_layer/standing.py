"""Who a caller is now, from the directory replica (a `leaveflow_kit.auth.StandingLookup`):
a demoted admin loses the admin routes and a person who has left is refused, within the
replica's lag instead of the token's lifetime."""

from __future__ import annotations

from datetime import date

from leaveflow_kit.auth.standing import Standing
from leaveflow_kit.clock import Clock, today_in

from .ports import ReadModel


class ReplicaStanding:
    def __init__(self, reads: ReadModel, clock: Clock) -> None:
        self._reads = reads
        self._clock = clock

    async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
        person = await self._reads.person(tenant_id, employee_id)
        if person is None:
            return None  # not replicated yet: the token is taken as it is
        active = True
        end = person.get("end_date")
        if end:
            # The extra read only for people with an end date: their "today" decides.
            zone = await self._reads.time_zone(tenant_id, employee_id)
            active = date.fromisoformat(str(end)) >= today_in(self._clock, zone)
        return Standing(role=str(person.get("role") or "user"), active=active)

"""The caller's standing now, from the calendar's replica of the directory: their current
role, and whether they still work here (`leaveflow_kit.auth.standing`). A demotion or a
departure acts here as soon as its EmployeeUpserted is applied, not when the token
expires."""

from __future__ import annotations

from leaveflow_kit.auth import Standing
from leaveflow_kit.clock import Clock, today_in
from leaveflow_kit.documents import from_doc
from leaveflow_kit.storage import Store

from ..domain.absence import PersonReplica
from .projection import LOCATIONS, PEOPLE, REPLICAS
from .queries import tenant_timezone


class ReplicaStanding:
    """The standing of (tenant, employee) over the people replica; None for someone the
    replica has not heard of yet (their token is taken as it is)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
        found = await REPLICAS[PEOPLE].get(self._store, tenant_id, employee_id)
        if found is None:
            return None
        person = from_doc(PersonReplica, found)
        if person.end_date is None:
            return Standing(role=person.role, active=True)
        # Their last day counts in their location's zone, else the company's.
        zone: str | None = None
        if person.location_id is not None:
            location = await REPLICAS[LOCATIONS].get(self._store, tenant_id, person.location_id)
            zone = str(location["timezone"]) if location and location.get("timezone") else None
        zone = zone or await tenant_timezone(self._store, tenant_id)
        return Standing(role=person.role, active=not person.gone_by(today_in(self._clock, zone)))

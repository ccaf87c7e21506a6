"""What the HTTP side asks outside any transaction: pages of employees and policies, a
person's "today", and where a year end stands."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from datetime import date

from leaveflow_kit.clock import Clock, today_in

from ..domain.policy import Policy
from ..domain.replicas import EmployeeReplica, LocationReplica
from ..domain.year_end import YearEndJob, year_end_id
from .ports import ReadModel, Reads


async def location_of(reads: Reads, employee: EmployeeReplica) -> LocationReplica | None:
    if employee.location_id is None:
        return None
    return await reads.location(employee.tenant_id, employee.location_id)


def today_at(clock: Clock, location: LocationReplica | None) -> date:
    """Today at the location's time zone (UTC without one)."""
    return today_in(clock, location.timezone if location else "UTC")


async def today_of(reads: Reads, clock: Clock, employee: EmployeeReplica) -> date:
    """The employee's today: at their location's time zone (UTC without one)."""
    return today_at(clock, await location_of(reads, employee))


# What the directory's ids look like (`leaveflow_contracts.new_id`: 32 hex digits): only
# such an id can belong to a record whose event is still on its way.
_DIRECTORY_ID = re.compile(r"[0-9a-f]{32}")
_POLL_SECONDS = 0.05


async def directory_knows(
    reads: Reads, tenant_id: str, *, location_id: str, leave_type_id: str, grace: float
) -> bool:
    """Whether the tenant's directory replica has both the location and the leave type.

    A location or type created a moment ago may not have reached balances yet (its event is
    on its way), so an id the directory could have made gets up to `grace` seconds to
    arrive; any other id (a NUL, 5,000 characters, an emoji) is answered at once."""
    deadline = time.monotonic() + grace
    plausible = all(_DIRECTORY_ID.fullmatch(i) for i in (location_id, leave_type_id))
    while True:
        if (
            await reads.location(tenant_id, location_id) is not None
            and await reads.leave_type(tenant_id, leave_type_id) is not None
        ):
            return True
        if not plausible or time.monotonic() >= deadline:
            return False
        await asyncio.sleep(_POLL_SECONDS)


async def employees_page(
    reads: ReadModel,
    tenant_id: str,
    *,
    filters: Mapping[str, str],
    departments: set[str] | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[EmployeeReplica], str | None]:
    """Up to `limit` employees matching `filters` (and, unless None, in `departments`),
    in id order after `cursor`; and the cursor of the next page (None on the last)."""
    found: list[EmployeeReplica] = []
    while len(found) < limit:
        batch = await reads.employees(tenant_id, filters=filters, limit=limit, after=cursor)
        if not batch:
            return found, None
        for employee in batch:
            cursor = employee.id
            if departments is None or employee.department_id in departments:
                found.append(employee)
                if len(found) == limit:
                    break
        if len(batch) < limit and len(found) < limit:
            return found, None
    return found, cursor


async def policies_page(
    reads: Reads,
    tenant_id: str,
    *,
    location_id: str | None,
    leave_type_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Policy], str | None]:
    """The tenant's active policies in key order, filtered, a page after `cursor`."""
    policies = sorted(
        (
            p
            for p in await reads.policies(tenant_id)
            if p.active
            and (location_id is None or p.location_id == location_id)
            and (leave_type_id is None or p.leave_type_id == leave_type_id)
        ),
        key=lambda p: p.key,
    )
    after = [p for p in policies if cursor is None or p.key > cursor]
    chunk = after[:limit]
    return chunk, chunk[-1].key if len(after) > limit else None


async def year_end_jobs(reads: ReadModel, tenant_id: str, year: int) -> list[YearEndJob]:
    """The jobs closing `year`, one per location that has one."""
    jobs = []
    for location in await reads.locations(tenant_id):
        job = await reads.year_end_job(year_end_id(tenant_id, location.id, year))
        if job is not None:
            jobs.append(job)
    return jobs

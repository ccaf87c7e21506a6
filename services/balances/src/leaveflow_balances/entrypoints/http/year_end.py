"""Year-end API: close a leave year at every location where it has ended, and follow it."""

from __future__ import annotations

from fastapi import APIRouter

from leaveflow_kit.auth import CurrentUser
from leaveflow_kit.http import Unprocessable

from ...service_layer import queries
from .access import require_admin
from .deps import ReadModelDep, YearEndsDep
from .schemas import (
    SkippedLocationOut,
    YearEndIn,
    YearEndJobOut,
    YearEndStartedOut,
    YearEndStatusOut,
)

router = APIRouter(tags=["balances"])


@router.post("/v1/year-end", status_code=202)
async def close_year(
    body: YearEndIn, user: CurrentUser, year_ends: YearEndsDep
) -> YearEndStartedOut:
    """Close leave year `year` at every location of the tenant where it has ended (admin).
    Runs in the background; twice is the same as once. 422 when it has ended nowhere."""
    require_admin(user)
    jobs, not_ended = await year_ends.close_year(user.tenant_id, body.year, user.employee_id)
    if not jobs:
        raise Unprocessable(f"leave year {body.year} has not ended at any location", field="year")
    return YearEndStartedOut(
        year=body.year,
        jobs=[YearEndJobOut.of(job) for job in jobs],
        skipped=[
            SkippedLocationOut(location_id=location_id, reason="leave year not ended")
            for location_id in not_ended
        ],
    )


@router.get("/v1/year-end/{year}")
async def year_end_status(year: int, user: CurrentUser, reads: ReadModelDep) -> YearEndStatusOut:
    """Where the closing of `year` stands, per location (admin)."""
    require_admin(user)
    jobs = await queries.year_end_jobs(reads, user.tenant_id, year)
    return YearEndStatusOut(year=year, jobs=[YearEndJobOut.of(job) for job in jobs])

"""Closing a leave year: each employee's remaining days carry into the next year.

One job per (tenant, location, year), stored, so a second request finds it (idempotent)
and a crash resumes it from the last committed batch (the job keeps a cursor). Each batch
is one transaction writing one carry-over record per employee, under deterministic keys:
re-running a batch writes the same records again and nothing twice.

With several replicas of the service, each may be asked (or find the job running at
start-up) at once: a job has one runner at a time. A runner claims it with a lease, renews
the lease with every batch and gives it up when done; another replica finds the lease held
and leaves the job alone, unless the lease has lapsed (its runner died), when it takes over
from the cursor. A runner whose lease was taken stops at its next batch, before writing.
Without this both replicas ran the whole job, and the one that started later, seeing the
employees the other had closed, stored its own counts over the other's (carried 0).
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from leaveflow_contracts import new_id
from leaveflow_kit.logging import get_logger

from ..domain.calendar import (
    DEFAULT_YEAR_START,
    LeaveYear,
    leave_year_labelled,
    person_year_start,
)
from ..domain.ledger import LedgerEntry, YearContext
from ..domain.policy import Policy
from ..domain.replicas import EmployeeReplica
from ..domain.year_end import (
    DONE,
    RUNNING,
    Remembered,
    YearEndJob,
    anniversary_day_id,
    carryover_entries,
    employed_across,
    year_end_id,
)
from .ports import ReadModel, Repository, UnitOfWork

__all__ = ["DONE", "RUNNING", "LeaseLost", "YearEndJob", "claim", "open_job", "run_job"]

log = get_logger(__name__)
Progress = Callable[[int, int], None]
LEASE_SECONDS = 60.0  # far above one batch's time; how long a dead runner blocks its job
THIS_PROCESS = new_id()
"""The runner id of this process: a restart is a new runner, which waits out the lease."""


class LeaseLost(Exception):
    """Another runner holds the job now (this one's lease lapsed): stop without writing."""


async def claim(uow: UnitOfWork, job_id: str, runner: str) -> YearEndJob | None:
    """The stored job, now leased to `runner`; None while another runner's lease holds.
    A finished job is returned as it is (nothing to run)."""

    async def run(repo: Repository) -> YearEndJob | None:
        job = await repo.year_end_job(job_id)
        if job is None or job.state == DONE:
            return job
        now = time.time()
        if job.runner not in (None, runner) and job.lease_until > now:
            return None
        job.runner, job.lease_until = runner, now + LEASE_SECONDS
        await repo.save_year_end_job(job)
        return job

    return await uow.run(run)


async def open_job(
    uow: UnitOfWork,
    tenant_id: str,
    location_id: str,
    year: int,
    requested_by: str | None,
    *,
    day: date | None = None,
    through: date | None = None,
) -> YearEndJob:
    """The job closing `year` at the location (at an anniversary location: the years
    starting anew on `day`, or those ended by `through`): the existing one, or a new one."""
    job_id = (
        anniversary_day_id(tenant_id, location_id, day)
        if day is not None
        else year_end_id(tenant_id, location_id, year)
    )

    async def run(repo: Repository) -> YearEndJob:
        found = await repo.year_end_job(job_id)
        if found is not None:
            return found
        job = YearEndJob(
            job_id,
            tenant_id,
            location_id,
            year,
            new_id(),
            requested_by=requested_by,
            day=day,
            through=through,
        )
        await repo.save_year_end_job(job)
        return job

    return await uow.run(run)


class _YearData:
    """The closing year's stored entries of the whole tenant, read once per job."""

    def __init__(self) -> None:
        self.entries: dict[str, list[LedgerEntry]] = defaultdict(list)
        self.overrides: dict[tuple[str, str], Decimal] = {}
        self.closed: set[str] = set()

    @classmethod
    async def load(cls, reads: ReadModel, tenant_id: str, year: int) -> _YearData:
        data = cls()
        for entry in await reads.year_entries(tenant_id, year):
            data.entries[entry.employee_id].append(entry)
        data.closed = await reads.carried_into(tenant_id, year + 1)
        for o in await reads.overrides_of_year(tenant_id, year):
            data.overrides[(o.employee_id, o.leave_type_id)] = o.annual_allowance
        return data

    def contexts(
        self, employee: EmployeeReplica, policies: list[Policy], year: LeaveYear
    ) -> list[YearContext]:
        return [
            YearContext(
                p,
                self.overrides.get((employee.id, p.leave_type_id), p.annual_allowance),
                year,
                employee.employment,
                tuple(employee.label_periods),
            )
            for p in policies
        ]


async def run_job(
    uow: UnitOfWork,
    reads: ReadModel,
    job: YearEndJob,
    *,
    batch: int = 1000,
    progress: Progress | None = None,
    runner: str = THIS_PROCESS,
) -> YearEndJob:
    """Carry every employee of the location over, batch by batch, from the stored cursor.

    Returns the job as it stands: done, or still running under another runner's lease
    (its ``runner`` is then not ours, and ``lease_until`` says when to look again)."""
    if job.state == DONE:
        return job
    claimed = await claim(uow, job.id, runner)
    if claimed is None:
        return await reads.year_end_job(job.id) or job
    job = claimed
    if job.state == DONE:
        return job
    try:
        return await _run_claimed(uow, reads, job, batch, progress)
    except LeaseLost:
        log.warning("year_end_lease_lost", job_id=job.id, runner=runner)
        return await reads.year_end_job(job.id) or job


async def _run_claimed(
    uow: UnitOfWork, reads: ReadModel, job: YearEndJob, batch: int, progress: Progress | None
) -> YearEndJob:
    location = await reads.location(job.tenant_id, job.location_id)
    location_start = location.leave_year_start if location else DEFAULT_YEAR_START
    years: dict[str, tuple[LeaveYear, LeaveYear]] = {}

    def years_of(employee: EmployeeReplica) -> tuple[LeaveYear, LeaveYear]:
        """The person's closing year and the next (at an anniversary location, theirs)."""
        start = person_year_start(location_start, employee.start_date)
        if start not in years:
            year = leave_year_labelled(job.year, start)
            years[start] = (year, year.next(start))
        return years[start]

    policies = [
        p
        for p in await reads.policies(job.tenant_id)
        if p.location_id == job.location_id and p.active and not p.unlimited
    ]
    with heap_frozen():
        with collector_paused():
            data = await _YearData.load(reads, job.tenant_id, job.year)
        await _carry_all(uow, reads, job, batch, progress, data, policies, years_of)
        del data  # gone before the collection that may end the freeze, not walked by it
    runner, job.state, job.runner, job.lease_until = job.runner, DONE, None, 0.0
    await uow.run(_save_job(job, runner))
    log.info(
        "year_end_done",
        tenant_id=job.tenant_id,
        location_id=job.location_id,
        year=job.year,
        employees=job.processed,
        carried=job.carried,
    )
    return job


_frozen_jobs = 0
_unfreeze_at_end = False


@contextmanager
def heap_frozen() -> Iterator[None]:
    """The heap as it stands kept out of the collector's full passes while a job runs.

    A year end holds the closing year's entries of the whole tenant (about a million
    objects at 100,000 people) and allocates far more: each full collection walked all
    of them, and those passes grew with the tenant (a quarter of a 100,000-person job,
    issue 19). Frozen objects are still freed when their last reference goes; only
    cycles among them wait for an unfreeze. Jobs may overlap: the last one to finish
    unfreezes. If something was frozen before the first began (a service freezes its
    start-up heap, `leaveflow_kit.runtime.tune_garbage_collector`), it unfreezes, collects
    once and freezes what lives again, as the service's start did: otherwise the jobs'
    garbage cycles would stay frozen, a leak per job; one full pass after a job is cheap
    next to the passes the freeze saved during it."""
    global _frozen_jobs, _unfreeze_at_end
    if _frozen_jobs == 0:
        _unfreeze_at_end = gc.get_freeze_count() == 0
    _frozen_jobs += 1
    gc.freeze()
    try:
        yield
    finally:
        _frozen_jobs -= 1
        if _frozen_jobs == 0:
            gc.unfreeze()
            if not _unfreeze_at_end:
                gc.collect()
                gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off while a job loads the closing year (a million objects that all
    live until the job ends, and no cycles to free: each pass over them was wasted), then
    what was loaded frozen and the collector back as it was. A second job loading at the
    same time finds it off and leaves it to the first to turn back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


async def _carry_all(
    uow: UnitOfWork,
    reads: ReadModel,
    job: YearEndJob,
    batch: int,
    progress: Progress | None,
    data: _YearData,
    policies: list[Policy],
    years_of: Callable[[EmployeeReplica], tuple[LeaveYear, LeaveYear]],
) -> None:
    """Every employee of the location from the job's cursor on, a batch a transaction."""
    remembered: Remembered = {}
    total = job.processed + await _remaining_count(reads, job)
    while True:
        employees = await reads.employees_at(
            job.tenant_id, job.location_id, limit=batch, after=job.cursor
        )
        if not employees:
            break
        sheets = []
        for employee in employees:
            year, next_year = years_of(employee)
            if not job.closes(next_year) or employee.id in data.closed:
                continue
            if not employed_across(employee, year, next_year):
                continue
            entries = carryover_entries(
                employee,
                data.contexts(employee, policies, year),
                data.entries.get(employee.id, []),
                next_year,
                job.run_id,
                remembered,
            )
            sheets.append((employee, entries))
        job.cursor = employees[-1].id
        job.processed += len(employees)
        job.carried += sum(len(e) for _, e in sheets)
        job.lease_until = time.time() + LEASE_SECONDS
        await uow.run(_write_batch(job, sheets, job.year + 1))
        if progress is not None:
            progress(job.processed, total)


async def _remaining_count(reads: ReadModel, job: YearEndJob) -> int:
    if job.cursor is None:
        return await reads.count_employees_at(job.tenant_id, job.location_id)
    return len(await reads.employees_at(job.tenant_id, job.location_id, after=job.cursor))


async def _check_lease(repo: Repository, job: YearEndJob, runner: str | None) -> None:
    stored = await repo.year_end_job(job.id)
    if stored is None or stored.runner != runner:
        raise LeaseLost(job.id)


def _save_job(job: YearEndJob, runner: str | None) -> Callable[[Repository], Awaitable[None]]:
    async def run(repo: Repository) -> None:
        await _check_lease(repo, job, runner)
        await repo.save_year_end_job(job)

    return run


def _write_batch(
    job: YearEndJob, sheets: list[tuple[EmployeeReplica, list[LedgerEntry]]], label: int
) -> Callable[[Repository], Awaitable[None]]:
    async def run(repo: Repository) -> None:
        await _check_lease(repo, job, job.runner)
        await repo.save_carryovers(label, sheets)
        await repo.save_year_end_job(job)

    return run

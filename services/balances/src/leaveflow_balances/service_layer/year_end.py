"""Closing a leave year: each employee's remaining days carry into the next year.

One job per (tenant, location, year), stored, so a second request finds it (idempotent)
and a crash resumes it from the last committed batch (the job keeps a cursor). Each batch
is one transaction writing one carry-over document per employee, with deterministic keys:
re-running a batch writes the same documents again and nothing twice.

With several replicas of the service, each may be asked (or find the job running at
start-up) at once: a job has one runner at a time. A runner claims it with a lease, renews
the lease with every batch and gives it up when done; another replica finds the lease held
and leaves the job alone, unless the lease has lapsed (its runner died), when it takes over
from the cursor. A runner whose lease was taken stops at its next batch, before writing.
Without this both replicas ran the whole job, and the one that started later, seeing the
employees the other had closed, stored its own counts over the other's (carried 0).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from leaveflow_contracts import new_id
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.logging import get_logger
from leaveflow_kit.storage import Store, Transaction

from ..adapters.repository import (
    CARRYOVERS,
    EMPLOYEES,
    LEDGER,
    OVERRIDES,
    YEAR_ENDS,
    Directory,
    carryover_key,
    year_end_key,
)
from ..domain import ledger
from ..domain.calendar import LeaveYear, add_months, leave_year_labelled
from ..domain.ledger import LedgerEntry, YearContext
from ..domain.policy import Policy
from ..domain.replicas import AllowanceOverride, EmployeeReplica

log = get_logger(__name__)
RUNNING, DONE = "running", "done"
Progress = Callable[[int, int], None]
LEASE_SECONDS = 60.0  # far above one batch's time; how long a dead runner blocks its job
THIS_PROCESS = new_id()
"""The runner id of this process: a restart is a new runner, which waits out the lease."""


class LeaseLost(Exception):
    """Another runner holds the job now (this one's lease lapsed): stop without writing."""


@dataclass
class YearEndJob:
    id: str
    tenant_id: str
    location_id: str
    year: int
    run_id: str
    state: str = RUNNING
    cursor: str | None = None
    processed: int = 0
    carried: int = 0
    requested_by: str | None = None
    runner: str | None = None
    lease_until: float = 0.0  # wall-clock seconds (time.time()); leases are real time


async def claim(store: Store, job_id: str, runner: str) -> YearEndJob | None:
    """The stored job, now leased to `runner`; None while another runner's lease holds.
    A finished job is returned as it is (nothing to run)."""

    async def run(tx: Transaction) -> YearEndJob | None:
        doc = await tx.get(YEAR_ENDS, job_id)
        if doc is None:
            return None
        job = from_doc(YearEndJob, doc)
        if job.state == DONE:
            return job
        now = time.time()
        if job.runner not in (None, runner) and job.lease_until > now:
            return None
        job.runner, job.lease_until = runner, now + LEASE_SECONDS
        await tx.put(YEAR_ENDS, job.id, to_doc(job))
        return job

    return await store.atomic(run)


async def open_job(
    store: Store, tenant_id: str, location_id: str, year: int, requested_by: str | None
) -> YearEndJob:
    """The job closing `year` at the location: the existing one, or a new one."""
    key = year_end_key(tenant_id, location_id, year)

    async def run(tx: Transaction) -> YearEndJob:
        doc = await tx.get(YEAR_ENDS, key)
        if doc is not None:
            return from_doc(YearEndJob, doc)
        job = YearEndJob(key, tenant_id, location_id, year, new_id(), requested_by=requested_by)
        await tx.put(YEAR_ENDS, key, to_doc(job))
        return job

    return await store.atomic(run)


def carryover_entries(
    employee: EmployeeReplica,
    contexts: list[YearContext],
    entries: list[LedgerEntry],
    next_year: LeaveYear,
    run_id: str,
) -> list[LedgerEntry]:
    """What each leave type carries from the closing year into `next_year`."""
    out = []
    for ctx in contexts:
        policy = ctx.policy
        mine = [e for e in entries if e.leave_type_id == policy.leave_type_id]
        remaining = ledger.balance(ctx, employee.id, mine, ctx.year.end).remaining
        carry = policy.carry(remaining)
        if carry == 0:
            continue
        months = policy.carryover_expiry_months
        out.append(
            LedgerEntry(
                id=f"carryover:{employee.id}:{policy.leave_type_id}:{next_year.label}",
                tenant_id=employee.tenant_id,
                employee_id=employee.id,
                leave_type_id=policy.leave_type_id,
                kind=ledger.CARRYOVER,
                amount=carry,
                effective_date=next_year.start,
                source_event_id=run_id,
                reason=f"carried over from leave year {ctx.year.label}",
                expires_on=(
                    add_months(next_year.start, months)
                    if months is not None and carry > 0
                    else None
                ),
                leave_year=next_year.label,
            )
        )
    return out


class _YearData:
    """The closing year's stored entries of the whole tenant, read once per job."""

    def __init__(self) -> None:
        self.entries: dict[str, list[LedgerEntry]] = defaultdict(list)
        self.overrides: dict[tuple[str, str], Decimal] = {}
        self.closed: set[str] = set()

    @classmethod
    async def load(cls, store: Store, tenant_id: str, year: int) -> _YearData:
        data = cls()
        for doc in await store.find(LEDGER, {"tenant_id": tenant_id, "leave_year": year}):
            entry = from_doc(LedgerEntry, doc)
            data.entries[entry.employee_id].append(entry)
        for doc in await store.find(CARRYOVERS, {"tenant_id": tenant_id, "year": year}):
            data.entries[doc["employee_id"]] += [from_doc(LedgerEntry, e) for e in doc["entries"]]
        for doc in await store.find(CARRYOVERS, {"tenant_id": tenant_id, "year": year + 1}):
            data.closed.add(doc["employee_id"])
        for doc in await store.find(OVERRIDES, {"tenant_id": tenant_id, "year": year}):
            o = from_doc(AllowanceOverride, doc)
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
            )
            for p in policies
        ]


async def run_job(
    store: Store,
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
    claimed = await claim(store, job.id, runner)
    if claimed is None:
        doc = await store.get(YEAR_ENDS, job.id)
        return from_doc(YearEndJob, doc) if doc is not None else job
    job = claimed
    if job.state == DONE:
        return job
    try:
        return await _run_claimed(store, job, batch, progress)
    except LeaseLost:
        log.warning("year_end_lease_lost", job_id=job.id, runner=runner)
        doc = await store.get(YEAR_ENDS, job.id)
        return from_doc(YearEndJob, doc) if doc is not None else job


async def _run_claimed(
    store: Store, job: YearEndJob, batch: int, progress: Progress | None
) -> YearEndJob:
    directory = Directory(store)
    location = await directory.location(job.tenant_id, job.location_id)
    year_start = location.leave_year_start if location else "01-01"
    year = leave_year_labelled(job.year, year_start)
    next_year = year.next(year_start)
    policies = [
        p
        for p in await directory.policies(job.tenant_id)
        if p.location_id == job.location_id and p.active and not p.unlimited
    ]
    data = await _YearData.load(store, job.tenant_id, job.year)
    where = {"tenant_id": job.tenant_id, "location_id": job.location_id}
    total = job.processed + await _remaining_count(store, where, job.cursor)
    while True:
        docs = await store.find(EMPLOYEES, where, limit=batch, after_key=job.cursor)
        if not docs:
            break
        sheets = []
        for doc in docs:
            employee = from_doc(EmployeeReplica, doc)
            if employee.id in data.closed or not _employed_across(employee, year, next_year):
                continue
            entries = carryover_entries(
                employee,
                data.contexts(employee, policies, year),
                data.entries.get(employee.id, []),
                next_year,
                job.run_id,
            )
            sheets.append((employee.id, entries))
        job.cursor = docs[-1]["id"]
        job.processed += len(docs)
        job.carried += sum(len(e) for _, e in sheets)
        job.lease_until = time.time() + LEASE_SECONDS
        await store.atomic(_write_batch(job, sheets, next_year.label))
        if progress is not None:
            progress(job.processed, total)
    runner, job.state, job.runner, job.lease_until = job.runner, DONE, None, 0.0
    await store.atomic(_save_job(job, runner))
    log.info(
        "year_end_done",
        tenant_id=job.tenant_id,
        location_id=job.location_id,
        year=job.year,
        employees=job.processed,
        carried=job.carried,
    )
    return job


def _employed_across(employee: EmployeeReplica, year: LeaveYear, next_year: LeaveYear) -> bool:
    starts_in_time = employee.start_date is None or employee.start_date <= year.end
    stays = employee.end_date is None or employee.end_date >= next_year.start
    return starts_in_time and stays


async def _remaining_count(store: Store, where: dict[str, str], cursor: str | None) -> int:
    if cursor is None:
        return await store.count(EMPLOYEES, where)
    return len(await store.find(EMPLOYEES, where, after_key=cursor))


async def _check_lease(tx: Transaction, job: YearEndJob, runner: str | None) -> None:
    doc = await tx.get(YEAR_ENDS, job.id)
    if doc is None or doc.get("runner") != runner:
        raise LeaseLost(job.id)


def _save_job(job: YearEndJob, runner: str | None) -> Callable[[Transaction], Awaitable[None]]:
    async def run(tx: Transaction) -> None:
        await _check_lease(tx, job, runner)
        await tx.put(YEAR_ENDS, job.id, to_doc(job))

    return run


def _write_batch(
    job: YearEndJob, sheets: list[tuple[str, list[LedgerEntry]]], label: int
) -> Callable[[Transaction], Awaitable[None]]:
    async def run(tx: Transaction) -> None:
        await _check_lease(tx, job, job.runner)
        for employee_id, entries in sheets:
            await tx.put(
                CARRYOVERS,
                carryover_key(job.tenant_id, employee_id, label),
                {
                    "tenant_id": job.tenant_id,
                    "employee_id": employee_id,
                    "location_id": job.location_id,
                    "year": label,
                    "entries": [to_doc(e) for e in entries],
                },
            )
        await tx.put(YEAR_ENDS, job.id, to_doc(job))

    return run

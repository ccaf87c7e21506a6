"""Year ends that happen by themselves: at each location's local midnight of a new leave
year (at an anniversary location, every local midnight, for the people whose year starts
that day), and on start-up for jobs a crash left unfinished.

Sleeps on the clock port until the next boundary (or a slow heartbeat, or a wake-up when
a location changed), so an idle service costs a couple of queries an hour; no busy loop.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta

from leaveflow_kit.clock import Clock, local_midnight, today_in
from leaveflow_kit.logging import get_logger
from leaveflow_kit.tasks import cancel

from ..domain.calendar import ANNIVERSARY, DEFAULT_YEAR_START, leave_year_of
from ..domain.replicas import LocationReplica
from ..domain.year_end import DONE, YearEndJob, anniversary_day_id, year_end_id
from .ports import ReadModel, UnitOfWork
from .year_end import open_job, run_job

log = get_logger(__name__)
# How many days back an anniversary location's daily year ends are caught up on start-up.
ANNIVERSARY_CATCH_UP_DAYS = 7


class YearEndScheduler:
    def __init__(
        self,
        uow: UnitOfWork,
        reads: ReadModel,
        clock: Clock,
        *,
        heartbeat_seconds: float = 3600.0,
    ) -> None:
        self._uow = uow
        self._reads = reads
        self._clock = clock
        self._heartbeat = timedelta(seconds=heartbeat_seconds)
        self._wake = asyncio.Event()
        self._replan = False
        self._task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[YearEndJob]] = {}

    def wake(self) -> None:
        self._wake.set()

    def location_changed(self) -> None:
        """Called while a location event is handled: re-plan once it has committed."""
        self._replan = True

    def after_commit(self) -> None:
        # Only a location can move the next boundary; other events must not make every
        # commit a scan of all locations.
        if self._replan:
            self._replan = False
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="year-end-scheduler")

    async def stop(self) -> None:
        await cancel(self._task, *self._running.values())

    def run_in_background(self, job: YearEndJob) -> None:
        """Run a job unless it is already running here (a second POST joins the first)."""
        current = self._running.get(job.id)
        if current is None or current.done():
            task = asyncio.create_task(self._run_until_done(job), name=f"year-end-{job.id}")
            self._running[job.id] = task

    async def _run_until_done(self, job: YearEndJob) -> YearEndJob:
        """Run the job; while another replica holds it, look again when its lease lapses
        (it renews the lease every batch, so a lapse means that replica died)."""
        while True:
            job = await run_job(self._uow, self._reads, job)
            if job.state == DONE:
                return job
            await asyncio.sleep(max(job.lease_until - time.time(), 0.0) + 1.0)

    async def close_year(
        self, tenant_id: str, year: int, requested_by: str
    ) -> tuple[list[YearEndJob], list[str]]:
        """Close leave `year` (in the background) at every location of the tenant where it
        has ended; the jobs started or joined, and the locations where it has not ended."""
        jobs, not_ended = [], []
        for location in await self._reads.locations(tenant_id):
            today = today_in(self._clock, location.timezone)
            anniversary = location.leave_year_start == ANNIVERSARY
            # At an anniversary location the people's years labelled `year` end through
            # the next calendar year; this closes those ended by today.
            start = DEFAULT_YEAR_START if anniversary else location.leave_year_start
            if leave_year_of(today, start).label <= year:
                not_ended.append(location.id)
                continue
            job = await open_job(
                self._uow,
                tenant_id,
                location.id,
                year,
                requested_by,
                through=today if anniversary else None,
            )
            self.run_in_background(job)
            jobs.append(job)
        return jobs, not_ended

    async def settle(self) -> None:
        """Wait for the jobs running now (tests, shutdown)."""
        for task in list(self._running.values()):
            await task

    async def tick(self) -> datetime:
        """Start due work; return when the next boundary comes."""
        for running in await self._reads.running_year_ends():
            self.run_in_background(running)
        now = self._clock.now()
        next_at = now + self._heartbeat
        for location in await self._reads.active_locations():
            today = today_in(self._clock, location.timezone)
            if location.leave_year_start == ANNIVERSARY:
                await self._anniversary_days(location, today)
                tomorrow = local_midnight(today + timedelta(days=1), location.timezone)
                next_at = min(next_at, tomorrow)
                continue
            current = leave_year_of(today, location.leave_year_start)
            ended = current.previous(location.leave_year_start)
            # Only years whose end the service lived through close by themselves.
            if location.first_seen is not None and location.first_seen <= ended.end:
                job_id = year_end_id(location.tenant_id, location.id, ended.label)
                if await self._reads.year_end_job(job_id) is None:
                    job = await open_job(
                        self._uow, location.tenant_id, location.id, ended.label, None
                    )
                    log.info("year_end_due", location_id=location.id, year=ended.label)
                    self.run_in_background(job)
            boundary = local_midnight(current.end + timedelta(days=1), location.timezone)
            next_at = min(next_at, boundary)
        return next_at

    async def _anniversary_days(self, location: LocationReplica, today: date) -> None:
        """Each day at an anniversary location closes the years of the people whose year
        starts anew that day; days missed while the service was down (up to a week) are
        caught up. Only days the service lived through close by themselves."""
        for back in range(ANNIVERSARY_CATCH_UP_DAYS):
            day = today - timedelta(days=back)
            if location.first_seen is None or location.first_seen >= day:
                break
            job_id = anniversary_day_id(location.tenant_id, location.id, day)
            if await self._reads.year_end_job(job_id) is None:
                job = await open_job(
                    self._uow, location.tenant_id, location.id, day.year - 1, None, day=day
                )
                log.info("anniversary_year_end_due", location_id=location.id, day=str(day))
                self.run_in_background(job)

    async def _loop(self) -> None:
        while True:
            try:
                next_at = await self.tick()
            except Exception:  # a failed tick must not end scheduling; try again later
                log.exception("year_end_tick_failed")
                next_at = self._clock.now() + self._heartbeat
            self._wake.clear()
            await self._clock.sleep_until(next_at, self._wake)

"""Bench stage (b): leave requests through the real services, HTTP in, events through NATS.

Submits N one-day leave requests over HTTP (aiohttp, bounded concurrency: httpx's pool would
measure itself) and hears on the event stream when each is reserved by balances and pending
in requests (bench_watch: no list polling, which would load the services it measures). Then
open-loop runs at fixed rates (stage f). Each employee gets distinct weekdays, because a
request may not overlap another of the same employee.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import aiohttp
from rich.progress import Progress, TaskID

from .bench_resources import cpu_seconds
from .bench_watch import EventWatch

REQUESTS_PER_EMPLOYEE = 25
# Far above REQUESTS_PER_EMPLOYEE days, so no request is rejected for balance; the requests
# service caps a leave type's flat allowance at 1000.
BIG_ALLOWANCE = 1000
# Answers that mean "this endpoint does not exist (yet)" in a service still being built.
_NOT_IMPLEMENTED = (404, 405, 501)
_LIST_NOT_SUPPORTED = (*_NOT_IMPLEMENTED, 422)


class BenchError(RuntimeError):
    """The pipeline answered something the bench cannot go on from."""


@dataclass
class PipelineResult:
    submitted: int = 0
    submit_errors: int = 0
    first_submit_error: str = ""
    submit_seconds: float = 0.0
    requests_seconds: float = 0.0  # first submit until the last request seen pending
    balances_seconds: float = 0.0  # first submit until balances matched
    latencies: list[float] = field(default_factory=list)  # submit -> LeavePending heard, s
    seen: int = 0  # requests whose LeavePending was heard
    notes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return max(self.requests_seconds, self.balances_seconds)

    @property
    def rate(self) -> float:
        return self.submitted / self.seconds if self.seconds else 0.0


class Api:
    """A thin JSON client over one aiohttp session for the four services."""

    def __init__(self, session: aiohttp.ClientSession, urls: Mapping[str, str]) -> None:
        self.session = session
        self.urls = urls
        self.token = ""

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201, 202),
    ) -> tuple[int, Any]:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, self.urls[service] + path, json=body, params=params, headers=headers
        ) as response:
            text = await response.text()
            try:
                payload = json.loads(text) if text else None
            except json.JSONDecodeError:
                payload = text
            if response.status not in expect:
                raise BenchError(f"{method} {service}{path} -> {response.status}: {text[:300]}")
            return response.status, payload


def weekdays_for_bench(today: date, needed: int = REQUESTS_PER_EMPLOYEE) -> list[date]:
    """Weekdays from tomorrow to the end of this year, or all of next year's if too few.

    Future dates in one leave year (01-01 start, the default), so every reservation lands in
    the balance the bench reads back.
    """
    year_end = date(today.year, 12, 31)
    days = [
        today + timedelta(days=offset)
        for offset in range(1, (year_end - today).days + 1)
        if (today + timedelta(days=offset)).isoweekday() <= 5
    ]
    if len(days) >= needed:
        return days
    start = date(today.year + 1, 1, 1)
    return [
        start + timedelta(days=offset)
        for offset in range(366)
        if (start + timedelta(days=offset)).year == start.year
        and (start + timedelta(days=offset)).isoweekday() <= 5
    ]


@dataclass(frozen=True)
class Tenant:
    leave_type_id: str
    plan: list[tuple[str, date]]  # (employee_id, day), one per request
    as_of: date


async def sign_up(api: Api, name: str, domain: str) -> tuple[str, dict[str, Any]]:
    """A new company of its own for one bench stage, its admin's token on `api`: the admin's
    email and the sign-up's answer."""
    run = uuid4().hex[:8]
    email = f"admin-{run}@{domain}"
    _, signup = await api.call(
        "POST",
        "requests",
        "/v1/tenants",
        body={
            "name": f"{name} {run}",
            "admin_name": "Bench Admin",
            "admin_email": email,
            "timezone": "UTC",
        },
    )
    api.token = signup["token"]
    return email, signup


async def set_up_tenant(api: Api, n: int, concurrency: int, progress: Progress) -> Tenant:
    """Sign up a tenant with one location, department, leave type and enough employees."""
    await sign_up(api, "Bench", "bench.test")
    location_id = await _create_if_supported(
        api,
        "/v1/locations",
        {"name": "Bench HQ", "timezone": "UTC", "workweek": [1, 2, 3, 4, 5]},
    )
    department_id = await _create_if_supported(
        api, "/v1/departments", {"name": "Bench", "approver_ids": []}
    )
    _, leave_type = await api.call(
        "POST",
        "requests",
        "/v1/leave-types",
        body={
            "name": "Bench leave",
            "unit": "days",
            "requires_approval": True,
            "allow_half_days": True,
            # Skeleton services read a flat allowance from here until policies exist.
            "annual_allowance": BIG_ALLOWANCE,
        },
    )
    if location_id:
        await _set_policy(api, location_id, leave_type["id"])
    days = weekdays_for_bench(date.today())
    per_employee = min(REQUESTS_PER_EMPLOYEE, len(days))
    employees = await _create_employees(
        api, math.ceil(n / per_employee), location_id, department_id, concurrency, progress
    )
    plan = [(employees[i // per_employee], days[i % per_employee]) for i in range(n)]
    return Tenant(leave_type_id=leave_type["id"], plan=plan, as_of=days[0])


async def _create_if_supported(api: Api, path: str, body: Mapping[str, Any]) -> str | None:
    """Create a directory entry; None where the service has no such endpoint yet."""
    status, created = await api.call(
        "POST", "requests", path, body=body, expect=(201, *_NOT_IMPLEMENTED)
    )
    return str(created["id"]) if status == 201 else None


async def _set_policy(api: Api, location_id: str, leave_type_id: str) -> None:
    """A big upfront allowance, where the balances service has policies already."""
    await api.call(
        "PUT",
        "balances",
        f"/v1/policies/{location_id}/{leave_type_id}",
        body={"annual_allowance": BIG_ALLOWANCE, "accrual": "upfront", "unlimited": False},
        expect=(200, 201, 204, *_LIST_NOT_SUPPORTED),
    )


async def _create_employees(
    api: Api,
    count: int,
    location_id: str | None,
    department_id: str | None,
    concurrency: int,
    progress: Progress,
) -> list[str]:
    task = progress.add_task("(b) create employees", total=count)
    limit = asyncio.Semaphore(concurrency)

    async def create(index: int) -> str:
        async with limit:
            _, employee = await api.call(
                "POST",
                "requests",
                "/v1/employees",
                body={
                    "name": f"Bench Employee {index}",
                    "email": f"e{index}-{uuid4().hex[:6]}@bench.test",
                    "role": "user",
                    "start_date": "2020-01-01",
                    **({"location_id": location_id} if location_id else {}),
                    **({"department_id": department_id} if department_id else {}),
                },
            )
        progress.advance(task)
        return str(employee["id"])

    return list(await asyncio.gather(*(create(i) for i in range(count))))


async def wait_for_balances_to_know(
    api: Api, tenant: Tenant, concurrency: int, time_limit: float = 30.0
) -> bool:
    """Warm-up: let the directory events reach balances before the clock starts."""
    employees = sorted({employee for employee, _ in tenant.plan})
    deadline = time.monotonic() + time_limit
    limit = asyncio.Semaphore(concurrency)

    async def knows(employee: str) -> bool:
        async with limit:
            return await _pending_days(api, employee, tenant) is not None

    while time.monotonic() < deadline:
        if all(await asyncio.gather(*(knows(e) for e in employees))):
            return True
        await asyncio.sleep(0.2)
    return False


async def _pending_days(api: Api, employee: str, tenant: Tenant) -> float | None:
    """Pending days of the bench leave type, or None while balances has no row for it."""
    status, body = await api.call(
        "GET",
        "balances",
        f"/v1/balances/{employee}",
        params={"as_of": tenant.as_of.isoformat()},
        expect=(200, 404),
    )
    if status != 200:
        return None
    for row in body.get("balances", []):
        if row.get("leave_type_id") == tenant.leave_type_id:
            return float(row.get("pending") or 0)
    return None


async def submit_one(api: Api, tenant: Tenant, employee: str, day: date) -> str:
    """One one-day request over HTTP; its id (202) or a BenchError."""
    _, body = await api.call(
        "POST",
        "requests",
        "/v1/leave-requests",
        body={
            "employee_id": employee,
            "leave_type_id": tenant.leave_type_id,
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
        },
        expect=(202,),
    )
    return str(body["id"])


class PipelineRun:
    """Submits a plan at bounded concurrency; completion is heard on the event stream.

    Done when every submitted request's `LeaveReserved` (balances) and `LeavePending`
    (requests) were published; all times are ``perf_counter`` seconds.
    """

    def __init__(
        self,
        api: Api,
        tenant: Tenant,
        plan: list[tuple[str, date]],
        watch: EventWatch,
        concurrency: int,
        progress: Progress,
    ) -> None:
        self.api = api
        self.tenant = tenant
        self.plan = plan
        self.watch = watch
        self.concurrency = concurrency
        self.progress = progress
        self.result = PipelineResult()
        self.sent_at: dict[str, float] = {}

    async def run(self, time_limit: float) -> PipelineResult:
        submit_task = self.progress.add_task("(b) submit over HTTP", total=len(self.plan))
        deadline = time.monotonic() + time_limit
        started = time.perf_counter()
        await self._submit_all(submit_task)
        self.result.submit_seconds = time.perf_counter() - started
        ids = set(self.sent_at)
        watching = self.progress.add_task("(b) pending, heard on the stream", total=len(ids))
        follow = asyncio.create_task(self._follow(watching, ids))
        reserved = await self.watch.reserved.wait_for(ids, deadline)
        pending = await self.watch.pending.wait_for(ids, deadline)
        follow.cancel()
        if not (reserved and pending):
            self.result.notes.append(self._diagnose(time_limit, ids))
        arrived = {i: self.watch.pending.at[i] for i in ids if i in self.watch.pending.at}
        self.result.latencies = sorted(arrived[i] - self.sent_at[i] for i in arrived)
        self.result.requests_seconds = max(arrived.values(), default=started) - started
        booked = [self.watch.reserved.at[i] for i in ids if i in self.watch.reserved.at]
        self.result.balances_seconds = max(booked, default=started) - started
        self.result.seen = len(arrived)
        return self.result

    async def _follow(self, task: TaskID, ids: set[str]) -> None:
        while True:
            self.progress.update(task, completed=len(ids.intersection(self.watch.pending.at)))
            await asyncio.sleep(0.2)

    async def _submit_all(self, task: TaskID) -> None:
        limit = asyncio.Semaphore(self.concurrency)

        async def submit(employee: str, day: date) -> None:
            async with limit:
                sent = time.perf_counter()
                try:
                    request_id = await submit_one(self.api, self.tenant, employee, day)
                except (BenchError, aiohttp.ClientError) as exc:
                    self.result.submit_errors += 1
                    self.result.first_submit_error = self.result.first_submit_error or str(exc)
                    return
            self.sent_at[request_id] = sent
            self.result.submitted += 1
            self.progress.advance(task)

        await asyncio.gather(*(submit(employee, day) for employee, day in self.plan))

    def _diagnose(self, time_limit: float, ids: set[str]) -> str:
        rejected = len(ids.intersection(self.watch.rejected.at))
        return (
            f"timed out after {time_limit:.0f}s: {len(ids.intersection(self.watch.pending.at))}"
            f"/{len(ids)} pending and {len(ids.intersection(self.watch.reserved.at))} reserved "
            f"heard on the stream, {rejected} rejected"
        )


@dataclass(frozen=True)
class OpenLoopResult:
    rate: int  # submits per second offered, whatever the answers
    offered: int
    errors: int
    latencies: list[float]  # sorted, intended send time -> LeavePending heard, seconds
    achieved: float  # submits answered 202 per second of sending


async def open_loop(
    api: Api,
    tenant: Tenant,
    plan: list[tuple[str, date]],
    watch: EventWatch,
    rate: int,
    progress: Progress,
    time_limit: float,
) -> OpenLoopResult:
    """Offer `plan` at a fixed `rate`, each send on its own schedule (open loop).

    Latency counts from the *intended* send time, so a client falling behind (or a server
    slow to accept) shows up in the figure instead of hiding (no coordinated omission).
    """
    task = progress.add_task(f"(f) open loop {rate}/s", total=len(plan))
    sent_at: dict[str, float] = {}
    errors = 0

    async def send(intended: float, employee: str, day: date) -> None:
        nonlocal errors
        try:
            request_id = await submit_one(api, tenant, employee, day)
        except (BenchError, aiohttp.ClientError, TimeoutError):
            errors += 1
            return
        sent_at[request_id] = intended
        progress.advance(task)

    started = time.perf_counter()
    sends = []
    for index, (employee, day) in enumerate(plan):
        intended = started + index / rate
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sends.append(asyncio.create_task(send(intended, employee, day)))
    await asyncio.gather(*sends)
    sending = time.perf_counter() - started
    await watch.pending.wait_for(set(sent_at), time.monotonic() + time_limit)
    latencies = sorted(
        watch.pending.at[i] - sent for i, sent in sent_at.items() if i in watch.pending.at
    )
    errors += len(sent_at) - len(latencies)  # accepted but never heard pending in time
    return OpenLoopResult(
        rate=rate,
        offered=len(plan),
        errors=errors,
        latencies=latencies,
        achieved=len(sent_at) / sending if sending else 0.0,
    )


@dataclass
class PipelineFigures:
    closed: PipelineResult
    closed_concurrency: int = 0
    open_loop: list[OpenLoopResult] = field(default_factory=list)
    # CPU seconds each process spent on the closed-loop run, per submit (the cost model).
    cpu_per_submit: dict[str, float] = field(default_factory=dict)


def cpu_snapshot(pids: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds so far of each process, and of this one (the load generator)."""
    return {**{name: cpu_seconds(pid) for name, pid in pids.items()}, "bench": time.process_time()}


def cpu_per_item(
    before: Mapping[str, float], after: Mapping[str, float], items: int
) -> dict[str, float]:
    if items <= 0:
        return {}
    return {name: max(0.0, after[name] - before[name]) / items for name in before if name in after}


async def measure_pipeline(
    urls: Mapping[str, str],
    nats_url: str,
    n: int,
    concurrency: int,
    progress: Progress,
    time_limit: float,
    rates: Sequence[int] = (),
    rate_seconds: float = 5.0,
    pids: Mapping[str, int] | None = None,
) -> PipelineFigures:
    """The closed-loop run of `n`, then each open-loop rate for `rate_seconds`; with `pids`,
    the CPU each of those processes spent per submit of the closed loop."""
    per_rate = [max(1, round(rate * rate_seconds)) for rate in rates]
    # Open loop needs far more connections in flight than the closed loop's concurrency.
    connector = aiohttp.TCPConnector(limit=max(concurrency * 2, 1024))
    client_timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        api = Api(session, urls)
        tenant = await set_up_tenant(api, n + sum(per_rate), concurrency, progress)
        warmed = await wait_for_balances_to_know(api, tenant, concurrency)
        async with EventWatch(nats_url) as watch:
            run = PipelineRun(api, tenant, tenant.plan[:n], watch, concurrency, progress)
            before = cpu_snapshot(pids or {})
            figures = PipelineFigures(await run.run(time_limit), concurrency)
            figures.cpu_per_submit = cpu_per_item(
                before, cpu_snapshot(pids or {}), figures.closed.seen
            )
            offset = n
            for rate, count in zip(rates, per_rate, strict=True):
                plan = tenant.plan[offset : offset + count]
                offset += count
                await asyncio.sleep(1.0)  # let the previous rate's tail drain
                figures.open_loop.append(
                    await open_loop(api, tenant, plan, watch, rate, progress, time_limit)
                )
        if not warmed:
            figures.closed.notes.append(
                "balances did not list the leave type before the clock started"
            )
        return figures

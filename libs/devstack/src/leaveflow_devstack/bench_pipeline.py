"""Bench stage (b): leave requests through the real services, HTTP in, events through NATS.

Submits N one-day leave requests over HTTP (aiohttp, bounded concurrency: httpx's pool would
measure itself), then watches until every request is `pending` in the requests service and
the balances service shows the same days as `pending`. Each employee gets distinct weekdays,
because a request may not overlap another of the same employee.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import aiohttp
from rich.progress import Progress, TaskID

REQUESTS_PER_EMPLOYEE = 25
# Far above REQUESTS_PER_EMPLOYEE days, so no request is rejected for balance; the requests
# service caps a leave type's flat allowance at 1000.
BIG_ALLOWANCE = 1000
# Watching costs the services CPU on the same 2 cores: rounds back off to at most a third of
# the time (sleep twice as long as the last round took), and balances, which reserve before
# requests can mark a request pending, are polled slowly until requests has seen them all.
REQUESTS_POLL_INTERVAL = 0.05
BALANCES_POLL_INTERVAL = 0.05
BALANCES_SLOW_POLL_INTERVAL = 0.5
PAGE_LIMIT = 1000
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
    latencies: list[float] = field(default_factory=list)  # submit -> seen pending, seconds
    watch_mode: str = "list"
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


async def set_up_tenant(api: Api, n: int, concurrency: int, progress: Progress) -> Tenant:
    """Sign up a tenant with one location, department, leave type and enough employees."""
    run = uuid4().hex[:8]
    _, signup = await api.call(
        "POST",
        "requests",
        "/v1/tenants",
        body={
            "name": f"Bench {run}",
            "admin_name": "Bench Admin",
            "admin_email": f"admin-{run}@bench.test",
            "timezone": "UTC",
        },
    )
    api.token = signup["token"]
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


class PipelineRun:
    """Submits the plan and watches both services; all times are ``perf_counter`` seconds."""

    def __init__(self, api: Api, tenant: Tenant, concurrency: int, progress: Progress) -> None:
        self.api = api
        self.tenant = tenant
        self.concurrency = concurrency
        self.progress = progress
        self.result = PipelineResult()
        self.sent_at: dict[str, float] = {}
        self.pending_at: dict[str, float] = {}
        self.expected_days: dict[str, float] = {}
        self.submitting_done = asyncio.Event()
        self.requests_done = asyncio.Event()
        self.started = 0.0

    async def run(self, time_limit: float) -> PipelineResult:
        n = len(self.tenant.plan)
        submit_task = self.progress.add_task("(b) submit over HTTP", total=n)
        requests_task = self.progress.add_task("(b) pending in requests", total=n)
        balances_task = self.progress.add_task("(b) pending days in balances", total=n)
        self.started = time.perf_counter()
        try:
            async with asyncio.timeout(time_limit):
                await asyncio.gather(
                    self._submit_all(submit_task),
                    self._watch_requests(requests_task),
                    self._watch_balances(balances_task),
                )
        except TimeoutError:
            self.result.notes.append(await self._diagnose_timeout(time_limit))
        self.result.latencies = sorted(
            self.pending_at[i] - self.sent_at[i] for i in self.pending_at
        )
        return self.result

    async def _submit_all(self, task: TaskID) -> None:
        limit = asyncio.Semaphore(self.concurrency)

        async def submit(employee: str, day: date) -> None:
            async with limit:
                sent = time.perf_counter()
                try:
                    _, body = await self.api.call(
                        "POST",
                        "requests",
                        "/v1/leave-requests",
                        body={
                            "employee_id": employee,
                            "leave_type_id": self.tenant.leave_type_id,
                            "start_date": day.isoformat(),
                            "end_date": day.isoformat(),
                        },
                        expect=(202,),
                    )
                except (BenchError, aiohttp.ClientError) as exc:
                    self.result.submit_errors += 1
                    self.result.first_submit_error = self.result.first_submit_error or str(exc)
                    return
            self.sent_at[body["id"]] = sent
            days = float(body.get("amount") or 1)
            self.expected_days[employee] = self.expected_days.get(employee, 0.0) + days
            self.result.submitted += 1
            self.progress.advance(task)

        await asyncio.gather(*(submit(employee, day) for employee, day in self.tenant.plan))
        self.result.submit_seconds = time.perf_counter() - self.started
        self.submitting_done.set()

    def _all_submitted_seen(self) -> bool:
        return self.submitting_done.is_set() and len(self.pending_at) >= len(self.sent_at)

    async def _watch_requests(self, task: TaskID) -> None:
        """Page through `GET /v1/leave-requests?status=pending`; per-id GETs if unsupported."""
        while not self._all_submitted_seen():
            round_started = time.perf_counter()
            if self.result.watch_mode == "list":
                await self._scan_pending_list()
            else:
                await self._poll_each_request()
            self.progress.update(task, completed=len(self.pending_at))
            took = time.perf_counter() - round_started
            await asyncio.sleep(max(REQUESTS_POLL_INTERVAL, 2 * took))
        self.result.requests_seconds = max(self.pending_at.values(), default=0) - self.started
        self.requests_done.set()

    async def _scan_pending_list(self) -> None:
        cursor: str | None = None
        while True:
            params = {"status": "pending", "limit": str(PAGE_LIMIT)}
            if cursor:
                params["cursor"] = cursor
            status, page = await self.api.call(
                "GET",
                "requests",
                "/v1/leave-requests",
                params=params,
                expect=(200, *_LIST_NOT_SUPPORTED),
            )
            if status != 200:
                self.result.watch_mode = "per-id"
                self.result.notes.append(f"list endpoint answered {status}: polled each request")
                return
            seen = time.perf_counter()
            for item in page.get("items", []):
                if item.get("id") in self.sent_at and item.get("status") == "pending":
                    self.pending_at.setdefault(item["id"], seen)
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def _poll_each_request(self) -> None:
        limit = asyncio.Semaphore(self.concurrency)

        async def poll(request_id: str) -> None:
            async with limit:
                _, body = await self.api.call("GET", "requests", f"/v1/leave-requests/{request_id}")
            if body.get("status") == "pending":
                self.pending_at.setdefault(request_id, time.perf_counter())

        waiting = [i for i in list(self.sent_at) if i not in self.pending_at]
        await asyncio.gather(*(poll(i) for i in waiting))

    async def _watch_balances(self, task: TaskID) -> None:
        matched: dict[str, float] = {}
        limit = asyncio.Semaphore(self.concurrency)

        async def check(employee: str, expected: float) -> None:
            async with limit:
                pending = await _pending_days(self.api, employee, self.tenant)
            if pending is not None and abs(pending - expected) < 1e-9:
                matched[employee] = pending

        while True:
            submitted_all = self.submitting_done.is_set()
            expected = dict(self.expected_days)
            waiting = {e: d for e, d in expected.items() if matched.get(e) != d}
            if submitted_all and not waiting:
                break
            round_started = time.perf_counter()
            await asyncio.gather(*(check(e, d) for e, d in waiting.items()))
            self.progress.update(task, completed=sum(matched.values()))
            took = time.perf_counter() - round_started
            if self.requests_done.is_set():
                await asyncio.sleep(max(BALANCES_POLL_INTERVAL, 2 * took))
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.requests_done.wait(), BALANCES_SLOW_POLL_INTERVAL)
        self.result.balances_seconds = time.perf_counter() - self.started

    async def _diagnose_timeout(self, time_limit: float) -> str:
        missing = [i for i in self.sent_at if i not in self.pending_at][:5]
        statuses = []
        for request_id in missing:
            try:
                _, body = await self.api.call("GET", "requests", f"/v1/leave-requests/{request_id}")
                reason = body.get("rejection_reason")
                why = f" ({reason})" if reason else ""
                statuses.append(f"{request_id}: {body.get('status')}{why}")
            except (BenchError, aiohttp.ClientError) as exc:
                statuses.append(f"{request_id}: {exc}")
        return (
            f"timed out after {time_limit:.0f}s: {len(self.pending_at)}/{len(self.sent_at)} seen "
            f"pending; some that were not: {'; '.join(statuses) or 'none'}"
        )


async def measure_pipeline(
    urls: Mapping[str, str], n: int, concurrency: int, progress: Progress, time_limit: float
) -> PipelineResult:
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    client_timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        api = Api(session, urls)
        tenant = await set_up_tenant(api, n, concurrency, progress)
        warmed = await wait_for_balances_to_know(api, tenant, concurrency)
        run = PipelineRun(api, tenant, concurrency, progress)
        result = await run.run(time_limit)
        if not warmed:
            result.notes.append("balances did not list the leave type before the clock started")
        return result

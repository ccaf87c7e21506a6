"""Bench stage (c): an iCal feed of a 1,000-employee tenant with a year of leave.

Sets the tenant up through the public APIs (employees by one CSV import, then leave
requests of a type that needs no approval, so each becomes approved through the real
pipeline), waits until the calendar's tenant feed holds every leave, then times feed
fetches: a new feed's first (rendered), many warm ones (served from the rendered-document
cache), and conditional ones that answer 304. Timed one at a time, from the client.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import uuid4

import aiohttp
from rich.progress import Progress

from .bench_pipeline import BIG_ALLOWANCE, Api, BenchError, sign_up

LEAVES_PER_EMPLOYEE = 5  # four-day leaves: 20 days off each over the year
LEAVE_DAYS = 4
WARM_FETCHES = 200
FEED_POLL_SECONDS = 1.0


@dataclass
class FeedResult:
    employees: int = 0
    leaves: int = 0  # leave events the feed held when timed
    bytes: int = 0
    setup_seconds: float = 0.0
    cold_seconds: float = 0.0
    warm: list[float] = field(default_factory=list)  # sorted, seconds
    not_modified: list[float] = field(default_factory=list)  # sorted, seconds
    notes: list[str] = field(default_factory=list)


def leave_plan(year: int, employees: int) -> list[tuple[int, date]]:
    """(employee index, first day) of Monday-to-Thursday leaves spread over `year`."""
    mondays = [date(year, 1, 1) + timedelta(days=d) for d in range(366)]
    mondays = [d for d in mondays if d.year == year and d.isoweekday() == 1]
    mondays = mondays[: len(mondays) - 1]  # the leave must end inside the year
    return [
        (e, mondays[(e + k * len(mondays) // LEAVES_PER_EMPLOYEE) % len(mondays)])
        for e in range(employees)
        for k in range(LEAVES_PER_EMPLOYEE)
    ]


async def _tenant(api: Api) -> tuple[str, str, str]:
    """Sign up; one location, department and no-approval leave type; returns their ids."""
    await sign_up(api, "Feed bench", "feed-bench.test")
    _, location = await api.call(
        "POST",
        "requests",
        "/v1/locations",
        body={
            "name": "Munich",
            "timezone": "Europe/Berlin",
            "workweek": [1, 2, 3, 4, 5],
            "holidays": {"country": "DE", "subdivision": "BY"},
        },
    )
    _, department = await api.call(
        "POST", "requests", "/v1/departments", body={"name": "Everyone", "approver_ids": []}
    )
    _, leave_type = await api.call(
        "POST",
        "requests",
        "/v1/leave-types",
        body={
            "name": "Vacation",
            "unit": "days",
            "requires_approval": False,
            "allow_half_days": True,
            "annual_allowance": BIG_ALLOWANCE,
        },
    )
    await api.call(
        "PUT",
        "balances",
        f"/v1/policies/{location['id']}/{leave_type['id']}",
        body={"annual_allowance": BIG_ALLOWANCE, "accrual": "upfront", "unlimited": False},
        expect=(200, 201, 204, 404, 405, 422),
    )
    return location["id"], department["id"], leave_type["id"]


async def _employees(api: Api, count: int, location_id: str, department_id: str) -> list[str]:
    lines = ["name,email,location,department,role,start_date"]
    run = uuid4().hex[:6]
    lines += [
        f"Person {i},p{i}-{run}@feed-bench.test,{location_id},{department_id},user,2020-01-01"
        for i in range(count)
    ]
    async with api.session.post(
        api.urls["requests"] + "/v1/employees/import",
        data="\n".join(lines).encode(),
        headers={"authorization": f"Bearer {api.token}", "content-type": "text/csv"},
    ) as response:
        report = await response.json()
        if response.status != 200 or report.get("errors"):
            raise BenchError(f"employee import -> {response.status}: {str(report)[:300]}")
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
        _, page = await api.call("GET", "requests", "/v1/employees", params=params)
        ids += [e["id"] for e in page["items"] if str(e.get("email", "")).startswith("p")]
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


async def submit_leaves(
    api: Api,
    plan: list[tuple[str, date]],
    leave_type_id: str,
    *,
    days: int,
    concurrency: int,
    progress: Progress,
    label: str,
    notes: list[str] | None = None,
) -> int:
    """Submit one request of `days` days per (employee, first day) of the plan, at most
    `concurrency` at a time; how many were accepted. The first failures go to `notes`."""
    task = progress.add_task(label, total=len(plan))
    limit = asyncio.Semaphore(concurrency)
    accepted = 0

    async def submit(employee: str, first: date) -> None:
        nonlocal accepted
        async with limit:
            try:
                await api.call(
                    "POST",
                    "requests",
                    "/v1/leave-requests",
                    body={
                        "employee_id": employee,
                        "leave_type_id": leave_type_id,
                        "start_date": first.isoformat(),
                        "end_date": (first + timedelta(days=days - 1)).isoformat(),
                    },
                    expect=(202,),
                )
                accepted += 1
            except (BenchError, aiohttp.ClientError) as exc:
                if notes is not None and len(notes) < 3:
                    notes.append(f"submit failed: {exc}")
        progress.advance(task)

    await asyncio.gather(*(submit(e, d) for e, d in plan))
    return accepted


async def _timed_get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[float, int, bytes, str]:
    started = time.perf_counter()
    async with session.get(url, headers=headers or {}) as response:
        body = await response.read()
        took = time.perf_counter() - started
        return took, response.status, body, response.headers.get("etag", "")


async def _wait_for_feed(
    api: Api, url: str, expected: int, progress: Progress, deadline: float
) -> tuple[int, float]:
    """Poll the feed until it holds `expected` leave events (or the time runs out)."""
    task = progress.add_task("(c) approved leave in the feed", total=expected)
    seen = -1
    while time.monotonic() < deadline:
        took, status, body, _ = await _timed_get(api.session, url)
        if status != 200:
            raise BenchError(f"feed answered {status}")
        seen = body.count(b"UID:leave-")
        progress.update(task, completed=seen)
        if seen >= expected:
            return seen, took
        await asyncio.sleep(FEED_POLL_SECONDS)
    return seen, 0.0


async def measure_feed(
    urls: dict[str, str], employees: int, concurrency: int, progress: Progress, time_limit: float
) -> FeedResult:
    result = FeedResult(employees=employees)
    deadline = time.monotonic() + time_limit
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        api = Api(session, urls)
        location_id, department_id, leave_type_id = await _tenant(api)
        people = await _employees(api, employees, location_id, department_id)
        _, feed = await api.call("POST", "calendar", "/v1/feeds", body={"scope": "tenant"})
        await asyncio.sleep(1.0)  # let balances hear of the people before the first request
        plan = [(people[e], day) for e, day in leave_plan(date.today().year + 1, len(people))]
        accepted = await submit_leaves(
            api,
            plan,
            leave_type_id,
            days=LEAVE_DAYS,
            concurrency=concurrency,
            progress=progress,
            label="(c) submit a year of leave",
            notes=result.notes,
        )
        seen, _ = await _wait_for_feed(api, feed["url"], accepted, progress, deadline)
        result.setup_seconds = time.perf_counter() - started
        if seen < accepted:
            result.notes.append(f"the feed held {seen} of {accepted} leaves when timed")
        # A new feed's first fetch renders the document (the VEVENTs rendered for the
        # first feed are reused, as after any event in a live tenant): the "cold" figure.
        _, fresh = await api.call("POST", "calendar", "/v1/feeds", body={"scope": "tenant"})
        result.cold_seconds, _, _, _ = await _timed_get(session, fresh["url"])
        _, _, body, etag = await _timed_get(session, feed["url"])
        result.leaves = body.count(b"UID:leave-")
        result.bytes = len(body)
        warm = [(await _timed_get(session, feed["url"]))[0] for _ in range(WARM_FETCHES)]
        result.warm = sorted(warm)
        conditional = {"if-none-match": etag}
        result.not_modified = sorted(
            [(await _timed_get(session, feed["url"], conditional))[0] for _ in range(50)]
        )
    return result

"""Bench stage (g): a large company (50,000 people by default) measured end to end.

The CSV import of everyone (timed; files of 10,000 rows, the most one import takes), then a
month of approved leave for a 500-person team and a big department (through the real
pipeline: a type that needs no approval), then, one at a time from the client once
who's-off holds every leave (the stack has consumed the import's and the leave's events by
then): every page of `GET /v1/employees` while walking the whole list (the walk made right
after the import, to learn who is in which department, is only a note), who's-off for the
whole tenant over that month, the team calendar page of the 500-person department (signed
in to the web like a person), and the big department's iCal feed warm and conditional
(304).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import uuid4

import aiohttp
from rich.progress import Progress

from .bench_feed import _timed_get, submit_leaves
from .bench_pipeline import BIG_ALLOWANCE, Api, BenchError, sign_up

TEAM_SIZE = 500
BIG_DEPARTMENT_SIZE = 5000
WHOS_OFF_FETCHES = 50
TEAM_PAGE_FETCHES = 30
FEED_WARM_FETCHES = 200
FEED_304_FETCHES = 100
CALENDAR_POLL_SECONDS = 2.0
# The requests service takes at most this many rows per import file (all or nothing each).
IMPORT_ROWS_PER_FILE = 10_000
_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


@dataclass
class CompanyResult:
    employees: int = 0
    team: int = 0
    big: int = 0
    leaves: int = 0  # approved leaves the calendar held when timed
    import_seconds: float = 0.0
    import_files: int = 0
    leave_setup_seconds: float = 0.0
    employee_pages: list[float] = field(default_factory=list)  # sorted, seconds
    whos_off: list[float] = field(default_factory=list)
    whos_off_items: int = 0
    team_page: list[float] = field(default_factory=list)
    feed_warm: list[float] = field(default_factory=list)
    feed_304: list[float] = field(default_factory=list)
    feed_bytes: int = 0
    notes: list[str] = field(default_factory=list)  # something went wrong: the run fails
    info: list[str] = field(default_factory=list)  # worth printing, nothing wrong


def department_sizes(employees: int) -> tuple[int, int]:
    """(team, big department) sizes: 500 and 5,000 where the company is large enough."""
    team = min(TEAM_SIZE, employees // 10)
    big = min(BIG_DEPARTMENT_SIZE, (employees - team) // 2)
    return team, big


def csv_files(employees: int, run: str) -> list[bytes]:
    """The import files: departments by name, the team first, then the big one, the rest;
    at most IMPORT_ROWS_PER_FILE rows each."""
    team, big = department_sizes(employees)
    header = "name,email,location,department,role,start_date"
    files = []
    for first in range(0, employees, IMPORT_ROWS_PER_FILE):
        lines = [header]
        for i in range(first, min(employees, first + IMPORT_ROWS_PER_FILE)):
            department = "Team" if i < team else "Big" if i < team + big else "Rest"
            lines.append(f"P{i},p{i}-{run}@co.test,HQ,{department},user,2020-01-01")
        files.append("\n".join(lines).encode())
    return files


def leave_month(today: date) -> list[date]:
    """The Mondays of next month: each leave is a Monday and Tuesday of that month."""
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    days = [first + timedelta(days=d) for d in range(31)]
    return [d for d in days if d.month == first.month and d.isoweekday() == 1]


async def _setup(api: Api) -> dict[str, str]:
    email, signup = await sign_up(api, "Company bench", "co.test")
    ids = {"admin_email": email, "tenant_id": str(signup.get("tenant_id", ""))}
    _, location = await api.call(
        "POST",
        "requests",
        "/v1/locations",
        body={"name": "HQ", "timezone": "UTC", "workweek": [1, 2, 3, 4, 5]},
    )
    ids["location"] = location["id"]
    for name in ("Team", "Big", "Rest"):
        _, department = await api.call(
            "POST", "requests", "/v1/departments", body={"name": name, "approver_ids": []}
        )
        ids[name] = department["id"]
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
    ids["leave_type"] = leave_type["id"]
    await api.call(
        "PUT",
        "balances",
        f"/v1/policies/{location['id']}/{leave_type['id']}",
        body={"annual_allowance": BIG_ALLOWANCE, "accrual": "upfront", "unlimited": False},
        expect=(200, 201, 204),
    )
    return ids


async def _import(api: Api, files: list[bytes], result: CompanyResult) -> None:
    """The files one after the other, as an admin would; timed from first to last."""
    started = time.perf_counter()
    for body in files:
        async with api.session.post(
            api.urls["requests"] + "/v1/employees/import",
            data=body,
            headers={"authorization": f"Bearer {api.token}", "content-type": "text/csv"},
            timeout=aiohttp.ClientTimeout(total=600),
        ) as response:
            report = await response.json()
        if response.status != 200 or report.get("errors"):
            raise BenchError(f"employee import -> {response.status}: {str(report)[:300]}")
    result.import_seconds = time.perf_counter() - started
    result.import_files = len(files)


async def _walk_employees(api: Api, pages: list[float]) -> dict[str, list[str]]:
    """Every page of the list, each timed into `pages` (sorted at the end); the people of
    each department by id."""
    people: dict[str, list[str]] = {}
    cursor: str | None = None
    while True:
        params = {"cursor": cursor} if cursor else {}
        started = time.perf_counter()
        _, page = await api.call("GET", "requests", "/v1/employees", params=params)
        pages.append(time.perf_counter() - started)
        for employee in page["items"]:
            people.setdefault(str(employee.get("department_id")), []).append(employee["id"])
        cursor = page.get("next_cursor")
        if not cursor:
            pages.sort()
            return people


def _ms(sorted_seconds: list[float], share: float) -> float:
    return sorted_seconds[min(len(sorted_seconds) - 1, int(len(sorted_seconds) * share))] * 1e3


async def _whos_off(api: Api, window: tuple[date, date]) -> tuple[float, int]:
    params = {"from": window[0].isoformat(), "to": window[1].isoformat()}
    started = time.perf_counter()
    _, body = await api.call("GET", "calendar", "/v1/whos-off", params=params)
    return time.perf_counter() - started, len(body["items"])


async def _web_signed_in(
    urls: dict[str, str], email: str, tenant_id: str, limits: aiohttp.ClientTimeout
) -> aiohttp.ClientSession:
    """A web session signed in through the dev sign-in form, as a browser would."""
    session = aiohttp.ClientSession(timeout=limits, cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(urls["web"] + "/signin") as response:
        found = _CSRF.search(await response.read())
    if found is None:
        await session.close()
        raise BenchError("the web's sign-in page has no CSRF token")
    form = {"csrf_token": found.group(1).decode(), "email": email, "tenant_id": tenant_id}
    async with session.post(urls["web"] + "/signin/dev", data=form) as response:
        await response.read()
        if "/signin" in str(response.url):
            await session.close()
            raise BenchError(f"web dev sign-in did not sign in ({response.status})")
    return session


async def measure_company(
    urls: dict[str, str],
    employees: int,
    concurrency: int,
    progress: Progress,
    time_limit: float,
) -> CompanyResult:
    result = CompanyResult(employees=employees)
    result.team, result.big = department_sizes(employees)
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        api = Api(session, urls)
        ids = await _setup(api)
        await _import(api, csv_files(employees, uuid4().hex[:6]), result)
        # The first walk (for the people's ids) meets every service still consuming the
        # import's events: it is only a note; the figure is a walk made once who's-off
        # holds every leave, as a tenant's list is read on a normal day.
        backlog: list[float] = []
        people = await _walk_employees(api, backlog)
        mondays = leave_month(date.today())
        window = (mondays[0].replace(day=1), mondays[-1] + timedelta(days=6))
        team, big = people.get(ids["Team"], []), people.get(ids["Big"], [])
        # The team twice (first and third week), the big department once (second week).
        plan = [(e, mondays[0]) for e in team] + [(e, mondays[2]) for e in team]
        plan += [(e, mondays[1]) for e in big]
        started = time.perf_counter()
        await asyncio.sleep(1.0)  # let balances hear of the people before their first request
        accepted = await submit_leaves(
            api,
            plan,
            ids["leave_type"],
            days=2,
            concurrency=concurrency,
            progress=progress,
            label="(g) a month of leave",
        )
        task = progress.add_task("(g) approved leave in who's-off", total=accepted)
        deadline = time.monotonic() + time_limit
        while time.monotonic() < deadline:
            _, result.leaves = await _whos_off(api, window)
            progress.update(task, completed=result.leaves)
            if result.leaves >= accepted:
                break
            await asyncio.sleep(CALENDAR_POLL_SECONDS)
        result.leave_setup_seconds = time.perf_counter() - started
        if result.leaves < accepted:
            result.notes.append(f"who's-off held {result.leaves} of {accepted} leaves when timed")
        await _walk_employees(api, result.employee_pages)
        if len(result.employee_pages) < 2:
            result.notes.append("the employee list came in one page: no paging measured")
        result.info.append(
            f"employee pages walked right after the import, while its events were still "
            f"being consumed: p50 {_ms(backlog, 0.5):.1f} ms, p99 {_ms(backlog, 0.99):.1f} ms"
        )
        timed = [await _whos_off(api, window) for _ in range(WHOS_OFF_FETCHES)]
        result.whos_off = sorted(took for took, _ in timed)
        result.whos_off_items = timed[-1][1]
        _, feed = await api.call(
            "POST", "calendar", "/v1/feeds", body={"scope": "department", "scope_id": ids["Big"]}
        )
        _, _, body, etag = await _timed_get(session, feed["url"])
        result.feed_bytes = len(body)
        warm = [(await _timed_get(session, feed["url"]))[0] for _ in range(FEED_WARM_FETCHES)]
        result.feed_warm = sorted(warm)
        conditional = {"if-none-match": etag}
        result.feed_304 = sorted(
            [
                (await _timed_get(session, feed["url"], conditional))[0]
                for _ in range(FEED_304_FETCHES)
            ]
        )
    web = await _web_signed_in(urls, ids["admin_email"], ids["tenant_id"], timeout)
    try:
        url = f"{urls['web']}/team?department_id={ids['Team']}&month={window[0]:%Y-%m}"
        pages = [await _timed_get(web, url) for _ in range(TEAM_PAGE_FETCHES)]
        if any(status != 200 for _, status, _, _ in pages):
            result.notes.append(f"team page answered {pages[-1][1]}")
        result.team_page = sorted(took for took, _, _, _ in pages)
    finally:
        await web.close()
    return result
